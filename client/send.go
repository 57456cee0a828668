package client

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// ErrNoRecipients reports an Envelope without recipients (RFC 5321
// section 3.3: a transaction needs at least one RCPT).
var ErrNoRecipients = errors.New("client: the envelope has no recipients")

// ErrBinaryNotOffered reports a binary body for a server that does not
// offer both CHUNKING and BINARYMIME (RFC 3030 section 3).
var ErrBinaryNotOffered = errors.New("client: a binary body needs CHUNKING and BINARYMIME, which the server does not offer (RFC 3030 section 3)")

// Envelope is what a message is sent with: the reverse path, the forward
// paths and their parameters. Send does not retain it.
type Envelope struct {
	// From is the sender's mailbox ("" for the null reverse path, bounces);
	// To the recipients' mailboxes. Addresses are given without angle
	// brackets; non-ASCII addresses use SMTPUTF8 when the server offers it
	// and IDNA for the domain otherwise (RFC 6531).
	From string
	To   []string
	// Params are the MAIL parameters: RET and ENVID (xtext, see
	// wire.AppendXtext) for DSN (RFC 3461), REQUIRETLS (RFC 8689),
	// MT-PRIORITY (RFC 6710), BY (RFC 2852), HOLDFOR and HOLDUNTIL (RFC
	// 4865). Send sets SIZE, SMTPUTF8, BODY=BINARYMIME and BODY=8BITMIME
	// itself. The machine refuses a parameter whose extension the server
	// does not offer (state.ErrNotAdvertised).
	//
	// Params.Body declares the body type; when it is not declared Send
	// decides: BODY=8BITMIME when the server offers 8BITMIME and the body
	// has an octet above 127 in its first buffer (the chunk size) or goes
	// on past it, since 8-bit content travels with that parameter (RFC 6152
	// section 3); no BODY for a shorter 7-bit body. Without 8BITMIME the
	// content must be 7-bit (RFC 5321 section 2.4): an octet above 127 is
	// refused with a *BodyError wrapping ErrNeeds8BITMIME. Declaring
	// wire.Body7Bit makes such an octet an error too (ErrNot7Bit) and keeps
	// BODY=8BITMIME off a long 7-bit body; declaring wire.Body8BitMIME to a
	// server without 8BITMIME is refused before anything is sent
	// (ErrNeeds8BITMIME).
	Params wire.MailParams
	// RcptParams are the RCPT parameters of every recipient (NOTIFY,
	// ORCPT; RFC 3461 section 4), unless PerRcpt, when as long as To, gives
	// each its own.
	RcptParams wire.RcptParams
	PerRcpt    []wire.RcptParams
	// Size is the message size in octets, for the SIZE check and parameter
	// (RFC 1870); 0 means unknown, and then a body with a Len method
	// (*bytes.Reader, *strings.Reader, *bytes.Buffer) gives it.
	Size int64
	// Binary sends the body as BODY=BINARYMIME with BDAT, as is (RFC 3030
	// section 3).
	Binary bool
}

// Result is what the server said about a message.
type Result struct {
	// Reply is the reply to the end of the message (SMTP), or to the last
	// recipient's (LMTP). Its Text often carries the queue ID.
	Reply reply.Reply
	// Recipients are the outcomes, in Envelope.To order.
	Recipients []RcptResult
}

// Delivered counts the recipients the server took responsibility for.
func (r *Result) Delivered() int {
	n := 0
	for i := range r.Recipients {
		if r.Recipients[i].Delivered {
			n++
		}
	}
	return n
}

// RcptResult is the outcome for one recipient.
type RcptResult struct {
	Addr string
	// Delivered reports that the server accepted the message for this
	// recipient (RFC 5321 section 4.2.5; under LMTP its own reply, RFC 2033
	// section 4.2).
	Delivered bool
	// Reply is the reply that decided: the RCPT reply when RCPT failed,
	// the LMTP per-recipient reply, the message-level failure, or the
	// accepted RCPT's code and enhanced code (its text is not kept).
	Reply reply.Reply
}

// SendError reports a message that did not reach every recipient. Reply is
// the reply that failed the whole message (to MAIL, DATA, a BDAT chunk or
// the end of data), nil when only some recipients failed; Failed lists the
// recipients that did not get it, each with the reply that says why.
type SendError struct {
	Reply  *reply.Error
	Failed []RcptResult
	// Hint says what to change when the reply names a common mistake
	// (530: authentication required).
	Hint string
}

// Error lists the failures.
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("smtp send: ")
	if e.Reply != nil {
		b.WriteString("message refused: ")
		b.WriteString(e.Reply.Error())
		if e.Hint != "" {
			b.WriteString(" (hint: ")
			b.WriteString(e.Hint)
			b.WriteString(")")
		}
		return b.String()
	}
	b.WriteString(strconv.Itoa(len(e.Failed)))
	b.WriteString(" recipient(s) failed")
	for i, f := range e.Failed {
		b.WriteString("; ")
		if i == 3 {
			b.WriteString("...")
			break
		}
		b.WriteString(f.Addr)
		b.WriteString(": ")
		b.WriteString(f.Reply.String())
	}
	return b.String()
}

// Temporary reports whether every failure is transient (4yz).
func (e *SendError) Temporary() bool {
	if e.Reply != nil {
		return e.Reply.Temporary()
	}
	for _, f := range e.Failed {
		if !f.Reply.Code.IsTransient() {
			return false
		}
	}
	return len(e.Failed) > 0
}

// Unwrap returns the message-level reply and the recipients' replies.
func (e *SendError) Unwrap() []error {
	var errs []error
	if e.Reply != nil {
		errs = append(errs, e.Reply)
	}
	for _, f := range e.Failed {
		errs = append(errs, &reply.Error{Reply: f.Reply, Command: "RCPT"})
	}
	return errs
}

// txn is one transaction's progress, and the body as read so far.
type txn struct {
	res      *Result
	fail     *reply.Error // the message-level failure
	accepted int          // recipients accepted at RCPT, after an accepted MAIL
	mailOK   bool         // MAIL was accepted: the transaction exists
	answered int          // RCPT replies received
	lmtp     bool
	// halted: MAIL, every RCPT, DATA or a BDAT chunk was refused, so
	// nothing more of the message is sent (RFC 5321 sections 4.2.1 and
	// 3.3, RFC 3030 section 2).
	halted bool
	// rset: a BDAT LAST chunk was refused. If the server refused the
	// command rather than the message (503 with no valid recipient), its
	// transaction is still open, so RSET ends it (RFC 3030 section 2: the
	// transaction "should be considered failed").
	rset bool

	first  []byte // the first piece of the body, read by peek
	last   bool   // the piece read last ends the body
	off    int64  // body octets read and checked
	binary bool   // the body goes as is (BINARYMIME)
	eight  error  // set when the content must be 7-bit: the error for an octet above 127
}

// Send sends one message: MAIL, RCPT for each recipient and the body with
// DATA, or with BDAT when the server offers CHUNKING (RFC 3030). With
// PIPELINING the envelope and DATA, or under BDAT a small message, go in
// one write (RFC 2920). Without it every command waits for the reply to
// the one before: after a 4yz or 5yz to MAIL no RCPT follows (RFC 5321
// section 4.2.1), with every RCPT refused no DATA or BDAT follows, and
// each BDAT chunk waits for the reply to the last, so that none follows a
// refused one (RFC 3030 section 2). With PIPELINING a few chunks are in
// flight; after a refused one no further chunk is sent.
//
// A message larger than the server's SIZE is refused before anything is
// sent (*SizeError), as is an address that cannot be written
// (*AddressError) and a body declared BODY=8BITMIME for a server without
// 8BITMIME (ErrNeeds8BITMIME). The first buffer of the body (the chunk
// size) is read before MAIL is queued; content in it that may not be sent
// (an octet above 127 without 8BITMIME, RFC 5321 section 2.4; a bare CR or
// LF under the default WithBareLines policy, section 2.3.8) is refused with
// a *BodyError before anything is sent, too. See BodyError for such
// content later in a longer body.
//
// The Result is returned whenever the transaction ran, also with an error.
// The error is a *SendError when some or all recipients did not get the
// message; the Client stays usable then (an open transaction is reset), as
// after a *BodyError that was not Aborted. Any other error (I/O, timeout,
// 421, cancelled context) leaves the Client unusable. body is read to its
// end, to the first error or until the message fails; under DATA a read
// error ends the session, since DATA cannot be aborted (RFC 5321 section
// 4.1.1.4).
func (c *Client) Send(ctx context.Context, env Envelope, body io.Reader) (*Result, error) {
	stop, err := c.guard(ctx)
	if err != nil {
		return nil, err
	}
	defer c.unguard(stop)
	p, bdat, err := c.plan(&env, body)
	if err != nil {
		return nil, err
	}
	t := txn{lmtp: c.cfg.lmtp, binary: env.Binary}
	if err := c.peek(&t, &p, bdat, body); err != nil {
		return nil, err
	}
	t.res = newResult(&env)
	return c.outcome(&t, c.transact(ctx, &t, &env, p, bdat, body))
}

// plan checks the envelope against the server's capabilities and returns
// the MAIL parameters and whether to use BDAT. Nothing is sent.
func (c *Client) plan(env *Envelope, body io.Reader) (wire.MailParams, bool, error) {
	p := env.Params
	if len(env.To) == 0 {
		return p, false, ErrNoRecipients
	}
	caps := c.m.Capabilities()
	ascii := isASCII(env.From)
	for _, to := range env.To {
		ascii = ascii && isASCII(to)
	}
	if !ascii && caps.Has(wire.ExtSMTPUTF8) {
		p.SMTPUTF8 = true // RFC 6531 section 3.4
	} else if !ascii && !p.SMTPUTF8 {
		if _, err := asciiAddr(c.scratch[:0], env.From); err != nil {
			return p, false, &AddressError{Addr: env.From, Recipient: -1, Err: err}
		}
		for i, to := range env.To {
			if _, err := asciiAddr(c.scratch[:0], to); err != nil {
				return p, false, &AddressError{Addr: to, Recipient: i, Err: err}
			}
		}
	}
	size := env.Size
	if l, ok := body.(interface{ Len() int }); ok && size == 0 {
		size = int64(l.Len())
	}
	if max, ok := caps.Size(); ok && size > 0 {
		if max > 0 && uint64(size) > max {
			return p, false, &SizeError{Size: uint64(size), Max: max}
		}
		p.Size, p.HasSize = uint64(size), true
	}
	if p.Body == wire.Body8BitMIME && !caps.Has(wire.Ext8BITMIME) {
		return p, false, ErrNeeds8BITMIME // RFC 6152 section 3
	}
	chunking := caps.Has(wire.ExtCHUNKING)
	if env.Binary {
		if !chunking || !caps.Has(wire.ExtBINARYMIME) {
			return p, false, ErrBinaryNotOffered
		}
		p.Body = wire.BodyBinaryMIME
	}
	return p, chunking && (c.cfg.bdat || env.Binary), nil
}

// addrBytes returns address i (-1: the sender) as the command needs it, in
// c.scratch: unchanged under SMTPUTF8, with an IDNA domain otherwise.
func (c *Client) addrBytes(env *Envelope, i int, utf8 bool) []byte {
	a := env.From
	if i >= 0 {
		a = env.To[i]
	}
	if utf8 {
		c.scratch = append(c.scratch[:0], a...)
		return c.scratch
	}
	c.scratch, _ = asciiAddr(c.scratch[:0], a) // checked by plan
	return c.scratch
}

// transact runs the transaction: MAIL, the RCPTs, then the content with
// DATA or BDAT, or RSET instead when the first piece of the body may not
// be sent. With PIPELINING the commands go in one group (RFC 2920 section
// 3.1); without it the driver waits for the reply to MAIL, and to the
// RCPTs, before it goes on: "The sender should return to the beginning of
// the command sequence" after a 4yz (RFC 5321 section 4.2.1), and a 5yz
// to MAIL ends the transaction before it began (section 3.3).
func (c *Client) transact(ctx context.Context, t *txn, env *Envelope, p wire.MailParams, bdat bool, body io.Reader) error {
	pipelining := c.m.Capabilities().Has(wire.ExtPIPELINING)
	if err := c.m.Mail(c.addrBytes(env, -1, p.SMTPUTF8), p); err != nil {
		return &Error{Op: "send", Addr: c.addr(), Err: err}
	}
	if !pipelining {
		if err := c.collect(ctx, t); err != nil || t.halted {
			return err
		}
	}
	if err := c.queueRcpts(ctx, env, p); err != nil {
		return err
	}
	if !pipelining {
		if err := c.collect(ctx, t); err != nil {
			return err
		}
		if t.accepted == 0 { // RFC 5321 section 3.3: no recipient, no data
			return c.drain(ctx, t)
		}
	}
	if bdat {
		return c.sendBDAT(ctx, t, body)
	}
	return c.sendDATA(ctx, t, body)
}

// queueRcpts queues the RCPTs.
func (c *Client) queueRcpts(ctx context.Context, env *Envelope, p wire.MailParams) error {
	for i := range env.To {
		rp := env.RcptParams
		if len(env.PerRcpt) == len(env.To) {
			rp = env.PerRcpt[i]
		}
		if err := c.m.Rcpt(c.addrBytes(env, i, p.SMTPUTF8), rp); err != nil {
			return c.abandon(ctx, &Error{Op: "send", Addr: c.addr(), Err: err})
		}
	}
	return nil
}

// abandon answers what is queued, resets the transaction and returns err.
func (c *Client) abandon(ctx context.Context, err error) error {
	for c.m.Outstanding() > 0 {
		if _, aerr := c.await(ctx, "send"); aerr != nil {
			return errors.Join(err, aerr)
		}
	}
	if c.m.Phase().InTransaction() {
		if rerr := c.m.Rset(); rerr == nil {
			if _, aerr := c.await(ctx, "reset"); aerr != nil {
				return errors.Join(err, aerr)
			}
		}
	}
	return err
}

// handle records one reply of the transaction.
func (t *txn) handle(ev state.ClientEvent) {
	ok := ev.Judgment.Verdict == state.VerdictProceed
	switch ev.Stage {
	case state.StageMail:
		t.mailOK = ok
		if !ok {
			t.halted = true
			if t.fail == nil {
				t.fail = replyError("MAIL", ev)
			}
		}
	case state.StageRcpt:
		if ev.Recipient < 0 || ev.Recipient >= len(t.res.Recipients) {
			return
		}
		r := &t.res.Recipients[ev.Recipient]
		r.Reply = reply.Reply{Code: ev.Code, Enhanced: ev.Enhanced}
		// A RCPT accepted after a refused MAIL adds no recipient: there is
		// no transaction to add it to (RFC 5321 sections 3.3 and 4.1.4).
		if ok && t.mailOK {
			t.accepted++
		} else {
			r.Reply.Text = string(ev.Text)
		}
		t.answered++
		// With every recipient refused there is nothing to send the
		// content to (RFC 5321 section 3.3).
		t.halted = t.halted || t.answered == len(t.res.Recipients) && t.accepted == 0
	case state.StageData, state.StageBDAT:
		if ok || ev.Kind == state.ClientEventGoAhead {
			return
		}
		t.halted = true
		// With every recipient refused, the refusal of DATA or BDAT is
		// their consequence (RFC 2920 section 3.1), not a cause.
		if t.fail == nil && t.accepted > 0 {
			t.fail = replyError(ev.Verb.String(), ev)
		}
	case state.StageEndOfData, state.StageBDATLast:
		if t.lmtp && ev.Recipient >= 0 && ev.Recipient < len(t.res.Recipients) {
			r := &t.res.Recipients[ev.Recipient] // RFC 2033 section 4.2
			r.Reply, r.Delivered = ev.Reply(), ok
			t.res.Reply = r.Reply
			return
		}
		t.res.Reply = ev.Reply()
		t.rset = t.rset || !ok && ev.Stage == state.StageBDATLast
		if !ok && t.fail == nil && t.accepted > 0 {
			t.fail = &reply.Error{Reply: t.res.Reply, Command: ev.Verb.String()}
		}
		if ok && !t.lmtp {
			for i := range t.res.Recipients {
				r := &t.res.Recipients[i]
				r.Delivered = t.mailOK && r.Reply.Code.IsPositive()
			}
		}
	}
}

// finish returns the *SendError for the recipients that did not get the
// message, or nil.
func (t *txn) finish() *SendError {
	var failed []RcptResult
	for i := range t.res.Recipients {
		r := &t.res.Recipients[i]
		if r.Delivered {
			continue
		}
		if t.fail != nil && (r.Reply.Code.IsPositive() || r.Reply.Code == 0 || t.fail.Command == "MAIL") {
			r.Reply = t.fail.Reply
		}
		failed = append(failed, *r)
	}
	if failed == nil {
		return nil
	}
	return &SendError{Reply: t.fail, Failed: failed}
}

// collect reads the replies to everything queued.
func (c *Client) collect(ctx context.Context, t *txn) error {
	for c.m.Outstanding() > 0 {
		ev, err := c.await(ctx, "send")
		if err != nil {
			return err
		}
		t.handle(ev)
	}
	return nil
}

// drain reads the replies to everything queued and resets a transaction
// still open.
func (c *Client) drain(ctx context.Context, t *txn) error {
	if err := c.collect(ctx, t); err != nil {
		return err
	}
	if c.m.Phase().InTransaction() || t.rset { // RFC 5321 section 4.1.1.5
		if err := c.m.Rset(); err == nil {
			if _, err := c.await(ctx, "reset"); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendDATA sends the content with DATA (RFC 5321 section 4.1.1.4).
func (c *Client) sendDATA(ctx context.Context, t *txn, body io.Reader) error {
	if err := c.m.Data(); err != nil {
		return c.abandon(ctx, &Error{Op: "send", Addr: c.addr(), Err: err})
	}
	for c.m.Outstanding() > 0 {
		ev, err := c.await(ctx, "send")
		if err != nil {
			return err
		}
		t.handle(ev)
		if ev.Kind == state.ClientEventGoAhead {
			if err := c.writeBody(ctx, t, body, t.accepted > 0); err != nil {
				return err
			}
		}
	}
	return c.drain(ctx, t)
}

// writeBody sends the message content after 354, the piece peek read
// first, and ends it. With no recipient accepted the content is left out
// (RFC 2920 section 3.1). DATA cannot be aborted (RFC 5321 section
// 4.1.1.4): a read error, or content that may not be sent, closes the
// connection.
func (c *Client) writeBody(ctx context.Context, t *txn, body io.Reader, send bool) error {
	piece, last := t.first, t.last
	for send {
		if len(piece) > 0 {
			if berr := c.m.Body(piece); berr != nil {
				return c.fail(&Error{Op: "send", Addr: c.addr(), Err: bodyError(berr)})
			}
			if last {
				break // EndData appends "." CRLF: one write for both
			}
			if ferr := c.flush(ctx); ferr != nil {
				return ferr
			}
		}
		if last {
			break
		}
		n, err := body.Read(c.body)
		if err != nil && err != io.EOF {
			return c.fail(&Error{Op: "send", Addr: c.addr(), Err: err})
		}
		piece, last = c.body[:n], err == io.EOF
		if t.eight != nil {
			if i := firstHigh(piece); i >= 0 { // RFC 5321 section 2.4
				berr := &BodyError{Offset: t.off + int64(i), Err: t.eight, Aborted: true}
				return c.fail(&Error{Op: "send", Addr: c.addr(), Err: berr})
			}
		}
		t.off += int64(n)
	}
	if err := c.m.EndData(); err != nil {
		return c.fail(&Error{Op: "send", Addr: c.addr(), Err: err})
	}
	return nil
}
