package peers

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// PostfixHostname is the name Postfix's smtpd gives in its greeting and
// EHLO reply (myhostname), and the realm of the SASL users whose names
// have no "@".
const PostfixHostname = "mx.postfix.test"

// PostfixMessageSizeLimit is the message_size_limit Postfix is given, and
// so the value of its SIZE extension, unless PostfixOptions.Main sets
// another.
const PostfixMessageSizeLimit = 10240000

// PostfixRelayDomains are the domains Postfix relays to for any client;
// clients on 127.0.0.0/8 (mynetworks) and authenticated clients may relay
// to any domain. Whatever the domain, every message goes to the discard
// transport: nothing leaves the machine.
var PostfixRelayDomains = []string{"example.com", "example.net", "example.org", "smtpkit.test"}

// PostfixMechanisms are the SASL mechanisms Postfix offers by default
// when PostfixOptions.Users are set. Postfix offers them in the clear too
// unless "smtpd_tls_auth_only" is "yes" or TLS is "encrypt". The SCRAM
// mechanisms have no -PLUS forms: Postfix gives Cyrus SASL no channel
// binding.
var PostfixMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}

// Limits of Postfix's start and stop.
const (
	postfixReadyTimeout = 15 * time.Second
	postfixCmdTimeout   = 30 * time.Second
	postfixStopTimeout  = 10 * time.Second
	postfixGroupTimeout = 5 * time.Second
	postfixStartTries   = 3
)

// PostfixServer is a running Postfix: its master(8) process, the smtpd
// listener on Addr and the other daemons master runs on demand.
type PostfixServer struct {
	// Addr is smtpd's address, 127.0.0.1:PORT.
	Addr string
	// CA issued the server certificate.
	CA *tlsmode.TestCA
	// ConfigDir holds main.cf, master.cf, the certificate and the SASL
	// files.
	ConfigDir string
	// Version is Postfix's mail_version, such as "3.7.11".
	Version string
	// Keywords are the EHLO keywords (with their parameters, such as
	// "SIZE 10240000") smtpd offered at start-up on a new connection: in
	// the clear, or in TLS with ImplicitTLS.
	Keywords []string
	// TLSKeywords are the EHLO keywords smtpd offered after STARTTLS at
	// start-up (nil when it does not offer STARTTLS). The start-up
	// handshake verified the certificate with TLSConfig.
	TLSKeywords []string

	base    string
	maillog string
	master  *exec.Cmd
	exited  chan struct{}
	once    sync.Once
	stopErr error
}

// Postfix starts Postfix's real smtpd on a free port of 127.0.0.1, with a
// configuration, queue and data directory of its own under a new
// temporary directory, and returns once smtpd has greeted with 220 and
// answered EHLO, and STARTTLS when it offers it (within 15 seconds).
// Postfix is stopped, its processes are gone and its directory removed
// when t ends. When the test fails, Postfix's log is added to the test's
// output.
//
// Postfix's master(8) runs as a child process in the foreground
// ("master -c DIR", without -w), in a session of its own; Stop ends it.
// Every message is discarded (the discard transport), no DNS lookup is
// made, and only 127.0.0.1 is listened on.
//
// It skips t (fails it when SMTPKIT_PEERS=require) when Postfix is not
// installed, when the test does not run as root (master needs root), or
// when SASL is asked for and Cyrus SASL's tools or plugins are missing.
func Postfix(t testing.TB, opts PostfixOptions) *PostfixServer {
	t.Helper()
	level, err := opts.validate()
	if err != nil {
		t.Fatalf("peers: Postfix: %v", err)
	}
	postfix := Need(t, "postfix")
	postconf := Need(t, "postconf")
	if uid := os.Geteuid(); uid != 0 {
		unavailable(t, "Postfix's master(8) must run as root, and this test runs as uid %d", uid)
	}
	saslpasswd := ""
	if len(opts.Users) > 0 {
		saslpasswd = Need(t, "saslpasswd2")
	}
	defaults, err := postconfValues(postconf, "-d", "mail_version", "daemon_directory", "mail_owner")
	if err != nil {
		t.Fatalf("peers: Postfix: %v", err)
	}
	master := filepath.Join(defaults["daemon_directory"], "master")
	if !isExec(master) {
		t.Fatalf("peers: Postfix: %s is not an executable", master)
	}
	owner, err := user.Lookup(defaults["mail_owner"])
	if err != nil {
		t.Fatalf("peers: Postfix: mail_owner: %v", err)
	}
	ca := opts.CA
	if ca == nil {
		if ca, err = tlsmode.NewTestCA(); err != nil {
			t.Fatalf("peers: Postfix: %v", err)
		}
	}

	base, err := os.MkdirTemp(searchableTempDir(), "smtpkit-postfix-")
	if err != nil {
		t.Fatalf("peers: Postfix: %v", err)
	}
	p := &PostfixServer{
		CA:        ca,
		ConfigDir: filepath.Join(base, "etc"),
		Version:   defaults["mail_version"],
		base:      base,
		maillog:   filepath.Join(base, "maillog"),
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("peers: Postfix: %v", err)
		}
		if t.Failed() {
			t.Logf("Postfix %s log (%s):\n%s", p.Version, p.maillog, lastLines(p.Log(), 200))
		}
		if err := os.RemoveAll(base); err != nil {
			t.Logf("peers: Postfix: %v", err)
		}
	})
	// master's children run as mail_owner and must reach the queue.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatalf("peers: Postfix: %v", err)
	}
	if err := p.writeConfig(opts, level, owner, saslpasswd); err != nil {
		t.Fatalf("peers: Postfix: %v", err)
	}

	for try := 1; ; try++ {
		p.Addr = FreeAddr(t)
		if err := p.writeMasterCf(opts.ImplicitTLS, opts.Master); err != nil {
			t.Fatalf("peers: Postfix: %v", err)
		}
		if try == 1 {
			if out, err := runFor(postfixCmdTimeout, postconf, "-c", p.ConfigDir, "-n"); err != nil {
				t.Fatalf("peers: Postfix: postconf -n: %v\n%s", err, out)
			} else if warn := strings.TrimSpace(stderrOnly(out)); warn != "" {
				t.Logf("peers: Postfix: postconf: %s", warn)
			}
			// "postfix check" creates the queue and data directories
			// with the owners and modes Postfix wants.
			if out, err := runFor(postfixCmdTimeout, postfix, "-c", p.ConfigDir, "check"); err != nil {
				t.Fatalf("peers: Postfix: postfix check: %v\n%s\n%s", err, out, lastLines(p.Log(), 50))
			}
		}
		err := p.start(master, t, level, opts)
		if err == nil {
			break
		}
		_ = p.Stop()
		if errors.Is(err, errPortTaken) && try < postfixStartTries {
			p.once = sync.Once{}
			t.Logf("peers: Postfix: %v; trying another port", err)
			continue
		}
		t.Fatalf("peers: Postfix %s: %v\nlog:\n%s", p.Version, err, lastLines(p.Log(), 50))
	}
	if len(opts.Users) > 0 {
		kws := slices.Concat(p.Keywords, p.TLSKeywords)
		if missing := missingAuth(kws, opts.mechanisms()...); missing != "" {
			unavailable(t, "Postfix does not offer AUTH %s (EHLO: %q, after STARTTLS: %q): install libsasl2-modules (Cyrus SASL plugins)", missing, p.Keywords, p.TLSKeywords)
		}
	}
	return p
}

// errPortTaken means smtpd could not listen because the port was taken
// after FreeAddr found it free.
var errPortTaken = errors.New("the port was taken")

// start starts master and waits until smtpd greets and answers EHLO.
func (p *PostfixServer) start(master string, t testing.TB, level string, opts PostfixOptions) error {
	// -e bounds master's life should the test binary die without
	// stopping it.
	life := 2 * time.Hour
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			life = max(time.Until(dl), 0) + time.Minute
		}
	}
	cmd := exec.Command(master, "-c", p.ConfigDir, "-e", strconv.Itoa(int(life.Seconds())))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("master: %w", err)
	}
	p.master = cmd
	p.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()

	deadline := time.Now().Add(postfixReadyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			// master logs through postlogd, which is not running yet when
			// master fails to listen: see whether the port is the cause.
			ln, err := net.Listen("tcp", p.Addr)
			if err != nil {
				return fmt.Errorf("master exited (%v): %w: %v", cmd.ProcessState, errPortTaken, err)
			}
			_ = ln.Close()
			return fmt.Errorf("master exited at start-up (%v); run postfix -c %s check, or master -c %s -v", cmd.ProcessState, p.ConfigDir, p.ConfigDir)
		default:
		}
		kws, tlsKws, err := p.probe(opts.ImplicitTLS, deadline)
		if err == nil {
			p.Keywords, p.TLSKeywords = kws, tlsKws
			return nil
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("smtpd on %s did not greet and answer EHLO within %v: %v", p.Addr, postfixReadyTimeout, lastErr)
}

// probe connects to smtpd, reads the 220 greeting and sends EHLO, then
// STARTTLS and EHLO again when STARTTLS is offered, and QUIT. It returns
// the EHLO keywords before and after STARTTLS.
func (p *PostfixServer) probe(implicitTLS bool, deadline time.Time) (kws, tlsKws []string, err error) {
	c, err := net.DialTimeout("tcp", p.Addr, time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = c.Close() }()
	if d := time.Now().Add(5 * time.Second); d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	if implicitTLS {
		tc := tls.Client(c, p.TLSConfig())
		if err := tc.Handshake(); err != nil {
			return nil, nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	tp := textproto.NewConn(c)
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, nil, fmt.Errorf("greeting: %w", err)
	}
	ehlo := func() ([]string, error) {
		if err := tp.PrintfLine("EHLO probe.smtpkit.test"); err != nil {
			return nil, err
		}
		_, msg, err := tp.ReadResponse(250)
		if err != nil {
			return nil, fmt.Errorf("EHLO: %w", err)
		}
		return strings.Split(msg, "\n")[1:], nil
	}
	if kws, err = ehlo(); err != nil {
		return nil, nil, err
	}
	if slices.ContainsFunc(kws, func(kw string) bool { return strings.EqualFold(kw, "STARTTLS") }) {
		if err := tp.PrintfLine("STARTTLS"); err != nil {
			return nil, nil, err
		}
		if _, _, err := tp.ReadResponse(220); err != nil {
			return nil, nil, fmt.Errorf("STARTTLS: %w", err)
		}
		tc := tls.Client(c, p.TLSConfig())
		if err := tc.Handshake(); err != nil {
			return nil, nil, fmt.Errorf("STARTTLS handshake: %w", err)
		}
		c, tp = tc, textproto.NewConn(tc)
		if tlsKws, err = ehlo(); err != nil {
			return nil, nil, fmt.Errorf("after STARTTLS: %w", err)
		}
	}
	_ = tp.PrintfLine("QUIT")
	_, _, _ = tp.ReadResponse(221)
	return kws, tlsKws, nil
}

// TLSConfig returns a client configuration that verifies Postfix's
// certificate against CA, for the name "localhost".
func (p *PostfixServer) TLSConfig() *tls.Config {
	return p.CA.ClientConfig("localhost")
}

// Log returns Postfix's log so far (its maillog_file).
func (p *PostfixServer) Log() string {
	b, err := os.ReadFile(p.maillog)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// Stop stops Postfix, as "postfix stop" does: SIGTERM to master, which
// passes it to every process of its session and exits. It waits up to 10
// seconds for master to exit (then kills it), and up to 5 seconds for the
// other processes of the session to exit (then kills them too). It
// returns an error if any process is left. Stop may be called more than
// once; the test's cleanup calls it.
func (p *PostfixServer) Stop() error {
	p.once.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *PostfixServer) stop() error {
	if p.master == nil || p.master.Process == nil {
		return nil
	}
	// master made itself the leader of a new session and process group
	// (setsid) with its pid as id; its children are in that group.
	pgid := p.master.Process.Pid
	_ = p.master.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(postfixStopTimeout):
		_ = p.master.Process.Kill()
		<-p.exited
	}
	deadline := time.Now().Add(postfixGroupTimeout)
	killed := false
	for {
		left := groupMembers(pgid)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if killed {
				return fmt.Errorf("processes of Postfix left after stop: %v", left)
			}
			for _, pid := range left {
				if proc, err := os.FindProcess(pid); err == nil {
					_ = proc.Kill()
				}
			}
			killed = true
			deadline = time.Now().Add(2 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupMembers returns the processes in process group pgid that are not
// zombies, from /proc (none where there is no /proc).
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and ")".
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// unavailable skips t, or fails it under SMTPKIT_PEERS=require, with the
// reason.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(RequireEnv) == "require" {
		t.Fatalf("%s (%s=require)", msg, RequireEnv)
	}
	t.Skip(msg)
}

// postconfValues runs postconf with args and names and returns the values
// of names.
func postconfValues(postconf string, args ...string) (map[string]string, error) {
	out, err := runFor(postfixCmdTimeout, postconf, args...)
	if err != nil {
		return nil, fmt.Errorf("postconf: %v\n%s", err, out)
	}
	vals := make(map[string]string)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " = "); ok {
			vals[k] = v
		}
	}
	for _, name := range args {
		if !strings.HasPrefix(name, "-") && vals[name] == "" {
			return nil, fmt.Errorf("postconf: no value for %s in:\n%s", name, out)
		}
	}
	return vals, nil
}

// runFor runs a program with a timeout and returns its stdout followed by
// its stderr (each line of stderr marked with stderrMark).
func runFor(timeout time.Duration, path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	out := stdout.String()
	for line := range strings.Lines(stderr.String()) {
		out += stderrMark + line
	}
	return out, err
}

// stderrMark starts the lines of runFor's output that came from stderr.
const stderrMark = "stderr: "

// stderrOnly returns the stderr lines of runFor's output.
func stderrOnly(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if s, ok := strings.CutPrefix(line, stderrMark); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// compatibilityLevel is the compatibility_level for Postfix version v:
// 3.6 (the newest safe defaults) from Postfix 3.6 on, else 2.
func compatibilityLevel(v string) string {
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 == nil && err2 == nil && (ma > 3 || ma == 3 && mi >= 6) {
		return "3.6"
	}
	return "2"
}

// searchableTempDir returns the temporary directory if every directory
// on its path can be searched by others (mail_owner must reach the queue
// inside it), else /tmp.
func searchableTempDir() string {
	dir := os.TempDir()
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// missingAuth returns the mechanisms of want that the AUTH keyword in
// keywords does not list, or all of them when there is no AUTH.
func missingAuth(keywords []string, want ...string) string {
	have := map[string]bool{}
	for _, kw := range keywords {
		f := strings.Fields(strings.ToUpper(kw))
		if len(f) > 0 && f[0] == "AUTH" {
			for _, m := range f[1:] {
				have[m] = true
			}
		}
	}
	var missing []string
	for _, m := range want {
		if !have[m] {
			missing = append(missing, m)
		}
	}
	return strings.Join(missing, " ")
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
