package wire

import (
	"bytes"

	"github.com/smtpkit/smtpkit/reply"
)

// Grammar element, rules and reasons used by the DATA and BDAT codecs.
const (
	elemMailData = "mail-data"

	ruleBare = "RFC 5321 2.3.8"
	ruleNUL  = "RFC 5322 3.5"
	ruleLine = "RFC 5321 4.5.3.1.6"
	ruleSize = "RFC 5321 4.5.3.1.9"

	reasonBareCR = "bare CR in mail data"
	reasonBareLF = "bare LF in mail data"
	reasonNUL    = "NUL octet in mail data"
	reasonLine   = "text line too long"
	reasonSize   = "too much mail data"
)

var (
	crlf   = []byte("\r\n")
	onlyCR = []byte("\r")
	onlyLF = []byte("\n")
)

// defaultWindow bounds how much input the DATA fast path walks before it
// checks its work, so a bare CR costs at most one window of slow scanning.
const defaultWindow = 16 << 10

// tally is the bookkeeping the DATA and BDAT decoders share: the decoded
// size and the earliest violation seen.
type tally struct {
	size int64
	err  *SyntaxError
}

// violationRank orders violations found at the same offset: content
// violations first, then line length, then size.
func violationRank(sentinel error) int {
	switch sentinel {
	case ErrLineTooLong:
		return 1
	case ErrMessageTooBig:
		return 2
	}
	return 0
}

// violate records a violation at stream offset at unless an earlier one (by
// offset, then rank) is already recorded. It allocates only when it records.
func (t *tally) violate(at int64, sentinel error, rule, reason string) {
	if e := t.err; e != nil {
		if int64(e.Offset) < at || (int64(e.Offset) == at && violationRank(e.Err) <= violationRank(sentinel)) {
			return
		}
	}
	t.err = errAt(elemMailData, int(at), rule, reason, sentinel)
	t.err.Code, t.err.Enhanced = dataReply(sentinel)
}

// dataReply is the reply to a message refused after its end (RFC 5321
// 4.3.2 allows 552 and 554 there, not 500): 552 5.3.4 for too much data
// (RFC 5321 4.5.3.1.10, RFC 3463 X.3.4), otherwise 554 5.6.0, a content
// error (RFC 3463 X.6.0, other or undefined media error).
func dataReply(sentinel error) (reply.Code, reply.Enhanced) {
	if sentinel == ErrMessageTooBig {
		return reply.CodeExceededStorage, reply.E(5, 3, 4)
	}
	return reply.CodeTransactionFailed, reply.E(5, 6, 0)
}

// emit accounts for the decoded octets p, which stand one for one for the
// input octets starting at stream offset at, and appends them to dst unless
// discard is set or they would take the size past limit (RFC 5321
// 4.5.3.1.9; 0: no limit). Output stops at exactly limit octets.
func (t *tally) emit(dst, p []byte, at, limit int64, discard bool) []byte {
	n := int64(len(p))
	if limit > 0 && t.size+n > limit {
		if t.size <= limit {
			keep := limit - t.size
			if !discard {
				dst = append(dst, p[:keep]...)
			}
			t.violate(at+keep, ErrMessageTooBig, ruleSize, reasonSize)
		}
		t.size += n
		return dst
	}
	t.size += n
	if !discard {
		dst = append(dst, p...)
	}
	return dst
}

// emitFrom is emit for octets that all stand for the one input octet at
// stream offset at, such as the CRLF written for a normalized bare LF.
func (t *tally) emitFrom(dst, p []byte, at, limit int64, discard bool) []byte {
	n := int64(len(p))
	if limit > 0 && t.size+n > limit && t.size <= limit {
		keep := limit - t.size
		if !discard {
			dst = append(dst, p[:keep]...)
		}
		t.violate(at, ErrMessageTooBig, ruleSize, reasonSize)
		t.size += n
		return dst
	}
	return t.emit(dst, p, at, limit, discard)
}

// errOrNil returns the recorded violation or a nil error (never a typed nil).
func (t *tally) errOrNil() error {
	if t.err == nil {
		return nil
	}
	return t.err
}

// effective maps an out-of-range policy value to the safe default.
func (p BarePolicy) effective() BarePolicy {
	if p > BareAllow {
		return BareReject
	}
	return p
}

// Decoder states. The zero value is the start of a line: the CRLF of the
// DATA command counts (RFC 5321 4.1.1.4).
const (
	stStart uint8 = iota // at the start of a protocol line (after CRLF)
	stMid                // inside a line
	stCR                 // a CR was read and held; its LF may follow
	stDot                // a "." at the start of a line was read and held
	stDotCR              // "." CR at the start of a line was read and held
	stDone               // CRLF "." CRLF was read
)

// DataDecoder is the receiving side of DATA (RFC 5321 sections 4.1.1.4 and
// 4.5.2): it finds the end of the mail data, removes dot-stuffing, checks
// the content against the policies and limits, and appends the message to a
// buffer. Only CRLF "." CRLF ends the data; a bare CR or bare LF never starts
// a protocol line under any policy, so "\n.\n" never ends the data and a dot
// after a bare LF is content.
//
// The decoded body includes the CRLF that ends the last line and excludes
// the final ".\r\n". Violations do not stop the decoder: it always reads to
// the end of the data, so nothing in a refused message runs as a command;
// the caller checks Err once Decode reports done.
//
// The zero value is ready to use with the default policy (BareReject, no
// NUL, no limits). A DataDecoder is not safe for concurrent use.
type DataDecoder struct {
	// Policy says what to do with a bare CR or bare LF in the content:
	// BareReject records ErrBareCR or ErrBareLF and keeps the octet,
	// BareNormalize writes CRLF in its place, BareAllow keeps it.
	Policy BarePolicy
	// AllowNUL accepts NUL octets; when false a NUL records ErrNUL and is
	// kept.
	AllowNUL bool
	// MaxSize limits the decoded size in octets (0: no limit). Past it the
	// decoder records ErrMessageTooBig, appends nothing more and keeps
	// reading to the end of the data.
	MaxSize int64
	// MaxLineLength limits a decoded line, CRLF included and the stuffing
	// dot not counted (RFC 5321 4.5.3.1.6; 0: no limit). A longer line
	// records ErrLineTooLong at the offset of its first octet. Under
	// BareNormalize a bare CR or LF also ends a line for this count.
	MaxLineLength int
	// Discard scans and frames the data but appends nothing, for a message
	// already refused or over its size.
	Discard bool

	tally
	st       uint8
	off      int64 // input octets consumed since the 354 reply
	lineBase int64 // decoded size at the start of the current line
	lineOff  int64 // input offset of the start of the current line
	window   int   // fast-path window; 0 means defaultWindow (tests set it)
}

// Reset prepares the decoder for a new message, keeping its settings.
func (d *DataDecoder) Reset() {
	d.tally = tally{}
	d.st = stStart
	d.off, d.lineBase, d.lineOff = 0, 0, 0
}

// Done reports whether the end of the mail data has been read.
func (d *DataDecoder) Done() bool { return d.st == stDone }

// Err returns the earliest violation in the data so far (smallest offset;
// at one offset a content violation comes before line length, which comes
// before size), or nil. The error is a *SyntaxError wrapping ErrBareLF,
// ErrBareCR, ErrNUL, ErrLineTooLong or ErrMessageTooBig whose Offset counts
// input octets since the 354 reply.
func (d *DataDecoder) Err() error { return d.errOrNil() }

// Size returns the number of decoded body octets so far, including those
// not appended because of Discard or MaxSize.
func (d *DataDecoder) Size() int64 { return d.size }

// Decode reads mail data from src and appends the decoded octets to dst,
// returning the extended slice (which aliases dst's array when it has room),
// the number of octets of src consumed and whether the end of the data was
// reached. When done, src[n:] is what follows the data (the next pipelined
// command); otherwise n == len(src) and any partial terminator is kept
// inside the decoder, so the caller never presents octets twice. Decode
// keeps no reference to src or dst: the caller may reuse src as soon as it
// returns. After done, Decode consumes nothing until Reset.
func (d *DataDecoder) Decode(dst, src []byte) (out []byte, n int, done bool) {
	if d.st == stDone {
		return dst, 0, true
	}
	base := d.off
	nul := -1 // index of the next NUL at or after the fast path's start; -1: unknown
	pos := 0
	for pos < len(src) && d.st != stDone {
		if d.st == stStart || d.st == stMid {
			var slowTo int
			dst, pos, slowTo = d.fast(dst, src, pos, base, &nul)
			if slowTo > pos {
				dst, pos = d.slow(dst, src, pos, slowTo, base)
			}
			continue
		}
		// A held CR, dot or dot-CR is resolved by the next octet.
		dst, pos = d.slow(dst, src, pos, pos+1, base)
	}
	d.off = base + int64(pos)
	return dst, pos, d.st == stDone
}

// fast walks src from pos one CRLF-terminated line at a time with one
// bytes.IndexByte per line, copying runs of ordinary lines with one append.
// It assumes every CR it meets ends a line; when the policy cares, it counts
// the CRs in what it walked and, if one was bare, undoes the walk and hands
// it to slow. It returns where it stopped and, past that, how far slow must
// go before the fast path can resume (a line with no LF yet).
func (d *DataDecoder) fast(dst, src []byte, pos int, base int64, nul *int) ([]byte, int, int) {
	pol := d.Policy.effective()
	verify := pol == BareNormalize || (pol == BareReject && d.err == nil)
	saved := *d
	mark := len(dst)
	checkNUL := !d.AllowNUL && d.err == nil
	if checkNUL && *nul < pos {
		// Find the next NUL once per Decode call, not once per window.
		*nul = bytes.IndexByte(src[pos:], 0)
		if *nul < 0 {
			*nul = len(src)
		} else {
			*nul += pos
		}
	}
	win := d.window
	if win <= 0 {
		win = defaultWindow
	}
	limit := pos + win
	// The loop keeps its bookkeeping in locals: sz is the decoded size at
	// src[run], so the decoded size at any x >= run is sz + x - run.
	i, run, crs := pos, pos, 0
	sz, lineBase, lineOff := d.size, d.lineBase, d.lineOff
	maxLine := int64(d.MaxLineLength)
	nulAt := *nul
	atStart := d.st == stStart
	stop, slowTo := 0, 0
	for {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			stop, slowTo = i, len(src)
			break
		}
		lf := i + j
		if atStart && src[i] == '.' {
			dst = d.emit(dst, src[run:i], base+int64(run), d.MaxSize, d.Discard)
			if j == 2 && src[i+1] == '\r' {
				// RFC 5321 4.1.1.4: CRLF "." CRLF is the end of mail data.
				crs++
				stop, run = lf+1, lf+1
				d.st = stDone
				break
			}
			// RFC 5321 4.5.2: a leading dot on any other line is deleted.
			run, sz = i+1, d.size
		}
		if checkNUL && nulAt <= lf {
			d.violate(base+int64(nulAt), ErrNUL, ruleNUL, reasonNUL)
			checkNUL = false
		}
		if lf > i && src[lf-1] == '\r' {
			crs++
			end := sz + int64(lf+1-run)
			if maxLine > 0 && end-lineBase > maxLine {
				// RFC 5321 4.5.3.1.6: text line length, CRLF included.
				d.violate(lineOff, ErrLineTooLong, ruleLine, reasonLine)
			}
			lineBase, lineOff = end, base+int64(lf+1)
			atStart = true
		} else {
			// RFC 5321 4.1.1.4: a bare LF never ends a line, so the next
			// octet is not at the start of a protocol line.
			atStart = false
			switch pol {
			case BareReject:
				d.violate(base+int64(lf), ErrBareLF, ruleBare, reasonBareLF)
			case BareNormalize:
				dst = d.emit(dst, src[run:lf], base+int64(run), d.MaxSize, d.Discard)
				dst = d.emitFrom(dst, crlf, base+int64(lf), d.MaxSize, d.Discard)
				run, sz = lf+1, d.size
				if maxLine > 0 && sz-lineBase > maxLine {
					d.violate(lineOff, ErrLineTooLong, ruleLine, reasonLine)
				}
				lineBase, lineOff = sz, base+int64(lf+1)
			}
		}
		i = lf + 1
		if i >= limit {
			stop = i
			break
		}
	}
	if run < stop {
		dst = d.emit(dst, src[run:stop], base+int64(run), d.MaxSize, d.Discard)
	}
	d.lineBase, d.lineOff = lineBase, lineOff
	if d.st != stDone {
		d.st = stMid
		if atStart {
			d.st = stStart
		}
	}
	if verify && bytes.Count(src[pos:stop], onlyCR) != crs {
		// Some CR in the walk was bare: redo it octet-exactly.
		*d = saved
		dst, stop = d.slow(dst[:mark], src, pos, stop, base)
	}
	return dst, stop, slowTo
}

// slow decodes src[pos:end] exactly, stopping early at the end of the data.
// It finds CR, LF and NUL with bytes.IndexByte, so it is linear, but it pays
// a few calls per line; fast handles ordinary lines.
func (d *DataDecoder) slow(dst, src []byte, pos, end int, base int64) ([]byte, int) {
	pol := d.Policy.effective()
	run := pos
	for pos < end && d.st != stDone {
		switch d.st {
		case stStart:
			if src[pos] == '.' {
				d.st = stDot
				pos++
				run = pos
				continue
			}
			d.st = stMid
		case stDot:
			if src[pos] == '\r' {
				d.st = stDotCR
				pos++
				run = pos
				continue
			}
			// RFC 5321 4.5.2: the line is not exactly ".", so the leading
			// dot is deleted.
			d.st = stMid
		case stDotCR:
			if src[pos] == '\n' {
				// RFC 5321 4.1.1.4: end of mail data.
				pos++
				run = pos
				d.st = stDone
				continue
			}
			// The dot was a stuffing dot and the CR after it is bare.
			dst = d.bare(dst, onlyCR, base+int64(pos)-1, pol)
			d.st = stMid
		case stCR:
			if src[pos] == '\n' {
				dst = d.emit(dst, crlf, base+int64(pos)-1, d.MaxSize, d.Discard)
				pos++
				run = pos
				d.endLine(d.size, base+int64(pos))
				d.st = stStart
				continue
			}
			dst = d.bare(dst, onlyCR, base+int64(pos)-1, pol)
			d.st = stMid
		default: // stMid
			seg := src[pos:end]
			k := bytes.IndexByte(seg, '\n')
			if k < 0 {
				k = len(seg)
			}
			if c := bytes.IndexByte(seg[:k], '\r'); c >= 0 {
				k = c
			}
			if !d.AllowNUL && d.err == nil {
				if z := bytes.IndexByte(seg[:k], 0); z >= 0 {
					d.violate(base+int64(pos+z), ErrNUL, ruleNUL, reasonNUL)
				}
			}
			pos += k
			if pos == end {
				break
			}
			dst = d.emit(dst, src[run:pos], base+int64(run), d.MaxSize, d.Discard)
			if src[pos] == '\r' {
				d.st = stCR // held until the next octet says whether it is bare
			} else {
				dst = d.bare(dst, onlyLF, base+int64(pos), pol)
			}
			pos++
			run = pos
		}
	}
	if run < pos {
		dst = d.emit(dst, src[run:pos], base+int64(run), d.MaxSize, d.Discard)
	}
	return dst, pos
}

// bare handles a bare CR or LF (c) at input offset at (RFC 5321 2.3.8) per
// policy. It never changes the framing: the caller stays inside the line.
func (d *DataDecoder) bare(dst, c []byte, at int64, pol BarePolicy) []byte {
	switch pol {
	case BareNormalize:
		dst = d.emitFrom(dst, crlf, at, d.MaxSize, d.Discard)
		d.endLine(d.size, at+1)
		return dst
	case BareReject:
		if c[0] == '\r' {
			d.violate(at, ErrBareCR, ruleBare, reasonBareCR)
		} else {
			d.violate(at, ErrBareLF, ruleBare, reasonBareLF)
		}
	}
	return d.emit(dst, c, at, d.MaxSize, d.Discard)
}

// endLine closes the current line at decoded size end and starts the next
// one at input offset next, checking the line length (RFC 5321 4.5.3.1.6).
func (d *DataDecoder) endLine(end, next int64) {
	if d.MaxLineLength > 0 && end-d.lineBase > int64(d.MaxLineLength) {
		d.violate(d.lineOff, ErrLineTooLong, ruleLine, reasonLine)
	}
	d.lineBase = end
	d.lineOff = next
}
