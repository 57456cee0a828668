package client

import (
	"context"
	"errors"
	"io"

	"github.com/smtpkit/smtpkit/wire"
)

// sendBDAT runs the transaction with BDAT chunks (RFC 3030 section 2). The
// first chunk is read before MAIL is queued, so that with PIPELINING a
// message that fits one chunk goes out in one write with its envelope.
// Text bodies are made canonical (CRLF) on the way; binary ones go as is.
func (c *Client) sendBDAT(ctx context.Context, t *txn, env *Envelope, p wire.MailParams, body io.Reader) error {
	if c.body == nil {
		c.body = make([]byte, c.cfg.chunkSize)
	}
	c.canon.reset()
	chunk, last, rerr := c.readChunk(body, env.Binary)
	if rerr != nil {
		return &Error{Op: "send", Addr: c.addr(), Err: rerr}
	}
	if err := c.queueEnvelope(ctx, env, p); err != nil {
		return err
	}
	// Without PIPELINING every chunk waits for the reply to the one before;
	// with it, a few are in flight.
	window := 1
	if c.m.Capabilities().Has(wire.ExtPIPELINING) {
		window = 4
	}
	for {
		if err := c.m.Bdat(chunk, last); err != nil {
			return c.abandon(ctx, &Error{Op: "send", Addr: c.addr(), Err: err})
		}
		if last {
			break
		}
		for c.m.Outstanding() > window {
			ev, err := c.await(ctx, "send")
			if err != nil {
				return err
			}
			t.handle(ev)
		}
		if t.fail != nil { // RFC 3030 section 2: no more chunks after a failure
			return c.drain(ctx, t)
		}
		chunk, last, rerr = c.readChunk(body, env.Binary)
		if rerr != nil {
			// RSET aborts a BDAT transaction (RFC 3030 section 4).
			return errors.Join(&Error{Op: "send", Addr: c.addr(), Err: rerr}, c.drain(ctx, t))
		}
	}
	return c.drain(ctx, t)
}

// readChunk reads the next chunk of body: up to the chunk size, made
// canonical unless binary. last reports the end of the body.
func (c *Client) readChunk(body io.Reader, binary bool) (chunk []byte, last bool, err error) {
	n, rerr := io.ReadFull(body, c.body)
	switch rerr {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		last = true
	default:
		return nil, false, rerr
	}
	if binary {
		return c.body[:n], last, nil
	}
	c.cbuf, err = c.canon.append(c.cbuf[:0], c.body[:n])
	if err == nil && last {
		c.cbuf, err = c.canon.close(c.cbuf)
	}
	return c.cbuf, last, err
}
