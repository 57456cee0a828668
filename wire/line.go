package wire

import "bytes"

// Rules cited by the errors the splitter returns.
const (
	ruleLineLength = "RFC 5321 4.5.3.1"
	ruleLineEnd    = "RFC 5321 2.3.8"
)

// LineSplitter finds CRLF-terminated lines in a byte stream (RFC 5321
// sections 2.3.8 and 4.5.3.1). It holds no buffer: the caller keeps the
// unconsumed bytes and passes them to Split again after reading more.
//
// The zero value splits lines of at most MaxCommandLine octets and refuses
// bare CR and bare LF (BareReject). A LineSplitter must not be copied after
// first use and is not safe for concurrent use.
type LineSplitter struct {
	// Max is the longest line in octets, including the CRLF; 0 means
	// MaxCommandLine. Values below 2 act as 2. Under BareNormalize a line
	// ended by a bare CR or LF may carry at most Max-2 octets too.
	Max int
	// Policy says what a bare CR or bare LF means (see BarePolicy). Values
	// other than the three defined ones act as BareReject.
	Policy BarePolicy

	discarding bool  // the current line overflowed; skipping to its end
	scanned    int   // octets at the start of p already examined
	bare       error // first bare CR/LF sentinel in the current line
	bareAt     int   // offset of that octet in the line
	work       int   // octets examined since Reset; read by tests only
}

// limit returns the effective maximum line length including the CRLF.
func (s *LineSplitter) limit() int {
	switch {
	case s.Max <= 0:
		return MaxCommandLine
	case s.Max < 2:
		return 2
	}
	return s.Max
}

// Reset forgets any partial line, including an over-long line being
// discarded. Max and Policy are kept. Call it when the caller drops its
// buffer, for example after STARTTLS.
func (s *LineSplitter) Reset() {
	s.discarding = false
	s.resetLine()
	s.work = 0
}

// resetLine clears the per-line scan state.
func (s *LineSplitter) resetLine() {
	s.scanned = 0
	s.bare = nil
	s.bareAt = 0
}

// Discarding reports whether the splitter is skipping the rest of a line
// longer than Max. The error for that line is returned once, by the Split
// call that sees its terminator.
func (s *LineSplitter) Discarding() bool { return s.discarding }

// Split looks for the next line at the start of p. p must begin with the
// octets not yet consumed: after each call the caller drops the first
// advance octets and appends what it reads next. The results are:
//
//   - (advance>0, line, nil): a line; line excludes its terminator and
//     aliases p, so it is valid until the caller reuses that part of p.
//   - (0, nil, nil): p holds no complete line yet; call again with more.
//   - (advance>0, nil, nil): octets of an over-long line were discarded;
//     call again.
//   - (advance>0, nil, err): the line that just ended was refused. err is a
//     *SyntaxError wrapping ErrLineTooLong (reported once, when the line's
//     terminator arrives, so replies stay in order with pipelined commands)
//     or, under BareReject, ErrBareLF or ErrBareCR. A refused line is
//     consumed up to and including its CRLF, so nothing after a bare LF runs
//     as a separate command. A line both too long and holding a bare CR or
//     LF is reported as too long.
//
// Only CRLF ends a line, except under BareNormalize, where a bare LF or a
// bare CR ends it too; a CR at the very end of p is then undecided and Split
// asks for more. Under BareAllow bare CR and LF stay inside the line.
//
// Split holds at most Max octets of a line: once a line exceeds Max it
// consumes everything up to the line's end without returning it. It
// remembers how far it has scanned, so a line arriving one octet per call
// costs linear work in total. Split does not allocate except to build the
// error it returns.
func (s *LineSplitter) Split(p []byte) (advance int, line []byte, err error) {
	if s.scanned > len(p) {
		// The caller broke the contract and passed fewer octets than it
		// did before; rescan from the start rather than trust the state.
		s.resetLine()
	}
	max := s.limit()
	if s.discarding {
		return s.discard(p)
	}
	switch s.Policy {
	case BareNormalize:
		return s.splitNormalize(p, max)
	case BareAllow:
		return s.splitCRLF(p, max, false)
	}
	return s.splitCRLF(p, max, true)
}

// splitCRLF handles BareReject (reject true) and BareAllow: only CRLF ends a
// line. The line fits when its LF sits at index max-1 or earlier.
func (s *LineSplitter) splitCRLF(p []byte, max int, reject bool) (int, []byte, error) {
	window := min(len(p), max)
	i := s.scanned
	for i < window {
		j := bytes.IndexByte(p[i:window], '\n')
		if j < 0 {
			end := window
			if end == len(p) && p[end-1] == '\r' {
				end-- // undecided: CRLF or bare CR, look again next time
			}
			s.work += end - i
			if reject {
				s.noteCR(p, i, end)
			}
			i = end
			break
		}
		j += i
		s.work += j + 1 - i
		if j > 0 && p[j-1] == '\r' {
			// RFC 5321 2.3.8: CRLF ends the line.
			if reject {
				s.noteCR(p, i, j-1)
			}
			return s.finish(p[:j-1], j+1)
		}
		// A bare LF: content under BareAllow, a refused line under
		// BareReject (RFC 5321 2.3.8, 4.1.1.4).
		if reject {
			s.noteCR(p, i, j)
			s.noteBare(ErrBareLF, j)
		}
		i = j + 1
	}
	if len(p) >= max {
		// RFC 5321 4.5.3.1.4-6: no CRLF within max octets, so the line is
		// longer than the limit.
		return s.overflow(p)
	}
	s.scanned = i
	return 0, nil, nil
}

// splitNormalize handles BareNormalize: CRLF, a bare LF or a bare CR ends the
// line. The line fits when its terminator starts at index max-2 or earlier.
func (s *LineSplitter) splitNormalize(p []byte, max int) (int, []byte, error) {
	window := min(len(p), max-1)
	i := s.scanned
	if i < window {
		t := indexLineEnd(p[i:window])
		if t < 0 {
			s.work += window - i
			i = window
		} else {
			t += i
			s.work += t + 1 - i
			switch {
			case p[t] == '\n':
				return s.finish(p[:t], t+1)
			case t+1 == len(p):
				s.scanned = t // a final CR: CRLF or bare CR, ask for more
				return 0, nil, nil
			case p[t+1] == '\n':
				return s.finish(p[:t], t+2)
			}
			return s.finish(p[:t], t+1)
		}
	}
	if len(p) >= max-1 {
		// RFC 5321 4.5.3.1.4-6: more than max-2 octets without an end.
		return s.overflow(p)
	}
	s.scanned = i
	return 0, nil, nil
}

// finish ends the current line: it returns line, or the error recorded for
// it, with advance, and readies the splitter for the next line.
func (s *LineSplitter) finish(line []byte, advance int) (int, []byte, error) {
	bare, at := s.bare, s.bareAt
	s.resetLine()
	if bare != nil {
		reason := "bare CR in line"
		if bare == ErrBareLF {
			reason = "bare LF in line"
		}
		return advance, nil, errAt("line", at, ruleLineEnd, reason, bare)
	}
	return advance, line, nil
}

// overflow switches to discarding the rest of an over-long line and starts
// doing so on p.
func (s *LineSplitter) overflow(p []byte) (int, []byte, error) {
	s.resetLine()
	s.discarding = true
	return s.discard(p)
}

// discard consumes the rest of an over-long line. It keeps a final CR
// unconsumed so the next call can tell CRLF from a bare CR.
func (s *LineSplitter) discard(p []byte) (int, []byte, error) {
	if s.Policy == BareNormalize {
		t := indexLineEnd(p)
		switch {
		case t < 0:
			s.work += len(p)
			return len(p), nil, nil
		case p[t] == '\n':
			return s.tooLong(t + 1)
		case t+1 == len(p):
			s.work += t
			return t, nil, nil
		case p[t+1] == '\n':
			return s.tooLong(t + 2)
		}
		return s.tooLong(t + 1)
	}
	i := 0
	for {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			end := len(p)
			if end > 0 && p[end-1] == '\r' {
				end--
			}
			s.work += len(p) - i
			return end, nil, nil
		}
		j += i
		s.work += j + 1 - i
		if j > 0 && p[j-1] == '\r' {
			return s.tooLong(j + 1)
		}
		i = j + 1
	}
}

// tooLong ends the discarded line: advance octets are consumed and the line
// is reported once.
func (s *LineSplitter) tooLong(advance int) (int, []byte, error) {
	s.discarding = false
	s.resetLine()
	// RFC 5321 4.5.3.1.9: "500 Line too long".
	return advance, nil, errAt("line", s.limit(), ruleLineLength, "line too long", ErrLineTooLong)
}

// noteCR records a bare CR if p[from:to] holds one. Every CR there is bare:
// the caller excludes the CR of a CRLF and an undecided final CR.
func (s *LineSplitter) noteCR(p []byte, from, to int) {
	if s.bare != nil || from >= to {
		return
	}
	if k := bytes.IndexByte(p[from:to], '\r'); k >= 0 {
		s.noteBare(ErrBareCR, from+k)
	}
}

// noteBare records the first bare CR or LF of the current line.
func (s *LineSplitter) noteBare(sentinel error, at int) {
	if s.bare == nil {
		s.bare, s.bareAt = sentinel, at
	}
}

// indexLineEnd returns the index of the first CR or LF in p, or -1.
func indexLineEnd(p []byte) int {
	lf := bytes.IndexByte(p, '\n')
	if lf >= 0 {
		p = p[:lf]
	}
	if cr := bytes.IndexByte(p, '\r'); cr >= 0 {
		return cr
	}
	return lf
}
