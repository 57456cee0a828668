package state

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds how the Checker reads the client's octets: through the
// shadow Server, whose tap it is, and by the order of the writes.

// line is the shadow's tap for each line it reads: it queues the reply the
// client now awaits and checks what the shadow, being lenient, lets by.
func (k *Checker) line(verb wire.Verb, line []byte, auth bool) {
	if auth {
		// A SASL response line is answered like AUTH (RFC 4954 section 4).
		k.await(expect{stage: StageAuth, verb: wire.VerbAUTH, ends: true, line: "SASL response"})
		return
	}
	k.track(verb)
	stage := StageFor(verb)
	if (verb == wire.VerbBDAT || verb == wire.VerbBURL) && hasLast(line) {
		stage = stage.Last()
	}
	ends := EndsGroup(verb, oneRoundAuth(line))
	if verb == wire.VerbQUIT {
		k.quitSent = true
	}
	k.await(expect{stage: stage, verb: verb, ends: ends, line: shorten(line)})
	// RFC 2920 section 3.1: what follows a command that ends a group, or
	// any command without PIPELINING, was sent before its reply. STARTTLS
	// is judged by the boundary rule, BDAT is followed by its chunk.
	if verb != wire.VerbBDAT && verb != wire.VerbSTARTTLS && k.behind() &&
		(ends || !k.pipelining()) {
		k.outOfTurn("RFC 2920 3.1", verb.String()+" followed by octets sent before its reply", k.consumed())
	}
	k.strict(verb, line)
}

// track notes the command line the shadow just read, for early.
func (k *Checker) track(verb wire.Verb) {
	k.lastVerb, k.lastEarly = verb, k.inServer
	switch verb {
	case wire.VerbMAIL:
		k.mailSent, k.rcptsSent = true, 0
	case wire.VerbRCPT:
		k.rcptsSent++
	case wire.VerbRSET, wire.VerbEHLO, wire.VerbHELO, wire.VerbLHLO:
		k.mailSent, k.rcptsSent = false, 0
	}
}

// early reports whether the shadow refused the last command for a reply
// the client had not seen when it wrote it: a RCPT pipelined behind a MAIL
// the server refused, DATA or BDAT pipelined behind RCPTs it all refused
// or behind a refused MAIL.
// Written with PIPELINING, before those replies, they were legal: "the
// client cannot assume that the DATA command will be rejected just
// because none of the RCPT TO commands worked" (RFC 2920 section 3.1).
// Without PIPELINING the early write is reported by checkTurn instead.
func (k *Checker) early(err error) bool {
	if !k.lastEarly || !errors.Is(err, ErrBadSequence) {
		return false
	}
	switch k.lastVerb {
	case wire.VerbRCPT:
		return k.mailSent && k.srv.phase == PhaseReady
	case wire.VerbDATA, wire.VerbBDAT:
		return k.mailSent && k.rcptsSent > 0 && (k.srv.phase == PhaseMail || k.srv.phase == PhaseReady)
	}
	return false
}

// strict reports syntax that only the shadow's leniency accepted (RFC 5321
// section 4.1.2 has no space after "FROM:", for one).
func (k *Checker) strict(verb wire.Verb, line []byte) {
	if verb == wire.VerbUnknown || verb == wire.VerbBDAT {
		return
	}
	opts := wire.ParseOptions{UTF8: k.srv.exts.Has(wire.ExtSMTPUTF8)}
	if verb == wire.VerbRCPT {
		opts.UTF8 = k.srv.tx.utf8
	}
	if _, err := wire.ParseCommand(line, opts); err != nil {
		opts.Lenient = true
		if _, lerr := wire.ParseCommand(line, opts); lerr == nil {
			rule, detail, _ := clientRule(err)
			k.client(rule, detail+" in "+shorten(line), err)
		}
	}
}

// hasLast reports a BDAT or BURL line ending in " LAST".
func hasLast(line []byte) bool {
	n := len(" LAST")
	return len(line) >= n && bytes.EqualFold(line[len(line)-n:], []byte(" LAST"))
}

// endData is the shadow's tap at the end of DATA content.
func (k *Checker) endData() {
	if k.srv.mode == readData {
		k.await(expect{stage: StageEndOfData, verb: wire.VerbDATA, ends: true, line: "end of data"})
	}
}

// wrote is the shadow's tap for each reply it writes. A reply written by
// itself, not for Respond, is the one the RFCs require; it goes to the
// newest awaited reply, or to a new one when that has one (the further
// replies of a refused LMTP message, RFC 2033 section 4.2).
func (k *Checker) wrote(code reply.Code) {
	if k.responding || len(k.queue) == 0 {
		return
	}
	last := &k.queue[len(k.queue)-1]
	if last.decision {
		return
	}
	if last.own != 0 {
		e := *last
		e.err = nil
		k.queue = append(k.queue, e)
		last = &k.queue[len(k.queue)-1]
	}
	last.own = code
	k.lastOut = len(k.queue) - 1
}

// await queues a reply the client now awaits, in the shadow Client too.
func (k *Checker) await(e expect) {
	if len(k.queue) >= maxCheckerQueue {
		k.stop("more than " + strconv.Itoa(maxCheckerQueue) + " commands without replies")
		return
	}
	k.queue = append(k.queue, e)
	_ = k.cli.RawBytes(nil, e.stage)
}

// pump runs the shadow Server on the client's octets until it needs a
// reply of the real server or more octets.
func (k *Checker) pump() {
	for k.report.Stopped == "" {
		ev := k.srv.Next()
		switch {
		case ev.Kind == EventNone:
			if len(k.pend) == 0 || k.srv.phase == PhaseTLS || k.tlsPending {
				return
			}
			if err := k.srv.Receive(k.pend); err != nil {
				return
			}
			k.pend = k.pend[:0]
		case ev.Kind.IsDecision():
			if n := len(k.queue); n > 0 {
				k.queue[n-1].decision = true
			}
			return
		case ev.Kind == EventRejected, ev.Kind == EventAuthAbort:
			k.refused(ev.Err)
		case ev.Kind == EventClose:
			if !k.shadowDone && ev.Reply.Code != 0 && ev.Err != nil {
				k.refused(ev.Err)
			}
			k.shadowDone = true
			return
		}
	}
}

// refused records why the shadow refused the client's last command, and
// reports it when it is a violation of the client.
func (k *Checker) refused(err error) {
	if err == nil {
		return
	}
	if k.lastOut < len(k.queue) {
		k.queue[k.lastOut].err = err
	}
	if k.report.Diverged != "" && (errors.Is(err, ErrBadSequence) || errors.Is(err, ErrNotAdvertised)) {
		return // the shadow's phase no longer follows the session
	}
	if k.early(err) {
		return
	}
	if rule, detail, ok := clientRule(err); ok {
		var v *Violation
		if errors.As(err, &v) {
			err = v.Err
		}
		k.client(rule, detail, err)
	}
}

// clientRule returns the rule a refusal of the shadow says the client
// broke; ok is false for refusals that are policy, not a violation.
func clientRule(err error) (rule, detail string, ok bool) {
	var v *Violation
	var se *wire.SyntaxError
	var be *tlsmode.BoundaryError
	switch {
	case errors.Is(err, errAuthCancelled), errors.Is(err, ErrBusy), errors.Is(err, wire.ErrMessageTooBig):
		// A choice the RFCs leave to the client (RFC 4954 4), or a
		// limit they say it SHOULD keep (RFC 1870 6.1, RFC 9422 4).
		return "", "", false
	case errors.As(err, &v):
		return v.Rule, v.Detail, true
	case errors.As(err, &se):
		d := se.Reason
		if se.Element != "" {
			d = se.Element + ": " + d
		}
		return se.Rule, d, true
	case errors.As(err, &be):
		return "RFC 3207 4.2", "commands sent with STARTTLS, before its reply", true
	case errors.Is(err, wire.ErrLineTooLong):
		return "RFC 5321 4.5.3.1.4", "line longer than the limit", true
	case errors.Is(err, wire.ErrBareLF), errors.Is(err, wire.ErrBareCR):
		return "RFC 5321 2.3.8", "bare CR or LF: " + err.Error(), true
	case errors.Is(err, wire.ErrNUL):
		return "RFC 5321 4.5.2", "NUL octet", true
	}
	return "RFC 5321 4.1", err.Error(), true
}

// checkTurn applies the timing rules to a client write that starts at
// offset start: nothing before the greeting (RFC 5321 section 3.1),
// nothing behind a command that ends a group, nothing before a reply
// without PIPELINING (RFC 2920 section 3.1).
func (k *Checker) checkTurn(start int64) {
	if k.cli.term {
		k.client("RFC 5321 4.1.1.10", "octets written after the session ended", nil)
		return
	}
	if k.srv.mode == readData || k.srv.mode == readChunk || k.srv.mode == readSkip {
		return // message content goes on
	}
	if !k.serverSpoke {
		k.outOfTurn("RFC 5321 3.1", "written before the server's greeting", start)
		return
	}
	if len(k.queue) == 0 && len(k.pend) == 0 && !k.srv.ahead() {
		return
	}
	for _, e := range k.queue {
		if e.ends {
			k.outOfTurn("RFC 2920 3.1", "written before the reply to "+e.stage.String()+", which ends a group", start)
			return
		}
	}
	if !k.pipelining() {
		k.outOfTurn("RFC 2920 3.1", "written before the last reply, and PIPELINING was not offered", start)
	}
}

// outOfTurn reports octets sent out of turn from offset at, once.
func (k *Checker) outOfTurn(rule, detail string, at int64) {
	if at < k.flagged {
		return
	}
	k.flagged = k.cOff
	k.client(rule, detail, nil)
}

// behind reports whether the client sent octets behind the line the
// shadow just read, before its reply.
func (k *Checker) behind() bool { return k.srv.ahead() || len(k.pend) > 0 }

// consumed is the client offset up to which the shadow has read.
func (k *Checker) consumed() int64 {
	return k.cOff - int64(len(k.pend)) - int64(len(k.srv.in)-k.srv.r)
}

// pipelining reports whether the server offered PIPELINING in the EHLO
// reply in effect (RFC 2920 section 3).
func (k *Checker) pipelining() bool {
	return k.cli.conf.ehlo && k.cli.caps.Has(wire.ExtPIPELINING)
}
