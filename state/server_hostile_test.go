package state

import (
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerHTTPRequest: a line that starts with an HTTP method gets one
// 421 4.7.0 and the session ends (RFC 5321 section 7.8), before the
// greeting too, where it is not answered as an early talker; with
// TolerateHTTP it is an unknown command like any other.
func TestServerHTTPRequest(t *testing.T) {
	const req = "GET / HTTP/1.1\r\nHost: mx.example\r\nUser-Agent: x\r\n\r\n"
	for _, tc := range []struct {
		name, before, input string
	}{
		{"after the greeting", "", req},
		{"before the greeting", "early", req},
		{"after EHLO", "EHLO x.example\r\n", req},
		{"POST", "", "POST /submit HTTP/1.0\r\nContent-Length: 0\r\n\r\n"},
		{"CONNECT", "", "CONNECT mx.example:25 HTTP/1.1\r\n\r\n"},
		{"HTTP/2 preface", "", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
			var out string
			if tc.before == "early" {
				require.NoError(t, s.Receive([]byte(tc.input)))
				out = feed(t, s, "")
			} else {
				feed(t, s, "")
				feed(t, s, tc.before)
				_ = s.Output()
				s.Consumed(len(s.Output()))
				out = feed(t, s, tc.input)
			}
			assert.Equal(t, PhaseClosed, s.Phase())
			assert.Equal(t, 1, strings.Count(out, "421 "), "one reply: %q", out)
			want := "421 localhost This is an SMTP server, not HTTP"
			if tc.before != "" && tc.before != "early" {
				want = "421 4.7.0 localhost This is an SMTP server, not HTTP" // ENHANCEDSTATUSCODES after EHLO
			}
			assert.Contains(t, out, want)
			assert.NotContains(t, out, "500", "no reply per header line")
			var v *Violation
			require.ErrorAs(t, s.Next().Err, &v)
			assert.Equal(t, "RFC 5321 7.8", v.Rule)
			assert.ErrorIs(t, v, ErrProtocol)
		})
	}
	t.Run("tolerated", func(t *testing.T) {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, TolerateHTTP: true})
		feed(t, s, "")
		s.Consumed(len(s.Output()))
		out := feed(t, s, "GET / HTTP/1.1\r\n") + feed(t, s, "POST / HTTP/1.1\r\n")
		assert.Equal(t, 2, strings.Count(out, "500 "), "%q", out)
		assert.NotEqual(t, PhaseClosed, s.Phase())
	})
	t.Run("not a method", func(t *testing.T) {
		for _, line := range []string{"get / HTTP/1.1", "GETX /", "GET", "HEADER x"} {
			assert.Empty(t, httpMethod([]byte(line)), line)
		}
		assert.Equal(t, "OPTIONS", httpMethod([]byte("OPTIONS * HTTP/1.1")))
	})
}

// TestServerCommandTrickle: with MinDataRate set, a command line under way
// must arrive at that rate once RateGrace has passed (Timeouts.LineDeadline),
// so a client sending one octet a second is cut long before ServerIdle; a
// line that completes goes back to the idle timeout, and octets of an over
// long line that were dropped still count.
func TestServerCommandTrickle(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tm := Timeouts{MinDataRate: 500, RateGrace: 5 * time.Second}
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, Timeouts: tm})
	s.Advance(start)
	feed(t, s, "")
	assert.Equal(t, start.Add(DefaultServerIdle), s.Deadline(), "nothing under way: idle timeout")

	now := start.Add(time.Second)
	s.Advance(now)
	feed(t, s, "E")
	assert.Equal(t, now.Add(5*time.Second+2*time.Millisecond), s.Deadline(), "grace + 1/500 s after the first octet")
	for i, c := range "HLO" {
		s.Advance(now.Add(time.Duration(i+1) * time.Second))
		feed(t, s, string(c))
	}
	assert.Equal(t, now.Add(5*time.Second+8*time.Millisecond), s.Deadline(), "4 octets under way")
	s.Advance(now.Add(4 * time.Second))
	feed(t, s, " x.example\r\n")
	assert.Equal(t, now.Add(4*time.Second+DefaultServerIdle), s.Deadline(), "line complete: idle timeout again")

	// One octet a second: cut at the floor, with 421 4.4.2.
	t1 := now.Add(10 * time.Second)
	s.Consumed(len(s.Output()))
	for i := range 10 {
		s.Advance(t1.Add(time.Duration(i) * time.Second))
		if s.Phase() == PhaseClosed {
			break
		}
		feed(t, s, "N")
	}
	assert.Equal(t, PhaseClosed, s.Phase(), "a trickled command is cut")
	assert.ErrorIs(t, s.Next().Err, ErrTimeout)
	assert.Contains(t, string(s.Output()), "421 4.4.2 localhost Timeout")

	t.Run("over-long line keeps its count", func(t *testing.T) {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, Timeouts: tm})
		s.Advance(start)
		feed(t, s, "")
		feed(t, s, strings.Repeat("A", 3000))
		// 3000 octets at 500/s: 6 s after the 5 s grace, whatever part of
		// the line the splitter dropped.
		assert.Equal(t, start.Add(11*time.Second), s.Deadline())
	})
	t.Run("no floor", func(t *testing.T) {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
		s.Advance(start)
		feed(t, s, "")
		feed(t, s, "EH")
		assert.Equal(t, start.Add(DefaultServerIdle), s.Deadline())
	})
}

func TestLineDeadline(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rate := Timeouts{MinDataRate: 100, RateGrace: time.Minute}
	assert.Equal(t, t0.Add(time.Hour+DefaultServerIdle), Timeouts{}.LineDeadline(t0, 10, t0.Add(time.Hour)), "no floor")
	assert.Equal(t, t0.Add(time.Minute+time.Second), rate.LineDeadline(t0, 100, t0.Add(10*time.Second)), "floor before idle")
	assert.Equal(t, t0.Add(DefaultServerIdle), rate.LineDeadline(t0, 1<<40, t0), "idle before floor")
}

// TestServerRefusedChunkDeadline: the chunk of a refused BDAT is read and
// dropped under the data timeouts counted from the BDAT, not from a body
// that never started: with a rate floor set, a chunk still to come used
// to time the session out at once (421 4.4.2 with no time passed).
func TestServerRefusedChunkDeadline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tm := Timeouts{MinDataRate: 500, RateGrace: 5 * time.Second}
	for _, tc := range []struct{ name, before string }{
		{"outside a transaction", ""},
		{"with no recipient", "MAIL FROM:<a@b.example>\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, Timeouts: tm})
			s.Advance(start)
			feed(t, s, "")
			feed(t, s, "EHLO x.example\r\n")
			feed(t, s, tc.before)
			now := start.Add(time.Minute)
			s.Advance(now)
			out := feed(t, s, "BDAT 6 LAST\r\n")
			assert.Empty(t, out, "the chunk is read before the answer")
			assert.Equal(t, now.Add(5*time.Second), s.Deadline(), "grace from the BDAT")
			s.Advance(now.Add(50 * time.Millisecond))
			assert.NotEqual(t, PhaseClosed, s.Phase())
			out = feed(t, s, "abcdef")
			assert.Contains(t, out, "503 ", "refused once its chunk is dropped (RFC 3030 2)")
			assert.NotEqual(t, PhaseClosed, s.Phase())
		})
	}
}

// TestServerEndlessLine: an over-long line is dropped as it comes, refused
// with 500 at its CRLF, and a line that runs past maxOverlongLine octets
// ends the session with 421: a client sending one fast would otherwise
// hold it whatever the timeouts and the rate floor.
func TestServerEndlessLine(t *testing.T) {
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	long := strings.Repeat("A", 64<<10)
	var out string
	for range (maxOverlongLine - 4096) / len(long) {
		out += feed(t, s, long)
	}
	assert.Empty(t, out, "nothing to say before the CRLF")
	assert.Contains(t, feed(t, s, "\r\n"), "500 5.5.2", "refused at its end (RFC 5321 4.5.3.1.4)")
	assert.NotEqual(t, PhaseClosed, s.Phase())
	for i := 0; i <= maxOverlongLine/len(long) && s.Phase() != PhaseClosed; i++ {
		out = feed(t, s, long)
	}
	assert.Equal(t, PhaseClosed, s.Phase(), "a line past maxOverlongLine ends the session")
	assert.Contains(t, out, "421 4.7.0 localhost Line too long")
	assert.ErrorIs(t, s.Next().Err, wire.ErrLineTooLong)
}

// TestServerJunkLimit: commands that move no mail are free up to MaxJunk
// since the last accepted message; past it each counts toward MaxErrors,
// so a client that only keeps the session alive is closed.
func TestServerJunkLimit(t *testing.T) {
	noops := func(s *Server, n int) string {
		var out strings.Builder
		for range n {
			out.WriteString(feed(t, s, "NOOP\r\n"))
			if s.Phase() == PhaseClosed {
				break
			}
		}
		return out.String()
	}
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	assert.Equal(t, DefaultMaxJunk, strings.Count(noops(s, DefaultMaxJunk), "250 "))
	// The 101st to the 109th are answered and counted; the 110th is the
	// 10th error.
	out := noops(s, DefaultMaxErrors)
	assert.Equal(t, DefaultMaxErrors-1, strings.Count(out, "250 "), "%q", out)
	assert.Contains(t, out, "421 4.7.0 localhost Too many errors")
	assert.Equal(t, PhaseClosed, s.Phase())
	assert.ErrorIs(t, s.Next().Err, ErrBusy)

	t.Run("an accepted message starts the count again", func(t *testing.T) {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
		feed(t, s, "")
		feed(t, s, "EHLO x.example\r\n")
		noops(s, DefaultMaxJunk)
		feed(t, s, "MAIL FROM:<a@b.example>\r\n")
		feed(t, s, "RCPT TO:<c@d.example>\r\n")
		feed(t, s, "DATA\r\n")
		assert.Contains(t, feed(t, s, "hi\r\n.\r\n"), "250 ")
		assert.Equal(t, DefaultMaxJunk, strings.Count(noops(s, DefaultMaxJunk), "250 "))
		assert.NotEqual(t, PhaseClosed, s.Phase())
	})
	t.Run("no limit", func(t *testing.T) {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, MaxJunk: -1})
		feed(t, s, "")
		noops(s, 3*DefaultMaxJunk)
		assert.NotEqual(t, PhaseClosed, s.Phase())
	})
}

// TestServerOverlongBDATLine: a BDAT line too long to read has a chunk
// that cannot be found; the session closes with 421 rather than run the
// chunk's octets as commands (RFC 3030 section 2), whether the line comes
// in one piece or in several.
func TestServerOverlongBDATLine(t *testing.T) {
	chunk := "RSET\r\nMAIL FROM:<evil@x.example>\r\n"
	line := "BDAT 33 LAST" + strings.Repeat(" ", 13000) + "\r\n"
	for _, pieces := range []int{1, 7} {
		s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
		feed(t, s, "")
		feed(t, s, "EHLO x.example\r\n")
		feed(t, s, "MAIL FROM:<a@b.example>\r\n")
		feed(t, s, "RCPT TO:<c@d.example>\r\n")
		in := line + chunk
		step := len(in)/pieces + 1
		var out string
		for i := 0; i < len(in) && s.Phase() != PhaseClosed; i += step {
			out += feed(t, s, in[i:min(i+step, len(in))])
		}
		assert.Equal(t, PhaseClosed, s.Phase(), "%d pieces", pieces)
		assert.Contains(t, out, "421 4.5.0", "%d pieces", pieces)
		assert.NotContains(t, out, "Sender OK", "%d pieces: chunk octets ran as commands", pieces)
		assert.ErrorIs(t, s.Next().Err, wire.ErrLineTooLong)
	}
	// Any other over-long line is refused and the session goes on.
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	assert.Contains(t, feed(t, s, "NOOP"+strings.Repeat(" ", 13000)+"\r\n"), "500 5.5.2")
	assert.Contains(t, feed(t, s, "NOOP\r\n"), "250 ")
}
