//go:build reliability

// This file holds the hostile fake SMTP server the client tests use: a
// listener on 127.0.0.1:0 whose goroutine plays a script of hostile
// octets to one connection, with deadlines on every read and write, and
// reports what the client sent. It proves nothing by itself.
package hostile

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/stretchr/testify/require"
)

// fake is one scripted connection of the fake server.
type fake struct {
	nc net.Conn
	r  *bufio.Reader
	mu sync.Mutex
	// heard is every line the client sent.
	heard []string
	// written counts the octets the script wrote.
	written int64
}

// line reads one line from the client (without CRLF); "" at EOF.
func (f *fake) line() string {
	_ = f.nc.SetReadDeadline(time.Now().Add(ioWait))
	s, err := f.r.ReadString('\n')
	if err != nil {
		return ""
	}
	s = strings.TrimRight(s, "\r\n")
	f.mu.Lock()
	f.heard = append(f.heard, s)
	f.mu.Unlock()
	return s
}

// write writes p; false when the client is gone.
func (f *fake) write(p string) bool { return f.writeBytes([]byte(p)) }

// writeBytes writes p without copying it (the memory checks count every
// allocation of the test process).
func (f *fake) writeBytes(p []byte) bool {
	_ = f.nc.SetWriteDeadline(time.Now().Add(ioWait))
	n, err := f.nc.Write(p)
	f.mu.Lock()
	f.written += int64(n)
	f.mu.Unlock()
	return err == nil
}

// ehlo reads EHLO and answers 250 with the keywords given.
func (f *fake) ehlo(keywords ...string) {
	f.line()
	lines := append([]string{"fake.example"}, keywords...)
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString("250" + sep + l + "\r\n")
	}
	f.write(b.String())
}

// rest reads whatever the client sends until it closes or within wait,
// and returns it.
func (f *fake) rest(wait time.Duration) string {
	_ = f.nc.SetReadDeadline(time.Now().Add(wait))
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := f.r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// fakeServer starts the fake server with script for its first connection
// and returns its address and the connection's record, filled once done
// is closed.
func fakeServer(t *testing.T, script func(f *fake)) (addr string, f *fake, done chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	f = &fake{}
	done = make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		f.nc, f.r = nc, bufio.NewReader(nc)
		script(f)
	}()
	return ln.Addr().String(), f, done
}

// dialFake runs client.Dial against addr with a deadline and returns the
// error and how long it took. The port is not 25, 465 or 587, so the
// options given choose the TLS mode.
func dialFake(t *testing.T, addr string, opts ...client.Option) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*ioWait)
	defer cancel()
	start := time.Now()
	opts = append([]client.Option{client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}, opts...)
	c, err := client.Dial(ctx, addr, opts...)
	if err == nil {
		_ = c.Close()
	}
	return time.Since(start), err
}

// waitDone waits for the script to end, or fails.
func waitDone(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(3 * ioWait):
		t.Fatal("the fake server's script did not end")
	}
}
