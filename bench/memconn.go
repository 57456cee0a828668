package bench

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// This file holds the in-memory transport of the end-to-end benchmarks: a
// buffered duplex pipe (memPipe) and a net.Listener over it (memListener)
// that client.WithDialer dials, so that client.Client and client.Pool reach
// a server.Server with no socket and no system call.
//
// Why buffered: net.Pipe is a synchronous rendezvous, every Write blocks
// until Reads on the other side took all of it, so each reply and each
// pipelined group (RFC 2920) costs a goroutine hand-off per Read and the
// two sides never overlap, which neither TCP nor any real transport does.
// Worse, a pipelined BDAT message larger than the server's read buffer
// deadlocks on it: the client is still writing its chunk when the server
// writes its replies to MAIL and RCPT, and neither reads (RFC 2920 section
// 3.1 relies on the transport's buffers). net.Pipe also allocates on every
// SetDeadline, which both drivers call for each read and write. A memPipe
// gives each direction a bounded buffer, as a socket has: a Write returns
// once its octets are buffered and blocks only when the buffer is full. Its
// cost is one more copy per octet; BenchmarkNetPipe measures the
// alternative where it works.

// memPipeSize is the buffer of each direction of a memPipe, in octets: two
// BDAT chunks of the client's default size (client.DefaultChunkSize, 64
// KiB), so a pipelining sender can write one chunk while the server reads
// the last, as socket buffers allow; a bigger message still makes the
// writer wait for the reader.
const memPipeSize = 128 << 10

// memAddr is the address of an in-memory endpoint.
type memAddr string

// Network returns "memory".
func (memAddr) Network() string { return "memory" }

// String returns the endpoint's name.
func (a memAddr) String() string { return string(a) }

// memDeadline is one deadline of a memQueue, with the timer that wakes the
// waiters when it passes. It is guarded by the queue's mutex.
type memDeadline struct {
	at    time.Time
	timer *time.Timer
}

// memQueue is one direction of a memPipe: a ring buffer written by one end
// and read by the other. Every field is guarded by mu; cond is signalled
// (broadcast) whenever data, room, a close or a deadline arrives.
type memQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte
	head, n int         // the buffered octets are buf[head:head+n], wrapping
	wclosed bool        // the writing end was closed: reads drain, then io.EOF
	rclosed bool        // the reading end was closed: writes fail
	rdl     memDeadline // the reading end's read deadline
	wdl     memDeadline // the writing end's write deadline
}

// newMemQueue returns an empty queue of memPipeSize octets.
func newMemQueue() *memQueue {
	q := &memQueue{buf: make([]byte, memPipeSize)}
	q.cond.L = &q.mu
	return q
}

// wake wakes every goroutine waiting on q (a deadline passed).
func (q *memQueue) wake() {
	q.mu.Lock()
	q.cond.Broadcast()
	q.mu.Unlock()
}

// setDeadline sets d, one of q's deadlines, to t (zero: none). Waiters are
// woken now, for a deadline already past, and when t passes. The timer is
// made once and reset after, so setting a deadline does not allocate.
func (q *memQueue) setDeadline(d *memDeadline, t time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	d.at = t
	switch {
	case t.IsZero():
		if d.timer != nil {
			d.timer.Stop()
		}
	case d.timer == nil:
		d.timer = time.AfterFunc(time.Until(t), q.wake)
	default:
		d.timer.Reset(time.Until(t))
	}
	q.cond.Broadcast()
}

// passed reports whether deadline d is set and has passed.
func (d *memDeadline) passed() bool { return !d.at.IsZero() && !time.Now().Before(d.at) }

// stop stops d's timer; the queue is closed.
func (d *memDeadline) stop() {
	if d.timer != nil {
		d.timer.Stop()
	}
}

// take copies buffered octets into p and returns how many.
func (q *memQueue) take(p []byte) int {
	n := 0
	for n < len(p) && q.n > 0 {
		end := min(q.head+q.n, len(q.buf))
		m := copy(p[n:], q.buf[q.head:end])
		q.head = (q.head + m) % len(q.buf)
		q.n -= m
		n += m
	}
	if q.n == 0 {
		q.head = 0 // keep the next write contiguous
	}
	return n
}

// put copies as much of p as there is room for and returns how many.
func (q *memQueue) put(p []byte) int {
	n := 0
	for n < len(p) && q.n < len(q.buf) {
		tail := (q.head + q.n) % len(q.buf)
		end := len(q.buf)
		if tail < q.head {
			end = q.head
		}
		m := copy(q.buf[tail:end], p[n:])
		q.n += m
		n += m
	}
	return n
}

// memConn is one end of a memPipe. It is safe for concurrent use, as a
// net.Conn must be.
type memConn struct {
	in, out       *memQueue // read from in, write to out
	local, remote memAddr
	closeOnce     sync.Once
}

// memPipe returns the two ends of a buffered in-memory connection: what
// one writes, the other reads, in order.
func memPipe() (net.Conn, net.Conn) {
	ab, ba := newMemQueue(), newMemQueue()
	a := &memConn{in: ba, out: ab, local: "memory-client", remote: "memory-server"}
	b := &memConn{in: ab, out: ba, local: "memory-server", remote: "memory-client"}
	return a, b
}

// Read reads buffered octets, waiting for some. It returns io.EOF once the
// other end closed and everything it wrote was read, net.ErrClosed after
// Close, and os.ErrDeadlineExceeded (a net.Error whose Timeout is true)
// once the read deadline passed, even when octets are buffered.
func (c *memConn) Read(p []byte) (int, error) {
	q := c.in
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		switch {
		case q.rclosed:
			return 0, net.ErrClosed
		case q.rdl.passed():
			return 0, os.ErrDeadlineExceeded
		case len(p) == 0:
			return 0, nil
		case q.n > 0:
			n := q.take(p)
			q.cond.Broadcast()
			return n, nil
		case q.wclosed:
			return 0, io.EOF
		}
		q.cond.Wait()
	}
}

// Write buffers all of p, waiting for room as needed. It fails with
// net.ErrClosed after Close, io.ErrClosedPipe once the other end closed,
// and os.ErrDeadlineExceeded once the write deadline passed; n says how
// much of p was buffered before that.
func (c *memConn) Write(p []byte) (int, error) {
	q := c.out
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for {
		switch {
		case q.wclosed:
			return n, net.ErrClosed
		case q.rclosed:
			return n, io.ErrClosedPipe
		case q.wdl.passed():
			return n, os.ErrDeadlineExceeded
		case n == len(p):
			return n, nil
		case q.n < len(q.buf):
			n += q.put(p[n:])
			q.cond.Broadcast()
			continue
		}
		q.cond.Wait()
	}
}

// Close closes both directions at this end: pending and later calls here
// fail with net.ErrClosed, the other end reads what was buffered and then
// io.EOF, and its writes fail. A second Close returns net.ErrClosed.
func (c *memConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		in, out := c.in, c.out
		in.mu.Lock()
		in.rclosed = true
		in.rdl.stop()
		in.cond.Broadcast()
		in.mu.Unlock()
		out.mu.Lock()
		out.wclosed = true
		out.wdl.stop()
		out.cond.Broadcast()
		out.mu.Unlock()
	})
	return err
}

// LocalAddr returns this end's name.
func (c *memConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the other end's name.
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines.
func (c *memConn) SetDeadline(t time.Time) error {
	c.in.setDeadline(&c.in.rdl, t)
	c.out.setDeadline(&c.out.wdl, t)
	return nil
}

// SetReadDeadline sets the deadline of pending and future Reads.
func (c *memConn) SetReadDeadline(t time.Time) error {
	c.in.setDeadline(&c.in.rdl, t)
	return nil
}

// SetWriteDeadline sets the deadline of pending and future Writes.
func (c *memConn) SetWriteDeadline(t time.Time) error {
	c.out.setDeadline(&c.out.wdl, t)
	return nil
}

// memListener is a net.Listener whose connections are made by its
// DialContext (a client.ContextDialer): each dial makes a pipe, hands one
// end to Accept and returns the other. It is safe for concurrent use.
type memListener struct {
	pipe  func() (net.Conn, net.Conn) // memPipe or net.Pipe
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// newMemListener returns a listener whose connections pipe makes.
func newMemListener(pipe func() (net.Conn, net.Conn)) *memListener {
	return &memListener{pipe: pipe, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a dial and returns the server's end, or net.ErrClosed
// once the listener is closed.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and later dials; connections already made stay open.
func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's name.
func (l *memListener) Addr() net.Addr { return memAddr("memory-server") }

// DialContext makes a connection and returns the client's end once Accept
// took the other; network and addr are ignored.
func (l *memListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := l.pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}
