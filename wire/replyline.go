package wire

import (
	"bytes"

	"github.com/smtpkit/smtpkit/reply"
)

// ReplyLine is one line of a server reply (RFC 5321 section 4.2): the code,
// whether more lines follow, and the text. Text aliases the parsed line.
type ReplyLine struct {
	Code reply.Code
	// More is true for "ddd-" lines, which a further line of the same reply
	// follows; false for the last line ("ddd SP text" or bare "ddd").
	More bool
	// Text is everything after the separator, the enhanced status code
	// included; it is empty for a bare "ddd" line.
	Text []byte
}

// ParseReplyLine parses one reply line without its CRLF:
//
//	Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//	             Reply-code [ SP textstring ] CRLF
//	Reply-code = %x32-35 %x30-35 %x30-39
//
// (RFC 5321 section 4.2). A last line of just the code is accepted, as RFC
// 5321 section 4.2 asks of clients. The text is not checked beyond refusing
// NUL: RFC 5321 section 4.2 tells clients to accept any text, and RFC 6531
// section 3.7.4 lets SMTPUTF8 servers send UTF-8. A code outside the grammar
// is an error carrying Element "Reply-code". The result aliases line. It does
// not allocate unless it fails.
func ParseReplyLine(line []byte) (ReplyLine, error) {
	if len(line) < 3 {
		return ReplyLine{}, errAt("Reply-code", len(line), "RFC 5321 4.2", "reply line shorter than a code", ErrSyntax)
	}
	c0, c1, c2 := line[0], line[1], line[2]
	switch {
	case c0 < '2' || c0 > '5':
		return ReplyLine{}, errAt("Reply-code", 0, "RFC 5321 4.2", "first digit of a reply code must be 2 to 5", ErrSyntax)
	case c1 < '0' || c1 > '5':
		return ReplyLine{}, errAt("Reply-code", 1, "RFC 5321 4.2", "second digit of a reply code must be 0 to 5", ErrSyntax)
	case c2 < '0' || c2 > '9':
		return ReplyLine{}, errAt("Reply-code", 2, "RFC 5321 4.2", "third digit of a reply code must be a digit", ErrSyntax)
	}
	l := ReplyLine{Code: reply.Code(c0-'0')*100 + reply.Code(c1-'0')*10 + reply.Code(c2-'0')}
	if len(line) > 3 {
		switch line[3] {
		case '-':
			l.More = true
		case ' ':
		default:
			return ReplyLine{}, errAt("Reply-line", 3, "RFC 5321 4.2", "reply code must be followed by SP, \"-\" or the end of the line", ErrSyntax)
		}
		l.Text = line[4:]
	} else {
		l.Text = line[3:]
	}
	if i := bytes.IndexByte(l.Text, 0); i >= 0 {
		return ReplyLine{}, errAt("textstring", 4+i, "RFC 5321 4.2", "NUL in reply text", ErrNUL)
	}
	return l, nil
}

// Enhanced returns the enhanced status code at the start of the text and the
// text after it (RFC 2034 section 4). The code counts only when its class
// equals the first digit of the reply code; otherwise, as for "250-234 Text
// beginning with numbers" (RFC 5321 section 4.2), the result is the zero code
// and the whole text.
func (l ReplyLine) Enhanced() (reply.Enhanced, []byte) {
	e, rest, ok := reply.ParseEnhancedPrefix(l.Text)
	if !ok || uint16(e.Class) != uint16(l.Code/100) {
		return reply.Enhanced{}, l.Text
	}
	return e, rest
}

// AppendReply appends r to dst in wire form, every line CRLF-terminated. When
// enhanced is true (the session advertised ENHANCEDSTATUSCODES, RFC 2034) a
// reply without an enhanced code gets reply.DefaultEnhanced for its code;
// when false any enhanced code is left out. Callers pass false for the
// greeting and the EHLO reply, which never carry one (RFC 2034 section 3).
// Text handling (line splitting, the 512-octet limit, control octets) is that
// of reply.Reply.Append. It does not allocate when dst has room.
func AppendReply(dst []byte, r reply.Reply, enhanced bool) []byte {
	switch {
	case !enhanced:
		r.Enhanced = reply.Enhanced{}
	case r.Enhanced.IsZero():
		r.Enhanced = reply.DefaultEnhanced(r.Code)
	}
	return r.Append(dst)
}
