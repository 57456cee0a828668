package state

import (
	"errors"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// auth starts an AUTH exchange (RFC 4954 section 4).
func (s *Server) auth(cmd *wire.Command) bool {
	if s.authed {
		// RFC 4954 section 4: no AUTH after a successful one.
		s.reject(replyAuthTwice, breach(ErrBadSequence, "RFC 4954 4", "AUTH after a successful AUTH"))
		return true
	}
	name, ok := s.mechanismOffered(cmd.Mechanism)
	if !ok {
		s.reject(replyAuthMech, breach(ErrNotAdvertised, "RFC 4954 4", "AUTH with a mechanism not offered"))
		return true
	}
	s.mechanism = name
	s.emit(EventAuth, cmd)
	if cmd.HasInitialResponse {
		// "=" is an empty initial response (RFC 4954 section 4).
		data, err := wire.DecodeBase64(s.sasl[:0], cmd.InitialResponse)
		if err != nil {
			s.mechanism = ""
			s.reject(replyAuthBase64, err)
			return true
		}
		s.sasl = data[:0]
		s.ev.Data = data
	}
	return true
}

// errAuthCancelled is the EventAuthAbort error for a client's "*".
var errAuthCancelled = errors.New("state: AUTH cancelled by the client (RFC 4954 section 4)")

// authLine reads a client's SASL response line (RFC 4954 section 4).
func (s *Server) authLine(line []byte, err error) bool {
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
			s.emit(EventAuthResponse, nil).Data = data
			return true
		}
	}
	s.phase, s.mechanism = PhaseReady, ""
	s.nAuthFail++
	if s.nAuthFail >= s.cfg.MaxAuthFailures {
		s.fail(err, s.texts.authFails)
		return true
	}
	s.write(r)
	e := s.emit(EventAuthAbort, nil)

	e.Reply, e.Err = r, err
	return true
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
