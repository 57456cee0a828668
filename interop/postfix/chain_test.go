//go:build interop

package postfix

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// TestPostfixRelaysClientMessageToServe sends a message with an SMTPUTF8
// sender and an 8-bit body with the client package to Postfix's smtpd
// (STARTTLS verified against Postfix's CA, BDAT), which relays it by
// smtp(8) over verified STARTTLS to "smtpkit serve": both hops are smtpkit
// against Postfix. Each subtest checks that the message arrives in serve's
// Maildir intact, with the envelope sent.
//
// With a non-ASCII recipient Postfix's smtp(8) sends
// "ORCPT=rfc822;b+C3+B8b@example.net": an rfc822 ORCPT whose xtext decodes
// to UTF-8, which RFC 3461 section 4.2 forbids (RFC 6533 has the "utf-8"
// address type for it). The server accepts it where SMTPUTF8 is offered
// (wire's parseORCPT); before it did, serve answered 501 5.5.4 and Postfix
// bounced every such message, which this subtest found.
func TestPostfixRelaysClientMessageToServe(t *testing.T) {
	for _, tc := range []struct{ name, to string }{
		{"ASCIIRecipient", "bob@example.net"},
		{"UTF8Recipient", "bøb@example.net"},
	} {
		t.Run(tc.name, func(t *testing.T) { relayClientMessage(t, tc.to) })
	}
}

// relayClientMessage is one case of TestPostfixRelaysClientMessageToServe.
func relayClientMessage(t *testing.T, to string) {
	var pf *peers.PostfixServer
	record(t, "client -> smtpd -> relayhost STARTTLS SMTPUTF8", func() string {
		if pf != nil {
			return pf.Version
		}
		return installedVersion()
	})
	s := startServe(t)
	pf = postfixRelay(t, s)

	var transcript syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("client transcript:\n%s", transcript.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, pf.Addr,
		client.WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyRequired),
		client.WithTLSConfig(pf.TLSConfig()),
		client.WithServerName("localhost"),
		client.WithHostname("client.smtpkit.test"),
		client.WithDebug(&transcript))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	const from = "ålice@smtpkit.test"
	subject := "client via postfix to serve " + t.Name()
	msg := testMessage(from, to, subject)
	res, err := c.Send(ctx, client.Envelope{From: from, To: []string{to}},
		strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n")))
	require.NoError(t, err)
	assert.EqualValues(t, 250, res.Reply.Code)
	require.NoError(t, c.Close())
	assert.Regexp(t, `(?m)^C: MAIL FROM:<`+from+`>.* SMTPUTF8`, transcript.String())
	assert.Regexp(t, `(?m)^C: BDAT \d+ LAST$`, transcript.String())

	// Postfix logs the relay's outcome: sent, or bounced.
	toLog := regexp.MustCompile(regexp.QuoteMeta("to=<"+to+">") + `, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=(sent|bounced|deferred)`)
	var log string
	if !waitFor(relayWait, func() bool {
		log = pf.Log()
		return toLog.MatchString(log)
	}) {
		q, _ := peers.Run(t, 10*time.Second, "postqueue", "-c", pf.ConfigDir, "-p")
		t.Fatalf("Postfix did not log the relay to serve within %v; its queue:\n%s", relayWait, q)
	}
	assert.Regexp(t, `Trusted TLS connection established to 127\.0\.0\.1`, log)
	require.Equal(t, "sent", toLog.FindStringSubmatch(log)[1], "Postfix's relay to serve")

	newDir := filepath.Join(s.Maildir, "new")
	var files []os.DirEntry
	require.True(t, waitFor(10*time.Second, func() bool {
		files, _ = os.ReadDir(newDir)
		return len(files) > 0
	}), "no message in %s", newDir)
	require.Len(t, files, 1)
	raw, err := os.ReadFile(filepath.Join(newDir, files[0].Name()))
	require.NoError(t, err)
	header, body := splitMessage(normalizeLF(string(raw)))
	assert.Equal(t, testBody, body, "body as stored by serve (CRLF read as LF)")
	assert.Contains(t, header, "Return-Path: <"+from+">")
	assert.Contains(t, header, "Subject: "+subject+"\n")
	assert.Contains(t, header, "To: "+to+"\n")
	assert.Contains(t, header, "From: "+from+"\n")

	require.True(t, waitFor(5*time.Second, func() bool { return strings.Contains(s.Stdout.String(), "msg=accepted") }))
	assert.Contains(t, s.Stdout.String(), "to="+to)
	assert.Regexp(t, `tls="TLS 1\.[23]"`, s.Stdout.String())
	// Postfix's smtp(8) sent SMTPUTF8 on to serve (its --trace).
	assert.Regexp(t, `(?m)MAIL FROM:<`+from+`>.*SMTPUTF8`, s.Stderr.String(), "serve's --trace")
}
