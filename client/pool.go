package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/smtpkit/smtpkit/wire"
)

// Pool defaults.
const (
	DefaultMaxConns    = 4
	DefaultIdleTimeout = time.Minute
)

// ErrPoolClosed reports a Send on a closed Pool.
var ErrPoolClosed = errors.New("client: pool closed")

// Retry says how Pool.Send retries a message that failed temporarily: 4yz
// replies, a lost connection, 421, a timeout (Temporary). 5yz replies are
// never retried (RFC 5321 section 4.2.1: the same command will fail
// again). Waits grow exponentially from Base to Max, with jitter; the
// context bounds them.
type Retry struct {
	// Attempts is the number of tries in all; 0 or 1 means no retry.
	Attempts int
	// Base is the first wait (0: one second); Max caps the waits (0: one
	// minute). Each wait is drawn between half and all of min(Max,
	// Base*2^n), so that senders that failed together do not come back
	// together.
	Base, Max time.Duration
}

// backoff returns the wait before retry n (0 for the first retry); rnd is
// in [0, 1).
func (r Retry) backoff(n int, rnd float64) time.Duration {
	base, max := r.Base, r.Max
	if base <= 0 {
		base = time.Second
	}
	if max <= 0 {
		max = time.Minute
	}
	d := base
	for ; n > 0 && d < max; n-- {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(rnd*float64(d/2))
}

// PoolConfig configures a Pool. The zero value works.
type PoolConfig struct {
	// MaxConns bounds the open connections, in use or idle (0:
	// DefaultMaxConns). Send waits for one to be free.
	MaxConns int
	// IdleTimeout closes a connection idle longer than this instead of
	// reusing it (0: DefaultIdleTimeout); servers drop idle clients after a
	// few minutes (RFC 5321 section 4.5.3.2.7).
	IdleTimeout time.Duration
	// CheckAfter: a connection idle at least this long is checked with
	// NOOP before reuse (0: every reuse is checked).
	CheckAfter time.Duration
	// Rate bounds the messages sent per second, over all connections (0:
	// no bound). Each attempt counts.
	Rate float64
	// Retry says how failed messages are retried.
	Retry Retry
}

// PoolStats counts what a Pool did.
type PoolStats struct {
	Dials, Reuses, Checks, CheckFailures, Retries int
}

// Pool sends messages over a bounded set of reused connections to one
// server, for high-volume senders. Each connection is a Client made by
// Dial with the Pool's options; a message's transaction ends with the
// server back in its ready state (RSET when needed), so the next message
// reuses the session without a new EHLO. A Pool is safe for concurrent
// use.
type Pool struct {
	addr string
	opts []Option
	cfg  PoolConfig

	// Hooks, replaced by tests.
	dial  func(ctx context.Context) (*Client, error)
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	rnd   func() float64

	sem  chan struct{} // one token per open connection
	idle chan idleConn // connections ready for reuse, newest last

	mu     sync.Mutex
	closed bool
	slot   time.Time // the next send the rate allows
	stats  PoolStats
}

// idleConn is a Client waiting for reuse.
type idleConn struct {
	c     *Client
	since time.Time
}

// NewPool returns a Pool for addr; opts are Dial's. No connection is made
// until the first Send.
func NewPool(addr string, cfg PoolConfig, opts ...Option) *Pool {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	p := &Pool{addr: addr, opts: append([]Option(nil), opts...), cfg: cfg,
		now: time.Now, sleep: sleepCtx, rnd: rand.Float64,
		sem: make(chan struct{}, cfg.MaxConns), idle: make(chan idleConn, cfg.MaxConns)}
	p.dial = func(ctx context.Context) (*Client, error) { return Dial(ctx, p.addr, p.opts...) }
	return p
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// count adds to a counter.
func (p *Pool) count(f func(*PoolStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// get returns a connection: an idle one that passes its checks, or a new
// one when fewer than MaxConns are open.
func (p *Pool) get(ctx context.Context) (*Client, error) {
	for {
		var ic idleConn
		select {
		case ic = <-p.idle:
		default:
			select {
			case ic = <-p.idle:
			case p.sem <- struct{}{}:
				c, err := p.dial(ctx)
				if err != nil {
					<-p.sem
					return nil, err
				}
				p.count(func(s *PoolStats) { s.Dials++ })
				return c, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		idle := p.now().Sub(ic.since)
		if idle > p.cfg.IdleTimeout {
			p.drop(ic.c)
			continue
		}
		if idle >= p.cfg.CheckAfter {
			p.count(func(s *PoolStats) { s.Checks++ })
			if err := ic.c.Noop(ctx); err != nil {
				p.count(func(s *PoolStats) { s.CheckFailures++ })
				p.drop(ic.c)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				continue
			}
		}
		p.count(func(s *PoolStats) { s.Reuses++ })
		return ic.c, nil
	}
}

// drop closes c and frees its slot.
func (p *Pool) drop(c *Client) {
	_ = c.Close()
	<-p.sem
}

// put returns c for reuse, or closes it when it failed or the Pool did.
func (p *Pool) put(c *Client) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed || c.Err() != nil {
		p.drop(c)
		return
	}
	p.idle <- idleConn{c: c, since: p.now()}
}

// wait holds a send back to the configured rate.
func (p *Pool) wait(ctx context.Context) error {
	if p.cfg.Rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / p.cfg.Rate)
	now := p.now()
	p.mu.Lock()
	at := p.slot
	if at.Before(now) {
		at = now
	}
	p.slot = at.Add(interval)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

// Send sends a message over a pooled connection, retrying per
// PoolConfig.Retry: after a temporary failure of the whole message it
// tries again on another connection, after one of some recipients it
// tries again for those only. Permanently refused recipients are not
// retried. With retries, body is read again: a body that is an
// io.ReadSeeker is rewound; any other is read into memory first. The
// Result merges the attempts, in Envelope.To order.
func (p *Pool) Send(ctx context.Context, env Envelope, body io.Reader) (*Result, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrPoolClosed
	}
	attempts := max(p.cfg.Retry.Attempts, 1)
	var seeker io.ReadSeeker
	var start int64
	if attempts > 1 {
		if s, ok := body.(io.ReadSeeker); ok {
			seeker = s
			pos, err := s.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			start = pos
		} else {
			b, err := io.ReadAll(body)
			if err != nil {
				return nil, err
			}
			seeker = bytes.NewReader(b)
		}
		body = seeker
	}
	// The first attempt goes to every recipient; its Result is the answer
	// unless something is worth retrying.
	res, err := p.attemptAll(ctx, &env, body)
	if err == nil {
		return res, nil
	}
	if res == nil {
		res = &Result{Recipients: make([]RcptResult, len(env.To))}
		for i := range env.To {
			res.Recipients[i].Addr = env.To[i]
		}
	}
	todo := make([]int, len(env.To)) // indexes still to send to
	for i := range todo {
		todo[i] = i
	}
	for n := 0; n+1 < attempts && worthRetry(err) && ctx.Err() == nil; n++ {
		if todo = retryable(err, todo, res); len(todo) == 0 {
			break
		}
		p.count(func(s *PoolStats) { s.Retries++ })
		if serr := p.sleep(ctx, p.cfg.Retry.backoff(n, p.rnd())); serr != nil {
			return res, errors.Join(err, serr)
		}
		if _, serr := seeker.Seek(start, io.SeekStart); serr != nil {
			return res, errors.Join(err, serr)
		}
		if err = p.attempt(ctx, &env, body, todo, res); err == nil {
			break
		}
	}
	if err == nil {
		return res, mergedError(res, nil) // earlier attempts may have failed some
	}
	var se *SendError
	if errors.As(err, &se) {
		return res, mergedError(res, se)
	}
	return res, err
}

// attemptAll is the first attempt: every recipient, the Client's Result
// as it is.
func (p *Pool) attemptAll(ctx context.Context, env *Envelope, body io.Reader) (*Result, error) {
	if err := p.wait(ctx); err != nil {
		return nil, err
	}
	c, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Send(ctx, *env, body)
	p.put(c)
	return r, err
}

// attempt sends to the recipients todo and merges the outcome into res.
func (p *Pool) attempt(ctx context.Context, env *Envelope, body io.Reader, todo []int, res *Result) error {
	if err := p.wait(ctx); err != nil {
		return err
	}
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	sub := *env
	if len(todo) != len(env.To) {
		sub.To = make([]string, len(todo))
		var per []wire.RcptParams
		if len(env.PerRcpt) == len(env.To) {
			per = make([]wire.RcptParams, len(todo))
		}
		for j, i := range todo {
			sub.To[j] = env.To[i]
			if per != nil {
				per[j] = env.PerRcpt[i]
			}
		}
		sub.PerRcpt = per
	}
	r, err := c.Send(ctx, sub, body)
	p.put(c)
	if r != nil {
		for j, i := range todo {
			res.Recipients[i] = r.Recipients[j]
		}
		if r.Reply.Code != 0 {
			res.Reply = r.Reply
		}
	}
	return err
}

// worthRetry reports whether another attempt may deliver more: a
// temporary failure, or some recipients refused with 4yz.
func worthRetry(err error) bool {
	var se *SendError
	if errors.As(err, &se) && se.Reply == nil {
		for _, f := range se.Failed {
			if f.Reply.Code.IsTransient() {
				return true
			}
		}
		return false
	}
	return Temporary(err)
}

// retryable returns the recipients of todo worth another attempt after
// err: all not delivered after a temporary failure of the whole message,
// those refused with 4yz after a partial one.
func retryable(err error, todo []int, res *Result) []int {
	var se *SendError
	whole := !errors.As(err, &se) || se.Reply != nil
	next := todo[:0:0]
	for _, i := range todo {
		r := &res.Recipients[i]
		if r.Delivered {
			continue
		}
		if whole || r.Reply.Code.IsTransient() {
			next = append(next, i)
		}
	}
	return next
}

// mergedError is the SendError for every recipient res did not deliver.
func mergedError(res *Result, last *SendError) error {
	if res.Delivered() == len(res.Recipients) {
		return nil
	}
	out := &SendError{}
	if last != nil {
		out.Reply, out.Hint = last.Reply, last.Hint
	}
	for _, r := range res.Recipients {
		if !r.Delivered {
			out.Failed = append(out.Failed, r)
		}
	}
	if len(out.Failed) == 0 {
		return nil
	}
	if len(out.Failed) < len(res.Recipients) {
		out.Reply = nil
	}
	return out
}

// Close ends the idle connections with QUIT and makes later Sends fail;
// connections in use are closed when their Send returns.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for {
		select {
		case ic := <-p.idle:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			errs = append(errs, ic.c.Quit(ctx))
			cancel()
			<-p.sem
		default:
			return errors.Join(errs...)
		}
	}
}
