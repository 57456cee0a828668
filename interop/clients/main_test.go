//go:build interop

// Package clients runs real SMTP clients (swaks, curl, Python's smtplib
// and Postfix's smtp-source) against the built "smtpkit serve" and checks
// what they deliver by reading serve's Maildir. Build with -tags interop.
package clients

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the smtpkit binary that TestMain builds once for every test.
var binPath string

// TestMain builds cmd/smtpkit into a temporary directory, runs the tests
// and removes the binary.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "smtpkit-interop-clients-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "smtpkit")
	root, err := moduleRoot()
	if err == nil {
		cmd := exec.Command(goTool(), "build", "-o", binPath, "./cmd/smtpkit")
		cmd.Dir = root
		var out []byte
		if out, err = cmd.CombinedOutput(); err != nil {
			err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "building smtpkit: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the directory of the go.mod that holds this package, two
// levels up.
func moduleRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", err
	}
	return root, nil
}

// goTool finds the go command of the toolchain that runs these tests.
func goTool() string {
	p := filepath.Join(build.Default.GOROOT, "bin", "go")
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return "go"
}

// syncBuffer is a strings.Builder safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write implements io.Writer.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveHostname is the --hostname every server is given; its test
// certificate also names 127.0.0.1.
const serveHostname = "mx.smtpkit.test"

// testUser and testPass are the account --user gives the AUTH cases.
const (
	testUser = "alice"
	testPass = "s3cret-Pass"
)

// server is one running "smtpkit serve" process.
type server struct {
	Addr    string // the 127.0.0.1:port it listens on
	Host    string // 127.0.0.1
	Port    string // the port
	Maildir string // its --maildir
	CA      string // its --ca-out: the test CA's certificate (PEM)
	stdout  *syncBuffer
	stderr  *syncBuffer
	cmd     *exec.Cmd
	done    chan struct{}
}

// listening matches serve's "listening" log line.
var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serve starts "smtpkit serve" on 127.0.0.1:0 with a fresh Maildir under
// t.TempDir(), --hostname serveHostname, the CA written to a known file
// and args, waits until it listens, and stops it (SIGTERM, then SIGKILL
// after 10s) when the test ends. When the test fails, serve's log
// (stderr, with --trace unless args say otherwise) and its accepted-message
// lines are printed.
func serve(t *testing.T, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{
		Maildir: filepath.Join(dir, "Maildir"),
		CA:      filepath.Join(dir, "ca.pem"),
		stdout:  &syncBuffer{},
		stderr:  &syncBuffer{},
		done:    make(chan struct{}),
	}
	all := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "text",
		"--maildir", s.Maildir, "--hostname", serveHostname, "--ca-out", s.CA}, args...)
	s.cmd = exec.Command(binPath, all...)
	s.cmd.Stdout = s.stdout
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
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
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("smtpkit %s\n--- serve stderr (log) ---\n%s--- serve stdout ---\n%s",
				strings.Join(all, " "), s.stderr.String(), s.stdout.String())
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

// stop ends the server with SIGTERM and waits for it, killing it when it
// has not stopped within 10 seconds.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Errorf("smtpkit serve did not stop within 10s of SIGTERM; killing it")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Stdout returns the lines serve printed on standard output so far (one
// per accepted message).
func (s *server) Stdout() string { return s.stdout.String() }

// InteropOutEnv names the directory where each case appends its outcome
// to clients.jsonl, for docs/INTEROP.md.
const InteropOutEnv = "SMTPKIT_INTEROP_OUT"

// outcome is one line of clients.jsonl.
type outcome struct {
	Peer    string `json:"peer"`
	Version string `json:"version"`
	Mode    string `json:"mode"`
	Case    string `json:"case"`
	Result  string `json:"result"`
}

// outMu serializes appends to clients.jsonl.
var outMu sync.Mutex

// record registers the outcome of t, a case of peer in mode: when
// SMTPKIT_INTEROP_OUT is set, a JSON line is appended to clients.jsonl
// there as the test ends ("pass" or "fail"; nothing when it is skipped).
func record(t *testing.T, peer, mode string) {
	t.Helper()
	dir := os.Getenv(InteropOutEnv)
	if dir == "" {
		return
	}
	t.Cleanup(func() {
		if t.Skipped() {
			return
		}
		o := outcome{Peer: peer, Version: peerVersion(peer), Mode: mode, Case: t.Name(), Result: "pass"}
		if t.Failed() {
			o.Result = "fail"
		}
		line, err := json.Marshal(o)
		if err != nil {
			t.Errorf("clients.jsonl: %v", err)
			return
		}
		outMu.Lock()
		defer outMu.Unlock()
		f, err := os.OpenFile(filepath.Join(dir, "clients.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("clients.jsonl: %v", err)
			return
		}
		defer f.Close()
		if _, err := f.Write(append(line, '\n')); err != nil {
			t.Errorf("clients.jsonl: %v", err)
		}
	})
}

// versions caches peerVersion's answers.
var versions sync.Map

// versionCommands is how each peer reports its version, and versionLine
// the part of that output kept.
var versionCommands = map[string][]string{
	"swaks":       {"swaks", "--version"},
	"curl":        {"curl", "--version"},
	"python3":     {"python3", "--version"},
	"smtp-source": {"dpkg-query", "-W", "-f", "${Version}", "postfix"},
}

// versionLine picks a version number out of a version command's output.
var versionLine = regexp.MustCompile(`\d+(?:\.\d+)+[^\s]*`)

// peerVersion returns the version of peer, or "unknown".
func peerVersion(peer string) string {
	if v, ok := versions.Load(peer); ok {
		return v.(string)
	}
	v := "unknown"
	if argv, ok := versionCommands[peer]; ok {
		if out, err := exec.Command(argv[0], argv[1:]...).Output(); err == nil {
			first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			if m := versionLine.FindString(first); m != "" {
				v = m
			}
		}
	}
	versions.Store(peer, v)
	return v
}
