package state

import (
	"bytes"
	"fmt"

	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the Client's command methods for the greeting, the mail
// transaction's envelope, the informational commands and the Postfix
// extensions, with the checks they share. DATA, BDAT, STARTTLS and AUTH
// are in client_data.go and client_auth.go.

// noCommandRule cites why no command may be sent in phase p, one that
// reads no commands.
func noCommandRule(p Phase) string {
	switch p {
	case PhaseNone, PhaseGreeting:
		return "RFC 5321 3.1" // the client waits for the greeting
	case PhaseData:
		return "RFC 5321 4.1.1.4" // message content until CRLF "." CRLF
	case PhaseAuth:
		return "RFC 4954 4" // a SASL response, not a command
	case PhaseTLS:
		return "RFC 3207 4.2" // the TLS handshake comes first
	}
	return "RFC 5321 4.1.1.10" // QUIT ends the session
}

// check returns the error for a command with verb v queued now: the
// session is over, the queue is full (ErrBusy), or, unless Permissive,
// the legality table refuses v in the projected phase (ErrBadSequence).
func (c *Client) check(v wire.Verb) error {
	if c.term {
		return c.closedErr()
	}
	if err := c.room(); err != nil {
		return err
	}
	if c.cfg.Permissive {
		return nil
	}
	cell, ok := Lookup(c.cfg.Protocol, c.proj.phase, v)
	if !ok {
		return seqError(v.String(), c.proj.phase, noCommandRule(c.proj.phase))
	}
	if !cell.Legal() {
		return seqError(v.String(), c.proj.phase, cell.Rule)
	}
	return nil
}

// exts returns the extensions in effect: those of the accepted EHLO or
// LHLO, none after HELO or before any.
func (c *Client) exts() wire.ExtSet {
	if !c.conf.ehlo {
		return 0
	}
	return c.caps.Exts()
}

// need returns ErrNotAdvertised unless the server offered e or the Client
// is Permissive. A client uses only the extensions the server advertised
// (RFC 5321 section 2.2.1).
func (c *Client) need(e wire.Ext, what string) error {
	if c.cfg.Permissive || c.exts().Has(e) {
		return nil
	}
	return notAdvertised(what+" needs "+e.String()+" in the EHLO reply", "RFC 5321 2.2.1")
}

// queueVerb queues verb with an optional argument, checked by parsing the
// line back (wire.AppendVerbArg).
func (c *Client) queueVerb(v wire.Verb, arg []byte) error {
	start := len(c.held)
	held, err := wire.AppendVerbArg(c.held, v, arg)
	if err != nil {
		return err
	}
	c.held = held
	c.pushHeld(clientCmd{verb: v, stage: StageFor(v), ends: EndsGroup(v, false)}, start)
	return nil
}

// helloVerb returns EHLO, or LHLO under LMTP (RFC 2033 section 4.1).
func (c *Client) helloVerb() wire.Verb {
	if c.cfg.Protocol == ProtocolLMTP {
		return wire.VerbLHLO
	}
	return wire.VerbEHLO
}

// Hello queues EHLO with ClientConfig.Hostname, or LHLO under LMTP (RFC
// 5321 section 4.1.1.1, RFC 2033 section 4.1). When the server refuses
// EHLO with a 5yz the Client sends HELO by itself (RFC 5321 section 3.2).
// Commands queued after it are checked against the capabilities known
// when they are queued, so a caller that wants to use an extension waits
// for the EHLO reply.
func (c *Client) Hello() error {
	v := c.helloVerb()
	if err := c.check(v); err != nil {
		return err
	}
	return c.queueHello(v, false)
}

// queueHello queues a greeting command without checking it.
func (c *Client) queueHello(v wire.Verb, auto bool) error {
	start := len(c.held)
	held, err := wire.AppendHello(c.held, v, c.host)
	if err != nil {
		return err
	}
	c.held = held
	c.pushHeld(clientCmd{verb: v, stage: StageFor(v), ends: true, auto: auto}, start)
	return nil
}

// Mail queues MAIL FROM:<from> with the parameters p (RFC 5321 section
// 4.1.1.2); an empty from is the null reverse-path. Unless Permissive,
// every parameter's extension must have been advertised (RFC 5321 section
// 4.1.1.11; BODY=7BIT goes with 8BITMIME or BINARYMIME), a declared SIZE
// may not exceed the server's fixed maximum (RFC 1870 section 4), and the
// session may not exceed LIMITS MAILMAX transactions (RFC 9422 section
// 5.1).
func (c *Client) Mail(from []byte, p wire.MailParams) error {
	if err := c.check(wire.VerbMAIL); err != nil {
		return err
	}
	if !c.cfg.Permissive {
		if err := c.checkMail(p); err != nil {
			return err
		}
	}
	start := len(c.held)
	held, err := wire.AppendMail(c.held, from, p)
	if err != nil {
		return err
	}
	c.held = held
	c.mails, c.rcptSeq = c.mails+1, 0
	c.pushHeld(clientCmd{verb: wire.VerbMAIL, stage: StageMail, utf8: p.SMTPUTF8,
		binary: p.Body == wire.BodyBinaryMIME}, start)
	return nil
}

// checkMail checks MAIL parameters against the advertised extensions.
func (c *Client) checkMail(p wire.MailParams) error {
	have := c.exts()
	needs := p.Needs()
	if p.Body == wire.Body7Bit && have.Has(wire.ExtBINARYMIME) {
		needs = needs.Without(wire.Ext8BITMIME)
	}
	if missing := needs &^ have; missing != 0 {
		return notAdvertised("MAIL parameters need "+missing.String(), "RFC 5321 4.1.1.11")
	}
	if max, ok := c.caps.Size(); p.HasSize && ok && max > 0 && p.Size > max {
		return notAdvertised(fmt.Sprintf("SIZE=%d above the server's maximum %d", p.Size, max), "RFC 1870 4")
	}
	if lim := c.limits(); lim.MailMax > 0 && c.mails >= lim.MailMax {
		return notAdvertised(fmt.Sprintf("transaction %d above LIMITS MAILMAX=%d", c.mails+1, lim.MailMax), "RFC 9422 5.1")
	}
	return nil
}

// limits returns the LIMITS the server advertised, or none.
func (c *Client) limits() wire.Limits {
	if !c.exts().Has(wire.ExtLIMITS) {
		return wire.Limits{}
	}
	return c.lim
}

// Rcpt queues RCPT TO:<to> with the parameters p (RFC 5321 section
// 4.1.1.3). Unless Permissive, every parameter's extension must have been
// advertised, and the transaction may not exceed LIMITS RCPTMAX
// recipients (RFC 9422 section 5.2). The reply's event carries the
// recipient's index: the number of Rcpt calls since the last Mail.
func (c *Client) Rcpt(to []byte, p wire.RcptParams) error {
	if err := c.check(wire.VerbRCPT); err != nil {
		return err
	}
	if !c.cfg.Permissive {
		if missing := p.Needs() &^ c.exts(); missing != 0 {
			return notAdvertised("RCPT parameters need "+missing.String(), "RFC 5321 4.1.1.11")
		}
		if lim := c.limits(); lim.RcptMax > 0 && c.proj.rcpts >= lim.RcptMax {
			return notAdvertised(fmt.Sprintf("recipient %d above LIMITS RCPTMAX=%d", c.proj.rcpts+1, lim.RcptMax), "RFC 9422 5.2")
		}
	}
	start := len(c.held)
	held, err := wire.AppendRcpt(c.held, to, p, c.proj.utf8)
	if err != nil {
		return err
	}
	c.held = held
	c.pushHeld(clientCmd{verb: wire.VerbRCPT, stage: StageRcpt, rcpt: c.rcptSeq}, start)
	c.rcptSeq++
	return nil
}

// Rset queues RSET, which ends any mail transaction (RFC 5321 section
// 4.1.1.5).
func (c *Client) Rset() error {
	if err := c.check(wire.VerbRSET); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbRSET, nil)
}

// Noop queues NOOP (RFC 5321 section 4.1.1.9). It ends a pipelined group
// (RFC 2920 section 3.1).
func (c *Client) Noop() error {
	if err := c.check(wire.VerbNOOP); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbNOOP, nil)
}

// Quit queues QUIT (RFC 5321 section 4.1.1.10). Its reply closes the
// session (ClientEventClosed with a nil Err).
func (c *Client) Quit() error {
	if err := c.check(wire.VerbQUIT); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbQUIT, nil)
}

// Vrfy queues VRFY with arg, a user name or mailbox (RFC 5321 section
// 4.1.1.6).
func (c *Client) Vrfy(arg []byte) error {
	if err := c.check(wire.VerbVRFY); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbVRFY, arg)
}

// Expn queues EXPN with arg, a mailing list (RFC 5321 section 4.1.1.7).
// EXPN is optional, so a server that supports it lists it in its EHLO
// reply (RFC 5321 section 4.1.1.1); unless Permissive it must have.
func (c *Client) Expn(arg []byte) error {
	if err := c.check(wire.VerbEXPN); err != nil {
		return err
	}
	if err := c.need(wire.ExtEXPN, "EXPN"); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbEXPN, arg)
}

// Help queues HELP, with arg when it is not empty (RFC 5321 section
// 4.1.1.8).
func (c *Client) Help(arg []byte) error {
	if err := c.check(wire.VerbHELP); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbHELP, arg)
}

// Etrn queues ETRN with node, a domain with an optional "@" or "#" option
// character (RFC 1985 section 3). ETRN must have been advertised.
func (c *Client) Etrn(node []byte) error {
	if err := c.check(wire.VerbETRN); err != nil {
		return err
	}
	if err := c.need(wire.ExtETRN, "ETRN"); err != nil {
		return err
	}
	return c.queueVerb(wire.VerbETRN, node)
}

// Xclient queues XCLIENT with the attributes a, whose values are already
// xtext (Postfix XCLIENT_README). XCLIENT must have been advertised. Its
// 220 reply restarts the session: capabilities and authentication are
// forgotten and the application sends Hello again.
func (c *Client) Xclient(a wire.XAttrs) error {
	return c.queueXAttrs(wire.VerbXCLIENT, wire.ExtXCLIENT, a)
}

// Xforward queues XFORWARD with the attributes a (Postfix
// XFORWARD_README). XFORWARD must have been advertised.
func (c *Client) Xforward(a wire.XAttrs) error {
	return c.queueXAttrs(wire.VerbXFORWARD, wire.ExtXFORWARD, a)
}

// queueXAttrs queues XCLIENT or XFORWARD.
func (c *Client) queueXAttrs(v wire.Verb, e wire.Ext, a wire.XAttrs) error {
	if err := c.check(v); err != nil {
		return err
	}
	if err := c.need(e, v.String()); err != nil {
		return err
	}
	start := len(c.held)
	held, err := wire.AppendXAttrs(c.held, v, a)
	if err != nil {
		return err
	}
	c.held = held
	c.pushHeld(clientCmd{verb: v, stage: StageFor(v), ends: EndsGroup(v, false)}, start)
	return nil
}

// Raw queues line and CRLF as a command, for conformance tests; it works
// only when Permissive. Its reply is matched in order like any command's,
// at the stage of its verb (a BDAT or BURL line ending in " LAST" at the
// LAST stage), and it changes the session as that command would. Raw
// still refuses CR, LF and NUL inside line (wire.ErrForbiddenByte): use
// RawBytes to send arbitrary octets.
func (c *Client) Raw(line []byte) error {
	if err := c.rawCheck(); err != nil {
		return err
	}
	if i := bytes.IndexAny(line, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("%w: at offset %d of a Raw line (RFC 5321 2.3.8)", wire.ErrForbiddenByte, i)
	}
	name, _, _ := bytes.Cut(line, []byte{' '})
	v := wire.LookupVerb(name)
	stage := StageFor(v)
	if n := len(" LAST"); (v == wire.VerbBDAT || v == wire.VerbBURL) && len(line) >= n &&
		bytes.EqualFold(line[len(line)-n:], []byte(" LAST")) {
		stage = stage.Last()
	}
	start := len(c.held)
	c.held = append(append(c.held, line...), '\r', '\n')
	c.pushHeld(clientCmd{verb: v, stage: stage}, start)
	return nil
}

// RawBytes writes p exactly as given, for smuggling and framing tests: bare
// CR and LF, NUL, partial lines, message content outside DATA. It works only
// when Permissive. When stage is not StageNone one reply at that stage is
// expected after p (StageEndOfData for content that ends a message); with
// StageNone none is.
func (c *Client) RawBytes(p []byte, stage Stage) error {
	if err := c.rawCheck(); err != nil {
		return err
	}
	c.out = append(c.out, p...)
	if stage != StageNone && stage < numStages {
		c.push(clientCmd{verb: verbOf(stage), stage: stage, written: true, sent: c.now})
		c.project()
	}
	return nil
}

// rawCheck refuses Raw and RawBytes unless Permissive.
func (c *Client) rawCheck() error {
	switch {
	case c.term:
		return c.closedErr()
	case !c.cfg.Permissive:
		return fmt.Errorf("%w: raw output needs ClientConfig.Permissive", ErrBadSequence)
	}
	return c.room()
}

// verbOf returns the verb whose reply a stage is, VerbDATA for the end of
// the data and VerbBDAT and VerbBURL for their LAST stages.
func verbOf(s Stage) wire.Verb {
	switch s {
	case StageEndOfData:
		return wire.VerbDATA
	case StageBDATLast:
		return wire.VerbBDAT
	case StageBurlLast:
		return wire.VerbBURL
	}
	return s.rules().verb
}
