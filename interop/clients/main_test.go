//go:build interop

// Package clients runs real SMTP clients (swaks, curl, Python's smtplib
// and Postfix's smtp-source) against the built "smtpkit serve" and checks
// what they deliver by reading serve's Maildir. Build with -tags interop.
package clients

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/smtpkit/smtpkit/internal/servetest"
)

// binPath is the smtpkit binary that TestMain builds once for every test.
var binPath string

// TestMain builds cmd/smtpkit into a temporary directory, runs the tests
// and removes the binary.
func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &binPath)) }

// serveHostname is the --hostname every server is given; its test
// certificate also names 127.0.0.1.
const serveHostname = "mx.smtpkit.test"

// testUser and testPass are the account --user gives the AUTH cases.
const (
	testUser = "alice"
	testPass = "s3cret-Pass"
)

// server is one running "smtpkit serve" process: Addr, Host, Port,
// Maildir, CA and Stdout() are what the tests use.
type server = servetest.Serve

// serve starts "smtpkit serve" on 127.0.0.1:0 with a fresh Maildir under
// t.TempDir(), --hostname serveHostname, the CA written to a known file
// and args, waits until it listens, and stops it (SIGTERM, then SIGKILL
// after 10s) when the test ends (see servetest.Start). When the test
// fails, serve's log (stderr, with --trace unless args say otherwise) and
// its accepted-message lines are printed.
func serve(t *testing.T, args ...string) *server {
	t.Helper()
	var s *server
	// Registered before Start's cleanup, so it runs after serve stopped.
	t.Cleanup(func() {
		if s != nil && t.Failed() {
			t.Logf("--- serve stdout ---\n%s", s.Stdout())
		}
	})
	s = servetest.Start(t, binPath, append([]string{"--hostname", serveHostname}, args...)...)
	return s
}

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
