package state

import "github.com/smtpkit/smtpkit/wire"

// EndsGroup reports whether a command with verb v may only be the last
// command of a pipelined group (RFC 2920 section 3.1): EHLO, DATA, VRFY,
// EXPN, TURN, QUIT and NOOP change the state unpredictably or must be
// answered before the client goes on, and so do HELO and LHLO (greetings,
// like EHLO), STARTTLS (RFC 3207 section 4.2: nothing may follow it before
// the handshake), ATRN (the roles reverse, RFC 2645), XCLIENT (the server
// sends a new greeting) and AUTH (RFC 4954 section 4). AUTH may be followed
// by more commands only when oneRoundAuth is true: an initial response
// completes the exchange in one round trip and no security layer is
// negotiated, as with PLAIN and EXTERNAL.
//
// Unknown verbs do not end a group; the server answers them 500 in order.
func EndsGroup(v wire.Verb, oneRoundAuth bool) bool {
	switch v {
	case wire.VerbEHLO, wire.VerbHELO, wire.VerbLHLO, wire.VerbDATA, wire.VerbVRFY,
		wire.VerbEXPN, wire.VerbTURN, wire.VerbQUIT, wire.VerbNOOP,
		wire.VerbSTARTTLS, wire.VerbATRN, wire.VerbXCLIENT:
		return true
	case wire.VerbAUTH:
		return !oneRoundAuth
	}
	return false
}
