package client

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// socks5 is a minimal SOCKS5 proxy (RFC 1928, RFC 1929) for one
// connection: it checks the credentials, connects to the requested
// address and relays. The address it was asked for is sent on got.
func socks5(t *testing.T, user, pass string) (addr string, got chan string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	got = make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		read := func(n int) []byte { _, _ = io.ReadFull(c, buf[:n]); return buf[:n] }
		h := read(2)
		read(int(h[1]))
		_, _ = c.Write([]byte{5, 2}) // username/password
		read(1)
		u := string(read(int(read(1)[0])))
		p := string(read(int(read(1)[0])))
		if u != user || p != pass {
			_, _ = c.Write([]byte{1, 1})
			return
		}
		_, _ = c.Write([]byte{1, 0})
		req := read(4)
		var host string
		switch req[3] {
		case 1:
			host = net.IP(read(4)).String()
		case 3:
			host = string(read(int(read(1)[0])))
		}
		port := binary.BigEndian.Uint16(read(2))
		target := net.JoinHostPort(host, strconv.Itoa(int(port)))
		got <- target
		up, err := net.Dial("tcp", target)
		if err != nil {
			_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
			return
		}
		defer up.Close()
		_, _ = c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
		go func() { _, _ = io.Copy(up, c) }()
		_, _ = io.Copy(c, up)
	}()
	return l.Addr().String(), got
}

func TestDialSOCKS5(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	addr := ts.listen(t)
	proxyAddr, got := socks5(t, "u", "p")
	c, err := Dial(context.Background(), addr, append([]Option{WithSOCKS5(proxyAddr, "u", "p")}, plainOpts...)...)
	require.NoError(t, err)
	assert.Equal(t, addr, <-got)
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(context.Background()))

	proxyAddr, _ = socks5(t, "u", "p")
	_, err = Dial(context.Background(), addr, append([]Option{WithSOCKS5(proxyAddr, "u", "wrong")}, plainOpts...)...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "smtp dial")
}

// timeoutDialer fails every dial with a timeout.
type timeoutDialer struct{}

func (timeoutDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

func TestDialPort25Hint(t *testing.T) {
	for _, tc := range []struct {
		addr string
		hint bool
	}{{"mx.example:25", true}, {"mx.example:587", false}} {
		_, err := Dial(context.Background(), tc.addr, WithDialer(timeoutDialer{}))
		require.Error(t, err)
		assert.Equal(t, tc.hint, strings.Contains(err.Error(), "block outbound port 25"), err.Error())
		assert.True(t, Temporary(err))
	}
}
