package wire

import (
	"bytes"
	"math"
)

// ChunkDecoder frames the message data of BDAT commands (RFC 3030 section
// 2): each "BDAT <size> [LAST]" command is followed by exactly size octets
// of data, with no dot-stuffing and no end-of-data marker, so the decoder
// counts octets and never looks for a terminator. A chunk is always
// consumed to its last octet, even for a refused command (set Discard), so
// chunk content never runs as commands.
//
// Content is checked across chunk boundaries: a CR at the end of one chunk
// and an LF at the start of the next are a CRLF, and a CR at the end of the
// LAST chunk is a bare CR.
//
// The zero value is ready to use with BareReject. A ChunkDecoder is not safe
// for concurrent use.
type ChunkDecoder struct {
	// Policy says what to do with a bare CR or bare LF: BareReject records
	// ErrBareCR or ErrBareLF and keeps the octet, BareNormalize writes CRLF
	// in its place, BareAllow keeps it (use it for BODY=BINARYMIME, RFC
	// 3030 section 3, where the content is arbitrary octets).
	Policy BarePolicy
	// AllowNUL accepts NUL octets; when false a NUL records ErrNUL and is
	// kept.
	AllowNUL bool
	// MaxSize limits the decoded size of the whole message, all chunks
	// together (0: no limit). Past it the decoder records ErrMessageTooBig,
	// appends nothing more and keeps consuming chunks.
	MaxSize int64
	// Discard consumes chunks but appends nothing.
	Discard bool

	tally
	remaining uint64
	last      bool  // the current chunk was announced with LAST
	complete  bool  // the LAST chunk has been consumed
	cr        bool  // the last octet consumed was a CR (already written) whose LF may follow
	off       int64 // data octets consumed in this message, all chunks
}

// Reset prepares the decoder for a new message, keeping its settings.
func (c *ChunkDecoder) Reset() {
	c.tally = tally{}
	c.remaining, c.last, c.complete, c.cr, c.off = 0, false, false, false, 0
}

// Start announces a chunk of size octets, from a BDAT command; last is true
// for "BDAT <size> LAST" (RFC 3030 section 2), and "BDAT 0 LAST" is valid.
// Call Decode until it reports done, even for size 0, since the end of the
// LAST chunk may still resolve a held CR. Start after the LAST chunk was
// consumed begins a new message, as after Reset. Start is meant to be called
// when Remaining is 0; otherwise the announced octets are added to those
// still expected, so the stream stays in step with the peer.
func (c *ChunkDecoder) Start(size uint64, last bool) {
	if c.complete {
		c.Reset()
	}
	if size > math.MaxUint64-c.remaining {
		c.remaining = math.MaxUint64
	} else {
		c.remaining += size
	}
	c.last = last
}

// Remaining returns the number of octets of the current chunk not yet
// consumed.
func (c *ChunkDecoder) Remaining() uint64 { return c.remaining }

// Last reports whether the current chunk was announced with LAST.
func (c *ChunkDecoder) Last() bool { return c.last }

// Err returns the earliest violation in the message so far, as
// DataDecoder.Err does, or nil. Offsets count data octets of the message,
// all chunks together, not the BDAT command lines.
func (c *ChunkDecoder) Err() error { return c.errOrNil() }

// Size returns the number of decoded octets of the message so far, including
// those not appended because of Discard or MaxSize.
func (c *ChunkDecoder) Size() int64 { return c.size }

// Decode consumes at most Remaining octets of src, appends the decoded octets
// to dst and returns the extended slice (which aliases dst's array when it
// has room), the number of octets consumed, and whether the chunk is
// complete; src[n:] is then the next command. Decode keeps no reference to
// src or dst: the caller may reuse src as soon as it returns.
func (c *ChunkDecoder) Decode(dst, src []byte) (out []byte, n int, done bool) {
	n = len(src)
	if uint64(n) > c.remaining {
		n = int(c.remaining)
	}
	if n > 0 {
		dst = c.scan(dst, src[:n])
		c.off += int64(n)
		c.remaining -= uint64(n)
	}
	if c.remaining > 0 {
		return dst, n, false
	}
	if c.last && !c.complete {
		c.complete = true
		if c.cr {
			// The message ends here, so a final CR has no LF: it is bare
			// (RFC 5321 2.3.8).
			c.cr = false
			dst = c.bareCR(dst, c.off-1, c.Policy.effective())
		}
	}
	return dst, n, true
}

// scan checks and appends the chunk octets p (non-empty).
func (c *ChunkDecoder) scan(dst, p []byte) []byte {
	pol := c.Policy.effective()
	prevCR := c.cr
	c.cr = p[len(p)-1] == '\r'
	pairedLF := prevCR && p[0] == '\n' // the LF of a CRLF split between chunks
	if prevCR && !pairedLF {
		dst = c.bareCR(dst, c.off-1, pol)
	}
	checkNUL := !c.AllowNUL && c.err == nil
	if pol == BareNormalize {
		start := 0
		if pairedLF {
			start = 1
		}
		return c.normalize(dst, p, start, checkNUL)
	}
	if pol == BareReject && c.err == nil {
		if k, sentinel := firstBare(p, pairedLF); k >= 0 {
			reason := reasonBareLF
			if sentinel == ErrBareCR {
				reason = reasonBareCR
			}
			c.violate(c.off+int64(k), sentinel, ruleBare, reason)
		}
	}
	if checkNUL {
		if z := bytes.IndexByte(p, 0); z >= 0 {
			c.violate(c.off+int64(z), ErrNUL, ruleNUL, reasonNUL)
		}
	}
	// Under BareReject and BareAllow the content is kept as received.
	return c.emit(dst, p, c.off, c.MaxSize, c.Discard)
}

// bareCR handles a bare CR at offset at whose octet was already written.
func (c *ChunkDecoder) bareCR(dst []byte, at int64, pol BarePolicy) []byte {
	switch pol {
	case BareReject:
		c.violate(at, ErrBareCR, ruleBare, reasonBareCR)
	case BareNormalize:
		dst = c.emitFrom(dst, onlyLF, at, c.MaxSize, c.Discard)
	}
	return dst
}

// normalize appends p from index i on with every bare CR or LF written as
// CRLF (RFC 5321 2.3.8). A CR is written as soon as it is read; the LF that
// completes a bare one is added when the next octet is known.
func (c *ChunkDecoder) normalize(dst, p []byte, i int, checkNUL bool) []byte {
	run := 0
	for i < len(p) {
		seg := p[i:]
		k := bytes.IndexByte(seg, '\n')
		if k < 0 {
			k = len(seg)
		}
		if x := bytes.IndexByte(seg[:k], '\r'); x >= 0 {
			k = x
		}
		if checkNUL && c.err == nil {
			if z := bytes.IndexByte(seg[:k], 0); z >= 0 {
				c.violate(c.off+int64(i+z), ErrNUL, ruleNUL, reasonNUL)
			}
		}
		i += k
		if i == len(p) {
			break
		}
		if p[i] == '\n' {
			dst = c.emit(dst, p[run:i], c.off+int64(run), c.MaxSize, c.Discard)
			dst = c.emitFrom(dst, crlf, c.off+int64(i), c.MaxSize, c.Discard)
			i++
			run = i
			continue
		}
		if i+1 == len(p) {
			break // a final CR: the next chunk decides
		}
		if p[i+1] == '\n' {
			i += 2
			continue
		}
		dst = c.emit(dst, p[run:i+1], c.off+int64(run), c.MaxSize, c.Discard)
		dst = c.emitFrom(dst, onlyLF, c.off+int64(i), c.MaxSize, c.Discard)
		i++
		run = i
	}
	return c.emit(dst, p[run:], c.off+int64(run), c.MaxSize, c.Discard)
}

// firstBare returns the index in p of its first bare CR or bare LF (RFC 5321
// 2.3.8) and ErrBareCR or ErrBareLF, or -1 and nil. A CR as the last octet
// of p is not reported: what follows p decides. pairedLF says that an LF at
// p[0] completes a CR that came before p. It walks the lines with one
// bytes.IndexByte each and counts the CRs in one pass; only when the count
// shows a bare CR does it look for it.
func firstBare(p []byte, pairedLF bool) (int, error) {
	crs, i, limit, lfAt := 0, 0, len(p), -1
	for {
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			break
		}
		lf := i + j
		if lf > 0 && p[lf-1] == '\r' {
			crs++
		} else if lf > 0 || !pairedLF {
			lfAt, limit = lf, lf
			break
		}
		i = lf + 1
	}
	want := crs
	if limit == len(p) && limit > 0 && p[limit-1] == '\r' {
		want++ // the undecided final CR
	}
	if bytes.Count(p[:limit], onlyCR) != want {
		for k := 0; k < limit; {
			x := bytes.IndexByte(p[k:limit], '\r')
			if x < 0 {
				break
			}
			x += k
			if x+1 == len(p) || p[x+1] == '\n' {
				k = x + 1
				continue
			}
			return x, ErrBareCR
		}
	}
	if lfAt >= 0 {
		return lfAt, ErrBareLF
	}
	return -1, nil
}
