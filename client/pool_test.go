package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// fakeTime is a clock that moves only when the Pool sleeps.
type fakeTime struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (f *fakeTime) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

func (f *fakeTime) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return ctx.Err()
}

// pipePool returns a Pool whose connections are pipes to ts, on a fake
// clock.
func pipePool(t *testing.T, ts *testServer, cfg PoolConfig) (*Pool, *fakeTime) {
	p := NewPool("mx.test:25", cfg, plainOpts...)
	ft := &fakeTime{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	p.now, p.sleep, p.rnd = ft.now, ft.sleep, func() float64 { return 0.5 }
	p.dial = func(ctx context.Context) (*Client, error) { return NewClient(ctx, ts.pipe(t), p.addr, p.opts...) }
	t.Cleanup(func() { p.Close() })
	return p, ft
}

func send(p *Pool, to ...string) (*Result, error) {
	return p.Send(context.Background(), Envelope{From: "a@x.test", To: to}, strings.NewReader("hi\r\n"))
}

func TestPoolReuse(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	p := NewPool(ts.listen(t), PoolConfig{MaxConns: 2}, plainOpts...)
	for range 3 {
		_, err := send(p, "b@y.test")
		require.NoError(t, err)
	}
	assert.Equal(t, PoolStats{Dials: 1, Reuses: 2, Checks: 2}, p.Stats())
	assert.Equal(t, 1, ts.count(wire.VerbEHLO), "no new EHLO on reuse")
	assert.Equal(t, 2, strings.Count(strings.Join(ts.reads, ""), "NOOP\r\n"))
	require.NoError(t, p.Close())
	_, err := send(p, "b@y.test")
	require.ErrorIs(t, err, ErrPoolClosed)
}

func TestPoolConcurrent(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	p := NewPool(ts.listen(t), PoolConfig{MaxConns: 3, CheckAfter: time.Hour}, plainOpts...)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := send(p, "b@y.test")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.NoError(t, p.Close())
	st := p.Stats()
	assert.LessOrEqual(t, st.Dials, 3)
	assert.Equal(t, 20, st.Dials+st.Reuses)
	assert.Len(t, ts.messages(), 20)
}

func TestPoolHealthCheck(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	p, ft := pipePool(t, ts, PoolConfig{CheckAfter: time.Second, IdleTimeout: time.Minute})
	_, err := send(p, "b@y.test")
	require.NoError(t, err)
	// Reused at once: no check.
	_, err = send(p, "b@y.test")
	require.NoError(t, err)
	assert.Equal(t, PoolStats{Dials: 1, Reuses: 1}, p.Stats())
	// Idle past CheckAfter, and the server has gone: NOOP fails, a new
	// connection is made.
	ic := <-p.idle
	ic.c.conn.Close()
	p.idle <- ic
	ft.t = ft.t.Add(2 * time.Second)
	_, err = send(p, "b@y.test")
	require.NoError(t, err)
	assert.Equal(t, PoolStats{Dials: 2, Reuses: 1, Checks: 1, CheckFailures: 1}, p.Stats())
	// Idle past IdleTimeout: closed without a check.
	ft.t = ft.t.Add(2 * time.Minute)
	_, err = send(p, "b@y.test")
	require.NoError(t, err)
	assert.Equal(t, 3, p.Stats().Dials)
}

func TestPoolRate(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	p, ft := pipePool(t, ts, PoolConfig{Rate: 10, CheckAfter: time.Hour})
	for range 3 {
		_, err := send(p, "b@y.test")
		require.NoError(t, err)
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}, ft.sleeps)
}

func TestPoolRetry(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	ts := newTestServer(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES)
	ts.decide = func(ev state.Event) reply.Reply {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case ev.Kind == state.EventRcpt && strings.HasPrefix(string(ev.Command.Path.Local), "temp"):
			seen["temp"]++
			if seen["temp"] < 3 {
				return reply.Reply{Code: 451, Text: "greylisted"}
			}
		case ev.Kind == state.EventMail && strings.HasPrefix(string(ev.Command.Path.Local), "bad"):
			return reply.Reply{Code: 550, Text: "sender refused"}
		case ev.Kind == state.EventMail && strings.HasPrefix(string(ev.Command.Path.Local), "busy"):
			return reply.Reply{Code: 452, Text: "busy"}
		}
		return refuseByLocal(ev)
	}
	for _, tc := range []struct {
		name       string
		from       string
		to         []string
		delivered  []bool
		sleeps     int
		mails      int
		temporary  bool
		wantFailed []string
	}{
		{"4yz recipient retried until it passes", "a@x.test", []string{"ok@y.test", "temp@y.test", "550@y.test"},
			[]bool{true, true, false}, 2, 3, false, []string{"550@y.test"}},
		{"5yz MAIL not retried", "bad@x.test", []string{"ok@y.test"}, []bool{false}, 0, 1, false, []string{"ok@y.test"}},
		{"4yz MAIL retried to the limit", "busy@x.test", []string{"ok@y.test"}, []bool{false}, 3, 4, true, []string{"ok@y.test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			clear(seen)
			mu.Unlock()
			p, ft := pipePool(t, ts, PoolConfig{Retry: Retry{Attempts: 4, Base: time.Second, Max: 3 * time.Second}})
			mails := ts.count(wire.VerbMAIL)
			res, err := p.Send(context.Background(), Envelope{From: tc.from, To: tc.to}, strings.NewReader("hi\r\n"))
			var se *SendError
			require.ErrorAs(t, err, &se)
			var failed []string
			for _, f := range se.Failed {
				failed = append(failed, f.Addr)
			}
			assert.Equal(t, tc.wantFailed, failed)
			assert.Equal(t, tc.temporary, Temporary(err))
			var got []bool
			for _, r := range res.Recipients {
				got = append(got, r.Delivered)
			}
			assert.Equal(t, tc.delivered, got)
			assert.Len(t, ft.sleeps, tc.sleeps)
			assert.Equal(t, tc.mails, ts.count(wire.VerbMAIL)-mails)
			for i, d := range ft.sleeps { // exponential, with the jitter at its middle
				assert.Equal(t, Retry{Base: time.Second, Max: 3 * time.Second}.backoff(i, 0.5), d)
			}
		})
	}
}

func TestPoolRetryNetwork(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	p, ft := pipePool(t, ts, PoolConfig{Retry: Retry{Attempts: 3}})
	dial := p.dial
	fails := 1
	p.dial = func(ctx context.Context) (*Client, error) {
		if fails > 0 {
			fails--
			return nil, &Error{Op: "dial", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
		}
		return dial(ctx)
	}
	res, err := send(p, "b@y.test")
	require.NoError(t, err)
	assert.Equal(t, 1, res.Delivered())
	assert.Len(t, ft.sleeps, 1)
	assert.Equal(t, 1, p.Stats().Retries)
}

func TestRetryBackoff(t *testing.T) {
	r := Retry{Base: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{0, 0, 50 * time.Millisecond},
		{0, 0.999999, 100 * time.Millisecond},
		{1, 0, 100 * time.Millisecond},
		{3, 0, 400 * time.Millisecond},
		{4, 0, 500 * time.Millisecond},
		{40, 0.5, 750 * time.Millisecond},
	} {
		assert.InDelta(t, float64(tc.want), float64(r.backoff(tc.n, tc.rnd)), float64(time.Microsecond), "n=%d", tc.n)
	}
	assert.Equal(t, 750*time.Millisecond, Retry{}.backoff(0, 0.5))
}
