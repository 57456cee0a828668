//go:build reliability

// This file proves a client cannot hold a session for ever with commands
// that move no mail: past --max-junk (default 100, Postfix's
// smtpd_junk_command_limit) NOOP, RSET, VRFY, EXPN, HELP and ETRN since the
// last accepted message, each counts as an error, and the error limit
// closes the session with 421 4.7.0 (RFC 5321 section 7.8); an accepted
// message starts the count again, so a client that delivers is never cut.
package hostile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// TestJunkCommands keeps sessions alive with NOOP, RSET and HELP only,
// and contrasts one that delivers a message every 90 commands.
func TestJunkCommands(t *testing.T) {
	s := servetest.Start(t, bin, "--tls", "off")
	junk := []string{"NOOP", "RSET", "HELP", "NOOP"}
	c := dial(t, s.Addr)
	c.greet()
	c.send("EHLO junk.example\r\n")
	c.expect("250", "", "EHLO")
	n, last := 0, reply{}
	for ; n < 1000; n++ {
		if c.write(junk[n%len(junk)]+"\r\n") != nil {
			break
		}
		r, err := c.readReply()
		if err != nil {
			break
		}
		last = r
		if r.Code == "421" {
			n++
			break
		}
	}
	require.Equal(t, "421", last.Code, "a session of junk commands was never closed: last reply %v", last)
	require.Equal(t, "4.7.0", last.Enh())
	require.Equal(t, 110, n, "closed at the 10th junk command past 100 (RFC 5321 7.8)")
	require.True(t, c.closed(ioWait), "connection still open after 421")

	// A client that delivers between its NOOPs is never cut.
	c = dial(t, s.Addr)
	c.greet()
	c.send("EHLO busy.example\r\n")
	c.expect("250", "", "EHLO")
	rounds := scale(5, 20)
	for round := 0; round < rounds; round++ {
		for i := 0; i < 90; i++ {
			c.send("NOOP\r\n")
			c.expect("250", "", "NOOP")
		}
		c.send(fmt.Sprintf("MAIL FROM:<busy%d@example.org>\r\n", round))
		c.expect("250", "", "MAIL")
		c.send("RCPT TO:<rcpt@example.net>\r\n")
		c.expect("250", "", "RCPT")
		c.send("DATA\r\n")
		c.expect("354", "", "DATA")
		c.send("Subject: busy\r\n\r\nround " + strings.Repeat("x", round) + "\r\n.\r\n")
		c.expect("250", "", "end of data")
	}
	c.send("QUIT\r\n")
	c.expect("221", "", "QUIT")
	waitStored(t, s, rounds)
	healthy(t, s, rounds+1)
	t.Logf("RESULT junk-commands: a session of NOOP/RSET/HELP only: 421 4.7.0 and close at command %d (100 free, then 10 errors); a session with a message every 90 NOOPs: %d messages, %d NOOPs, never cut", n, rounds, rounds*90)
}
