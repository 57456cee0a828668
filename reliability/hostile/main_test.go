//go:build reliability

// This file holds what every hostile test shares: TestMain (builds
// cmd/smtpkit once), the scale (SMTPKIT_RELIABILITY), a raw TCP
// connection with deadlines that reads replies and proves each one
// well-formed (RFC 5321 section 4.2), and Maildir readers. It proves
// nothing by itself.
package hostile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// bin is the smtpkit binary TestMain built.
var bin string

func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &bin)) }

// long reports SMTPKIT_RELIABILITY=long: more rounds, more connections,
// bigger inputs. Unset or "short" is the CI scale.
func long() bool { return os.Getenv("SMTPKIT_RELIABILITY") == "long" }

// scale returns short or, under SMTPKIT_RELIABILITY=long, long.
func scale(short, lng int) int {
	if long() {
		return lng
	}
	return short
}

// ioWait bounds every single read or write on a raw connection; a stuck
// case fails with a message instead of hanging.
const ioWait = 10 * time.Second

// reply is one complete SMTP reply as read from the wire.
type reply struct {
	Code  string   // the three digits
	Lines []string // every line without its CRLF
}

// String returns the reply's lines joined by " | ".
func (r reply) String() string { return strings.Join(r.Lines, " | ") }

// Enh returns the enhanced status code of the first line ("4.7.0"), or "".
func (r reply) Enh() string {
	f := strings.Fields(r.Lines[0][4:])
	if len(f) > 0 && enhRE.MatchString(f[0]) {
		return f[0]
	}
	return ""
}

var (
	// replyLineRE is the reply-line grammar of RFC 5321 section 4.2: a
	// code 2-5 x 0-9 x 0-9, then SP or "-" and printable text.
	replyLineRE = regexp.MustCompile(`^[2-5][0-5][0-9]([ -][\x20-\x7e\t]*)?$`)
	enhRE       = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)
)

// conn is a raw client connection to serve with a deadline on every read
// and write.
type conn struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

// dial connects to addr over TCP.
func dial(t testing.TB, addr string) *conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, ioWait)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	return &conn{t: t, nc: nc, r: bufio.NewReaderSize(nc, 4096)}
}

// Close closes the connection.
func (c *conn) Close() { _ = c.nc.Close() }

// write sends p in one write.
func (c *conn) write(p string) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(ioWait))
	_, err := c.nc.Write([]byte(p))
	return err
}

// send sends p in one write and fails the test on an error.
func (c *conn) send(p string) {
	c.t.Helper()
	require.NoError(c.t, c.write(p), "write %q", trunc(p))
}

// readReply reads one reply and checks every line against the reply
// grammar (RFC 5321 section 4.2) and the 512-octet bound (section
// 4.5.3.1.5). It returns io.EOF when the connection ended before a reply
// began.
func (c *conn) readReply() (reply, error) {
	var r reply
	_ = c.nc.SetReadDeadline(time.Now().Add(ioWait))
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			if len(r.Lines) == 0 && line == "" && (errors.Is(err, io.EOF) || isReset(err)) {
				return r, io.EOF
			}
			return r, fmt.Errorf("reading a reply after %q: %w (partial %q)", r.Lines, err, line)
		}
		if len(line) > 512 {
			return r, fmt.Errorf("reply line of %d octets > 512 (RFC 5321 4.5.3.1.5): %q", len(line), trunc(line))
		}
		if !strings.HasSuffix(line, "\r\n") {
			return r, fmt.Errorf("reply line without CRLF: %q", line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		if !replyLineRE.MatchString(line) {
			return r, fmt.Errorf("malformed reply line %q", line)
		}
		if r.Code != "" && line[:3] != r.Code {
			return r, fmt.Errorf("multi-line reply changes its code: %q", append(r.Lines, line))
		}
		r.Code = line[:3]
		r.Lines = append(r.Lines, line)
		if len(line) == 3 || line[3] == ' ' {
			return r, nil
		}
		if len(r.Lines) > 100 {
			return r, fmt.Errorf("reply of more than 100 lines")
		}
	}
}

// expect reads one reply and requires its code (and enhanced code when
// enh is not empty).
func (c *conn) expect(code, enh, what string) reply {
	c.t.Helper()
	r, err := c.readReply()
	require.NoError(c.t, err, "%s: want %s", what, code)
	require.Equal(c.t, code, r.Code, "%s: reply %q", what, r.String())
	if enh != "" {
		require.Equal(c.t, enh, r.Enh(), "%s: reply %q", what, r.String())
	}
	return r
}

// greet reads the 220 greeting and sends EHLO, returning the EHLO reply.
func (c *conn) greet() reply {
	c.t.Helper()
	c.expect("220", "", "greeting")
	c.send("EHLO client.example\r\n")
	return c.expect("250", "", "EHLO")
}

// drain reads replies until the connection ends, within limit, and
// returns them. It fails the test if a reply is malformed or the
// connection stays open past limit.
func (c *conn) drain(limit time.Duration) []reply {
	c.t.Helper()
	var out []reply
	end := time.Now().Add(limit)
	for {
		if time.Now().After(end) {
			c.t.Fatalf("connection still open after %v; replies %v", limit, out)
		}
		r, err := c.readReply()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(c.t, err, "after replies %v", out)
		out = append(out, r)
	}
}

// closed reports whether the server closed the connection: a read gets
// EOF (or a reset) within wait.
func (c *conn) closed(wait time.Duration) bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(wait))
	var b [1]byte
	for {
		_, err := c.r.Read(b[:])
		if err != nil {
			return errors.Is(err, io.EOF) || isReset(err)
		}
	}
}

// isReset reports a connection reset or broken pipe: serve closing with
// unread input makes the kernel send RST.
func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// codes returns the codes of rs.
func codes(rs []reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

// trunc shortens s for a message.
func trunc(s string) string {
	if len(s) > 120 {
		return s[:120] + fmt.Sprintf("...(%d octets)", len(s))
	}
	return s
}

// messages returns the contents of the messages in the Maildir's new/.
func messages(t testing.TB, s *servetest.Serve) []string {
	t.Helper()
	names, _ := s.Stored(t)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(s.Maildir, "new", n))
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// waitStored waits until the Maildir holds n messages and serve printed
// n accepted lines, or fails.
func waitStored(t testing.TB, s *servetest.Serve, n int) {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for time.Now().Before(end) {
		if newf, _ := s.Stored(t); len(newf) == n && s.Accepted() == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	newf, tmpf := s.Stored(t)
	t.Fatalf("want %d stored and accepted; new/ %d, tmp/ %d, accepted %d", n, len(newf), len(tmpf), s.Accepted())
}

// body returns a message's content after serve's Return-Path and
// Received header fields.
func body(msg string) string {
	i := strings.Index(msg, "\r\nReceived: ")
	if i < 0 {
		return msg
	}
	rest := msg[i+2:]
	// The Received field may be folded: it ends at the first line that
	// does not start with white space.
	for {
		j := strings.Index(rest, "\r\n")
		if j < 0 {
			return ""
		}
		rest = rest[j+2:]
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			return rest
		}
	}
}

// healthy proves serve still serves a normal client: a whole transaction
// stored as message number n (1-based) in the Maildir.
func healthy(t testing.TB, s *servetest.Serve, n int) {
	t.Helper()
	c := dial(t, s.Addr)
	defer c.Close()
	c.greet()
	c.send("MAIL FROM:<ok@example.org>\r\n")
	c.expect("250", "", "MAIL")
	c.send("RCPT TO:<ok@example.net>\r\n")
	c.expect("250", "", "RCPT")
	c.send("DATA\r\n")
	c.expect("354", "", "DATA")
	c.send("Subject: healthy\r\n\r\nstill serving\r\n.\r\n")
	c.expect("250", "", "end of data")
	c.send("QUIT\r\n")
	c.expect("221", "", "QUIT")
	waitStored(t, s, n)
}

// contains reports whether any of msgs contains sub.
func contains(msgs []string, sub string) bool {
	for _, m := range msgs {
		if bytes.Contains([]byte(m), []byte(sub)) {
			return true
		}
	}
	return false
}
