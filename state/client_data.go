package state

import (
	"fmt"

	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the Client's message content: DATA with its body
// (RFC 5321 section 4.1.1.4) and BDAT chunks (RFC 3030).

// Data queues DATA (RFC 5321 section 4.1.1.4). It ends a pipelined group
// (RFC 2920 section 3.1). Send the message with Body and EndData after the
// 354 (ClientEventGoAhead), never before (RFC 5321 section 3.3). Unless
// Permissive, DATA is refused in a transaction that used BDAT (RFC 3030
// section 2) or declared BODY=BINARYMIME (RFC 3030 section 3).
func (c *Client) Data() error {
	if err := c.check(wire.VerbDATA); err != nil {
		return err
	}
	if !c.cfg.Permissive {
		switch {
		case c.proj.bdat:
			return seqError("DATA after BDAT", c.proj.phase, "RFC 3030 2")
		case c.proj.binary:
			return seqError("DATA with BODY=BINARYMIME", c.proj.phase, "RFC 3030 3")
		}
	}
	return c.queueVerb(wire.VerbDATA, nil)
}

// inBody returns nil when message content may be written now: after the
// 354 and before EndData (RFC 5321 section 3.3: never unless the server
// answered DATA with 354), or at any time when Permissive.
func (c *Client) inBody(what string) error {
	switch {
	case c.term:
		return c.closedErr()
	case c.cfg.Permissive:
		return nil
	case c.conf.phase != PhaseData || c.Outstanding() != 0:
		return seqError(what+" without a 354 reply", c.conf.phase, "RFC 5321 3.3")
	}
	return nil
}

// Body writes p, the next piece of the message, dot-stuffed (RFC 5321
// section 4.5.2) with wire.DataEncoder: a line that starts with "." gets a
// second one, so nothing in p can end the data. p is copied. A bare CR or
// LF in p is handled by ClientConfig.BareData; when it is refused the
// session fails with the encoder's error, since the message can no longer
// be sent whole and must not be ended (RFC 5321 section 2.3.8).
func (c *Client) Body(p []byte) error {
	if err := c.inBody("message content"); err != nil {
		return err
	}
	out, err := c.enc.Encode(c.out, p)
	if err != nil {
		return c.failLocal(err)
	}
	c.out, c.blockStart = out, c.now
	return nil
}

// EndData ends the message: a CRLF if the body did not end with one, then
// "." CRLF, the only sequence that ends the data (RFC 5321 section
// 4.1.1.4). The reply (ClientEventReply at StageEndOfData; under LMTP one
// per accepted recipient, RFC 2033 section 4.2) says whether the server
// took responsibility for the message (RFC 5321 section 4.2.5). Commands
// for the next transaction may be queued at once.
func (c *Client) EndData() error {
	if err := c.inBody("end of data"); err != nil {
		return err
	}
	if err := c.room(); err != nil {
		return err
	}
	out, err := c.enc.Close(c.out)
	if err != nil {
		return c.failLocal(err)
	}
	c.out = out
	c.push(clientCmd{verb: wire.VerbDATA, stage: StageEndOfData, written: true, sent: c.now})
	c.project()
	return nil
}

// Bdat queues "BDAT <len(chunk)> [LAST]" followed by chunk, copied and sent
// as is: no dot-stuffing, no 354 (RFC 3030 section 2). CHUNKING must have
// been advertised. BDAT does not end a pipelined group, so with PIPELINING
// the chunks of a message go out without waiting. The reply to the LAST
// chunk is the reply for the whole message (under LMTP one per accepted
// recipient). After a 4yz or 5yz to a chunk no more chunks may follow
// (RFC 3030 section 2): send Rset. Chunks queued behind the failed one and
// not yet written (without PIPELINING each waits for the reply before it)
// are withdrawn then, unless Permissive: they are never written, get no
// reply and leave Outstanding. A driver that wants every chunk answered
// queues the next one only after the reply to the last.
func (c *Client) Bdat(chunk []byte, last bool) error {
	if err := c.check(wire.VerbBDAT); err != nil {
		return err
	}
	if err := c.need(wire.ExtCHUNKING, "BDAT"); err != nil {
		return err
	}
	if !c.cfg.Permissive && c.proj.bdatFailed {
		return seqError("BDAT after a failed chunk", c.proj.phase, "RFC 3030 2")
	}
	start := len(c.held)
	c.held = wire.AppendBdat(c.held, uint64(len(chunk)), last)
	c.held = append(c.held, chunk...)
	stage := StageBDAT
	if last {
		stage = StageBDATLast
	}
	c.pushHeld(clientCmd{verb: wire.VerbBDAT, stage: stage}, start)
	return nil
}

// failLocal ends the session with a local error that makes going on
// unsafe, and returns it.
func (c *Client) failLocal(err error) error {
	err = fmt.Errorf("state: message content refused, session abandoned: %w", err)
	c.fail(ClientEvent{Kind: ClientEventError, Recipient: -1, Err: err})
	return err
}
