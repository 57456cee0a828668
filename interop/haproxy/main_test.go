//go:build interop

package haproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/internal/servetest"
)

// smtpkitBin is the binary TestMain builds from the module root.
var smtpkitBin string

// proxySource is the loopback address HAProxy's backend connections leave
// from: the only address the instances trust to send a PROXY header.
// Clients connect from 127.0.0.1.
const proxySource = "127.0.0.2"

// TestMain builds cmd/smtpkit into a temporary directory, runs the tests
// and removes it.
func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &smtpkitBin)) }

// proc is a process started by a test, stopped in t.Cleanup.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs path with args, standard output and error going to the files
// out and errf (created), and registers its end with t.Cleanup.
func start(t *testing.T, out, errf, path string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(path, args...)
	o, err := os.Create(out)
	require.NoError(t, err)
	e, err := os.Create(errf)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = o, e
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = o.Close()
		_ = e.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(syscall.SIGKILL, 0) })
	return p
}

// stop sends sig and waits up to grace for the process to exit, then
// kills it.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// instance is one smtpkit serve process.
type instance struct {
	addr, maildir, out, errf string
	p                        *proc
}

// startServe starts smtpkit serve with a Maildir (or --discard when
// maildir is false), JSON logs and --proxy-protocol for each of trusted,
// and waits until it listens.
func startServe(t *testing.T, name string, maildir bool, trusted ...string) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{
		addr:    peers.FreeAddr(t),
		maildir: filepath.Join(dir, "Maildir"),
		out:     filepath.Join(dir, "stdout.log"),
		errf:    filepath.Join(dir, "stderr.log"),
	}
	args := []string{"serve", "--listen", in.addr, "--hostname", name, "--log-format", "json"}
	if maildir {
		args = append(args, "--maildir", in.maildir)
	} else {
		args = append(args, "--discard")
	}
	for _, n := range trusted {
		args = append(args, "--proxy-protocol", n)
	}
	in.p = start(t, in.out, in.errf, smtpkitBin, args...)
	t.Cleanup(func() { in.p.stop(syscall.SIGTERM, 5*time.Second) })
	waitFor(t, 10*time.Second, name+" listening", func() bool {
		b, _ := os.ReadFile(in.errf)
		return bytes.Contains(b, []byte(`"msg":"listening"`))
	}, in.p)
	return in
}

// pid is the process ID of the instance.
func (in *instance) pid() int { return in.p.cmd.Process.Pid }

// logLine is one JSON log line of smtpkit serve.
type logLine struct {
	Msg    string `json:"msg"`
	ID     string `json:"id"`
	Client string `json:"client"`
	Remote string `json:"remote"`
	File   string `json:"file"`
}

// accepted returns the "accepted" lines of the instance's standard output.
func (in *instance) accepted(t *testing.T) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range readLog(t, in.out) {
		if l.Msg == "accepted" {
			out = append(out, l)
		}
	}
	return out
}

// readLog parses a JSON-lines log file.
func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var l logLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "log line %q", sc.Text())
		out = append(out, l)
	}
	return out
}

// stored returns the paths of the messages in the Maildir's new/.
func (in *instance) stored(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(in.maildir, "new", "*"))
	require.NoError(t, err)
	return m
}

// waitFor polls cond every 20ms until it holds or d passes; it fails t
// early when one of procs exits.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, procs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		for _, p := range procs {
			if p.exited() {
				t.Fatalf("waiting for %s: %s exited", what, p.cmd.Path)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, d)
}

// balancer is one haproxy process in front of instances.
type balancer struct {
	front, sock, logf string
	p                 *proc
}

// haproxyCfg is the configuration the tests run, the one docs/DEPLOYMENT.md
// shows, with test addresses, a stats socket and a log line per session
// naming the client and the instance it went to.
const haproxyCfg = `global
    maxconn 4096
    stats socket %[1]s mode 600 level admin
    log stderr format raw local0 info

defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 5m
    timeout server 5m
    timeout check 5s
    retries 2
    option redispatch

frontend smtp
    bind %[2]s
    log-format "%%ci:%%cp %%s %%bi:%%bp %%ts"
    default_backend smtpkit

backend smtpkit
    balance roundrobin
    source ` + proxySource + `
    option tcp-check
    tcp-check expect string 220
    tcp-check send QUIT\r\n
    tcp-check expect string 221
    default-server send-proxy-v2 check inter 500ms fall 2 rise 2
%[3]s`

// startHAProxy starts haproxy -db in front of ins (servers s1, s2, ...)
// and waits until it reports every server UP.
func startHAProxy(t *testing.T, ins ...*instance) *balancer {
	t.Helper()
	path := peers.Need(t, "haproxy")
	dir := t.TempDir()
	b := &balancer{front: peers.FreeAddr(t), sock: filepath.Join(dir, "admin.sock"), logf: filepath.Join(dir, "haproxy.log")}
	var servers strings.Builder
	for i, in := range ins {
		fmt.Fprintf(&servers, "    server s%d %s\n", i+1, in.addr)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, haproxyCfg, b.sock, b.front, servers.String()), 0o644))
	b.p = start(t, filepath.Join(dir, "stdout.log"), b.logf, path, "-f", cfg, "-db")
	for i := range ins {
		b.waitStatus(t, fmt.Sprintf("s%d", i+1), "UP")
	}
	return b
}

// command sends one command to HAProxy's stats socket and returns the
// answer; an error when the socket is not there yet.
func (b *balancer) command(cmd string) ([]byte, error) {
	c, err := net.DialTimeout("unix", b.sock, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(c)
	return buf.Bytes(), err
}

// stats returns the columns of "show stat" (status, scur, ...) of every
// server of the backend, by server name; nil while HAProxy is starting.
func (b *balancer) stats() map[string]map[string]string {
	raw, err := b.command("show stat")
	if err != nil {
		return nil
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("# ")))).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil
	}
	out := map[string]map[string]string{}
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) || r[0] != "smtpkit" {
			continue
		}
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out[m["svname"]] = m
	}
	return out
}

// waitStatus waits until server reports status (UP or DOWN, checks
// included: "UP 1/2" does not count).
func (b *balancer) waitStatus(t *testing.T, server, status string) {
	t.Helper()
	waitFor(t, 15*time.Second, "haproxy "+server+" "+status, func() bool {
		return b.stats()[server]["status"] == status
	}, b.p)
}

// session is one line of HAProxy's log: the client, the server it went
// to and the source of HAProxy's own connection to that server.
type session struct{ client, server, source string }

// sessions parses HAProxy's log. A client port may appear more than once:
// the kernel reuses ephemeral ports.
func (b *balancer) sessions(t *testing.T) []session {
	t.Helper()
	raw, err := os.ReadFile(b.logf)
	require.NoError(t, err)
	var out []session
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && strings.HasPrefix(f[0], "127.") {
			out = append(out, session{f[0], f[1], f[2]})
		}
	}
	return out
}

// cpuTicks returns utime+stime of pid in clock ticks (/proc/PID/stat
// fields 14 and 15).
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	// The command name may hold spaces; fields start after its ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, err := strconv.ParseInt(f[11], 10, 64)
	require.NoError(t, err)
	s, err := strconv.ParseInt(f[12], 10, 64)
	require.NoError(t, err)
	return u + s
}

// rssKiB returns VmRSS of pid in KiB.
func rssKiB(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// smtpSourceAsync starts smtp-source like smtpSource, bounded to a
// minute, and returns its result on the channel: an error with its output
// when it failed.
func smtpSourceAsync(t *testing.T, addr string, sessions, msgs int) <-chan error {
	t.Helper()
	path := peers.Need(t, "smtp-source")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, "-s", strconv.Itoa(sessions), "-m", strconv.Itoa(msgs), "-l", "1024",
			"-M", "client.test", "-f", "sender@client.test", "-t", "rcpt@mx.test", addr)
		cmd.WaitDelay = time.Second
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		done <- err
	}()
	return done
}

// smtpSource runs Postfix's smtp-source against addr with sessions
// parallel sessions and msgs messages of 1024 octets, and returns how
// long it took.
func smtpSource(t *testing.T, addr string, sessions, msgs int) time.Duration {
	t.Helper()
	begin := time.Now()
	out, err := peers.Run(t, time.Minute, "smtp-source",
		"-s", strconv.Itoa(sessions), "-m", strconv.Itoa(msgs), "-l", "1024",
		"-M", "client.test", "-f", "sender@client.test", "-t", "rcpt@mx.test", addr)
	require.NoError(t, err, "smtp-source: %s", out)
	return time.Since(begin)
}
