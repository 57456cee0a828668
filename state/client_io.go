package state

import (
	"fmt"
	"time"
)

// This file holds the Client's I/O surface: the octets received and to be
// written, and the clock.

// Receive gives the Client octets read from the server; p is copied and
// may be reused at once. Call Next until it returns no event to read the
// replies they complete. The unread input is bounded by MaxClientInput:
// past it the session fails with ErrBusy (a driver bug: Next was not
// called). Unless Permissive, octets received between the 220 to STARTTLS
// and TLSStarted came in clear and are a fatal violation (SPEC 5.2). After
// the session ended Receive does nothing.
func (c *Client) Receive(p []byte) {
	if c.term || len(p) == 0 {
		return
	}
	if c.conf.phase == PhaseTLS && !c.cfg.Permissive {
		c.fail(c.violation(nil, "RFC 3207 4.2", fmt.Sprintf(
			"%d octets received in clear after the 220 reply to STARTTLS, before the TLS handshake", len(p))))
		return
	}
	if c.inPos > 0 {
		n := copy(c.in, c.in[c.inPos:])
		c.in, c.inPos = c.in[:n], 0
	}
	if len(c.in)+len(p) > MaxClientInput {
		c.fail(ClientEvent{Kind: ClientEventError, Recipient: -1, Err: fmt.Errorf(
			"%w: more than %d octets received and not read; call Next until it returns no event", ErrBusy, MaxClientInput)})
		return
	}
	c.in = append(c.in, p...)
}

// ReceiveEOF reports that the server closed the connection. Next returns
// the replies still buffered, then ClientEventClosed; when a reply was
// awaited its Judgment is JudgeLost's, which treats the loss as a 451 (RFC
// 5321 section 3.8).
func (c *Client) ReceiveEOF() { c.eof = true }

// Output returns the octets to write now: commands released by the
// pipelining rules and message content. The slice aliases the Client's
// buffer and is valid until the next call that changes the Client; after
// writing some of it call Consumed. Output is empty once the session has
// ended: nothing more is written.
func (c *Client) Output() []byte {
	if c.term {
		return nil
	}
	return c.out[c.outPos:]
}

// Consumed reports that the first n octets of Output were written. n is
// clamped to what Output holds.
func (c *Client) Consumed(n int) {
	if n <= 0 {
		return
	}
	c.outPos = min(c.outPos+n, len(c.out))
	switch {
	case c.outPos == len(c.out):
		c.out, c.outPos = c.out[:0], 0
	case c.outPos >= 4096 && 2*c.outPos >= len(c.out):
		k := copy(c.out, c.out[c.outPos:])
		c.out, c.outPos = c.out[:k], 0
	}
	if c.conf.phase == PhaseData {
		c.blockStart = c.now // the send made progress (RFC 5321 4.5.3.2.5)
	}
}

// Advance gives the Client the time; it never reads a clock. The first
// call starts the timers of what was written before it. When the Deadline
// has passed the session fails with ErrTimeout (RFC 5321 section 4.5.3.2),
// reported by Next as ClientEventError; an end-of-data reply that never
// came is judged as a 451 (JudgeLost, RFC 5321 section 3.8). A time
// earlier than the last one is ignored.
func (c *Client) Advance(now time.Time) {
	if c.term || c.clock && now.Before(c.now) {
		return
	}
	if !c.clock {
		c.clock = true
		for i := c.head; i < c.head+c.nWritten; i++ {
			c.cmds[i].sent = now
		}
		c.blockStart, c.tlsStart = now, now
	}
	c.now = now
	if d := c.Deadline(); !d.IsZero() && !now.Before(d) {
		c.timeout()
	}
}

// Deadline returns when the Client stops waiting, or the zero Time when it
// waits for nothing or Advance was never called: the reply deadline of the
// oldest unanswered command (Timeouts.ReplyDeadline by stage: greeting,
// MAIL and RCPT 5 minutes, DATA 2, end of data 10, RFC 5321 section
// 4.5.3.2); while a body is written, the latest progress plus
// Timeouts.DataBlock; between the 220 to STARTTLS and TLSStarted, that
// reply plus Timeouts.TLSHandshake.
func (c *Client) Deadline() time.Time {
	switch {
	case c.term || !c.clock:
		return time.Time{}
	case c.nWritten > 0:
		cmd := c.front()
		return c.cfg.Timeouts.ReplyDeadline(cmd.stage, cmd.sent)
	case c.conf.phase == PhaseData:
		return c.blockStart.Add(c.cfg.Timeouts.DataBlock)
	case c.conf.phase == PhaseTLS:
		return c.cfg.Timeouts.HandshakeDeadline(c.tlsStart)
	}
	return time.Time{}
}

// timeout ends the session because the Deadline passed.
func (c *Client) timeout() {
	ev := ClientEvent{Kind: ClientEventError, Recipient: -1}
	var what string
	if cmd := c.front(); cmd != nil {
		ev.Stage, ev.Verb, ev.Auto = cmd.stage, cmd.verb, cmd.auto
		ev.Judgment = JudgeLost(cmd.stage)
		ev.Recipient = c.recipientOf(cmd)
		what = "no reply to " + cmd.stage.String() + " within " + c.cfg.Timeouts.For(cmd.stage).String()
	} else if c.conf.phase == PhaseTLS {
		what = "no TLSStarted within " + c.cfg.Timeouts.TLSHandshake.String()
	} else {
		ev.Stage = StageEndOfData
		ev.Judgment = JudgeLost(StageEndOfData)
		what = "no progress writing the message within " + c.cfg.Timeouts.DataBlock.String()
	}
	ev.Err = fmt.Errorf("%w: %s (RFC 5321 4.5.3.2)", ErrTimeout, what)
	c.fail(ev)
}

// fail ends the session with ev, which Next returns once.
func (c *Client) fail(ev ClientEvent) {
	if c.term {
		return
	}
	c.term, c.termEv, c.err = true, ev, ev.Err
}
