//go:build unix

package server

import (
	"io"
	"syscall"
)

// rawReader reads a plain TCP connection through its syscall.RawConn so
// that a connection waiting for its client holds no read buffer: the
// callback takes a buffer from readBufs only to try a read, and gives it
// back when the read would block, while the runtime's poller waits. An
// idle session then costs its goroutine and its machine, not 32 KiB.
type rawReader struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool // tryRead, bound once: no allocation per read
	buf  *[readSize]byte
	n    int
	rerr error
}

// newRawReader returns a rawReader for nc, or nil when nc does not expose
// its file descriptor (TLS, a wrapped net.Conn).
func newRawReader(nc any) *rawReader {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawReader{rc: rc}
	r.fn = r.tryRead
	return r
}

// tryRead is the RawConn callback: one read(2); false (wait for input) when
// it would block.
func (r *rawReader) tryRead(fd uintptr) bool {
	b := readBufs.Get().(*[readSize]byte)
	var n int
	var err error
	for {
		n, err = syscall.Read(int(fd), b[:])
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		readBufs.Put(b)
		return false
	}
	r.buf, r.n, r.rerr = b, n, err
	return true
}

// read reads once and returns the buffer holding the octets (the caller
// puts it back in readBufs), the count and the error: io.EOF at the end of
// the stream, the deadline's or close's error from the poller.
func (r *rawReader) read() (*[readSize]byte, int, error) {
	r.buf, r.n, r.rerr = nil, 0, nil
	if err := r.rc.Read(r.fn); err != nil {
		if r.buf != nil {
			readBufs.Put(r.buf)
		}
		return nil, 0, err
	}
	n, err := r.n, r.rerr
	switch {
	case err != nil:
		n, err = 0, &syscallError{err}
	case n == 0:
		err = io.EOF
	}
	return r.buf, n, err
}

// syscallError is a read(2) failure, such as ECONNRESET.
type syscallError struct{ err error }

func (e *syscallError) Error() string { return "read: " + e.err.Error() }
func (e *syscallError) Unwrap() error { return e.err }
