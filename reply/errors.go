package reply

import (
	"errors"
	"strconv"
)

// Error is a negative reply received from a peer, as an error: a 4yz or 5yz
// reply (or one with an invalid code) to a command. It embeds the Reply, so
// err.Code, err.Enhanced and err.Text read it directly. Use errors.As to get
// it from a wrapped error:
//
//	var rerr *reply.Error
//	if errors.As(err, &rerr) && rerr.Temporary() { ... }
//
// Error keeps peer errors apart from local ones (a malformed line, a broken
// connection), which have their own types.
type Error struct {
	Reply
	// Command names the command the reply answers, e.g. "RCPT"; it may be
	// empty.
	Command string
}

// Error formats e on one line, e.g. "smtp: RCPT: 550 5.1.1 No such user".
// The lines of a multi-line text are joined by a space and control octets
// are replaced by a space, so peer text cannot forge log lines.
func (e *Error) Error() string {
	buf := make([]byte, 0, 64+len(e.Command)+len(e.Text))
	buf = append(buf, "smtp: "...)
	if e.Command != "" {
		buf = appendSafe(buf, e.Command)
		buf = append(buf, ": "...)
	}
	return string(e.appendOneLine(buf))
}

// Temporary reports whether the reply is a transient failure (4yz): the same
// command may succeed later (RFC 5321 section 4.2.1).
func (e *Error) Temporary() bool { return e.Code.IsTransient() }

// Permanent reports whether the reply is a permanent failure (5yz): the
// client should not repeat the same command unchanged (RFC 5321 section
// 4.2.1).
func (e *Error) Permanent() bool { return e.Code.IsPermanent() }

// ErrCodeMismatch is matched by errors.Is for every *CodeMismatchError.
var ErrCodeMismatch = errors.New("reply: multi-line reply changes its reply code (RFC 5321 section 4.2.1)")

// ErrReplyTooLong reports a multi-line reply longer than the Builder's
// MaxLines or MaxText. An endless reply is a way to exhaust a client's
// memory, so the client stops reading it.
var ErrReplyTooLong = errors.New("reply: multi-line reply exceeds the line or text limit")

// CodeMismatchError reports a line of a multi-line reply whose code differs
// from the code of the first line. RFC 5321 section 4.2.1: "In a multiline
// reply, the reply code on each of the lines MUST be the same."
type CodeMismatchError struct {
	Line int  // 1-based line number within the reply
	Want Code // code of the first line
	Got  Code // code of line Line
}

func (e *CodeMismatchError) Error() string {
	return "reply: line " + strconv.Itoa(e.Line) + " of a multi-line reply has code " + e.Got.String() +
		", want " + e.Want.String() + " (RFC 5321 section 4.2.1)"
}

// Is reports whether target is ErrCodeMismatch.
func (e *CodeMismatchError) Is(target error) bool { return target == ErrCodeMismatch }
