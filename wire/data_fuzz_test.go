package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file holds byte-at-a-time reference implementations of the DATA and
// BDAT decoders, written for clarity, and the fuzz targets that hold the
// real ones to them.

// refResult is what a decoder run produced.
type refResult struct {
	out      string
	n        int
	done     bool
	sentinel error
	offset   int
	size     int64
}

// refSink is the reference bookkeeping: one octet at a time.
type refSink struct {
	maxSize  int64
	maxLine  int
	out      []byte
	size     int64
	lineBase int64
	lineOff  int64
	sentinel error
	offset   int64
}

func refRank(s error) int {
	switch s {
	case ErrLineTooLong:
		return 1
	case ErrMessageTooBig:
		return 2
	}
	return 0
}

// violate keeps the violation with the smallest offset (then rank).
func (r *refSink) violate(at int64, s error) {
	if r.sentinel == nil || at < r.offset || (at == r.offset && refRank(s) < refRank(r.sentinel)) {
		r.sentinel, r.offset = s, at
	}
}

// put emits one decoded octet that stands for the input octet at offset at.
func (r *refSink) put(b byte, at int64) {
	r.size++
	if r.maxSize > 0 && r.size > r.maxSize {
		if r.size == r.maxSize+1 {
			r.violate(at, ErrMessageTooBig)
		}
		return
	}
	r.out = append(r.out, b)
}

func (r *refSink) endLine(next int64) {
	if r.maxLine > 0 && r.size-r.lineBase > int64(r.maxLine) {
		r.violate(r.lineOff, ErrLineTooLong)
	}
	r.lineBase, r.lineOff = r.size, next
}

func (r *refSink) result(n int, done bool) refResult {
	res := refResult{out: string(r.out), n: n, done: done, sentinel: r.sentinel, offset: int(r.offset), size: r.size}
	if res.sentinel == nil {
		res.offset = 0
	}
	return res
}

// refDataDecode decodes src the slow, obvious way (RFC 5321 4.1.1.4, 4.5.2).
func refDataDecode(d DataDecoder, src []byte) refResult {
	r := &refSink{maxSize: d.MaxSize, maxLine: d.MaxLineLength}
	pol := d.Policy
	if pol > BareAllow {
		pol = BareReject
	}
	bare := func(c byte, at int64) {
		switch pol {
		case BareReject:
			if c == '\r' {
				r.violate(at, ErrBareCR)
			} else {
				r.violate(at, ErrBareLF)
			}
			r.put(c, at)
		case BareNormalize:
			r.put('\r', at)
			r.put('\n', at)
			r.endLine(at + 1)
		default:
			r.put(c, at)
		}
	}
	const (
		start = iota
		mid
		cr
		dot
		dotcr
	)
	st := start
	for i, b := range src {
		at := int64(i)
		switch st {
		case start:
			if b == '.' {
				st = dot
				continue
			}
		case dot:
			if b == '\r' {
				st = dotcr
				continue
			}
		case dotcr:
			if b == '\n' {
				return r.result(i+1, true)
			}
			bare('\r', at-1)
		case cr:
			if b == '\n' {
				r.put('\r', at-1)
				r.put('\n', at)
				r.endLine(at + 1)
				st = start
				continue
			}
			bare('\r', at-1)
		}
		st = mid
		switch b {
		case '\r':
			st = cr
		case '\n':
			bare('\n', at)
		default:
			if b == 0 && !d.AllowNUL {
				r.violate(at, ErrNUL)
			}
			r.put(b, at)
		}
	}
	return r.result(len(src), false)
}

// refChunkDecode decodes the concatenated data of a message's chunks; last
// says the LAST chunk ends with data.
func refChunkDecode(c ChunkDecoder, data []byte, last bool) refResult {
	r := &refSink{maxSize: c.MaxSize}
	pol := c.Policy
	if pol > BareAllow {
		pol = BareReject
	}
	bareCR := func(at int64) {
		switch pol {
		case BareReject:
			r.violate(at, ErrBareCR)
		case BareNormalize:
			r.put('\n', at)
		}
	}
	held := false
	for i, b := range data {
		at := int64(i)
		if held {
			held = false
			if b == '\n' {
				r.put('\n', at)
				continue
			}
			bareCR(at - 1)
		}
		switch b {
		case '\r':
			r.put('\r', at)
			held = true
		case '\n':
			switch pol {
			case BareReject:
				r.violate(at, ErrBareLF)
				r.put('\n', at)
			case BareNormalize:
				r.put('\r', at)
				r.put('\n', at)
			default:
				r.put('\n', at)
			}
		default:
			if b == 0 && !c.AllowNUL {
				r.violate(at, ErrNUL)
			}
			r.put(b, at)
		}
	}
	if held && last {
		bareCR(int64(len(data)) - 1)
	}
	return r.result(len(data), last)
}

// normalizeBody writes every bare CR and bare LF of b as CRLF.
func normalizeBody(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case b[i] == '\r' || b[i] == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b[i])
		}
	}
	return out
}

// refFirstBare returns the offset and kind of the first bare CR or LF in a
// whole body, or -1.
func refFirstBare(b []byte) (int, error) {
	for i := range b {
		if b[i] == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return i, ErrBareCR
		}
		if b[i] == '\n' && (i == 0 || b[i-1] != '\r') {
			return i, ErrBareLF
		}
	}
	return -1, nil
}

// withTerminator adds the CRLF a body needs before ".\r\n" (RFC 5321
// 4.1.1.4) under the line-start rules of a policy.
func withTerminator(body []byte) []byte {
	if len(body) == 0 || bytes.HasSuffix(body, crlf) {
		return body
	}
	return append(bytes.Clone(body), crlf...)
}

// errParts splits a decoder error into offset and sentinel.
func errParts(t testing.TB, err error) (offset int, sentinel error) {
	if err == nil {
		return 0, nil
	}
	var se *SyntaxError
	require.True(t, errors.As(err, &se), "error %v is not a *SyntaxError", err)
	return se.Offset, se.Err
}

// runData feeds pieces to a fresh copy of proto and returns the combined
// result; it stops feeding once done.
func runData(t testing.TB, proto DataDecoder, pieces ...[]byte) refResult {
	d := proto
	d.Reset()
	var out []byte
	total := 0
	done := false
	for _, p := range pieces {
		var n int
		out, n, done = d.Decode(out, p)
		require.LessOrEqual(t, n, len(p))
		if !done {
			require.Equal(t, len(p), n, "not done must consume everything")
		}
		total += n
		if done {
			break
		}
	}
	require.Equal(t, done, d.Done())
	off, s := errParts(t, d.Err())
	return refResult{out: string(out), n: total, done: done, sentinel: s, offset: off, size: d.Size()}
}

// smuggle is the table of malformed end-of-data sequences of SPEC 2.8, with
// the violation BareReject reports for each and its offset in the sequence.
var smuggle = []struct {
	name, seq string
	want      error
	at        int
}{
	{"lflf", "\n.\n", ErrBareLF, 0},
	{"crcr", "\r.\r", ErrBareCR, 0},
	{"crlf", "\r.\n", ErrBareCR, 0},
	{"lfcr", "\n.\r", ErrBareLF, 0},
	{"lfcrlf", "\n.\r\n", ErrBareLF, 0},
	{"crcrlf", "\r.\r\n", ErrBareCR, 0},
	{"crlflf", "\r\n.\n", ErrBareLF, 3},
	{"crlfcr", "\r\n.\r", ErrBareCR, 3},
	{"nullbefore", "\r\n\x00.\r\n", ErrNUL, 2},
	{"nullafter", "\r\n.\x00\r\n", ErrNUL, 3},
	{"crlfcrcrlf", "\r\n.\r\r\n", ErrBareCR, 3},
	{"crcrlfcrcrlf", "\r\r\n.\r\r\n", ErrBareCR, 0},
}

// dataSeeds returns encoder-built messages plus the smuggling sequences.
func dataSeeds(tb testing.TB) [][]byte {
	bodies := []string{
		"", "a\r\n", ".\r\n", "..\r\n", ".foo\r\nbar\r\n", "no final line break",
		"Subject: x\r\n\r\n.\r\n..\r\n...\r\nend\r\n",
	}
	var seeds [][]byte
	for _, b := range bodies {
		var e DataEncoder
		w, err := e.Encode(nil, []byte(b))
		require.NoError(tb, err)
		w, err = e.Close(w)
		require.NoError(tb, err)
		seeds = append(seeds, append(w, "QUIT\r\n"...))
	}
	for _, s := range smuggle {
		seeds = append(seeds, []byte("a"+s.seq+"MAIL FROM:<evil@x>\r\n\r\n.\r\nRSET\r\n"))
	}
	return seeds
}

// decoderFromMode builds a decoder configuration from a fuzz mode byte.
func decoderFromMode(mode, win uint8) DataDecoder {
	return DataDecoder{
		Policy:        BarePolicy(mode % 4), // 3 is out of range: must act as BareReject
		AllowNUL:      mode&4 != 0,
		MaxSize:       [...]int64{0, 1, 7, 40}[mode>>3&3],
		MaxLineLength: [...]int{0, 1, 4, 30}[mode>>5&3],
		window:        int(win % 32),
	}
}

func FuzzDataDecoder(f *testing.F) {
	for i, s := range dataSeeds(f) {
		f.Add(s, uint8(i*37), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode, win uint8) {
		proto := decoderFromMode(mode, win)
		want := refDataDecode(proto, data)
		got := runData(t, proto, data)
		require.Equal(t, want, got, "whole input")
		// Discard frames identically and appends nothing.
		discard := proto
		discard.Discard = true
		dg := runData(t, discard, data)
		require.Empty(t, dg.out)
		dg.out = want.out
		require.Equal(t, want, dg, "discard")
		// Every split into two buffers; past 512 octets, 512 evenly spaced
		// ones, to keep each run short.
		step := 1 + len(data)/512
		for cut := 0; cut <= len(data); cut += step {
			got := runData(t, proto, data[:cut], data[cut:])
			require.Equal(t, want, got, "split at %d", cut)
		}
	})
}

func FuzzDataRoundTrip(f *testing.F) {
	for _, b := range []string{"", "a", ".", "..\r\n", "abc\n.jkl\rfoo\r\n..blue", "\r", "x\r\n.\r\n", ".\n.\r."} {
		f.Add([]byte(b), uint16(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		c := int(cut) % (len(body) + 1)
		for _, pol := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
			e := DataEncoder{Policy: pol}
			wire, err := e.Encode(nil, body[:c])
			if err == nil {
				wire, err = e.Encode(wire, body[c:])
			}
			if err == nil {
				wire, err = e.Close(wire)
			}
			want := body
			if pol == BareReject {
				at, kind := refFirstBare(body)
				if at >= 0 {
					off, s := errParts(t, err)
					require.Equal(t, kind, s)
					require.Equal(t, at, off)
					continue
				}
			}
			require.NoError(t, err)
			if pol == BareNormalize {
				want = normalizeBody(body)
			}
			want = withTerminator(want)
			// Whole encode equals split encode.
			var whole DataEncoder
			whole.Policy = pol
			w2, err := whole.Encode(nil, body)
			require.NoError(t, err)
			w2, err = whole.Close(w2)
			require.NoError(t, err)
			require.Equal(t, wire, w2, "split encode")
			// Decoding gives the body back, at exactly the end of the wire.
			d := DataDecoder{Policy: pol, AllowNUL: true}
			if pol == BareNormalize {
				d.Policy = BareReject // normalized output is canonical
			}
			out, n, done := d.Decode(nil, wire)
			require.True(t, done, "policy %v wire %q", pol, wire)
			require.Equal(t, len(wire), n)
			require.NoError(t, d.Err())
			require.Equal(t, string(want), string(out), "policy %v wire %q", pol, wire)
		}
	})
}

func FuzzChunkDecoder(f *testing.F) {
	for _, s := range smuggle {
		f.Add([]byte("x"+s.seq+"MAIL FROM:<evil@x>\r\n"), []byte{3, 9, 200}, uint8(0), uint16(5))
	}
	f.Add([]byte("ab\r\ncd\rQUIT\r\n"), []byte{3, 0, 4}, uint8(1), uint16(2))
	f.Fuzz(func(t *testing.T, stream, sizes []byte, mode uint8, cut uint16) {
		if len(sizes) == 0 || len(sizes) > 64 {
			return
		}
		proto := ChunkDecoder{
			Policy:   BarePolicy(mode % 4),
			AllowNUL: mode&4 != 0,
			MaxSize:  [...]int64{0, 1, 7, 40}[mode>>3&3],
		}
		total := 0
		for _, s := range sizes {
			total += int(s)
		}
		c := int(cut) % (len(stream) + 1)
		pieces := [][]byte{stream[:c], stream[c:]}
		d := proto
		var out []byte
		consumed := 0
		complete := true
		for k, s := range sizes {
			last := k == len(sizes)-1
			d.Start(uint64(s), last)
			require.Equal(t, uint64(s), d.Remaining())
			require.Equal(t, last, d.Last())
			done := false
			for !done {
				for len(pieces) > 0 && len(pieces[0]) == 0 {
					pieces = pieces[1:]
				}
				if len(pieces) == 0 && d.Remaining() > 0 {
					break
				}
				var p []byte
				if len(pieces) > 0 {
					p = pieces[0]
				}
				var n int
				out, n, done = d.Decode(out, p)
				require.LessOrEqual(t, uint64(n), uint64(s))
				consumed += n
				if len(pieces) > 0 {
					pieces[0] = pieces[0][n:]
				}
			}
			if !done {
				complete = false
				break
			}
		}
		if complete {
			require.Equal(t, total, consumed, "chunks consume exactly their sizes")
			require.Zero(t, d.Remaining())
		} else {
			require.Equal(t, len(stream), consumed)
		}
		want := refChunkDecode(proto, stream[:consumed], complete)
		off, s := errParts(t, d.Err())
		got := refResult{out: string(out), n: consumed, done: complete, sentinel: s, offset: off, size: d.Size()}
		require.Equal(t, want, got)
	})
}
