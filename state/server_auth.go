package state

import (
	"errors"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// auth starts an AUTH exchange (RFC 4954 section 4).
func (s *Server) auth(cmd wire.Command) (Event, bool) {
	if s.authed {
		// RFC 4954 section 4: no AUTH after a successful one.
		return s.reject(replyAuthTwice, breach(ErrBadSequence, "RFC 4954 4", "AUTH after a successful AUTH")), true
	}
	name, ok := s.mechanismOffered(cmd.Mechanism)
	if !ok {
		return s.reject(replyAuthMech, breach(ErrNotAdvertised, "RFC 4954 4", "AUTH with a mechanism not offered")), true
	}
	s.mechanism = name
	ev := Event{Kind: EventAuth, Command: cmd}
	if cmd.HasInitialResponse {
		// "=" is an empty initial response (RFC 4954 section 4).
		data, err := wire.DecodeBase64(s.sasl[:0], cmd.InitialResponse)
		if err != nil {
			s.mechanism = ""
			return s.reject(replyAuthBase64, err), true
		}
		s.sasl = data[:0]
		ev.Data = data
	}
	return ev, true
}

// errAuthCancelled is the EventAuthAbort error for a client's "*".
var errAuthCancelled = errors.New("state: AUTH cancelled by the client (RFC 4954 section 4)")

// authLine reads a client's SASL response line (RFC 4954 section 4).
func (s *Server) authLine(line []byte, err error) (Event, bool) {
	var r reply.Reply
	switch {
	case err != nil && errors.Is(err, wire.ErrLineTooLong):
		r = replyAuthLong // RFC 4954 section 4: 500 5.5.6
	case err != nil:
		r = replyOf(err)
	default:
		b64, cancel, perr := wire.ParseAuthResponse(line)
		switch {
		case cancel:
			r, err = replyAuthCancel, errAuthCancelled
		case perr != nil:
			r, err = replyAuthBase64, perr
		default:
			data, derr := wire.DecodeBase64(s.sasl[:0], b64)
			if derr != nil {
				r, err = replyAuthBase64, derr
				break
			}
			s.sasl = data[:0]
			return Event{Kind: EventAuthResponse, Data: data}, true
		}
	}
	s.phase, s.mechanism = PhaseReady, ""
	s.nAuthFail++
	if s.nAuthFail >= s.cfg.MaxAuthFailures {
		s.fail(err, s.texts.authFails)
		return s.ev, true
	}
	s.write(r)
	return Event{Kind: EventAuthAbort, Reply: r, Err: err}, true
}

// Challenge answers a pending EventAuth or EventAuthResponse with a 334
// carrying data in base64 (RFC 4954 section 4); the client's answer comes
// as EventAuthResponse. data may be empty ("334 ").
func (s *Server) Challenge(data []byte) error {
	if s.phase == PhaseClosed {
		return s.closedErr()
	}
	if !s.pending || s.ev.Kind != EventAuth && s.ev.Kind != EventAuthResponse {
		return ErrNoPending
	}
	s.pending = false
	s.writeChallenge(data)
	s.phase, s.mode = PhaseAuth, readLines
	return nil
}

// finishAuth ends an AUTH exchange with the application's verdict.
func (s *Server) finishAuth(r reply.Reply) {
	s.phase, s.mode = PhaseReady, readLines
	if r.Code.IsPositive() {
		s.authed = true
		s.write(r)
		return
	}
	s.mechanism = ""
	s.nAuthFail++
	if s.nAuthFail >= s.cfg.MaxAuthFailures {
		s.fail(nil, s.texts.authFails)
		return
	}
	s.write(r)
}
