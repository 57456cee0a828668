package wire

import "bytes"

// CRLFEncoder is the sending side of a text body sent with BDAT: it makes
// the body canonical, every line ending in CRLF, as it is pushed in pieces
// of any size. BDAT content is sent as is, without dot-stuffing (RFC 3030
// section 3: the chunk sizes delimit it, and a text body must already be in
// canonical form), so DataEncoder does not apply; this is its BDAT twin.
//
// The rule (RFC 5321 section 2.3.8, RFC 3030 section 3): CRLF is the only
// line break. A CR immediately followed by LF, within one Encode call or
// across two, is a line break and is copied. A bare CR (a CR not followed by
// LF, the last octet of the body included) and a bare LF (a LF not preceded
// by CR) are handled by Policy. A non-empty body whose output does not end
// with CRLF gets one at Close (RFC 5321 section 4.1.1.4 asks the same of
// DATA); an empty body stays empty.
//
// The zero value is ready to use with BareReject. A CRLFEncoder is not safe
// for concurrent use.
type CRLFEncoder struct {
	// Policy says what to do with a bare CR or bare LF: BareReject makes it
	// an error (a *SyntaxError wrapping ErrBareCR or ErrBareLF whose Offset
	// counts body octets), BareNormalize writes CRLF in its place, BareAllow
	// passes it through unchanged; it exists only for conformance tests.
	Policy BarePolicy

	pendingCR bool  // the last body octet was a CR, held until the next one
	endsCRLF  bool  // the output so far ends with CRLF
	off       int64 // body octets consumed
	err       error
}

// Reset prepares the encoder for a new body, keeping its Policy.
func (e *CRLFEncoder) Reset() { *e = CRLFEncoder{Policy: e.Policy} }

// Encode appends the canonical form of the body octets src to dst and
// returns the extended slice, which aliases dst's array when it has room.
// A trailing CR of src is held back until the next call or Close decides
// whether it is part of a CRLF. Encode keeps no reference to src or dst;
// the caller may reuse src when it returns. On error it appends nothing
// from this call, and every later call, Close included, returns the same
// error until Reset.
//
// A piece whose line breaks are all CRLF already (the common case) is
// checked with one bytes.IndexByte per line and one bytes.Count, then
// copied whole; any other piece is rewritten with bytes.IndexByte scans
// for LF and CR.
func (e *CRLFEncoder) Encode(dst, src []byte) ([]byte, error) {
	if e.err != nil {
		return dst, e.err
	}
	if len(src) == 0 {
		return dst, nil
	}
	if e.canonical(src) {
		return e.copyCanonical(dst, src), nil
	}
	return e.rewrite(dst, src)
}

// canonical reports whether src, after a held CR if any, has no bare CR or
// LF, a final CR excepted (it is held).
func (e *CRLFEncoder) canonical(src []byte) bool {
	i, pairs := 0, 0
	if e.pendingCR {
		if src[0] != '\n' {
			return false
		}
		i = 1
	}
	for {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		if lf == 0 || src[lf-1] != '\r' {
			return false // a bare LF
		}
		pairs++
		i = lf + 1
	}
	if src[len(src)-1] == '\r' {
		pairs++ // the held CR
	}
	// Every LF has its CR; a CR without its LF is a bare CR.
	return bytes.Count(src, onlyCR) == pairs
}

// copyCanonical appends src, which canonical accepted, holding back a
// final CR.
func (e *CRLFEncoder) copyCanonical(dst, src []byte) []byte {
	if e.pendingCR {
		dst = append(dst, '\r') // src[0] is its LF
		e.pendingCR = false
	}
	end := len(src)
	if src[end-1] == '\r' {
		end--
		e.pendingCR = true
	}
	e.off += int64(len(src))
	return e.emit(dst, src[:end])
}

// emit appends run, octets of the body whose line breaks are CRLF pairs,
// and notes whether the output now ends with CRLF.
func (e *CRLFEncoder) emit(dst, run []byte) []byte {
	if len(run) == 0 {
		return dst
	}
	e.endsCRLF = run[len(run)-1] == '\n'
	return append(dst, run...)
}

// rewrite encodes src exactly, applying the policy to every bare CR and
// LF; runs between them are copied whole.
func (e *CRLFEncoder) rewrite(dst, src []byte) ([]byte, error) {
	pol := e.Policy.effective()
	mark := len(dst)
	var err error
	i := 0
	if e.pendingCR {
		e.pendingCR = false
		if src[0] == '\n' {
			dst = e.emit(dst, crlf)
			i = 1
		} else if dst, err = e.bare(dst, '\r', e.off-1, pol); err != nil {
			return dst[:mark], err
		}
	}
	run := i
	for i < len(src) {
		seg := src[i:]
		k := bytes.IndexByte(seg, '\n')
		if k < 0 {
			k = len(seg)
		}
		if c := bytes.IndexByte(seg[:k], '\r'); c >= 0 {
			k = c
		}
		i += k
		if i == len(src) {
			break
		}
		if src[i] == '\r' {
			if i+1 == len(src) {
				// Hold a final CR: the next call may bring its LF.
				dst = e.emit(dst, src[run:i])
				e.pendingCR = true
				i++
				run = i
				break
			}
			if src[i+1] == '\n' {
				i += 2 // a CRLF: part of the run
				continue
			}
		}
		dst = e.emit(dst, src[run:i])
		if dst, err = e.bare(dst, src[i], e.off+int64(i), pol); err != nil {
			return dst[:mark], err
		}
		i++
		run = i
	}
	dst = e.emit(dst, src[run:])
	e.off += int64(len(src))
	return dst, nil
}

// bare writes a bare CR or LF (c) found at body offset at, per policy
// (RFC 5321 section 2.3.8: a client must send line breaks only as CRLF).
func (e *CRLFEncoder) bare(dst []byte, c byte, at int64, pol BarePolicy) ([]byte, error) {
	switch pol {
	case BareNormalize:
		return e.emit(dst, crlf), nil
	case BareAllow:
		e.endsCRLF = false
		return append(dst, c), nil
	}
	if c == '\r' {
		e.err = errAt(elemMailData, int(at), ruleBare, reasonBareCR, ErrBareCR)
	} else {
		e.err = errAt(elemMailData, int(at), ruleBare, reasonBareLF, ErrBareLF)
	}
	return dst, e.err
}

// Close appends the end of the body: a held final CR resolved per policy
// (it is bare: no LF can follow), then CRLF if the body is not empty and
// its output does not end with CRLF. Close leaves the encoder ready for a
// new body, as after Reset. On error it appends nothing and returns the
// encoder's error.
func (e *CRLFEncoder) Close(dst []byte) ([]byte, error) {
	if e.err != nil {
		return dst, e.err
	}
	if e.pendingCR {
		e.pendingCR = false
		var err error
		if dst, err = e.bare(dst, '\r', e.off-1, e.Policy.effective()); err != nil {
			return dst, err
		}
	}
	if e.off > 0 && !e.endsCRLF {
		dst = append(dst, crlf...)
	}
	e.Reset()
	return dst, nil
}
