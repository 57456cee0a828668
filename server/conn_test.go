package server

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

func TestPipelinedTransactions(t *testing.T) {
	h := &recorder{}
	c := dial(t, start(t, &Server{Handler: h}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	for i := range 3 {
		c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n")
		c.expect("250", "250", "354")
		c.send("msg " + string(rune('0'+i)) + "\n.\n")
		c.expect("250 2.0.0")
	}
	c.send("QUIT\n")
	c.expect("221")
	require.Len(t, h.messages(), 3)
	assert.Equal(t, "msg 2\r\n", h.messages()[2].Body)
}

func TestBDAT(t *testing.T) {
	h := &recorder{}
	c := dial(t, start(t, &Server{Handler: h}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nBDAT 5\nHello")
	c.expect("250", "250", "250 2.0.0 5 octets received")
	c.send("VRFY x\n")
	c.expect("252")
	c.send("BDAT 8 LAST\n world\n")
	c.expect("250 2.0.0")
	// An empty last chunk: Data sees an empty message.
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nBDAT 0 LAST\n")
	c.expect("250", "250", "250 2.0.0")
	msgs := h.messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "Hello world\r\n", msgs[0].Body)
	assert.Empty(t, msgs[1].Body)
}

func TestBDATAbortedByRSET(t *testing.T) {
	h := &recorder{}
	c := dial(t, start(t, &Server{Handler: h}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nBDAT 3\nabc")
	c.expect("250", "250", "250")
	c.send("RSET\n")
	c.expect("250")
	c.send("QUIT\n")
	c.expect("221")
	c.closed()
	assert.Empty(t, h.messages())
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, 1, h.aborted)
}

func TestMessageTooBigIsNotDelivered(t *testing.T) {
	h := &recorder{}
	c := dial(t, start(t, &Server{Handler: h, MaxMessageSize: 10}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n")
	c.expect("250", "250", "354")
	c.send("0123456789abcdef\nmore\n.\n")
	c.expect("552")
	c.send("NOOP\n")
	c.expect("250")
	assert.Empty(t, h.messages())
}

func TestEarlyReturnDrains(t *testing.T) {
	h := &recorder{data: func(r io.Reader) error {
		buf := make([]byte, 4)
		_, err := io.ReadFull(r, buf)
		return err // returns before the end; the rest must not run as commands
	}}
	c := dial(t, start(t, &Server{Handler: h}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n")
	c.expect("250", "250", "354")
	c.send("head\nQUIT\nRSET\n.\n")
	c.expect("250 2.0.0")
	c.send("NOOP\n")
	c.expect("250")
}

func TestLMTPPerRecipient(t *testing.T) {
	h := &recorder{lmtp: func(to []string) []error {
		errs := make([]error, len(to))
		for i, r := range to {
			if strings.HasPrefix(r, "full") {
				errs[i] = Reject(reply.CodeMailboxBusy, reply.E(4, 2, 2), "Mailbox full")
			}
		}
		return errs
	}}
	h2 := HandlerFunc(func(ctx ctxT, ci *ConnInfo) (Session, error) {
		s, err := h.Connect(ctx, ci)
		return lmtpSession{s.(*recSession)}, err
	})
	c := dial(t, start(t, &Server{Handler: h2, Protocol: state.ProtocolLMTP}))
	c.expect("220")
	c.send("LHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<a@x.y>\nRCPT TO:<full@x.y>\nRCPT TO:<b@x.y>\nDATA\n")
	c.expect("250", "250", "250", "250", "354")
	c.send("hi\n.\n")
	c.expect("250 2.0.0", "450 4.2.2 Mailbox full", "250 2.0.0")
	require.Len(t, h.messages(), 1)
	assert.Equal(t, "LMTP", h.infos[0].ReceivedProtocol(false))
}

func TestLMTPWithoutLMTPSession(t *testing.T) {
	h := &recorder{}
	c := dial(t, start(t, &Server{Handler: h, Protocol: state.ProtocolLMTP}))
	c.expect("220")
	c.send("LHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<a@x.y>\nRCPT TO:<b@x.y>\nDATA\n")
	c.expect("250", "250", "250", "354")
	c.send("hi\n.\n")
	c.expect("250 2.0.0", "250 2.0.0")
}

// TestKilledDuringData cuts connections at random points of a message and
// checks that no partial message reaches the Handler as complete, and that
// the server keeps serving.
func TestKilledDuringData(t *testing.T) {
	h := &recorder{}
	addr := start(t, &Server{Handler: h})
	body := strings.Repeat("0123456789 line of the body\r\n", 2000) // about 58 KB
	script := "EHLO c\r\n"
	cmds := "MAIL FROM:<a@b.c>\r\nRCPT TO:<x@y.z>\r\nDATA\r\n"
	txn := cmds + body + ".\r\n"
	rng := rand.New(rand.NewPCG(1, 2))
	const runs = 40
	for range runs {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		cut := rng.IntN(len(txn) - 1) // never the whole message
		_, _ = nc.Write([]byte(script))
		time.Sleep(time.Millisecond) // let EHLO be answered before the group
		if cut > len(cmds) {
			_, _ = nc.Write([]byte(cmds))
			time.Sleep(time.Millisecond) // the 354 comes before the content
			_, _ = nc.Write([]byte(txn[len(cmds):cut]))
		} else {
			_, _ = nc.Write([]byte(txn[:cut]))
		}
		if rng.IntN(2) == 0 {
			nc.(*net.TCPConn).SetLinger(0) // reset instead of FIN
		}
		nc.Close()
	}
	// A complete message still goes through.
	c := dial(t, addr)
	c.expect("220")
	c.raw(script)
	c.expect("250")
	c.raw(cmds)
	c.expect("250", "250", "354")
	c.raw(body + ".\r\n")
	c.expect("250 2.0.0")
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.logouts == runs // every killed connection ended; c is still open
	}, 5*time.Second, 10*time.Millisecond)
	msgs := h.messages()
	require.Len(t, msgs, 1, "only the complete message is delivered")
	assert.Equal(t, body, msgs[0].Body)
}

func TestRawPipeConnection(t *testing.T) {
	// Serve over net.Pipe through a one-shot listener.
	h := &recorder{}
	srv := &Server{Handler: h, ErrorLog: quietLog()}
	a, b := net.Pipe()
	l := &pipeListener{conns: make(chan net.Conn, 1)}
	l.conns <- a
	go srv.Serve(l)
	defer srv.Close()
	c := &client{t: t, nc: b}
	c.r = newReader(b)
	c.expect("220")
	c.send("HELO c\n")
	c.expect("250 localhost")
	c.send("MAIL FROM:<>\n")
	c.expect("250")
	c.send("RCPT TO:<Postmaster>\n")
	c.expect("250")
	c.send("DATA\n")
	c.expect("354")
	c.send("x\n.\n")
	c.expect("250")
	c.send("QUIT\n")
	c.expect("221")
	msgs := h.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, message{From: "", To: []string{"Postmaster"}, Body: "x\r\n"}, msgs[0])
	assert.Equal(t, "SMTP", h.infos[0].ReceivedProtocol(false))
}

// pipeListener hands out queued connections, then blocks until closed.
type pipeListener struct {
	conns chan net.Conn
}

func (l *pipeListener) Accept() (net.Conn, error) {
	if c, ok := <-l.conns; ok {
		return c, nil
	}
	return nil, errors.New("closed")
}

func (l *pipeListener) Close() error {
	defer func() { recover() }()
	close(l.conns)
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
