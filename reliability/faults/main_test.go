//go:build reliability

package faults

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// bin is the smtpkit binary built by TestMain.
var bin string

func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &bin)) }

// scale is the size of every test in this package.
type scale struct {
	name string
	// cuts per mode (DATA, BDAT) whose message must not be stored, and
	// cuts after the whole end of data, which may be stored.
	cuts, afterEnd int
	// messages sent through the faulty handler; each fault kind comes
	// round messages/len(kinds) times.
	messages int
}

var scales = map[string]scale{
	"short": {name: "short", cuts: 100, afterEnd: 10, messages: 64},
	"long":  {name: "long", cuts: 1000, afterEnd: 100, messages: 640},
}

// sizes returns the scale SMTPKIT_RELIABILITY selects: unset or "short"
// (CI), or "long".
func sizes(t *testing.T) scale {
	t.Helper()
	v := os.Getenv("SMTPKIT_RELIABILITY")
	if v == "" {
		v = "short"
	}
	s, ok := scales[v]
	if !ok {
		t.Fatalf("SMTPKIT_RELIABILITY=%q: want short or long", v)
	}
	return s
}

// rawTimeout bounds every read and write on a raw connection.
const rawTimeout = 10 * time.Second

// raw is a hand-driven SMTP connection: the cut tests need to stop at any
// octet, which no client does.
type raw struct {
	t  testing.TB
	nc *net.TCPConn
	br *bufio.Reader
}

// dialRaw connects, reads the 220 greeting and says EHLO (lock-step, as
// RFC 2920 section 3.1 requires of EHLO); it returns the EHLO keywords.
func dialRaw(t testing.TB, addr string) (*raw, []string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, rawTimeout)
	require.NoError(t, err)
	r := &raw{t: t, nc: nc.(*net.TCPConn), br: bufio.NewReader(nc)}
	r.expect(220)
	r.write([]byte("EHLO cut.example\r\n"))
	lines := r.expect(250)
	var kw []string
	for _, l := range lines[1:] {
		kw = append(kw, strings.ToUpper(strings.Fields(l)[0]))
	}
	return r, kw
}

// write sends p under the deadline.
func (r *raw) write(p []byte) {
	r.t.Helper()
	_ = r.nc.SetWriteDeadline(time.Now().Add(rawTimeout))
	_, err := r.nc.Write(p)
	require.NoError(r.t, err)
}

// reply reads one reply (RFC 5321 section 4.2.1): its code and the text
// of its lines.
func (r *raw) reply() (int, []string) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(rawTimeout))
	var lines []string
	for len(lines) < 100 {
		line, err := r.br.ReadString('\n')
		require.NoError(r.t, err, "reading a reply after %q", lines)
		line = strings.TrimRight(line, "\r\n")
		require.GreaterOrEqual(r.t, len(line), 3, "reply line %q", line)
		lines = append(lines, strings.TrimSpace(line[min(4, len(line)):]))
		if len(line) == 3 || line[3] == ' ' {
			code, err := strconv.Atoi(line[:3])
			require.NoError(r.t, err, "reply line %q", line)
			return code, lines
		}
	}
	r.t.Fatalf("reply of more than 100 lines")
	return 0, nil
}

// expect reads one reply and requires its code.
func (r *raw) expect(code int) []string {
	r.t.Helper()
	got, lines := r.reply()
	require.Equal(r.t, code, got, "reply %q", lines)
	return lines
}

// cut ends the connection: a FIN, or an RST when reset (SO_LINGER 0).
func (r *raw) cut(reset bool) {
	if reset {
		_ = r.nc.SetLinger(0)
	}
	_ = r.nc.Close()
}

// quit ends the session politely.
func (r *raw) quit() {
	r.write([]byte("QUIT\r\n"))
	r.expect(221)
	_ = r.nc.Close()
}

// listDir lists the names in dir (none when it does not exist).
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// readNew returns the contents of the files in the Maildir's new/.
func readNew(t testing.TB, maildir string) []string {
	t.Helper()
	var out []string
	for _, n := range listDir(t, filepath.Join(maildir, "new")) {
		b, err := os.ReadFile(filepath.Join(maildir, "new", n))
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// sockets counts the sockets process pid holds open.
func sockets(t testing.TB, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// settle waits (up to 10 s) until serve holds no more sockets than base
// (its listener): every connection cut has been seen to its end, the
// Session's Data has returned and its Maildir cleanup is done (the server
// closes the socket after that).
func settle(t testing.TB, s *servetest.Serve, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sockets(t, s.PID()) > base {
		if time.Now().After(deadline) {
			t.Fatalf("serve still holds %d sockets (listener: %d) 10s after the cut", sockets(t, s.PID()), base)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// traceHead splits a stored message after what serve put before it:
// Return-Path and a Received header, possibly folded (RFC 5321 4.4).
func traceHead(stored string) (head, rest string, ok bool) {
	if !strings.HasPrefix(stored, "Return-Path: <") {
		return "", "", false
	}
	i := strings.Index(stored, "\r\nReceived: ")
	if i < 0 {
		return "", "", false
	}
	j := i + 2
	for {
		k := strings.Index(stored[j:], "\r\n")
		if k < 0 {
			return "", "", false
		}
		j += k + 2
		if j >= len(stored) || (stored[j] != ' ' && stored[j] != '\t') {
			return stored[:j], stored[j:], true
		}
	}
}
