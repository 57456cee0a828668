package servetest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a strings.Builder safe for concurrent writes and reads.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write implements io.Writer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Serve is one running "smtpkit serve" process.
type Serve struct {
	Addr    string // the 127.0.0.1:port it listens on
	Host    string // 127.0.0.1
	Port    string // the port
	Maildir string // its --maildir; empty under --discard
	CA      string // its --ca-out: the test CA's certificate (PEM)
	Args    []string
	Cmd     *exec.Cmd
	stdout  Buffer
	stderr  Buffer
	done    chan struct{}
}

// listening matches serve's "listening" log line.
var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Start runs "smtpkit serve" (the binary bin) on 127.0.0.1:0 with text
// logs and args. Unless args hold --discard or --maildir, the Maildir is a
// fresh directory under t.TempDir(), and the test CA goes to ca.pem there
// unless args hold --ca-out. Start waits until serve listens and stops it
// (SIGTERM, then SIGKILL after 10 s) when the test ends; when the test
// failed, serve's log is printed.
func Start(t testing.TB, bin string, args ...string) *Serve {
	t.Helper()
	dir := t.TempDir()
	s := &Serve{done: make(chan struct{})}
	all := []string{"serve", "--listen", "127.0.0.1:0", "--log-format", "text"}
	if !slices.Contains(args, "--discard") && !slices.Contains(args, "--maildir") {
		s.Maildir = filepath.Join(dir, "Maildir")
		all = append(all, "--maildir", s.Maildir)
	}
	if i := slices.Index(args, "--maildir"); i >= 0 && i+1 < len(args) {
		s.Maildir = args[i+1]
	}
	if !slices.Contains(args, "--ca-out") {
		s.CA = filepath.Join(dir, "ca.pem")
		all = append(all, "--ca-out", s.CA)
	}
	s.Args = append(all, args...)
	s.Cmd = exec.Command(bin, s.Args...)
	s.Cmd.Stdout = &s.stdout
	stderr, err := s.Cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = s.stderr.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = s.Cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Stop(t, 10*time.Second)
		if t.Failed() {
			t.Logf("smtpkit %s\n--- serve stderr (log, last 200 lines) ---\n%s",
				strings.Join(s.Args, " "), lastLines(s.stderr.String(), 200))
		}
	})
	select {
	case s.Addr = <-found:
	case <-s.done:
		t.Fatalf("smtpkit serve exited at start: %s", s.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("smtpkit serve did not listen within 10s: %s", s.stderr.String())
	}
	s.Host, s.Port, _ = strings.Cut(s.Addr, ":")
	return s
}

// Stop sends SIGTERM and waits up to grace for serve to exit, then kills
// it (an error of the test). It returns at once when serve has exited.
func (s *Serve) Stop(t testing.TB, grace time.Duration) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(grace):
		t.Errorf("smtpkit serve did not stop within %v of SIGTERM; killing it", grace)
		_ = s.Cmd.Process.Kill()
		<-s.done
	}
}

// Done is closed when the process has exited.
func (s *Serve) Done() <-chan struct{} { return s.done }

// ExitCode is the process's exit code once Done is closed (-1 if killed).
func (s *Serve) ExitCode() int { return s.Cmd.ProcessState.ExitCode() }

// PID is the process ID.
func (s *Serve) PID() int { return s.Cmd.Process.Pid }

// Log returns serve's standard error (its log) so far.
func (s *Serve) Log() string { return s.stderr.String() }

// Stdout returns serve's standard output so far.
func (s *Serve) Stdout() string { return s.stdout.String() }

// Accepted counts the "accepted" lines serve printed on standard output:
// one per message it acknowledged with 250.
func (s *Serve) Accepted() int { return strings.Count(s.Stdout(), " msg=accepted ") }

// WaitAccepted waits up to timeout for n "accepted" lines and returns the
// count then. serve writes the line before it answers 250, but the test
// reads serve's standard output through a pipe, so the line can arrive
// after the reply and after the connection closed.
func (s *Serve) WaitAccepted(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		got := s.Accepted()
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stored lists the files in the Maildir's new/ and tmp/.
func (s *Serve) Stored(t testing.TB) (newFiles, tmpFiles []string) {
	t.Helper()
	return listDir(t, filepath.Join(s.Maildir, "new")), listDir(t, filepath.Join(s.Maildir, "tmp"))
}

func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// RSSKiB is the process's resident memory (VmRSS) in KiB.
func (s *Serve) RSSKiB(t testing.TB) int64 { return procStatusKiB(t, s.PID(), "VmRSS:") }

// procStatusKiB reads one "Name: n kB" field of /proc/pid/status.
func procStatusKiB(t testing.TB, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("/proc/%d/status %s: %v", pid, line, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// CPUTime is the user and system CPU time the process has used so far,
// from /proc/pid/stat (in clock ticks of 10 ms).
func (s *Serve) CPUTime(t testing.TB) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.PID()) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		t.Fatalf("/proc/%d/stat: %q", s.PID(), b)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
