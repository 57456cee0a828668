package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/servetest"
)

// binPath is the smtpkit binary TestMain builds: the tests named
// TestBinary... run it as a user would, as a separate process.
var binPath string

// TestMain builds the smtpkit binary (./cmd/smtpkit, this package) into
// a temporary directory, runs the tests and removes it.
func TestMain(m *testing.M) { os.Exit(servetest.Main(m, &binPath)) }

// binEnv is the environment of a binary under test: PATH and HOME from
// ours, nothing SMTP_* leaks in, and the test's own variables.
func binEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// runBin runs the built smtpkit with args and returns its exit code and
// outputs; it fails the test when the process does not end within a
// minute.
func runBin(t testing.TB, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = binEnv(env)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "smtpkit %s did not end within a minute; stderr:\n%s", strings.Join(args, " "), errOut.String())
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// binServer is a running "smtpkit serve" process.
type binServer struct {
	addr     string
	out, err *syncBuffer
	cmd      *exec.Cmd
	done     chan struct{}
}

var listeningAddr = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serveBin starts the built "smtpkit serve" with args on 127.0.0.1:0,
// reads the address it listens on from its log, and stops it with SIGTERM
// when the test ends.
func serveBin(t *testing.T, env map[string]string, args ...string) *binServer {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-format", "text"}, args...)...)
	cmd.Env = binEnv(env)
	s := &binServer{out: &syncBuffer{}, err: &syncBuffer{}, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = s.out
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.err.Write([]byte(line + "\n"))
			if m := listeningAddr.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	select {
	case s.addr = <-found:
		return s
	case <-s.done:
		t.Fatalf("smtpkit serve exited at start: %s", s.err.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("smtpkit serve did not listen within 10s: %s", s.err.String())
	}
	return nil
}

// stop sends SIGTERM and waits for the process (killing it after 10s);
// it returns the exit code.
func (s *binServer) stop(t testing.TB) int {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Errorf("smtpkit serve did not stop within 10s of SIGTERM; killing it")
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	return s.cmd.ProcessState.ExitCode()
}
