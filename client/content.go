package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"

	"github.com/smtpkit/smtpkit/wire"
)

// ErrNeeds8BITMIME reports message content with an octet above 127 (the
// high-order bit set) for a server that does not offer 8BITMIME: "An
// originating SMTP client that has not successfully negotiated an
// appropriate extension with a particular server ... MUST NOT transmit
// messages with information in the high-order bit of octets" (RFC 5321
// section 2.4; RFC 6152 section 3 leaves converting the message to 7 bits
// or treating it as a permanent failure). It comes as the Err of a
// *BodyError, or alone when Envelope.Params declares BODY=8BITMIME.
var ErrNeeds8BITMIME = errors.New("client: 8-bit content needs 8BITMIME, which the server does not offer (RFC 5321 section 2.4, RFC 6152 section 3)")

// ErrNot7Bit reports an octet above 127 in a body the caller declared
// 7-bit with BODY=7BIT (RFC 6152 section 3), as the Err of a *BodyError.
var ErrNot7Bit = errors.New("client: 8-bit content in a body declared BODY=7BIT (RFC 6152 section 3)")

// BodyError reports message content that cannot be sent as it is, found
// while the body was read: an octet above 127 that the server may not
// receive (ErrNeeds8BITMIME, ErrNot7Bit; RFC 5321 section 2.4), or a bare
// CR or LF that the WithBareLines policy refuses (wire.ErrBareCR,
// wire.ErrBareLF; RFC 5321 section 2.3.8). Nothing of the piece that holds
// it is sent.
//
// Send reads the first buffer of the body (the chunk size) and checks it
// before it queues MAIL: a problem there refuses the message before
// anything of the transaction is sent, and the Client stays usable. A
// problem further into a longer body is found when its piece is read:
// under BDAT the chunks stop and RSET ends the transaction (RFC 3030
// section 4); under DATA, which cannot be aborted (RFC 5321 section
// 4.1.1.4), the connection is closed, Aborted is set and the Client is
// unusable.
type BodyError struct {
	// Offset is the position of the offending octet in the body as given.
	Offset int64
	// Err is the rule broken: ErrNeeds8BITMIME, ErrNot7Bit, wire.ErrBareCR
	// or wire.ErrBareLF.
	Err error
	// Aborted reports that part of the message had been sent with DATA:
	// the connection was closed so that the server cannot take the
	// message as complete.
	Aborted bool
}

// Error says what was found where, and what to change.
func (e *BodyError) Error() string {
	s := "client: message content refused at body offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
	switch {
	case errors.Is(e.Err, wire.ErrBareCR), errors.Is(e.Err, wire.ErrBareLF):
		s += " (RFC 5321 section 2.3.8: end every line with CRLF, or let the client do it with WithBareLines(wire.BareNormalize))"
	case errors.Is(e.Err, ErrNeeds8BITMIME):
		s += " (encode the content in 7 bits, quoted-printable or base64 (RFC 2045), or send through a server that offers 8BITMIME)"
	}
	if e.Aborted {
		s += "; the connection was closed in the middle of DATA (RFC 5321 section 4.1.1.4)"
	}
	return s
}

// Unwrap returns the rule broken.
func (e *BodyError) Unwrap() error { return e.Err }

// bodyError turns the machine's refusal of a bare CR or LF under DATA (a
// *wire.SyntaxError whose Offset counts body octets) into a *BodyError.
func bodyError(err error) error {
	var se *wire.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	for _, sentinel := range []error{wire.ErrBareLF, wire.ErrBareCR} {
		if errors.Is(se, sentinel) {
			return &BodyError{Offset: int64(se.Offset), Err: sentinel, Aborted: true}
		}
	}
	return err
}

// bodyType settles the BODY parameter from the first piece of the body,
// raw, and last, whether it is the whole body; and whether the content
// must be 7-bit (t.eight, the error when it is not).
//
//   - Declared by the caller: BINARYMIME (Envelope.Binary) and 8BITMIME
//     are kept (plan has checked that the server offers them); 7BIT makes
//     every octet above 127 an error (ErrNot7Bit), and is left out for a
//     server that offers neither 8BITMIME nor BINARYMIME, where 7 bits are
//     the rule anyway (RFC 5321 section 2.4).
//   - Not declared, the server offers 8BITMIME: BODY=8BITMIME when the
//     first piece holds an octet above 127 or the body goes on past it (RFC
//     6152 section 3: 8-bit content is sent with the BODY parameter; 7-bit
//     content is a subset of what it allows), none otherwise.
//   - Not declared, no 8BITMIME: the content must be 7-bit
//     (ErrNeeds8BITMIME).
func (c *Client) bodyType(t *txn, p *wire.MailParams, raw []byte, last bool) {
	caps := c.m.Capabilities()
	switch p.Body {
	case wire.BodyBinaryMIME, wire.Body8BitMIME:
		return
	case wire.Body7Bit:
		t.eight = ErrNot7Bit
		if !caps.Has(wire.Ext8BITMIME) && !caps.Has(wire.ExtBINARYMIME) {
			p.Body = wire.BodyNone
		}
		return
	}
	if !caps.Has(wire.Ext8BITMIME) {
		t.eight = ErrNeeds8BITMIME
		return
	}
	if !last || firstHigh(raw) >= 0 {
		p.Body = wire.Body8BitMIME
	}
}

// peek reads the first piece of the body before anything of the
// transaction is queued: up to the chunk size, made canonical under BDAT
// unless binary. It settles the BODY parameter (bodyType) and checks the
// piece: content that may not be sent is refused with a *BodyError, as is
// a read error returned, before anything is sent.
func (c *Client) peek(t *txn, p *wire.MailParams, bdat bool, body io.Reader) error {
	if c.body == nil {
		c.body = make([]byte, c.cfg.chunkSize)
	}
	c.canon.reset()
	n, rerr := io.ReadFull(body, c.body)
	switch rerr {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		t.last = true
	default:
		return &Error{Op: "send", Addr: c.addr(), Err: rerr}
	}
	raw := c.body[:n]
	c.bodyType(t, p, raw, t.last)
	if bdat {
		var err error
		t.first, err = c.content(t, raw)
		return err
	}
	t.first = raw
	if err := c.check8(t, raw); err != nil {
		return err
	}
	if c.cfg.bareData == wire.BareReject {
		// The machine's encoder refuses the same octets, but only once
		// DATA has been answered and the message can no longer be
		// withdrawn without closing the connection.
		if i, sentinel := firstBare(raw, t.last); i >= 0 {
			return &BodyError{Offset: int64(i), Err: sentinel}
		}
	}
	t.off = int64(n)
	return nil
}

// readChunk reads the next BDAT chunk of body: up to the chunk size, made
// canonical unless the body is binary. last reports the end of the body.
func (c *Client) readChunk(t *txn, body io.Reader) (chunk []byte, last bool, err error) {
	n, rerr := io.ReadFull(body, c.body)
	switch rerr {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		last = true
	default:
		return nil, false, &Error{Op: "send", Addr: c.addr(), Err: rerr}
	}
	t.last = last
	chunk, err = c.content(t, c.body[:n])
	return chunk, last, err
}

// content checks a piece of a BDAT body read into raw and returns it as
// the chunk to send: as is when binary, else made canonical (CRLF) in
// c.cbuf, ended with CRLF when it is the last.
func (c *Client) content(t *txn, raw []byte) ([]byte, error) {
	if err := c.check8(t, raw); err != nil {
		return nil, err
	}
	t.off += int64(len(raw))
	if t.binary {
		return raw, nil
	}
	var err error
	c.cbuf, err = c.canon.append(c.cbuf[:0], raw)
	if err == nil && t.last {
		c.cbuf, err = c.canon.close(c.cbuf)
	}
	if err != nil {
		return nil, err
	}
	return c.cbuf, nil
}

// check8 returns the *BodyError for the first octet above 127 in raw, the
// piece of the body at t.off, when the content must be 7-bit.
func (c *Client) check8(t *txn, raw []byte) error {
	if t.eight == nil {
		return nil
	}
	if i := firstHigh(raw); i >= 0 {
		return &BodyError{Offset: t.off + int64(i), Err: t.eight}
	}
	return nil
}

// firstHigh returns the index of the first octet of p above 127, or -1. It
// tests 32 octets at a time, then eight, then one.
func firstHigh(p []byte) int {
	const high = 0x8080808080808080
	i := 0
	for ; i+32 <= len(p); i += 32 {
		q := p[i : i+32 : i+32]
		if (binary.LittleEndian.Uint64(q)|binary.LittleEndian.Uint64(q[8:])|
			binary.LittleEndian.Uint64(q[16:])|binary.LittleEndian.Uint64(q[24:]))&high != 0 {
			break
		}
	}
	for ; i+8 <= len(p); i += 8 {
		if binary.LittleEndian.Uint64(p[i:])&high != 0 {
			break
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x80 {
			return i
		}
	}
	return -1
}

// firstBare returns the index of the first bare CR or LF in p and
// wire.ErrBareCR or wire.ErrBareLF, or -1 and nil (RFC 5321 section
// 2.3.8). A CR that ends p is bare only when p is the whole body (final);
// otherwise what follows decides. It walks the lines with one
// bytes.IndexByte each and looks for a bare CR only when the count of CRs
// shows one.
func firstBare(p []byte, final bool) (int, error) {
	lines, i := 0, 0
	for {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		if lf == 0 || p[lf-1] != '\r' {
			if cr := firstBareCR(p[:lf], true); cr >= 0 {
				return cr, wire.ErrBareCR
			}
			return lf, wire.ErrBareLF
		}
		lines++
		i = lf + 1
	}
	crs := bytes.Count(p, []byte{'\r'})
	if !final && len(p) > 0 && p[len(p)-1] == '\r' {
		crs-- // undecided: an LF may follow
	}
	if crs == lines {
		return -1, nil
	}
	if cr := firstBareCR(p, final); cr >= 0 {
		return cr, wire.ErrBareCR
	}
	return -1, nil
}

// firstBareCR returns the index of the first CR in p not followed by an
// LF, or -1. A CR that ends p counts only when final.
func firstBareCR(p []byte, final bool) int {
	for i := 0; ; i++ {
		j := bytes.IndexByte(p[i:], '\r')
		if j < 0 {
			return -1
		}
		i += j
		switch {
		case i+1 == len(p):
			if final {
				return i
			}
			return -1
		case p[i+1] != '\n':
			return i
		}
	}
}
