package wire

import (
	"errors"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
)

// Sentinel errors. Every error the package returns either is one of these or
// wraps one (use errors.Is), so callers can pick a reply by kind.
var (
	// ErrLineTooLong reports a line longer than the configured limit
	// (RFC 5321 section 4.5.3.1.4-6). The splitter discards the rest of the
	// line up to the next CRLF and stays in sync.
	ErrLineTooLong = errors.New("wire: line too long")
	// ErrBareLF reports a LF not preceded by CR (RFC 5321 section 2.3.8).
	ErrBareLF = errors.New("wire: bare LF")
	// ErrBareCR reports a CR not followed by LF (RFC 5321 section 2.3.8).
	ErrBareCR = errors.New("wire: bare CR")
	// ErrNUL reports a NUL octet in message data or a line.
	ErrNUL = errors.New("wire: NUL octet")

	// ErrSyntax reports input that does not match the grammar.
	ErrSyntax = errors.New("wire: syntax error")
	// ErrUnexpectedArgument reports an argument on a command defined
	// without one, such as DATA, RSET, QUIT or STARTTLS (RFC 5321 4.3.2).
	ErrUnexpectedArgument = errors.New("wire: unexpected argument")
	// ErrMissingArgument reports a command whose required argument is absent.
	ErrMissingArgument = errors.New("wire: missing argument")
	// ErrTooLong reports an element over its size limit, such as a local part
	// over 64 octets or a path over 256 (RFC 5321 section 4.5.3.1).
	ErrTooLong = errors.New("wire: element too long")
	// ErrUTF8NotAllowed reports non-ASCII text where SMTPUTF8 is not in
	// effect (RFC 6531 sections 3.4 and 3.5).
	ErrUTF8NotAllowed = errors.New("wire: non-ASCII text without SMTPUTF8")
	// ErrInvalidUTF8 reports octets that are not valid UTF-8.
	ErrInvalidUTF8 = errors.New("wire: invalid UTF-8")
	// ErrUnknownParam reports an ESMTP parameter keyword that is not known
	// (RFC 5321 section 4.1.1.11: 555).
	ErrUnknownParam = errors.New("wire: unknown parameter")
	// ErrParamNotAdvertised reports a known parameter whose extension is not
	// in effect (RFC 5321 section 4.1.1.11: 555; RFC 1869 section 6).
	ErrParamNotAdvertised = errors.New("wire: parameter of an extension not in effect")
	// ErrDuplicateParam reports a parameter given twice in one command.
	ErrDuplicateParam = errors.New("wire: duplicate parameter")
	// ErrBadParamValue reports a parameter value that does not match the
	// extension's grammar.
	ErrBadParamValue = errors.New("wire: bad parameter value")
	// ErrForbiddenByte reports CR, LF or NUL in a field handed to a
	// serializer: writing it would inject a command or reply.
	ErrForbiddenByte = errors.New("wire: CR, LF or NUL in a field")
	// ErrMessageTooBig reports message data over the configured size.
	ErrMessageTooBig = errors.New("wire: message too big")
)

// SyntaxError describes why some input was refused: which element of the
// grammar, at which offset, under which rule, and the reply the RFCs assign.
//
// Offsets count octets from the start of the input given to the function
// that returned the error (for commands, the start of the line).
type SyntaxError struct {
	// Element names the grammar element, such as "reverse-path", "domain",
	// "esmtp-value" or "chunk-size".
	Element string
	// Offset is where in the input the problem was found.
	Offset int
	// Rule cites the rule, such as "RFC 5321 4.1.2".
	Rule string
	// Reason is a short explanation, such as "underscore in domain label".
	Reason string
	// Err is the sentinel this error wraps (ErrSyntax, ErrTooLong, ...).
	Err error
	// Code and Enhanced are the reply the RFCs assign to this error; zero
	// when the caller must choose.
	Code     reply.Code
	Enhanced reply.Enhanced
}

// Error returns a one-line description such as
// "wire: domain at offset 12: underscore in domain label (RFC 5321 4.1.2)".
func (e *SyntaxError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "wire: "...)
	b = append(b, e.Element...)
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	if e.Reason != "" {
		b = append(b, ": "...)
		b = append(b, e.Reason...)
	} else if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	if e.Rule != "" {
		b = append(b, " ("...)
		b = append(b, e.Rule...)
		b = append(b, ')')
	}
	return string(b)
}

// Unwrap returns the sentinel the error wraps.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Reply returns the reply a server sends for this error: Code and Enhanced
// when set, otherwise the code RFC 5321 gives the sentinel (501 for argument
// errors, 500 for line errors, 555 for unknown parameters, 553 for non-ASCII
// addresses; 550 for a sender, RFC 6531 3.5), with the reason as text.
func (e *SyntaxError) Reply() reply.Reply {
	code, enh := e.Code, e.Enhanced
	if code == 0 {
		code, enh = replyFor(e.Err)
	}
	text := e.Reason
	if text == "" {
		text = "Syntax error in " + e.Element
	}
	return reply.Reply{Code: code, Enhanced: enh, Text: text}
}

// replyFor maps a sentinel to its RFC reply code and enhanced code.
func replyFor(err error) (reply.Code, reply.Enhanced) {
	switch {
	case errors.Is(err, ErrLineTooLong):
		return reply.CodeSyntaxError, reply.E(5, 5, 2) // RFC 5321 4.5.3.1.10
	case errors.Is(err, ErrBareLF), errors.Is(err, ErrBareCR), errors.Is(err, ErrNUL):
		return reply.CodeSyntaxError, reply.E(5, 5, 2)
	case errors.Is(err, ErrUnknownParam), errors.Is(err, ErrParamNotAdvertised):
		return reply.CodeParamsNotRecognized, reply.E(5, 5, 4) // RFC 5321 4.1.1.11
	case errors.Is(err, ErrUTF8NotAllowed):
		return reply.CodeMailboxNameNotAllowed, reply.E(5, 6, 7) // RFC 6531 3.5 (RCPT; MAIL sets 550)
	case errors.Is(err, ErrMessageTooBig):
		return reply.CodeExceededStorage, reply.E(5, 3, 4) // RFC 1870 6
	}
	return reply.CodeParamSyntaxError, reply.E(5, 5, 4)
}

// errAt builds a SyntaxError; it is the one constructor the parsers use.
func errAt(element string, offset int, rule, reason string, sentinel error) *SyntaxError {
	return &SyntaxError{Element: element, Offset: offset, Rule: rule, Reason: reason, Err: sentinel}
}

// shiftErr moves the offset of a *SyntaxError by delta, for parsers that call
// a helper on a sub-slice. Other errors are returned unchanged.
func shiftErr(err error, delta int) error {
	var se *SyntaxError
	if delta != 0 && errors.As(err, &se) {
		se.Offset += delta
	}
	return err
}
