package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/smtpkit/smtpkit/wire"
)

// discard is a Handler whose Session drops every message.
type discard struct{}

func (discard) Connect(context.Context, *ConnInfo) (Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Mail(string, *wire.MailParams) error { return nil }
func (discardSession) Rcpt(string, *wire.RcptParams) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

// benchConn is a greeted, pipelining client connection.
type benchConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func newBenchConn(b testing.TB, addr string) *benchConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchConn{nc: nc, r: bufio.NewReader(nc)}
	c.replies(1)
	io.WriteString(nc, "EHLO bench\r\n")
	c.replies(1)
	return c
}

// replies reads n replies, failing on anything but 2yz and 3yz.
func (c *benchConn) replies(n int) error {
	for n > 0 {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if line[0] != '2' && line[0] != '3' {
			return fmt.Errorf("reply %q", line)
		}
		if len(line) > 3 && line[3] == ' ' {
			n--
		}
	}
	return nil
}

// send runs one pipelined transaction: MAIL, RCPT, DATA, then the body.
func (c *benchConn) send(cmds, body []byte) error {
	if _, err := c.nc.Write(cmds); err != nil {
		return err
	}
	if err := c.replies(3); err != nil {
		return err
	}
	if _, err := c.nc.Write(body); err != nil {
		return err
	}
	return c.replies(1)
}

var benchCmds = []byte("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")

func benchBody(size int) []byte {
	line := strings.Repeat("x", 76) + "\r\n"
	return []byte(strings.Repeat(line, size/len(line)) + ".\r\n")
}

func benchmarkSend(b *testing.B, size, conns int) {
	addr := start(b, &Server{Handler: discard{}})
	body := benchBody(size)
	cs := make([]*benchConn, conns)
	for i := range cs {
		cs[i] = newBenchConn(b, addr)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N / conns
	for i, c := range cs {
		n := per
		if i == 0 {
			n += b.N % conns
		}
		wg.Go(func() {
			for range n {
				if err := c.send(benchCmds, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkSend1KiB1Conn(b *testing.B)     { benchmarkSend(b, 1<<10, 1) }
func BenchmarkSend1KiB20Conns(b *testing.B)   { benchmarkSend(b, 1<<10, 20) }
func BenchmarkSend100KiB1Conn(b *testing.B)   { benchmarkSend(b, 100<<10, 1) }
func BenchmarkSend100KiB20Conns(b *testing.B) { benchmarkSend(b, 100<<10, 20) }

// BenchmarkSessionPerMessage opens a connection per message, as Postfix's
// smtp-source does without -d: greeting, EHLO, MAIL, RCPT, DATA with 1 KiB,
// QUIT. Its B/op shows the per-connection cost (the read buffer comes from
// a pool).
func BenchmarkSessionPerMessage(b *testing.B) {
	addr := start(b, &Server{Handler: discard{}})
	body := benchBody(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchConn(b, addr)
		if err := c.send(benchCmds, body); err != nil {
			b.Fatal(err)
		}
		if _, err := io.WriteString(c.nc, "QUIT\r\n"); err != nil {
			b.Fatal(err)
		}
		if err := c.replies(1); err != nil {
			b.Fatal(err)
		}
		c.nc.Close()
	}
}
