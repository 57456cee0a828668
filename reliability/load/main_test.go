//go:build reliability

// main_test.go: TestMain (builds cmd/smtpkit once), the scale table of the
// short and long forms, and the helpers the tests share: clients, tokens,
// the Maildir scan, raw-connection replies, latency percentiles and the
// process's peak memory.
package load

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// bin is the smtpkit binary built by TestMain.
var bin string

func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &bin)) }

// scale is the size of every test: the short form runs in CI in about two
// minutes, the long form has the numbers.
type scale struct {
	name string
	// Concurrent load (load_test.go): sessions x messages per session.
	sessions, perSession int
	// Idle connections (idle_test.go): how many, the messages the normal
	// client sends meanwhile, and how long they are held after that.
	idle, idleMsgs int
	idleHold       time.Duration
	// Shutdown during load (shutdown_test.go): concurrent senders, and how
	// long they run before SIGTERM.
	senders   int
	beforeSig time.Duration
	// Slow trickle (trickle_test.go): connections cut by the rate floor.
	trickle int
}

var scales = map[string]scale{
	"short": {name: "short", sessions: 200, perSession: 5, idle: 2000, idleMsgs: 200, idleHold: time.Second,
		senders: 50, beforeSig: 2 * time.Second, trickle: 100},
	"long": {name: "long", sessions: 1000, perSession: 20, idle: 10000, idleMsgs: 200, idleHold: 5 * time.Second,
		senders: 50, beforeSig: 2 * time.Second, trickle: 500},
}

// sizes returns the scale SMTPKIT_RELIABILITY selects: unset or "short",
// or "long".
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

// clientOpts are the options of every normal client: plain SMTP, serve
// runs with --tls off.
func clientOpts(extra ...client.Option) []client.Option {
	return append([]client.Option{client.WithHostname("load.example"),
		client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}, extra...)
}

// dialClient opens a Client to addr, retrying a failed connect a few times
// (the listen backlog may overflow under a burst of dials).
func dialClient(ctx context.Context, addr string, extra ...client.Option) (*client.Client, error) {
	var err error
	for attempt := range 5 {
		var c *client.Client
		if c, err = client.Dial(ctx, addr, clientOpts(extra...)...); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
	}
	return nil, err
}

// tokenHeader carries each message's unique token.
const tokenHeader = "X-Load-Token: "

var tokenRE = regexp.MustCompile(`(?m)^X-Load-Token: (\S+)\r?$`)

// envelope is every test message's envelope.
var envelope = client.Envelope{From: "sender@load.example", To: []string{"rcpt@load.example"}}

// message is a small message carrying token.
func message(token string) *strings.Reader {
	return strings.NewReader("From: <sender@load.example>\r\nTo: <rcpt@load.example>\r\n" +
		"Subject: load " + token + "\r\n" + tokenHeader + token + "\r\n\r\n" +
		"This is a load test message.\r\nIts token is " + token + ".\r\n")
}

// bigMessage is a message of about size octets carrying token.
func bigMessage(token string, size int) *strings.Reader {
	var b strings.Builder
	b.WriteString("From: <sender@load.example>\r\nTo: <rcpt@load.example>\r\nSubject: load " + token + "\r\n" +
		tokenHeader + token + "\r\n\r\n")
	line := strings.Repeat("0123456789", 7) + "abcd\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return strings.NewReader(b.String())
}

// maildirTokens reads every file in dir's new/ and counts the tokens in
// them; files lists the files without exactly one token header.
func maildirTokens(t testing.TB, dir string) (tokens map[string]int, files int, bad []string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatalf("reading the Maildir: %v", err)
	}
	tokens = map[string]int{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		if err != nil {
			t.Fatalf("reading a stored message: %v", err)
		}
		m := tokenRE.FindAllSubmatch(b, -1)
		if len(m) != 1 {
			bad = append(bad, e.Name())
		}
		for _, sub := range m {
			tokens[string(sub[1])]++
		}
	}
	return tokens, len(ents), bad
}

// waitAccepted waits up to 5 s for serve's standard output to hold want
// "accepted" lines (it reaches the test through a pipe) and returns the
// count.
func waitAccepted(s *servetest.Serve, want int) int {
	end := time.Now().Add(5 * time.Second)
	for {
		n := s.Accepted()
		if n >= want || time.Now().After(end) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// percentile returns the q-quantile (0 < q <= 1) of the sorted d by the
// nearest-rank method; 0 when d is empty.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d))*q+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// latencies sorts d and returns its p50, p99 and maximum.
func latencies(d []time.Duration) (p50, p99, maxd time.Duration) {
	slices.Sort(d)
	if len(d) == 0 {
		return 0, 0, 0
	}
	return percentile(d, 0.50), percentile(d, 0.99), d[len(d)-1]
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }

// peakRSSKiB is the process's peak resident memory (VmHWM) in KiB.
func peakRSSKiB(t testing.TB, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no VmHWM", pid)
	return 0
}

// settledRSS waits a second, reads serve's VmRSS twice half a second
// apart, and returns the second reading: the moment's allocations settle.
func settledRSS(t testing.TB, s *servetest.Serve) int64 {
	t.Helper()
	time.Sleep(time.Second)
	_ = s.RSSKiB(t)
	time.Sleep(500 * time.Millisecond)
	return s.RSSKiB(t)
}

// readReply reads one SMTP reply (all its lines, RFC 5321 section 4.2)
// from br and returns its code and text.
func readReply(br *bufio.Reader) (string, error) {
	var all strings.Builder
	for range 100 {
		line, err := br.ReadString('\n')
		all.WriteString(line)
		if err != nil {
			return all.String(), err
		}
		if len(line) < 4 || line[3] != '-' {
			return all.String(), nil
		}
	}
	return all.String(), fmt.Errorf("reply of more than 100 lines")
}

// command writes line and reads the reply, wanting code; a deadline on
// conn bounds both.
func command(conn net.Conn, br *bufio.Reader, line, code string) error {
	if _, err := conn.Write([]byte(line)); err != nil {
		return fmt.Errorf("writing %q: %w", strings.TrimSpace(line), err)
	}
	r, err := readReply(br)
	if err != nil {
		return fmt.Errorf("reply to %q: %q: %w", strings.TrimSpace(line), r, err)
	}
	if !strings.HasPrefix(r, code) {
		return fmt.Errorf("reply to %q: %q, want %s", strings.TrimSpace(line), r, code)
	}
	return nil
}
