package state

import (
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// Respond answers the pending decision with r. The zero Reply takes the
// default: 220 greeting, 250 to HELO/EHLO/LHLO (with the EHLO keyword
// list), MAIL and RCPT, 354 to DATA, 250 to a message, 252 to VRFY and
// EXPN, 214 to HELP, 250 to ETRN and XFORWARD, and the 220 greeting to
// XCLIENT. AUTH has no default: answer it with Challenge, 235 or a failure.
//
// Any valid code of the right kind is taken, listed for the command by RFC
// 5321 section 4.3.2 or not; a 421 answers the command and ends the session.
// Respond returns ErrNoPending without a pending decision and
// ErrInvalidReply for a reply the decision cannot take: a malformed code, a
// 3yz other than 354 to DATA, a 2yz to DATA, a greeting other than 220,
// 421, 521 or 554.
func (s *Server) Respond(r reply.Reply) error {
	if s.phase == PhaseClosed {
		return s.closedErr()
	}
	if !s.pending {
		return ErrNoPending
	}
	kind := s.ev.Kind
	if r.Code == 0 {
		var ok bool
		if r, ok = s.defaultReply(kind); !ok {
			return ErrInvalidReply
		}
	}
	if !validFor(kind, r.Code) {
		return ErrInvalidReply
	}
	s.pending = false
	if r.Code == reply.CodeServiceNotAvailable {
		if r.Text == "" {
			r = s.texts.shutdown
		}
		s.fail(nil, r)
		return nil
	}
	positive := r.Code.IsPositive()
	switch kind {
	case EventConnect:
		s.greet(r)
	case EventHello:
		if !positive {
			s.write(r) // RFC 5321 4.1.4: the session stays as it was
			break
		}
		s.acceptHello(r)
	case EventMail:
		s.write(r)
		if positive {
			p := s.ev.Mail
			s.tx.reset()
			s.tx.body, s.tx.utf8, s.tx.requireTLS = p.Body, p.SMTPUTF8, p.RequireTLS
			s.phase = PhaseMail
		}
	case EventRcpt:
		s.write(r)
		if positive {
			s.addRecipient(s.ev.Command.Path)
		}
	case EventData:
		s.write(r)
		if r.Code == reply.CodeStartMailInput {
			s.startData()
		}
	case EventMessage:
		s.write(r)
		if s.cfg.Protocol == ProtocolLMTP && s.lmtpRcp+1 < s.tx.rcpts {
			// RFC 2033 section 4.2: one reply per accepted recipient.
			s.lmtpRcp++
			s.messageEvent(s.ev.Size)
			s.pending = true
			return nil
		}
		s.nTx++
		if positive {
			s.nJunk = 0 // mail moved: the client is not only stalling
		}
		s.endTransaction()
	case EventAuth, EventAuthResponse:
		s.finishAuth(r)
	case EventXclient:
		if r.Code == reply.CodeReady {
			// Postfix XCLIENT_README: the session starts over, with a
			// new greeting.
			s.resetSession()
			s.enhanced = false
			s.writeHost(r.Code, r.Text)
			break
		}
		s.write(r)
	default:
		s.write(r)
	}
	return nil
}

// defaultReply is the reply to kind when the application gives none.
func (s *Server) defaultReply(kind EventKind) (reply.Reply, bool) {
	switch kind {
	case EventConnect, EventXclient:
		return reply.Reply{Code: reply.CodeReady}, true
	case EventHello:
		return reply.Reply{Code: reply.CodeOK}, true
	case EventMail:
		return replyMailOK, true
	case EventRcpt:
		return replyRcptOK, true
	case EventData:
		return replyGoAhead, true
	case EventMessage:
		return replyQueued, true
	case EventVrfy:
		return replyVrfy, true
	case EventExpn:
		return replyExpn, true
	case EventHelp:
		return s.helpReply(), true
	case EventEtrn:
		return replyEtrn, true
	case EventXforward:
		return replyOK, true
	}
	return reply.Reply{}, false
}

// validFor reports whether code may answer a decision of kind.
func validFor(kind EventKind, code reply.Code) bool {
	if !code.Valid() {
		return false
	}
	switch kind {
	case EventConnect:
		// RFC 5321 section 3.1 (220, 554), 421 anywhere, 521 (RFC 7504).
		switch code {
		case reply.CodeReady, reply.CodeServiceNotAvailable, reply.CodeNoMailAccepted, reply.CodeTransactionFailed:
			return true
		}
		return false
	case EventData:
		return code == reply.CodeStartMailInput || code.IsNegative()
	case EventXclient:
		return code == reply.CodeReady || code.IsNegative()
	case EventAuth, EventAuthResponse:
		return !code.IsIntermediate() // 334 goes through Challenge
	}
	return !code.IsIntermediate()
}

// greet sends the greeting (RFC 5321 section 3.1).
func (s *Server) greet(r reply.Reply) {
	switch r.Code {
	case reply.CodeReady:
		s.writeHost(r.Code, r.Text)
		s.phase, s.mode = PhaseGreeted, readLines
	default:
		// 554 (or 521): no service, but wait for QUIT and answer 503 to
		// everything else (RFC 5321 section 3.1).
		s.write(r)
		s.phase, s.mode = PhaseRefused, readLines
	}
}

// acceptHello accepts the pending HELO, EHLO or LHLO: the session resets
// as after RSET (RFC 5321 section 4.1.4) and the extensions take effect.
func (s *Server) acceptHello(r reply.Reply) {
	verb := s.ev.Command.Verb
	if s.phase.InTransaction() {
		s.tx.reset()
	}
	s.phase, s.mode, s.hello = PhaseReady, readLines, verb
	if verb == wire.VerbHELO {
		// RFC 5321 section 4.1.1.1: HELO brings no extensions.
		s.exts, s.enhanced = 0, false
		s.write(reply.Reply{Code: r.Code, Text: s.cfg.Hostname})
		return
	}
	s.exts = s.offered()
	s.enhanced = false // the EHLO reply itself has no enhanced code
	s.writeEhlo(r.Text, s.exts)
	s.enhanced = s.exts.Has(wire.ExtENHANCEDSTATUSCODES)
}

// resetSession forgets the greeting and the transaction: after STARTTLS
// (RFC 3207 section 4.2) and XCLIENT.
func (s *Server) resetSession() {
	s.tx.reset()
	s.hello, s.exts = wire.VerbUnknown, 0
	s.authed, s.mechanism = false, ""
	s.phase, s.mode = PhaseGreeted, readLines
	s.dataSize = 0
}

// TLSStarted tells the Server the TLS handshake after STARTTLS succeeded.
// The session starts over without a new greeting: everything learnt before
// (the EHLO, the extensions, authentication) is forgotten (RFC 3207
// section 4.2). It returns ErrBadSequence outside PhaseTLS.
func (s *Server) TLSStarted() error {
	if s.phase == PhaseClosed {
		return s.closedErr()
	}
	if s.phase != PhaseTLS {
		return ErrBadSequence
	}
	s.tls = true
	s.resetSession()
	s.enhanced = false
	s.since = s.now
	return nil
}

// TLSFailed tells the Server the TLS handshake failed; the session ends
// without a reply, since the connection is in an unknown state (RFC 3207
// section 4.1).
func (s *Server) TLSFailed(err error) {
	if s.phase != PhaseTLS {
		return
	}
	if err == nil {
		err = ErrClosed
	}
	s.fail(err, reply.Reply{})
}
