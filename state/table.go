package state

import (
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// Protocol is the protocol a session speaks. Its zero value is SMTP, the
// common case, so that a zero configuration is a plain SMTP server.
type Protocol uint8

// Protocols.
const (
	// ProtocolSMTP is SMTP and ESMTP (RFC 5321), including submission
	// (RFC 6409).
	ProtocolSMTP Protocol = iota
	// ProtocolLMTP is LMTP (RFC 2033): LHLO instead of HELO and EHLO, and
	// one end-of-data reply per accepted recipient.
	ProtocolLMTP
)

// String returns "SMTP" or "LMTP".
func (p Protocol) String() string {
	if p == ProtocolLMTP {
		return "LMTP"
	}
	return "SMTP"
}

// Cell is one cell of the legality table: what a server does with a verb in
// a phase before it looks at the command's arguments or at the session's
// other facts.
type Cell struct {
	// Code is zero when the command is legal here and is processed; else it
	// is the reply the server sends instead (500 unknown, 502 not
	// implemented, 503 bad sequence), leaving the phase unchanged (RFC 5321
	// section 4.1.4).
	Code reply.Code
	// Rule names the rule that decides the cell, as "RFC 5321 4.1.4".
	Rule string
}

// Legal reports whether the command is processed.
func (c Cell) Legal() bool { return c.Code == 0 }

// numVerbs is the size of the verb dimension: every wire.Verb value.
const numVerbs = int(wire.VerbTURN) + 1

// Lookup returns the cell for verb v in phase p under protocol proto. ok
// is false when p reads no commands (p.ReadsCommands is false): there the
// question does not arise. Lookup does not allocate and is safe for
// concurrent use.
//
// What the table does not decide, because it depends on the session rather
// than the phase, the machines check after it: whether an extension command
// was advertised (502), AUTH after a successful AUTH (503, RFC 4954 section
// 4), STARTTLS under TLS (503, RFC 3207 section 4.2), and the application's
// requirement of TLS or authentication (530).
func Lookup(proto Protocol, p Phase, v wire.Verb) (c Cell, ok bool) {
	if !p.ReadsCommands() || int(v) >= numVerbs {
		return Cell{}, false
	}
	switch {
	case p == PhaseRefused:
		return table[p][v], true
	case proto == ProtocolLMTP && (v == wire.VerbHELO || v == wire.VerbEHLO):
		// RFC 2033 section 4.1: an LMTP server answers HELO and EHLO
		// as unknown commands.
		return Cell{Code: reply.CodeSyntaxError, Rule: "RFC 2033 4.1"}, true
	case proto == ProtocolSMTP && v == wire.VerbLHLO:
		// LHLO exists only in LMTP (RFC 2033 section 4.1).
		return Cell{Code: reply.CodeSyntaxError, Rule: "RFC 2033 4.1"}, true
	}
	return table[p][v], true
}

// commandPhases are the phases that read commands, in table order.
var commandPhases = [...]Phase{PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt, PhaseBDAT}

// rule is one row of the table's source: the verbs it covers, whether each
// is legal in PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt and PhaseBDAT
// (in that order), and the rule that says so. An illegal cell answers 503.
type rule struct {
	verbs []wire.Verb
	legal [len(commandPhases)]bool
	cite  string
}

// rules is the legality table (SPEC 2.2). Columns: greeted, ready, mail,
// rcpt, bdat.
var rules = []rule{
	// HELO/EHLO/LHLO are always allowed and reset the session; inside a
	// transaction they abort it as RSET does (RFC 5321 section 4.1.4).
	{[]wire.Verb{wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO}, [...]bool{true, true, true, true, true}, "RFC 5321 4.1.4"},
	// MAIL starts a transaction after a greeting and only when none is
	// open (RFC 5321 sections 3.3 and 4.1.4).
	{[]wire.Verb{wire.VerbMAIL}, [...]bool{false, true, false, false, false}, "RFC 5321 4.1.4"},
	// RCPT only inside a transaction, before its data (RFC 5321 section
	// 3.3).
	{[]wire.Verb{wire.VerbRCPT}, [...]bool{false, false, true, true, false}, "RFC 5321 3.3"},
	// DATA needs a recipient (RFC 5321 section 3.3: 503 or 554), and may
	// not follow BDAT in one transaction (RFC 3030 section 2).
	{[]wire.Verb{wire.VerbDATA}, [...]bool{false, false, false, true, false}, "RFC 5321 3.3"},
	// BDAT needs a recipient and may repeat; BURL likewise (RFC 3030
	// section 2, RFC 4468 section 3).
	{[]wire.Verb{wire.VerbBDAT}, [...]bool{false, false, false, true, true}, "RFC 3030 2"},
	{[]wire.Verb{wire.VerbBURL}, [...]bool{false, false, false, true, true}, "RFC 4468 3"},
	// RSET, NOOP, QUIT, HELP, VRFY and EXPN may be used at any time
	// (RFC 5321 section 4.1.4: before EHLO a server SHOULD process them
	// rather than answer 503).
	{[]wire.Verb{wire.VerbRSET, wire.VerbNOOP, wire.VerbQUIT, wire.VerbHELP, wire.VerbVRFY, wire.VerbEXPN},
		[...]bool{true, true, true, true, true}, "RFC 5321 4.1.4"},
	// AUTH needs EHLO (the extension is only known from it) and is not
	// allowed inside a transaction (RFC 4954 section 4).
	{[]wire.Verb{wire.VerbAUTH}, [...]bool{false, true, false, false, false}, "RFC 4954 4"},
	// STARTTLS outside a transaction; before EHLO it is allowed, since
	// RFC 3207 does not require EHLO first.
	{[]wire.Verb{wire.VerbSTARTTLS}, [...]bool{true, true, false, false, false}, "RFC 3207 4"},
	// XCLIENT and XFORWARD outside a transaction (Postfix
	// XCLIENT_README, XFORWARD_README).
	{[]wire.Verb{wire.VerbXCLIENT, wire.VerbXFORWARD}, [...]bool{true, true, false, false, false}, "Postfix XCLIENT_README"},
	// ETRN after EHLO and outside a transaction (RFC 1985 section 3);
	// ATRN likewise (RFC 2645 section 4).
	{[]wire.Verb{wire.VerbETRN}, [...]bool{false, true, false, false, false}, "RFC 1985 3"},
	{[]wire.Verb{wire.VerbATRN}, [...]bool{false, true, false, false, false}, "RFC 2645 4"},
}

// table is rules laid out for Lookup: [phase][verb].
var table = buildTable()

func buildTable() (t [numPhases][numVerbs]Cell) {
	for _, p := range commandPhases {
		// Unknown verbs get 500 and the historic RFC 821 verbs 502
		// wherever commands are read (RFC 5321 sections 4.2.4 and
		// 4.3.2).
		t[p][wire.VerbUnknown] = Cell{Code: reply.CodeSyntaxError, Rule: "RFC 5321 4.2.4"}
		for _, v := range []wire.Verb{wire.VerbSEND, wire.VerbSOML, wire.VerbSAML, wire.VerbTURN} {
			t[p][v] = Cell{Code: reply.CodeNotImplemented, Rule: "RFC 5321 4.2.4"}
		}
	}
	for _, r := range rules {
		for _, v := range r.verbs {
			for i, p := range commandPhases {
				c := Cell{Rule: r.cite}
				if !r.legal[i] {
					c.Code = reply.CodeBadSequence
				}
				t[p][v] = c
			}
		}
	}
	// After a 554 greeting only QUIT is served; every other command,
	// known or not, gets 503 (RFC 5321 section 3.1).
	for v := range numVerbs {
		t[PhaseRefused][v] = Cell{Code: reply.CodeBadSequence, Rule: "RFC 5321 3.1"}
	}
	t[PhaseRefused][wire.VerbQUIT] = Cell{Rule: "RFC 5321 3.1"}
	return t
}
