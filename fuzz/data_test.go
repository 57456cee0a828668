package fuzz

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/textproto"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the DATA framing differential. wire.DataDecoder, fed in
// fuzz-chosen cuts, is held to ddReference, a decoder written line by line
// straight from RFC 5321 section 4.1.1.4 (the data ends at the first CRLF
// "." CRLF) and section 4.5.2 (a line starting with "." loses it), with
// the bare CR/LF, NUL and limit rules that wire/policy.go and the
// DataDecoder fields document; to net/textproto's DotReader where its
// semantics agree; and to wire.ChunkDecoder, which must see the same
// message in BDAT chunks. wire's FuzzDataDecoder compares with an
// octet-at-a-time state machine; this reference splits on CRLF instead.

// ddResult is what one decoder run gave.
type ddResult struct {
	body     string
	n        int // input octets consumed: through the terminator when done
	done     bool
	size     int64
	sentinel error
	offset   int
}

// String renders r for failure messages.
func (r ddResult) String() string {
	return fmt.Sprintf("body=%q n=%d done=%v size=%d violation=%v at %d", r.body, r.n, r.done, r.size, r.sentinel, r.offset)
}

// ddViolation is one rule broken at an input offset.
type ddViolation struct {
	at       int
	sentinel error
}

// ddRank orders violations at one offset as DataDecoder.Err documents:
// content first, then line length, then size.
func ddRank(s error) int {
	switch s {
	case wire.ErrLineTooLong:
		return 1
	case wire.ErrMessageTooBig:
		return 2
	}
	return 0
}

// ddReference decodes DATA the obvious way. Only CRLF ends a protocol
// line (RFC 5321 section 2.3.8), so every CR or LF inside a line is bare:
// BareReject records it and keeps it, BareNormalize writes CRLF for it
// (which ends a decoded line but never a protocol line, so "." after it
// is content), BareAllow keeps it; out-of-range policies act as
// BareReject. A line "." ends the data; otherwise a leading "." goes and
// the line and its CRLF are body. Every decoded octet remembers the input
// octet it stands for, which places the violations: NUL without AllowNUL,
// a decoded line over MaxLineLength (at its first input octet, the
// stuffing dot included), and the first octet past MaxSize (after which
// nothing more is kept). The earliest violation wins.
func ddReference(d wire.DataDecoder, src []byte) ddResult {
	pol := d.Policy
	if pol > wire.BareAllow {
		pol = wire.BareReject
	}
	var dec []byte // every decoded octet
	var at []int   // the input offset each stands for
	var viol []ddViolation
	lineStart, lineOff := 0, 0 // decoded index and input offset of the line
	endLine := func(next int) {
		if d.MaxLineLength > 0 && len(dec)-lineStart > d.MaxLineLength {
			viol = append(viol, ddViolation{lineOff, wire.ErrLineTooLong})
		}
		lineStart, lineOff = len(dec), next
	}
	res := ddResult{n: len(src)}
	for pos := 0; ; {
		k := bytes.Index(src[pos:], []byte("\r\n"))
		if k < 0 {
			break // the data has not ended
		}
		line, off := src[pos:pos+k], pos
		if string(line) == "." {
			res.done, res.n = true, pos+k+2
			break
		}
		if len(line) > 0 && line[0] == '.' {
			line, off = line[1:], off+1
		}
		for i, c := range line {
			o := off + i
			switch {
			case (c == '\r' || c == '\n') && pol == wire.BareNormalize:
				dec, at = append(dec, '\r', '\n'), append(at, o, o)
				endLine(o + 1)
				continue
			case c == '\r' && pol == wire.BareReject:
				viol = append(viol, ddViolation{o, wire.ErrBareCR})
			case c == '\n' && pol == wire.BareReject:
				viol = append(viol, ddViolation{o, wire.ErrBareLF})
			case c == 0 && !d.AllowNUL:
				viol = append(viol, ddViolation{o, wire.ErrNUL})
			}
			dec, at = append(dec, c), append(at, o)
		}
		dec, at = append(dec, '\r', '\n'), append(at, pos+k, pos+k+1)
		endLine(pos + k + 2)
		pos += k + 2
	}
	res.size = int64(len(dec))
	if d.MaxSize > 0 && res.size > d.MaxSize {
		viol = append(viol, ddViolation{at[d.MaxSize], wire.ErrMessageTooBig})
		dec = dec[:d.MaxSize]
	}
	if !d.Discard {
		res.body = string(dec)
	}
	for _, v := range viol {
		if res.sentinel == nil || v.at < res.offset || (v.at == res.offset && ddRank(v.sentinel) < ddRank(res.sentinel)) {
			res.sentinel, res.offset = v.sentinel, v.at
		}
	}
	return res
}

// ddPieces cuts src into pieces whose lengths come from cuts in turn (0 to
// 32 octets; an empty piece only on the first pass), or one piece.
func ddPieces(src, cuts []byte) [][]byte {
	if len(cuts) == 0 {
		return [][]byte{src}
	}
	var out [][]byte
	for i := 0; len(src) > 0; i++ {
		l := min(int(cuts[i%len(cuts)])%33, len(src))
		if l == 0 && i >= len(cuts) {
			l = 1
		}
		out, src = append(out, src[:l]), src[l:]
	}
	return out
}

// ddErr splits a decoder error into sentinel and offset, or reports one
// that is not a *wire.SyntaxError with a negative reply.
func ddErr(err error) (error, int, error) {
	if err == nil {
		return nil, 0, nil
	}
	var se *wire.SyntaxError
	if !errors.As(err, &se) || !se.Reply().Code.IsNegative() {
		return nil, 0, fmt.Errorf("decoder error %v (%T) is not a *wire.SyntaxError with a 4yz/5yz reply", err, err)
	}
	return se.Err, se.Offset, nil
}

// ddRun feeds pieces to a fresh copy of proto until it reports done and
// checks the Decode contract on the way: nothing past len(p), everything
// unless done, nothing at all once done.
func ddRun(proto wire.DataDecoder, pieces [][]byte) (ddResult, error) {
	d := proto
	d.Reset()
	var res ddResult
	var out []byte
	for _, p := range pieces {
		var n int
		out, n, res.done = d.Decode(out, p)
		res.n += n
		if n > len(p) || (!res.done && n != len(p)) {
			return res, fmt.Errorf("Decode of %d octets consumed %d, done %v", len(p), n, res.done)
		}
		if res.done {
			if _, n, done := d.Decode(out, []byte("MAIL")); n != 0 || !done {
				return res, fmt.Errorf("Decode after the end consumed %d, done %v", n, done)
			}
			break
		}
	}
	if res.done != d.Done() {
		return res, fmt.Errorf("Done() %v, Decode said %v", d.Done(), res.done)
	}
	res.body, res.size = string(out), d.Size()
	var err error
	res.sentinel, res.offset, err = ddErr(d.Err())
	return res, err
}

// checkAgainstReference compares a DataDecoder run with the reference. An
// unfinished run is only compared for what it consumed (partial
// terminators are held inside the decoder); its violations may not all be
// known yet.
func checkAgainstReference(want, got ddResult) error {
	if !want.done {
		if got.done || got.n != want.n {
			return fmt.Errorf("unfinished data: decoder done %v after %d octets, reference consumed all %d", got.done, got.n, want.n)
		}
		return nil
	}
	if want != got {
		return fmt.Errorf("decoder   %v\nreference %v", got, want)
	}
	return nil
}

// ddTextproto decodes src with net/textproto's DotReader and returns the
// body with CRLF line ends, the octets consumed and whether the data
// ended. DotReader also ends lines at a bare LF and writes every line end
// as LF, so it agrees with RFC 5321 only on input without bare CR or LF.
func ddTextproto(src []byte) (body []byte, n int, done bool) {
	rd := bytes.NewReader(src)
	br := bufio.NewReader(rd)
	b, err := io.ReadAll(textproto.NewReader(br).DotReader())
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")), len(src) - br.Buffered() - rd.Len(), err == nil
}

// ddHasBare reports whether b holds a CR not followed by LF or an LF not
// preceded by CR.
func ddHasBare(b []byte) bool {
	return bytes.Count(b, []byte("\r")) != bytes.Count(b, []byte("\r\n")) || bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n"))
}

// ddChunks runs a ChunkDecoder with the settings of d over body in BDAT
// chunks of sizes from cuts (RFC 3030 section 2), the last one LAST.
func ddChunks(d wire.DataDecoder, body, cuts []byte) (ddResult, error) {
	c := wire.ChunkDecoder{Policy: d.Policy, AllowNUL: d.AllowNUL, MaxSize: d.MaxSize, Discard: d.Discard}
	chunks := ddPieces(body, cuts)
	if len(chunks) == 0 {
		chunks = [][]byte{nil}
	}
	var out []byte
	for i, ch := range chunks {
		c.Start(uint64(len(ch)), i == len(chunks)-1)
		var n int
		var done bool
		if out, n, done = c.Decode(out, ch); n != len(ch) || !done || c.Remaining() != 0 {
			return ddResult{}, fmt.Errorf("chunk %d of %d octets: consumed %d, done %v", i, len(ch), n, done)
		}
	}
	res := ddResult{body: string(out), n: len(body), done: true, size: c.Size()}
	var err error
	res.sentinel, res.offset, err = ddErr(c.Err())
	return res, err
}

// ddMode builds decoder settings from a fuzz byte: every policy (3 is out
// of range), NUL allowed or not, small size and line limits, discard.
func ddMode(mode uint8) wire.DataDecoder {
	return wire.DataDecoder{
		Policy:        wire.BarePolicy(mode % 4),
		AllowNUL:      mode&4 != 0,
		MaxSize:       [...]int64{0, 1, 7, 40}[mode>>3&3],
		MaxLineLength: [...]int{0, 1, 4, 30}[mode>>5&3],
		Discard:       mode&0x80 != 0,
	}
}

// ddDataSeeds returns what the golden clients sent after each DATA
// command, the smuggling variants of RFC 5321 section 4.1.1.4 (CVE-2023-
// 51764), and encoder-built messages followed by the next command.
func ddDataSeeds(t testing.TB) [][]any {
	var inputs [][]byte
	sessions := goldenSessions(t)
	for _, name := range slices.Sorted(maps.Keys(sessions)) {
		inputs = append(inputs, bytes.Split(sessions[name].Bytes(state.SideClient), []byte("DATA\r\n"))[1:]...)
	}
	for _, seq := range []string{"\n.\n", "\r.\r", "\r.\n", "\n.\r", "\n.\r\n", "\r.\r\n", "\r\n.\n", "\r\n.\r", "\r\n\x00.\r\n", "\r\n.\x00\r\n", "\r\n.\r\r\n", "\r\r\n.\r\r\n"} {
		inputs = append(inputs, []byte("a"+seq+"MAIL FROM:<evil@x>\r\n\r\n.\r\nRSET\r\n"))
	}
	for _, body := range []string{"", ".\r\n", "..x\r\n.\r\ny", "line one\r\nline two"} {
		var e wire.DataEncoder
		w, err := e.Encode(nil, []byte(body))
		require.NoError(t, err)
		w, err = e.Close(w)
		require.NoError(t, err)
		inputs = append(inputs, append(w, "QUIT\r\n"...))
	}
	var seeds [][]any
	for i, in := range inputs {
		seeds = append(seeds, []any{in, uint8(i * 37), []byte{byte(i), 3, 17}})
	}
	return seeds
}

// TestSeedsDataDifferential keeps the checked-in corpus equal to
// ddDataSeeds.
func TestSeedsDataDifferential(t *testing.T) {
	seeds := ddDataSeeds(t)
	require.Greater(t, len(seeds), 20)
	syncSeeds(t, "FuzzDataDifferential", seeds)
}

// FuzzDataDifferential holds wire.DataDecoder, fed in cuts, to the line
// reference under every policy and limit; net/textproto to the same body
// and end when the input has no bare CR or LF; and wire.ChunkDecoder, fed
// the message in BDAT chunks, to the same body and violation.
func FuzzDataDifferential(f *testing.F) {
	for _, s := range ddDataSeeds(f) {
		f.Add(s[0].([]byte), s[1].(uint8), s[2].([]byte))
	}
	f.Fuzz(func(t *testing.T, src []byte, mode uint8, cuts []byte) {
		if len(src) > 4096 || len(cuts) > 64 {
			return
		}
		d := ddMode(mode)
		want := ddReference(d, src)
		got, err := ddRun(d, ddPieces(src, cuts))
		require.NoError(t, err)
		require.NoError(t, checkAgainstReference(want, got))
		if !want.done {
			// Complete the data: the held octets resolve the same way.
			more := append(bytes.Clone(src), "\r\n.\r\n"...)
			want = ddReference(d, more)
			got, err = ddRun(d, ddPieces(more, cuts))
			require.NoError(t, err)
			require.NoError(t, checkAgainstReference(want, got))
			src = more
		}
		// What follows the terminator is never body: it is left over.
		plain := ddReference(wire.DataDecoder{Policy: wire.BareAllow, AllowNUL: true}, src)
		if !ddHasBare(src[:plain.n]) {
			body, n, done := ddTextproto(src)
			require.True(t, done)
			require.Equal(t, plain.n, n, "textproto ends elsewhere")
			require.Equal(t, plain.body, string(body), "textproto body")
		}
		// BDAT carries the unstuffed message; ChunkDecoder has no line
		// limit, and its offsets count message octets.
		noLine := d
		noLine.MaxLineLength = 0
		want = ddReference(noLine, src)
		chunked, err := ddChunks(d, []byte(plain.body), cuts)
		require.NoError(t, err)
		if chunked.sentinel != nil {
			chunked.offset = ddInputOffset(src, chunked.offset)
		}
		chunked.n = want.n
		require.Equal(t, want, chunked, "BDAT chunks of the same message")
	})
}

// ddInputOffset maps offset i of the unstuffed message (what BDAT would
// carry) back to the DATA input: each line's stuffing dot is an input
// octet with no message octet.
func ddInputOffset(src []byte, i int) int {
	in, msg := 0, 0
	for {
		if src[in] == '.' {
			in++ // the stuffing dot (a "." line alone would have ended the data)
		}
		k := bytes.Index(src[in:], []byte("\r\n")) + 2
		if i < msg+k {
			return in + i - msg
		}
		in, msg = in+k, msg+k
	}
}

// ddFirstBare returns the offset and kind of the first bare CR or LF of b,
// or -1.
func ddFirstBare(b []byte) (int, error) {
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			return i, wire.ErrBareCR
		}
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return i, wire.ErrBareLF
		}
	}
	return -1, nil
}

// ddExpectMessage returns the message a receiver must get for body sent
// under pol (BareNormalize writes CRLF for every bare CR or LF), with the
// CRLF that RFC 5321 section 4.1.1.4 has the client add after a last line
// without one.
func ddExpectMessage(body []byte, pol wire.BarePolicy) []byte {
	msg := bytes.Clone(body)
	if pol == wire.BareNormalize {
		msg = msg[:0]
		for i := 0; i < len(body); i++ {
			switch c := body[i]; {
			case c == '\r' && i+1 < len(body) && body[i+1] == '\n':
				msg, i = append(msg, '\r', '\n'), i+1
			case c == '\r' || c == '\n':
				msg = append(msg, '\r', '\n')
			default:
				msg = append(msg, c)
			}
		}
	}
	if len(msg) > 0 && !bytes.HasSuffix(msg, []byte("\r\n")) {
		msg = append(msg, '\r', '\n')
	}
	return msg
}

// ddBdat frames msg as BDAT commands (wire.AppendBdat) and chunks of the
// sizes cuts gives, the last LAST, followed by "QUIT\r\n"; then reads the
// stream back as a server does: ParseCommand for each BDAT line and
// ChunkDecoder for its octets (RFC 3030 section 2). It returns the message
// and what followed it.
func ddBdat(msg, cuts []byte) (got, rest []byte, err error) {
	chunks := ddPieces(msg, cuts)
	if len(chunks) == 0 {
		chunks = [][]byte{nil}
	}
	var stream []byte
	for i, ch := range chunks {
		stream = append(wire.AppendBdat(stream, uint64(len(ch)), i == len(chunks)-1), ch...)
	}
	stream = append(stream, "QUIT\r\n"...)
	c := wire.ChunkDecoder{Policy: wire.BareAllow, AllowNUL: true}
	for last := false; !last; {
		k := bytes.Index(stream, []byte("\r\n"))
		if k < 0 {
			return nil, nil, fmt.Errorf("no BDAT line in %q", stream)
		}
		cmd, err := wire.ParseCommand(stream[:k], wire.ParseOptions{})
		if err != nil || cmd.Verb != wire.VerbBDAT {
			return nil, nil, fmt.Errorf("%q is not BDAT: %v", stream[:k], err)
		}
		c.Start(cmd.ChunkSize, cmd.Last)
		var n int
		got, n, _ = c.Decode(got, stream[k+2:])
		stream, last = stream[k+2+n:], cmd.Last
	}
	return got, stream, c.Err()
}

// ddEncodeSeeds returns the message bodies the golden clients sent and
// bodies with dots, bare line ends and a missing final CRLF.
func ddEncodeSeeds(t testing.TB) [][]any {
	var bodies [][]byte
	for _, s := range ddDataSeeds(t) {
		if r := ddReference(wire.DataDecoder{Policy: wire.BareAllow, AllowNUL: true}, s[0].([]byte)); r.done {
			bodies = append(bodies, []byte(r.body))
		}
	}
	for _, b := range []string{"", ".", "..\r\n", "a\n.b\r.c\r\n", "\r", "x\r\n.\r\n", ".\n.\r.", "end\r"} {
		bodies = append(bodies, []byte(b))
	}
	var seeds [][]any
	for i, b := range bodies {
		seeds = append(seeds, []any{b, uint8(i), []byte{byte(i * 7), 1}})
	}
	return seeds
}

// TestSeedsDataEncodeRoundTrip keeps the checked-in corpus equal to
// ddEncodeSeeds.
func TestSeedsDataEncodeRoundTrip(t *testing.T) {
	syncSeeds(t, "FuzzDataEncodeRoundTrip", ddEncodeSeeds(t))
}

// FuzzDataEncodeRoundTrip: a body dot-stuffed by wire.DataEncoder (fed in
// cuts) decodes with wire.DataDecoder, cut at every offset, to the message
// the policy promises, ends exactly where the encoder stopped, and agrees
// with the line reference and net/textproto; the same message framed as
// BDAT chunks reads back whole. BareReject refuses a body with a bare CR
// or LF at its offset.
func FuzzDataEncodeRoundTrip(f *testing.F) {
	for _, s := range ddEncodeSeeds(f) {
		f.Add(s[0].([]byte), s[1].(uint8), s[2].([]byte))
	}
	f.Fuzz(func(t *testing.T, body []byte, policy uint8, cuts []byte) {
		if len(body) > 1024 || len(cuts) > 64 {
			return
		}
		pol := wire.BarePolicy(policy % 4)
		e := wire.DataEncoder{Policy: pol}
		var enc []byte
		var err error
		for _, p := range ddPieces(body, cuts) {
			if enc, err = e.Encode(enc, p); err != nil {
				break
			}
		}
		if err == nil {
			enc, err = e.Close(enc)
		}
		if at, kind := ddFirstBare(body); at >= 0 && (pol == wire.BareReject || pol > wire.BareAllow) {
			sentinel, off, terr := ddErr(err)
			require.NoError(t, terr)
			require.Equal(t, ddViolation{at, kind}, ddViolation{off, sentinel}, "refusal")
			return
		}
		require.NoError(t, err)
		msg := ddExpectMessage(body, pol)
		stream := append(bytes.Clone(enc), "QUIT\r\n"...)
		d := wire.DataDecoder{Policy: wire.BareAllow, AllowNUL: true}
		want := ddResult{body: string(msg), n: len(enc), done: true, size: int64(len(msg))}
		require.Equal(t, want, ddReference(d, stream), "reference")
		step := 1 + len(stream)/64
		for cut := 0; cut <= len(stream); cut += step {
			got, err := ddRun(d, [][]byte{stream[:cut], stream[cut:]})
			require.NoError(t, err)
			require.Equal(t, want, got, "cut at %d of %q", cut, stream)
		}
		if !ddHasBare(msg) {
			tb, n, done := ddTextproto(stream)
			require.True(t, done)
			require.Equal(t, len(enc), n)
			require.Equal(t, string(msg), string(tb), "textproto")
		}
		got, rest, err := ddBdat(msg, cuts)
		require.NoError(t, err)
		require.Equal(t, string(msg), string(got), "BDAT")
		require.Equal(t, "QUIT\r\n", string(rest), "after the LAST chunk")
	})
}

// TestDataCheckersFail pins the reference on known input and shows the
// comparisons reporting a wrong decoder result.
func TestDataCheckersFail(t *testing.T) {
	in := []byte("a\r\n..b\r\n.\r\nQUIT\r\n")
	r := ddReference(wire.DataDecoder{}, in)
	require.Equal(t, ddResult{body: "a\r\n.b\r\n", n: 11, done: true, size: 7}, r)
	smuggle := []byte("a\n.\nMAIL\r\n.\r\n")
	require.Equal(t, ddResult{body: "a\n.\nMAIL\r\n", n: 13, done: true, size: 10, sentinel: wire.ErrBareLF, offset: 1}, ddReference(wire.DataDecoder{}, smuggle))
	require.Equal(t, "a\r\n.\r\nMAIL\r\n", ddReference(wire.DataDecoder{Policy: wire.BareNormalize}, smuggle).body, "a dot after a bare LF is content")
	require.Equal(t, ddResult{body: "a\r", n: 13, done: true, size: 10, sentinel: wire.ErrMessageTooBig, offset: 2},
		ddReference(wire.DataDecoder{Policy: wire.BareAllow, MaxSize: 2}, append([]byte("a\r"), smuggle[2:]...)))
	require.Equal(t, wire.ErrLineTooLong, ddReference(wire.DataDecoder{MaxLineLength: 3}, in).sentinel)

	require.NoError(t, checkAgainstReference(r, r))
	for _, bad := range []ddResult{
		{body: "a\r\n..b\r\n", n: 11, done: true, size: 7},
		{body: "a\r\n.b\r\n", n: 17, done: true, size: 7},
		{body: "a\r\n.b\r\n", n: 11, done: true, size: 7, sentinel: wire.ErrNUL},
		{n: 17},
	} {
		require.Error(t, checkAgainstReference(r, bad), "%+v", bad)
	}
	require.Error(t, checkAgainstReference(ddResult{n: 4}, ddResult{n: 3}))
	_, _, err := ddErr(errors.New("plain"))
	require.Error(t, err)

	body, n, done := ddTextproto(in)
	require.Equal(t, "a\r\n.b\r\n", string(body))
	require.Equal(t, 11, n)
	require.True(t, done)
	require.True(t, ddHasBare([]byte("a\rb")))
	require.False(t, ddHasBare([]byte("a\r\nb")))
	require.Equal(t, 4, ddInputOffset(in, 3), "message octet 3 is input octet 4, after the stuffing dot")
	got, rest, err := ddBdat([]byte("x\r\ny\r\n"), []byte{2})
	require.NoError(t, err)
	require.Equal(t, "x\r\ny\r\n", string(got))
	require.Equal(t, "QUIT\r\n", string(rest))
	require.Equal(t, "a\r\n", string(ddExpectMessage([]byte("a\n"), wire.BareNormalize)))
	require.Equal(t, "a\r\n\r\nb\r\n", string(ddExpectMessage([]byte("a\r\rb"), wire.BareNormalize)))
	require.Equal(t, "a\r\r\n", string(ddExpectMessage([]byte("a\r"), wire.BareAllow)))
}
