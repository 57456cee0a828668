package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// readSize is the size of a connection's read buffer: the largest piece a
// message reader gets at once.
const readSize = 32 << 10

// readBufs keeps read buffers between reads: a connection takes one for a
// read and gives it back as soon as the machine has the octets. A buffer is
// scratch space only: the machine copies what it receives
// (state.Server.Receive), so nothing refers to it after the read. A
// session that waits for its client holds none on a plain TCP connection
// (rawReader), and a client that opens a session per message (Postfix's
// smtp-source without -d) costs no 32 KiB allocation per message.
var readBufs = sync.Pool{New: func() any { return new([readSize]byte) }}

// conn is one connection: a state.Server machine and the loop that feeds
// it. Everything but stopping and aborted is owned by the connection's
// goroutine.
type conn struct {
	srv      *Server
	nc       net.Conn // the connection; a *tls.Conn under TLS
	implicit bool
	within   bool // within the connection limits
	ip       netip.Addr
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger

	sm   *state.Server
	info ConnInfo
	sess Session
	raw  *rawReader // reads a plain TCP connection without holding a buffer
	// small is where a TLS session reads commands: it waits inside
	// tls.Conn.Read, which cannot wait without the buffer it was given.
	small []byte
	eof   bool
	held  *state.Event // an event a message reader took and the loop owes

	body    bodyReader
	txOpen  bool    // a Session transaction is open (Mail accepted)
	results []error // the LMTP per-recipient results of the last message
	result  error   // the non-LMTP result of the last message
	// haveResult says results or result await the machine's EventMessage;
	// lmtpResults says which.
	haveResult, lmtpResults bool
	mech                    auth.Server
	from                    string // last sender and recipient strings, reused when equal
	to                      string
	mail                    wire.MailParams // the parameters handed to Mail and Rcpt
	rcpt                    wire.RcptParams
	fatal                   bool // a handler panicked: 421 at the next decision

	stopping atomic.Bool // Shutdown: 421 at the next command outside a transaction
	aborted  atomic.Bool // Close
	trace    tracer
}

// newConn registers nc with the Server.
func (s *Server) newConn(nc net.Conn, implicit bool) *conn {
	c := &conn{srv: s, nc: nc, implicit: implicit, log: s.logger()}
	if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		c.ip = ap.Addr().Unmap()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.info = ConnInfo{RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr(), Protocol: s.Protocol, Hostname: s.cfg.Hostname}
	if c.info.Hostname == "" {
		c.info.Hostname = "localhost"
	}
	c.trace = newTracer(s.Trace, &s.traceMu, s.cfg.BareLines)
	c.within = s.register(c)
	if s.shutdown.Load() {
		c.stopping.Store(true)
	}
	return c
}

// abort ends the connection from another goroutine (Server.Close): the
// connection's loop, woken from its read, sends 421 (state.Server.Terminate)
// and closes; after closeGrace the connection is closed whatever the loop
// is doing, so a Session stuck in a call cannot hold it.
func (c *conn) abort() {
	c.aborted.Store(true)
	c.cancel()
	_ = c.nc.SetReadDeadline(time.Now())
	time.AfterFunc(closeGrace, func() { _ = c.nc.Close() })
}

// wake interrupts the loop's read so that it sees stopping or aborted.
func (c *conn) wake() { _ = c.nc.SetReadDeadline(time.Now()) }

// closeGrace is how long Close lets a connection write its 421.
const closeGrace = time.Second

// interrupted hands Close and Shutdown to the machine: Terminate writes 421
// at once, Shutdown at the next command boundary outside a transaction. It
// reports whether the session is over.
func (c *conn) interrupted() bool {
	switch {
	case c.aborted.Load():
		c.sm.Terminate(replyShutdown)
	case c.stopping.Load():
		c.sm.Shutdown(replyShutdown)
	default:
		return false
	}
	return c.sm.Phase() == state.PhaseClosed
}

// serve runs the connection to its end.
func (c *conn) serve() {
	s := c.srv
	s.count(CounterConnections, 1)
	defer func() {
		if c.sess != nil {
			if err := c.call(c.sess.Logout); err != nil {
				c.log.Warn("server: Logout", slog.Any("err", err))
			}
		}
		c.nc.Close()
		c.cancel()
		s.unregister(c)
	}()
	if !c.prepare() || !c.newMachine() {
		return
	}
	c.body.c = c
	for c.run() {
	}
}

// newMachine makes the connection's state.Server. It is a function of its
// own so that the configuration copy is not in serve's frame, which stays
// on the stack for the whole session.
//
//go:noinline
func (c *conn) newMachine() bool {
	cfg := c.srv.cfg
	cfg.TLS = c.implicit
	cfg.AuthMechanisms = c.offered()
	sm, err := state.NewServer(cfg)
	if err != nil { // the configuration was checked by Serve
		c.log.Error("server: state.NewServer", slog.Any("err", err))
		return false
	}
	c.sm = sm
	return true
}

// prepare reads the PROXY header of a trusted proxy and runs the implicit
// TLS handshake; it reports whether the session can start.
func (c *conn) prepare() bool {
	s := c.srv
	if s.trusted(c.ip) {
		h, err := readProxy(c.nc, s.proxyTimeout())
		if err != nil {
			c.log.Warn("server: PROXY header", slog.String("remote", c.nc.RemoteAddr().String()), slog.Any("err", err))
			return false
		}
		c.info.Proxy = &h
		if h.HasAddrs() {
			c.info.RemoteAddr = net.TCPAddrFromAddrPort(h.Src)
			c.info.LocalAddr = net.TCPAddrFromAddrPort(h.Dst)
			perIP := c.srv.readdress(c, h.Src.Addr().Unmap())
			c.within = c.within && perIP
		}
	}
	if c.implicit {
		return c.handshake()
	}
	c.raw = newRawReader(c.nc)
	return true
}

// handshake runs a server TLS handshake on the connection.
func (c *conn) handshake() bool {
	ctx, cancel := context.WithTimeout(c.ctx, c.srv.cfg.Timeouts.TLSHandshake)
	defer cancel()
	tc, facts, err := tlsmode.ServerHandshake(ctx, c.nc, c.srv.tlsCfg)
	if err != nil {
		c.log.Info("server: TLS handshake", slog.String("remote", c.info.RemoteAddr.String()), slog.Any("err", err))
		if c.sm != nil {
			c.sm.TLSFailed(err)
		}
		return false
	}
	c.nc, c.raw = tc, nil
	if c.small == nil {
		c.small = make([]byte, smallRead)
	}
	c.info.TLS = &facts
	c.trace.note("TLS")
	return true
}

// run drives the machine until the session ends (false) or a handler
// panicked (true: run again, answering 421 at the next decision).
func (c *conn) run() (again bool) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("server: panic in handler", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			c.srv.count(CounterPanics, 1)
			c.fatal = true
			c.body.reset()
			again = true
		}
	}()
	for {
		if c.handle(c.next()) {
			return false
		}
	}
}

// call runs f, turning a panic into an error.
func (c *conn) call(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.srv.count(CounterPanics, 1)
			err = fmt.Errorf("server: panic in handler: %v", p)
		}
	}()
	return f()
}

// next returns the next event, reading and writing as the machine needs.
// The event is the machine's own (state.Server.NextEvent), valid until the
// next call that changes the machine: no 1 KiB copy of it sits on the
// stack of a session that waits for its client, so an idle session's
// goroutine keeps a small stack.
func (c *conn) next() *state.Event {
	if ev := c.held; ev != nil {
		c.held = nil
		return ev
	}
	for {
		if ev := c.sm.NextEvent(); ev != nil {
			return ev
		}
		if err := c.flush(); err != nil {
			c.receiveEOF()
			continue
		}
		c.fill()
	}
}

func (c *conn) receiveEOF() {
	c.eof = true
	c.sm.ReceiveEOF()
}

// fill reads once from the connection, under the machine's deadline (RFC
// 5321 section 4.5.3.2).
func (c *conn) fill() {
	if c.eof {
		c.receiveEOF()
		return
	}
	c.sm.Advance(time.Now())
	if c.sm.Phase() == state.PhaseClosed {
		return
	}
	_ = c.nc.SetReadDeadline(c.sm.Deadline())
	// Checked after the deadline is set: Shutdown and Close set their flag
	// before they wake the read, so neither is missed.
	if c.interrupted() {
		return
	}
	buf, in, err := c.read()
	if len(in) > 0 {
		c.sm.Advance(time.Now())
		c.trace.client(in, c.sm.Phase())
		rerr := c.sm.Receive(in)
		if buf != nil {
			readBufs.Put(buf)
		}
		if rerr != nil {
			c.log.Debug("server: Receive", slog.Any("err", rerr))
		}
		return
	}
	if buf != nil {
		readBufs.Put(buf)
	}
	switch {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.interrupted() {
			return
		}
		c.sm.Advance(time.Now()) // 421 4.4.2 when the deadline passed
		if c.sm.Phase() == state.PhaseClosed {
			c.srv.count(CounterTimeouts, 1)
		}
	default:
		c.receiveEOF()
	}
}

// smallRead is the size of a TLS session's command buffer: a pipelined
// group of commands, and far less than the 32 KiB a message is read with.
const smallRead = 2 << 10

// read reads once and returns the octets, and the buffer of readBufs that
// holds them when there is one (the caller puts it back). A plain TCP
// connection waits holding no buffer (rawReader); a TLS session reads
// commands into its small buffer, and message content into one of
// readBufs.
func (c *conn) read() (*[readSize]byte, []byte, error) {
	if c.raw != nil {
		b, n, err := c.raw.read()
		if b == nil {
			return nil, nil, err
		}
		return b, b[:n], err
	}
	if c.small != nil {
		if p := c.sm.Phase(); p != state.PhaseData && p != state.PhaseBDAT {
			n, err := c.nc.Read(c.small)
			return nil, c.small[:n], err
		}
	}
	b := readBufs.Get().(*[readSize]byte)
	n, err := c.nc.Read(b[:])
	return b, b[:n], err
}

// flush writes what the machine has to send.
func (c *conn) flush() error {
	out := c.sm.Output()
	if len(out) == 0 {
		return nil
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.Timeouts.Command))
	n, err := c.nc.Write(out)
	c.trace.server(out[:n])
	c.sm.Consumed(n)
	return err
}

// respond answers the pending decision with r, falling back to fallback
// when the machine cannot take r (a handler's malformed reply).
func (c *conn) respond(r, fallback reply.Reply) {
	if err := c.sm.Respond(r); err != nil && errors.Is(err, state.ErrInvalidReply) {
		c.log.Warn("server: handler reply not valid here", slog.Int("code", int(r.Code)))
		_ = c.sm.Respond(fallback)
	}
}

// answer responds with the reply of a handler's error.
func (c *conn) answer(err error, fallback reply.Reply, what string) {
	r, plain := replyFor(err, fallback)
	if plain {
		c.log.Warn("server: "+what, slog.String("remote", c.info.RemoteAddr.String()), slog.Any("err", err))
	}
	c.respond(r, fallback)
}

// stopNow reports whether a decision should be answered 421 because the
// Server is shutting down: outside a transaction only, so that one under
// way finishes.
func (c *conn) stopNow(ev *state.Event) bool {
	if !c.stopping.Load() || !ev.Kind.IsDecision() || ev.Kind == state.EventMessage {
		return false
	}
	return !c.sm.Phase().InTransaction()
}

// handle acts on one event; it reports the end of the session.
func (c *conn) handle(ev *state.Event) bool {
	switch {
	case ev.Kind == state.EventClose:
		return c.close(ev)
	case c.fatal && ev.Kind.IsDecision():
		c.respond(replyFault, replyFault)
		return false
	case c.stopNow(ev):
		c.respond(replyShutdown, replyShutdown)
		return false
	}
	switch ev.Kind {
	case state.EventConnect:
		c.connect()
	case state.EventHello:
		c.hello(ev)
	case state.EventMail:
		c.from = reuse(c.from, ev.Command.Path.Mailbox)
		c.mail = ev.Mail // a copy, so that ev stays on the stack
		err := c.sess.Mail(c.from, &c.mail)
		c.answer(err, replyLocalError, "Mail")
		if err == nil {
			c.txOpen = true
		}
	case state.EventRcpt:
		box := ev.Command.Path.Mailbox
		if ev.Command.Path.Postmaster {
			box = postmaster
		}
		c.to = reuse(c.to, box)
		c.rcpt = ev.Rcpt
		c.answer(c.sess.Rcpt(c.to, &c.rcpt), replyLocalError, "Rcpt")
	case state.EventData:
		c.respond(reply.Reply{}, replyLocalError)
	case state.EventBody:
		if !c.fatal {
			c.message(ev)
		}
	case state.EventMessage:
		c.answerMessage(ev)
	case state.EventAuth, state.EventAuthResponse, state.EventAuthAbort:
		c.auth(ev)
	case state.EventStartTLS:
		c.startTLS()
	case state.EventReset:
		c.endTx()
	case state.EventVrfy:
		c.vrfy(ev)
	case state.EventRejected:
		c.rejected(ev)
	default:
		if ev.Kind.IsDecision() { // EXPN, HELP: the machine's default
			c.respond(reply.Reply{}, replyLocalError)
		}
	}
	return false
}

// postmaster is the mailbox of <Postmaster> (RFC 5321 section 4.5.1).
var postmaster = []byte("Postmaster")

// reuse returns last when it equals b, else string(b): a client sending
// the same sender or recipient again costs no allocation.
func reuse(last string, b []byte) string {
	if last == string(b) {
		return last
	}
	return string(b)
}

// connect asks the Handler for a Session; its answer is the greeting.
func (c *conn) connect() {
	if !c.within {
		c.srv.count(CounterRefused, 1)
		c.respond(replyTooMany, replyTooMany)
		return
	}
	sess, err := c.srv.Handler.Connect(c.ctx, &c.info)
	if err == nil && sess == nil {
		err = errors.New("server: Handler.Connect returned no Session")
	}
	if err != nil {
		c.srv.count(CounterRefused, 1)
		c.answer(err, replyNoService, "Connect")
		return
	}
	c.sess = sess
	c.respond(reply.Reply{}, replyNoService)
}

// hello asks a HelloSession about the greeting domain.
func (c *conn) hello(ev *state.Event) {
	domain, esmtp := string(ev.Command.Domain), ev.Command.Verb != wire.VerbHELO
	if hs, ok := c.sess.(HelloSession); ok {
		if err := hs.Hello(domain); err != nil {
			c.answer(err, replyLocalError, "Hello")
			return
		}
	}
	c.respond(reply.Reply{}, replyLocalError)
	if c.sm.Phase() == state.PhaseReady {
		c.info.Hello, c.info.ESMTP = domain, esmtp
		c.endTx() // an accepted greeting ends the transaction (RFC 5321 4.1.4)
	}
}

// vrfy asks a VrfySession.
func (c *conn) vrfy(ev *state.Event) {
	vs, ok := c.sess.(VrfySession)
	if !ok {
		c.respond(reply.Reply{}, replyLocalError)
		return
	}
	r, err := vs.Vrfy(string(ev.Command.Arg))
	if err != nil {
		c.answer(err, replyLocalError, "Vrfy")
		return
	}
	c.respond(r, replyLocalError)
}

// rejected notes a refusal by the machine; one that ended the transaction
// resets the Session.
func (c *conn) rejected(ev *state.Event) {
	c.srv.count(CounterRejected, 1)
	if ev.Command.Verb != wire.VerbAUTH && c.sm.Phase() != state.PhaseAuth {
		c.log.Debug("server: refused", slog.Int("code", int(ev.Reply.Code)), slog.Any("err", ev.Err))
	}
	if c.txOpen && !c.sm.Phase().InTransaction() {
		c.endTx()
	}
}

// endTx ends the Session's transaction, if one is open.
func (c *conn) endTx() {
	if c.body.active {
		c.body.resetDue = true // after Data returns
		return
	}
	if c.txOpen {
		c.txOpen = false
		c.sess.Reset()
	}
}

// close ends the session: the machine's last words are written.
func (c *conn) close(ev *state.Event) bool {
	_ = c.flush()
	c.endTx()
	if ev.Err != nil && !errors.Is(ev.Err, state.ErrClosed) {
		c.log.Info("server: session ended", slog.String("remote", c.info.RemoteAddr.String()), slog.Any("err", ev.Err))
	}
	return true
}

// startTLS runs the handshake after the 220 reply to STARTTLS (RFC 3207
// section 4.2): the machine holds every octet read so far, so none is
// carried into the TLS session.
func (c *conn) startTLS() {
	if err := c.flush(); err != nil {
		c.sm.TLSFailed(err)
		return
	}
	if !c.handshake() {
		return
	}
	if err := c.sm.TLSStarted(); err != nil {
		c.log.Warn("server: TLSStarted", slog.Any("err", err))
		return
	}
	c.info.Hello, c.info.ESMTP, c.info.Identity, c.info.Mechanism = "", false, nil, ""
	c.sm.SetAuthMechanisms(c.offered())
}
