package state

import (
	"errors"

	"github.com/smtpkit/smtpkit/reply"
)

// ErrShutdown is the EventClose error of a session that Shutdown or
// Terminate ended.
var ErrShutdown = errors.New("state: server shutting down")

// Shutdown ends the session gracefully with r, a 421 reply (the zero Reply
// gives "421 4.3.2 <host> Service shutting down"; RFC 5321 section 3.8): at
// once when the machine waits for a command outside a mail transaction,
// otherwise at the first command after the transaction in progress ended
// (its message answered, or RSET), so that an accepted transaction
// finishes. The session then ends with EventClose and ErrShutdown; write
// Output and close. A reply other than 421 is taken as the default.
func (s *Server) Shutdown(r reply.Reply) {
	if s.phase == PhaseClosed {
		return
	}
	s.closing, s.closeReply = true, s.shutdownReply(r)
	s.shutdownNow()
}

// Terminate ends the session at once with r (zero: the Shutdown default),
// whatever it was doing: a transaction in progress is dropped, a pending
// decision abandoned (RFC 5321 section 3.8 lets a server send 421 at any
// time). Between the 220 to STARTTLS and TLSStarted nothing is written,
// since the connection no longer carries SMTP in clear.
func (s *Server) Terminate(r reply.Reply) {
	if s.phase == PhaseClosed {
		return
	}
	r = s.shutdownReply(r)
	if s.phase == PhaseTLS {
		r = reply.Reply{}
	}
	s.fail(ErrShutdown, r)
}

// shutdownReply returns r when it is a 421, else the default.
func (s *Server) shutdownReply(r reply.Reply) reply.Reply {
	if r.Code == reply.CodeServiceNotAvailable {
		return r
	}
	return reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 3, 2),
		Text: s.cfg.Hostname + " Service shutting down"}
}

// shutdownNow ends a session asked to shut down when it stands at a
// command boundary outside a transaction with no decision pending.
func (s *Server) shutdownNow() bool {
	if !s.closing || s.pending || s.mode != readLines || s.phase.InTransaction() ||
		s.phase == PhaseAuth || s.phase == PhaseClosed {
		return false
	}
	s.fail(ErrShutdown, s.closeReply)
	return true
}
