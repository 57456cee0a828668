package state

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// readLine consumes one line: a command, or a SASL response in PhaseAuth.
// more reports that the loop should go on without an event.
func (s *Server) readLine() (ok, more bool) {
	if s.closing && s.shutdownNow() {
		return true, false
	}
	adv, line, err := s.split.Split(s.input())
	if adv == 0 {
		if s.eof {
			return s.lost(), false
		}
		return false, false
	}
	s.r += adv
	if err != nil && s.lineDropped == 0 && errors.Is(err, wire.ErrLineTooLong) {
		s.longVerb = lineVerb(s.in[s.r-adv : s.r]) // the whole line came at once
	}
	if err == nil && line == nil {
		if s.lineDropped == 0 {
			s.longVerb = lineVerb(s.in[s.r-adv : s.r]) // the line's start
		}
		s.lineDropped += int64(adv)
		if s.lineDropped > maxOverlongLine {
			// No client of good faith sends this; one that does so fast
			// would pass every timeout and rate floor, reading costs
			// nothing in memory but holds the session (RFC 5321 7.8).
			s.fail(breach(wire.ErrLineTooLong, "RFC 5321 4.5.3.1.4", "a line of more than "+strconv.Itoa(maxOverlongLine)+" octets"), s.texts.overlong)
			return true, false
		}
		return false, true // part of an over-long line dropped
	}
	// The next line begins; its octets so far came at the latest now.
	s.lineStart, s.lineDropped = s.now, 0
	if s.tap != nil {
		s.tap.line(lineVerb(line), line, s.phase == PhaseAuth)
	}
	if s.phase == PhaseAuth {
		ok = s.authLine(line, err)
		return ok, !ok
	}
	if err != nil && s.longVerb == wire.VerbBDAT && errors.Is(err, wire.ErrLineTooLong) {
		// The chunk of a BDAT whose line was too long to read cannot be
		// found: close rather than run its octets as commands (RFC 3030
		// section 2), as for a BDAT without a readable size.
		s.longVerb = wire.VerbUnknown
		s.fail(err, replyBadChunk)
		return true, false
	}
	if err != nil {
		// RFC 5321 4.5.3.1.10: 500 for a line too long; a bare CR or LF
		// refuses the whole line (section 2.3.8).
		r := replyTooLong
		if !errors.Is(err, wire.ErrLineTooLong) {
			r = replyOf(err)
		}
		s.reject(r, err)
		return true, false
	}
	if !s.cfg.TolerateHTTP {
		if method := httpMethod(line); method != "" {
			s.fail(&Violation{Side: SideClient, Rule: "RFC 5321 7.8", Detail: "an HTTP " + method + " request on the SMTP port", Err: ErrProtocol}, s.texts.http)
			return true, false
		}
	}
	ok = s.command(line)
	return ok, !ok
}

// httpMethods are the request methods of RFC 9110 section 9 and WebDAV's
// common ones, and "PRI" of the HTTP/2 preface (RFC 9113 section 3.4):
// none is an SMTP verb.
var httpMethods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND", "PRI"}

// httpMethod returns the HTTP method line starts with, followed by a space,
// or "". Methods are case-sensitive (RFC 9110 section 9.1), so "get" is
// left to the command parser.
func httpMethod(line []byte) string {
	for _, m := range httpMethods {
		if len(line) > len(m) && line[len(m)] == ' ' && string(line[:len(m)]) == m {
			return m
		}
	}
	return ""
}

// maxOverlongLine is how many octets of one over-long command line or
// AUTH response the Server reads and drops before it ends the session:
// 85 times the longest AUTH line a client may send.
const maxOverlongLine = 1 << 20

// replyOf returns the reply an error of the wire package asks for.
func replyOf(err error) reply.Reply {
	var se *wire.SyntaxError
	if errors.As(err, &se) {
		return se.Reply()
	}
	return reply.Reply{Code: reply.CodeParamSyntaxError, Enhanced: reply.E(5, 5, 4), Text: "Syntax error"}
}

// reject sends r for a command the machine refused by itself and reports
// it. Past MaxErrors such refusals it answers 421 and ends the session
// instead (RFC 5321 section 7.8).
func (s *Server) reject(r reply.Reply, err error) {
	s.nErrors++
	if s.nErrors >= s.cfg.MaxErrors && s.phase != PhaseClosed {
		s.fail(err, s.texts.errors)
		return
	}
	s.write(r)
	e := s.emit(EventRejected, nil)

	e.Reply, e.Err = r, err
}

// junk counts a command that moves no mail. Past MaxJunk of them since the
// last accepted message each counts as an error, and at MaxErrors the
// session ends with 421 (it reports that, and the command is not run).
func (s *Server) junk(verb wire.Verb) bool {
	switch verb {
	case wire.VerbNOOP, wire.VerbRSET, wire.VerbVRFY, wire.VerbEXPN, wire.VerbHELP, wire.VerbETRN:
	default:
		return false
	}
	s.nJunk++
	if s.cfg.MaxJunk < 0 || s.nJunk <= s.cfg.MaxJunk {
		return false
	}
	s.nErrors++
	if s.nErrors < s.cfg.MaxErrors {
		return false
	}
	s.fail(breach(ErrBusy, "RFC 5321 7.8", "more than "+strconv.Itoa(s.cfg.MaxJunk)+" commands that moved no mail"), s.texts.errors)
	return true
}

// lineVerb returns the verb at the start of a command line.
func lineVerb(line []byte) wire.Verb {
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		line = line[:i]
	}
	return wire.LookupVerb(line)
}

// authFree are the commands RFC 4954 section 6 lets through before AUTH on
// a server that requires it, with LHLO, STARTTLS (which may have to come
// first) and XCLIENT (which proxies use to pass on the login).
func authFree(v wire.Verb) bool {
	switch v {
	case wire.VerbAUTH, wire.VerbEHLO, wire.VerbHELO, wire.VerbLHLO, wire.VerbNOOP,
		wire.VerbRSET, wire.VerbQUIT, wire.VerbSTARTTLS, wire.VerbXCLIENT:
		return true
	}
	return false
}

// pipelining reports whether PIPELINING is in effect.
func (s *Server) pipelining() bool { return s.exts.Has(wire.ExtPIPELINING) }

// command runs one command line. ok is false when the command produced no
// event (NOOP, an answered RSET outside a transaction ...).
func (s *Server) command(line []byte) bool {
	verb := lineVerb(line)
	// RFC 2920 section 3.1: a command that must end a group, or any
	// command when PIPELINING is not in effect, must not be followed by
	// octets the client sent before it saw the reply; nor may anything
	// come before the greeting.
	if s.cfg.Sync == SyncReject && verb != wire.VerbQUIT && verb != wire.VerbSTARTTLS && verb != wire.VerbBDAT {
		early := s.early
		s.early = false
		if early || s.ahead() && (!s.pipelining() || EndsGroup(verb, oneRoundAuth(line))) {
			s.fail(&Violation{Side: SideClient, Rule: "RFC 2920 3.1", Detail: verb.String() + " followed by commands sent before its reply"}, s.texts.sync)
			return true
		}
	}
	s.early = false
	if s.junk(verb) {
		return true
	}
	if verb != wire.VerbBDAT {
		if r, err, bad := s.gate(verb, line); bad {
			s.reject(r, err)
			return true
		}
	}
	opts := wire.ParseOptions{Lenient: s.cfg.Lenient, UTF8: s.exts.Has(wire.ExtSMTPUTF8)}
	if verb == wire.VerbRCPT {
		opts.UTF8 = s.tx.utf8 // RFC 6531 section 3.4
	}
	var err error
	s.cmd, err = wire.ParseCommand(line, opts)
	cmd := &s.cmd
	if verb == wire.VerbBDAT {
		return s.bdat(cmd, line, err)
	}
	if err != nil {
		s.reject(replyOf(err), err)
		return true
	}
	switch verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO:
		s.emit(EventHello, cmd)
		return true
	case wire.VerbMAIL:
		return s.mail(cmd)
	case wire.VerbRCPT:
		return s.rcpt(cmd)
	case wire.VerbDATA:
		if s.tx.body == wire.BodyBinaryMIME {
			s.reject(replyBinaryData, breach(ErrBadSequence, "RFC 3030 3", "DATA in a BODY=BINARYMIME transaction"))
			return true
		}
		s.emit(EventData, cmd)
		return true
	case wire.VerbRSET:
		s.write(replyOK)
		if s.phase.InTransaction() {
			s.endTransaction()
			s.emit(EventReset, cmd)
			return true
		}
		return false
	case wire.VerbNOOP:
		s.write(replyOK)
		return false
	case wire.VerbQUIT:
		s.write(s.texts.bye)
		s.fail(nil, reply.Reply{})
		return true
	case wire.VerbVRFY:
		s.emit(EventVrfy, cmd)
		return true
	case wire.VerbEXPN:
		s.emit(EventExpn, cmd)
		return true
	case wire.VerbHELP:
		s.emit(EventHelp, cmd)
		return true
	case wire.VerbETRN:
		s.emit(EventEtrn, cmd)
		return true
	case wire.VerbSTARTTLS:
		return s.startTLS()
	case wire.VerbAUTH:
		return s.auth(cmd)
	case wire.VerbXCLIENT, wire.VerbXFORWARD:
		a, err := wire.DecodeXAttrs(verb, cmd.Params)
		if err != nil {
			s.reject(replyOf(err), err)
			return true
		}
		k := EventXclient
		if verb == wire.VerbXFORWARD {
			k = EventXforward
		}
		s.emit(k, cmd).XAttrs = a
		return true
	}
	// The gate refuses every other verb.
	s.reject(replyUnknown, breach(ErrBadSequence, "RFC 5321 4.2.4", "unknown command"))
	return true
}

// oneRoundAuth reports an AUTH line with an initial response, which may be
// followed by more commands in a group (RFC 4954 section 4).
func oneRoundAuth(line []byte) bool {
	i := bytes.IndexByte(line, ' ')
	return i >= 0 && bytes.IndexByte(bytes.TrimRight(line[i+1:], " \t"), ' ') > 0
}

// gate decides what the machine answers to verb before looking at its
// arguments: the legality table (500, 502, 503), extensions not offered
// (502), the line length, TLS and authentication requirements (530).
func (s *Server) gate(verb wire.Verb, line []byte) (reply.Reply, error, bool) {
	cell, _ := Lookup(s.cfg.Protocol, s.phase, verb)
	if !cell.Legal() {
		switch cell.Code {
		case reply.CodeSyntaxError:
			return replyUnknown, breach(ErrBadSequence, cell.Rule, "unknown command"), true
		case reply.CodeNotImplemented:
			return replyHistoric, breach(ErrNotAdvertised, cell.Rule, verb.String()+" is not implemented"), true
		}
		r := s.badSequence(verb)
		return r, breach(ErrBadSequence, cell.Rule, verb.String()+" in phase "+s.phase.String()+": "+r.Text), true
	}
	if !s.serves(verb) {
		return reply.Reply{Code: reply.CodeNotImplemented, Enhanced: reply.E(5, 5, 1), Text: verb.String() + " not available"},
			breach(ErrNotAdvertised, "RFC 5321 2.2.1", verb.String()+" of an extension not offered"), true
	}
	limit := wire.MaxCommandLine
	switch verb {
	case wire.VerbMAIL, wire.VerbRCPT:
		limit = wire.CommandLineLimit(s.exts)
	case wire.VerbAUTH:
		limit = wire.MaxAuthLine
	}
	if len(line)+2 > limit {
		return replyTooLong, wire.ErrLineTooLong, true
	}
	if s.cfg.RequireTLS && !s.tls && !tlsmode.AllowedBeforeTLS(verb) {
		return tlsmode.MustStartTLSReply(), breach(ErrBadSequence, "RFC 3207 4", verb.String()+" before STARTTLS on a server that requires TLS"), true
	}
	if s.cfg.RequireAuth && !s.authed && !authFree(verb) {
		return replyAuthNeeded, breach(ErrBadSequence, "RFC 4954 6", verb.String()+" before AUTH on a server that requires it"), true
	}
	return reply.Reply{}, nil, false
}

// serves reports whether the session serves an extension command: the
// extension is offered (for AUTH, ETRN and BDAT, in the EHLO reply the
// client saw), or the verb is a core one.
func (s *Server) serves(verb wire.Verb) bool {
	switch verb {
	case wire.VerbSTARTTLS:
		// A second STARTTLS is answered 503 by startTLS.
		return s.cfg.Extensions.Has(wire.ExtSTARTTLS)
	case wire.VerbAUTH:
		return s.exts.Has(wire.ExtAUTH) || s.authed
	case wire.VerbETRN:
		return s.exts.Has(wire.ExtETRN)
	case wire.VerbBDAT:
		return s.exts.Has(wire.ExtCHUNKING)
	case wire.VerbEXPN:
		return s.cfg.Extensions.Has(wire.ExtEXPN)
	case wire.VerbXCLIENT:
		return s.cfg.Extensions.Has(wire.ExtXCLIENT)
	case wire.VerbXFORWARD:
		return s.cfg.Extensions.Has(wire.ExtXFORWARD)
	case wire.VerbBURL, wire.VerbATRN:
		return false
	}
	return true
}

// badSequence is the 503 reply for verb in the current phase, saying what
// the client should have sent (RFC 5321 section 4.1.4).
func (s *Server) badSequence(verb wire.Verb) reply.Reply {
	text := "Bad sequence of commands"
	switch {
	case s.phase == PhaseRefused:
		text = "No SMTP service here; send QUIT"
	case s.phase == PhaseGreeted:
		text = "Send EHLO or HELO first"
		if s.cfg.Protocol == ProtocolLMTP {
			text = "Send LHLO first"
		}
	case verb == wire.VerbMAIL:
		text = "Nested MAIL command; send RSET first"
	case verb == wire.VerbRCPT:
		text = "Need MAIL before RCPT"
	case (verb == wire.VerbDATA || verb == wire.VerbBDAT) && s.phase == PhaseReady:
		text = "Need MAIL and RCPT before " + verb.String()
	case (verb == wire.VerbDATA || verb == wire.VerbBDAT) && s.phase == PhaseMail:
		text = "No valid recipients"
	case verb == wire.VerbDATA && s.phase == PhaseBDAT:
		text = "DATA may not follow BDAT (RFC 3030 2)"
	case verb == wire.VerbAUTH:
		text = "AUTH not allowed in a mail transaction (RFC 4954 4)"
	case s.phase.InTransaction():
		text = verb.String() + " not allowed in a mail transaction"
	}
	return reply.Reply{Code: reply.CodeBadSequence, Enhanced: reply.E(5, 5, 1), Text: text}
}

// startTLS answers STARTTLS (RFC 3207 section 4).
func (s *Server) startTLS() bool {
	r, start, err := tlsmode.ServerSTARTTLS{Active: s.tls, Buffered: len(s.input())}.Answer()
	if err != nil {
		s.fail(err, r)
		return true
	}
	if !start {
		s.reject(r, breach(ErrBadSequence, "RFC 3207 4.2", "STARTTLS under TLS"))
		return true
	}
	s.write(r)
	s.tlsPrev = s.phase
	s.phase, s.mode = PhaseTLS, readWait
	s.emit(EventStartTLS, nil)
	return true
}

// refuseTLS takes back the 220 to STARTTLS: for a Checker whose server
// refused it, the session goes on in clear in the phase it was in.
func (s *Server) refuseTLS() {
	if s.phase == PhaseTLS {
		s.phase, s.mode = s.tlsPrev, readLines
	}
}

// boundaryError is the error for octets received before a handshake.
func boundaryError(n int) error { return tlsmode.CheckBoundary(tlsmode.SideServer, n) }
