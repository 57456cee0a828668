package tlsmode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
)

// Mode says how a connection gets TLS: never, by upgrading with STARTTLS
// after the plaintext greeting (RFC 3207), or from the first byte (implicit
// TLS, RFC 8314 section 3). The zero value ModeAuto means "decide from the
// port" (see Resolve).
type Mode uint8

// Modes.
const (
	// ModeAuto takes the mode from the port's convention (Resolve).
	ModeAuto Mode = iota
	// ModeNone never starts TLS: the whole session is plaintext.
	ModeNone
	// ModeSTARTTLS reads the plaintext greeting, sends EHLO and upgrades
	// with STARTTLS (RFC 3207). Ports 25 and 587. In the seeds' terms this
	// is "secure: false" with TLS still used.
	ModeSTARTTLS
	// ModeImplicit starts the TLS handshake as soon as TCP connects; the
	// 220 greeting is the first SMTP data inside TLS (RFC 8314 section 3.3).
	// Port 465. In the seeds' terms this is "secure: true" or "SSL".
	ModeImplicit
	numModes
)

var modeNames = [numModes]string{
	ModeAuto:     "auto",
	ModeNone:     "none",
	ModeSTARTTLS: "starttls",
	ModeImplicit: "implicit",
}

// String returns the mode's flag word ("auto", "none", "starttls",
// "implicit"), or "unknown".
func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return "unknown"
}

// Policy says whether TLS is required. The zero value PolicyAuto means
// "decide from the mode and the port" (see Resolve).
//
// On the client, the policy decides what happens when the server does not
// offer STARTTLS or refuses it (Decide, Refused). On the server, it decides
// whether commands are accepted before TLS (Admit).
type Policy uint8

// Policies.
const (
	// PolicyAuto takes the policy from the mode and the port (Resolve).
	PolicyAuto Policy = iota
	// PolicyDisabled never uses TLS, even when offered.
	PolicyDisabled
	// PolicyOpportunistic uses TLS when the peer offers it and continues
	// in clear otherwise, reporting it (StatusClearNotOffered). This is
	// what MTA-to-MTA relay on port 25 does (RFC 3207 section 4: a
	// publicly referenced server must not require TLS). It protects only
	// against passive eavesdropping: an active attacker can strip the
	// STARTTLS keyword.
	PolicyOpportunistic
	// PolicyRequired refuses to go on without TLS: a client fails instead
	// of falling back to plaintext, a server answers 530 to commands other
	// than NOOP, EHLO, STARTTLS and QUIT (RFC 3207 section 4).
	PolicyRequired
	numPolicies
)

var policyNames = [numPolicies]string{
	PolicyAuto:          "auto",
	PolicyDisabled:      "disabled",
	PolicyOpportunistic: "opportunistic",
	PolicyRequired:      "required",
}

// String returns the policy's flag word ("auto", "disabled",
// "opportunistic", "required"), or "unknown".
func (p Policy) String() string {
	if p < numPolicies {
		return policyNames[p]
	}
	return "unknown"
}

// ErrUnknownWord is wrapped by every *ParseError.
var ErrUnknownWord = errors.New("tlsmode: unknown word")

// ParseError reports a flag word that ParseMode or ParsePolicy does not
// accept. Hint says what to write instead.
type ParseError struct {
	What  string // "mode" or "policy"
	Input string
	Hint  string
}

func (e *ParseError) Error() string {
	return "tlsmode: unknown " + e.What + " " + quote(e.Input) + ": " + e.Hint
}

// Unwrap returns ErrUnknownWord.
func (e *ParseError) Unwrap() error { return ErrUnknownWord }

// ParseMode parses a command-line mode word, ignoring ASCII case and
// surrounding space: "auto" (or empty), "none", "starttls", "implicit".
//
// It also takes the words other mail software uses, where their meaning is
// not in doubt: "plain" and "plaintext" for none, "ssl", "smtps" and
// "tls-on-connect" for implicit (PHPMailer's "ssl", Python's SMTP_SSL,
// swaks --tls-on-connect all mean TLS from the first byte on port 465).
//
// It refuses "tls" and "secure", because they mean different things in
// different programs: "tls" is STARTTLS in PHPMailer and swaks but implicit
// TLS in some mail clients, and nodemailer's "secure: false" still upgrades
// with STARTTLS. The error says which word to use.
func ParseMode(s string) (Mode, error) {
	w := strings.ToLower(strings.TrimSpace(s))
	switch w {
	case "", "auto":
		return ModeAuto, nil
	case "none", "plain", "plaintext":
		return ModeNone, nil
	case "starttls":
		return ModeSTARTTLS, nil
	case "implicit", "ssl", "smtps", "tls-on-connect":
		return ModeImplicit, nil
	case "tls", "ssl/tls", "tls/ssl", "secure", "true", "false":
		return ModeAuto, &ParseError{What: "mode", Input: s,
			Hint: `ambiguous: use "starttls" (plaintext greeting, then STARTTLS; port 587, "secure: false") or "implicit" (TLS from the first byte; port 465, "secure: true")`}
	}
	return ModeAuto, &ParseError{What: "mode", Input: s, Hint: `want auto, none, starttls or implicit`}
}

// ParsePolicy parses a command-line policy word, ignoring ASCII case and
// surrounding space: "auto" (or empty), "disabled", "opportunistic",
// "required". It also takes Postfix's smtp_tls_security_level words "none",
// "may" and "encrypt", which mean the same three policies.
func ParsePolicy(s string) (Policy, error) {
	w := strings.ToLower(strings.TrimSpace(s))
	switch w {
	case "", "auto":
		return PolicyAuto, nil
	case "disabled", "none":
		return PolicyDisabled, nil
	case "opportunistic", "may":
		return PolicyOpportunistic, nil
	case "required", "encrypt":
		return PolicyRequired, nil
	case "tls", "ssl", "secure", "starttls", "implicit", "true", "false":
		return PolicyAuto, &ParseError{What: "policy", Input: s,
			Hint: `that is a mode word; the policy is disabled, opportunistic or required ("required" refuses to continue without TLS)`}
	}
	return PolicyAuto, &ParseError{What: "policy", Input: s, Hint: `want auto, disabled, opportunistic or required`}
}

// Status is what a client reports about the protection of a session, so
// a session that continued in clear is visible rather than silent. The zero
// value StatusUnknown means nothing is decided yet (or STARTTLS is under way).
type Status uint8

// Statuses.
const (
	StatusUnknown Status = iota
	// StatusSecured: TLS is in force (implicit TLS, or STARTTLS completed).
	StatusSecured
	// StatusClearByPolicy: plaintext because the configuration says so
	// (ModeNone, PolicyDisabled).
	StatusClearByPolicy
	// StatusClearNotOffered: plaintext because the server did not
	// advertise STARTTLS and the policy is opportunistic.
	StatusClearNotOffered
	// StatusClearRefused: plaintext because the server refused STARTTLS
	// (454 or 5yz, RFC 3207 section 4) and the policy is opportunistic.
	StatusClearRefused
	numStatuses
)

var statusNames = [numStatuses]string{
	StatusUnknown:         "unknown",
	StatusSecured:         "secured",
	StatusClearByPolicy:   "clear (by policy)",
	StatusClearNotOffered: "clear (STARTTLS not offered)",
	StatusClearRefused:    "clear (STARTTLS refused)",
}

// String returns a short description of the status.
func (s Status) String() string {
	if s < numStatuses {
		return statusNames[s]
	}
	return "unknown"
}

// IsClear reports whether the session continues without TLS.
func (s Status) IsClear() bool {
	return s >= StatusClearByPolicy && s < numStatuses
}

// Client-side policy errors. They never come with a plaintext fallback:
// under PolicyRequired the client closes the connection.
var (
	// ErrSTARTTLSNotOffered: the server's EHLO reply lacks STARTTLS and the
	// policy requires TLS. The keyword may have been stripped by an active
	// attacker (RFC 3207 section 6), so the client does not go on in clear.
	ErrSTARTTLSNotOffered = errors.New("tlsmode: server did not offer STARTTLS and the policy requires TLS (no plaintext fallback)")
	// ErrSTARTTLSRefused: the server answered STARTTLS with something other
	// than 220 and the policy requires TLS.
	ErrSTARTTLSRefused = errors.New("tlsmode: server refused STARTTLS and the policy requires TLS (no plaintext fallback)")
	// ErrHandshake: the TLS handshake after STARTTLS failed. The connection
	// is in an undefined state and must be closed, under every policy.
	ErrHandshake = errors.New("tlsmode: TLS handshake failed")
)

// Decide is the client's choice after reading the server's EHLO reply,
// where advertised reports whether it listed STARTTLS. start true means:
// send STARTTLS now. Otherwise the session continues in clear with status
// st, or stops with err. PolicyAuto decides as PolicyRequired: call Resolve
// first.
//
// Under PolicyRequired a missing keyword is ErrSTARTTLSNotOffered, never a
// fallback (RFC 3207 section 6: an attacker can delete the keyword). Under
// PolicyOpportunistic it is StatusClearNotOffered, which the client reports.
func (p Policy) Decide(advertised bool) (start bool, st Status, err error) {
	switch p {
	case PolicyDisabled:
		return false, StatusClearByPolicy, nil
	case PolicyOpportunistic:
		if advertised {
			return true, StatusUnknown, nil
		}
		return false, StatusClearNotOffered, nil
	default:
		if advertised {
			return true, StatusUnknown, nil
		}
		return false, StatusUnknown, ErrSTARTTLSNotOffered
	}
}

// Refused is the client's choice when the server answers STARTTLS with r,
// which is not 220 (454 "TLS not available due to temporary reason", 501,
// or another error; RFC 3207 section 4 leaves the decision to the client).
// Under PolicyOpportunistic the session goes on in clear with
// StatusClearRefused. Otherwise the error wraps ErrSTARTTLSRefused and the
// server's *reply.Error.
func (p Policy) Refused(r reply.Reply) (Status, error) {
	switch p {
	case PolicyDisabled:
		return StatusClearByPolicy, nil
	case PolicyOpportunistic:
		return StatusClearRefused, nil
	}
	perr := r.Err()
	if perr == nil {
		perr = &reply.Error{Reply: r, Command: "STARTTLS"}
	} else if re, ok := perr.(*reply.Error); ok {
		re.Command = "STARTTLS"
	}
	return StatusUnknown, fmt.Errorf("%w: %w", ErrSTARTTLSRefused, perr)
}

// HandshakeFailed wraps the error of a failed handshake after the 220 reply
// to STARTTLS. It always returns an error: once the handshake has started,
// the connection is in an undefined state and is closed, never continued in
// clear (RFC 3207 section 4: a client that cannot complete the handshake
// aborts the connection). Only under PolicyOpportunistic may the
// client retry on a new connection without STARTTLS (MayRetryClear).
func (p Policy) HandshakeFailed(err error) error {
	if p == PolicyOpportunistic {
		return fmt.Errorf("%w: %w (connection closed; the opportunistic policy allows a new connection in clear)", ErrHandshake, err)
	}
	return fmt.Errorf("%w: %w (connection closed; no plaintext fallback under the %s policy)", ErrHandshake, err, p)
}

// MayRetryClear reports whether, after a failed STARTTLS handshake, the
// client may deliver over a new plaintext connection: only under
// PolicyOpportunistic.
func (p Policy) MayRetryClear() bool { return p == PolicyOpportunistic }

// quote returns s in double quotes with anything outside printable ASCII
// escaped, cut to 40 bytes, so a flag value can be shown in an error.
func quote(s string) string {
	const maxLen = 40
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s) && i < maxLen; i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	if len(s) > maxLen {
		b.WriteString("...")
	}
	b.WriteByte('"')
	return b.String()
}
