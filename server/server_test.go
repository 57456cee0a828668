package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/smtp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

func TestNetSMTPSendMail(t *testing.T) {
	h := &recorder{}
	addr := start(t, &Server{Handler: h, Hostname: "mx.example.org"})
	body := "Subject: hi\r\n\r\n.leading dot\r\nHello.\r\n"
	require.NoError(t, smtp.SendMail(addr, nil, "alice@example.com", []string{"bob@example.org", "carol@example.org"}, []byte(body)))
	msgs := h.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, message{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}, Body: body}, msgs[0])
	assert.Equal(t, "localhost", h.infos[0].Hello) // net/smtp's EHLO name
	assert.True(t, h.infos[0].ESMTP)
}

func TestNetSMTPStartTLSAndAuth(t *testing.T) {
	cert, pool := selfSigned(t)
	var reg auth.Registry
	reg.Register(auth.PlainServer(auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
		if user == "alice" && pass == "secret" {
			return nil
		}
		return auth.ErrInvalidCredentials
	})))
	h := &recorder{}
	var trace strings.Builder
	addr := start(t, &Server{Handler: h, Hostname: "localhost", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Auth: &reg, RequireTLS: true, Trace: &syncWriter{w: &trace}})

	dialTLS := func() *smtp.Client {
		c, err := smtp.Dial(addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		ok, _ := c.Extension("AUTH")
		assert.False(t, ok, "PLAIN is not offered before TLS")
		require.NoError(t, c.StartTLS(&tls.Config{RootCAs: pool, ServerName: "localhost"}))
		ok, mechs := c.Extension("AUTH")
		require.True(t, ok)
		assert.Equal(t, "PLAIN", mechs)
		return c
	}
	// net/smtp gives up the connection after a failed AUTH.
	require.ErrorContains(t, dialTLS().Auth(smtp.PlainAuth("", "alice", "wrong", "127.0.0.1")), "535")
	c := dialTLS()
	require.NoError(t, c.Auth(smtp.PlainAuth("", "alice", "secret", "127.0.0.1")))
	require.NoError(t, c.Mail("alice@example.com"))
	require.NoError(t, c.Rcpt("bob@example.org"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = io.WriteString(w, "Subject: tls\r\n\r\nsecure\r\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())

	msgs := h.messages()
	require.Len(t, msgs, 1)
	info := h.infos[0]
	require.NotNil(t, info.TLS)
	require.NotNil(t, info.Identity)
	assert.Equal(t, "alice", info.Identity.Username)
	assert.Equal(t, "ESMTPSA", info.ReceivedProtocol(false))
	assert.NotContains(t, trace.String(), "secret")
	assert.NotContains(t, trace.String(), "AHNlY3JldA") // base64 fragments of the password
	assert.Contains(t, trace.String(), "C: AUTH <redacted>")
}

func TestImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	h := &recorder{}
	srv := &Server{Handler: h, Hostname: "localhost", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, ErrorLog: quietLog()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.ServeTLS(l)
	defer srv.Close()
	tc, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	require.NoError(t, err)
	c, err := smtp.NewClient(tc, "localhost")
	require.NoError(t, err)
	require.NoError(t, c.Hello("client.example.com"))
	ok, _ := c.Extension("STARTTLS")
	assert.False(t, ok, "no STARTTLS under TLS (RFC 3207 section 4.2)")
	require.NoError(t, c.Mail("a@example.com"))
	require.NoError(t, c.Rcpt("b@example.com"))
	w, err := c.Data()
	require.NoError(t, err)
	io.WriteString(w, "x\r\n")
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())
	require.Len(t, h.messages(), 1)
	assert.Equal(t, "ESMTPS", h.infos[0].ReceivedProtocol(false))
}

func TestHandlerErrorsBecomeReplies(t *testing.T) {
	h := &recorder{
		rcpt: func(to string) error {
			switch to {
			case "nobody@example.org":
				return Reject(reply.CodeMailboxUnavailable, reply.E(5, 1, 1), "No such user")
			case "db@example.org":
				return errors.New("database down: password=hunter2")
			}
			return nil
		},
		data: func(r io.Reader) error {
			io.Copy(io.Discard, r)
			return Reject(reply.CodeTransactionFailed, reply.E(5, 7, 1), "Spam")
		},
	}
	c := dial(t, start(t, &Server{Handler: h, Hostname: "mx.example.org"}))
	c.expect("220 mx.example.org")
	c.send("EHLO c.example\n")
	c.expect("250-mx.example.org")
	c.send("MAIL FROM:<a@example.com>\nRCPT TO:<nobody@example.org>\nRCPT TO:<db@example.org>\nRCPT TO:<ok@example.org>\nDATA\n")
	c.expect("250 2.1.0", "550 5.1.1 No such user", "451 4.3.0 Local error in processing", "250 2.1.5", "354")
	c.send("Subject: x\n\nbody\n.\n")
	c.expect("554 5.7.1 Spam")
	c.send("QUIT\n")
	c.expect("221")
	c.closed()
}

func TestConnectRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain error", errors.New("blocked"), "554 No SMTP service here"},
		{"try later", Reject(reply.CodeServiceNotAvailable, reply.Enhanced{}, "mx.example.org busy"), "421 mx.example.org busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{connect: func(*ConnInfo) error { return tt.err }}
			c := dial(t, start(t, &Server{Handler: h, Hostname: "mx.example.org"}))
			c.expect(tt.want)
			if strings.HasPrefix(tt.want, "554") {
				c.send("EHLO x\n")
				c.expect("503")
				c.send("QUIT\n")
				c.expect("221")
			}
			c.closed()
		})
	}
}

func TestMaxConnectionsPerIP(t *testing.T) {
	h := &recorder{}
	addr := start(t, &Server{Handler: h, MaxConnectionsPerIP: 2})
	a, b := dial(t, addr), dial(t, addr)
	a.expect("220")
	b.expect("220")
	third := dial(t, addr)
	third.expect("421 Too many connections")
	third.closed()
	a.send("QUIT\n")
	a.expect("221")
	a.closed()
	require.Eventually(t, func() bool {
		c := dial(t, addr)
		ok := strings.HasPrefix(c.reply(), "220")
		c.nc.Close()
		return ok
	}, 5*time.Second, 20*time.Millisecond)
}

func TestMaxConnections(t *testing.T) {
	addr := start(t, &Server{Handler: &recorder{}, MaxConnections: 1})
	a := dial(t, addr)
	a.expect("220")
	b := dial(t, addr)
	b.expect("421")
}

func TestPanicIsContained(t *testing.T) {
	h := &recorder{rcpt: func(to string) error {
		if to == "boom@example.org" {
			panic("handler bug")
		}
		return nil
	}}
	var panics atomic.Int64
	addr := start(t, &Server{Handler: h, Metrics: metricsFunc(func(c Counter, n int64) {
		if c == CounterPanics {
			panics.Add(n)
		}
	})})
	c := dial(t, addr)
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<boom@example.org>\n")
	c.expect("250", "421 4.3.0")
	c.closed()
	assert.Equal(t, int64(1), panics.Load())
	// The server still serves.
	require.NoError(t, smtp.SendMail(addr, nil, "a@b.c", []string{"ok@example.org"}, []byte("x\r\n")))
}

func TestPanicInDataDrainsThen421(t *testing.T) {
	h := &recorder{data: func(r io.Reader) error {
		buf := make([]byte, 3)
		r.Read(buf)
		panic("data bug")
	}}
	c := dial(t, start(t, &Server{Handler: h}))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n")
	c.expect("250", "250", "354")
	c.send("line one\nQUIT\nline three\n.\n")
	c.expect("421")
	c.closed()
}

func TestShutdown(t *testing.T) {
	hold := make(chan struct{})
	h := &recorder{dataHold: hold}
	srv := &Server{Handler: h}
	addr := start(t, srv)
	busy, idle := dial(t, addr), dial(t, addr)
	busy.expect("220")
	idle.expect("220")
	idle.send("EHLO idle\n")
	idle.expect("250")
	busy.send("EHLO busy\n")
	busy.expect("250")
	busy.send("MAIL FROM:<a@b.c>\nRCPT TO:<x@y.z>\nDATA\n")
	busy.expect("250", "250", "354")
	busy.send("in flight\n.\n")

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		_, err := net.Dial("tcp", addr)
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the listener closes")

	idle.expect("421 4.3.2") // at once, without waiting for a command
	idle.closed()

	close(hold) // the message in flight finishes
	busy.expect("250 2.0.0")
	busy.send("MAIL FROM:<a@b.c>\n")
	busy.expect("421")
	require.NoError(t, <-done)
	require.Len(t, h.messages(), 1)
}

func TestShutdownContextExpires(t *testing.T) {
	srv := &Server{Handler: &recorder{}}
	c := dial(t, start(t, srv))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\n")
	c.expect("250") // a transaction holds Shutdown
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	c.expect("421 4.3.2") // ended as by Close
	c.closed()
}

func TestIdleTimeout(t *testing.T) {
	var timeouts atomic.Int64
	srv := &Server{Handler: &recorder{}, Timeouts: state.Timeouts{ServerIdle: 100 * time.Millisecond},
		Metrics: metricsFunc(func(c Counter, n int64) {
			if c == CounterTimeouts {
				timeouts.Add(n)
			}
		})}
	c := dial(t, start(t, srv))
	c.expect("220")
	c.expect("421 localhost Timeout")
	c.closed()
	assert.Positive(t, timeouts.Load())
}

func TestConfigErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &Server{Handler: &recorder{}, Hostname: "bad host"}
	require.Error(t, srv.Serve(l))
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.Error(t, (&Server{}).Serve(l2), "no Handler")
}

// metricsFunc adapts a function to Metrics.
type metricsFunc func(Counter, int64)

func (f metricsFunc) Count(c Counter, n int64) { f(c, n) }

func TestCloseSends421(t *testing.T) {
	srv := &Server{Handler: &recorder{}}
	c := dial(t, start(t, srv))
	c.expect("220")
	c.send("EHLO c\n")
	c.expect("250")
	c.send("MAIL FROM:<a@b.c>\n")
	c.expect("250")
	require.NoError(t, srv.Close())
	c.expect("421 4.3.2") // even inside a transaction (RFC 5321 3.8)
	c.closed()
}

// queueSession names accepted messages (QueueSession).
type queueSession struct {
	*recSession
	id string
}

func (s queueSession) QueueID() string { return s.id }

func TestQueueSessionNamesAcceptedMessages(t *testing.T) {
	for _, tc := range []struct {
		name, id, want string
	}{
		{"id", "4XyZ1", "250 2.0.0 Message accepted, queued as 4XyZ1"},
		{"empty keeps the default", "", "250 2.0.0 Message accepted"},
		{"a line break keeps the default", "a\r\nb", "250 2.0.0 Message accepted"},
		{"a space keeps the default", "a b", "250 2.0.0 Message accepted"},
		{"too long keeps the default", strings.Repeat("x", 65), "250 2.0.0 Message accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &recorder{}
			hf := HandlerFunc(func(ctx context.Context, c *ConnInfo) (Session, error) {
				s, err := h.Connect(ctx, c)
				return queueSession{s.(*recSession), tc.id}, err
			})
			c := dial(t, start(t, &Server{Handler: hf, Hostname: "mx.example.org"}))
			c.expect("220")
			c.send("EHLO c.example\n")
			c.expect("250-mx.example.org")
			c.send("MAIL FROM:<a@example.com>\nRCPT TO:<b@example.org>\nDATA\n")
			c.expect("250 2.1.0", "250 2.1.5", "354")
			c.send("Subject: x\n\nbody\n.\n")
			require.Equal(t, tc.want, c.reply())
			require.Len(t, h.messages(), 1)
		})
	}
}
