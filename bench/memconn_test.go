package bench

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"
)

// TestMemConn runs the net.Conn conformance tests of nettest over memPipe:
// ordered delivery, concurrent use, and every deadline and Close case.
func TestMemConn(t *testing.T) {
	nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
		a, b := memPipe()
		return a, b, func() { a.Close(); b.Close() }, nil
	})
}

// TestMemConnBuffered checks what net.Pipe does not do: a Write returns
// once buffered, without a Read on the other end, and blocks when the
// buffer is full until a Read makes room.
func TestMemConnBuffered(t *testing.T) {
	a, b := memPipe()
	defer a.Close()
	defer b.Close()
	n, err := a.Write(make([]byte, memPipeSize))
	require.NoError(t, err)
	require.Equal(t, memPipeSize, n)

	require.NoError(t, a.SetWriteDeadline(time.Now().Add(10*time.Millisecond)))
	n, err = a.Write([]byte("x"))
	assert.Zero(t, n)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "a full buffer blocks until the deadline")
	require.NoError(t, a.SetWriteDeadline(time.Time{}))

	done := make(chan error, 1)
	go func() { _, err := a.Write([]byte("tail")); done <- err }()
	got, err := io.ReadAll(io.LimitReader(b, memPipeSize+4))
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Equal(t, "tail", string(got[memPipeSize:]))
}

// TestMemConnClose checks the errors after a Close at either end.
func TestMemConnClose(t *testing.T) {
	a, b := memPipe()
	_, err := a.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	assert.ErrorIs(t, a.Close(), net.ErrClosed)
	_, err = a.Read(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
	_, err = a.Write([]byte("x"))
	assert.ErrorIs(t, err, net.ErrClosed)

	got, err := io.ReadAll(b)
	require.NoError(t, err, "buffered octets, then io.EOF")
	assert.Equal(t, "bye", string(got))
	_, err = b.Write([]byte("x"))
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	assert.Equal(t, "memory-client", b.RemoteAddr().String())
	assert.Equal(t, "memory", b.LocalAddr().Network())
}

// TestMemListener checks that a dial meets Accept and that Close ends
// both Accept and later dials.
func TestMemListener(t *testing.T) {
	l := newMemListener(memPipe)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		assert.NoError(t, err)
		accepted <- c
	}()
	c, err := l.DialContext(context.Background(), "tcp", "memory:25")
	require.NoError(t, err)
	s := <-accepted
	_, err = c.Write([]byte("hi"))
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = io.ReadFull(s, buf)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(buf))
	assert.Equal(t, "memory-server", l.Addr().String())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.DialContext(ctx, "tcp", "memory:25")
	assert.ErrorIs(t, err, context.Canceled, "nobody accepts")

	require.NoError(t, l.Close())
	_, err = l.Accept()
	assert.ErrorIs(t, err, net.ErrClosed)
	_, err = l.DialContext(context.Background(), "tcp", "memory:25")
	assert.ErrorIs(t, err, net.ErrClosed)
}
