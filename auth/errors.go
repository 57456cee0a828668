package auth

import (
	"errors"

	"github.com/smtpkit/smtpkit/reply"
)

// Errors a mechanism returns, wrapped in *Error. Verifiers the application
// implements return ErrInvalidCredentials (or wrap it) for a wrong secret,
// ErrAuthzDenied when the user may not act as the requested authzid, and
// any other error for a failure of their own (store down), which is
// reported as temporary. Test with errors.Is.
var (
	// ErrInvalidCredentials: the credentials are wrong or unknown.
	// 535 5.7.8 (RFC 4954 section 6).
	ErrInvalidCredentials = errors.New("authentication credentials invalid")
	// ErrAuthzDenied: the credentials are good but the user may not act as
	// the requested authorization identity. 535 5.7.8.
	ErrAuthzDenied = errors.New("authorization identity not permitted")
	// ErrMalformed: a message does not follow the mechanism's syntax.
	// 501 5.5.2 (RFC 4954 section 4).
	ErrMalformed = errors.New("malformed SASL message")
	// ErrCancelled: the client sent "*". 501 5.7.0 (RFC 4954 section 4).
	ErrCancelled = errors.New("authentication cancelled by the client")
	// ErrUnexpectedResponse: an initial response for a server-first
	// mechanism such as CRAM-MD5. 501 5.7.0 (RFC 4954 section 4).
	ErrUnexpectedResponse = errors.New("initial response not allowed for this mechanism")
	// ErrTooLong: a message exceeds MaxResponse. 500 5.5.6 (RFC 4954
	// section 4).
	ErrTooLong = errors.New("SASL message too long")
	// ErrUnsupported: the mechanism is unknown, or not offered on this
	// connection (a cleartext mechanism without TLS, a -PLUS mechanism
	// without channel binding). 504 5.5.4 (RFC 4954 section 4).
	ErrUnsupported = errors.New("mechanism not supported on this connection")
	// ErrTemporary: the server could not verify the credentials now.
	// 454 4.7.0 (RFC 4954 section 6).
	ErrTemporary = errors.New("temporary authentication failure")
	// ErrChannelBinding: the channel bindings of the two ends differ, or a
	// client signalled with the "y" flag that it saw no -PLUS mechanism on a
	// server that offers one (a stripped mechanism list, RFC 5802 section
	// 6). 535 5.7.8.
	ErrChannelBinding = errors.New("channel binding mismatch or downgrade")
	// ErrServerNotVerified is a client-side error: the server did not prove
	// it knows the credentials (SCRAM server signature, RFC 5802 section 3).
	ErrServerNotVerified = errors.New("server failed to authenticate itself")
	// ErrNoMechanism is a client-side error: no mechanism both sides have
	// may be used on this connection.
	ErrNoMechanism = errors.New("no usable SASL mechanism in common")
	// ErrSequence: a method was called out of turn (Next before Start,
	// after the end). A programming error of the caller; 503 5.5.1.
	ErrSequence = errors.New("SASL exchange used out of sequence")
)

// Error is the error every mechanism returns: the mechanism, one of the
// sentinel errors above (or the verifier's own error) and a reason that
// never contains a secret.
type Error struct {
	Mechanism string
	Reason    string
	Err       error
}

func (e *Error) Error() string {
	s := "auth"
	if e.Mechanism != "" {
		s += " " + e.Mechanism
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error. reason must never include a password, token,
// key or proof.
func errorf(mech string, err error, reason string) *Error {
	return &Error{Mechanism: mech, Reason: reason, Err: err}
}

// Reply returns the SMTP reply a server sends for an exchange that ended
// with err (RFC 4954 section 6), and 235 2.7.0 for nil. An error of the
// application's own, not one of this package's sentinels, is a temporary
// failure (454 4.7.0): a broken store must not look like a wrong password.
func Reply(err error) reply.Reply {
	r := func(c reply.Code, class uint8, subj, det uint16, text string) reply.Reply {
		return reply.Reply{Code: c, Enhanced: reply.E(class, subj, det), Text: text}
	}
	switch {
	case err == nil:
		return r(235, 2, 7, 0, "Authentication successful")
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrAuthzDenied),
		errors.Is(err, ErrChannelBinding):
		return r(535, 5, 7, 8, "Authentication credentials invalid")
	case errors.Is(err, ErrCancelled):
		return r(501, 5, 7, 0, "Authentication cancelled")
	case errors.Is(err, ErrUnexpectedResponse):
		return r(501, 5, 7, 0, "Initial response not allowed for this mechanism")
	case errors.Is(err, ErrMalformed):
		return r(501, 5, 5, 2, "Malformed authentication response")
	case errors.Is(err, ErrTooLong):
		return r(500, 5, 5, 6, "Authentication exchange line is too long")
	case errors.Is(err, ErrUnsupported):
		return r(504, 5, 5, 4, "Unrecognized authentication type")
	case errors.Is(err, ErrSequence):
		return r(503, 5, 5, 1, "Bad sequence of commands")
	default:
		return r(454, 4, 7, 0, "Temporary authentication failure")
	}
}
