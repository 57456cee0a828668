package auth

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// step is where one exchange stands, on either side. The zero value,
// stepNone, is an exchange whose Start has not been called. Every error
// ends the exchange (stepFailed); after stepDone or stepFailed every call
// returns ErrSequence, except a client's single Finish, and leaves the
// step as it is, so a stray call never undoes a success.
type step uint8

const (
	stepNone   step = iota // not started: only Start is legal
	stepWait               // a first challenge is out (server) or expected (client)
	stepWait2              // a second one (LOGIN's password prompt)
	stepSent               // client: every message is sent; only Finish remains
	stepDone               // server: succeeded; client: Finish was called
	stepFailed             // ended with an error
)

var stepNames = [...]string{
	stepNone:   "none",
	stepWait:   "wait",
	stepWait2:  "wait2",
	stepSent:   "sent",
	stepDone:   "done",
	stepFailed: "failed",
}

// String returns the step's name, or "step(N)" for a value out of range.
func (s step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", uint8(s))
}

// seq enforces the order of calls that every Server and Client of this
// file set shares: Start first and once, Next only while a message is
// awaited, nothing after the end, and no message over MaxResponse.
type seq struct {
	mech string
	step step
}

// fail ends the exchange and returns err. An exchange that already ended
// keeps its outcome.
func (q *seq) fail(err error) error {
	if q.step != stepDone {
		q.step = stepFailed
	}
	return err
}

// failf ends the exchange with an *Error for sentinel and reason.
func (q *seq) failf(sentinel error, reason string) error {
	return q.fail(errorf(q.mech, sentinel, reason))
}

// begin admits a call to Start carrying msg (an initial response on the
// server side; nil on the client side).
func (q *seq) begin(msg []byte) error {
	if q.step != stepNone {
		return q.failf(ErrSequence, "Start called after the exchange began")
	}
	return q.size(msg)
}

// next admits a call to Next carrying msg while the exchange is at a
// waiting step.
func (q *seq) next(msg []byte) error {
	switch q.step {
	case stepNone:
		return q.failf(ErrSequence, "Next called before Start")
	case stepWait, stepWait2:
		return q.size(msg)
	case stepSent:
		// A client that has sent everything got one more challenge: the
		// server is not following the mechanism.
		return q.failf(ErrMalformed, "unexpected challenge after the last response")
	default:
		return q.failf(ErrSequence, "Next called after the exchange ended")
	}
}

// size refuses a message longer than MaxResponse (RFC 4954 section 4:
// the buffer for an AUTH line is bounded; 500 5.5.6).
func (q *seq) size(msg []byte) error {
	if len(msg) > MaxResponse {
		return q.failf(ErrTooLong, fmt.Sprintf("message of %d octets exceeds %d", len(msg), MaxResponse))
	}
	return nil
}

// finish admits a client's Finish: once, after Start.
func (q *seq) finish() error {
	if q.step == stepNone || q.step == stepDone {
		return errorf(q.mech, ErrSequence, "Finish called before Start or twice")
	}
	q.step = stepDone
	return nil
}

// sentinels are the errors whose meaning a verifier may choose; any other
// error it returns is a failure of its own.
var sentinels = [...]error{
	ErrInvalidCredentials, ErrAuthzDenied, ErrMalformed, ErrCancelled,
	ErrUnexpectedResponse, ErrTooLong, ErrUnsupported, ErrTemporary,
	ErrChannelBinding, ErrSequence,
}

// verifierError wraps an error that a verifier (PasswordChecker,
// SecretStore, CertificateMapper, an ANONYMOUS accept function) returned.
// An error that wraps one of this package's sentinels keeps its meaning.
// Any other error, a context error included, is the application's own
// failure and is made to wrap ErrTemporary as well, so that Reply answers
// 454 4.7.0 (RFC 4954 section 6) and errors.Is(err, ErrTemporary) holds.
func verifierError(mech string, err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return &Error{Mechanism: mech, Reason: "refused by the verifier", Err: err}
		}
	}
	return &Error{Mechanism: mech, Reason: "verifier failed", Err: fmt.Errorf("%w: %w", ErrTemporary, err)}
}

// withMechanism returns err with the mechanism's name filled in when err is
// an *Error that has none (the errors of PreparePassword and
// PrepareUsername).
func withMechanism(mech string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Mechanism == "" {
		c := *e
		c.Mechanism = mech
		return &c
	}
	return err
}

// checkText validates one field a client was configured with: valid UTF-8
// (RFC 4616 section 2, RFC 4422 section 3.4.1) without NUL, which would
// end the field early in PLAIN and means nothing elsewhere. what names the
// field in the error; the value is never quoted.
func checkText(mech, what, s string) error {
	if !utf8.ValidString(s) {
		return errorf(mech, ErrMalformed, what+" is not valid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return errorf(mech, ErrMalformed, what+" contains NUL")
		}
	}
	if len(s) > MaxResponse {
		return errorf(mech, ErrTooLong, what+" exceeds MaxResponse")
	}
	return nil
}

// messageVerifier checks the single message of a client-first mechanism
// with one message (PLAIN, EXTERNAL, ANONYMOUS) and says who it names.
type messageVerifier interface {
	verifyMessage(ctx context.Context, msg []byte) (Identity, error)
}

// singleServer is the Server of a client-first, one-message mechanism.
// Without an initial response it sends an empty challenge (RFC 4422
// section 5 via RFC 4954 section 4) and takes the message in Next.
type singleServer struct {
	seq
	v  messageVerifier
	id Identity
}

func newSingleServer(mech string, v messageVerifier) *singleServer {
	return &singleServer{seq: seq{mech: mech}, v: v}
}

// Name returns the mechanism name.
func (s *singleServer) Name() string { return s.mech }

// Start takes the initial response, or sends an empty challenge when the
// AUTH command had none (RFC 4954 section 4).
func (s *singleServer) Start(ctx context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if err := s.begin(ir); err != nil {
		return nil, false, err
	}
	if !present {
		s.step = stepWait
		return nil, false, nil
	}
	return s.verify(ctx, ir)
}

// Next takes the message after the empty challenge.
func (s *singleServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := s.next(response); err != nil {
		return nil, false, err
	}
	return s.verify(ctx, response)
}

func (s *singleServer) verify(ctx context.Context, msg []byte) ([]byte, bool, error) {
	id, err := s.v.verifyMessage(ctx, msg)
	if err != nil {
		return nil, false, s.fail(err)
	}
	s.id = id
	s.step = stepDone
	return nil, true, nil
}

// Identity returns who authenticated, or the zero Identity before success.
func (s *singleServer) Identity() Identity {
	if s.step != stepDone {
		return Identity{}
	}
	return s.id
}

// singleClient is the Client of a client-first, one-message mechanism. It
// sends msg as the initial response. A driver that leaves the initial
// response out gets an empty challenge, which Next answers with msg, once.
type singleClient struct {
	seq
	msg []byte
}

// Name returns the mechanism name.
func (c *singleClient) Name() string { return c.mech }

// Start returns the message as the initial response.
func (c *singleClient) Start(context.Context) ([]byte, bool, error) {
	if err := c.begin(nil); err != nil {
		return nil, false, err
	}
	c.step = stepWait
	return c.msg, true, nil
}

// Next answers an empty challenge with the message; any other challenge is
// not part of the mechanism.
func (c *singleClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	if err := c.next(challenge); err != nil {
		return nil, err
	}
	if len(challenge) != 0 {
		return nil, c.failf(ErrMalformed, "the mechanism has no server challenge")
	}
	c.step = stepSent
	return c.msg, nil
}

// Finish accepts the outcome; these mechanisms do not authenticate the
// server.
func (c *singleClient) Finish(bool) error { return c.finish() }
