package auth

import (
	"context"
	"unicode"
	"unicode/utf8"
)

// nameAnonymous is the ANONYMOUS mechanism's name (RFC 4505).
const nameAnonymous = "ANONYMOUS"

// Trace limits of ANONYMOUS (RFC 4505 section 2): up to 255 characters,
// which UTF-8 carries in up to 1020 octets.
const (
	maxTraceChars  = 255
	maxTraceOctets = 4 * maxTraceChars
)

// checkTrace validates ANONYMOUS trace information: valid UTF-8, at most
// 255 characters (RFC 4505 section 2), and no control characters, which
// the "trace" stringprep profile prohibits (RFC 4505 section 3). The trace
// may be empty. The reason never quotes the trace.
func checkTrace(trace []byte) error {
	if len(trace) > maxTraceOctets {
		return errorf(nameAnonymous, ErrMalformed, "trace longer than 1020 octets (RFC 4505 section 2)")
	}
	n := 0
	for len(trace) > 0 {
		r, size := utf8.DecodeRune(trace)
		if r == utf8.RuneError && size <= 1 {
			return errorf(nameAnonymous, ErrMalformed, "trace is not valid UTF-8 (RFC 4505 section 2)")
		}
		if unicode.IsControl(r) {
			return errorf(nameAnonymous, ErrMalformed, "trace contains a control character (RFC 4505 section 3)")
		}
		trace = trace[size:]
		n++
	}
	if n > maxTraceChars {
		return errorf(nameAnonymous, ErrMalformed, "trace longer than 255 characters (RFC 4505 section 2)")
	}
	return nil
}

// AnonymousClient returns the client side of ANONYMOUS (RFC 4505): it
// authenticates no one and sends trace, an email address or an opaque
// token (possibly empty), as the initial response. trace must be valid
// UTF-8 of at most 255 characters without control characters; NewClient
// reports a violation. Next answers an empty challenge with trace, for a
// driver that sends no initial response. Choose ranks ANONYMOUS last. The
// result is safe for concurrent use.
func AnonymousClient(trace string) ClientMechanism {
	return &anonymousClientMech{trace: trace}
}

type anonymousClientMech struct{ trace string }

func (m *anonymousClientMech) Name() string { return nameAnonymous }

func (m *anonymousClientMech) NewClient(ConnState) (Client, error) {
	msg := []byte(m.trace)
	if err := checkTrace(msg); err != nil {
		return nil, err
	}
	return &singleClient{seq: seq{mech: nameAnonymous}, msg: msg}, nil
}

// AnonymousServer returns the server side of ANONYMOUS (RFC 4505). The
// trace may come as the initial response or after an empty challenge (RFC
// 4954 section 4); a trace longer than 255 characters, not UTF-8 or with
// control characters fails with ErrMalformed. accept then decides; nil
// accepts every client. The Identity has an empty Username and the trace.
// The trace is the client's unverified word (RFC 4505 section 2): log it,
// never trust it. The result is safe for concurrent use if accept is.
func AnonymousServer(accept func(ctx context.Context, trace string) error) ServerMechanism {
	return &anonymousServerMech{accept: accept}
}

type anonymousServerMech struct {
	accept func(ctx context.Context, trace string) error
}

func (m *anonymousServerMech) Name() string { return nameAnonymous }

// Available reports true.
func (m *anonymousServerMech) Available(ConnState) bool { return true }

func (m *anonymousServerMech) NewServer(ConnState) (Server, error) {
	return newSingleServer(nameAnonymous, m), nil
}

func (m *anonymousServerMech) verifyMessage(ctx context.Context, msg []byte) (Identity, error) {
	if err := checkTrace(msg); err != nil {
		return Identity{}, err
	}
	trace := string(msg)
	if m.accept != nil {
		if err := m.accept(ctx, trace); err != nil {
			return Identity{}, verifierError(nameAnonymous, err)
		}
	}
	return Identity{Trace: trace}, nil
}
