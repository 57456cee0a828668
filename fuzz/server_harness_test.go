package fuzz

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// This file is the harness the FuzzServer* targets share: an in-memory
// connection that keeps the client's write boundaries and can tell when the
// server waits for input, a recording Session, and svRun, which serves
// one connection with the real server.Server driver.

// svHangLimit is how long one session may take before the harness calls it
// hung. It only bounds a failure (a session that never ends); no result
// depends on it.
const svHangLimit = 20 * time.Second

// link is an in-memory connection between the test (the client) and the
// server driver. Client writes are queued as separate pieces and each
// server Read returns at most one piece, so the server's machine receives
// exactly the cuts the test chose, whatever the goroutines' timing. Server
// writes never block: they collect in out.
type svLink struct {
	mu      sync.Mutex
	cond    *sync.Cond
	in      [][]byte // client pieces not yet read by the server
	inEOF   bool     // the client closed its side
	out     []byte   // everything the server wrote
	outRead int      // what the client side has read of out
	closed  bool     // the server closed the connection
	waiting bool     // the server is blocked in Read with nothing to read
	expired bool     // svHangLimit passed: every wait gives up
	timer   *time.Timer
}

// newSvLink returns a link whose waits give up after svHangLimit.
func newSvLink() *svLink {
	l := &svLink{}
	l.cond = sync.NewCond(&l.mu)
	l.timer = time.AfterFunc(svHangLimit, func() {
		l.mu.Lock()
		l.expired = true
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	return l
}

// errSvHung is what waits return once svHangLimit has passed.
var errSvHung = errors.New("fuzz: session hung")

// wait blocks until cond holds (called with mu held), or reports errSvHung.
func (l *svLink) wait(cond func() bool) error {
	for !cond() {
		if l.expired {
			return errSvHung
		}
		l.cond.Wait()
	}
	return nil
}

// send queues one client piece.
func (l *svLink) send(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(p) > 0 && !l.closed {
		l.in = append(l.in, append([]byte(nil), p...))
		l.cond.Broadcast()
	}
}

// quiesce waits until the server has read every piece and waits for more,
// or has closed the connection.
func (l *svLink) quiesce() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(func() bool { return l.closed || l.waiting && len(l.in) == 0 })
}

// eof closes the client's side.
func (l *svLink) eof() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inEOF = true
	l.cond.Broadcast()
}

// awaitClose waits until the server closed the connection.
func (l *svLink) awaitClose() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(func() bool { return l.closed })
}

// written returns a copy of everything the server wrote so far.
func (l *svLink) written() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.out...)
}

// skipOut marks the first n octets of out as read by the client side, so
// that a TLS client starts reading after the plaintext replies.
func (l *svLink) skipOut(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outRead = n
}

// svAddr is the address of both ends of a link.
type svAddr string

// Network returns "tcp".
func (a svAddr) Network() string { return "tcp" }

// String returns the address.
func (a svAddr) String() string { return string(a) }

// svServerEnd is the server's net.Conn of a link. Deadlines are accepted
// and ignored, except one already passed: the harness bounds a session
// with svHangLimit instead, so no result depends on the clock.
type svServerEnd struct{ l *svLink }

// Read returns the next client piece (or its first len(p) octets).
func (c svServerEnd) Read(p []byte) (int, error) {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		switch {
		case l.closed:
			return 0, net.ErrClosed
		case len(l.in) > 0:
			n := copy(p, l.in[0])
			if l.in[0] = l.in[0][n:]; len(l.in[0]) == 0 {
				l.in = l.in[1:]
			}
			return n, nil
		case l.inEOF:
			return 0, io.EOF
		case l.expired:
			return 0, os.ErrDeadlineExceeded
		}
		l.waiting = true
		l.cond.Broadcast()
		l.cond.Wait()
		l.waiting = false
	}
}

// Write appends p to the server's output.
func (c svServerEnd) Write(p []byte) (int, error) {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, net.ErrClosed
	}
	l.out = append(l.out, p...)
	l.cond.Broadcast()
	return len(p), nil
}

// Close ends the connection.
func (c svServerEnd) Close() error {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.cond.Broadcast()
	return nil
}

// LocalAddr returns the server's address.
func (c svServerEnd) LocalAddr() net.Addr { return svAddr("192.0.2.25:25") }

// RemoteAddr returns the client's address.
func (c svServerEnd) RemoteAddr() net.Addr { return svAddr("198.51.100.7:40000") }

// SetDeadline is accepted and ignored (see svServerEnd).
func (c svServerEnd) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is accepted and ignored (see svServerEnd).
func (c svServerEnd) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is accepted and ignored: writes never block.
func (c svServerEnd) SetWriteDeadline(time.Time) error { return nil }

// svClientEnd is the client's net.Conn of a link, used under TLS.
type svClientEnd struct{ l *svLink }

// Read returns server output not yet read, io.EOF once the server closed.
func (c svClientEnd) Read(p []byte) (int, error) {
	l := c.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.wait(func() bool { return l.outRead < len(l.out) || l.closed }); err != nil {
		return 0, err
	}
	if l.outRead == len(l.out) {
		return 0, io.EOF
	}
	n := copy(p, l.out[l.outRead:])
	l.outRead += n
	return n, nil
}

// Write queues p as one piece.
func (c svClientEnd) Write(p []byte) (int, error) {
	c.l.send(p)
	return len(p), nil
}

// Close closes the client's side.
func (c svClientEnd) Close() error { c.l.eof(); return nil }

// LocalAddr returns the client's address.
func (c svClientEnd) LocalAddr() net.Addr { return svAddr("198.51.100.7:40000") }

// RemoteAddr returns the server's address.
func (c svClientEnd) RemoteAddr() net.Addr { return svAddr("192.0.2.25:25") }

// SetDeadline is accepted and ignored: reads give up after svHangLimit.
func (c svClientEnd) SetDeadline(time.Time) error { return nil }

// SetReadDeadline is accepted and ignored: reads give up after svHangLimit.
func (c svClientEnd) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline is accepted and ignored: writes never block.
func (c svClientEnd) SetWriteDeadline(time.Time) error { return nil }

// svListener hands out one connection, then blocks until closed.
type svListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// newSvListener returns a listener that hands out c.
func newSvListener(c net.Conn) *svListener {
	l := &svListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
	l.conns <- c
	return l
}

// Accept returns the connection once, then waits for Close.
func (l *svListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept.
func (l *svListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the server's address.
func (l *svListener) Addr() net.Addr { return svAddr("192.0.2.25:25") }

// svTLS holds the TLS configurations of both sides, made once per process
// from a tlsmode.TestCA.
var svTLS = sync.OnceValues(func() (*tls.Config, *tls.Config) {
	ca, err := tlsmode.NewTestCA()
	if err != nil {
		panic(err)
	}
	srv, err := ca.ServerConfig(svHost)
	if err != nil {
		panic(err)
	}
	return srv, ca.ClientConfig(svHost)
})

// svHost is the server's name in every FuzzServer* session.
const svHost = "mx.example.org"

// Credentials the PLAIN verifier accepts: those of the golden transcripts
// (AGFsaWNlAHNlY3JldA== is "\x00alice\x00secret").
const (
	svUser = "alice"
	svPass = "secret"
)

// svOptions are the knobs of one harness session.
type svOptions struct {
	TLS, Auth               bool // offer STARTTLS; offer AUTH PLAIN and LOGIN in clear
	RequireTLS, RequireAuth bool
	Sync                    state.SyncPolicy
	BareLines, BareData     wire.BarePolicy
	AllowNUL, Lenient       bool
	MaxMessageSize          int64
	MaxDataLine             int
}

// newSvServer returns a server.Server for opts whose Sessions record into rec.
func newSvServer(opts svOptions, rec *svRecorder) *server.Server {
	srv := &server.Server{
		Hostname: svHost, Handler: rec,
		ErrorLog:       slog.New(slog.DiscardHandler),
		RequireTLS:     opts.RequireTLS && opts.TLS,
		RequireAuth:    opts.RequireAuth && opts.Auth,
		MaxMessageSize: opts.MaxMessageSize, MaxDataLine: opts.MaxDataLine,
		// Refusals are part of what is fuzzed: the default of 10 would end
		// most random sessions early.
		MaxErrors: 50,
		Configure: func(c *state.ServerConfig) {
			c.Sync, c.BareLines, c.BareData = opts.Sync, opts.BareLines, opts.BareData
			c.AllowNUL, c.Lenient = opts.AllowNUL, opts.Lenient
		},
	}
	if opts.TLS {
		srv.TLSConfig, _ = svTLS()
	}
	if opts.Auth {
		reg := &auth.Registry{}
		check := auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
			if user == svUser && pass == svPass {
				return nil
			}
			return auth.ErrInvalidCredentials
		})
		reg.Register(auth.PlainServer(check))
		reg.Register(auth.LoginServer(check))
		srv.Auth, srv.AllowInsecureAuth = reg, true
	}
	return srv
}

// svRecorder is a server.Handler whose one Session writes what it sees, in
// order, as strings: "MAIL <from> tls=<bool>", "RCPT <to>", "BODY <octets>"
// for a message whose reader reached io.EOF, "ABORT" for one that did
// not, "RESET", "AUTH <user>", "LOGOUT". It refuses (550) a sender or
// recipient containing "reject", so that refusals are exercised.
type svRecorder struct {
	events []string
	info   *server.ConnInfo
}

// Connect returns the recording Session.
func (r *svRecorder) Connect(_ context.Context, c *server.ConnInfo) (server.Session, error) {
	r.info = c
	return svSession{r}, nil
}

// svSession is the Session of a svRecorder.
type svSession struct{ r *svRecorder }

// add records one event.
func (s svSession) add(ev string) { s.r.events = append(s.r.events, ev) }

// Mail records the sender and whether TLS was in force.
func (s svSession) Mail(from string, _ *wire.MailParams) error {
	if strings.Contains(from, "reject") {
		return server.Reject(550, reply.E(5, 1, 0), "sender refused")
	}
	tlsOn := "false"
	if s.r.info.TLS != nil {
		tlsOn = "true"
	}
	s.add("MAIL " + from + " tls=" + tlsOn)
	return nil
}

// Rcpt records the recipient.
func (s svSession) Rcpt(to string, _ *wire.RcptParams) error {
	if strings.Contains(to, "reject") {
		return server.Reject(550, reply.E(5, 1, 1), "recipient refused")
	}
	s.add("RCPT " + to)
	return nil
}

// Data records the whole message, or that it was aborted.
func (s svSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		s.add("ABORT")
		return err
	}
	s.add("BODY " + string(b))
	return nil
}

// Reset records the end of a transaction.
func (s svSession) Reset() { s.add("RESET") }

// Logout records the end of the connection.
func (s svSession) Logout() error { s.add("LOGOUT"); return nil }

// Authenticated records a successful AUTH (server.AuthSession).
func (s svSession) Authenticated(id auth.Identity) error {
	s.add("AUTH " + id.Username)
	return nil
}

// write is one client write of a harness session: its pieces, each queued
// separately, and whether the client then waits until the server has
// answered everything and waits for input (a lock-step client).
type svWrite struct {
	pieces [][]byte
	wait   bool
}

// result is what one harness session produced.
type svResult struct {
	out    []byte   // the server's octets, decrypted after STARTTLS
	events []string // the svRecorder's events
	tls    bool     // a STARTTLS handshake happened
	tlsErr error    // why the client's handshake after a 220 failed
	trace  []byte   // the Server's C:/S: trace (server.Server.Trace)
}

// svRun serves one connection with server.Server under opts and plays
// the client's writes into it. After a write with wait set, when the
// server's last new reply is 220 (the answer to STARTTLS), the rest of the
// writes go through a tls.Client. Then the client closes its side and the
// session must end. Failures of the harness itself (a hang, a TLS client
// that cannot complete its handshake) fail t.
func svRun(t testing.TB, opts svOptions, writes []svWrite) svResult {
	t.Helper()
	rec := &svRecorder{}
	srv := newSvServer(opts, rec)
	var trace bytes.Buffer // written under the Server's lock, read after Shutdown
	srv.Trace = &trace
	l := newSvLink()
	defer l.timer.Stop()
	ln := newSvListener(svServerEnd{l})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var (
		res     svResult
		tc      *tls.Conn
		replies int // complete replies seen in plaintext before the last wait
	)
	send := func(p []byte) {
		if tc == nil {
			l.send(p)
			return
		}
		_, _ = tc.Write(p) // fails only once the server has gone
	}
	for _, w := range writes {
		for _, p := range w.pieces {
			send(p)
		}
		if !w.wait {
			continue
		}
		require.NoError(t, l.quiesce())
		if tc != nil || !opts.TLS {
			continue
		}
		out := l.written()
		rs, _ := svSplitReplies(out)
		if len(rs) > replies && len(rs) > 1 && rs[len(rs)-1].code == 220 && svReplyEnd(rs) == len(out) && !l.isClosed() {
			l.skipOut(len(out))
			res.out = out
			_, clientCfg := svTLS()
			tc = tls.Client(svClientEnd{l}, clientCfg)
			if res.tlsErr = tc.Handshake(); res.tlsErr != nil {
				tc = nil // the server has gone: what is left is dropped
			} else {
				res.tls = true
			}
		}
		replies = len(rs)
	}
	if tc != nil {
		_ = tc.CloseWrite()
		l.eof()
		plain, err := io.ReadAll(tc)
		require.NotErrorIs(t, err, errSvHung)
		res.out = append(res.out, plain...)
	} else {
		l.eof()
	}
	require.NoError(t, l.awaitClose(), "the session did not end")
	if tc == nil && res.tlsErr == nil {
		res.out = l.written()
	}
	ctx, cancel := context.WithTimeout(context.Background(), svHangLimit)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx), "the connection goroutine did not end")
	require.ErrorIs(t, <-served, server.ErrServerClosed)
	res.events, res.trace = rec.events, trace.Bytes()
	return res
}

// isClosed reports whether the server closed the connection.
func (l *svLink) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
