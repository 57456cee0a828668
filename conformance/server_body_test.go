package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// The cases of server_params.go, server_data.go, server_smuggling.go,
// server_bdat.go, server_pipelining.go, server_lmtp.go and
// server_limits.go, by the configuration that runs them.
var (
	// bodySMTPCases run against an SMTP server that offers every extension
	// they need (bodyFullServer).
	bodySMTPCases = []string{
		"rfc5321/4.1.1.11/unknown-mail-param",
		"rfc5321/4.1.1.11/unknown-rcpt-param",
		"rfc5321/4.1.1.11/param-of-unoffered-extension",
		"rfc1870/6.1/size-over-maximum",
		"rfc1870/6.1/size-within-maximum",
		"rfc1870/5/size-not-a-number",
		"rfc6152/3/body-8bitmime",
		"rfc6152/2/body-7bit",
		"rfc6152/2/body-unknown-value",
		"rfc6531/3.2/utf8-mailbox-accepted",
		"rfc6531/3.4/smtputf8-takes-no-value",
		"rfc5321/2.4/non-ascii-address-refused",
		"rfc3461/4.3/ret-and-envid",
		"rfc3461/4.3/ret-unknown-value",
		"rfc3461/4.4/envid-bad-xtext",
		"rfc3461/4.1/notify-values",
		"rfc3461/4.1/notify-never-alone",
		"rfc3461/4.2/orcpt-rfc822",
		"rfc3461/4.2/orcpt-without-type",
		"rfc8689/2/requiretls-needs-tls",
		"rfc6710/3/mt-priority-accepted",
		"rfc6710/3/mt-priority-out-of-range",
		"rfc2852/2/deliverby-accepted",
		"rfc4865/3/holdfor-accepted",
		"rfc5321/4.5.2/dot-stuffed-lines",
		"rfc5321/4.1.1.4/end-only-at-crlf-dot-crlf",
		"rfc5321/4.5.3.1.6/text-line-1000",
		"rfc5321/4.5.3.1.7/message-64k",
		"rfc5321/4.1.1.4/oversize-read-to-end",
		"rfc5321/2.3.8/bare-lf-command",
		"rfc5321/2.3.8/bare-cr-command",
		"rfc5321/3.3/data-without-recipients",
		"rfc3030/2/bdat-chunks-then-last-zero",
		"rfc3030/2/bdat-single-last",
		"rfc3030/2/bdat-crlf-dot-crlf-is-data",
		"rfc3030/2/bdat-after-last",
		"rfc3030/2/data-after-bdat",
		"rfc3030/2/rset-after-chunk",
		"rfc3030/2/bdat-bad-size",
		"rfc3030/3/binarymime-bdat",
		"rfc3030/3/binarymime-data-503",
		"rfc2920/3.2/envelope-group-in-order",
		"rfc2920/3.2/rset-group-in-order",
		"rfc2920/3.2/refused-rcpt-in-group",
		"rfc2920/3.2/no-valid-rcpt-data-refused",
		"rfc2920/3.2/content-then-quit",
		"rfc2920/3.2/bdat-group-in-order",
		"rfc5321/4.5.3.1.8/hundred-recipients",
	}
	// bodyUnofferedCases need a server that does not offer BINARYMIME.
	bodyUnofferedCases = []string{
		"rfc5321/4.1.1.11/body-binarymime-not-offered",
	}
	// bodyLMTPCases run only against an LMTP server.
	bodyLMTPCases = []string{
		"rfc2033/4.1/lhlo-250",
		"rfc2033/4.1/ehlo-not-positive",
		"rfc2033/4.1/helo-not-positive",
		"rfc2033/4.2/reply-per-recipient",
		"rfc2033/4.2/reply-per-rcpt-same-path",
		"rfc2033/4.2/no-reply-for-refused-rcpt",
		"rfc2033/4.2/data-without-rcpt-503",
	}
	// bodyLimitsCases need LIMITS with small limits (bodyLimitsServer).
	bodyLimitsCases = []string{
		"rfc9422/4.2/rcptmax-honoured",
		"rfc9422/4.1/mailmax-honoured",
	}
)

// bodySmugglingIDs are the IDs of the smuggling cases.
func bodySmugglingIDs() []string {
	var ids []string
	for _, sq := range bodySmuggleSequences {
		ids = append(ids, "rfc5321/"+sq.section+"/"+sq.name)
	}
	return ids
}

// bodyCases returns the registered server cases with the given IDs, and
// fails the test for an ID that is not registered.
func bodyCases(t *testing.T, ids []string) []*Case {
	t.Helper()
	byID := map[string]*Case{}
	for _, c := range ServerCases() {
		byID[c.ID()] = c
	}
	var out []*Case
	for _, id := range ids {
		c, ok := byID[id]
		require.True(t, ok, "case %s is not registered", id)
		out = append(out, c)
	}
	return out
}

// bodyRun runs the cases with the given IDs against addr and returns the
// results by case ID.
func bodyRun(t *testing.T, cfg Config, ids []string) map[string]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg.Parallel = 4
	rep, err := RunServer(ctx, cfg, bodyCases(t, ids))
	require.NoError(t, err)
	out := map[string]Result{}
	for _, r := range rep.Results {
		out[r.Case.ID()] = r
		t.Logf("%-4s %s %s", r.Status, r.Case.ID(), r.Reason)
	}
	return out
}

// bodyAssertPass requires every case in ids to have run and passed.
func bodyAssertPass(t *testing.T, results map[string]Result, ids []string) {
	t.Helper()
	for _, id := range ids {
		r := results[id]
		assert.Equal(t, Pass, r.Status, "%s: %s %s at step %d (%s)\n%s", id, r.Status, r.Reason, r.Step, r.StepText, r.Transcript)
	}
}

// bodyFullServer starts a smtpkit server that offers what the SMTP cases
// need: the default extensions, SIZE with a 100000-octet maximum,
// MT-PRIORITY, DELIVERBY, FUTURERELEASE, STARTTLS and REQUIRETLS (under
// TLS).
func bodyFullServer(t *testing.T, protocol state.Protocol) string {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	tlsCfg, err := ca.ServerConfig("mx.test", "127.0.0.1")
	require.NoError(t, err)
	return smtpkitServer(t, func(s *server.Server) {
		s.Protocol = protocol
		s.TLSConfig = tlsCfg
		s.MaxMessageSize = 100000
		s.Extensions = state.DefaultExtensions.With(wire.ExtMTPRIORITY).With(wire.ExtDELIVERBY).
			With(wire.ExtFUTURERELEASE).With(wire.ExtREQUIRETLS)
		s.Configure = func(c *state.ServerConfig) {
			c.MTPriority = "MIXER"
			c.DeliverByMin = time.Minute
			c.FutureReleaseMax = time.Hour
		}
	})
}

func TestBodyCasesAgainstSmtpkit(t *testing.T) {
	addr := bodyFullServer(t, state.ProtocolSMTP)
	ids := append(append([]string{}, bodySMTPCases...), bodySmugglingIDs()...)
	results := bodyRun(t, Config{Addr: addr}, ids)
	bodyAssertPass(t, results, ids)
}

func TestBodyCasesAgainstSmtpkitLMTP(t *testing.T) {
	addr := bodyFullServer(t, state.ProtocolLMTP)
	// The SMTP cases run too: they must hold under LMTP (one recipient,
	// one reply) or be skipped.
	ids := append(append(append([]string{}, bodyLMTPCases...), bodySMTPCases...), bodySmugglingIDs()...)
	results := bodyRun(t, Config{Addr: addr, LMTP: true}, ids)
	bodyAssertPass(t, results, append(bodyLMTPCases, "rfc2920/3.2/envelope-group-in-order", "rfc3030/2/bdat-single-last",
		"rfc5321/4.1.1.4/smuggle-lf-dot-lf", "rfc5321/4.1.1.4/oversize-read-to-end"))
	for id, r := range results {
		assert.NotEqual(t, Fail, r.Status, "%s under LMTP: %s at step %d (%s)\n%s", id, r.Reason, r.Step, r.StepText, r.Transcript)
	}
}

func TestBodyLMTPCasesSkipSMTP(t *testing.T) {
	addr := smtpkitServer(t, nil)
	results := bodyRun(t, Config{Addr: addr}, bodyLMTPCases)
	for _, id := range bodyLMTPCases {
		assert.Equal(t, Skipped, results[id].Status, id)
	}
}

// bodyLimitsServer starts a smtpkit server that announces LIMITS
// MAILMAX=3 RCPTMAX=5 and applies them.
func bodyLimitsServer(t *testing.T) string {
	t.Helper()
	return smtpkitServer(t, func(s *server.Server) {
		s.Extensions = state.DefaultExtensions.With(wire.ExtLIMITS)
		s.MaxTransactions = 3
		s.Configure = func(c *state.ServerConfig) { c.Limits.RcptMax = 5 }
	})
}

func TestBodyLimitsAgainstSmtpkit(t *testing.T) {
	addr := bodyLimitsServer(t)
	ids := append([]string{"rfc5321/4.5.3.1.8/hundred-recipients"}, bodyLimitsCases...)
	results := bodyRun(t, Config{Addr: addr}, ids)
	bodyAssertPass(t, results, bodyLimitsCases)
	// A server that stops at 5 recipients breaks RFC 5321 section
	// 4.5.3.1.8, and the case says so at the sixth RCPT.
	r := results["rfc5321/4.5.3.1.8/hundred-recipients"]
	assert.Equal(t, Fail, r.Status, r.Reason)
	assert.Contains(t, r.Reason, "reply 6 of 100")
}

func TestBodyCasesSkipWithoutExtensions(t *testing.T) {
	// No extension at all: every case that needs one is skipped, and the
	// rest still pass (SIZE-less, PIPELINING-less paths included).
	addr := smtpkitServer(t, func(s *server.Server) {
		s.Extensions = wire.NewExtSet(wire.ExtENHANCEDSTATUSCODES)
	})
	ids := append(append(append([]string{}, bodySMTPCases...), bodySmugglingIDs()...), bodyUnofferedCases...)
	results := bodyRun(t, Config{Addr: addr}, ids)
	for _, id := range ids {
		r := results[id]
		assert.NotEqual(t, Fail, r.Status, "%s: %s at step %d (%s)\n%s", id, r.Reason, r.Step, r.StepText, r.Transcript)
	}
	for _, id := range []string{"rfc1870/6.1/size-within-maximum", "rfc3030/2/bdat-single-last", "rfc2920/3.2/envelope-group-in-order", "rfc3461/4.1/notify-values"} {
		assert.Equal(t, Skipped, results[id].Status, id)
	}
	for _, id := range []string{"rfc5321/4.1.1.11/param-of-unoffered-extension", "rfc5321/4.1.1.11/body-binarymime-not-offered",
		"rfc5321/4.5.3.1.8/hundred-recipients", "rfc5321/2.4/non-ascii-address-refused"} {
		assert.Equal(t, Pass, results[id].Status, id)
	}
	assert.True(t, strings.Contains(results["rfc5321/4.1.1.4/oversize-read-to-end"].Reason, "SIZE"), "oversize skipped for want of SIZE")
}

func TestBodyCasesAgainstPostfixLikeSmtpkit(t *testing.T) {
	// The extensions Postfix offers by default (no BINARYMIME, no LIMITS,
	// no MT-PRIORITY): what does not apply is skipped, the rest passes.
	addr := smtpkitServer(t, func(s *server.Server) {
		s.Extensions = wire.NewExtSet(wire.ExtPIPELINING, wire.ExtSIZE, wire.Ext8BITMIME, wire.ExtDSN,
			wire.ExtSMTPUTF8, wire.ExtCHUNKING, wire.ExtENHANCEDSTATUSCODES)
		s.MaxMessageSize = 200000
	})
	ids := append(append(append([]string{}, bodySMTPCases...), bodySmugglingIDs()...), bodyUnofferedCases...)
	results := bodyRun(t, Config{Addr: addr}, ids)
	for _, id := range ids {
		r := results[id]
		assert.NotEqual(t, Fail, r.Status, "%s: %s at step %d (%s)\n%s", id, r.Reason, r.Step, r.StepText, r.Transcript)
	}
	bodyAssertPass(t, results, append([]string{"rfc5321/4.1.1.11/param-of-unoffered-extension", "rfc3030/2/bdat-after-last",
		"rfc5321/4.1.1.4/oversize-read-to-end", "rfc3461/4.2/orcpt-rfc822"}, bodyUnofferedCases...))
}
