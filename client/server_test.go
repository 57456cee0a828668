package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// gotMessage is a message the test server received.
type gotMessage struct {
	From   string
	To     []string
	Mail   string // the MAIL command line
	Rcpts  []string
	Body   string
	Binary bool
}

// testServer is an in-process SMTP server for the tests: a thin loop over
// state.Server, as the client is over state.Client. decide answers the
// decisions (nil: the machine's default replies).
type testServer struct {
	cfg      state.ServerConfig
	tls      *tls.Config // for STARTTLS and implicit TLS
	implicit bool
	auth     *auth.Registry
	decide   func(ev state.Event) reply.Reply
	sink     bool // keep nothing (allocation tests)

	mu    sync.Mutex
	msgs  []gotMessage
	reads []string // the client's writes, as read, before TLS
	conns int
	verbs map[wire.Verb]int
	wg    sync.WaitGroup
}

// newTestServer returns a server offering exts.
func newTestServer(exts ...wire.Ext) *testServer {
	var set wire.ExtSet
	for _, e := range exts {
		set = set.With(e)
	}
	return &testServer{cfg: state.ServerConfig{Hostname: "mx.test", Extensions: set}, verbs: map[wire.Verb]int{}}
}

// pipe serves one session over net.Pipe and returns the client's end.
func (ts *testServer) pipe(t testing.TB) net.Conn {
	c, s := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); ts.serve(s) }()
	t.Cleanup(func() { c.Close(); <-done })
	return c
}

// listen serves on a loopback listener and returns its address.
func (ts *testServer) listen(t testing.TB) string {
	addr, stop, err := ts.start()
	require.NoError(t, err)
	t.Cleanup(stop)
	return addr
}

// start serves on a loopback listener; stop closes it and waits for the
// sessions to end.
func (ts *testServer) start() (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ts.wg.Add(1)
	go func() {
		defer ts.wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			ts.wg.Add(1)
			go func() { defer ts.wg.Done(); ts.serve(conn) }()
		}
	}()
	return l.Addr().String(), func() { l.Close(); ts.wg.Wait() }, nil
}

// messages returns what was received.
func (ts *testServer) messages() []gotMessage {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]gotMessage(nil), ts.msgs...)
}

// count returns how often verb was received and accepted or refused.
func (ts *testServer) count(v wire.Verb) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.verbs[v]
}

// serve runs one session on conn.
func (ts *testServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	ctx := context.Background()
	cfg := ts.cfg
	cs := auth.ConnState{}
	if ts.implicit {
		tc, facts, err := tlsmode.ServerHandshake(ctx, conn, ts.tls)
		if err != nil {
			return
		}
		conn, cfg.TLS, cs = tc, true, facts.AuthConn(0)
		cs.TLS = true
	}
	if ts.auth != nil {
		cfg.Extensions = cfg.Extensions.With(wire.ExtAUTH)
		cfg.AuthMechanisms = ts.auth.Offered(cs)
		cfg.AllowInsecureAuth = ts.auth.AllowCleartext
	}
	s, err := state.NewServer(cfg)
	if err != nil {
		panic(err)
	}
	ts.mu.Lock()
	ts.conns++
	ts.mu.Unlock()
	buf := make([]byte, 64<<10)
	var (
		as      auth.Server
		success bool // the SASL exchange is done; the next response gets 235
		msg     gotMessage
		body    []byte
		tlsOn   = cfg.TLS
	)
	// Replies go out from a goroutine, so that a client writing a long
	// pipelined group over a synchronous net.Pipe cannot deadlock with the
	// server writing replies, as TCP's buffers prevent.
	w := newAsyncWriter(conn)
	defer func() { w.flush() }()
	write := func() bool {
		out := s.Output()
		if len(out) == 0 {
			return true
		}
		w.write(out)
		s.Consumed(len(out))
		return w.err() == nil
	}
	step := func(ch []byte, done bool, err error) {
		switch {
		case err != nil:
			_ = s.Respond(auth.Reply(err))
		case done && len(ch) > 0: // RFC 4954 section 4: server data in a 334
			success = true
			_ = s.Challenge(ch)
		case done:
			_ = s.Respond(auth.Reply(nil))
		default:
			_ = s.Challenge(ch)
		}
	}
	for {
		ev := s.Next()
		switch ev.Kind {
		case state.EventNone:
			if !write() {
				return
			}
			n, err := conn.Read(buf)
			if n > 0 {
				if !tlsOn && !ts.sink {
					ts.mu.Lock()
					ts.reads = append(ts.reads, string(buf[:n]))
					ts.mu.Unlock()
				}
				_ = s.Receive(buf[:n])
			}
			if err != nil {
				s.ReceiveEOF()
			}
			continue
		case state.EventClose:
			write()
			w.flush()
			return
		case state.EventStartTLS:
			if !write() || w.flush() != nil {
				return
			}
			tc, facts, err := tlsmode.ServerHandshake(ctx, conn, ts.tls)
			if err != nil {
				s.TLSFailed(err)
				return
			}
			conn, tlsOn, cs = tc, true, facts.AuthConn(0)
			cs.TLS = true
			w = newAsyncWriter(conn)
			_ = s.TLSStarted()
			if ts.auth != nil {
				s.SetAuthMechanisms(ts.auth.Offered(cs))
			}
			continue
		case state.EventBody:
			if !ts.sink {
				body = append(body, ev.Data...)
			}
			continue
		case state.EventAuth:
			as, err = ts.auth.NewServer(string(ev.Command.Mechanism), cs)
			if err != nil {
				_ = s.Respond(auth.Reply(err))
				continue
			}
			step(as.Start(ctx, ev.Data, ev.Command.HasInitialResponse))
			continue
		case state.EventAuthResponse:
			if success {
				success = false
				_ = s.Respond(auth.Reply(nil))
				continue
			}
			step(as.Next(ctx, ev.Data))
			continue
		}
		if !ev.Kind.IsDecision() {
			continue
		}
		if !ts.sink {
			ts.mu.Lock()
			ts.verbs[ev.Command.Verb]++
			ts.mu.Unlock()
		}
		var r reply.Reply
		if ts.decide != nil {
			r = ts.decide(ev)
		}
		if !ts.sink {
			switch ev.Kind {
			case state.EventMail:
				msg, body = gotMessage{From: string(ev.Command.Path.Mailbox), Mail: commandLine(ev),
					Binary: ev.Mail.Body == wire.BodyBinaryMIME}, body[:0]
			case state.EventRcpt:
				if r.Code == 0 || r.Code.IsPositive() {
					msg.To = append(msg.To, string(ev.Command.Path.Mailbox))
					msg.Rcpts = append(msg.Rcpts, commandLine(ev))
				}
			case state.EventMessage:
				if ev.Recipient <= 0 && (r.Code == 0 || r.Code.IsPositive()) {
					msg.Body = string(body)
					ts.mu.Lock()
					ts.msgs = append(ts.msgs, msg)
					ts.mu.Unlock()
				}
			}
		}
		if err := s.Respond(r); err != nil {
			panic(err)
		}
	}
}

// commandLine rebuilds the parameters part of a MAIL or RCPT event for
// assertions.
func commandLine(ev state.Event) string {
	return strings.TrimSpace(string(ev.Command.Arg))
}

// refuse returns a decide function answering RCPT to mailboxes that start
// with a code ("550-...@", "451-...@") with that code.
func refuseByLocal(ev state.Event) reply.Reply {
	if ev.Kind != state.EventRcpt {
		return reply.Reply{}
	}
	local := string(ev.Command.Path.Local)
	for _, r := range []reply.Reply{
		{Code: 550, Enhanced: reply.Enhanced{Class: 5, Subject: 1, Detail: 1}, Text: "no such user"},
		{Code: 451, Enhanced: reply.Enhanced{Class: 4, Subject: 3, Detail: 0}, Text: "try later"},
	} {
		if strings.HasPrefix(local, r.Code.String()) {
			return r
		}
	}
	return reply.Reply{}
}

// testCA makes a CA and a server config for "mx.test" and 127.0.0.1.
func testCA(t testing.TB) (*tlsmode.TestCA, *tls.Config) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("mx.test", "127.0.0.1")
	require.NoError(t, err)
	return ca, cfg
}

// dialPipe opens a Client over a pipe to ts.
func dialPipe(t testing.TB, ts *testServer, addr string, opts ...Option) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return NewClient(ctx, ts.pipe(t), addr, opts...)
}

// plainOpts are the options of a plaintext test session.
var plainOpts = []Option{WithHostname("client.test"), WithTLS(tlsmode.ModeNone, tlsmode.PolicyAuto)}

// bodyOf returns a message body of n octets in lines.
func bodyOf(n int) []byte {
	line := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n")
	b := bytes.Repeat(line, n/len(line)+1)
	return b[:n-n%len(line)]
}

// asyncWriter writes on its own goroutine, in order.
type asyncWriter struct {
	ch   chan []byte
	ack  chan error
	mu   sync.Mutex
	werr error
	pool [][]byte
}

// newAsyncWriter starts the writer goroutine for conn.
func newAsyncWriter(conn net.Conn) *asyncWriter {
	w := &asyncWriter{ch: make(chan []byte, 256), ack: make(chan error)}
	go func() {
		for p := range w.ch {
			if p == nil {
				w.ack <- w.err()
				continue
			}
			if _, err := conn.Write(p); err != nil {
				w.mu.Lock()
				w.werr = err
				w.mu.Unlock()
			}
			w.mu.Lock()
			w.pool = append(w.pool, p[:0])
			w.mu.Unlock()
		}
	}()
	return w
}

// write queues a copy of p.
func (w *asyncWriter) write(p []byte) {
	w.mu.Lock()
	var b []byte
	if n := len(w.pool); n > 0 {
		b, w.pool = w.pool[n-1], w.pool[:n-1]
	}
	w.mu.Unlock()
	w.ch <- append(b, p...)
}

// err returns the first write error.
func (w *asyncWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.werr
}

// flush waits until everything queued is written, then stops the
// goroutine.
func (w *asyncWriter) flush() error {
	if w.ch == nil {
		return w.err()
	}
	w.ch <- nil
	err := <-w.ack
	close(w.ch)
	w.ch = nil
	return err
}
