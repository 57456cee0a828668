//go:build reliability

// This file proves that no SMTP smuggling variant (SPEC 2.8; SEC Consult
// 2023, CVE-2023-51764/51765/51766) gets a second, spoofed message into
// serve's Maildir: every non-canonical end-of-data sequence is sent inside
// DATA content and inside a BDAT chunk, lock-step and pipelined, under
// --bare-lf reject (the default), normalize and allow, and under
// --pipelining strict (the default) and allow. Each session must get
// exactly the expected replies, and the Maildir must hold exactly the
// legitimate messages that got 250, each whole, never one from the
// smuggled commands.
package hostile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// smuggleVariant is one non-canonical end-of-data sequence.
type smuggleVariant struct {
	name string
	seq  string
}

// smuggleVariants are the smtpsmug and The-Login sequences of SPEC 2.8,
// plus a few neighbours: a bare CR or LF alone, a NUL before a bare LF,
// a "stuffed" dot after a bare LF and dot lines that are not "." alone.
// None of them is <CRLF>.<CRLF> (RFC 5321 section 4.1.1.4).
var smuggleVariants = []smuggleVariant{
	{"lflf", "\n.\n"},
	{"crcr", "\r.\r"},
	{"crlf", "\r.\n"},
	{"lfcr", "\n.\r"},
	{"lfcrlf", "\n.\r\n"},
	{"crcrlf", "\r.\r\n"},
	{"crlflf", "\r\n.\n"},
	{"crlfcr", "\r\n.\r"},
	{"nullbefore", "\r\n\x00.\r\n"},
	{"nullafter", "\r\n.\x00\r\n"},
	{"crlf-dot-crcrlf", "\r\n.\r\r\n"},
	{"crcrlf-dot-crcrlf", "\r\r\n.\r\r\n"},
	{"bare-lf", "\n"},
	{"bare-cr", "\r"},
	{"nul-lflf", "\x00\n.\n"},
	{"lf-dotdot-lf", "\n..\n"},
	{"dot-space", "\r\n. \r\n"},
	{"dot-tab", "\r\n.\t\r\n"},
}

// hasBare reports a CR not followed by LF or an LF not preceded by CR
// (RFC 5321 section 2.3.8).
func hasBare(s string) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\r' && (i+1 == len(s) || s[i+1] != '\n'):
			return true
		case s[i] == '\n' && (i == 0 || s[i-1] != '\r'):
			return true
		}
	}
	return false
}

// smuggleConfig is one serve configuration of the matrix.
type smuggleConfig struct {
	bare, pipelining string
}

// TestSmuggling sends every variant x {DATA, BDAT} x {lock-step,
// pipelined} to serve under each bare-line and pipelining policy.
func TestSmuggling(t *testing.T) {
	configs := []smuggleConfig{
		{"reject", "strict"}, {"normalize", "strict"}, {"allow", "strict"},
		{"reject", "allow"}, {"normalize", "allow"}, {"allow", "allow"},
	}
	sessions, stored, refused := 0, 0, 0
	for _, cfg := range configs {
		t.Run("bare-"+cfg.bare+"/pipelining-"+cfg.pipelining, func(t *testing.T) {
			s := servetest.Start(t, bin, "--bare-lf", cfg.bare, "--pipelining", cfg.pipelining, "--tls", "off")
			want := 0 // messages the Maildir must hold
			for i, v := range smuggleVariants {
				for _, bdat := range []bool{false, true} {
					for _, piped := range []bool{false, true} {
						id := fmt.Sprintf("%s-%s-%d-%t-%t", cfg.bare, cfg.pipelining, i, bdat, piped)
						ok := smuggleSession(t, s, cfg, v, id, bdat, piped)
						sessions++
						if ok {
							want++
							stored++
						} else {
							refused++
						}
						checkSmuggleMaildir(t, s, want, id, ok)
						if t.Failed() {
							t.Fatalf("variant %s (%q) bdat=%t pipelined=%t failed", v.name, v.seq, bdat, piped)
						}
					}
				}
			}
		})
	}
	t.Logf("| variant | bytes | --bare-lf reject | normalize | allow | pipelined DATA under --pipelining strict |")
	t.Logf("|---|---|---|---|---|---|")
	for _, v := range smuggleVariants {
		t.Logf("| %s | %s | %s | %s | %s | 421 |", v.name, strconv.Quote(v.seq),
			expectedEnd(smuggleConfig{bare: "reject"}, v.seq), expectedEnd(smuggleConfig{bare: "normalize"}, v.seq),
			expectedEnd(smuggleConfig{bare: "allow"}, v.seq))
	}
	t.Logf("RESULT smuggling: %d variants x DATA/BDAT x lock-step/pipelined x %d policies (bare-lf reject/normalize/allow x pipelining strict/allow) = %d sessions, %d legitimate messages stored whole, %d refused whole, 0 smuggled messages stored",
		len(smuggleVariants), len(configs), sessions, stored, refused)
}

// smuggleContent is the message: a legitimate part, the variant, then a
// whole smuggled transaction; it ends with CRLF.
func smuggleContent(id, seq string) string {
	return "Subject: case " + id + "\r\n\r\nlegit body " + id + "\r\npart" + seq +
		"MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n" +
		"Subject: SMUGGLED " + id + "\r\n\r\nsmuggled\r\n"
}

// expectedEnd is the reply code serve must give the legitimate message:
// 554 for NUL (RFC 5321 section 4.1.1.4 forbids it without an extension;
// serve does not set AllowNUL) and for bare CR or LF under reject, 250
// otherwise.
func expectedEnd(cfg smuggleConfig, seq string) string {
	switch {
	case strings.ContainsRune(seq, 0):
		return "554"
	case hasBare(seq) && cfg.bare == "reject":
		return "554"
	}
	return "250"
}

// smuggleSession runs one session and reports whether the legitimate
// message was accepted (250).
func smuggleSession(t *testing.T, s *servetest.Serve, cfg smuggleConfig, v smuggleVariant, id string, bdat, piped bool) bool {
	t.Helper()
	c := dial(t, s.Addr)
	defer c.Close()
	c.greet()
	content := smuggleContent(id, v.seq)
	end := expectedEnd(cfg, v.seq)
	env := "MAIL FROM:<legit@example.org>\r\nRCPT TO:<rcpt@example.net>\r\n"
	var got []reply
	switch {
	case piped && bdat:
		// RFC 3030 section 4.2: BDAT may be pipelined; QUIT is last.
		c.send(env + "BDAT " + strconv.Itoa(len(content)) + " LAST\r\n" + content + "QUIT\r\n")
		got = c.drain(ioWait)
		require.Equal(t, []string{"250", "250", end, "221"}, codes(got), "%s: replies %v", id, got)
	case piped:
		// The whole transaction in one write: content before its 354 breaks
		// RFC 2920 section 3.1 (DATA ends a group).
		c.send(env + "DATA\r\n" + content + ".\r\nQUIT\r\n")
		got = c.drain(ioWait)
		if cfg.pipelining == "strict" {
			require.Equal(t, []string{"250", "250", "421"}, codes(got), "%s: replies %v", id, got)
			return false
		}
		require.Equal(t, []string{"250", "250", "354", end, "221"}, codes(got), "%s: replies %v", id, got)
	default:
		c.send("MAIL FROM:<legit@example.org>\r\n")
		c.expect("250", "", id+" MAIL")
		c.send("RCPT TO:<rcpt@example.net>\r\n")
		c.expect("250", "", id+" RCPT")
		if bdat {
			c.send("BDAT " + strconv.Itoa(len(content)) + " LAST\r\n" + content)
		} else {
			c.send("DATA\r\n")
			c.expect("354", "", id+" DATA")
			c.send(content + ".\r\n")
		}
		r := c.expect(end, "", id+" end of data")
		if end == "554" {
			require.Equal(t, "5.6.0", r.Enh(), "%s: %s", id, r)
		}
		// Whatever the server made of the content, only QUIT follows.
		c.send("QUIT\r\n")
		got = c.drain(ioWait)
		require.Equal(t, []string{"221"}, codes(got), "%s: replies after the message %v", id, got)
	}
	return end == "250"
}

// checkSmuggleMaildir proves the Maildir holds exactly want messages,
// none from the smuggled envelope, and, when the case's message was
// accepted, that it is stored whole with the smuggled commands as text.
func checkSmuggleMaildir(t *testing.T, s *servetest.Serve, want int, id string, ok bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	var msgs []string
	for {
		msgs = messages(t, s)
		if len(msgs) >= want && s.Accepted() >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, want, len(msgs), "%s: messages stored (a smuggled one among them?)", id)
	require.Equal(t, want, s.Accepted(), "%s: accepted lines", id)
	for _, m := range msgs {
		require.True(t, strings.HasPrefix(m, "Return-Path: <legit@example.org>\r\n"),
			"%s: a stored message has another sender (smuggled?): %q", id, trunc(m))
		require.NotContains(t, body(m)[:min(len(body(m)), 40)], "SMUGGLED", "%s: a message starts with the smuggled one", id)
	}
	if !ok {
		require.False(t, contains(msgs, "case "+id+"\r\n"), "%s: a refused message was stored", id)
		return
	}
	var mine string
	for _, m := range msgs {
		if strings.Contains(m, "Subject: case "+id+"\r\n") {
			mine = m
		}
	}
	require.NotEmpty(t, mine, "%s: the accepted message is not in the Maildir", id)
	b := body(mine)
	require.True(t, strings.HasPrefix(b, "Subject: case "+id+"\r\n\r\nlegit body "+id+"\r\npart"), "%s: stored %q", id, b)
	require.Contains(t, b, "MAIL FROM:<evil@attacker.example>", "%s: the smuggled commands are not stored as text", id)
	require.True(t, strings.HasSuffix(b, "Subject: SMUGGLED "+id+"\r\n\r\nsmuggled\r\n"), "%s: stored %q", id, b)
}
