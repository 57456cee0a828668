package state

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// The Checker's findings for each transcript are part of the transcript:
// one "# violation: side rule: detail" header line per violation, and
// "# diverged:" and "# stopped:" when the Checker reports them. The
// session transcripts (testdata/sessions) come from the Server machine,
// so their server side is clean and their violations are the client's
// on purpose; testdata/checker holds servers that break rules. With
// -update the lines are rewritten.

// checkerKeys are the header keys the Checker's findings use.
var checkerKeys = []string{"violation", "diverged", "stopped"}

// checkerConfigFromMeta reads "lmtp" and "tls" from the "# server:" and
// "# checker:" header lines.
func checkerConfigFromMeta(tr *Transcript) CheckerConfig {
	var cfg CheckerConfig
	for _, key := range []string{"server", "checker"} {
		spec, _ := tr.Meta(key)
		for _, tok := range strings.Fields(spec) {
			switch tok {
			case "lmtp":
				cfg.Protocol = ProtocolLMTP
			case "tls":
				cfg.TLS = true
			}
		}
	}
	return cfg
}

// findings returns the header entries that state r.
func findings(r Report) []Meta {
	var out []Meta
	for _, v := range r.Violations {
		out = append(out, Meta{Key: "violation", Value: v.Side.String() + " " + v.Rule + ": " + v.Detail})
	}
	if r.Diverged != "" {
		out = append(out, Meta{Key: "diverged", Value: r.Diverged})
	}
	if r.Stopped != "" {
		out = append(out, Meta{Key: "stopped", Value: r.Stopped})
	}
	return out
}

func TestCheckerTranscripts(t *testing.T) {
	sessions, err := filepath.Glob(filepath.Join("testdata", "sessions", "*.txt"))
	require.NoError(t, err)
	bad, err := filepath.Glob(filepath.Join("testdata", "checker", "*.txt"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(sessions), 40)
	require.GreaterOrEqual(t, len(bad), 12)
	for _, path := range append(sessions, bad...) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			text, err := os.ReadFile(path)
			require.NoError(t, err)
			tr, err := ParseTranscript(text)
			require.NoError(t, err)
			r, err := Check(tr, checkerConfigFromMeta(tr))
			require.NoError(t, err)
			got := findings(r)

			var want, rest []Meta
			for _, m := range tr.Header {
				if slices.Contains(checkerKeys, m.Key) {
					want = append(want, m)
				} else {
					rest = append(rest, m)
				}
			}
			if *update {
				if !slices.Equal(want, got) {
					tr.Header = append(rest, got...)
					require.NoError(t, os.WriteFile(path, tr.Append(nil), 0o644))
				}
				return
			}
			assert.Equal(t, want, got, "run go test ./state -run TestCheckerTranscripts -update if the change is intended")

			// Every finding names a side and an RFC rule.
			for _, v := range r.Violations {
				assert.Contains(t, []Side{SideClient, SideServer}, v.Side)
				assert.NotEmpty(t, v.Detail)
				assert.True(t, strings.HasPrefix(v.Rule, "RFC ") || strings.HasPrefix(v.Rule, "Postfix "), v.Rule)
			}
			if filepath.Base(filepath.Dir(path)) == "sessions" {
				// The Server machine wrote these: its side is clean.
				for _, v := range r.Violations {
					assert.Equal(t, SideClient, v.Side, "%v", &v)
				}
				assert.Empty(t, r.Diverged)
				assert.Empty(t, r.Stopped)
			} else if !strings.HasPrefix(filepath.Base(path), "clean-") {
				assert.NotEmpty(t, r.Violations, "a checker transcript shows a violation")
			}
		})
	}
}

// checkText runs the Checker over transcript text.
func checkText(t *testing.T, text string, cfg CheckerConfig) Report {
	t.Helper()
	tr, err := ParseTranscript([]byte(text))
	require.NoError(t, err)
	r, err := Check(tr, cfg)
	require.NoError(t, err)
	return r
}

func TestNewCheckerConfig(t *testing.T) {
	_, err := NewChecker(CheckerConfig{Protocol: 9})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Protocol", ce.Field)
	_, err = NewChecker(CheckerConfig{MaxViolations: -1})
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "MaxViolations", ce.Field)
	_, err = Check(&Transcript{}, CheckerConfig{Protocol: 9})
	require.Error(t, err)
	k, err := NewChecker(CheckerConfig{})
	require.NoError(t, err)
	assert.Empty(t, k.Report().Violations, "nothing happened yet")
}

func TestCheckerMaxViolations(t *testing.T) {
	text := "S: 220 mx.example.org ESMTP\nC: EHLO c.example\nS: 250 mx.example.org\n" +
		strings.Repeat("C: RCPT TO:<a@example.org>\nS: 503 5.5.1 Need MAIL\n", 5) +
		"C: QUIT\nS: 221 Bye\n"
	r := checkText(t, text, CheckerConfig{MaxViolations: 3})
	assert.Len(t, r.Violations, 3)
	assert.Contains(t, r.Stopped, "more than 3 violations")
	r = checkText(t, text, CheckerConfig{})
	assert.Len(t, r.Violations, 5)
	assert.Empty(t, r.Stopped)
}

func TestCheckerInputEdges(t *testing.T) {
	k, err := NewChecker(CheckerConfig{})
	require.NoError(t, err)
	k.ServerWrote([]byte("220 mx.example.org ESMTP\r\n"))
	k.ClientWrote(nil) // nothing happens
	k.StartedTLS()     // no STARTTLS was answered 220
	r := k.Report()
	assert.Contains(t, r.Stopped, "TLS handshake without a 220")
	k.ClientWrote([]byte("QUIT\r\n")) // ignored once stopped
	assert.Empty(t, k.Report().Violations)

	k, err = NewChecker(CheckerConfig{})
	require.NoError(t, err)
	k.ServerWrote([]byte("220 mx.example.org ESMTP\r\n"))
	k.ClientWrote([]byte("QUIT\r\n"))
	k.ServerWrote([]byte("221 Bye\r\n"))
	k.Closed(SideServer)
	k.Closed(SideServer)
	k.Closed(SideClient)
	assert.Empty(t, k.Report().Violations, "an orderly end")

	k, err = NewChecker(CheckerConfig{})
	require.NoError(t, err)
	k.ServerWrote([]byte("220 mx.example.org ESMTP\r\n"))
	k.Closed(SideClient)
	k.ClientWrote([]byte("NOOP\r\n"))
	r = k.Report()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, "RFC 5321 4.1.1.10", r.Violations[0].Rule)
	assert.Contains(t, r.Stopped, "after the client closed")
}

func TestCheckerLMTP(t *testing.T) {
	text := `S: 220 lmtp.example.org LMTP
C: LHLO client.example.com
S: 250-lmtp.example.org
S: 250-PIPELINING
S: 250 ENHANCEDSTATUSCODES
C: MAIL FROM:<a@example.com>
C: RCPT TO:<b@example.org>
C: RCPT TO:<c@example.org>
C: DATA
S: 250 2.1.0 OK
S: 250 2.1.5 OK
S: 250 2.1.5 OK
S: 354 Go ahead
C: hi
C: .
S: 250 2.0.0 b delivered
S: 452 4.2.2 c over quota
C: QUIT
S: 221 2.0.0 Bye
-- close S
`
	r := checkText(t, text, CheckerConfig{Protocol: ProtocolLMTP})
	assert.Empty(t, r.Violations)
	assert.Empty(t, r.Stopped)

	// One reply short: the 221 is taken for the second recipient's,
	// and QUIT's reply never comes before the close.
	short := strings.Replace(text, "S: 452 4.2.2 c over quota\n", "", 1)
	r = checkText(t, short, CheckerConfig{Protocol: ProtocolLMTP})
	assert.NotEmpty(t, r.Violations)
}

func TestCheckerStartTLSRefused(t *testing.T) {
	text := `S: 220 mx.example.org ESMTP
C: EHLO client.example.com
S: 250-mx.example.org
S: 250 STARTTLS
C: STARTTLS
S: 454 4.7.0 TLS not available
C: MAIL FROM:<a@example.com>
S: 250 OK
C: QUIT
S: 221 Bye
-- close S
`
	r := checkText(t, text, CheckerConfig{})
	assert.Empty(t, r.Violations, "after 454 the session goes on in clear")
	assert.Empty(t, r.Diverged)
}

func TestCheckerViolationErr(t *testing.T) {
	text := `S: 220 mx.example.org ESMTP
C: EHLO client.example.com
S: 250 mx.example.org
C: MAIL FROM:<a@example.com> SIZE=10
S: 555 5.5.4 SIZE not offered
C: QUIT
S: 221 Bye
`
	r := checkText(t, text, CheckerConfig{})
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, SideClient, v.Side)
	assert.ErrorIs(t, &v, ErrProtocol)
	assert.ErrorIs(t, &v, wire.ErrParamNotAdvertised)
	var se *wire.SyntaxError
	assert.ErrorAs(t, &v, &se)
}

// TestCheckerPipelinedBeforeRefusal: RCPT pipelined behind a MAIL the
// server refuses, and DATA or BDAT pipelined behind RCPTs it all refuses,
// were written before those replies and are not the client's violation
// (RFC 2920 section 3.1; found by fuzz.FuzzCheckerSessions). The same
// commands written after the replies are.
func TestCheckerPipelinedBeforeRefusal(t *testing.T) {
	open := "S: 220 mx.example.org ESMTP\nC: EHLO c.example\nS: 250-mx.example.org\nS: 250-CHUNKING\nS: 250 PIPELINING\n"
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"RCPT behind a refused MAIL", "C: MAIL FROM:<a@example.org>\nC: RCPT TO:<b@example.org>\n" +
			"S: 550 no\nS: 503 Need MAIL before RCPT\n", nil},
		{"DATA behind refused RCPTs", "C: MAIL FROM:<a@example.org>\nC: RCPT TO:<b@example.org>\nC: DATA\n" +
			"S: 250 ok\nS: 550 no\nS: 503 No valid recipients\n", nil},
		{"BDAT behind refused RCPTs", "C: MAIL FROM:<a@example.org>\nC: RCPT TO:<b@example.org>\nC: BDAT 4 LAST\nC+ hi\\r\\n\n" +
			"S: 250 ok\nS: 550 no\nS: 503 No valid recipients\n", nil},
		{"DATA behind a refused MAIL", "C: MAIL FROM:<a@example.org>\nC: RCPT TO:<b@example.org>\nC: DATA\n" +
			"S: 550 no\nS: 503 Need MAIL before RCPT\nS: 503 Need MAIL and RCPT before DATA\n", nil},
		{"RCPT after the refusal", "C: MAIL FROM:<a@example.org>\nS: 550 no\nC: RCPT TO:<b@example.org>\n" +
			"S: 503 Need MAIL before RCPT\n", []string{"RFC 5321 3.3"}},
		{"DATA after the refusals", "C: MAIL FROM:<a@example.org>\nC: RCPT TO:<b@example.org>\n" +
			"S: 250 ok\nS: 550 no\nC: DATA\nS: 503 No valid recipients\n", []string{"RFC 5321 3.3"}},
		{"DATA without RCPT", "C: MAIL FROM:<a@example.org>\nC: DATA\n" +
			"S: 250 ok\nS: 503 No valid recipients\n", []string{"RFC 5321 3.3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := checkText(t, open+tc.text+"C: QUIT\nS: 221 Bye\n-- close S\n", CheckerConfig{})
			var got []string
			for _, v := range r.Violations {
				got = append(got, v.Rule)
			}
			assert.Equal(t, tc.want, got, "%+v", r)
			assert.Empty(t, r.Diverged)
			assert.Empty(t, r.Stopped)
		})
	}
}
