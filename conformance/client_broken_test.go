package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// clRawConn is a deliberately simple SMTP client for the tests: it writes
// what it is told and reads replies, so that broken clients can be built
// from it to prove the client cases can fail.
type clRawConn struct {
	conn net.Conn
	br   *bufio.Reader
	err  error
}

func clDialRaw(ctx context.Context, a *ClientAttempt) (*clRawConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	return &clRawConn{conn: conn, br: bufio.NewReader(conn)}, nil
}

func (c *clRawConn) Close() error { return c.conn.Close() }

// write sends text as is.
func (c *clRawConn) write(text string) {
	if c.err == nil {
		_, c.err = io.WriteString(c.conn, text)
	}
}

// reply reads one reply and returns its code (0 after an error).
func (c *clRawConn) reply() int {
	for c.err == nil {
		line, err := c.br.ReadString('\n')
		if err != nil {
			c.err = err
			break
		}
		if len(line) < 4 || line[3] == '-' {
			continue
		}
		code, _ := strconv.Atoi(line[:3])
		return code
	}
	return 0
}

// expect reads a reply and records an error unless its first digit is
// class (0: any reply).
func (c *clRawConn) expect(class int) int {
	code := c.reply()
	if c.err == nil && class != 0 && code/100 != class {
		c.err = fmt.Errorf("reply %d", code)
	}
	return code
}

// cmd sends a command line and expects a reply of class.
func (c *clRawConn) cmd(line string, class int) int {
	c.write(line + "\r\n")
	return c.expect(class)
}

// clBrokenClient runs fn on a raw connection; the client reports delivery
// when fn leaves no error.
func clBrokenClient(fn func(c *clRawConn, a *ClientAttempt)) ClientUnderTest {
	return clFakeClient{func(ctx context.Context, a *ClientAttempt) (string, error) {
		c, err := clDialRaw(ctx, a)
		if err != nil {
			return "", err
		}
		defer c.Close()
		fn(c, a)
		return "", c.err
	}}
}

// envelope sends EHLO, MAIL and the RCPTs, one reply at a time.
func (c *clRawConn) envelope(a *ClientAttempt) {
	c.expect(2)
	c.cmd("EHLO client.test", 2)
	c.cmd("MAIL FROM:<"+a.Job.From+">", 2)
	for _, to := range a.Job.To {
		c.cmd("RCPT TO:<"+to+">", 2)
	}
}

// data sends DATA and content as given (no stuffing, no conversion).
func (c *clRawConn) data(content string) {
	c.cmd("DATA", 3)
	c.write(content + ".\r\n")
	c.expect(2)
}

func TestClientCasesCatchBrokenClients(t *testing.T) {
	tests := []struct {
		id     string
		client ClientUnderTest
	}{
		{"rfc5321/4.3.1/wait-for-greeting", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.write("EHLO early.test\r\n") // before the greeting
			c.envelope(a)
		})},
		{"rfc5321/4.3.1/wait-for-each-reply", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.expect(2)
			c.cmd("EHLO client.test", 2)
			c.write("MAIL FROM:<" + a.Job.From + ">\r\nRCPT TO:<" + a.Job.To[0] + ">\r\n") // no PIPELINING offered
			c.expect(2)
			c.expect(2)
		})},
		{"rfc5321/4.5.2/dot-stuffing", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a)
			c.data(a.Job.Message) // not stuffed
			c.cmd("QUIT", 2)
		})},
		{"rfc5321/2.3.8/bare-lf", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a)
			c.data(a.Job.Message) // the bare LF goes out as is
			c.cmd("QUIT", 2)
		})},
		{"rfc5321/4.1.1.10/quit-before-close", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a)
			c.data(a.Job.Message) // and no QUIT
		})},
		{"rfc3030/2/bdat-chunks", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a)
			c.write(fmt.Sprintf("BDAT %d LAST\r\n%s\r\n", len(a.Job.Message), a.Job.Message)) // two octets more than announced
			c.expect(2)
		})},
		{"rfc4616/5/no-plain-in-clear", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.expect(2)
			c.cmd("EHLO client.test", 2)
			c.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00"+a.Username+"\x00"+a.Password)), 2)
		})},
		{"rfc3207/4.2/response-injection", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.expect(2)
			c.cmd("EHLO client.test", 2)
			c.cmd("STARTTLS", 2)
			stale, _ := c.br.Peek(c.br.Buffered())                          // the injected line, kept: the bug
			tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a test of a broken client
			if err := tc.Handshake(); err != nil {
				c.err = err
				return
			}
			c.br = bufio.NewReader(io.MultiReader(strings.NewReader(string(stale)), tc))
			c.conn = tc
			c.cmd("EHLO client.test", 2)
			c.cmd("MAIL FROM:<"+a.Job.From+">", 2)
		})},
		{"rfc5321/2.4/ascii-envelope", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a) // the IDN domain in UTF-8
		})},
		{"rfc3207/6/required-not-offered", clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
			c.envelope(a) // on without TLS
			c.data(a.Job.Message)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r, _ := clRunOne(t, tt.client, tt.id)
			assert.Equal(t, Fail, r.Status, "%s: %s\n%s", tt.id, r.Reason, r.Transcript)
			t.Logf("%s: %s", tt.id, r.Reason)
		})
	}
}

func TestClientCasePassesForACorrectRawClient(t *testing.T) {
	// The same raw client, correct this time, passes: the failures above
	// are the breakage's, not the harness's.
	good := clBrokenClient(func(c *clRawConn, a *ClientAttempt) {
		c.envelope(a)
		c.data(strings.ReplaceAll(a.Job.Message, "\r\n.", "\r\n.."))
		c.cmd("QUIT", 2)
	})
	r, _ := clRunOne(t, good, "rfc5321/4.1.1.10/quit-before-close")
	assert.Equal(t, Pass, r.Status, "%s\n%s", r.Reason, r.Transcript)
	r, _ = clRunOne(t, good, "rfc5321/4.5.2/dot-stuffing")
	assert.Equal(t, Pass, r.Status, "%s\n%s", r.Reason, r.Transcript)
}
