package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// syncBuffer is a bytes.Buffer safe for a command's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envMap is a getenv over a map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCmd runs the command line in process and returns its exit code and
// outputs.
func runCmd(t testing.TB, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	code := run(context.Background(), args, &stdio{in: strings.NewReader(stdin), out: &out, err: &errOut, getenv: envMap(env)})
	return code, out.String(), errOut.String()
}

// served is an in-process "smtpkit serve" for a test.
type served struct {
	addr     string
	out, err *syncBuffer
	stop     func() int
}

// serveInProcess starts "smtpkit serve" with args on a free loopback
// address, waits until it accepts connections, and stops it at the end of
// the test.
func serveInProcess(t *testing.T, args ...string) *served {
	t.Helper()
	addr := peers.FreeAddr(t)
	s := &served{addr: addr, out: &syncBuffer{}, err: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", addr}, args...), &stdio{in: strings.NewReader(""), out: s.out, err: s.err, getenv: envMap(nil)})
	}()
	var once sync.Once
	code := -1
	s.stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("serve did not stop within 10s")
			}
		})
		return code
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, s.err.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "serve did not listen within 5s: %s", s.err.String())
		time.Sleep(20 * time.Millisecond)
	}
}
