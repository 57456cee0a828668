package state

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// feed gives s the client's input and answers every decision with its
// default until s needs more; it returns what s wrote.
func feed(t testing.TB, s *Server, input string) string {
	t.Helper()
	if input != "" {
		require.NoError(t, s.Receive([]byte(input)))
	}
	for {
		ev := s.Next()
		if ev.Kind == EventNone || ev.Kind == EventClose || ev.Kind == EventStartTLS {
			break
		}
		if ev.Kind.IsDecision() {
			var r reply.Reply
			if ev.Kind == EventAuth || ev.Kind == EventAuthResponse {
				r = reply.Reply{Code: reply.CodeAuthSucceeded}
			}
			require.NoError(t, s.Respond(r), "%v", ev.Kind)
		}
	}
	out := string(s.Output())
	s.Consumed(len(out))
	return out
}

// walkConfig offers every extension a command of the table needs.
func walkConfig(proto Protocol) ServerConfig {
	return ServerConfig{
		Protocol: proto, Hostname: "mx.example.org",
		Extensions: DefaultExtensions.With(wire.ExtSTARTTLS).With(wire.ExtAUTH).With(wire.ExtETRN).
			With(wire.ExtEXPN).With(wire.ExtXCLIENT).With(wire.ExtXFORWARD),
		AuthMechanisms: []string{"PLAIN"}, AllowInsecureAuth: true,
	}
}

// sampleCommand is a well-formed command line (and chunk) for each verb.
var sampleCommand = map[wire.Verb]string{
	wire.VerbUnknown: "FROB\r\n", wire.VerbHELO: "HELO c.example\r\n", wire.VerbEHLO: "EHLO c.example\r\n",
	wire.VerbLHLO: "LHLO c.example\r\n", wire.VerbMAIL: "MAIL FROM:<a@b.example>\r\n",
	wire.VerbRCPT: "RCPT TO:<c@d.example>\r\n", wire.VerbDATA: "DATA\r\n", wire.VerbBDAT: "BDAT 1 LAST\r\nx",
	wire.VerbRSET: "RSET\r\n", wire.VerbVRFY: "VRFY bob\r\n", wire.VerbEXPN: "EXPN staff\r\n",
	wire.VerbHELP: "HELP\r\n", wire.VerbNOOP: "NOOP\r\n", wire.VerbQUIT: "QUIT\r\n",
	wire.VerbSTARTTLS: "STARTTLS\r\n", wire.VerbAUTH: "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
	wire.VerbETRN: "ETRN example.com\r\n", wire.VerbATRN: "ATRN example.com\r\n",
	wire.VerbBURL: "BURL imap://x.example/;uid=1 LAST\r\n", wire.VerbXCLIENT: "XCLIENT NAME=x.example\r\n",
	wire.VerbXFORWARD: "XFORWARD NAME=x.example\r\n", wire.VerbSEND: "SEND FROM:<a@b.example>\r\n",
	wire.VerbSOML: "SOML FROM:<a@b.example>\r\n", wire.VerbSAML: "SAML FROM:<a@b.example>\r\n",
	wire.VerbTURN: "TURN\r\n",
}

// serverIn returns a Server of proto in phase p, its output consumed.
func serverIn(t testing.TB, proto Protocol, p Phase) *Server {
	s := newTestServer(t, walkConfig(proto))
	hello := "EHLO c.example\r\n"
	if proto == ProtocolLMTP {
		hello = "LHLO c.example\r\n"
	}
	if p == PhaseRefused {
		require.Equal(t, EventConnect, s.Next().Kind)
		require.NoError(t, s.Respond(reply.Reply{Code: reply.CodeTransactionFailed, Text: "mx.example.org no service"}))
		feed(t, s, "")
		return s
	}
	feed(t, s, "")
	steps := map[Phase][]string{
		PhaseGreeted: nil,
		PhaseReady:   {hello},
		PhaseMail:    {hello, "MAIL FROM:<a@b.example>\r\n"},
		PhaseRcpt:    {hello, "MAIL FROM:<a@b.example>\r\n", "RCPT TO:<c@d.example>\r\n"},
		PhaseBDAT:    {hello, "MAIL FROM:<a@b.example>\r\n", "RCPT TO:<c@d.example>\r\n", "BDAT 2\r\nab"},
	}[p]
	for _, in := range steps {
		feed(t, s, in)
	}
	require.Equal(t, p, s.Phase())
	return s
}

// TestServerTableWalk sends every verb in every phase that reads commands
// and checks the Server's reply code against the legality table: an
// illegal cell gets exactly the cell's code; a legal one is processed (no
// 500, 502 or 503), except BURL and ATRN, which the machine never serves.
func TestServerTableWalk(t *testing.T) {
	verbs := append([]wire.Verb{wire.VerbUnknown}, wire.Verbs()...)
	for _, proto := range []Protocol{ProtocolSMTP, ProtocolLMTP} {
		for _, p := range []Phase{PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt, PhaseBDAT, PhaseRefused} {
			for _, v := range verbs {
				line, ok := sampleCommand[v]
				require.True(t, ok, "no sample for %v", v)
				s := serverIn(t, proto, p)
				out := feed(t, s, line)
				require.GreaterOrEqual(t, len(out), 3, "%v %v %v: no reply", proto, p, v)
				code, err := strconv.Atoi(out[:3])
				require.NoError(t, err)
				cell, ok := Lookup(proto, p, v)
				require.True(t, ok)
				name := proto.String() + " " + p.String() + " " + v.String()
				switch {
				case !cell.Legal():
					assert.Equal(t, int(cell.Code), code, "%s: %q", name, out)
				case v == wire.VerbBURL || v == wire.VerbATRN:
					assert.Equal(t, 502, code, "%s: %q", name, out)
				default:
					assert.NotContains(t, []int{500, 502, 503}, code, "%s: %q", name, out)
				}
			}
		}
	}
}
