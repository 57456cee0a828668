package state

// Phase is where an SMTP session stands (RFC 5321 section 3; the diagram
// in SPEC 2.1). One Phase value, plus the orthogonal facts of a Session
// (TLS, authentication, HELO or EHLO), describes a session completely; the
// legality of each command in each phase is the table in table.go.
//
// The zero value PhaseNone means the session has not started.
type Phase uint8

// Phases of a session.
const (
	// PhaseNone: nothing has happened yet.
	PhaseNone Phase = iota
	// PhaseGreeting: connected, the greeting not yet sent (server) or
	// received (client). A client that talks now talks early.
	PhaseGreeting
	// PhaseGreeted: after the 220 greeting, or after a STARTTLS handshake
	// or an XCLIENT reset, with no accepted HELO, EHLO or LHLO (RFC 5321
	// section 4.1.4; RFC 3207 section 4.2).
	PhaseGreeted
	// PhaseReady: after an accepted HELO, EHLO or LHLO, outside a mail
	// transaction.
	PhaseReady
	// PhaseMail: MAIL was accepted; no recipient yet (RFC 5321 section 3.3).
	PhaseMail
	// PhaseRcpt: at least one RCPT was accepted.
	PhaseRcpt
	// PhaseData: DATA was answered 354; message content is read until
	// CRLF "." CRLF (RFC 5321 section 4.1.1.4). No commands are read.
	PhaseData
	// PhaseBDAT: a BDAT chunk without LAST was received; more chunks may
	// follow (RFC 3030 section 2).
	PhaseBDAT
	// PhaseAuth: an AUTH exchange is under way (a 334 was sent); lines are
	// SASL responses, not commands (RFC 4954 section 4).
	PhaseAuth
	// PhaseTLS: STARTTLS was answered 220; the next bytes are the TLS
	// handshake (RFC 3207 section 4).
	PhaseTLS
	// PhaseRefused: the server greeted with 554 and serves only QUIT,
	// answering 503 to everything else (RFC 5321 section 3.1).
	PhaseRefused
	// PhaseClosed: QUIT was answered, 421 was sent, or the connection
	// ended. Nothing more happens.
	PhaseClosed
	numPhases
)

var phaseNames = [numPhases]string{
	PhaseNone:     "none",
	PhaseGreeting: "greeting",
	PhaseGreeted:  "greeted",
	PhaseReady:    "ready",
	PhaseMail:     "mail",
	PhaseRcpt:     "rcpt",
	PhaseData:     "data",
	PhaseBDAT:     "bdat",
	PhaseAuth:     "auth",
	PhaseTLS:      "tls",
	PhaseRefused:  "refused",
	PhaseClosed:   "closed",
}

// String returns the phase's lower-case name, or "unknown".
func (p Phase) String() string {
	if p < numPhases {
		return phaseNames[p]
	}
	return "unknown"
}

// ReadsCommands reports whether input in phase p is read as command lines.
// In the other phases it is message content (PhaseData), SASL responses
// (PhaseAuth), a TLS handshake (PhaseTLS) or nothing at all.
func (p Phase) ReadsCommands() bool {
	switch p {
	case PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt, PhaseBDAT, PhaseRefused:
		return true
	}
	return false
}

// InTransaction reports whether a mail transaction is open in phase p:
// MAIL was accepted and the transaction has not ended (RFC 5321 section
// 3.3).
func (p Phase) InTransaction() bool {
	switch p {
	case PhaseMail, PhaseRcpt, PhaseData, PhaseBDAT:
		return true
	}
	return false
}

// Phases returns every phase but PhaseNone, in order.
func Phases() []Phase {
	ps := make([]Phase, 0, numPhases-1)
	for p := PhaseNone + 1; p < numPhases; p++ {
		ps = append(ps, p)
	}
	return ps
}
