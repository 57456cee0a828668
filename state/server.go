package state

import (
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// readMode is what the Server does with the next input octets.
type readMode uint8

const (
	readWait  readMode = iota // nothing: a greeting, a handshake or the end
	readLines                 // command lines, or SASL responses in PhaseAuth
	readData                  // DATA content up to CRLF "." CRLF
	readChunk                 // a BDAT chunk of a transaction
	readSkip                  // a refused BDAT chunk, consumed and dropped
)

// maxEarly bounds what a client may send before it is greeted.
const maxEarly = wire.MaxCommandLine

// Server is the sans-I/O SMTP and LMTP server (RFC 5321, RFC 2033). It reads
// the client's bytes given to Receive, answers by itself what the RFCs
// define (500, 501, 502, 503, 504, 555, 421 ...), reports what the client
// asks as events from Next, takes the application's decisions through
// Respond, and collects the bytes to send in Output. It never reads a
// socket or the clock: time comes in through Advance.
//
// A driver loop (the server package has one) is:
//
//	for {
//		ev := s.Next()
//		switch {
//		case ev.Kind == EventNone:   // write Output, then read and Receive
//		case ev.Kind.IsDecision():   // s.Respond(decide(ev))
//		case ev.Kind == EventClose:  // write Output, close, stop
//		...
//		}
//	}
//
// Replies to pipelined commands collect in Output until Next needs input,
// so one write carries the replies of one group (RFC 2920 section 3.2).
// After a fatal error or the end of the session every method returns the
// same error. A Server is not safe for concurrent use.
type Server struct {
	cfg   ServerConfig
	phase Phase
	mode  readMode

	in        []byte // received octets; in[r:] not yet consumed
	r         int
	eof       bool
	needInput bool
	early     bool // octets arrived before the greeting
	split     wire.LineSplitter
	out       []byte

	ev      Event
	cmd     wire.Command // the command line being run, parsed
	pending bool
	err     error // why the session ended, once it has

	data     wire.DataDecoder
	chunk    wire.ChunkDecoder
	skip     uint64      // octets of a refused BDAT chunk still to drop
	chunkLen uint64      // the size of the chunk being read
	after    reply.Reply // the reply to a refused BDAT, sent once skipped
	afterErr error
	body     []byte
	sasl     []byte

	hello     wire.Verb
	tls       bool
	authed    bool
	mechanism string
	exts      wire.ExtSet // extensions in effect (the last EHLO reply)
	mechs     []string
	enhanced  bool
	nTx       int
	nErrors   int
	nAuthFail int
	nJunk     int // commands that moved no mail since the last accepted message

	tx      transaction
	lmtpRcp int // the recipient the pending LMTP EventMessage is for

	now, since, dataStart time.Time
	dataSize              int64
	// lineStart is when the first octet of the command line being received
	// arrived, and lineDropped the octets of it already dropped as over
	// long: the minimum data rate applies to them (LineDeadline).
	lineStart   time.Time
	lineDropped int64
	longVerb    wire.Verb // the verb an over-long line began with

	texts serverTexts

	closing    bool        // Shutdown was called
	closeReply reply.Reply // the 421 Shutdown sends

	tap     serverTap // a Checker watching this Server as its shadow; nil otherwise
	tlsPrev Phase     // the phase STARTTLS was accepted in
}

// serverTap is what a Checker learns from the shadow Server it runs: each
// line read (a command, or a SASL response in PhaseAuth), the end of DATA
// content, and each reply the machine writes.
type serverTap interface {
	line(verb wire.Verb, line []byte, auth bool)
	endData()
	wrote(code reply.Code)
}

// transaction is what the Server keeps of an open mail transaction.
type transaction struct {
	body       wire.BodyType
	utf8       bool
	requireTLS bool
	bdat       bool
	rcpts      int
	boxes      []byte // accepted recipient mailboxes, back to back
	ends       []int  // end of each mailbox in boxes
	domains    []byte // distinct recipient domains, back to back
	domEnds    []int
}

func (t *transaction) reset() {
	boxes, ends, domains, domEnds := t.boxes[:0], t.ends[:0], t.domains[:0], t.domEnds[:0]
	*t = transaction{boxes: boxes, ends: ends, domains: domains, domEnds: domEnds}
}

// mailbox returns the i-th accepted recipient.
func (t *transaction) mailbox(i int) []byte {
	start := 0
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.boxes[start:t.ends[i]]
}

// NewServer returns a Server for one session with the configuration cfg.
// Its first event is EventConnect, whose answer is the greeting.
func NewServer(cfg ServerConfig) (*Server, error) {
	c, err := cfg.check()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: c, phase: PhaseGreeting, tls: c.TLS}
	s.mechs = append([]string(nil), c.AuthMechanisms...)
	s.split.Max = wire.MaxAuthLine
	s.split.Policy = c.BareLines
	s.texts = newServerTexts(c)
	return s, nil
}

// Phase returns where the session stands.
func (s *Server) Phase() Phase { return s.phase }

// Err returns why the session ended: nil while it runs and after a QUIT,
// ErrTimeout, a *Violation, ErrClosed for a lost connection, and so on.
func (s *Server) Err() error { return s.err }

// Session describes a Server session at one moment: the orthogonal facts
// next to its Phase. Slices alias the Server and are valid until its next
// call.
type Session struct {
	Protocol Protocol
	Phase    Phase
	// Hello is the verb of the accepted greeting (HELO, EHLO or LHLO), or
	// VerbUnknown before one.
	Hello wire.Verb
	// TLS reports a TLS session (implicit, or after STARTTLS).
	TLS bool
	// Authenticated reports a successful AUTH, with Mechanism its name.
	Authenticated bool
	Mechanism     string
	// Extensions are the extensions in effect: those of the last EHLO or
	// LHLO reply, none after HELO.
	Extensions wire.ExtSet
	// Transactions counts the messages answered; Recipients counts the
	// accepted recipients of the open transaction.
	Transactions int
	Recipients   int
	// Errors counts the commands the machine refused by itself.
	Errors int
}

// Session returns the session's facts.
func (s *Server) Session() Session {
	return Session{
		Protocol: s.cfg.Protocol, Phase: s.phase, Hello: s.hello, TLS: s.tls,
		Authenticated: s.authed, Mechanism: s.mechanism, Extensions: s.exts,
		Transactions: s.nTx, Recipients: s.tx.rcpts, Errors: s.nErrors,
	}
}

// SetAuthMechanisms replaces the SASL mechanisms the session offers and
// accepts from the next EHLO and AUTH on, for example once TLS makes
// channel binding possible. Names that are not valid mechanism names are
// left out.
func (s *Server) SetAuthMechanisms(names []string) {
	s.mechs = s.mechs[:0]
	for _, n := range names {
		if auth.IsMechanismName(n) {
			s.mechs = append(s.mechs, n)
		}
	}
}

// Receive gives the Server octets read from the client. It copies p. Call
// it only when Next has returned EventNone (it needs input), or before the
// greeting, when the octets mark the client as one that talks first. It
// returns ErrBusy when the Server is not waiting for input, ErrClosed (or
// the session's error) after the end, and a *tlsmode.BoundaryError when
// octets arrive between the 220 reply to STARTTLS and TLSStarted: they came
// before the handshake and are never read (RFC 3207 section 4.2).
func (s *Server) Receive(p []byte) error {
	if s.phase == PhaseClosed {
		return s.closedErr()
	}
	if len(p) == 0 {
		return nil
	}
	switch {
	case s.phase == PhaseTLS:
		s.fail(boundaryError(len(p)), reply.Reply{})
		return s.err
	case s.phase == PhaseGreeting:
		if len(s.in)-s.r+len(p) > maxEarly {
			return ErrBusy
		}
		s.early = true
	case !s.needInput:
		return ErrBusy
	}
	if s.r == len(s.in) && s.lineDropped == 0 {
		s.lineStart = s.now // a new line begins
	}
	s.compact()
	s.in = append(s.in, p...)
	s.needInput = false
	s.since = s.now
	return nil
}

// ReceiveEOF tells the Server the client ended its stream. A session that
// ends without QUIT ends with ErrClosed, and an open transaction is
// dropped (RFC 5321 section 3.8).
func (s *Server) ReceiveEOF() {
	s.eof = true
	s.needInput = false
}

// compact drops consumed input; events alias in, so only Receive calls it.
func (s *Server) compact() {
	if s.r > 0 {
		n := copy(s.in, s.in[s.r:])
		s.in = s.in[:n]
		s.r = 0
	}
}

// Output returns the octets to send to the client, valid until the next
// call that changes the Server. Report what was written with Consumed.
func (s *Server) Output() []byte { return s.out }

// Consumed drops the first n octets of Output, once written.
func (s *Server) Consumed(n int) {
	if n >= len(s.out) {
		s.out = s.out[:0]
		return
	}
	s.out = s.out[:copy(s.out, s.out[n:])]
}

// Advance tells the Server the time. When a deadline of Deadline has passed
// the session ends: 421 4.4.2 and EventClose with ErrTimeout (RFC 5321
// section 4.5.3.2).
func (s *Server) Advance(now time.Time) {
	s.now = now
	if s.since.IsZero() {
		s.since = now
	}
	if s.phase == PhaseClosed || s.pending {
		return
	}
	if d := s.Deadline(); !d.IsZero() && !now.Before(d) {
		r := s.texts.timeout
		if s.phase == PhaseTLS {
			r = reply.Reply{} // the connection carries TLS now: no reply
		}
		s.fail(ErrTimeout, r)
	}
}

// Deadline returns when the Server stops waiting for the client: the idle
// timeout for a command (RFC 5321 section 4.5.3.2.7), with the minimum rate
// of Timeouts.MinDataRate for a command line under way (LineDeadline), the
// data timeouts for message content (sections 4.5.3.2.5, with the same
// minimum rate), and the handshake timeout after STARTTLS. It is
// the zero Time while the application owes a decision, before the first
// Advance, and after the end.
func (s *Server) Deadline() time.Time {
	if s.pending || s.since.IsZero() {
		return time.Time{}
	}
	t := s.cfg.Timeouts
	switch {
	case s.phase == PhaseClosed || s.phase == PhaseGreeting:
		return time.Time{}
	case s.phase == PhaseTLS:
		return t.HandshakeDeadline(s.since)
	case s.mode == readData || s.mode == readChunk || s.mode == readSkip:
		return t.DataDeadline(s.dataStart, s.dataSize, s.since)
	}
	if partial := s.lineDropped + int64(len(s.in)-s.r); partial > 0 {
		return t.LineDeadline(s.lineStart, partial, s.since)
	}
	return t.IdleDeadline(s.since)
}

// Next returns the next event. EventNone means the Server needs input:
// write Output, read, and call Receive (or ReceiveEOF). A decision event
// is returned again until it is answered. After the session ended Next
// returns its EventClose again.
func (s *Server) Next() Event {
	if ev := s.NextEvent(); ev != nil {
		return *ev
	}
	return Event{}
}

// NextEvent is Next without the copy: it returns the Server's own event,
// or nil where Next returns EventNone. The Event is the Server's and
// changes at the next call that changes the Server (Next, Respond,
// Receive ...); a driver that keeps sessions waiting uses it so that no 1
// KiB Event copies sit on its goroutine's stack.
func (s *Server) NextEvent() *Event {
	if s.pending || s.phase == PhaseClosed {
		return &s.ev
	}
	if !s.step() {
		s.needInput = true
		return nil
	}
	s.pending = s.ev.Kind.IsDecision()
	return &s.ev
}

// step runs the machine until it has an event, which it leaves in s.ev, or
// reports that it needs input. The functions under it write the event in
// place rather than return it: an Event is 1 KiB, and copies of it on every
// frame of the call chain made each session's goroutine stack grow to 16
// or 32 KiB.
func (s *Server) step() bool {
	for {
		switch s.mode {
		case readWait:
			if s.phase == PhaseGreeting {
				s.emit(EventConnect, nil)
				return true
			}
			return false
		case readLines:
			if ok, more := s.readLine(); ok || !more {
				return ok
			}
		case readData:
			if ok, more := s.readData(); ok || !more {
				return ok
			}
		case readChunk:
			if ok, more := s.readChunk(); ok || !more {
				return ok
			}
		case readSkip:
			if ok, more := s.readSkip(); ok || !more {
				return ok
			}
		}
	}
}

// emit makes s.ev a new event of kind, for cmd unless it is nil, and
// returns it for the caller to fill in. The event is cleared and set field
// by field: a composite literal would be built in a 1 KiB temporary on the
// caller's frame first.
func (s *Server) emit(kind EventKind, cmd *wire.Command) *Event {
	s.ev = Event{}
	s.ev.Kind = kind
	if cmd != nil {
		s.ev.Command = *cmd
	}
	return &s.ev
}

// input returns the octets not yet consumed.
func (s *Server) input() []byte { return s.in[s.r:] }

// ahead reports whether octets follow what was consumed: the client sent
// them before it saw the reply to what came before.
func (s *Server) ahead() bool { return s.r < len(s.in) }

// lost ends a session whose input ended (RFC 5321 section 3.8): the open
// transaction, if any, is dropped.
func (s *Server) lost() bool {
	s.fail(ErrClosed, reply.Reply{})
	return true
}

// fail ends the session with err, writing r first unless it is zero, and
// makes EventClose the event Next returns from now on.
func (s *Server) fail(err error, r reply.Reply) {
	if s.phase == PhaseClosed {
		return
	}
	if r.Code != 0 {
		s.write(r)
	}
	s.phase, s.mode, s.pending, s.err = PhaseClosed, readWait, false, err
	e := s.emit(EventClose, nil)

	e.Reply, e.Err = r, err
}

// closedErr is what calls return after the end.
func (s *Server) closedErr() error {
	if s.err != nil {
		return s.err
	}
	return ErrClosed
}
