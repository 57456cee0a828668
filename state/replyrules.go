package state

import (
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// Stage says what a reply answers: the greeting, a command, or the end of a
// message. The zero value StageNone means "no command is outstanding". The
// replies each stage may get (RFC 5321 4.3.2, SPEC 2.3) and the client's
// reaction (SPEC 2.4a) are package data, immutable and safe for concurrent
// use.
type Stage uint8

// Stages. Each command verb has its own stage (StageFor); the message body
// adds StageEndOfData, and BDAT and BURL have a LAST variant whose reply is
// the reply for the whole message (RFC 3030 section 2, RFC 4468 section 3).
const (
	StageNone      Stage = iota
	StageGreeting        // the connection greeting (RFC 5321 3.1)
	StageEhlo            // EHLO (RFC 5321 4.1.1.1)
	StageHelo            // HELO (RFC 5321 4.1.1.1)
	StageLhlo            // LHLO (RFC 2033 4.1)
	StageMail            // MAIL (RFC 5321 4.1.1.2)
	StageRcpt            // RCPT (RFC 5321 4.1.1.3)
	StageData            // the DATA command itself (RFC 5321 4.1.1.4)
	StageEndOfData       // the reply after <CRLF>.<CRLF> (RFC 5321 4.2.5)
	StageBDAT            // a BDAT chunk without LAST (RFC 3030 2)
	StageBDATLast        // BDAT ... LAST (RFC 3030 2)
	StageRset            // RSET (RFC 5321 4.1.1.5)
	StageVrfy            // VRFY (RFC 5321 4.1.1.6)
	StageExpn            // EXPN (RFC 5321 4.1.1.7)
	StageHelp            // HELP (RFC 5321 4.1.1.8)
	StageNoop            // NOOP (RFC 5321 4.1.1.9)
	StageQuit            // QUIT (RFC 5321 4.1.1.10)
	StageStartTLS        // STARTTLS (RFC 3207 4)
	StageAuth            // AUTH and each client response line (RFC 4954 4)
	StageEtrn            // ETRN (RFC 1985)
	StageAtrn            // ATRN (RFC 2645)
	StageBurl            // BURL without LAST (RFC 4468 3)
	StageBurlLast        // BURL ... LAST (RFC 4468 3)
	StageXclient         // XCLIENT (Postfix XCLIENT_README)
	StageXforward        // XFORWARD (Postfix XFORWARD_README)
	StageOther           // an unknown or historic verb: no list of its own
	numStages
)

// Stages returns every stage but StageNone, in declaration order, for tables
// and tests that walk all stages.
func Stages() []Stage {
	out := make([]Stage, 0, numStages-1)
	for s := StageGreeting; s < numStages; s++ {
		out = append(out, s)
	}
	return out
}

// StageFor returns the stage of a reply to a command with verb v. BDAT and
// BURL map to their non-LAST stages; use Stage.Last for a command carrying
// LAST. Unknown and historic verbs map to StageOther.
func StageFor(v wire.Verb) Stage {
	if s := verbStages[v]; s != StageNone {
		return s
	}
	return StageOther
}

// verbStages maps each verb to the stage whose stageRules row names it.
var verbStages = func() (m [256]Stage) {
	for s, r := range stageRules {
		if r.verb != wire.VerbUnknown {
			m[r.verb] = Stage(s)
		}
	}
	return m
}()

// Last returns the LAST variant of a BDAT or BURL stage (the reply to the
// last chunk is the reply for the whole message, RFC 3030 section 2); any
// other stage is returned unchanged.
func (s Stage) Last() Stage {
	switch s {
	case StageBDAT:
		return StageBDATLast
	case StageBurl:
		return StageBurlLast
	}
	return s
}

// String returns the name of the stage: the verb for a command stage.
func (s Stage) String() string {
	if s < numStages {
		return stageRules[s].name
	}
	return "Stage(" + strconv.Itoa(int(s)) + ")"
}

// Rule returns the citation of the list of replies for s, e.g. "RFC 5321
// 4.3.2" for MAIL or "RFC 4954 6" for AUTH. A code outside the list breaks
// that rule, although the client still acts on its first digit.
func (s Stage) Rule() string { return s.rules().rule }

// rules returns the stageRules row of s, StageNone's when s is out of range.
func (s Stage) rules() *stageRule {
	if s >= numStages {
		s = StageNone
	}
	return &stageRules[s]
}

// Allowed returns the reply codes the RFCs list for s, including the codes
// any command may return (500, 501, 421; RFC 5321 section 4.3.2) and the
// extension codes described at stageRules.
func (s Stage) Allowed() CodeSet { return s.rules().listed }

// Allows reports whether code is a reply the RFCs list for s.
func (s Stage) Allows(code reply.Code) bool { return s.Allowed().Has(code) }

// Verdict is what a client does with a reply (SPEC 2.4a). The zero value
// VerdictNone means "not judged".
type Verdict uint8

// Verdicts.
const (
	VerdictNone    Verdict = iota
	VerdictProceed         // the command succeeded (2yz)
	// VerdictContinue: an expected intermediate reply (3yz): 354 after DATA,
	// send the message; 334 during AUTH, send the next response.
	VerdictContinue
	// VerdictTempFail: the command failed temporarily (4yz); it may succeed
	// later unchanged (RFC 5321 4.2.1).
	VerdictTempFail
	VerdictPermFail     // the command failed permanently (5yz)
	VerdictFallbackHELO // EHLO was refused; send HELO (RFC 5321 3.2)
	// VerdictClose: close the connection without sending more: 421, or any
	// reply to QUIT (RFC 5321 3.8, 4.1.1.10).
	VerdictClose
	// VerdictQuit: the server refused the session at the greeting; send QUIT,
	// then close (RFC 5321 3.1).
	VerdictQuit
	// VerdictStartTLS: start the TLS handshake now, then discard what was
	// learnt from the server and send EHLO again (RFC 3207 4.2).
	VerdictStartTLS
	VerdictAuthenticated // AUTH succeeded (RFC 4954 6)
	// VerdictReset: the server went back to its greeting state (XCLIENT's
	// 220); send EHLO again.
	VerdictReset
	// VerdictProtocolError: the reply makes no sense for the command, e.g. a
	// 3yz where no intermediate reply is defined or a 2yz to DATA; the
	// client cannot know the server's state and should QUIT.
	VerdictProtocolError
	// VerdictFatal: the code is malformed (first digit outside 2-5 or second
	// outside 0-5); terminate the session (RFC 5321 4.2).
	VerdictFatal
	numVerdicts
)

var verdictNames = [numVerdicts]string{
	VerdictNone:          "none",
	VerdictProceed:       "proceed",
	VerdictContinue:      "continue",
	VerdictTempFail:      "temporary failure",
	VerdictPermFail:      "permanent failure",
	VerdictFallbackHELO:  "fall back to HELO",
	VerdictClose:         "close",
	VerdictQuit:          "quit",
	VerdictStartTLS:      "start TLS",
	VerdictAuthenticated: "authenticated",
	VerdictReset:         "reset",
	VerdictProtocolError: "protocol error",
	VerdictFatal:         "fatal",
}

// String returns the name of the verdict.
func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// Hint is a set of facts a reply carries beyond its verdict. The zero value
// means none.
type Hint uint8

// Hints.
const (
	// HintForwardPath: the text of a 251 or 551 reply to RCPT or VRFY names
	// a forward-path the client may parse (RFC 5321 3.4, 4.2).
	HintForwardPath Hint = 1 << iota
	// HintNewTransaction: a 452 (or 552) to RCPT means "too many
	// recipients": send the remaining ones in a new transaction (RFC 5321
	// 4.5.3.1.10).
	HintNewTransaction
	// HintServerResponsible: a 2yz ends a message; the server is now
	// responsible for delivering it (RFC 5321 4.2.5).
	HintServerResponsible
	// HintClientResponsible: a 4yz or 5yz (or a lost connection) ends a
	// message; the server must not deliver it and the client keeps it
	// (RFC 5321 4.2.5).
	HintClientResponsible
	// HintTurnaround: a 2yz to ATRN; the roles reverse and the client now
	// acts as the server (RFC 2645).
	HintTurnaround
)

// hintNames names each bit of a Hint; "" marks an unused bit.
var hintNames = [8]string{"forward-path", "new transaction", "server responsible",
	"client responsible", "turnaround"}

// Has reports whether every hint of x is in h.
func (h Hint) Has(x Hint) bool { return h&x == x }

// String returns the names of the hints in h separated by "|", or "none".
func (h Hint) String() string {
	if h == 0 {
		return "none"
	}
	var b strings.Builder
	for i, name := range hintNames {
		if bit := Hint(1) << i; h&bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			if name == "" {
				name = "Hint(" + strconv.Itoa(int(bit)) + ")"
			}
			b.WriteString(name)
		}
	}
	return b.String()
}

// Judgment is the verdict on one reply code received at one stage.
type Judgment struct {
	// Stage and Code are what was judged.
	Stage Stage
	Code  reply.Code
	// Verdict is what the client does.
	Verdict Verdict
	// Listed reports whether the RFCs list Code for Stage (Stage.Allows).
	// A valid code that is not listed is still acted on by its first digit
	// (RFC 5321 4.2, 4.3.2); the Checker reports it under Stage.Rule.
	Listed bool
	// Hints are the facts the reply carries beyond the verdict.
	Hints Hint
	// Rule cites the rule that decided Verdict, e.g. "RFC 5321 4.5.3.1.10".
	Rule string
}

// Rule citations used by Judge.
const (
	ruleFirstDigit = "RFC 5321 4.2"      // unlisted codes: act on the first digit
	ruleMalformed  = "RFC 5321 4.2"      // Reply-code = %x32-35 %x30-35 %x30-39
	ruleClosing    = "RFC 5321 3.8"      // 421 from any command, or asynchronously
	ruleRejected   = "RFC 5321 3.1"      // 554 greeting: send QUIT
	ruleFallback   = "RFC 5321 3.2"      // EHLO refused: fall back to HELO
	ruleSequence   = "RFC 5321 4.3.2"    // 3yz only where an intermediate reply is defined
	ruleQuit       = "RFC 5321 4.1.1.10" // QUIT ends the session
	ruleTooMany    = "RFC 5321 4.5.3.1.10"
	ruleDataEnd    = "RFC 5321 4.2.5"
	ruleNoCommand  = "RFC 5321 4.2" // every command, and only a command, gets one reply
)

// Judge returns what a client does with code received in reply to stage
// (SPEC 2.4a). A malformed code is fatal (RFC 5321 4.2); 421 closes at every
// stage (RFC 5321 3.8); any other code acts by its first digit, listed or not
// (RFC 5321 4.2, 4.3.2): 2yz proceed, 3yz continue where an intermediate
// reply is defined (DATA, AUTH) and a protocol error elsewhere, 4yz and 5yz
// temporary and permanent failure. The exceptions are in judgeStage: a 4yz
// or 5yz greeting means QUIT, a 5yz to EHLO means HELO, a 2yz to DATA is a
// protocol error, 452 and 552 to RCPT are temporary, a 2yz to STARTTLS, AUTH
// or XCLIENT starts TLS, authenticates or resets, any reply to QUIT closes,
// and a reply with nothing outstanding is a protocol error. A stage out of
// range is treated as StageNone. Judge does not allocate.
func Judge(stage Stage, code reply.Code) Judgment {
	r := stage.rules()
	if stage >= numStages {
		stage = StageNone
	}
	j := Judgment{Stage: stage, Code: code, Listed: r.listed.Has(code), Rule: r.rule}
	if !j.Listed {
		j.Rule = ruleFirstDigit
	}
	if !code.Valid() {
		j.Verdict, j.Rule = VerdictFatal, ruleMalformed
		return j
	}
	if code == reply.CodeServiceNotAvailable {
		j.Verdict, j.Rule = VerdictClose, ruleClosing
		if r.message {
			j.Hints = HintClientResponsible
		}
		return j
	}
	switch code.Class() {
	case reply.ClassPositive:
		j.Verdict = VerdictProceed
	case reply.ClassIntermediate:
		j.Verdict = VerdictContinue
		if !r.intermediate {
			j.Verdict, j.Rule = VerdictProtocolError, ruleSequence
		}
	case reply.ClassTransient:
		j.Verdict = VerdictTempFail
	default:
		j.Verdict = VerdictPermFail
	}
	if r.message {
		switch j.Verdict {
		case VerdictProceed:
			j.Hints = HintServerResponsible
			if j.Listed {
				j.Rule = ruleDataEnd
			}
		case VerdictTempFail, VerdictPermFail:
			j.Hints = HintClientResponsible
			if j.Listed {
				j.Rule = ruleDataEnd
			}
		}
	}
	judgeStage(&j)
	return j
}

// judgeStage applies the per-stage exceptions of Judge to a valid code other
// than 421; each case cites its rule.
func judgeStage(j *Judgment) {
	class := j.Code.Class()
	switch j.Stage {
	case StageNone: // RFC 5321 4.2: one reply per command
		j.Verdict, j.Rule = VerdictProtocolError, ruleNoCommand
	case StageGreeting: // RFC 5321 3.1: a refused session still ends with QUIT
		if j.Code.IsNegative() {
			j.Verdict = VerdictQuit
			if j.Listed {
				j.Rule = ruleRejected
			}
		}
	case StageEhlo: // RFC 5321 3.2: fall back to HELO
		if class == reply.ClassPermanent {
			j.Verdict, j.Rule = VerdictFallbackHELO, ruleFallback
		}
	case StageRcpt, StageVrfy: // RFC 5321 3.4 (251/551), 4.5.3.1.10 (too many)
		if j.Code == reply.CodeUserNotLocal || j.Code == reply.CodeUserNotLocalTry {
			j.Hints |= HintForwardPath
		}
		if j.Stage == StageRcpt && (j.Code == reply.CodeInsufficientStorage || j.Code == reply.CodeExceededStorage) {
			j.Verdict, j.Rule = VerdictTempFail, ruleTooMany
			j.Hints |= HintNewTransaction
		}
	case StageData: // RFC 5321 4.3.2: DATA succeeds with 354 only
		if class == reply.ClassPositive {
			j.Verdict, j.Rule = VerdictProtocolError, ruleSequence
		}
	case StageQuit: // RFC 5321 4.1.1.10: the server closes after its 221
		if class == reply.ClassPositive {
			j.Verdict, j.Rule = VerdictClose, ruleQuit
		}
	case StageStartTLS: // RFC 3207 4: 220, then the handshake
		if class == reply.ClassPositive {
			j.Verdict = VerdictStartTLS
		}
	case StageAuth: // RFC 4954 6: 235 ends the exchange
		if class == reply.ClassPositive {
			j.Verdict = VerdictAuthenticated
		}
	case StageAtrn: // RFC 2645: 250 reverses the roles
		if class == reply.ClassPositive {
			j.Hints |= HintTurnaround
		}
	case StageXclient: // Postfix XCLIENT_README: 220 restarts the session
		if class == reply.ClassPositive {
			j.Verdict = VerdictReset
		}
	}
}

// JudgeLost returns what a client does when the connection closes while it
// waits for a reply at stage: it acts as if 451 had been received (RFC 5321
// 3.8), so an unfinished transaction failed temporarily and a message whose
// end-of-data reply never came stays the client's. A connection lost after
// QUIT, or with nothing outstanding, just closes.
func JudgeLost(stage Stage) Judgment {
	j := Judge(stage, reply.CodeLocalError)
	j.Listed, j.Rule = true, ruleClosing
	switch j.Stage {
	case StageNone, StageQuit:
		j.Verdict, j.Hints = VerdictClose, 0
	default:
		j.Verdict = VerdictTempFail
		j.Hints &= HintClientResponsible
	}
	return j
}

// Problem returns the rule a reply breaks and a short description, or ok ==
// false when the reply is one the RFCs list for its stage. The Checker uses
// it to report a server violation; the client still acts on Verdict.
func (j Judgment) Problem() (rule, detail string, ok bool) {
	switch {
	case j.Verdict == VerdictFatal:
		return ruleMalformed, j.Code.String() + " is not a valid reply code", true
	case j.Verdict == VerdictProtocolError && j.Stage == StageNone:
		return j.Rule, j.Code.String() + " answers no command", true
	case j.Verdict == VerdictProtocolError:
		return j.Rule, j.Code.String() + " makes no sense as a reply to " + j.Stage.String(), true
	case !j.Listed:
		return j.Stage.Rule(), j.Code.String() + " is not a listed reply to " + j.Stage.String(), true
	}
	return "", "", false
}

// stageRule is one row of stageRules.
type stageRule struct {
	name   string
	verb   wire.Verb // the command, for StageFor
	rule   string    // cites the list of replies
	listed CodeSet   // every code listed, universal and extension codes too
	// intermediate: a 3yz reply is defined (DATA, AUTH); message: the reply
	// ends a message (RFC 5321 4.2.5).
	intermediate, message bool
}

var (
	// anyCommand holds the codes any command may return: 500 (line too long,
	// command not recognised), 501 (syntax) and 421 (closing) (RFC 5321
	// section 4.3.2, first paragraph of the lists).
	anyCommand = CodeSetOf(421, 500, 501)
	// notOffered holds 502, the reply to a recognised command the server does
	// not implement (RFC 5321 section 4.2.4): how a server refuses an
	// extension command it does not offer.
	notOffered = CodeSetOf(502)
	// required holds 530: RFC 4954 section 6 lets a server that requires
	// authentication return it to any command but AUTH, EHLO, HELO, NOOP,
	// RSET and QUIT, and RFC 3207 section 4 lets a server that requires TLS
	// return it to any command but NOOP, EHLO, STARTTLS and QUIT. A stage
	// gets it when either RFC allows it, that is every command but EHLO
	// (and LMTP's LHLO, which takes EHLO's place), NOOP and QUIT.
	required = CodeSetOf(530)
	// messageEnd holds the codes RFC 5321 4.3.2 lists after the data:
	// 250; 552, 554, 451, 452; 450, 550 for policy.
	messageEnd = CodeSetOf(250, 552, 554, 451, 452, 450, 550)
)

// stageRules lists, per stage, the replies of RFC 5321 section 4.3.2 (typed
// verbatim, S: and E: together, I: marked intermediate) and of the extension
// RFCs (SPEC 2.3), then adds the codes any command may return.
//
// Decisions beyond the verbatim lists:
//   - The greeting is not a command, so it gets neither 500 nor 501; it gets
//     421, which a server may send "asynchronously from command receipt"
//     (RFC 5321 3.8), and 521 "does not accept mail" (RFC 7504 3).
//   - The end-of-data reply is DATA's final reply, so it gets the
//     any-command codes; 530 does not apply, the DATA command already passed.
//   - RCPT also gets 556 "domain does not accept mail" (RFC 7504 3).
//   - Extension commands also get 502 (notOffered).
//   - BDAT gets the end-of-data codes and 503 (RFC 3030 2: a chunk's reply
//     reports the failure of the message, and 503 when BDAT follows a LAST
//     or is mixed with DATA).
//   - BURL gets RFC 4468 section 6's examples (250; 554, 503, 552, 451) and
//     the end-of-data codes: "BURL clients MUST tolerate any valid SMTP
//     response code".
//   - StageOther (an unknown or historic verb) gets the any-command codes
//     and 502 only; StageNone gets 421 alone (RFC 5321 3.8).
var stageRules = [numStages]stageRule{
	StageNone: {name: "none", rule: ruleNoCommand,
		listed: CodeSetOf(421)},
	StageGreeting: {name: "greeting", rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(220, 554, 421, 521)},
	StageEhlo: {name: "EHLO", verb: wire.VerbEHLO, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 504, 550, 502).Union(anyCommand)},
	StageHelo: {name: "HELO", verb: wire.VerbHELO, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 504, 550, 502).Union(anyCommand).Union(required)},
	StageLhlo: {name: "LHLO", verb: wire.VerbLHLO, rule: "RFC 2033 4.1",
		listed: CodeSetOf(250, 504, 550, 502).Union(anyCommand)},
	StageMail: {name: "MAIL", verb: wire.VerbMAIL, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 552, 451, 452, 550, 553, 503, 455, 555).Union(anyCommand).Union(required)},
	StageRcpt: {name: "RCPT", verb: wire.VerbRCPT, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555, 556).Union(anyCommand).Union(required)},
	StageData: {name: "DATA", verb: wire.VerbDATA, rule: "RFC 5321 4.3.2", intermediate: true,
		listed: CodeSetOf(354, 503, 554).Union(anyCommand).Union(required)},
	StageEndOfData: {name: "end of data", rule: "RFC 5321 4.3.2", message: true,
		listed: messageEnd.Union(anyCommand)},
	StageBDAT: {name: "BDAT", verb: wire.VerbBDAT, rule: "RFC 3030 2",
		listed: messageEnd.With(503).Union(anyCommand).Union(notOffered).Union(required)},
	StageBDATLast: {name: "BDAT LAST", rule: "RFC 3030 2", message: true,
		listed: messageEnd.With(503).Union(anyCommand).Union(notOffered).Union(required)},
	StageRset: {name: "RSET", verb: wire.VerbRSET, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250).Union(anyCommand).Union(required)},
	StageVrfy: {name: "VRFY", verb: wire.VerbVRFY, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 251, 252, 550, 551, 553, 502, 504).Union(anyCommand).Union(required)},
	StageExpn: {name: "EXPN", verb: wire.VerbEXPN, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250, 252, 550, 500, 502, 504).Union(anyCommand).Union(required)},
	StageHelp: {name: "HELP", verb: wire.VerbHELP, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(211, 214, 502, 504).Union(anyCommand).Union(required)},
	StageNoop: {name: "NOOP", verb: wire.VerbNOOP, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(250).Union(anyCommand)},
	StageQuit: {name: "QUIT", verb: wire.VerbQUIT, rule: "RFC 5321 4.3.2",
		listed: CodeSetOf(221).Union(anyCommand)},
	// RFC 3207 section 4: 220 ready, 501 arguments, 454 TLS not available;
	// 503 for STARTTLS under TLS (bad sequence, RFC 5321 4.2.3).
	StageStartTLS: {name: "STARTTLS", verb: wire.VerbSTARTTLS, rule: "RFC 3207 4",
		listed: CodeSetOf(220, 454, 501, 503).Union(anyCommand).Union(notOffered).Union(required)},
	// RFC 4954 sections 4 and 6: 334 continue; 235 success; 432, 454
	// temporary; 500 line too long, 501 cancelled or bad base64, 503 AUTH
	// twice or in a transaction, 504 unknown mechanism, 534, 535, 538.
	StageAuth: {name: "AUTH", verb: wire.VerbAUTH, rule: "RFC 4954 6", intermediate: true,
		listed: CodeSetOf(334, 235, 432, 454, 500, 501, 503, 504, 530, 534, 535, 538).Union(anyCommand).Union(notOffered)},
	// RFC 1985 section 5: 250, 251, 252, 253 started or nothing waiting;
	// 458 unable to queue, 459 node not allowed; 500, 501 syntax.
	StageEtrn: {name: "ETRN", verb: wire.VerbETRN, rule: "RFC 1985 5",
		listed: CodeSetOf(250, 251, 252, 253, 458, 459, 500, 501).Union(anyCommand).Union(notOffered).Union(required)},
	// RFC 2645 section 5: 250 turnaround, 450 refused, 451 unable now, 453
	// no mail, 501 syntax, 502 not implemented, 530 authentication required.
	StageAtrn: {name: "ATRN", verb: wire.VerbATRN, rule: "RFC 2645 5",
		listed: CodeSetOf(250, 450, 451, 453, 501, 502, 530).Union(anyCommand)},
	StageBurl: {name: "BURL", verb: wire.VerbBURL, rule: "RFC 4468 6",
		listed: messageEnd.With(503).Union(anyCommand).Union(notOffered).Union(required)},
	StageBurlLast: {name: "BURL LAST", rule: "RFC 4468 6", message: true,
		listed: messageEnd.With(503).Union(anyCommand).Union(notOffered).Union(required)},
	// Postfix XCLIENT_README: 220 (the session restarts with a new
	// greeting), 421, 501 bad syntax, 503 inside a transaction, 550 not
	// authorised.
	StageXclient: {name: "XCLIENT", verb: wire.VerbXCLIENT, rule: "Postfix XCLIENT_README",
		listed: CodeSetOf(220, 421, 501, 503, 550).Union(anyCommand).Union(notOffered).Union(required)},
	StageXforward: {name: "XFORWARD", verb: wire.VerbXFORWARD, rule: "Postfix XFORWARD_README",
		listed: CodeSetOf(250, 421, 501, 503, 550).Union(anyCommand).Union(notOffered).Union(required)},
	StageOther: {name: "other command", rule: "RFC 5321 4.3.2",
		listed: anyCommand.Union(notOffered).Union(required)},
}
