package state

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds how the Client reads replies: line assembly, matching a
// reply to the oldest command, and acting on its Judgment (SPEC 2.4a).

// Next reads the next reply from the received octets and returns what it
// means, or a zero ClientEvent when a reply is not complete yet. Each
// reply answers the oldest unanswered command (RFC 5321 section 4.2, RFC
// 2920 section 3.1); the Client acts on it by its Judgment before it
// returns: it records capabilities, moves the phase, sends HELO after a
// refused EHLO, QUIT after a refused greeting, and writes the commands the
// reply releases. The session's last event (ClientEventClosed or
// ClientEventError) is returned once; later calls return zero events.
func (c *Client) Next() ClientEvent {
	if c.term {
		if c.done {
			return ClientEvent{}
		}
		c.done = true
		return c.termEv
	}
	for {
		adv, line, err := c.split.Split(c.in[c.inPos:])
		if adv == 0 {
			if c.eof {
				return c.lost()
			}
			return ClientEvent{}
		}
		c.inPos += adv
		if err != nil {
			return c.badLine(err)
		}
		if line == nil {
			// Past MaxReplyLine octets without CRLF: the reply is
			// broken whatever follows, so the session ends now rather
			// than at a timeout while a server sends an endless line.
			return c.badLine(wire.ErrLineTooLong)
		}
		if ev, ok := c.addLine(line); ok {
			return ev
		}
	}
}

// badLine ends the session for a reply line the splitter refused.
func (c *Client) badLine(err error) ClientEvent {
	rule, detail := "RFC 5321 2.3.8", "bare CR or LF in a reply line"
	if errors.Is(err, wire.ErrLineTooLong) {
		rule, detail = "RFC 5321 4.5.3.1.5", "reply line longer than "+strconv.Itoa(wire.MaxReplyLine)+" octets"
	}
	return c.stop(c.violation(err, rule, detail))
}

// addLine adds one reply line and, when it is the last, handles the reply.
func (c *Client) addLine(line []byte) (ClientEvent, bool) {
	rl, err := wire.ParseReplyLine(line)
	if err != nil {
		return c.stop(c.violation(err, "RFC 5321 4.2", "malformed reply line")), true
	}
	if c.lines == 0 {
		c.code = rl.Code
		enh, text := rl.Enhanced()
		c.enh, c.text = enh, append(c.text[:0], text...)
		cmd := c.front()
		if cmd != nil && (cmd.stage == StageEhlo || cmd.stage == StageLhlo) && rl.Code.IsPositive() {
			c.next.Reset()
		}
	} else {
		if rl.Code != c.code {
			// RFC 5321 section 4.2.1: every line of a reply has its code.
			mm := &reply.CodeMismatchError{Line: c.lines + 1, Want: c.code, Got: rl.Code}
			return c.stop(c.violation(mm, "RFC 5321 4.2.1", "multi-line reply changes its code")), true
		}
		text := rl.Text
		if e, rest, ok := reply.ParseEnhancedPrefix(text); ok && !c.enh.IsZero() && e == c.enh {
			text = rest // RFC 2034 section 4: the code repeats on each line
		}
		c.text = append(append(c.text, '\n'), text...)
	}
	if cmd := c.front(); cmd != nil && (cmd.stage == StageEhlo || cmd.stage == StageLhlo) && c.code.IsPositive() {
		// A keyword line that breaks the grammar is skipped; the rest
		// still count (RFC 5321 section 4.1.1.1).
		_ = c.next.AddLine(rl.Text)
	}
	c.lines++
	if c.lines > c.cfg.MaxReplyLines {
		return c.stop(c.violation(reply.ErrReplyTooLong, "RFC 5321 4.5.3.1",
			"reply of more than "+strconv.Itoa(c.cfg.MaxReplyLines)+" lines")), true
	}
	if rl.More {
		return ClientEvent{}, false
	}
	c.lines = 0
	return c.handleReply(), true
}

// handleReply acts on the complete reply in code, enh and text.
func (c *Client) handleReply() ClientEvent {
	ev := ClientEvent{Kind: ClientEventReply, Code: c.code, Enhanced: c.enh, Text: c.text, Recipient: -1}
	cmd := c.front()
	if cmd == nil {
		ev.Judgment = Judge(StageNone, c.code)
		if c.code == reply.CodeServiceNotAvailable {
			// RFC 5321 section 3.8: 421 may come at any time.
			return c.closeOn(ev)
		}
		rule, detail, _ := ev.Judgment.Problem()
		return c.stop(withViolation(ev, nil, rule, detail))
	}
	ev.Stage, ev.Verb, ev.Auto = cmd.stage, cmd.verb, cmd.auto
	ev.Recipient = c.recipientOf(cmd)
	j := Judge(cmd.stage, c.code)
	ev.Judgment = j
	switch j.Verdict {
	case VerdictFatal, VerdictProtocolError:
		rule, detail, _ := j.Problem()
		return c.stop(withViolation(ev, nil, rule, detail))
	case VerdictClose:
		return c.closeOn(ev)
	case VerdictQuit:
		// RFC 5321 section 3.1: a refused session still ends with QUIT.
		ev.Kind = ClientEventGreeting
		c.pop()
		c.conf.phase = PhaseRefused
		c.queueAuto(wire.VerbQUIT)
	case VerdictFallbackHELO:
		// RFC 5321 section 3.2: EHLO refused, HELO next.
		c.pop()
		c.fallbackHELO()
	case VerdictStartTLS:
		c.pop()
		c.conf.phase, c.tlsStart = PhaseTLS, c.now
		if n := len(c.in) - c.inPos; n > 0 && !c.cfg.Permissive {
			// RFC 3207 section 4.2, SPEC 5.2: what came with the 220 was
			// sent in clear and is never read as if it came through TLS.
			return c.stop(withViolation(ev, nil, "RFC 3207 4.2", strconv.Itoa(n)+
				" octets received after the 220 reply to STARTTLS, before the TLS handshake"))
		}
	case VerdictContinue:
		if cmd.stage != StageData {
			return c.challenge(ev)
		}
		c.pop()
		ev.Kind = ClientEventGoAhead
		c.conf.phase, c.blockStart = PhaseData, c.now
		c.enc.Reset()
	default:
		if more := c.settle(cmd, j, &ev); more {
			return ev
		}
	}
	c.project()
	c.release()
	return ev
}

// settle applies a completion reply (2yz, 4yz, 5yz) to the confirmed
// session and removes the command, except when an LMTP message awaits
// replies for more recipients, when it reports more.
func (c *Client) settle(cmd *clientCmd, j Judgment, ev *ClientEvent) (more bool) {
	ok := j.Verdict == VerdictProceed || j.Verdict == VerdictAuthenticated || j.Verdict == VerdictReset
	s := &c.conf
	switch cmd.stage {
	case StageGreeting:
		ev.Kind = ClientEventGreeting
		if ok && s.phase == PhaseGreeting {
			s.phase = PhaseGreeted
		}
		c.pop()
		return false
	case StageEndOfData, StageBDATLast:
		if c.cfg.Protocol == ProtocolLMTP {
			// RFC 2033 section 4.2: one reply per accepted RCPT, in order.
			cmd.next++
			if int(cmd.next) < len(c.rcptOK) {
				cmd.sent = c.now
				return true
			}
		}
		s.endTxn()
		c.rcptOK = c.rcptOK[:0]
		c.pop()
		return false
	case StageAuth:
		// RFC 4954 section 6: 235 ends the exchange; anything else ends
		// it unauthenticated.
		s.authed = s.authed || ok
		if s.phase == PhaseAuth {
			s.phase = PhaseReady
		}
		c.pop()
		return false
	case StageXclient:
		if j.Verdict == VerdictReset {
			c.forget() // Postfix XCLIENT_README: the session restarts
		}
		c.pop()
		return false
	case StageBDAT:
		if !ok {
			// RFC 3030 section 2: no more chunks, and no DATA in the
			// same transaction. Chunks still held were never sent, and
			// must not be now.
			s.bdat, s.bdatFailed = true, true
			if !c.cfg.Permissive {
				c.withdrawChunks()
			}
		}
	}
	if ok {
		c.succeed(cmd)
	}
	c.pop()
	return false
}

// succeed applies a command's success to the confirmed session.
func (c *Client) succeed(cmd *clientCmd) {
	s := &c.conf
	c.assume(s, cmd)
	switch cmd.stage {
	case StageEhlo, StageLhlo:
		c.caps, c.next = c.next, c.caps
		s.ehlo = true
		c.lim = wire.Limits{}
		if c.caps.Has(wire.ExtLIMITS) {
			c.lim = c.caps.Limits()
		}
		c.rcptOK = c.rcptOK[:0]
	case StageHelo:
		c.caps.Reset()
		s.ehlo, c.lim = false, wire.Limits{}
		c.rcptOK = c.rcptOK[:0]
	case StageMail, StageRset:
		c.rcptOK = c.rcptOK[:0]
	case StageRcpt:
		if s.phase == PhaseRcpt {
			c.rcptOK = append(c.rcptOK, cmd.rcpt)
		}
	}
}

// recipientOf returns the recipient a reply to cmd is about: a RCPT's
// index, or under LMTP the accepted recipient whose end-of-data reply is
// next; -1 otherwise.
func (c *Client) recipientOf(cmd *clientCmd) int {
	switch {
	case cmd.stage == StageRcpt:
		return int(cmd.rcpt)
	case (cmd.stage == StageEndOfData || cmd.stage == StageBDATLast) &&
		c.cfg.Protocol == ProtocolLMTP && int(cmd.next) < len(c.rcptOK):
		return int(c.rcptOK[cmd.next])
	}
	return -1
}

// challenge handles a 334 to AUTH or to a response line.
func (c *Client) challenge(ev ClientEvent) ClientEvent {
	if c.nWritten > 1 && !c.cfg.Permissive {
		// RFC 4954 section 4: only a one-round AUTH may be followed in a
		// group; the server read the next command as a SASL response.
		return c.stop(withViolation(ev, nil, "RFC 4954 4",
			"334 to an AUTH whose initial response completes it; the pipelined commands after it are lost"))
	}
	c.pop()
	c.conf.phase = PhaseAuth
	ev.Kind = ClientEventChallenge
	chal, err := wire.DecodeBase64(c.chal[:0], bytes.TrimRight(c.text, " \t"))
	if err != nil {
		// RFC 4954 section 4: a client that cannot decode the challenge
		// cancels the exchange.
		ev.Err = errAuthChallenge(err)
		c.queueCancel(true)
		return ev
	}
	c.chal, ev.Text = chal, chal
	c.project()
	return ev
}

// fallbackHELO queues HELO ahead of every held command.
func (c *Client) fallbackHELO() {
	if c.mirror {
		return
	}
	start := len(c.held)
	held, err := wire.AppendHello(c.held, wire.VerbHELO, c.host)
	if err != nil {
		return // not reached: NewClient checked the host name
	}
	c.held = held
	c.insertFirstHeld(clientCmd{verb: wire.VerbHELO, stage: StageHelo, ends: true, auto: true}, start)
}

// queueAuto queues a command without arguments on the Client's own
// account.
func (c *Client) queueAuto(v wire.Verb) {
	if c.mirror {
		return
	}
	if c.queueVerb(v, nil) == nil {
		c.cmds[len(c.cmds)-1].auto = true
	}
}

// closeOn ends the session on a reply that closes it: the reply to QUIT
// (an orderly end, Err nil) or 421 (RFC 5321 section 3.8).
func (c *Client) closeOn(ev ClientEvent) ClientEvent {
	ev.Kind = ClientEventClosed
	if ev.Stage != StageQuit {
		ev.Err = fmt.Errorf("%w: %w", ErrClosed, &reply.Error{Reply: ev.Reply(), Command: ev.Stage.String()})
	}
	return c.stop(ev)
}

// lost ends the session at the end of the input.
func (c *Client) lost() ClientEvent {
	ev := c.base()
	ev.Kind = ClientEventClosed
	cmd := c.front()
	switch {
	case cmd == nil:
		ev.Judgment = JudgeLost(StageNone)
		ev.Err = fmt.Errorf("%w: the server closed the connection without 421 (RFC 5321 3.8)", ErrClosed)
	case cmd.stage == StageQuit:
		ev.Judgment = JudgeLost(StageQuit) // an orderly end without 221
	default:
		ev.Judgment = JudgeLost(cmd.stage)
		ev.Err = fmt.Errorf("%w: connection lost awaiting the reply to %s, taken as 451 (RFC 5321 3.8)",
			ErrClosed, cmd.stage)
	}
	return c.stop(ev)
}

// stop ends the session with ev and returns it as Next's last event.
func (c *Client) stop(ev ClientEvent) ClientEvent {
	c.fail(ev)
	c.done = true
	return c.termEv
}

// base returns an event naming the oldest unanswered command, if any.
func (c *Client) base() ClientEvent {
	ev := ClientEvent{Recipient: -1}
	if cmd := c.front(); cmd != nil {
		ev.Stage, ev.Verb, ev.Auto = cmd.stage, cmd.verb, cmd.auto
		ev.Recipient = c.recipientOf(cmd)
	}
	return ev
}

// violation returns the error event for a server violation.
func (c *Client) violation(cause error, rule, detail string) ClientEvent {
	return withViolation(c.base(), cause, rule, detail)
}

// withViolation turns ev into the error event for a server violation.
func withViolation(ev ClientEvent, cause error, rule, detail string) ClientEvent {
	ev.Kind = ClientEventError
	ev.Err = &Violation{Side: SideServer, Rule: rule, Detail: detail, Err: cause}
	return ev
}
