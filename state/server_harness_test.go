package state

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// serverRun drives a Server through a script: the client's input, fed in
// the given pieces, and decide, which answers every decision (nil: the
// defaults). It returns the server's output and the events seen.
func serverRun(t testing.TB, s *Server, pieces []string, decide func(Event) reply.Reply) (string, []Event) {
	t.Helper()
	var out strings.Builder
	var events []Event
	for i := 0; ; {
		ev := s.Next()
		switch {
		case ev.Kind == EventNone:
			out.Write(s.Output())
			s.Consumed(len(s.Output()))
			if i == len(pieces) {
				s.ReceiveEOF()
				continue
			}
			require.NoError(t, s.Receive([]byte(pieces[i])))
			i++
			continue
		case ev.Kind == EventClose:
			events = append(events, ev)
			out.Write(s.Output())
			s.Consumed(len(s.Output()))
			return out.String(), events
		case ev.Kind == EventStartTLS:
			events = append(events, ev)
			out.Write(s.Output())
			s.Consumed(len(s.Output()))
			require.NoError(t, s.TLSStarted())
			continue
		}
		ev.Data = append([]byte(nil), ev.Data...)
		events = append(events, ev)
		if ev.Kind.IsDecision() {
			var r reply.Reply
			if decide != nil {
				r = decide(ev)
			}
			require.NoError(t, s.Respond(r), "respond to %v", ev.Kind)
		}
	}
}

func newTestServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	require.NoError(t, err)
	return s
}

func TestServerSmoke(t *testing.T) {
	s := newTestServer(t, ServerConfig{Hostname: "mx.example", Extensions: DefaultExtensions})
	out, _ := serverRun(t, s, []string{
		"EHLO c.example\r\n",
		"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n",
		"Hello\r\n..dot\r\n.\r\n",
		"QUIT\r\n",
	}, nil)
	t.Log(out)
}
