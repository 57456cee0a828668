package state

import (
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the Client's session upgrades: STARTTLS (RFC 3207) and
// AUTH (RFC 4954).

// StartTLS queues STARTTLS (RFC 3207 section 4). STARTTLS must have been
// advertised, and is refused under TLS (RFC 3207 section 4.2). Nothing may
// be queued after it. On its 220 reply (ClientEventReply with Verdict
// VerdictStartTLS) the driver writes what Output holds, runs the TLS
// handshake and calls TLSStarted. Octets received after the 220 and before
// the handshake are a fatal violation: they were sent in clear and are
// never read as if they came through TLS (SPEC 5.2, response injection).
func (c *Client) StartTLS() error {
	if err := c.check(wire.VerbSTARTTLS); err != nil {
		return err
	}
	if !c.cfg.Permissive && c.proj.tls {
		return seqError("STARTTLS under TLS", c.proj.phase, "RFC 3207 4.2")
	}
	if err := c.need(wire.ExtSTARTTLS, "STARTTLS"); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbSTARTTLS, nil)
}

// TLSStarted reports that the TLS handshake after the 220 to STARTTLS
// succeeded. The Client discards what it learnt from the server, its
// capabilities and any authentication (RFC 3207 section 4.2), returns to
// the post-greeting phase without a new greeting, and queues EHLO (LHLO
// under LMTP) by itself. A failed handshake leaves the connection in an
// undefined state: close it. Unless Permissive, TLSStarted is refused
// outside PhaseTLS.
func (c *Client) TLSStarted() error {
	switch {
	case c.term:
		return c.closedErr()
	case !c.cfg.Permissive && c.conf.phase != PhaseTLS:
		return seqError("TLSStarted without a 220 to STARTTLS", c.conf.phase, "RFC 3207 4.2")
	}
	c.in, c.inPos, c.lines = c.in[:0], 0, 0
	c.split.Reset()
	c.forget()
	c.conf.tls = true
	if c.cfg.Permissive {
		// A conformance test may call it with anything queued.
		c.project()
	}
	if c.mirror {
		return nil
	}
	return c.queueHello(c.helloVerb(), true)
}

// forget discards what the server told the client: the capabilities,
// authentication and any transaction, as after STARTTLS (RFC 3207 section
// 4.2) or an XCLIENT reset; the session is back to the post-greeting phase.
func (c *Client) forget() {
	c.caps.Reset()
	c.lim = wire.Limits{}
	c.conf.phase, c.conf.ehlo, c.conf.authed = PhaseGreeted, false, false
	c.conf.resetTxn()
	c.rcptOK = c.rcptOK[:0]
}

// oneRoundMechs are the mechanisms whose initial response completes the
// exchange in one round trip with no security layer, so AUTH with one may
// be followed by more commands in a pipelined group (RFC 4954 section 4).
var oneRoundMechs = [...]string{"PLAIN", "EXTERNAL", "ANONYMOUS"}

// Auth queues AUTH mech, with the initial response ir when hasIR (sent in
// base64, or "=" when empty; RFC 4954 section 4). Unless Permissive, AUTH
// and mech must have been advertised (RFC 4954 section 3), AUTH is refused
// after a successful AUTH and inside a transaction (RFC 4954 section 4),
// and a mechanism that reveals a reusable secret (auth.Cleartext) needs
// TLS or ClientConfig.AllowInsecureAuth. Each 334 comes as a
// ClientEventChallenge with the decoded challenge, answered with
// AuthRespond or AuthCancel; the caller runs the SASL mechanism (for
// example an auth.Client). AUTH ends a pipelined group unless hasIR and
// mech is PLAIN, EXTERNAL or ANONYMOUS; while the exchange may go on no
// other command can be queued.
func (c *Client) Auth(mech string, ir []byte, hasIR bool) error {
	if err := c.check(wire.VerbAUTH); err != nil {
		return err
	}
	if !c.cfg.Permissive {
		if err := c.checkAuth(mech); err != nil {
			return err
		}
	}
	start := len(c.held)
	held, err := wire.AppendAuth(c.held, mech, ir, hasIR)
	if err != nil {
		return err
	}
	c.held = held
	one := false
	for _, m := range oneRoundMechs {
		one = one || hasIR && strings.EqualFold(mech, m)
	}
	c.pushHeld(clientCmd{verb: wire.VerbAUTH, stage: StageAuth, oneRnd: one,
		ends: EndsGroup(wire.VerbAUTH, one)}, start)
	return nil
}

// checkAuth checks AUTH mech against the session.
func (c *Client) checkAuth(mech string) error {
	if c.proj.authed {
		return seqError("AUTH after a successful AUTH", c.proj.phase, "RFC 4954 4")
	}
	if err := c.need(wire.ExtAUTH, "AUTH"); err != nil {
		return err
	}
	if !c.caps.HasAuth(mech) {
		return notAdvertised("AUTH mechanism "+mech+" not offered", "RFC 4954 3")
	}
	if !c.conf.tls && !c.cfg.AllowInsecureAuth && auth.Cleartext(strings.ToUpper(mech)) {
		return seqError("AUTH "+mech+" without TLS (ClientConfig.AllowInsecureAuth)", c.proj.phase, "RFC 4954 4")
	}
	return nil
}

// AuthRespond sends resp, the SASL mechanism's answer to the last
// challenge, as one line of base64 (RFC 4954 section 4); an empty resp is
// an empty line. It is legal only after a ClientEventChallenge.
func (c *Client) AuthRespond(resp []byte) error {
	if err := c.authTurn("AUTH response"); err != nil {
		return err
	}
	start := len(c.held)
	c.held = wire.AppendAuthResponse(c.held, resp)
	c.pushHeld(clientCmd{verb: wire.VerbAUTH, stage: StageAuth, resp: true, ends: true}, start)
	return nil
}

// AuthCancel sends "*", which cancels the exchange; the server answers 501
// (RFC 4954 section 4). It is legal only after a ClientEventChallenge.
func (c *Client) AuthCancel() error {
	if err := c.authTurn("AUTH cancel"); err != nil {
		return err
	}
	c.queueCancel(false)
	return nil
}

// queueCancel queues "*".
func (c *Client) queueCancel(auto bool) {
	if auto && c.mirror {
		return
	}
	start := len(c.held)
	c.held = wire.AppendAuthCancel(c.held)
	c.pushHeld(clientCmd{verb: wire.VerbAUTH, stage: StageAuth, resp: true, ends: true, auto: auto}, start)
}

// authTurn returns nil when a SASL response may be sent: a 334 came and
// nothing was sent since (or Permissive).
func (c *Client) authTurn(what string) error {
	switch {
	case c.term:
		return c.closedErr()
	case c.cfg.Permissive:
		return c.room()
	case c.conf.phase != PhaseAuth || c.Outstanding() != 0:
		return seqError(what+" without a 334 challenge", c.conf.phase, "RFC 4954 4")
	}
	return nil
}

// errAuthChallenge describes a challenge that is not base64.
func errAuthChallenge(err error) error {
	return &Violation{Side: SideServer, Rule: "RFC 4954 4",
		Detail: "334 challenge is not base64; the client cancelled the exchange", Err: err}
}
