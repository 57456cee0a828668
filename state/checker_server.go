package state

import (
	"errors"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds how the Checker reads the server's octets: through the
// shadow Client, each reply matched to the oldest awaited one and held
// against what the shadow Server made of the command.

// replies reads every complete reply the shadow Client has.
func (k *Checker) replies() {
	for k.report.Stopped == "" {
		ev := k.cli.Next()
		switch ev.Kind {
		case ClientEventNone:
			return
		case ClientEventError:
			k.brokenReply(ev)
			return
		case ClientEventClosed:
			if ev.Stage == StageNone && ev.Code == 0 {
				return // the end of the server's stream, taken by Closed
			}
		}
		if ev.Stage == StageNone {
			return // an unsolicited 421 (RFC 5321 section 3.8) ends it
		}
		if len(k.queue) == 0 {
			k.stop("a reply the Checker cannot match to a command")
			return
		}
		e := k.queue[0]
		k.queue = k.queue[1:]
		if k.lastOut > 0 {
			k.lastOut--
		}
		k.answer(e, ev)
		k.pump()
	}
}

// brokenReply reports what the shadow Client refused in the server's
// octets; checking cannot go on past it.
func (k *Checker) brokenReply(ev ClientEvent) {
	var v *Violation
	if errors.As(ev.Err, &v) {
		switch {
		case ev.Stage == StageNone && k.srv.mode == readData:
			// A reply inside the content: the server took something
			// else than CRLF "." CRLF as its end (SMTP smuggling).
			k.server("RFC 5321 4.1.1.4", "reply in the middle of the message content: "+
				"the server ended the data somewhere other than at CRLF.CRLF", v.Err)
		case ev.Stage == StageNone && (bareLF(k.srv.input()) || bareLF(k.pend)):
			// The shadow waits for the CRLF that ends the line.
			k.server("RFC 5321 2.3.8", "reply to a command line ended by a bare LF", v.Err)
		default:
			k.server(v.Rule, v.Detail, v.Err)
		}
	}
	k.stop("the server's replies cannot be followed past a violation of the reply syntax or order")
}

// bareLF reports an LF without CR before it in b.
func bareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// answer holds the real reply ev to what the shadow made of its command.
func (k *Checker) answer(e expect, ev ClientEvent) {
	if e.stage == StageStartTLS && ev.Judgment.Verdict == VerdictStartTLS {
		k.tlsPending = true
		if n := len(k.cli.in) - k.cli.inPos; n > 0 {
			// RFC 3207 section 4.2: octets behind the 220 came in clear;
			// a client must never read them as if they came through TLS.
			k.server("RFC 3207 4.2", strconv.Itoa(n)+
				" octets after the 220 reply to STARTTLS, before the TLS handshake (response injection)", nil)
			k.cli.inPos = len(k.cli.in)
		}
	}
	switch {
	case e.decision:
		k.respond(e, ev)
	case e.own != 0:
		k.compare(e, ev.Code)
	default:
		// The shadow has not finished reading the command: a reply
		// before the end of a BDAT chunk, say.
		k.server("RFC 5321 4.2", "reply to "+e.stage.String()+" before the client finished sending it", nil)
		k.stop("a reply before its command was complete")
	}
}

// respond gives the shadow Server's pending decision the real reply.
func (k *Checker) respond(e expect, ev ClientEvent) {
	pending := k.srv.ev.Kind
	if !k.srv.pending {
		return
	}
	if ev.Kind == ClientEventChallenge {
		if ev.Err != nil {
			var v *Violation
			if errors.As(ev.Err, &v) {
				k.server(v.Rule, v.Detail, v.Err)
			}
		}
		_ = k.srv.Challenge(ev.Text)
		return
	}
	if (pending == EventHello) && ev.Code.IsPositive() && e.verb != wire.VerbHELO {
		k.srv.adopt(k.cli.caps)
	}
	r := reply.Reply{Code: ev.Code, Enhanced: ev.Enhanced, Text: string(ev.Text)}
	k.responding = true
	err := k.srv.Respond(r)
	k.responding = false
	if err != nil {
		k.server(e.stage.Rule(), strconv.Itoa(int(ev.Code))+" is not a reply to "+e.stage.String(), err)
		k.stop("the server's reply leaves the session undefined")
		return
	}
	if pending == EventMessage && k.srv.pending && k.srv.ev.Kind == EventMessage {
		// RFC 2033 section 4.2: one more reply, for the next recipient;
		// the shadow Client awaits it already.
		k.queue = append(k.queue, expect{stage: e.stage, verb: e.verb, ends: true, decision: true, line: e.line})
	}
}

// compare holds the real code against the reply the shadow Server gave by
// itself, the one the RFCs require.
func (k *Checker) compare(e expect, got reply.Code) {
	want := e.own
	if got == want || got == reply.CodeServiceNotAvailable {
		return // equal, or 421: a server may end any session (RFC 5321 3.8)
	}
	wantOK, gotOK := accepts(want), accepts(got)
	switch {
	case !wantOK && gotOK:
		if k.report.Diverged == "" && strictRefusal(e.err) {
			if rule, detail, ok := clientRule(e.err); ok {
				k.server(rule, e.line+" accepted with "+strconv.Itoa(int(got))+"; "+
					strconv.Itoa(int(want))+" required ("+detail+")", nil)
			}
		}
		if changesSession(e.verb) {
			k.diverge("the server accepted " + e.line + " (" + strconv.Itoa(int(got)) + "), which the RFCs refuse with " + strconv.Itoa(int(want)))
		}
	case wantOK && !gotOK:
		if e.stage == StageStartTLS {
			k.srv.refuseTLS() // 454: the session goes on in clear
			return
		}
		if changesSession(e.verb) {
			k.diverge("the server refused " + e.line + " (" + strconv.Itoa(int(got)) + ")")
		}
	case k.report.Diverged != "":
	case want == reply.CodeBadSequence && syntaxFamily(got) && errors.Is(e.err, ErrBadSequence):
		rule, _, _ := clientRule(e.err)
		k.server(rule, e.line+" out of sequence answered "+strconv.Itoa(int(got))+"; 503 required", nil)
	case want == reply.CodeParamsNotRecognized && syntaxFamily(got):
		k.server("RFC 5321 4.1.1.11", e.line+": unrecognised parameter answered "+
			strconv.Itoa(int(got))+"; 555 required", nil)
	}
}

// accepts reports a 2yz or 3yz code.
func accepts(c reply.Code) bool { return c.IsPositive() || c.IsIntermediate() }

// syntaxFamily reports the x0z codes of RFC 5321 section 4.2.1 that speak
// of syntax, not sequence: 500, 501, 502 and 504.
func syntaxFamily(c reply.Code) bool {
	switch c {
	case reply.CodeSyntaxError, reply.CodeParamSyntaxError, reply.CodeNotImplemented, reply.CodeParamNotImplemented:
		return true
	}
	return false
}

// strictRefusal reports a refusal no server may turn into acceptance: a
// command out of sequence, bad syntax even for a lenient reader, a bare
// CR or LF in a command line.
func strictRefusal(err error) bool {
	var se *wire.SyntaxError
	switch {
	case errors.Is(err, wire.ErrMessageTooBig):
		// Over the advertised SIZE: a limit the server SHOULD keep (RFC
		// 1870 section 6.1), not a refusal the RFCs require.
		return false
	case errors.Is(err, ErrBadSequence):
		return true
	case errors.Is(err, wire.ErrBareLF), errors.Is(err, wire.ErrBareCR):
		return true
	case errors.As(err, &se):
		return !errors.Is(err, wire.ErrParamNotAdvertised) && !errors.Is(err, wire.ErrUnknownParam)
	}
	return false
}

// changesSession reports the verbs whose acceptance changes what later
// commands may do.
func changesSession(v wire.Verb) bool {
	switch v {
	case wire.VerbVRFY, wire.VerbEXPN, wire.VerbHELP, wire.VerbNOOP, wire.VerbETRN, wire.VerbXFORWARD:
		return false
	}
	return true
}

// adopt makes the shadow Server offer what the real server's EHLO reply
// in c offers, with no policy limit of its own, so that it refuses only
// what the RFCs refuse.
func (s *Server) adopt(c *wire.Capabilities) {
	e := c.Exts().With(wire.ExtEXPN)
	for _, x := range wire.Exts() {
		if unsupportedExts.Has(x) {
			e = e.Without(x)
		}
	}
	if s.tls {
		e = e.With(wire.ExtSTARTTLS) // offered() takes it out again
	}
	s.cfg.Extensions = e
	s.mechs = c.AuthMechanisms()
	s.cfg.AllowInsecureAuth = true
	s.cfg.MaxMessageSize = 0
	if n, ok := c.Size(); ok && n > 0 && n < 1<<62 {
		s.cfg.MaxMessageSize = int64(n)
	}
	s.cfg.Limits = c.Limits()
	s.cfg.FutureReleaseMax = 1 << 62
}
