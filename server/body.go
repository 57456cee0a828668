package server

import (
	"fmt"
	"io"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

// bodyReader is the io.Reader a Session's Data gets. It does not buffer:
// each Read pulls the next state.EventBody piece from the machine (reading
// the connection when the machine needs input) and copies it out, so the
// memory a message takes is the connection's read buffer whatever its
// size. It returns io.EOF at the machine's EventMessage, and
// ErrMessageAborted (wrapping the cause) when the transaction ends any
// other way. It lives on the connection's goroutine.
type bodyReader struct {
	c      *conn
	piece  []byte // the rest of the current EventBody; aliases the machine
	done   bool
	err    error
	active bool // a Data call is running
	// resetDue defers Session.Reset until Data has returned.
	resetDue bool
}

// start primes the reader with the event that opened the message: its
// first piece, or its end (an empty message).
func (b *bodyReader) start(first *state.Event) {
	b.piece, b.done, b.err, b.active, b.resetDue = nil, false, nil, true, false
	switch first.Kind {
	case state.EventBody:
		b.piece = first.Data
	case state.EventMessage:
		b.done, b.err = true, io.EOF
	}
}

// reset forgets a message whose handler panicked.
func (b *bodyReader) reset() {
	b.piece, b.done, b.err, b.active, b.resetDue = nil, true, ErrMessageAborted, false, false
}

// Read copies message content into p.
func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.piece) == 0 {
		if b.done || !b.active {
			if b.err == nil {
				return 0, ErrMessageAborted
			}
			return 0, b.err
		}
		b.pull()
	}
	n := copy(p, b.piece)
	b.piece = b.piece[n:]
	return n, nil
}

// pull takes the machine's next event. Body pieces are kept; commands the
// machine passes up between BDAT chunks (VRFY, HELP, a new EHLO ...) are
// handled as outside a message, and end it when they end the transaction.
func (b *bodyReader) pull() {
	c := b.c
	ev := c.next()
	switch ev.Kind {
	case state.EventBody:
		b.piece = ev.Data
		return
	case state.EventMessage:
		b.done, b.err = true, io.EOF
		return
	case state.EventClose:
		c.held = ev
		b.abort(ev.Kind, ev.Err)
		return
	}
	// ev is the machine's: handling it may change it.
	kind, err := ev.Kind, ev.Err
	c.handle(ev)
	if !c.sm.Phase().InTransaction() {
		b.abort(kind, err)
	}
}

// abort ends the message with ErrMessageAborted, after an event of kind
// that carried err.
func (b *bodyReader) abort(kind state.EventKind, err error) {
	b.done = true
	if err != nil {
		b.err = fmt.Errorf("%w: %s: %w", ErrMessageAborted, kind, err)
	} else {
		b.err = fmt.Errorf("%w: %s", ErrMessageAborted, kind)
	}
}

// drain reads to the end of the message: a handler that returned early
// never leaves content to be read as commands (the machine consumes it;
// this only discards the pieces).
func (b *bodyReader) drain() {
	for !b.done {
		b.piece = nil
		b.pull()
	}
	b.piece = nil
}

// message runs the Session's Data (or LMTPData) on the message that first
// opened; its result is answered at the machine's EventMessage.
func (c *conn) message(first *state.Event) {
	b := &c.body
	b.start(first)
	c.results, c.result, c.haveResult = nil, nil, false
	ls, lmtp := c.sess.(LMTPSession)
	lmtp = lmtp && c.srv.Protocol == state.ProtocolLMTP
	if lmtp {
		c.results = ls.LMTPData(b)
	} else {
		c.result = c.sess.Data(b)
	}
	c.lmtpResults = lmtp
	b.drain()
	b.active = false
	aborted := b.err != io.EOF
	if b.resetDue || aborted {
		c.endTx()
		return
	}
	c.haveResult = true
}

// answerMessage answers the machine's EventMessage with the Session's
// result: once, or once per recipient under LMTP (RFC 2033 section 4.2).
func (c *conn) answerMessage(ev *state.Event) {
	if !c.haveResult {
		c.message(ev) // an empty message: no body piece came first
		if !c.haveResult {
			return
		}
	}
	size := ev.Size // ev is the machine's: answering it may change it
	err := c.result
	if c.lmtpResults {
		err = errMissingResult
		if ev.Recipient < len(c.results) {
			err = c.results[ev.Recipient]
		}
	}
	if err == nil {
		c.respond(c.queued(), reply.Reply{})
	} else {
		c.answer(err, replyLocalError, "Data")
	}
	if err == nil {
		c.srv.count(CounterMessages, 1)
		c.srv.count(CounterMessageBytes, size)
	}
	if !c.sm.Phase().InTransaction() {
		c.haveResult, c.results = false, nil
		c.endTx()
	}
}

// queued is the reply to an accepted message: the machine's default, or
// "queued as" the QueueSession's ID.
func (c *conn) queued() reply.Reply {
	qs, ok := c.sess.(QueueSession)
	if !ok {
		return reply.Reply{}
	}
	id := qs.QueueID()
	if !isQueueID(id) {
		return reply.Reply{}
	}
	return reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 0, 0), Text: "Message accepted, queued as " + id}
}

// isQueueID reports whether id fits in a reply line as one word: 1 to 64
// visible ASCII characters (no space, CR or LF; RFC 5321 section 4.2).
func isQueueID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// errMissingResult answers an LMTP recipient LMTPData gave no result for.
var errMissingResult = fmt.Errorf("server: LMTPData returned no result for this recipient")
