//go:build interop

// Package postfix tests smtpkit against a real Postfix: Postfix's smtp(8)
// client relaying to "smtpkit serve", smtpkit's client and "smtpkit send"
// talking to Postfix's smtpd(8), and both talking to smtp-sink(1). Run it
// with "go test -tags interop ./interop/postfix/"; it needs root and
// Postfix (internal/peers skips, or fails under SMTPKIT_PEERS=require, when
// they are missing). When SMTPKIT_INTEROP_OUT names a directory, each test
// appends its outcome as one JSON line to postfix.jsonl there.
package postfix

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/internal/servetest"
)

// smtpkitBin is the "smtpkit" command TestMain builds.
var smtpkitBin string

// TestMain builds cmd/smtpkit into a temporary directory, runs the tests
// and removes it.
func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &smtpkitBin)) }

// outEnv names the directory of postfix.jsonl.
const outEnv = "SMTPKIT_INTEROP_OUT"

// recordMu serializes appends to postfix.jsonl.
var recordMu sync.Mutex

// record appends the outcome of t, in mode against Postfix version, to
// $SMTPKIT_INTEROP_OUT/postfix.jsonl when t ends ("pass", "fail" or
// "skip"). Register it
// first, so that it runs after the other cleanups.
func record(t *testing.T, mode string, version func() string) {
	t.Cleanup(func() {
		dir := os.Getenv(outEnv)
		if dir == "" {
			return
		}
		rec := map[string]string{
			"peer": "postfix", "version": version(), "mode": mode,
			"case": t.Name(), "result": "pass",
		}
		switch {
		case t.Failed():
			rec["result"] = "fail"
		case t.Skipped():
			rec["result"] = "skip"
		}
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rec); err != nil {
			t.Errorf("record: %v", err)
			return
		}
		recordMu.Lock()
		defer recordMu.Unlock()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Errorf("record: %v", err)
			return
		}
		f, err := os.OpenFile(filepath.Join(dir, "postfix.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("record: %v", err)
			return
		}
		_, werr := f.Write(line.Bytes())
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			t.Errorf("record: %v", werr)
		}
	})
}

var (
	versionOnce sync.Once
	version     string
)

// installedVersion returns Postfix's mail_version from "postconf -d", or
// "unknown".
func installedVersion() string {
	versionOnce.Do(func() {
		version = "unknown"
		path, err := exec.LookPath("postconf")
		if err != nil {
			path = "/usr/sbin/postconf"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, path, "-d", "-h", "mail_version").Output(); err == nil {
			if v := strings.TrimSpace(string(out)); v != "" {
				version = v
			}
		}
	})
	return version
}

// syncBuffer is a buffer safe for concurrent writes and reads.
type syncBuffer = servetest.Buffer

// serve is a running "smtpkit serve".
type serve struct {
	Addr    string
	Maildir string
	// CAFile is the test CA's certificate (--ca-out), readable by all.
	CAFile string
	Stdout *syncBuffer
	Stderr *syncBuffer
}

// serveHostname is serve's --hostname.
const serveHostname = "serve.smtpkit.test"

// startServe starts "smtpkit serve --trace" with STARTTLS on a free port
// of 127.0.0.1, a Maildir and its CA in a directory every user can read
// (Postfix's smtp(8) reads the CA as user postfix), and waits up to 10
// seconds until it accepts connections. It is stopped with SIGTERM (then
// killed after 5 seconds) and its directory removed when t ends; when t
// failed, its output is logged.
func startServe(t *testing.T) *serve {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "smtpkit-serve-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &serve{
		Addr:    peers.FreeAddr(t),
		Maildir: filepath.Join(dir, "Maildir"),
		CAFile:  filepath.Join(dir, "ca.pem"),
		Stdout:  &syncBuffer{},
		Stderr:  &syncBuffer{},
	}
	cmd := exec.Command(smtpkitBin, "serve", "--listen", s.Addr, "--maildir", s.Maildir,
		"--ca-out", s.CAFile, "--hostname", serveHostname, "--tls", "starttls", "--trace")
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("smtpkit serve: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("smtpkit serve stdout:\n%s\nsmtpkit serve stderr:\n%s", s.Stdout, s.Stderr)
		}
		_ = os.RemoveAll(dir)
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("smtpkit serve exited: %v\n%s", cmd.ProcessState, s.Stderr)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			if _, err := os.Stat(s.CAFile); err == nil {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("smtpkit serve did not listen on %s within 10s:\n%s", s.Addr, s.Stderr)
	return nil
}

// runSend runs "smtpkit send" with args, the password in SMTP_PASS (when
// not empty) and stdin, for at most 60 seconds, and returns its stdout,
// stderr and exit error.
func runSend(t *testing.T, password string, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, smtpkitBin, append([]string{"send"}, args...)...)
	cmd.Env = append(os.Environ(), "SMTP_PASS="+password)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// waitFor calls cond every 100ms until it returns true or timeout passes,
// and reports whether it did.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// queuedAs finds Postfix's queue ID in a reply text such as "2.0.0 Ok:
// queued as 4XyZ1234".
var queuedAs = regexp.MustCompile(`queued as ([0-9A-Za-z]+)`)

// normalizeLF turns CRLF line ends into LF.
func normalizeLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// splitMessage splits a message (LF line ends) into its header and body at
// the first empty line.
func splitMessage(msg string) (header, body string) {
	h, b, ok := strings.Cut(msg, "\n\n")
	if !ok {
		return msg, ""
	}
	return h + "\n", b
}

// testBody is the body of the test messages: long lines, a line that
// starts with a dot (dot-stuffing), a "From " line, trailing spaces and
// UTF-8, with LF line ends.
var testBody = "Hello from smtpkit's interop tests.\n" +
	"\n" +
	".a line that starts with a dot\n" +
	"..and one with two\n" +
	"From the start of a line\n" +
	"trailing spaces   \n" +
	"Grüße, 日本語, ½\n" +
	strings.Repeat("0123456789", 90) + "\n" +
	"the end\n"

// testMessage returns a message with the given Subject and testBody, LF
// line ends, 8bit UTF-8 text.
func testMessage(from, to, subject string) string {
	return "From: " + from + "\n" +
		"To: " + to + "\n" +
		"Subject: " + subject + "\n" +
		"Date: Tue, 08 Dec 2026 00:00:00 +0000\n" +
		"Message-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@smtpkit.test>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n" +
		"Content-Transfer-Encoding: 8bit\n" +
		"\n" + testBody
}
