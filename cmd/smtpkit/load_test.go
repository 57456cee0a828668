package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/mail"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// runLoad runs "smtpkit load" in process with ctx and the terminal flag
// tty, and returns its exit code and outputs.
func runLoad(t testing.TB, ctx context.Context, env map[string]string, tty bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	code := run(ctx, append([]string{"load"}, args...), &stdio{in: strings.NewReader(""), out: &out, err: &errOut, getenv: envMap(env), tty: tty})
	return code, out.String(), errOut.String()
}

// decodeLoadJSON parses the --json summary, refusing unknown fields so
// that the test notices a renamed one.
func decodeLoadJSON(t testing.TB, out string) loadSummary {
	t.Helper()
	require.Equal(t, 1, strings.Count(out, "\n"), "one JSON object on one line: %s", out)
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var s loadSummary
	require.NoError(t, dec.Decode(&s), out)
	return s
}

// TestBinaryLoadDiscard runs the built binary against the built "serve
// --discard": every message arrives, and the server counted them too.
func TestBinaryLoadDiscard(t *testing.T) {
	s := serveBin(t, nil, "--discard", "--tls", "off")
	code, out, errOut := runBin(t, nil, "", "load", "--server", s.addr, "--tls", "off",
		"--connections", "4", "--messages", "200", "--size", "2048")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "messages:    200 sent, 200 ok, 0 failed, 0 not sent (of 200;")
	assert.Contains(t, out, "a 2048-octet body")
	assert.Contains(t, out, "connections: 4 opened, 0 failed")
	assert.Regexp(t, `(?m)^latency: +p50 \S+, p90 \S+, p99 \S+, max \S+ .*; 200 messages;`, out)
	assert.Regexp(t, `(?m)^throughput: +[0-9.]+ msgs/s, [0-9.]+ [KMG]?i?B/s`, out)
	assert.Regexp(t, `(?m)^errors: +0$`, out)
	assert.NotContains(t, out, "by reply code")
	assert.Empty(t, errOut, "no progress bar off a terminal, no complaint")

	require.Equal(t, 0, s.stop(t))
	assert.Equal(t, 200, strings.Count(s.out.String(), "msg=accepted"), "the server counted 200 messages")
	assert.Equal(t, 200, strings.Count(s.out.String(), "size=2"), "each of them over 2048 octets")
}

func TestBinaryLoadDiscardJSON(t *testing.T) {
	s := serveBin(t, nil, "--discard", "--tls", "off")
	code, out, errOut := runBin(t, nil, "", "load", "--server", s.addr, "--tls", "off",
		"--connections", "4", "--messages", "200", "--size", "2048", "--json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, s.addr, sum.Server)
	assert.Equal(t, int64(200), sum.Planned)
	assert.Equal(t, int64(200), sum.Sent)
	assert.Equal(t, int64(200), sum.OK)
	assert.Zero(t, sum.Failed)
	assert.Zero(t, sum.Unsent)
	assert.Zero(t, sum.Errors)
	assert.Empty(t, sum.ErrorsByCode)
	assert.Empty(t, sum.ErrorsByKind)
	assert.Equal(t, 4, sum.Connections)
	assert.Equal(t, int64(4), sum.ConnectionsOpened)
	assert.Equal(t, 2048, sum.BodyBytes)
	assert.Greater(t, sum.MessageBytes, 2048)
	assert.Equal(t, loadStopMessages, sum.StoppedBy)
	assert.Greater(t, sum.ElapsedSeconds, 0.0)
	assert.Greater(t, sum.MessagesPerSecond, 0.0)
	assert.InDelta(t, sum.MessagesPerSecond*float64(sum.MessageBytes), sum.BytesPerSecond, 1e-6*sum.BytesPerSecond)
	lat := sum.Latency
	assert.Equal(t, int64(200), lat.Samples)
	assert.Greater(t, lat.Min, 0.0)
	assert.LessOrEqual(t, lat.Min, lat.P50)
	assert.LessOrEqual(t, lat.P50, lat.P90)
	assert.LessOrEqual(t, lat.P90, lat.P99)
	assert.LessOrEqual(t, lat.P99, lat.Max)
	assert.Equal(t, loadLatencyError, lat.RelativeError)
	assert.Contains(t, out, `"errors_by_code":[]`, "empty lists, not null")

	require.Equal(t, 0, s.stop(t))
	assert.Equal(t, 200, strings.Count(s.out.String(), "msg=accepted"))
}

// TestLoadSTARTTLSAuth loads serve's default setup: STARTTLS with its test
// CA and AUTH required.
func TestLoadSTARTTLSAuth(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--hostname", "mx.test", "--user", "alice:s3cret", "--require-auth")
	ca := filepath.Join(dir, "smtpkit-ca.pem")
	code, out, errOut := runLoad(t, context.Background(), map[string]string{"LOAD_PW": "s3cret"}, false,
		"--server", s.addr, "--ca", ca, "--user", "alice", "--password-env", "LOAD_PW",
		"--connections", "3", "--messages", "30", "--size", "300", "--from", "alice@example.org", "--to", "bob@example.net", "--json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, int64(30), sum.OK)
	assert.Equal(t, int64(3), sum.ConnectionsOpened)

	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 30)
	subjects := map[string]bool{}
	for _, m := range msgs {
		assert.Contains(t, m, "with ESMTPSA", "over TLS, authenticated")
		msg, err := mail.ReadMessage(strings.NewReader(m))
		require.NoError(t, err)
		subjects[msg.Header.Get("Subject")] = true
		assert.Equal(t, "alice@example.org", msg.Header.Get("From"))
		assert.Equal(t, "bob@example.net", msg.Header.Get("To"))
	}
	assert.Len(t, subjects, 30, "every message has its own sequence number")
	assert.True(t, subjects["smtpkit load message 01"])
	assert.True(t, subjects["smtpkit load message 30"])
	require.Equal(t, exitOK, s.stop())
	assert.Equal(t, 30, strings.Count(s.out.String(), "auth=alice"))
}

func TestLoadWrongPassword(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--user", "alice:s3cret", "--require-auth")
	code, out, errOut := runLoad(t, context.Background(), map[string]string{"SMTP_PASS": "wrong"}, false,
		"--server", s.addr, "--ca", filepath.Join(dir, "smtpkit-ca.pem"), "--user", "alice", "--auth", "PLAIN", "--connections", "2")
	assert.Equal(t, exitOffline, code, out)
	assert.Contains(t, out, "connections: 0 opened, 2 failed", "535 is not retried")
	assert.Regexp(t, `(?m)^    535 5\.7\.8: 2 \(`, out)
	assert.Contains(t, errOut, "smtpkit load: no connection to "+s.addr+" could be made: ")
	assert.Contains(t, errOut, "535")
}

func TestLoadReuseFalse(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off")
	code, out, errOut := runLoad(t, context.Background(), nil, false,
		"--server", s.addr, "--tls", "off", "--connections", "3", "--messages", "25", "--reuse=false", "--json")
	require.Equal(t, exitOK, code, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, int64(25), sum.OK)
	assert.Equal(t, int64(25), sum.ConnectionsOpened, "a connection per message")
	assert.False(t, sum.Reuse)
	require.Equal(t, exitOK, s.stop())
	assert.Equal(t, 25, strings.Count(s.out.String(), "msg=accepted"))
}

func TestBinaryLoadMessageTooLarge(t *testing.T) {
	s := serveBin(t, nil, "--discard", "--tls", "off", "--max-message-size", "1000")
	code, out, errOut := runBin(t, nil, "", "load", "--server", s.addr, "--tls", "off",
		"--connections", "2", "--messages", "20", "--size", "2048")
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "messages:    20 sent, 0 ok, 20 failed")
	assert.Regexp(t, `(?m)^errors: +20$`, out)
	assert.Regexp(t, `(?m)^  by kind:\n    size: 20 \(.*SIZE.*\)$`, out)
	assert.Contains(t, out, "latency:     no message accepted")
	assert.Contains(t, errOut, "smtpkit load: 20 of 20 messages sent failed")

	code, out, _ = runBin(t, nil, "", "load", "--server", s.addr, "--tls", "off", "--messages", "5", "--size", "2048", "--json")
	require.Equal(t, exitFailed, code)
	sum := decodeLoadJSON(t, out)
	require.Len(t, sum.ErrorsByKind, 1)
	assert.Equal(t, loadErrorCount{Kind: "size", Count: 5, Example: sum.ErrorsByKind[0].Example}, sum.ErrorsByKind[0])
	assert.Empty(t, sum.ErrorsByCode)
	require.Equal(t, 0, s.stop(t))
	assert.NotContains(t, s.out.String(), "msg=accepted", "nothing was sent: the client checks SIZE first (RFC 1870)")
}

func TestLoadRecipientRefused(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off", "--max-recipients", "1")
	// Fewer than 10 messages: after 10 refused commands on a connection
	// serve answers 421 and closes it (state.DefaultMaxErrors).
	code, out, errOut := runLoad(t, context.Background(), nil, false, "--server", s.addr, "--tls", "off",
		"--messages", "9", "--to", "a@example.net", "--to", "b@example.net")
	require.Equal(t, exitFailed, code, errOut)
	assert.Contains(t, out, "messages:    9 sent, 0 ok, 9 failed")
	assert.Regexp(t, `(?m)^  by reply code:\n    452 4\.5\.3: 9 \(.*b@example\.net.*\)$`, out)
	assert.NotContains(t, out, "by kind")
}

func TestBinaryLoadClosedPort(t *testing.T) {
	addr := peers.FreeAddr(t)
	code, out, errOut := runBin(t, nil, "", "load", "--server", addr, "--tls", "off", "--connections", "2")
	require.Equal(t, exitOffline, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, errOut, "smtpkit load: no connection to "+addr+" could be made: smtp dial "+addr)
	assert.Contains(t, errOut, "connection refused")
	assert.Contains(t, out, "connections: 0 opened, 6 failed", "two connections, three tries each")
	assert.Contains(t, out, "0 sent, 0 ok, 0 failed, 100 not sent")
	assert.Contains(t, out, "    connect: 6 (")
}

// loadDraws splits progress output into its redraws.
func loadDraws(stderr string) []string {
	var out []string
	for _, d := range strings.Split(stderr, "\r") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

func TestLoadProgress(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off")
	code, out, errOut := runLoad(t, context.Background(), nil, true, "--server", s.addr, "--tls", "off", "--messages", "50", "--connections", "2")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "50 sent, 50 ok", "the summary still goes to stdout")
	require.True(t, strings.HasPrefix(errOut, "\r["), "%q", errOut)
	clear := "\r" + strings.Repeat(" ", loadProgressWidth) + "\r"
	assert.True(t, strings.HasSuffix(errOut, clear), "the line is cleared at the end: %q", errOut)
	draws := loadDraws(strings.TrimSuffix(errOut, clear))
	require.GreaterOrEqual(t, len(draws), 2, "the first and the last state at least")
	for _, d := range draws {
		assert.Len(t, d, loadProgressWidth, "%q", d)
		assert.Regexp(t, `^\[[#-]{24}\] \d+/50 +\d+% +[0-9.]+ msg/s +[0-9.]+s +$`, d)
	}
	assert.Regexp(t, `^\[-{24}\] 0/50  0% `, draws[0])
	assert.Regexp(t, `^\[#{24}\] 50/50  100% `, draws[len(draws)-1])

	code, _, errOut = runLoad(t, context.Background(), nil, false, "--server", s.addr, "--tls", "off", "--messages", "50")
	require.Equal(t, exitOK, code)
	assert.Empty(t, errOut, "no progress off a terminal")
}

func TestAppendLoadProgress(t *testing.T) {
	for _, tc := range []struct {
		ok, failed, planned int64
		elapsed, duration   time.Duration
		want                string
	}{
		{0, 0, 200, 0, 0, "[------------------------] 0/200  0%  0.0 msg/s  0.0s"},
		{100, 0, 200, 2 * time.Second, 0, "[############------------] 100/200  50%  50.0 msg/s  2.0s"},
		{97, 3, 200, time.Second, 0, "[############------------] 100/200  50%  97.0 msg/s  3 failed  1.0s"},
		{200, 0, 200, time.Second, 0, "[########################] 200/200  100%  200.0 msg/s  1.0s"},
		{10, 0, 1000000, 3 * time.Second, 4 * time.Second, "[##################------] 10/1000000  75%  3.3 msg/s  3.0s"},
		{10, 0, 100, 9 * time.Second, 4 * time.Second, "[########################] 10/100  100%  1.1 msg/s  9.0s"},
	} {
		got := string(appendLoadProgress([]byte("x"), tc.ok, tc.failed, tc.planned, tc.elapsed, tc.duration))
		want := "x\r" + tc.want + strings.Repeat(" ", loadProgressWidth-len(tc.want))
		assert.Equal(t, want, got)
	}
	long := string(appendLoadProgress(nil, 1e15, 1e15, 1e16, time.Hour, 0))
	assert.Greater(t, len(long), loadProgressWidth+1, "a longer line is not cut")
}

func TestLoadInterrupt(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(s.out.String(), "msg=accepted") < 20 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	code, out, errOut := runLoad(t, ctx, nil, false, "--server", s.addr, "--tls", "off", "--messages", "10000000", "--size", "0", "--json")
	require.Equal(t, exitFailed, code, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, loadStopInterrupt, sum.StoppedBy)
	assert.GreaterOrEqual(t, sum.OK, int64(20))
	assert.Less(t, sum.Sent, int64(10000000))
	assert.Equal(t, sum.Sent, sum.OK+sum.Failed)
	assert.Equal(t, int64(10000000)-sum.Sent, sum.Unsent)
	for _, e := range sum.ErrorsByKind {
		assert.Equal(t, "canceled", e.Kind, "only the messages under way fail, as interrupted")
	}
	assert.LessOrEqual(t, sum.Failed, int64(sum.Connections))
	assert.Contains(t, errOut, "smtpkit load: interrupted after ")
}

func TestLoadDuration(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off")
	code, out, errOut := runLoad(t, context.Background(), nil, false, "--server", s.addr, "--tls", "off",
		"--messages", "10000000", "--size", "0", "--duration", "200ms", "--connections", "2", "--json")
	require.Equal(t, exitOK, code, "messages under way finish: none fails; stderr: %s", errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, loadStopDuration, sum.StoppedBy)
	assert.Greater(t, sum.OK, int64(0))
	assert.Equal(t, sum.Sent, sum.OK)
	assert.Zero(t, sum.Errors)
	assert.Greater(t, sum.Unsent, int64(0))
	require.Equal(t, exitOK, s.stop())
	assert.Equal(t, int(sum.OK), strings.Count(s.out.String(), "msg=accepted"))
}

func TestLoadUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "takes no arguments"},
		{[]string{"--connections", "0"}, "--connections must be at least 1"},
		{[]string{"--messages", "0"}, "--messages must be at least 1"},
		{[]string{"--size", "-1"}, "--size must be 0 or at least 2"},
		{[]string{"--size", "1"}, "--size must be 0 or at least 2"},
		{[]string{"--size", "2000000000"}, "--size must be at most 1073741824"},
		{[]string{"--duration", "-1s"}, "--duration must not be negative"},
		{[]string{"--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"--from", ""}, "empty address"},
		{[]string{"--to", "a b@example.net"}, "space or a control character"},
		{[]string{"--from", "a@example.org\r\nBcc: x@example.net"}, "space or a control character"},
		{[]string{"--tls", "sometimes"}, "--tls"},
		{[]string{"--auth", "PLAIN"}, "needs --user"},
		{[]string{"--user", "alice"}, "no password"},
	} {
		args := append([]string{"--server", "127.0.0.1:1", "--tls", "off"}, tc.args...)
		code, out, errOut := runLoad(t, context.Background(), nil, false, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, "smtpkit load: ", tc.args)
		assert.Contains(t, errOut, tc.want, tc.args)
		assert.Empty(t, out, tc.args)
	}
	code, _, errOut := runLoad(t, context.Background(), nil, false, "--tls", "off")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no server")
	code, _, errOut = runLoad(t, context.Background(), nil, false, "--server", "127.0.0.1:1", "--ca", filepath.Join(t.TempDir(), "none.pem"))
	assert.Equal(t, exitOffline, code)
	assert.Contains(t, errOut, "none.pem")
	code, _, _ = runLoad(t, context.Background(), nil, false, "--connections", "many")
	assert.Equal(t, exitUsage, code)
}

func TestLoadHelp(t *testing.T) {
	code, out, _ := runCmd(t, nil, "", "help", "load")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "usage: smtpkit load --server HOST:PORT")
	assert.Contains(t, out, "smtpkit serve --discard --tls off")
	assert.Contains(t, out, "smtpkit load --server 127.0.0.1:2525 --tls off")
	for _, f := range []string{"-connections", "-messages", "-size", "-from", "-to", "-reuse", "-duration", "-timeout", "-json", "-tls", "-auth", "-user", "-password-env"} {
		assert.Regexp(t, `(?m)^  `+f+`( |$)`, out, f)
	}
	code, out, _ = runCmd(t, nil, "")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
}

func TestLoadMessage(t *testing.T) {
	date := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	m := newLoadMessage("load@example.org", []string{"a@example.net", "b@example.net"}, 1000, 4, "TOKEN", date)
	m.stamp(42)
	msg, err := mail.ReadMessage(bytes.NewReader(append(append([]byte(nil), m.head...), m.body...)))
	require.NoError(t, err)
	assert.Equal(t, "load@example.org", msg.Header.Get("From"))
	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "b@example.net", to[1].Address)
	assert.Equal(t, "smtpkit load message 0042", msg.Header.Get("Subject"))
	assert.Equal(t, "<0042.TOKEN@example.org>", msg.Header.Get("Message-ID"))
	d, err := msg.Header.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(d))
	body, err := io.ReadAll(msg.Body)
	require.NoError(t, err)
	assert.Len(t, body, 1000)

	c := m.clone()
	c.stamp(7)
	assert.Contains(t, string(c.head), "Subject: smtpkit load message 0007\r\n")
	assert.Contains(t, string(m.head), "Subject: smtpkit load message 0042\r\n", "a clone has its own header section")
	assert.Same(t, &m.body[0], &c.body[0], "and shares the body")
	c.stamp(9999)
	assert.Contains(t, string(c.head), "Message-ID: <9999.TOKEN@")

	assert.Contains(t, string(newLoadMessage("x", []string{"y"}, 0, 1, "T", date).head), "Message-ID: <0.T@localhost>")
}

func TestAppendLoadBody(t *testing.T) {
	for _, size := range []int{0, 2, 3, 76, 77, 78, 79, 80, 81, 155, 156, 157, 158, 1024, 2048, 100000} {
		b := appendLoadBody(nil, size)
		require.Len(t, b, size, "size %d", size)
		if size == 0 {
			continue
		}
		require.True(t, bytes.HasSuffix(b, []byte("\r\n")), "size %d", size)
		lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
		for i, l := range lines {
			require.LessOrEqual(t, len(l), loadLineLen, "size %d line %d", size, i)
			require.NotContains(t, l, "\r", "size %d line %d", size, i)
			require.NotContains(t, l, "\n", "size %d line %d", size, i)
			require.False(t, strings.HasPrefix(l, "."), "no dot-stuffing needed")
			if i < len(lines)-2 {
				require.Len(t, l, loadLineLen, "size %d line %d: full lines but the last two", size, i)
			}
		}
	}
	assert.Equal(t, "\r\n", string(appendLoadBody(nil, 1)), "1 octet cannot end with CRLF")
}

func TestLoadBodyReader(t *testing.T) {
	m := newLoadMessage("load@example.org", []string{"sink@example.net"}, 5000, 3, "T", time.Unix(0, 0))
	m.stamp(5)
	want := append(append([]byte(nil), m.head...), m.body...)
	b := &loadBody{m: m}
	assert.Equal(t, len(want), b.Len())
	require.NoError(t, iotest.TestReader(b, want))
	for _, chunk := range []int{1, 7, len(m.head) - 1, len(m.head), len(m.head) + 1, 4096, 1 << 16} {
		b.off = 0
		var got []byte
		buf := make([]byte, chunk)
		for range len(want) + 1 { // at least one octet a call
			n, err := b.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.Equal(t, want, got, "chunk %d", chunk)
		assert.Zero(t, b.Len())
	}

	// A message costs no allocation: stamp and read into a reused buffer.
	buf := make([]byte, 1<<16)
	seq := int64(0)
	allocs := testing.AllocsPerRun(100, func() {
		seq++
		m.stamp(seq)
		b.off = 0
		for range 2 {
			if _, err := b.Read(buf); err != nil {
				break
			}
		}
	})
	assert.Zero(t, allocs)
}

// TestLoadFewerMessagesThanConnections opens no more connections than
// there are messages.
func TestLoadFewerMessagesThanConnections(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off")
	code, out, errOut := runLoad(t, context.Background(), nil, false, "--server", s.addr, "--tls", "off", "--messages", "2", "--connections", "8", "--size", "0")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "2 connections")
	assert.Contains(t, out, "connections: 2 opened")
	m := regexp.MustCompile(`(\d+) octets each, a 0-octet body`).FindStringSubmatch(out)
	require.Len(t, m, 2, out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Greater(t, n, 100, "the header section alone")
}
