package fuzz

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// This file holds replayConn, the in-memory connection FuzzClientSession
// runs the client driver over: the "server" replays fixed octets whatever
// the client writes, and every write of the client is recorded with how
// much of the server's octets it had been given by then.

// maxClientOutput bounds what a client may write in one fuzzed session; a
// client past it is runaway.
const maxClientOutput = 1 << 20

// maxReadsAfterEOF bounds the reads a client makes after the end of the
// server's octets; more means it loops on a closed connection.
const maxReadsAfterEOF = 64

// errRunaway is what replayConn returns once the client wrote or read past
// the bounds above: the session failed to end.
var errRunaway = errors.New("fuzz: the client did not stop (runaway reads or writes)")

// writeMark is one write of the client: where it starts in the client's
// stream, its length, and how many server octets Read had returned when
// it was written.
type writeMark struct {
	at, n     int
	delivered int
}

// replayConn is a net.Conn whose peer replays in, cut into the pieces cuts
// describes (each byte b is a piece of b+1 octets, cycling; no cuts means
// one piece), then ends the stream with io.EOF. Writes never block: they
// are recorded in out. Reads honour the deadline as a real connection does
// (a deadline already past fails the read with os.ErrDeadlineExceeded),
// so the client's context cancellation works; nothing else depends on the
// clock. It is used by one goroutine, except SetDeadline, which the
// client's context guard may call from another.
type replayConn struct {
	in   []byte
	cuts []byte
	pos  int // octets of in returned by Read
	k    int // pieces returned
	left int // octets left of the current piece

	out     []byte
	writes  []writeMark
	eofs    int
	closed  bool
	runaway bool

	mu       sync.Mutex
	deadline time.Time
}

// Read returns the next piece of the server's octets, or io.EOF after the
// last.
func (c *replayConn) Read(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	c.mu.Lock()
	d := c.deadline
	c.mu.Unlock()
	if !d.IsZero() && !time.Now().Before(d) {
		return 0, os.ErrDeadlineExceeded
	}
	if c.pos == len(c.in) {
		c.eofs++
		if c.eofs > maxReadsAfterEOF {
			c.runaway = true
			return 0, errRunaway
		}
		return 0, io.EOF
	}
	if c.left == 0 {
		c.left = len(c.in)
		if len(c.cuts) > 0 {
			c.left = int(c.cuts[c.k%len(c.cuts)]) + 1
		}
		c.k++
	}
	n := min(len(p), c.left, len(c.in)-c.pos)
	copy(p, c.in[c.pos:c.pos+n])
	c.pos += n
	c.left -= n
	return n, nil
}

// Write records p.
func (c *replayConn) Write(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	if len(c.out)+len(p) > maxClientOutput {
		c.runaway = true
		return 0, errRunaway
	}
	if len(p) > 0 {
		c.writes = append(c.writes, writeMark{at: len(c.out), n: len(p), delivered: c.pos})
		c.out = append(c.out, p...)
	}
	return len(p), nil
}

// Close ends the connection: later reads and writes fail with
// net.ErrClosed.
func (c *replayConn) Close() error {
	c.closed = true
	return nil
}

// replayAddr is the address of both ends of a replayConn.
type replayAddr struct{}

// Network returns "memory".
func (replayAddr) Network() string { return "memory" }

// String returns "replay".
func (replayAddr) String() string { return "replay" }

// LocalAddr returns a replayAddr.
func (c *replayConn) LocalAddr() net.Addr { return replayAddr{} }

// RemoteAddr returns a replayAddr.
func (c *replayConn) RemoteAddr() net.Addr { return replayAddr{} }

// SetDeadline sets the deadline of reads.
func (c *replayConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetReadDeadline sets the deadline of reads.
func (c *replayConn) SetReadDeadline(t time.Time) error { return c.SetDeadline(t) }

// SetWriteDeadline does nothing: writes never block.
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// writeAt returns the write that holds offset off of the client's stream.
func writeAt(writes []writeMark, off int) (writeMark, bool) {
	for _, w := range writes {
		if off >= w.at && off < w.at+w.n {
			return w, true
		}
	}
	return writeMark{}, false
}
