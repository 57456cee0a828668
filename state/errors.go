package state

import "errors"

// Sentinel errors of the Server and Client machines. Every error the
// machines return is one of these or wraps one (use errors.Is).
var (
	// ErrBadSequence reports a command that is not legal in the current
	// phase (RFC 5321 section 4.1.4; a server answers 503).
	ErrBadSequence = errors.New("state: command out of sequence")
	// ErrNotAdvertised reports a command or parameter of an extension the
	// server did not advertise (RFC 5321 section 2.2.1; RFC 1869 section 6).
	ErrNotAdvertised = errors.New("state: extension not advertised")
	// ErrNoPending reports Respond (or another answer) with no decision
	// pending.
	ErrNoPending = errors.New("state: no decision pending")
	// ErrInvalidReply reports a reply the application may not give to the
	// pending decision, such as a 354 to MAIL or a malformed code.
	ErrInvalidReply = errors.New("state: reply not valid for this decision")
	// ErrClosed reports a call after the session ended (QUIT answered, 421
	// sent or received, end of input).
	ErrClosed = errors.New("state: session closed")
	// ErrTimeout reports that a deadline of RFC 5321 section 4.5.3.2 passed.
	ErrTimeout = errors.New("state: timeout")
	// ErrProtocol reports a peer that broke the protocol; it is wrapped
	// by a *Violation that names the rule.
	ErrProtocol = errors.New("state: protocol violation")
	// ErrBusy reports a command queued while the machine cannot take it,
	// for example past the pipelining queue bound.
	ErrBusy = errors.New("state: outstanding commands at their bound")
)

// Violation is a breach of an RFC rule by one side of a session: what the
// Checker reports, and what the Server and Client machines return when the
// peer breaks a rule they cannot recover from.
type Violation struct {
	// Side is the party that broke the rule.
	Side Side
	// Rule cites the rule, as "RFC 5321 4.1.4".
	Rule string
	// Detail says what happened, in a short sentence.
	Detail string
	// Err, when not nil, is the error that revealed the violation or the
	// sentinel that classifies it: a *wire.SyntaxError, a
	// *reply.CodeMismatchError, ErrBadSequence, ErrNotAdvertised ...
	Err error
}

// Error formats the violation as "client: RFC 5321 4.1.4: detail".
func (v *Violation) Error() string {
	return v.Side.String() + ": " + v.Rule + ": " + v.Detail
}

// Unwrap returns ErrProtocol and Err, so that errors.Is matches both and
// errors.As finds what Err wraps.
func (v *Violation) Unwrap() []error {
	if v.Err == nil {
		return []error{ErrProtocol}
	}
	return []error{ErrProtocol, v.Err}
}

// breach returns the *Violation of the client that a Server refusal
// reports in EventRejected.Err: the rule, what was wrong, and the
// sentinel that classifies it.
func breach(sentinel error, rule, detail string) *Violation {
	return &Violation{Side: SideClient, Rule: rule, Detail: detail, Err: sentinel}
}
