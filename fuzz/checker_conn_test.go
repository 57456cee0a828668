package fuzz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds loopConn, the connection FuzzCheckerSessions runs the
// client driver over: its far end is a state.Server, driven in the same
// goroutine, whose decisions the fuzz input takes. Both sides' writes go to
// a state.Recorder in the order they happen, so the transcript is the
// session exactly as the Checker would see it on the wire.

// errStuck is what loopConn's Read returns when the client waits for a
// reply the server will never send: in a real session both would hang.
var errStuck = errors.New("fuzz: the client waits for a reply the server does not owe")

// chooser hands out the fuzz input's choices one octet at a time; past the
// end every choice is 0, the most ordinary one.
type chooser struct {
	b []byte
	i int
}

// next returns the next octet.
func (c *chooser) next() byte {
	if c.i >= len(c.b) {
		return 0
	}
	c.i++
	return c.b[c.i-1]
}

// pick returns a choice from 0 to n-1.
func (c *chooser) pick(n int) int { return int(c.next()) % n }

// The account the AUTH PLAIN server accepts.
const authUser, authPass = "alice", "s3cret"

// loopConn is a net.Conn whose peer is srv. Write feeds srv and answers
// its decisions from pick; what srv writes waits in pending for Read. It
// is used by one goroutine; deadlines are ignored, since nothing blocks.
type loopConn struct {
	srv   *state.Server
	proto state.Protocol
	pick  *chooser
	rec   state.Recorder
	mech  auth.ServerMechanism
	as    auth.Server
	// success: the SASL exchange is done and its last challenge sent; the
	// next response gets 235 (RFC 4954 section 4).
	success bool

	pending   []byte
	closed    bool // the client closed
	srvClosed bool // the server ended the session
	stuck     bool
	problems  []string
}

// newLoopConn starts a session on srv: the greeting is pending at once.
func newLoopConn(srv *state.Server, proto state.Protocol, pick *chooser) *loopConn {
	c := &loopConn{srv: srv, proto: proto, pick: pick,
		mech: auth.PlainServer(auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
			if user != authUser || pass != authPass {
				return auth.ErrInvalidCredentials
			}
			return nil
		}))}
	c.pump()
	return c
}

// problem records something the server machine did wrong.
func (c *loopConn) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// pump runs the server until it needs input, then records its output as
// one write.
func (c *loopConn) pump() {
	for !c.srvClosed {
		ev := c.srv.Next()
		c.checkPhase()
		switch ev.Kind {
		case state.EventNone:
			c.flush()
			return
		case state.EventClose:
			c.flush()
			c.srvClosed = true
			c.rec.Close(state.SideServer)
			return
		case state.EventAuth:
			if string(ev.Command.Mechanism) != "PLAIN" {
				c.respond(reply.Reply{Code: reply.CodeParamNotImplemented, Text: "unknown mechanism"})
				continue
			}
			as, err := c.mech.NewServer(auth.ConnState{})
			if err != nil {
				c.respond(auth.Reply(err))
				continue
			}
			c.as = as
			c.step(as.Start(context.Background(), ev.Data, ev.Command.HasInitialResponse))
		case state.EventAuthResponse:
			if c.success {
				c.success = false
				c.respond(auth.Reply(nil))
				continue
			}
			c.step(c.as.Next(context.Background(), ev.Data))
		default:
			if ev.Kind.IsDecision() {
				c.respond(c.decide(ev))
			}
		}
	}
}

// step answers one step of a SASL exchange (RFC 4954 section 4).
func (c *loopConn) step(ch []byte, done bool, err error) {
	switch {
	case err != nil:
		c.respond(auth.Reply(err))
	case done && len(ch) > 0: // server data with success: one more round
		c.success = true
		c.challenge(ch)
	case done:
		c.respond(auth.Reply(nil))
	default:
		c.challenge(ch)
	}
}

// respond answers the pending decision; the machine must take every reply
// decide gives.
func (c *loopConn) respond(r reply.Reply) {
	if err := c.srv.Respond(r); err != nil {
		c.problem("Respond(%v): %v", r, err)
	}
}

// challenge sends a 334.
func (c *loopConn) challenge(ch []byte) {
	if err := c.srv.Challenge(ch); err != nil {
		c.problem("Challenge: %v", err)
	}
}

// decide is the application: each decision takes a choice, and most
// choices take the machine's default reply (the zero Reply).
func (c *loopConn) decide(ev state.Event) reply.Reply {
	refuse := func(code reply.Code, e reply.Enhanced, text string) reply.Reply {
		return reply.Reply{Code: code, Enhanced: e, Text: text}
	}
	switch ev.Kind {
	case state.EventConnect:
		if c.pick.pick(16) == 15 {
			return refuse(reply.CodeTransactionFailed, reply.Enhanced{}, "no service here")
		}
	case state.EventMail:
		switch c.pick.pick(8) {
		case 6:
			return refuse(reply.CodeLocalError, reply.E(4, 3, 0), "try later")
		case 7:
			return refuse(reply.CodeMailboxUnavailable, reply.E(5, 7, 1), "sender refused")
		}
	case state.EventRcpt:
		switch c.pick.pick(8) {
		case 5:
			return refuse(reply.CodeMailboxUnavailable, reply.E(5, 1, 1), "no such user")
		case 6:
			return refuse(reply.CodeLocalError, reply.E(4, 3, 0), "try later")
		case 7:
			return refuse(reply.CodeInsufficientStorage, reply.E(4, 2, 2), "mailbox full")
		}
	case state.EventData:
		if c.pick.pick(8) == 7 {
			return refuse(reply.CodeTransactionFailed, reply.E(5, 7, 1), "no data")
		}
	case state.EventMessage:
		switch c.pick.pick(8) {
		case 6:
			return refuse(reply.CodeLocalError, reply.E(4, 3, 0), "try later")
		case 7:
			return refuse(reply.CodeTransactionFailed, reply.E(5, 6, 0), "content refused")
		}
	}
	return reply.Reply{}
}

// checkPhase records phaseProblem for the server's phase.
func (c *loopConn) checkPhase() {
	if p := phaseProblem(c.proto, c.srv.Phase()); p != "" {
		c.problem("%s", p)
	}
}

// phaseProblem returns what is wrong with phase p under proto: a phase
// outside the table, or one that reads commands without a table cell for
// every verb (the legality table of RFC 5321 section 4.1.4, state.Lookup).
func phaseProblem(proto state.Protocol, p state.Phase) string {
	if p.String() == "unknown" || p == state.PhaseNone {
		return fmt.Sprintf("server in phase %d, outside the table", p)
	}
	if !p.ReadsCommands() {
		return ""
	}
	for _, v := range wire.Verbs() {
		if _, ok := state.Lookup(proto, p, v); !ok {
			return fmt.Sprintf("no table cell for %v in phase %v", v, p)
		}
	}
	return ""
}

// flush moves what the server wrote to pending, as one recorded write.
func (c *loopConn) flush() {
	out := c.srv.Output()
	if len(out) == 0 {
		return
	}
	c.rec.Server(out)
	c.pending = append(c.pending, out...)
	c.srv.Consumed(len(out))
}

// Read returns what the server wrote, io.EOF once it closed and all was
// read, or errStuck when nothing will come.
func (c *loopConn) Read(p []byte) (int, error) {
	switch {
	case c.closed:
		return 0, net.ErrClosed
	case len(c.pending) > 0:
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	case c.srvClosed:
		return 0, io.EOF
	}
	c.stuck = true
	return 0, errStuck
}

// Write records p and feeds it to the server.
func (c *loopConn) Write(p []byte) (int, error) {
	switch {
	case c.closed:
		return 0, net.ErrClosed
	case c.srvClosed:
		return 0, io.ErrClosedPipe
	}
	c.rec.Client(p)
	if err := c.srv.Receive(p); err != nil {
		c.problem("Receive: %v", err)
	}
	c.pump()
	return len(p), nil
}

// Close records the client's close and tells the server.
func (c *loopConn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.rec.Close(state.SideClient)
	if !c.srvClosed {
		c.srv.ReceiveEOF()
		c.pump()
	}
	return nil
}

// LocalAddr returns a replayAddr.
func (c *loopConn) LocalAddr() net.Addr { return replayAddr{} }

// RemoteAddr returns a replayAddr.
func (c *loopConn) RemoteAddr() net.Addr { return replayAddr{} }

// SetDeadline does nothing: nothing blocks.
func (c *loopConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline does nothing.
func (c *loopConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline does nothing.
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }
