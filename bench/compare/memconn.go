package main

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// memAddr is the address both ends of the in-memory connections report.
var memAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2525}

// memConn is the server end of an in-memory connection: Read returns the
// chunks sent on in, one chunk at most per call (so a chunk sent after
// another arrives the way a later TCP segment does), Write discards what the
// server says (or keeps it while keep is set). Deadlines are ignored.
type memConn struct {
	in     chan []byte
	cur    []byte
	closed chan struct{}
	once   sync.Once

	mu   sync.Mutex
	keep bool
	out  bytes.Buffer
}

// newMemConn returns an open memConn that keeps what the server writes
// until told otherwise.
func newMemConn() *memConn {
	return &memConn{in: make(chan []byte, 4), closed: make(chan struct{}), keep: true}
}

// Read returns octets of the current chunk, waiting for one if needed.
func (c *memConn) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		select {
		case c.cur = <-c.in:
		case <-c.closed:
			return 0, io.EOF
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Write accepts p, keeping it while keep is set.
func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.keep {
		c.out.Write(p)
	}
	c.mu.Unlock()
	return len(p), nil
}

// record starts keeping what the server writes, from empty (true), or
// stops (false).
func (c *memConn) record(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep = on
	if on {
		c.out.Reset()
	}
}

// output returns a copy of what was kept.
func (c *memConn) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// Close makes Read return io.EOF.
func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// LocalAddr is memAddr.
func (c *memConn) LocalAddr() net.Addr { return memAddr }

// RemoteAddr is memAddr.
func (c *memConn) RemoteAddr() net.Addr { return memAddr }

// SetDeadline is ignored.
func (c *memConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is ignored.
func (c *memConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is ignored.
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// memListener accepts one memConn, then waits for Close.
type memListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// newMemListener returns a listener whose first Accept returns c.
func newMemListener(c net.Conn) *memListener {
	l := &memListener{conns: make(chan net.Conn, 1), closed: make(chan struct{})}
	l.conns <- c
	return l
}

// Accept returns the connection, then net.ErrClosed once closed.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close ends Accept.
func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is memAddr.
func (l *memListener) Addr() net.Addr { return memAddr }

// scriptConn is the server of the client-side encode workload: each Read
// returns the next reply of pre, then of cycle, round and round; Write
// counts (and, while keep is set, keeps) what the client sends.
type scriptConn struct {
	pre, cycle [][]byte
	i          int
	written    int64
	keep       bool
	out        bytes.Buffer
}

// Read returns one whole reply.
func (c *scriptConn) Read(p []byte) (int, error) {
	var r []byte
	if len(c.pre) > 0 {
		r, c.pre = c.pre[0], c.pre[1:]
	} else {
		r = c.cycle[c.i%len(c.cycle)]
		c.i++
	}
	if len(p) < len(r) {
		return 0, io.ErrShortBuffer
	}
	return copy(p, r), nil
}

// Write counts p.
func (c *scriptConn) Write(p []byte) (int, error) {
	c.written += int64(len(p))
	if c.keep {
		c.out.Write(p)
	}
	return len(p), nil
}

// Close does nothing.
func (c *scriptConn) Close() error { return nil }

// LocalAddr is memAddr.
func (c *scriptConn) LocalAddr() net.Addr { return memAddr }

// RemoteAddr is memAddr.
func (c *scriptConn) RemoteAddr() net.Addr { return memAddr }

// SetDeadline is ignored.
func (c *scriptConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is ignored.
func (c *scriptConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is ignored.
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }
