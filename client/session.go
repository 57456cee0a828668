package client

import (
	"context"
	"errors"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// ErrAuthNotOffered reports credentials configured for a server whose EHLO
// reply has no AUTH keyword (RFC 4954 section 3).
var ErrAuthNotOffered = errors.New("client: the server does not offer AUTH")

// open runs the session up to the first transaction: implicit TLS, the
// greeting, EHLO, STARTTLS and AUTH.
func (c *Client) open(ctx context.Context) error {
	stop, err := c.guard(ctx)
	if err != nil {
		return err
	}
	defer c.unguard(stop)
	if c.mode == tlsmode.ModeImplicit {
		if err := c.handshake(ctx); err != nil {
			return err
		}
	}
	ev, err := c.next(ctx)
	if err == nil && ev.Kind != state.ClientEventGreeting {
		err = c.fail(c.endError("greeting", ev))
	}
	if err != nil {
		return c.greetingError(err)
	}
	if ev.Judgment.Verdict != state.VerdictProceed {
		// RFC 5321 section 3.1: the machine has queued QUIT; say it, then go.
		rerr := &Error{Op: "greeting", Addr: c.addr(), Err: replyError("", ev)}
		_, _ = c.next(ctx)
		return c.fail(rerr)
	}
	if err := c.hello(ctx); err != nil {
		return err
	}
	if err := c.startTLS(ctx); err != nil {
		return err
	}
	if len(c.cfg.mechs) > 0 {
		return c.authenticate(ctx)
	}
	return nil
}

// greetingError adds the mode-mismatch advice to a wait for the greeting
// that ended without one.
func (c *Client) greetingError(err error) error {
	if c.mode == tlsmode.ModeImplicit || c.seen {
		return err
	}
	if errors.Is(err, state.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		// A STARTTLS client on an implicit-TLS port waits for a greeting
		// that never comes (RFC 8314 section 3.3).
		return &Error{Op: "greeting", Addr: c.addr(), Err: tlsmode.NoGreeting(c.port, err)}
	}
	return err
}

// hello sends EHLO (LHLO) and waits for its reply; the machine falls back
// to HELO by itself (RFC 5321 section 3.2).
func (c *Client) hello(ctx context.Context) error {
	if err := c.m.Hello(); err != nil {
		return c.fail(&Error{Op: "hello", Addr: c.addr(), Err: err})
	}
	return c.awaitHello(ctx)
}

// awaitHello waits for the reply that ends the EHLO, HELO or LHLO exchange.
func (c *Client) awaitHello(ctx context.Context) error {
	for {
		ev, err := c.await(ctx, "hello")
		if err != nil {
			return err
		}
		switch ev.Judgment.Verdict {
		case state.VerdictProceed:
			return nil
		case state.VerdictFallbackHELO:
			continue
		}
		return c.quitAndFail(ctx, &Error{Op: "hello", Addr: c.addr(), Err: replyError(ev.Verb.String(), ev)})
	}
}

// startTLS applies the policy to the EHLO reply (RFC 3207): STARTTLS and a
// new EHLO, plaintext with a reported status, or an error.
func (c *Client) startTLS(ctx context.Context) error {
	switch {
	case c.m.IsTLS():
		c.state = tlsmode.StatusSecured
		return nil
	case c.mode != tlsmode.ModeSTARTTLS:
		c.state = tlsmode.StatusClearByPolicy
		return nil
	}
	start, st, err := c.pol.Decide(c.m.Capabilities().Has(wire.ExtSTARTTLS))
	if err != nil {
		return c.quitAndFail(ctx, &Error{Op: "starttls", Addr: c.addr(), Err: err,
			Hint: "the EHLO reply has no STARTTLS; use a port and mode the server supports (465 implicit TLS, 587 STARTTLS)"})
	}
	if !start {
		c.state = st
		return nil
	}
	if err := c.m.StartTLS(); err != nil {
		return c.fail(&Error{Op: "starttls", Addr: c.addr(), Err: err})
	}
	ev, err := c.await(ctx, "starttls")
	if err != nil {
		return err
	}
	if ev.Judgment.Verdict != state.VerdictStartTLS {
		st, err := c.pol.Refused(ev.Reply()) // RFC 3207 section 4
		if err != nil {
			return c.quitAndFail(ctx, &Error{Op: "starttls", Addr: c.addr(), Err: err})
		}
		c.state = st
		return nil
	}
	if err := c.handshake(ctx); err != nil {
		return err
	}
	if err := c.m.TLSStarted(); err != nil { // queues the new EHLO (RFC 3207 section 4.2)
		return c.fail(&Error{Op: "starttls", Addr: c.addr(), Err: err})
	}
	return c.awaitHello(ctx)
}

// handshake runs the TLS client handshake on the connection.
func (c *Client) handshake(ctx context.Context) error {
	cfg, err := tlsmode.ClientConfig(c.cfg.serverName, c.cfg.tlsBase)
	if err != nil {
		return c.fail(&Error{Op: "tls", Addr: c.addr(), Err: err})
	}
	c.deadSet = time.Time{}
	_ = c.conn.SetDeadline(time.Time{})
	tc, facts, err := tlsmode.ClientHandshake(ctx, c.conn, cfg)
	if err != nil {
		starttls := c.mode == tlsmode.ModeSTARTTLS
		hint, err := tlsFailure(err, starttls)
		if starttls {
			err = c.pol.HandshakeFailed(err)
		}
		return c.fail(&Error{Op: "tls", Addr: c.addr(), Err: err, Hint: hint})
	}
	c.conn, c.facts, c.state = tc, &facts, tlsmode.StatusSecured
	return nil
}

// authenticate runs AUTH with the strongest mechanism both sides have
// (auth.Choose; RFC 4954 section 4).
func (c *Client) authenticate(ctx context.Context) error {
	caps := c.m.Capabilities()
	if !caps.Has(wire.ExtAUTH) {
		hint := ""
		if !c.m.IsTLS() {
			hint = "many servers offer AUTH only under TLS: use port 587 with STARTTLS or 465"
		}
		return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: ErrAuthNotOffered, Hint: hint})
	}
	cs := c.connState()
	mech, err := auth.Choose(caps.AuthMechanisms(), c.cfg.mechs, cs, c.cfg.insecure)
	if err != nil {
		hint := ""
		if !c.m.IsTLS() {
			hint = "password mechanisms are used only under TLS (WithInsecureAuth allows them in clear)"
		}
		return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: err, Hint: hint})
	}
	ac, err := mech.NewClient(cs)
	if err != nil {
		return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: err})
	}
	ir, hasIR, err := ac.Start(ctx)
	if err != nil {
		return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: err})
	}
	if err := c.m.Auth(ac.Name(), ir, hasIR); err != nil {
		return c.fail(&Error{Op: "auth", Addr: c.addr(), Err: err})
	}
	var local error // why the client cancelled
	for {
		ev, err := c.await(ctx, "auth")
		if err != nil {
			return err
		}
		if ev.Kind == state.ClientEventChallenge {
			if ev.Err != nil { // the machine cancelled: the challenge was not base64
				local = ev.Err
				continue
			}
			resp, err := ac.Next(ctx, ev.Text)
			if err != nil {
				local = err
				err = c.m.AuthCancel()
			} else {
				err = c.m.AuthRespond(resp)
			}
			if err != nil {
				return c.fail(&Error{Op: "auth", Addr: c.addr(), Err: err})
			}
			continue
		}
		if ev.Judgment.Verdict == state.VerdictAuthenticated {
			if err := ac.Finish(true); err != nil { // RFC 5802 section 5: the server did not prove itself
				return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: err})
			}
			return nil
		}
		rerr := replyError("AUTH "+ac.Name(), ev)
		errs := []error{rerr, ac.Finish(false), local}
		return c.quitAndFail(ctx, &Error{Op: "auth", Addr: c.addr(), Err: errors.Join(errs...), Hint: replyHint(rerr, c.m.IsTLS())})
	}
}

// quitAndFail gives up on a session that is still in step: it sends QUIT
// and reads its reply, since "the sender MUST NOT intentionally close the
// transmission channel until it sends a QUIT command" (RFC 5321 section
// 4.1.1.10), then fails with err. When the machine cannot send QUIT now
// (it ended, or an exchange is open) it only fails. How QUIT went is not
// reported: err is what the caller must see.
func (c *Client) quitAndFail(ctx context.Context, err error) error {
	if c.err == nil && c.m.Err() == nil && c.m.Quit() == nil {
		_, _ = c.next(ctx)
		c.err = nil
	}
	return c.fail(err)
}

// await returns the next event; one that ends the session makes the Client
// unusable and comes back as the error.
func (c *Client) await(ctx context.Context, op string) (state.ClientEvent, error) {
	ev, err := c.next(ctx)
	if err != nil {
		return ev, err
	}
	if ev.Kind == state.ClientEventClosed || ev.Kind == state.ClientEventError {
		return ev, c.fail(c.endError(op, ev))
	}
	return ev, nil
}

// endError describes the event that ended the session.
func (c *Client) endError(op string, ev state.ClientEvent) error {
	err := ev.Err
	if ev.Code != 0 {
		err = errors.Join(replyError(ev.Verb.String(), ev), ev.Err)
	}
	if err == nil {
		err = state.ErrClosed
	}
	return &Error{Op: op, Addr: c.addr(), Err: err}
}

// replyError returns the reply of ev as a *reply.Error for cmd.
func replyError(cmd string, ev state.ClientEvent) *reply.Error {
	return &reply.Error{Reply: ev.Reply(), Command: cmd}
}

// simple runs one command queued by queue and waits for its reply.
func (c *Client) simple(ctx context.Context, op string, queue func() error) error {
	stop, err := c.guard(ctx)
	if err != nil {
		return err
	}
	defer c.unguard(stop)
	if err := queue(); err != nil {
		return &Error{Op: op, Addr: c.addr(), Err: err}
	}
	ev, err := c.await(ctx, op)
	if err != nil {
		return err
	}
	if ev.Judgment.Verdict != state.VerdictProceed {
		return &Error{Op: op, Addr: c.addr(), Err: replyError(ev.Verb.String(), ev)}
	}
	return nil
}

// Reset aborts the open mail transaction with RSET (RFC 5321 section
// 4.1.1.5), keeping the session, its EHLO and its authentication: no new
// EHLO is needed.
func (c *Client) Reset(ctx context.Context) error {
	return c.simple(ctx, "reset", c.m.Rset)
}

// Noop sends NOOP (RFC 5321 section 4.1.1.9): a health check of an idle
// connection.
func (c *Client) Noop(ctx context.Context) error {
	return c.simple(ctx, "noop", c.m.Noop)
}

// Quit ends the session with QUIT (RFC 5321 section 4.1.1.10) and closes
// the connection.
func (c *Client) Quit(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	stop, err := c.guard(ctx)
	if err != nil {
		return err
	}
	defer c.unguard(stop)
	defer c.Close()
	if err := c.m.Quit(); err != nil {
		return &Error{Op: "quit", Addr: c.addr(), Err: err}
	}
	ev, err := c.next(ctx)
	if err != nil {
		return err
	}
	if ev.Kind == state.ClientEventError || ev.Err != nil {
		return c.endError("quit", ev)
	}
	return nil
}
