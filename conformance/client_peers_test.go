package conformance

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// The client suite against swaks and curl (Debian 12: swaks 20201014.0,
// curl 7.88.1) with SwaksClient and CurlClient. The tests assert exactly
// these failures, so that the lists (which docs/CONFORMANCE.md repeats)
// stay true; each is the program deviating from the rule quoted.

// swaksDeviations are the client cases swaks fails.
var swaksDeviations = map[string]string{
	"rfc3207/4.2/response-injection": "reads a line the server sent before the TLS handshake as the reply to the EHLO inside TLS " +
		"(sends MAIL at once): the client side of CVE-2011-0411",
	"rfc4616/5/no-plain-in-clear":          "sends AUTH LOGIN (the password) without TLS when the server offers no STARTTLS",
	"rfc4954/4/cancel-bad-challenge":       "answers a 334 challenge that is not base64 with the user name instead of \"*\"",
	"rfc5321/2.3.8/bare-cr":                "transmits a bare CR of the message as is",
	"rfc5321/2.3.8/smuggling-sequences":    "transmits bare CR (<CR>.<CR>) of the message as is",
	"rfc5321/2.4/ascii-envelope":           "sends the UTF-8 domain in RCPT TO to a server without SMTPUTF8",
	"rfc5321/2.4/eight-bit-needs-8bitmime": "sends 8-bit content to a server without 8BITMIME",
	"rfc5321/4.1.1.1/keyword-case":         "does not recognise \"starttls\" in lower case (gives up: TLS not offered)",
	"rfc5321/4.1.1.4/no-extra-crlf":        "adds a CRLF (an empty line) before the final \".\" of a message that ends with CRLF",
	"rfc5321/4.2/code-only-reply":          "waits for more after a reply that is the code alone (\"250\" with no space), until its timeout",
	"rfc5321/4.2/unknown-2yz":              "takes 257 to MAIL as an error (it wants 250)",
}

// curlDeviations are the client cases curl fails.
var curlDeviations = map[string]string{
	"rfc3207/4.2/forget-clear-capabilities":    "keeps the SIZE it saw in the clear EHLO reply and sends SIZE= after TLS, where SIZE was not offered",
	"rfc4616/5/no-plain-in-clear":              "sends AUTH PLAIN without TLS when the server offers no STARTTLS (with --ssl, TLS if offered)",
	"rfc4954/4/cancel-bad-challenge":           "answers a 334 challenge that is not base64 with the user name instead of \"*\"",
	"rfc5321/2.3.8/bare-cr":                    "transmits a bare CR of the message as is (no --crlf)",
	"rfc5321/2.3.8/bare-lf":                    "transmits a bare LF of the message as is (no --crlf)",
	"rfc5321/2.3.8/smuggling-sequences":        "transmits <LF>.<LF> and bare CR of the message as is",
	"rfc5321/2.4/eight-bit-needs-8bitmime":     "sends 8-bit content to a server without 8BITMIME",
	"rfc5321/4.1.1.1/keyword-case":             "does not recognise \"starttls\" in lower case (exit 64: TLS required but not offered)",
	"rfc5321/4.1.1.10/quit-after-554-greeting": "closes the connection after a 554 greeting without sending QUIT",
	"rfc5321/4.2/long-ehlo-reply":              "gives up on a 100-line EHLO reply (\"Too large response headers\")",
	"rfc5321/4.2/unknown-2yz":                  "takes 259 to the end of data as an error (\"Weird server reply\")",
	"rfc5321/4.5.3.1.10/rcpt-452-too-many":     "abandons the whole transaction (QUIT) when one RCPT gets 452, unless --mail-rcpt-allowfails",
}

// clRunPeer runs the whole client suite against a command client and
// returns the IDs of the failed cases, logging every failure and skip.
func clRunPeer(t *testing.T, cut CommandClient) []string {
	t.Helper()
	require.NoError(t, cut.Validate())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := RunClient(ctx, Config{Parallel: 4}, cut, ClientCases())
	require.NoError(t, err)
	failed := []string{}
	for _, r := range rep.Results {
		switch r.Status {
		case Fail:
			failed = append(failed, r.Case.ID())
			t.Logf("fail %s %s: %s", r.Case.Level, r.Case.ID(), r.Reason)
		case Skipped:
			t.Logf("skip %s: %s", r.Case.ID(), r.Reason)
		}
	}
	slices.Sort(failed)
	return failed
}

func TestClientSuiteSwaks(t *testing.T) {
	peers.Need(t, "swaks")
	assert.Equal(t, slices.Sorted(maps.Keys(swaksDeviations)), clRunPeer(t, SwaksClient()))
}

func TestClientSuiteCurl(t *testing.T) {
	peers.Need(t, "curl")
	assert.Equal(t, slices.Sorted(maps.Keys(curlDeviations)), clRunPeer(t, CurlClient()))
}
