//go:build reliability

// This file proves serve answers garbage with well-formed replies (RFC
// 5321 section 4.2) and ends the session at the error limit (421 4.7.0
// after --max-errors, default 10; section 7.8): seeded random binary as
// command lines and as a raw stream, NUL inside commands, NUL in DATA and
// BDAT content (refused: section 4.1.1.4 and state.ServerConfig.AllowNUL),
// and 8-bit octets in commands without SMTPUTF8 (RFC 6531 section 3.4).
// Serve must go on serving a normal client afterwards.
package hostile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// garbageSeed makes the rounds reproducible; it is in every message.
const garbageSeed = 20261208

// randomLine returns 1 to 300 random octets without CR or LF, never
// starting with a letter so that no line can be a real command.
func randomLine(rng *rand.Rand) []byte {
	n := 1 + rng.IntN(300)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
		for b[i] == '\r' || b[i] == '\n' || i == 0 && (b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z') {
			b[i] = byte(rng.IntN(256))
		}
	}
	return b
}

// TestGarbageCommands sends random binary lines lock-step: each refused
// with a well-formed 5yz, the 10th with 421 4.7.0 and a close.
func TestGarbageCommands(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	rounds := scale(30, 500)
	rng := rand.New(rand.NewPCG(garbageSeed, 1))
	replies := 0
	for round := 0; round < rounds; round++ {
		c := dial(t, s.Addr)
		if round%2 == 0 {
			c.greet()
		} else {
			c.expect("220", "", "greeting")
		}
		for i := 1; i <= 10; i++ {
			line := randomLine(rng)
			what := fmt.Sprintf("seed %d round %d line %d %q", garbageSeed, round, i, trunc(string(line)))
			c.send(string(line) + "\r\n")
			r, err := c.readReply()
			require.NoError(t, err, what)
			replies++
			if i < 10 {
				require.Equal(t, byte('5'), r.Code[0], "%s: %v", what, r)
				continue
			}
			require.Equal(t, "421", r.Code, "%s: the 10th error: %v", what, r)
			if round%2 == 0 {
				require.Equal(t, "4.7.0", r.Enh(), "%s: %v", what, r)
			}
		}
		require.True(t, c.closed(ioWait), "round %d: open after 421", round)
		c.Close()
	}
	healthy(t, s, 1)
	t.Logf("RESULT garbage-commands: %d sessions x 10 random binary lines (seed %d): %d well-formed replies, each 9 x 5yz then 421 and close, serve still serving", rounds, garbageSeed, replies)
}

// TestGarbageStream sends random octets, CR and LF included, in big
// writes: whatever serve answers is well-formed, and it closes in bounded
// time.
func TestGarbageStream(t *testing.T) {
	rounds := scale(20, 200)
	total, replies, sessions := 0, 0, 0
	for k, pipelining := range []string{"strict", "allow"} {
		s := servetest.Start(t, bin, "--tls", "off", "--pipelining", pipelining)
		rng := rand.New(rand.NewPCG(garbageSeed, uint64(2+k)))
		for round := 0; round < rounds; round++ {
			c := dial(t, s.Addr)
			c.greet()
			buf := make([]byte, 16<<10)
			for i := range buf {
				buf[i] = byte(rng.IntN(256))
			}
			// Every LF ends a line (CRLF), and no line may be a real
			// command: each starts with a digit. Bare CRs stay.
			buf = bytes.ReplaceAll(buf, []byte("\n"), []byte("\r\n7"))
			total += len(buf)
			start := time.Now()
			_ = c.write(string(buf)) // serve may close (and reset) before it has all
			var last reply
			for {
				r, err := c.readReply()
				if err != nil {
					// EOF or a reset after 421: serve closed with input unread.
					require.True(t, isEOFOrReset(err), "seed %d round %d: %v", garbageSeed, round, err)
					break
				}
				replies++
				last = r
				require.Contains(t, []byte("45"), r.Code[0], "seed %d round %d: %v", garbageSeed, round, r)
			}
			if last.Code != "" {
				require.Equal(t, "421", last.Code, "seed %d round %d: the last reply", garbageSeed, round)
			}
			require.Less(t, time.Since(start), ioWait, "round %d", round)
			c.Close()
			sessions++
		}
		healthy(t, s, 1)
	}
	t.Logf("RESULT garbage-stream: %d sessions x 16+ KiB random octets in one write (seed %d, %d KiB in all) under --pipelining strict/allow: %d replies, all well-formed 4yz/5yz, each session closed after 421, serve still serving", sessions, garbageSeed, total/1024, replies)
}

// isEOFOrReset reports the end of a connection as readReply returns it.
func isEOFOrReset(err error) bool {
	return err.Error() == "EOF" || isReset(err) || strings.Contains(err.Error(), "EOF")
}

// TestNULAnd8Bit sends NUL inside commands and content and 8-bit octets
// in commands of a session without SMTPUTF8.
func TestNULAnd8Bit(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	cmds := []struct{ line, code string }{
		{"NO\x00OP\r\n", "500"},
		{"\x00\r\n", "500"},
		{"EHLO a\x00b.example\r\n", "501"},
		{"MAIL FROM:<a\x00@example.org>\r\n", "501"},
		{"MAIL FROM:<a@example.org>\x00\r\n", "501"},
		{"MAIL FROM:<caf\xc3\xa9@example.org>\r\n", "550"},
		{"MAIL FROM:<a@caf\xc3\xa9.example>\r\n", "5"},
		{"HELO caf\xc3\xa9.example\r\n", "501"},
		{"VRFY \xff\xfe\r\n", "5"},
	}
	c := dial(t, s.Addr)
	c.greet()
	for _, cmd := range cmds {
		c.send(cmd.line)
		r, err := c.readReply()
		require.NoError(t, err, "%q", cmd.line)
		require.True(t, strings.HasPrefix(r.Code, cmd.code), "%q: want %s, got %v", cmd.line, cmd.code, r)
	}
	// 8-bit in an argument NOOP ignores is harmless (RFC 5321 4.1.1.9).
	c.send("NOOP caf\xc3\xa9\r\n")
	c.expect("250", "", "NOOP with an 8-bit argument")
	// The 10th refused command ends the session.
	c.send("RCPT TO:<\x00>\r\n")
	c.expect("421", "4.7.0", "the 10th refused command")
	require.True(t, c.closed(ioWait), "open after 421")
	c.Close()

	// NUL in content: refused after the end of data, under DATA and BDAT.
	nuls := []string{"a\x00b\r\n", "\x00\r\n", "Subject: x\x00\r\n\r\nbody\r\n", "body\r\n\x00.\r\n"}
	sessions := 0
	for _, content := range nuls {
		for _, bdat := range []bool{false, true} {
			c := dial(t, s.Addr)
			c.greet()
			c.send("MAIL FROM:<ok@example.org>\r\n")
			c.expect("250", "", "MAIL")
			c.send("RCPT TO:<rcpt@example.net>\r\n")
			c.expect("250", "", "RCPT")
			if bdat {
				c.send(fmt.Sprintf("BDAT %d LAST\r\n%s", len(content), content))
			} else {
				c.send("DATA\r\n")
				c.expect("354", "", "DATA")
				c.send(content + ".\r\n")
			}
			c.expect("554", "5.6.0", fmt.Sprintf("NUL in content %q (BDAT %t)", content, bdat))
			c.send("QUIT\r\n")
			require.Equal(t, []string{"221"}, codes(c.drain(ioWait)))
			c.Close()
			sessions++
		}
	}
	newf, tmpf := s.Stored(t)
	require.Empty(t, newf, "a message with NUL was stored")
	require.Empty(t, tmpf)
	healthy(t, s, 1)
	t.Logf("RESULT nul-8bit: %d commands with NUL or 8-bit octets (no SMTPUTF8): 5yz each, 421 4.7.0 at the 10th error; NUL content in %d DATA/BDAT messages: 554 5.6.0 each, 0 stored; serve still serving", len(cmds)+2, sessions)
}
