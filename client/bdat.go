package client

import (
	"context"
	"errors"
	"io"

	"github.com/smtpkit/smtpkit/wire"
)

// pipelinedChunks bounds the BDAT chunks in flight with PIPELINING.
const pipelinedChunks = 4

// sendBDAT sends the content in BDAT chunks (RFC 3030 section 2), starting
// with the piece peek read, which with PIPELINING goes in one write with
// the envelope when it is the whole message. Text bodies are made
// canonical (CRLF) on the way; binary ones go as is.
//
// "If a 5XX or 4XX code is received by the sender-SMTP in response to a
// BDAT chunk, the transaction should be considered failed and the
// sender-SMTP MUST NOT send any additional BDAT segments" (RFC 3030
// section 2). Without PIPELINING each chunk therefore waits for the reply
// to the one before, as every command does (RFC 5321 section 4.3.1). With
// PIPELINING up to pipelinedChunks are in flight: those already sent when
// a refusal arrives cannot be unsent, and the server "MUST be prepared to
// accept and discard additional BDAT chunks already in the pipeline after
// the failed BDAT" (RFC 3030 section 2), but none is sent after it. RSET
// then ends the transaction. The second chunk waits for the replies to MAIL
// and the RCPTs, so no chunk but the first follows a refused envelope.
func (c *Client) sendBDAT(ctx context.Context, t *txn, body io.Reader) error {
	window := 0
	if c.m.Capabilities().Has(wire.ExtPIPELINING) {
		window = pipelinedChunks
	}
	chunk, last := t.first, t.last
	for {
		if err := c.m.Bdat(chunk, last); err != nil {
			return c.abandon(ctx, &Error{Op: "send", Addr: c.addr(), Err: err})
		}
		if last {
			break
		}
		// With PIPELINING the first chunk went with the envelope; the
		// next waits for the envelope's replies, so that none follows
		// every RCPT refused (RFC 5321 section 3.3), and whether it goes
		// depends on the replies alone, not on how they arrived.
		for c.m.Outstanding() > window || !t.halted && t.answered < len(t.res.Recipients) {
			ev, err := c.await(ctx, "send")
			if err != nil {
				return err
			}
			t.handle(ev)
		}
		if t.halted {
			return c.drain(ctx, t)
		}
		var rerr error
		chunk, last, rerr = c.readChunk(t, body)
		if rerr != nil {
			// RSET aborts a BDAT transaction (RFC 3030 section 4).
			if err := c.drain(ctx, t); err != nil {
				return errors.Join(rerr, err)
			}
			return rerr
		}
	}
	return c.drain(ctx, t)
}
