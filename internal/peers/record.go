package peers

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
)

// Recording is a TCP proxy that records every connection it relays as a
// state.Transcript: each read of one side becomes one write of that side,
// and each end of stream a StepEOF. It sees only octets in clear, so it
// suits sessions without TLS.
type Recording struct {
	// Addr is where peers connect; the proxy relays to the target.
	Addr string

	ln     net.Listener
	target string
	mu     sync.Mutex
	done   []*state.Transcript
	wg     sync.WaitGroup
}

// Record starts a Recording proxy on 127.0.0.1 that relays to target. It
// is closed when t ends.
func Record(t testing.TB, target string) *Recording {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	r := &Recording{Addr: ln.Addr().String(), ln: ln, target: target}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		r.wg.Wait()
	})
	return r
}

func (r *Recording) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.relay(c)
	}
}

// relay copies both ways between c and a new connection to the target,
// recording in the order the reads complete.
func (r *Recording) relay(c net.Conn) {
	defer r.wg.Done()
	defer c.Close()
	s, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		return
	}
	defer s.Close()
	var mu sync.Mutex
	var rec state.Recorder
	var wg sync.WaitGroup
	pump := func(side state.Side, src, dst net.Conn) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			_ = src.SetReadDeadline(time.Now().Add(30 * time.Second))
			n, err := src.Read(buf)
			if n > 0 {
				mu.Lock()
				rec.Write(side, buf[:n])
				mu.Unlock()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					err = werr
				}
			}
			if err != nil {
				mu.Lock()
				rec.EOF(side)
				mu.Unlock()
				if tc, ok := dst.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				return
			}
		}
	}
	wg.Add(2)
	go pump(state.SideClient, c, s)
	go pump(state.SideServer, s, c)
	wg.Wait()
	r.mu.Lock()
	r.done = append(r.done, rec.Transcript())
	r.mu.Unlock()
}

// Sessions waits up to timeout for n relayed connections to end and
// returns the transcripts of those that ended, in the order they ended.
func (r *Recording) Sessions(n int, timeout time.Duration) []*state.Transcript {
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		got := len(r.done)
		r.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*state.Transcript(nil), r.done...)
}

// Check waits up to 10 seconds for n sessions to end and requires that
// state.Check finds no violation in any of them, no divergence and no
// stop: the peers here are well-behaved, so anything found is a bug on
// one side or in the Checker. The transcript of a failing session is
// logged.
func (r *Recording) Check(t testing.TB, n int, cfg state.CheckerConfig) {
	t.Helper()
	sessions := r.Sessions(n, 10*time.Second)
	require.Len(t, sessions, n, "sessions recorded")
	for _, tr := range sessions {
		rep, err := state.Check(tr, cfg)
		require.NoError(t, err)
		for _, v := range rep.Violations {
			t.Errorf("violation: %v", &v)
		}
		assert.Empty(t, rep.Diverged)
		assert.Empty(t, rep.Stopped)
		if len(rep.Violations) > 0 || rep.Diverged != "" || rep.Stopped != "" {
			t.Logf("transcript:\n%s", tr)
		}
	}
}
