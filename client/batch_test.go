package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// tripConn is a net.Conn that counts round trips: reads that follow a
// write, since a read after a read waits for nothing new the client sent.
type tripConn struct {
	net.Conn
	mu    sync.Mutex
	wrote bool
	trips int
}

// Write implements net.Conn.
func (c *tripConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.wrote = true
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// Read implements net.Conn.
func (c *tripConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.wrote {
		c.trips, c.wrote = c.trips+1, false
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// count returns the round trips since the last count.
func (c *tripConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.trips
	c.trips = 0
	return n
}

// batchInbox is a server.Handler (and its sessions) that keeps the bodies
// of the messages it accepts and refuses by the recipient's local part:
// "550..." at RCPT, under LMTP "452..." at the end of the data; and a body
// with "X-Refuse:" at the end of the data (554).
type batchInbox struct {
	mu    sync.Mutex
	mails int      // MAIL commands seen
	msgs  []string // the bodies accepted, in order
}

func (in *batchInbox) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return &batchSession{in: in}, nil
}

// bodies returns the bodies accepted and the MAIL commands seen.
func (in *batchInbox) bodies() ([]string, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.msgs...), in.mails
}

type batchSession struct {
	in *batchInbox
	to []string
}

func (s *batchSession) Mail(string, *wire.MailParams) error {
	s.in.mu.Lock()
	s.in.mails++
	s.in.mu.Unlock()
	return nil
}

func (s *batchSession) Rcpt(to string, _ *wire.RcptParams) error {
	if strings.HasPrefix(to, "550") {
		return server.Reject(550, reply.E(5, 1, 1), "no such user")
	}
	s.to = append(s.to, to)
	return nil
}

func (s *batchSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytes.Contains(body, []byte("X-Refuse:")) {
		return server.Reject(554, reply.E(5, 7, 1), "content refused")
	}
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, string(body))
	s.in.mu.Unlock()
	return nil
}

func (s *batchSession) LMTPData(r io.Reader) []error {
	errs := make([]error, len(s.to))
	if err := s.Data(r); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, to := range s.to {
		if strings.HasPrefix(to, "452") {
			errs[i] = server.Reject(452, reply.E(4, 2, 2), "mailbox full")
		}
	}
	return errs
}

func (s *batchSession) Reset()        { s.to = nil }
func (s *batchSession) Logout() error { return nil }

// runServer runs srv on 127.0.0.1 until t ends, behind a recording proxy
// whose sessions the Checker can judge.
func runServer(t testing.TB, srv *server.Server) *peers.Recording {
	t.Helper()
	srv.ErrorLog = slog.New(slog.DiscardHandler)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return peers.Record(t, l.Addr().String())
}

// tripDial opens a Client to addr over a tripConn.
func tripDial(t testing.TB, addr string, opts ...Option) (*Client, *tripConn) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	tc := &tripConn{Conn: conn}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewClient(ctx, tc, addr, append(append([]Option(nil), plainOpts...), opts...)...)
	require.NoError(t, err)
	tc.count()
	return c, tc
}

// numbered returns n messages from alice to to, each body naming its
// number, and the bodies.
func numbered(n int, to ...string) ([]Message, []string) {
	msgs, bodies := make([]Message, n), make([]string, n)
	for i := range msgs {
		bodies[i] = fmt.Sprintf("Subject: message %d\r\n\r\n%s", i, bodyOf(200+i))
		msgs[i] = Message{Envelope: Envelope{From: "alice@example.org", To: to}, Body: strings.NewReader(bodies[i])}
	}
	return msgs, bodies
}

// TestSendBatchRoundTrips sends a batch over DATA with PIPELINING to a
// server.Server that does not offer CHUNKING (as Postfix's smtp-sink):
// every message arrives whole, in order, in one round trip per message
// and one more, against two per message for Send; the Checker finds no
// violation on either side (RFC 2920 section 3.1: the content may be
// followed by commands in the same group).
func TestSendBatchRoundTrips(t *testing.T) {
	const n = 20
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org",
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING)})
	ctx := context.Background()

	c, tc := tripDial(t, rec.Addr)
	msgs, bodies := numbered(n, "bob@example.net")
	res, errs := c.SendBatch(ctx, msgs)
	batchTrips := tc.count()
	for i := range msgs {
		require.NoError(t, errs[i], "message %d", i)
		assert.Equal(t, 1, res[i].Delivered(), "message %d", i)
		assert.Equal(t, reply.Code(250), res[i].Reply.Code, "message %d", i)
	}
	got, _ := in.bodies()
	assert.Equal(t, bodies, got, "every body whole, in order")
	assert.LessOrEqual(t, batchTrips, n+2, "one round trip per message")
	require.NoError(t, c.Quit(ctx))

	c, tc = tripDial(t, rec.Addr)
	msgs, _ = numbered(n, "bob@example.net")
	for _, m := range msgs {
		_, err := c.Send(ctx, m.Envelope, m.Body)
		require.NoError(t, err)
	}
	assert.Equal(t, 2*n, tc.count(), "Send: two round trips per message")
	require.NoError(t, c.Quit(ctx))
	t.Logf("round trips for %d messages: SendBatch %d, Send %d", n, batchTrips, 2*n)
	rec.Check(t, 2, state.CheckerConfig{})
}

// TestSendBatchBDAT: with CHUNKING every message runs as Send runs it, one
// round trip each.
func TestSendBatchBDAT(t *testing.T) {
	const n = 10
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org", Extensions: state.DefaultExtensions})
	c, tc := tripDial(t, rec.Addr)
	msgs, bodies := numbered(n, "bob@example.net", "550nobody@example.net")
	res, errs := c.SendBatch(context.Background(), msgs)
	assert.LessOrEqual(t, tc.count(), n+2)
	for i := range msgs {
		var se *SendError
		require.ErrorAs(t, errs[i], &se, "one recipient refused")
		assert.Nil(t, se.Reply)
		assert.Equal(t, 1, res[i].Delivered())
	}
	got, _ := in.bodies()
	assert.Equal(t, bodies, got)
	require.NoError(t, c.Quit(context.Background()))
	rec.Check(t, 1, state.CheckerConfig{})
}

// TestSendBatchNoPipelining: without PIPELINING each message waits for
// every reply, as Send does; the Checker would see a group sent to a
// server that did not offer it.
func TestSendBatchNoPipelining(t *testing.T) {
	const n = 5
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org",
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING).Without(wire.ExtPIPELINING)})
	c, tc := tripDial(t, rec.Addr)
	msgs, bodies := numbered(n, "bob@example.net")
	_, errs := c.SendBatch(context.Background(), msgs)
	assert.Equal(t, make([]error, n), errs)
	assert.Equal(t, 4*n, tc.count(), "MAIL, RCPT, DATA and the content, each waiting")
	got, _ := in.bodies()
	assert.Equal(t, bodies, got)
	require.NoError(t, c.Quit(context.Background()))
	rec.Check(t, 1, state.CheckerConfig{})
}

// TestSendBatchLMTP: LMTP's reply per accepted recipient at the end of the
// data (RFC 2033 section 4.2) goes to its message, while the next
// message's envelope is answered in the same read.
func TestSendBatchLMTP(t *testing.T) {
	const n = 6
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "lmtp.example.org", Protocol: state.ProtocolLMTP,
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING)})
	c, tc := tripDial(t, rec.Addr, WithLMTP())
	msgs, bodies := numbered(n, "bob@example.net", "452full@example.net", "550nobody@example.net", "carol@example.net")
	res, errs := c.SendBatch(context.Background(), msgs)
	assert.LessOrEqual(t, tc.count(), n+2)
	for i := range msgs {
		var se *SendError
		require.ErrorAs(t, errs[i], &se, "message %d", i)
		require.Len(t, se.Failed, 2)
		assert.Equal(t, "452full@example.net", se.Failed[0].Addr)
		assert.Equal(t, reply.Code(452), se.Failed[0].Reply.Code)
		assert.Equal(t, "550nobody@example.net", se.Failed[1].Addr)
		assert.Equal(t, reply.Code(550), se.Failed[1].Reply.Code)
		assert.Equal(t, 2, res[i].Delivered())
		assert.True(t, res[i].Recipients[0].Delivered && res[i].Recipients[3].Delivered)
	}
	got, _ := in.bodies()
	assert.Equal(t, bodies, got)
	require.NoError(t, c.Quit(context.Background()))
	rec.Check(t, 1, state.CheckerConfig{Protocol: state.ProtocolLMTP})
}

// TestSendBatchPlanningErrors: a message refused before anything is sent
// gets Send's error, nothing of it is written, and the messages around it
// go on in the same pipeline.
func TestSendBatchPlanningErrors(t *testing.T) {
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org", MaxMessageSize: 1 << 10,
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING).Without(wire.ExtSMTPUTF8)})
	c, tc := tripDial(t, rec.Addr)
	msgs, bodies := numbered(6, "bob@example.net")
	msgs[1].Envelope.Size = 1 << 20                         // above SIZE
	msgs[2].Envelope.To = []string{"j\u00f6rg@example.net"} // no SMTPUTF8
	msgs[3].Envelope.To = nil                               // no recipient
	msgs[4].Body = strings.NewReader("bare\nline feed\r\n") // refused content
	res, errs := c.SendBatch(context.Background(), msgs)
	var sizeErr *SizeError
	require.ErrorAs(t, errs[1], &sizeErr)
	var addrErr *AddressError
	require.ErrorAs(t, errs[2], &addrErr)
	require.ErrorIs(t, errs[3], ErrNoRecipients)
	var bodyErr *BodyError
	require.ErrorAs(t, errs[4], &bodyErr)
	assert.False(t, bodyErr.Aborted)
	for _, i := range []int{1, 2, 3, 4} {
		assert.Nil(t, res[i], "message %d", i)
	}
	for _, i := range []int{0, 5} {
		require.NoError(t, errs[i], "message %d", i)
		assert.Equal(t, 1, res[i].Delivered())
	}
	got, mails := in.bodies()
	assert.Equal(t, []string{bodies[0], bodies[5]}, got)
	assert.Equal(t, 2, mails, "no MAIL for the refused messages")
	assert.LessOrEqual(t, tc.count(), 3, "the pipeline was kept")
	require.NoError(t, c.Quit(context.Background()))
	rec.Check(t, 1, state.CheckerConfig{})
}

// TestSendBatchQueueError: a command the machine refuses to queue (a DSN
// parameter the server does not offer) fails its message as in Send, and
// the reply to the end of the message before, read on the way, is still
// that message's.
func TestSendBatchQueueError(t *testing.T) {
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org",
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING).Without(wire.ExtDSN)})
	c, _ := tripDial(t, rec.Addr)
	msgs, bodies := numbered(4, "bob@example.net")
	msgs[1].Envelope.RcptParams.Notify = wire.NotifySuccess // after MAIL was queued
	msgs[2].Envelope.Params.Ret = wire.RetFull              // MAIL itself
	res, errs := c.SendBatch(context.Background(), msgs)
	for _, i := range []int{1, 2} {
		var e *Error
		require.ErrorAs(t, errs[i], &e, "message %d", i)
		require.ErrorIs(t, errs[i], state.ErrNotAdvertised, "message %d", i)
		assert.Zero(t, res[i].Delivered())
	}
	for _, i := range []int{0, 3} {
		require.NoError(t, errs[i], "message %d", i)
		assert.Equal(t, 1, res[i].Delivered(), "message %d", i)
	}
	got, mails := in.bodies()
	assert.Equal(t, []string{bodies[0], bodies[3]}, got)
	assert.Equal(t, 3, mails, "message 1's MAIL went, and RSET after it")
	require.NoError(t, c.Quit(context.Background()))
	rec.Check(t, 1, state.CheckerConfig{})
}

// TestSendBatchSmtpSink sends a batch to Postfix's smtp-sink, which offers
// PIPELINING and not CHUNKING, over SMTP and LMTP: one round trip per
// message, and the Checker finds no violation on either side.
func TestSendBatchSmtpSink(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		opts []Option
		cfg  state.CheckerConfig
	}{
		{"smtp", nil, nil, state.CheckerConfig{}},
		{"lmtp", []string{"-L"}, []Option{WithLMTP()}, state.CheckerConfig{Protocol: state.ProtocolLMTP}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const n = 10
			rec := peers.Record(t, peers.Sink(t, tt.args...))
			c, tc := tripDial(t, rec.Addr, tt.opts...)
			msgs, _ := numbered(n, "bob@example.org", "carol@example.org")
			res, errs := c.SendBatch(context.Background(), msgs)
			assert.LessOrEqual(t, tc.count(), n+2)
			for i := range msgs {
				require.NoError(t, errs[i], "message %d", i)
				assert.Equal(t, 2, res[i].Delivered(), "message %d", i)
			}
			require.NoError(t, c.Quit(context.Background()))
			rec.Check(t, 1, tt.cfg)
		})
	}
}

// TestSendBatchThenSend: after a batch the Client goes on as after Send.
func TestSendBatchThenSend(t *testing.T) {
	in := &batchInbox{}
	rec := runServer(t, &server.Server{Handler: in, Hostname: "mx.example.org",
		Extensions: state.DefaultExtensions.Without(wire.ExtCHUNKING)})
	c, _ := tripDial(t, rec.Addr)
	ctx := context.Background()
	msgs, _ := numbered(3, "bob@example.net")
	_, errs := c.SendBatch(ctx, msgs)
	assert.Equal(t, make([]error, 3), errs)
	_, err := c.Send(ctx, Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	res, errs := c.SendBatch(ctx, nil)
	assert.Empty(t, res)
	assert.Empty(t, errs)
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Quit(ctx))
	got, _ := in.bodies()
	assert.Len(t, got, 4)
	rec.Check(t, 1, state.CheckerConfig{})
}

// BenchmarkSendBatch sends 1 KiB messages over loopback to the in-process
// server with SendEach, and with Send for comparison, reporting round
// trips per message (rt/msg).
func BenchmarkSendBatch(b *testing.B) {
	for _, bc := range []struct {
		name  string
		exts  []wire.Ext
		batch bool
	}{
		{"1KiB/DATA", []wire.Ext{wire.ExtPIPELINING}, true},
		{"1KiB/DATA/Send", []wire.Ext{wire.ExtPIPELINING}, false},
		{"1KiB/BDAT", []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ts := newTestServer(bc.exts...)
			ts.sink = true
			c, tc := tripDial(b, ts.listen(b))
			b.Cleanup(func() { _ = c.Quit(context.Background()) })
			env := Envelope{From: "alice@example.org", To: []string{"bob@example.net"}}
			body := bodyOf(1 << 10)
			r := bytes.NewReader(body)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			tc.count()
			b.ResetTimer()
			if bc.batch {
				n := 0
				err := c.SendEach(ctx, func() (Message, bool) {
					if n == b.N {
						return Message{}, false
					}
					n++
					r.Reset(body)
					return Message{Envelope: env, Body: r}, true
				}, func(_ int, _ *Result, err error) {
					if err != nil {
						b.Fatal(err)
					}
				})
				if err != nil {
					b.Fatal(err)
				}
			} else {
				for range b.N {
					r.Reset(body)
					if _, err := c.Send(ctx, env, r); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(tc.count())/float64(b.N), "rt/msg")
		})
	}
}
