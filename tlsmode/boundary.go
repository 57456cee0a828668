package tlsmode

import (
	"errors"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// Side is the end of a connection a rule applies to. The zero value
// SideUnknown is neither.
type Side uint8

// Sides.
const (
	SideUnknown Side = iota
	SideClient
	SideServer
	numSides
)

var sideNames = [numSides]string{SideUnknown: "unknown", SideClient: "client", SideServer: "server"}

// String returns "client", "server" or "unknown".
func (s Side) String() string {
	if s < numSides {
		return sideNames[s]
	}
	return "unknown"
}

// ErrPlaintextAfterSTARTTLS is wrapped by every *BoundaryError.
var ErrPlaintextAfterSTARTTLS = errors.New("tlsmode: plaintext received between STARTTLS and the TLS handshake (RFC 3207 section 4.2, CVE-2011-0411)")

// BoundaryError reports plaintext bytes that were already buffered when TLS
// was about to start: on the server, bytes after the STARTTLS command line;
// on the client, bytes after the 220 reply to STARTTLS. They were sent
// before the handshake, so nothing protects them; replaying them into the
// TLS session would let a man in the middle inject commands (the server
// side, CVE-2011-0411) or replies (the client side) that the peer appears
// to have sent under TLS.
type BoundaryError struct {
	Side     Side
	Buffered int
}

func (e *BoundaryError) Error() string {
	var b strings.Builder
	b.WriteString("tlsmode: ")
	b.WriteString(e.Side.String())
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.Buffered))
	if e.Side == SideClient {
		b.WriteString(" plaintext bytes followed the server's 220 reply to STARTTLS")
	} else {
		b.WriteString(" plaintext bytes followed the STARTTLS command")
	}
	b.WriteString(" before the TLS handshake; they are discarded, never replayed, and the connection is closed (RFC 3207 section 4.2, CVE-2011-0411)")
	return b.String()
}

// Unwrap returns ErrPlaintextAfterSTARTTLS.
func (e *BoundaryError) Unwrap() error { return ErrPlaintextAfterSTARTTLS }

// Reply returns what the server sends instead of 220 when it finds the
// bytes before answering STARTTLS: 421 4.7.0, then it closes the
// connection. On the client side it returns the zero Reply: the client
// sends nothing and closes.
//
// Why 421 and a close rather than refusing STARTTLS and reading on: RFC
// 3207 section 4 requires STARTTLS to be the last command of a pipelined
// group (RFC 2920), so an honest client never sends these bytes; they are
// either a broken client or an injection. Refusing with 5yz and reading on
// would run them as commands after all and leave the client's pipeline out
// of step, and starting TLS after silently dropping them hides the attack.
// 421 is the reply that announces a close after any command (RFC 5321
// section 3.8); 4.7.0 is "other or undefined security status" (RFC 3463
// section 3.8). A client that retries on a new connection without the
// injected bytes succeeds.
func (e *BoundaryError) Reply() reply.Reply {
	if e.Side == SideClient {
		return reply.Reply{}
	}
	return reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0),
		Text: "Plaintext after STARTTLS refused, closing connection"}
}

// CheckBoundary is the STARTTLS boundary rule (RFC 3207 section 4.2;
// CVE-2011-0411), the one place every driver and state machine takes it
// from. buffered is the number of bytes already received and not consumed
// at the moment TLS is about to start:
//
//   - server: after the CRLF of the STARTTLS command line, before sending
//     220 (if the check fails, send BoundaryError.Reply instead of 220 and
//     close); check again right before the handshake in case the reader
//     pulled more bytes meanwhile (then close without a reply);
//   - client: after the CRLF of the 220 reply to STARTTLS, before the
//     ClientHello (if the check fails, close).
//
// It returns nil when buffered is zero and a *BoundaryError otherwise. The
// bytes themselves are never looked at and never replayed: the TLS layer
// starts on the raw connection with an empty buffer.
func CheckBoundary(side Side, buffered int) error {
	if buffered <= 0 {
		return nil
	}
	return &BoundaryError{Side: side, Buffered: buffered}
}

// Knowledge is a set of session facts that the STARTTLS boundary erases.
type Knowledge uint8

// Kinds of knowledge.
const (
	// KnowGreeting: the client's HELO/EHLO/LHLO and its argument (server),
	// and that the client has greeted at all (both). The session returns to
	// the state after the 220 greeting, without a new 220.
	KnowGreeting Knowledge = 1 << iota
	// KnowExtensions: the server's EHLO keyword list (client). The client
	// sends EHLO again and uses only the new list (STRIPTLS downgrade).
	KnowExtensions
	// KnowAuth: an authenticated identity or a SASL exchange in progress
	// (both). AUTH may be offered differently under TLS (RFC 4954 section 4).
	KnowAuth
	// KnowTransaction: MAIL, RCPT and BDAT state (both).
	KnowTransaction
	knowAll = KnowGreeting | KnowExtensions | KnowAuth | KnowTransaction
)

var knowledgeNames = [...]string{"greeting", "extensions", "auth", "transaction"}

// Has reports whether k contains every fact in x.
func (k Knowledge) Has(x Knowledge) bool { return k&x == x }

// String lists the facts joined by "|", or "none".
func (k Knowledge) String() string {
	if k == 0 {
		return "none"
	}
	var parts []string
	for i, n := range knowledgeNames {
		if k&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if k&^knowAll != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(k&^knowAll), 16))
	}
	return strings.Join(parts, "|")
}

// Forget returns what side must discard once the TLS handshake after
// STARTTLS succeeds (RFC 3207 section 4.2): "any knowledge obtained from the
// [peer] ... which was not obtained from the TLS negotiation itself". The
// server forgets the greeting, authentication and transaction; the client
// forgets the same and the extension list, and SHOULD send EHLO first.
//
// Both sides keep what did not come from the plaintext dialogue: the TLS
// facts, the connection's addresses (including PROXY or XCLIENT ones, which
// a trusted front end supplied), and counters that limit abuse (failed AUTH
// attempts, errors), which must not reset by starting TLS.
func Forget(side Side) Knowledge {
	switch side {
	case SideServer:
		return KnowGreeting | KnowAuth | KnowTransaction
	case SideClient:
		return knowAll
	}
	return knowAll
}

// AdvertiseSTARTTLS reports whether a server lists STARTTLS in its EHLO
// reply: only before TLS (RFC 3207 section 4.2: a server MUST NOT return it
// after the handshake; this also rules it out on implicit-TLS ports, RFC
// 8314 section 3.3) and only when it can complete a handshake (available:
// it has a certificate).
func AdvertiseSTARTTLS(tlsActive, available bool) bool {
	return !tlsActive && available
}

// AllowedBeforeTLS reports whether a server that requires TLS accepts
// command v before it: NOOP, EHLO, STARTTLS and QUIT (RFC 3207 section 4),
// and LHLO, which is LMTP's EHLO (RFC 2033 section 4.1). Every other verb,
// HELO and RSET included, gets MustStartTLSReply: a HELO client cannot see
// the STARTTLS keyword anyway, and the 530 tells it what to do.
func AllowedBeforeTLS(v wire.Verb) bool {
	switch v {
	case wire.VerbNOOP, wire.VerbEHLO, wire.VerbLHLO, wire.VerbSTARTTLS, wire.VerbQUIT:
		return true
	}
	return false
}

// MustStartTLSReply returns "530 5.7.0 Must issue a STARTTLS command first",
// the reply RFC 3207 section 4 gives a server that requires TLS for every
// command AllowedBeforeTLS refuses.
func MustStartTLSReply() reply.Reply {
	return reply.Reply{Code: reply.CodeAuthRequired, Enhanced: reply.E(5, 7, 0), Text: "Must issue a STARTTLS command first"}
}

// Admit is the server's TLS gate for command v: ok false means answer with
// r and do not run the command. Under PolicyRequired (and PolicyAuto, which
// counts as required until Resolve replaces it) commands other than those
// AllowedBeforeTLS are refused until TLS is active (RFC 3207 section 4).
// A publicly referenced server (an MX on port 25) must not require TLS.
func (p Policy) Admit(v wire.Verb, tlsActive bool) (r reply.Reply, ok bool) {
	if tlsActive || p == PolicyDisabled || p == PolicyOpportunistic || AllowedBeforeTLS(v) {
		return reply.Reply{}, true
	}
	return MustStartTLSReply(), false
}

// ServerSTARTTLS is the server's situation when a STARTTLS command
// arrives. The zero value is the normal case: TLS not yet active, no
// parameters, a certificate at hand, nothing buffered.
type ServerSTARTTLS struct {
	// Active: TLS is already in force (a second STARTTLS, or one on an
	// implicit-TLS connection).
	Active bool
	// Params: the command carried parameters.
	Params bool
	// Unavailable: the server cannot start TLS now (no certificate, or a
	// temporary failure loading it).
	Unavailable bool
	// Buffered: bytes already received after the STARTTLS line.
	Buffered int
}

// Answer returns the server's reply to STARTTLS and whether to start the
// handshake right after sending it. err is non-nil only for the boundary
// rule (a *BoundaryError): send r, then close.
//
//   - Active: 503 5.5.1 "TLS already active". RFC 3207 names no code for a
//     second STARTTLS; it is a known command out of sequence, which is 503
//     (RFC 5321 section 4.2.3), and after the handshake the keyword is no
//     longer advertised (RFC 3207 section 4.2). Some servers answer 554.
//   - Params: 501 5.5.4 "Syntax error (no parameters allowed)" (RFC 3207
//     section 4).
//   - Unavailable: 454 4.7.0 "TLS not available due to temporary reason"
//     (RFC 3207 section 4).
//   - Buffered > 0: 421 4.7.0 and close (the CheckBoundary rule).
//   - otherwise: 220 2.0.0 "Ready to start TLS" (RFC 3207 section 4), and
//     start is true.
func (s ServerSTARTTLS) Answer() (r reply.Reply, start bool, err error) {
	switch {
	case s.Active:
		return reply.Reply{Code: reply.CodeBadSequence, Enhanced: reply.E(5, 5, 1), Text: "TLS already active"}, false, nil
	case s.Params:
		return reply.Reply{Code: reply.CodeParamSyntaxError, Enhanced: reply.E(5, 5, 4), Text: "Syntax error (no parameters allowed)"}, false, nil
	case s.Unavailable:
		return reply.Reply{Code: reply.CodeTempAuthFailure, Enhanced: reply.E(4, 7, 0), Text: "TLS not available due to temporary reason"}, false, nil
	}
	if s.Buffered > 0 {
		be := &BoundaryError{Side: SideServer, Buffered: s.Buffered}
		return be.Reply(), false, be
	}
	return reply.Reply{Code: reply.CodeReady, Enhanced: reply.E(2, 0, 0), Text: "Ready to start TLS"}, true, nil
}
