//go:build reliability

// This file proves serve bounds every kind of line a client can make too
// long (RFC 5321 section 4.5.3.1; SPEC 2.6): a command line over 512
// octets gets 500 5.5.2 and the session goes on; an endless line without
// CRLF is discarded in bounded memory (VmRSS compared before and after)
// and, repeated, ends the session at the error limit (421 4.7.0, section
// 7.8); EHLO, BDAT and AUTH lines, SASL responses (RFC 4954 section 4:
// 500 5.5.6), paths over 256 octets (501, section 4.5.3.1.3), local parts
// over 64 (section 4.5.3.1.1) and domains over 255 (section 4.5.3.1.2).
// A DATA line over 998 octets is accepted and stored whole: serve sets no
// state.ServerConfig.MaxDataLine, which section 4.5.3.1.6 allows (1000 is
// the least a server must accept).
package hostile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOverlongCommandLines checks the 512-octet command line bound at its
// edge and far beyond, for NOOP, EHLO, MAIL, RCPT, BDAT and AUTH.
func TestOverlongCommandLines(t *testing.T) {
	s := servetest.Start(t, bin, "--user", "alice:secret", "--insecure-auth", "--tls", "off")
	R := strings.Repeat
	checks := 0

	c := dial(t, s.Addr)
	c.expect("220", "", "greeting")
	// EHLO with an argument that makes the line 600+ octets: refused, and
	// the session is still usable.
	c.send("EHLO " + R("h", 600) + ".example\r\n")
	r := c.expect("500", "", "EHLO with an overlong argument")
	require.Contains(t, r.String(), "too long")
	c.send("EHLO client.example\r\n")
	c.expect("250", "", "EHLO after the overlong one")
	// RFC 5321 4.5.3.1.4: 512 octets including the verb and CRLF.
	c.send("NOOP " + R("a", 505) + "\r\n")
	c.expect("250", "", "NOOP line of 512 octets")
	c.send("NOOP " + R("a", 506) + "\r\n")
	c.expect("500", "5.5.2", "NOOP line of 513 octets")
	c.send("NOOP " + R("a", 100_000) + "\r\n")
	c.expect("500", "5.5.2", "NOOP line of 100 kB")
	// Paths (RFC 5321 4.5.3.1.1-3): exactly 256 octets with the brackets
	// pass; one more is refused, as are a 65-octet local part and a 256
	// octet domain.
	path256 := R("a", 64) + "@" + R("b", 60) + "." + R("c", 60) + "." + R("d", 63) + ".com"
	require.Len(t, "<"+path256+">", 256)
	c.send("MAIL FROM:<" + path256 + ">\r\n")
	c.expect("250", "", "MAIL with a 256-octet path")
	c.send("RSET\r\n")
	c.expect("250", "", "RSET")
	c.send("MAIL FROM:<" + R("a", 64) + "@" + R("b", 61) + "." + R("c", 60) + "." + R("d", 63) + ".com>\r\n")
	r = c.expect("501", "5.1.7", "MAIL with a 257-octet path")
	require.Contains(t, r.String(), "256")
	c.send("MAIL FROM:<" + R("a", 65) + "@x.example>\r\n")
	c.expect("501", "5.1.7", "MAIL with a 65-octet local part")
	c.send("MAIL FROM:<ok@example.org>\r\n")
	c.expect("250", "", "MAIL")
	c.send("RCPT TO:<" + R("a", 65) + "@x.example>\r\n")
	c.expect("501", "5.1.3", "RCPT with a 65-octet local part")
	c.send("RCPT TO:<a@" + R("b.", 128) + "com>\r\n")
	c.expect("501", "5.1.3", "RCPT with a 259-octet domain")
	c.send("RSET\r\n")
	c.expect("250", "", "RSET")
	// AUTH: an initial response that overflows the command line is
	// refused as a line (RFC 4954 section 4: the client must omit it);
	// a SASL response line over 12288 octets is 500 5.5.6.
	c.send("AUTH PLAIN " + R("A", 13000) + "\r\n")
	c.expect("500", "5.5.2", "AUTH line of 13 kB")
	c.send("AUTH PLAIN\r\n")
	c.expect("334", "", "AUTH PLAIN without initial response")
	c.send(R("A", 13000) + "\r\n")
	c.expect("500", "5.5.6", "SASL response of 13 kB")
	c.send("NOOP\r\n")
	c.expect("250", "", "NOOP after the SASL overflow")
	c.send("QUIT\r\n")
	c.expect("221", "", "QUIT")
	checks += 15

	newf, _ := s.Stored(t)
	require.Empty(t, newf, "nothing stored")
	t.Logf("RESULT overlong-commands: %d checks (EHLO 600+, NOOP 512/513/100k, path 256/257, local part 65, domain 259, AUTH 13k, SASL 13k): 500 5.5.2 / 501 / 500 5.5.6 as RFC 5321 4.5.3.1 and RFC 4954 4 ask, sessions usable after, 0 messages stored", checks)
}

// TestOverlongBDATLine sends a BDAT command line over 512 octets (RFC
// 5321 section 4.5.3.1.4; RFC 3030 section 2), alone and with its chunk
// and QUIT in the same write. The line must be refused as too long (500
// 5.5.2, section 4.5.3.1.10) or the session closed with 421 because the
// chunk size cannot be trusted; it must not be a "timeout" that never
// happened, the chunk's octets must never run as commands, and nothing may
// be stored.
func TestOverlongBDATLine(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	R := strings.Repeat
	lines := []string{
		"BDAT " + R("0", 600) + "6 LAST\r\n",  // an overlong number
		"BDAT 6 LAST" + R(" ", 600) + "\r\n",  // trailing white space
		"BDAT 6 LAST " + R("X", 600) + "\r\n", // an overlong parameter
	}
	sessions, falseTimeouts := 0, 0
	for _, line := range lines {
		for _, withChunk := range []bool{false, true} {
			c := dial(t, s.Addr)
			c.greet()
			c.send("MAIL FROM:<ok@example.org>\r\n")
			c.expect("250", "", "MAIL")
			c.send("RCPT TO:<rcpt@example.net>\r\n")
			c.expect("250", "", "RCPT")
			what := fmt.Sprintf("overlong BDAT line %q (chunk in the same write: %t, else 50 ms later)", trunc(line), withChunk)
			var got []reply
			if withChunk {
				c.send(line + "NOOP\r\nQUIT\r\n")
				got = c.drain(ioWait)
			} else {
				// The chunk in a later write, as a chunk larger than one
				// read always comes.
				c.send(line)
				time.Sleep(50 * time.Millisecond)
				_ = c.write("NOOP\r\nQUIT\r\n")
				got = c.drain(ioWait)
			}
			sessions++
			require.NotEmpty(t, got, what)
			if got[0].Enh() == "4.4.2" {
				falseTimeouts++
			}
			if got[0].Code == "421" {
				assert.NotEqual(t, "4.4.2", got[0].Enh(), "%s: a 421 timeout %v at once, no timeout passed", what, got)
				assert.Len(t, got, 1, "%s: replies %v", what, got)
			} else {
				// 500 (too long) or 501 (a parameter serve reads past the
				// bound); the chunk's octets are skipped, never run.
				assert.Contains(t, []string{"500", "501"}, got[0].Code, "%s: replies %v", what, got)
				assert.Equal(t, []string{got[0].Code, "221"}, codes(got), "%s: the chunk's octets ran as commands? replies %v", what, got)
			}
			c.Close()
		}
	}
	// The same with a BDAT refused for its sequence (no RCPT): the chunk
	// arrives in a later write, as any chunk larger than one read does.
	c := dial(t, s.Addr)
	c.greet()
	c.send("MAIL FROM:<ok@example.org>\r\n")
	c.expect("250", "", "MAIL")
	c.send("BDAT 6 LAST\r\n")
	time.Sleep(50 * time.Millisecond)
	c.send("NOOP\r\nQUIT\r\n")
	got := c.drain(ioWait)
	sessions++
	if len(got) > 0 && got[0].Enh() == "4.4.2" {
		falseTimeouts++
	}
	assert.Equal(t, []string{"503", "221"}, codes(got), "BDAT without RCPT, chunk in a later write: replies %v", got)
	c.Close()
	newf, _ := s.Stored(t)
	require.Empty(t, newf, "nothing stored")
	t.Logf("RESULT overlong-bdat-line: %d sessions (3 BDAT lines over 512 octets x chunk in the same write / 50 ms later, plus 1 refused BDAT without RCPT whose chunk comes later): %d ended by an instant 421 4.4.2 Timeout (want 0), 0 messages stored", sessions, falseTimeouts)
}

// TestRefusedBDATChunkConsumed is the honest-client face of what
// TestOverlongBDATLine finds: a pipelining client whose only RCPT is
// refused sends "BDAT 200000 LAST" and its chunk in one write. RFC 3030
// section 4.2 (and SPEC 2.10): the server reads and discards the chunk,
// answers the BDAT (503/554, no valid recipients), and the session goes
// on. A chunk this large arrives in many reads.
func TestRefusedBDATChunkConsumed(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	c := dial(t, s.Addr)
	c.greet()
	c.send("MAIL FROM:<ok@example.org>\r\nRCPT TO:<bad>\r\nBDAT 200000 LAST\r\n" + strings.Repeat("x", 200000) + "QUIT\r\n")
	got := c.drain(ioWait)
	c.Close()
	t.Logf("RESULT refused-bdat-chunk: pipelined MAIL, refused RCPT, BDAT 200000 LAST with its chunk, QUIT: replies %v (want 250, 501, 5yz, 221)", codes(got))
	require.Len(t, got, 4, "replies %v", got)
	require.Equal(t, []string{"250", "501"}, codes(got[:2]), "replies %v", got)
	require.Equal(t, byte('5'), got[2].Code[0], "the refused BDAT: %v", got)
	require.Equal(t, "221", got[3].Code, "replies %v", got)
}

// TestEndlessLine sends a line without CRLF of many megabytes and proves
// serve discards it in bounded memory and ends the session with 421 4.7.0
// once the line passes 1 MiB (a client sending one fast passes every
// timeout and rate floor); then that an over-long line which ends is
// refused with one 500, and that repeating it closes at the error limit.
func TestEndlessLine(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	mib := scale(16, 256)
	healthy(t, s, 1) // warm up: RSS after one normal session
	before := s.RSSKiB(t)
	c := dial(t, s.Addr)
	c.greet()
	chunk := strings.Repeat("A", 1<<20)
	start := time.Now()
	written := 0
	for i := 0; i < mib; i++ {
		if c.write(chunk) != nil {
			break // serve closed the connection
		}
		written++
	}
	elapsed := time.Since(start)
	during := s.RSSKiB(t)
	r, err := c.readReply()
	require.NoError(t, err, "the 421 that ends the endless line")
	require.Equal(t, "421", r.Code, "reply %v", r)
	require.True(t, c.closed(ioWait), "connection still open after 421")
	require.Less(t, written, mib, "serve read all %d MiB of the line", mib)

	// An over-long line that ends is refused once; the error limit ends a
	// client that repeats it (RFC 5321 section 7.8).
	c = dial(t, s.Addr)
	c.greet()
	c.send(strings.Repeat("A", 512<<10) + "\r\n")
	c.expect("500", "", "an over-long line once it ends")
	var got []reply
	for i := 0; i < 12; i++ {
		if c.write(strings.Repeat("B", 64<<10)+"\r\n") != nil {
			break
		}
		r, err := c.readReply()
		if err != nil {
			break
		}
		got = append(got, r)
		if r.Code == "421" {
			break
		}
	}
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	require.Equal(t, "421", last.Code, "replies %v", got)
	require.Len(t, got, 9, "the 10th refused command closes: replies %v", got)
	require.True(t, c.closed(ioWait), "connection still open after 421")
	growth := during - before
	require.Less(t, growth, int64(16<<10), "serve grew by %d KiB reading an endless line", growth)
	healthy(t, s, 2)
	t.Logf("RESULT endless-line: a line without CRLF: serve closed with 421 and the client's writes failed after %d of %d MiB (%v) (a line past 1 MiB ends the session), RSS %d -> %d KiB (+%d KiB, bound 16 MiB); an over-long line that ends: one 500, 421 and close at the 10th error; still serving after", written, mib, elapsed.Round(time.Millisecond), before, during, growth)
}

// TestOverlongDataLine sends DATA content lines of 999, 1001 and 100000
// octets: serve sets no MaxDataLine, so they are accepted and must be
// stored whole (RFC 5321 section 4.5.3.1.6 sets 1000 with CRLF as the
// least to accept; nothing may be cut or folded silently).
func TestOverlongDataLine(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	sizes := []int{998, 999, 1001, 100_000, scale(1<<20, 8<<20)}
	for i, n := range sizes {
		c := dial(t, s.Addr)
		c.greet()
		c.send("MAIL FROM:<ok@example.org>\r\n")
		c.expect("250", "", "MAIL")
		c.send("RCPT TO:<rcpt@example.net>\r\n")
		c.expect("250", "", "RCPT")
		c.send("DATA\r\n")
		c.expect("354", "", "DATA")
		line := "L" + strconv.Itoa(n) + strings.Repeat("x", n)
		line = line[:n]
		c.send("Subject: long " + strconv.Itoa(n) + "\r\n\r\n" + line + "\r\nend\r\n.\r\n")
		c.expect("250", "", "DATA line of "+strconv.Itoa(n)+" octets")
		c.send("QUIT\r\n")
		c.expect("221", "", "QUIT")
		c.Close()
		waitStored(t, s, i+1)
	}
	msgs := messages(t, s)
	for _, n := range sizes {
		want := "Subject: long " + strconv.Itoa(n) + "\r\n\r\n" + ("L" + strconv.Itoa(n) + strings.Repeat("x", n))[:n] + "\r\nend\r\n"
		found := false
		for _, m := range msgs {
			if body(m) == want {
				found = true
			}
		}
		require.True(t, found, "the message with a %d-octet line is not stored whole", n)
	}
	t.Logf("RESULT overlong-data-line: DATA lines of %v octets: all 250 and stored byte for byte (serve sets no MaxDataLine; RFC 5321 4.5.3.1.6 allows longer lines)", sizes)
}
