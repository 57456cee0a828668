package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// fuzzConfig is the configuration of FuzzServer: every extension the
// machine serves without TLS, with limits low enough to be reached.
func fuzzConfig(sync SyncPolicy) ServerConfig {
	return ServerConfig{
		Hostname: "mx.example.org",
		Extensions: DefaultExtensions.With(wire.ExtAUTH).With(wire.ExtETRN).With(wire.ExtEXPN).
			With(wire.ExtXCLIENT).With(wire.ExtXFORWARD).With(wire.ExtLIMITS).With(wire.ExtDSN).
			With(wire.ExtRRVS).With(wire.ExtMTPRIORITY).With(wire.ExtDELIVERBY),
		AuthMechanisms: []string{"PLAIN", "LOGIN"}, AllowInsecureAuth: true,
		MaxMessageSize: 4096, MaxRecipients: 5, MaxErrors: 20, MaxDataLine: 200,
		Limits: wire.Limits{MailMax: 3, RcptDomainMax: 3}, Sync: sync,
	}
}

// fuzzSession feeds input to a Server in pieces cut at the given sizes and
// answers decisions from the decision bytes. It returns the output and the
// events' kinds, and checks the machine's invariants as it goes.
func fuzzSession(t *testing.T, cfg ServerConfig, input, cuts, decisions []byte) (out []byte, kinds []EventKind) {
	s, err := NewServer(cfg)
	require.NoError(t, err)
	d := 0
	decide := func(ev Event) {
		var b byte
		if d < len(decisions) {
			b = decisions[d]
		}
		d++
		var err error
		switch {
		case (ev.Kind == EventAuth || ev.Kind == EventAuthResponse) && b%3 == 0:
			err = s.Challenge([]byte{b})
		case ev.Kind == EventAuth || ev.Kind == EventAuthResponse:
			err = s.Respond(reply.Reply{Code: []reply.Code{235, 535, 454}[b%3]})
		case ev.Kind == EventConnect && b%4 == 1:
			err = s.Respond(reply.Reply{Code: 554, Text: "mx.example.org no service"})
		case ev.Kind == EventConnect:
			err = s.Respond(reply.Reply{})
		case b%4 == 1:
			err = s.Respond(reply.Reply{Code: 550, Text: "no"})
		case b%4 == 2:
			err = s.Respond(reply.Reply{Code: 451, Text: "later"})
		default:
			err = s.Respond(reply.Reply{})
		}
		require.NoError(t, err, "respond to %v", ev.Kind)
	}
	c := 0
	for steps := 0; steps < 100000; steps++ {
		ev := s.Next()
		if ev.Kind != EventNone {
			kinds = append(kinds, ev.Kind)
		}
		p := s.Phase()
		require.True(t, p == PhaseClosed || p == PhaseAuth || p == PhaseTLS || p == PhaseData || p.ReadsCommands() || p == PhaseGreeting, "phase %v", p)
		switch {
		case ev.Kind == EventClose:
			out = append(out, s.Output()...)
			return out, kinds
		case ev.Kind == EventStartTLS:
			require.NoError(t, s.TLSStarted())
		case ev.Kind.IsDecision():
			decide(ev)
		case ev.Kind == EventNone:
			out = append(out, s.Output()...)
			s.Consumed(len(s.Output()))
			if len(input) == 0 {
				s.ReceiveEOF()
				continue
			}
			n := len(input)
			if c < len(cuts) && int(cuts[c]) > 0 && int(cuts[c]) < n {
				n = int(cuts[c])
			}
			c++
			require.NoError(t, s.Receive(input[:n]))
			input = input[n:]
		}
	}
	t.Fatal("the session did not end")
	return nil, nil
}

// checkReplies fails unless out is a sequence of well-formed replies (RFC
// 5321 section 4.2): CRLF lines, a valid code, the same code on every line
// of a reply, and no bare CR or LF.
func checkReplies(t *testing.T, out []byte) {
	var code []byte
	for len(out) > 0 {
		i := bytes.Index(out, []byte("\r\n"))
		require.GreaterOrEqual(t, i, 0, "unterminated reply line %q", out)
		line := out[:i]
		out = out[i+2:]
		require.False(t, bytes.ContainsAny(line, "\r\n\x00"), "control octet in %q", line)
		if bytes.HasPrefix(line, []byte("334 ")) || bytes.Equal(line, []byte("334")) {
			continue
		}
		rl, err := wire.ParseReplyLine(line)
		require.NoError(t, err, "reply line %q", line)
		require.LessOrEqual(t, len(line)+2, wire.MaxReplyLine, "reply line too long %q", line)
		if code != nil {
			require.Equal(t, string(code), string(line[:3]), "code changes inside a reply")
		}
		code = line[:3]
		if !rl.More {
			code = nil
		}
	}
	require.Nil(t, code, "reply ends in a continuation line")
}

// FuzzServer feeds random client bytes, cut into random pieces, with random
// decisions, into a Server. Properties: no panic; the output is always
// well-formed replies; the phase is always one of the table's; the session
// always ends; and with SyncAllow (where where the input is cut cannot
// matter) the same input cut differently gives the same output.
func FuzzServer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sessions", "*.txt"))
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		tr, err := ParseTranscript(text)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tr.Bytes(SideClient), []byte{7, 100, 3}, []byte{0, 1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, input, cuts, decisions []byte) {
		if len(input) > 1<<14 {
			return
		}
		out, _ := fuzzSession(t, fuzzConfig(SyncReject), input, cuts, decisions)
		checkReplies(t, out)
		a, ka := fuzzSession(t, fuzzConfig(SyncAllow), input, cuts, decisions)
		b, kb := fuzzSession(t, fuzzConfig(SyncAllow), input, nil, decisions)
		checkReplies(t, a)
		require.Equal(t, string(b), string(a), "output depends on how the input is cut")
		require.Equal(t, kindsNoBody(kb), kindsNoBody(ka), "events depend on how the input is cut")
	})
}

// kindsNoBody drops EventBody, whose number depends on the cuts.
func kindsNoBody(k []EventKind) []EventKind {
	var out []EventKind
	for _, x := range k {
		if x != EventBody {
			out = append(out, x)
		}
	}
	return out
}
