package wire

import "bytes"

// DataEncoder is the sending side of DATA: it dot-stuffs a message body
// (RFC 5321 section 4.5.2) as it is pushed in pieces of any size, and Close
// writes the end of mail data (section 4.1.1.4). A "." at the very start of
// the body and after every line break is doubled; a CR at the end of one
// Encode call and an LF at the start of the next are one CRLF.
//
// An empty body encodes as just ".\r\n": the CRLF of the DATA command is the
// first CRLF of the end-of-data sequence, so a decoder returns an empty body.
//
// The zero value is ready to use with BareReject. A DataEncoder is not safe
// for concurrent use.
type DataEncoder struct {
	// Policy says what to do with a bare CR or bare LF in the body. Clients
	// must not send them (RFC 5321 2.3.8): BareReject makes them an error
	// (a *SyntaxError wrapping ErrBareCR or ErrBareLF whose Offset counts
	// body octets), BareNormalize writes CRLF in their place (and a dot after
	// one is then at the start of a line and doubled), BareAllow passes them
	// through unchanged; it exists only for conformance tests.
	Policy BarePolicy

	midLine   bool  // the output so far does not end at the start of a line
	pendingCR bool  // the last body octet was a CR, held until the next one
	off       int64 // body octets consumed
	err       error
}

// Reset prepares the encoder for a new message, keeping its Policy.
func (e *DataEncoder) Reset() { *e = DataEncoder{Policy: e.Policy} }

// Encode appends the dot-stuffed form of the body octets src to dst and
// returns the extended slice, which aliases dst's array when it has room.
// A trailing CR of src is held back until the next call or Close decides
// whether it is part of a CRLF. Encode keeps no reference to src or dst; the
// caller may reuse src when it returns. On error it appends nothing from
// this call, and every later call, Close included, returns the same error.
func (e *DataEncoder) Encode(dst, src []byte) ([]byte, error) {
	if e.err != nil {
		return dst, e.err
	}
	if len(src) == 0 {
		return dst, nil
	}
	saved := *e
	mark := len(dst)
	if out, ok := e.fast(dst, src); ok {
		return out, nil
	}
	*e = saved
	return e.slow(dst[:mark], src)
}

// fast encodes src with one bytes.IndexByte per line, assuming every CR it
// meets ends a line. It reports false, having written garbage past dst's
// length and changed e, when that assumption or the policy fails; the caller
// then restores e and uses slow.
func (e *DataEncoder) fast(dst, src []byte) ([]byte, bool) {
	pol := e.Policy.effective()
	i := 0
	if e.pendingCR {
		if src[0] != '\n' {
			return dst, false
		}
		dst = append(dst, crlf...)
		e.pendingCR, e.midLine = false, false
		i = 1
	}
	start, run, crs := i, i, 0
	atStart := !e.midLine
	for {
		if atStart && i < len(src) && src[i] == '.' {
			// RFC 5321 4.5.2: double a dot at the start of a line.
			dst = append(dst, src[run:i]...)
			dst = append(dst, '.')
			run = i
		}
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		switch {
		case lf > i && src[lf-1] == '\r':
			crs++
			atStart = true
		case pol == BareNormalize:
			dst = append(dst, src[run:lf]...)
			dst = append(dst, crlf...)
			run = lf + 1
			atStart = true
		case pol == BareAllow:
			atStart = false
		default:
			return dst, false
		}
		i = lf + 1
	}
	end := len(src)
	if end > i && src[end-1] == '\r' {
		end--
		e.pendingCR = true
	}
	if end > i {
		atStart = false
	}
	dst = append(dst, src[run:end]...)
	e.midLine = !atStart
	if pol != BareAllow && bytes.Count(src[start:end], onlyCR) != crs {
		return dst, false // a bare CR: slow handles it
	}
	e.off += int64(len(src))
	return dst, true
}

// slow encodes src exactly, finding CR and LF with bytes.IndexByte.
func (e *DataEncoder) slow(dst, src []byte) ([]byte, error) {
	pol := e.Policy.effective()
	mark := len(dst)
	i := 0
	if e.pendingCR {
		e.pendingCR = false
		if src[0] == '\n' {
			dst = append(dst, crlf...)
			e.midLine = false
			i = 1
		} else {
			var err error
			if dst, err = e.bare(dst, onlyCR, e.off-1, pol); err != nil {
				return dst[:mark], err
			}
		}
	}
	run := i
	for i < len(src) {
		if !e.midLine && src[i] == '.' {
			// RFC 5321 4.5.2: double a dot at the start of a line.
			dst = append(dst, src[run:i]...)
			dst = append(dst, '.')
			run = i
		}
		seg := src[i:]
		k := bytes.IndexByte(seg, '\n')
		if k < 0 {
			k = len(seg)
		}
		if c := bytes.IndexByte(seg[:k], '\r'); c >= 0 {
			k = c
		}
		if k > 0 {
			e.midLine = true
		}
		i += k
		if i == len(src) {
			break
		}
		if src[i] == '\r' {
			if i+1 == len(src) {
				// Hold a final CR: the next call may bring its LF.
				dst = append(dst, src[run:i]...)
				e.pendingCR = true
				i++
				run = i
				break
			}
			if src[i+1] == '\n' {
				e.midLine = false
				i += 2
				continue
			}
		}
		dst = append(dst, src[run:i]...)
		var err error
		if dst, err = e.bare(dst, src[i:i+1], e.off+int64(i), pol); err != nil {
			return dst[:mark], err
		}
		i++
		run = i
	}
	dst = append(dst, src[run:]...)
	e.off += int64(len(src))
	return dst, nil
}

// bare writes a bare CR or LF (c) found at body offset at, per policy
// (RFC 5321 2.3.8: a client must send line breaks only as CRLF).
func (e *DataEncoder) bare(dst, c []byte, at int64, pol BarePolicy) ([]byte, error) {
	switch pol {
	case BareNormalize:
		e.midLine = false
		return append(dst, crlf...), nil
	case BareAllow:
		e.midLine = true
		return append(dst, c...), nil
	}
	if c[0] == '\r' {
		e.err = errAt(elemMailData, int(at), ruleBare, reasonBareCR, ErrBareCR)
	} else {
		e.err = errAt(elemMailData, int(at), ruleBare, reasonBareLF, ErrBareLF)
	}
	return dst, e.err
}

// Close appends the end of the message: a held final CR resolved per policy,
// a CRLF if the body does not end with a line break (RFC 5321 4.1.1.4: the
// originating client must add it), then ".\r\n". An empty body gives just
// ".\r\n". Close leaves the encoder ready for a new message, as after Reset.
// On error it appends nothing and returns the encoder's error.
func (e *DataEncoder) Close(dst []byte) ([]byte, error) {
	if e.err != nil {
		return dst, e.err
	}
	if e.pendingCR {
		e.pendingCR = false
		var err error
		if dst, err = e.bare(dst, onlyCR, e.off-1, e.Policy.effective()); err != nil {
			return dst, err
		}
	}
	if e.midLine {
		dst = append(dst, crlf...)
	}
	dst = append(dst, ".\r\n"...)
	e.Reset()
	return dst, nil
}
