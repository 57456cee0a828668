package client

import (
	"context"
	"errors"
	"io"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// Message is one message of a batch: what Send takes.
type Message struct {
	Envelope Envelope
	Body     io.Reader
}

// SendEach sends the messages next gives, in order, over c, and reports
// each one's outcome to done with its index (from 0, in next's order): the
// Result and error that Send would have returned for it, with the same
// types (*SendError, *AddressError, *SizeError, *BodyError, *Error) and the
// same per-recipient results, LMTP's per-recipient replies included.
//
// With PIPELINING and DATA it costs one round trip per message in a steady
// stream. RFC 2920 section 3.1 lets the message content be followed in the
// same group by further commands: the content of message i, its "." CRLF
// and the MAIL, RCPT and DATA of message i+1 go in one write, and one read
// brings back the reply to the end of message i with the replies to the
// envelope of message i+1 and its 354. No content is written before its 354
// (RFC 5321 section 3.3), and message i+1 is taken only once message i's
// content is written whole. Without PIPELINING, and under
// BDAT (CHUNKING offered, unless WithoutBDAT; a binary body), every message
// runs as Send runs it, after the replies for the one before are in: BDAT
// already sends a small message and its envelope in one write, and a
// refused LAST chunk may leave a transaction that needs RSET before the
// next MAIL (RFC 3030 section 2).
//
// A message that fails (4yz or 5yz to MAIL, a RCPT, DATA or the end of
// data) does not affect the next. A message refused before anything is sent
// for it (an *AddressError, *SizeError, ErrNoRecipients, a *BodyError in its
// first buffer, a read error of its first buffer) is reported at once, with
// nothing written for it, which may be before the message ahead of it is;
// done is otherwise called in order, once for every message next gave.
//
// next is called once the content of the message before is written to the
// machine and before it is written to the connection, so that it joins the
// next envelope: a next that would have to wait for a message should return
// false instead, which ends the batch after the outstanding replies are
// read; SendEach may be called again later. As in Send, a message's first
// buffer is read before its MAIL is queued. SendEach is done with a body
// (read to its end, or left when the message failed first) before it calls
// next again, so one buffer can serve every message.
//
// SendEach returns nil when next returned false and every message was
// reported. When the connection is lost (421, closed, a timeout, an I/O
// error), every message under way is reported with that error and none
// as delivered, SendEach returns it without calling next again, and the
// Client is unusable, as after Send. A context cancelled between messages
// ends the batch with the context's error, the Client still usable when
// nothing was under way; cancelled during I/O it acts as in Send. done and
// next run on the calling goroutine; a Result given to done belongs to the
// caller.
func (c *Client) SendEach(ctx context.Context, next func() (Message, bool), done func(i int, r *Result, err error)) error {
	stop, err := c.guard(ctx)
	if err != nil {
		return err
	}
	defer c.unguard(stop)
	b := batch{c: c, done: done}
	for i := 0; ; i++ {
		msg, ok := next()
		if !ok {
			break
		}
		if err := b.send(ctx, i, &msg); err != nil {
			return err
		}
	}
	return b.settle(ctx, 0)
}

// SendBatch sends msgs in order over c with SendEach and returns, for each
// message, what Send would have returned for it. After the connection is
// lost every message not yet reported gets the error that ended the
// session (none is delivered), as after a context cancelled between
// messages it gets the context's error.
func (c *Client) SendBatch(ctx context.Context, msgs []Message) ([]*Result, []error) {
	res, errs := make([]*Result, len(msgs)), make([]error, len(msgs))
	n := 0
	err := c.SendEach(ctx, func() (Message, bool) {
		if n == len(msgs) {
			return Message{}, false
		}
		n++
		return msgs[n-1], true
	}, func(i int, r *Result, err error) { res[i], errs[i] = r, err })
	if err != nil {
		for i := n; i < len(msgs); i++ {
			errs[i] = err
		}
	}
	return res, errs
}

// batch is the state of SendEach between messages: the message whose end
// of data has been queued and not yet answered.
type batch struct {
	c     *Client
	done  func(int, *Result, error)
	txns  [2]txn // the transactions of prev and of the message after it
	prev  *txn   // the message awaiting the reply to its end of data, or nil
	prevI int
}

// free returns the txn that prev does not use.
func (b *batch) free() *txn {
	if b.prev == &b.txns[0] {
		return &b.txns[1]
	}
	return &b.txns[0]
}

// send sends message i. It returns the error that ended the session, after
// reporting it for every message under way.
func (b *batch) send(ctx context.Context, i int, msg *Message) error {
	c := b.c
	if err := ctx.Err(); err != nil {
		if serr := b.settle(ctx, 0); serr != nil {
			err = serr
		}
		b.done(i, nil, err)
		return err
	}
	env, body := &msg.Envelope, msg.Body
	p, bdat, err := c.plan(env, body)
	if err != nil {
		b.done(i, nil, err)
		return nil
	}
	t := b.free()
	*t = txn{lmtp: c.cfg.lmtp, binary: env.Binary}
	if err := c.peek(t, &p, bdat, body); err != nil {
		b.done(i, nil, err)
		return nil
	}
	t.res = newResult(env)
	// state.DefaultMaxOutstanding bounds the queue: a message whose
	// envelope would not fit behind prev's end of data waits for its reply,
	// so that the queue refuses nothing that Send would send.
	if bdat || !c.m.Capabilities().Has(wire.ExtPIPELINING) ||
		c.m.Outstanding()+len(env.To)+2 > state.DefaultMaxOutstanding {
		if err := b.settle(ctx, 0); err != nil {
			b.done(i, nil, err) // Send would have found the Client unusable
			return err
		}
		res, err := c.outcome(t, c.transact(ctx, t, env, p, bdat, body))
		b.done(i, res, err)
		return c.err
	}
	return b.pipelined(ctx, i, t, env, p, body)
}

// pipelined runs message i's transaction as transact does with PIPELINING
// and DATA, its commands queued behind prev's end of data (RFC 2920 section
// 3.1), and returns once its content is written, leaving it as prev, or
// once it is over without content.
func (b *batch) pipelined(ctx context.Context, i int, t *txn, env *Envelope, p wire.MailParams, body io.Reader) error {
	c := b.c
	base := c.m.Outstanding()
	if err := c.m.Mail(c.addrBytes(env, -1, p.SMTPUTF8), p); err != nil {
		b.done(i, t.res, &Error{Op: "send", Addr: c.addr(), Err: err})
		return c.err
	}
	for k := range env.To {
		rp := env.RcptParams
		if len(env.PerRcpt) == len(env.To) {
			rp = env.PerRcpt[k]
		}
		if err := c.m.Rcpt(c.addrBytes(env, k, p.SMTPUTF8), rp); err != nil {
			return b.abandon(ctx, i, t, c.m.Outstanding()-base, &Error{Op: "send", Addr: c.addr(), Err: err})
		}
	}
	if err := c.m.Data(); err != nil {
		return b.abandon(ctx, i, t, c.m.Outstanding()-base, &Error{Op: "send", Addr: c.addr(), Err: err})
	}
	keep := c.m.Outstanding() - base
	for c.m.Outstanding() > 0 {
		ev, err := c.await(ctx, "send")
		if err != nil {
			return b.lost(err, i, t)
		}
		if b.prev != nil { // replies come in order: prev's first
			b.route(ev, keep)
			continue
		}
		t.handle(ev)
		if ev.Kind == state.ClientEventGoAhead {
			if err := c.writeBody(ctx, t, body, t.accepted > 0); err != nil {
				return b.lost(err, i, t)
			}
			b.prev, b.prevI = t, i
			return nil
		}
	}
	// DATA was refused: the message is over without content.
	res, err := c.outcome(t, c.drain(ctx, t))
	b.done(i, res, err)
	return c.err
}

// abandon ends message i after its command could not be queued, as
// Client.abandon does for Send, once prev, ahead of the keep commands of
// message i, is answered.
func (b *batch) abandon(ctx context.Context, i int, t *txn, keep int, err error) error {
	if serr := b.settle(ctx, keep); serr != nil {
		b.done(i, t.res, errors.Join(err, serr))
		return serr
	}
	b.done(i, t.res, b.c.abandon(ctx, err))
	return b.c.err
}

// settle reads the replies to prev's end of data, ahead of keep commands
// queued for the message after it, and reports prev.
func (b *batch) settle(ctx context.Context, keep int) error {
	for b.prev != nil {
		ev, err := b.c.await(ctx, "send")
		if err != nil {
			return b.lost(err, -1, nil)
		}
		b.route(ev, keep)
	}
	return nil
}

// route hands ev, a reply to prev's end of data, to prev, and reports
// prev after its last one (under LMTP one per accepted recipient, RFC 2033
// section 4.2), when no more than the keep commands queued after it are
// outstanding.
func (b *batch) route(ev state.ClientEvent, keep int) {
	b.prev.handle(ev)
	if b.c.m.Outstanding() > keep {
		return
	}
	t := b.prev
	b.prev = nil
	res, err := b.c.outcome(t, nil)
	b.done(b.prevI, res, err)
}

// lost reports err, which ended the session, for prev and for message i
// (t, when not nil), and returns it.
func (b *batch) lost(err error, i int, t *txn) error {
	if p := b.prev; p != nil {
		b.prev = nil
		b.done(b.prevI, p.res, err)
	}
	if t != nil {
		b.done(i, t.res, err)
	}
	return err
}

// newResult returns the Result of a message to env's recipients, nothing
// known yet.
func newResult(env *Envelope) *Result {
	res := &Result{Recipients: make([]RcptResult, len(env.To))}
	for i := range env.To {
		res.Recipients[i].Addr = env.To[i]
	}
	return res
}

// outcome returns what Send returns for a transaction that ran, err being
// transact's error: the Result, and err or the *SendError for the
// recipients that did not get the message.
func (c *Client) outcome(t *txn, err error) (*Result, error) {
	if err != nil {
		return t.res, err
	}
	if err := t.finish(); err != nil {
		if err.Reply != nil {
			err.Hint = replyHint(err.Reply, c.m.IsTLS())
		}
		return t.res, err
	}
	return t.res, nil
}
