package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allPolicies = []BarePolicy{BareReject, BareNormalize, BareAllow}

// decodeAll runs a fresh decoder with d's settings over src in one call.
func decodeAll(t *testing.T, d DataDecoder, src string) (string, int, bool, error) {
	t.Helper()
	d.Reset()
	out, n, done := d.Decode(nil, []byte(src))
	return string(out), n, done, d.Err()
}

func TestDataDecoderDotStuffing(t *testing.T) {
	// RFC 5321 4.5.2 and the vectors of SPEC 2.8.
	tests := []struct{ name, wire, body string }{
		{"empty message", ".\r\n", ""},
		{"one line", "a\r\n.\r\n", "a\r\n"},
		{"dot foo", "..foo\r\n.\r\n", ".foo\r\n"},
		{"lone dot line", "..\r\n.\r\n", ".\r\n"},
		{"two dots line", "...\r\n.\r\n", "..\r\n"},
		{"dot in the middle", "a.b\r\n.c\r\n.\r\n", "a.b\r\nc\r\n"},
		{"dot lines after text", "x\r\n..\r\n..y\r\n.\r\n", "x\r\n.\r\n.y\r\n"},
		{"empty lines", "\r\n\r\n.\r\n", "\r\n\r\n"},
		{"dot then space", ". \r\n.\r\n", " \r\n"},
		{"dot then tab dot", ".\t.\r\n.\r\n", "\t.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pol := range allPolicies {
				body, n, done, err := decodeAll(t, DataDecoder{Policy: pol}, tt.wire)
				require.NoError(t, err)
				assert.True(t, done)
				assert.Equal(t, len(tt.wire), n)
				assert.Equal(t, tt.body, body, "policy %v", pol)
			}
		})
	}
}

func TestDataDecoderEndsAtBufferEnd(t *testing.T) {
	var d DataDecoder
	out, n, done := d.Decode(nil, []byte("hello\r\n.\r\n"))
	require.True(t, done)
	assert.Equal(t, 10, n)
	assert.Equal(t, "hello\r\n", string(out))
	assert.Equal(t, int64(7), d.Size())
	// After done nothing more is consumed, whatever follows.
	out, n, done = d.Decode(out, []byte("QUIT\r\n"))
	assert.True(t, done)
	assert.Zero(t, n)
	assert.Equal(t, "hello\r\n", string(out))
}

func TestDataDecoderNotDoneConsumesAll(t *testing.T) {
	// Partial terminators stay inside the decoder: n is always len(src).
	for _, src := range []string{"a\r", "a\r\n", "a\r\n.", "a\r\n.\r", "\r\n.\r", ".", ".\r"} {
		var d DataDecoder
		out, n, done := d.Decode(nil, []byte(src))
		assert.False(t, done, "%q", src)
		assert.Equal(t, len(src), n, "%q", src)
		// The rest of the terminator finishes it.
		rest := "\r\n.\r\n"
		switch {
		case strings.HasSuffix(src, "\r\n.\r"), src == ".\r":
			rest = "\n"
		case strings.HasSuffix(src, "\r\n."), src == ".":
			rest = "\r\n"
		case strings.HasSuffix(src, "\r\n"):
			rest = ".\r\n"
		case strings.HasSuffix(src, "\r"):
			rest = "\n.\r\n"
		}
		out, n, done = d.Decode(out, []byte(rest+"NEXT"))
		require.True(t, done, "%q + %q", src, rest)
		assert.Equal(t, len(rest), n)
		assert.NoError(t, d.Err())
		want := strings.TrimSuffix(src+rest, ".\r\n")
		if strings.HasPrefix(src, ".") {
			want = ""
		}
		assert.Equal(t, want, string(out), "%q", src)
	}
}

func TestDataDecoderPipelined(t *testing.T) {
	src := "Subject: hi\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	for _, pol := range allPolicies {
		var d DataDecoder
		d.Policy = pol
		out, n, done := d.Decode(nil, []byte(src))
		require.True(t, done)
		assert.Equal(t, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", src[n:])
		assert.Equal(t, "Subject: hi\r\n\r\nbody\r\n", string(out))
	}
}

// splitMessages are the wire forms used by the split tests.
var splitMessages = []string{
	".\r\n",
	"a\r\n.\r\n",
	"..foo\r\n..\r\n...\r\nbar\r\n.\r\nQUIT\r\n",
	"line one\r\nline two\r\n.\r\n",
	"a\nb\rc\r\r\n.d\n.\n\r\n.\r\nRSET\r\n",
	"nul\x00here\r\n.\x00\r\n.\r\n",
	"\r\n.\r\r\n.x\r.\r\n\r\n.\r\n",
	strings.Repeat("0123456789", 30) + "\r\n.\r\n",
}

func TestDataDecoderEverySplit(t *testing.T) {
	for _, msg := range splitMessages {
		for _, pol := range allPolicies {
			proto := DataDecoder{Policy: pol, MaxLineLength: 40, MaxSize: 250}
			whole := runData(t, proto, []byte(msg))
			require.Equal(t, refDataDecode(proto, []byte(msg)), whole, "%q %v", msg, pol)
			for cut := 0; cut <= len(msg); cut++ {
				got := runData(t, proto, []byte(msg[:cut]), []byte(msg[cut:]))
				require.Equal(t, whole, got, "%q %v split at %d", msg, pol, cut)
			}
			// One octet at a time.
			var pieces [][]byte
			for i := range len(msg) {
				pieces = append(pieces, []byte{msg[i]})
			}
			require.Equal(t, whole, runData(t, proto, pieces...), "%q %v octet by octet", msg, pol)
		}
	}
}

func TestDataDecoderBarePolicies(t *testing.T) {
	tests := []struct {
		name, wire             string
		reject, normal, allow  string
		rejectErr              error
		rejectAt               int
		normalizeNoLineStarted bool
	}{
		{name: "bare LF", wire: "a\nb\r\n.\r\n", reject: "a\nb\r\n", normal: "a\r\nb\r\n", allow: "a\nb\r\n", rejectErr: ErrBareLF, rejectAt: 1},
		{name: "bare CR", wire: "a\rb\r\n.\r\n", reject: "a\rb\r\n", normal: "a\r\nb\r\n", allow: "a\rb\r\n", rejectErr: ErrBareCR, rejectAt: 1},
		{name: "CR CR LF", wire: "a\r\r\n.\r\n", reject: "a\r\r\n", normal: "a\r\n\r\n", allow: "a\r\r\n", rejectErr: ErrBareCR, rejectAt: 1},
		// A dot after a bare LF is content, not a stuffing dot.
		{name: "dot after bare LF", wire: "a\n..\r\n.\r\n", reject: "a\n..\r\n", normal: "a\r\n..\r\n", allow: "a\n..\r\n", rejectErr: ErrBareLF, rejectAt: 1},
		// A stuffing dot followed by a bare CR: the dot goes, the CR is bare.
		{name: "dot CR x", wire: "\r\n.\rx\r\n.\r\n", reject: "\r\n\rx\r\n", normal: "\r\n\r\nx\r\n", allow: "\r\n\rx\r\n", rejectErr: ErrBareCR, rejectAt: 3},
		{name: "bare LF first", wire: "\n.\r\n.\r\n", reject: "\n.\r\n", normal: "\r\n.\r\n", allow: "\n.\r\n", rejectErr: ErrBareLF, rejectAt: 0},
		{name: "first of two", wire: "ab\rc\nd\r\n.\r\n", reject: "ab\rc\nd\r\n", normal: "ab\r\nc\r\nd\r\n", allow: "ab\rc\nd\r\n", rejectErr: ErrBareCR, rejectAt: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[BarePolicy]string{BareReject: tt.reject, BareNormalize: tt.normal, BareAllow: tt.allow}
			for _, pol := range allPolicies {
				body, n, done, err := decodeAll(t, DataDecoder{Policy: pol}, tt.wire)
				require.True(t, done, "policy %v", pol)
				assert.Equal(t, len(tt.wire), n)
				assert.Equal(t, want[pol], body, "policy %v", pol)
				if pol != BareReject {
					assert.NoError(t, err, "policy %v", pol)
					continue
				}
				off, s := errParts(t, err)
				assert.Equal(t, tt.rejectErr, s)
				assert.Equal(t, tt.rejectAt, off)
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, "RFC 5321 2.3.8", se.Rule)
				assert.Equal(t, "mail-data", se.Element)
				assert.Equal(t, reply.CodeTransactionFailed, se.Reply().Code, "RFC 5321 4.3.2: no 500 after end of data")
			}
		})
	}
}

func TestDataDecoderInvalidPolicyRejects(t *testing.T) {
	_, _, done, err := decodeAll(t, DataDecoder{Policy: BarePolicy(9)}, "a\nb\r\n.\r\n")
	assert.True(t, done)
	assert.ErrorIs(t, err, ErrBareLF)
}

func TestDataDecoderSmuggling(t *testing.T) {
	// SPEC 2.8: none of these ends the data; only the real CRLF.CRLF does.
	const inject = "MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\n"
	const next = "QUIT\r\n"
	for _, s := range smuggle {
		t.Run(s.name, func(t *testing.T) {
			prefix := "Subject: test\r\n\r\nhello"
			msg := prefix + s.seq + inject + "spoofed\r\n.\r\n" + next
			for _, pol := range allPolicies {
				for _, split := range []int{-1, len(prefix) + 1, len(prefix) + len(s.seq) - 1} {
					var d DataDecoder
					d.Policy = pol
					var out []byte
					var n int
					var done bool
					if split < 0 {
						out, n, done = d.Decode(nil, []byte(msg))
					} else {
						out, n, done = d.Decode(nil, []byte(msg[:split]))
						require.False(t, done, "%v: ended inside the smuggled sequence", pol)
						var n2 int
						out, n2, done = d.Decode(out, []byte(msg[split:]))
						n += n2
					}
					require.True(t, done, "%v", pol)
					assert.Equal(t, next, msg[n:], "%v: data must end only at the real terminator", pol)
					assert.Contains(t, string(out), "MAIL FROM:<evil@x>", "%v: the injected command is body", pol)
					off, sentinel := errParts(t, d.Err())
					switch {
					case pol == BareReject || s.want == ErrNUL:
						assert.Equal(t, s.want, sentinel, "%v", pol)
						assert.Equal(t, len(prefix)+s.at, off, "%v", pol)
					default:
						assert.NoError(t, d.Err(), "%v", pol)
					}
					if pol == BareNormalize {
						at, _ := refFirstBare(out)
						assert.Equal(t, -1, at, "normalized body has no bare CR or LF: %q", out)
					}
				}
			}
		})
	}
}

func TestDataDecoderMaxSize(t *testing.T) {
	body := strings.Repeat("abcdefghi\r\n", 10) // 110 octets
	wire := body + ".\r\nNOOP\r\n"
	for _, discard := range []bool{false, true} {
		d := DataDecoder{MaxSize: 25, Discard: discard}
		var out []byte
		var n int
		var done bool
		for i := 0; i < len(wire) && !done; i += 7 {
			var k int
			out, k, done = d.Decode(out, []byte(wire[i:min(i+7, len(wire))]))
			n = i + k
		}
		require.True(t, done, "keeps scanning to the end of data")
		assert.Equal(t, "NOOP\r\n", wire[n:])
		assert.Equal(t, int64(110), d.Size(), "Size counts octets not appended")
		if discard {
			assert.Empty(t, out)
		} else {
			assert.Equal(t, body[:25], string(out), "output bounded at MaxSize")
		}
		off, s := errParts(t, d.Err())
		assert.Equal(t, ErrMessageTooBig, s)
		assert.Equal(t, 25, off)
		var se *SyntaxError
		require.ErrorAs(t, d.Err(), &se)
		assert.Equal(t, 552, int(se.Reply().Code))
	}
	// Exactly at the limit is fine; stuffing dots do not count.
	d := DataDecoder{MaxSize: 4}
	out, _, done := d.Decode(nil, []byte("..a\r\n.\r\n"))
	require.True(t, done)
	assert.NoError(t, d.Err())
	assert.Equal(t, ".a\r\n", string(out))
}

func TestDataDecoderMaxLineLength(t *testing.T) {
	tests := []struct {
		name, wire string
		pol        BarePolicy
		at         int // -1: no error
	}{
		{"fits", "abcd\r\nxy\r\n.\r\n", BareReject, -1},
		{"one over", "abc\r\nabcde\r\nx\r\n.\r\n", BareReject, 5},
		{"stuffing dot not counted", "..bcd\r\n.\r\n", BareReject, -1},
		{"dot line over", "..bcde\r\n.\r\n", BareReject, 0},
		{"bare LF does not end a line", "ab\ncd\r\n.\r\n", BareAllow, 0},
		{"normalized LF ends a line", "abc\ncd\r\n.\r\n", BareNormalize, -1},
		{"normalized LF counts CRLF", "abcde\nx\r\n.\r\n", BareNormalize, 0},
		{"first of many", "a\r\n1234567\r\n1234567\r\n.\r\n", BareReject, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DataDecoder{Policy: tt.pol, MaxLineLength: 6}
			_, n, done, err := decodeAll(t, d, tt.wire)
			require.True(t, done, "keeps going after a long line")
			assert.Equal(t, len(tt.wire), n)
			if tt.at < 0 {
				assert.NoError(t, err)
				return
			}
			off, s := errParts(t, err)
			assert.Equal(t, ErrLineTooLong, s)
			assert.Equal(t, tt.at, off)
		})
	}
}

func TestDataDecoderNUL(t *testing.T) {
	wire := "ab\x00c\r\n.\r\n"
	body, _, done, err := decodeAll(t, DataDecoder{}, wire)
	require.True(t, done)
	assert.Equal(t, "ab\x00c\r\n", body, "content kept")
	off, s := errParts(t, err)
	assert.Equal(t, ErrNUL, s)
	assert.Equal(t, 2, off)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "RFC 5322 3.5", se.Rule)

	body, _, done, err = decodeAll(t, DataDecoder{AllowNUL: true}, wire)
	require.True(t, done)
	assert.NoError(t, err)
	assert.Equal(t, "ab\x00c\r\n", body)
}

func TestDataDecoderEarliestViolation(t *testing.T) {
	// A long line is reported at its start even when found after a NUL in it.
	d := DataDecoder{MaxLineLength: 4}
	_, _, _, err := decodeAll(t, d, "ok\r\nab\x00cdef\r\n.\r\n")
	off, s := errParts(t, err)
	assert.Equal(t, ErrLineTooLong, s)
	assert.Equal(t, 4, off)
	// At the same offset a content violation wins over size.
	d = DataDecoder{MaxSize: 2}
	_, _, _, err = decodeAll(t, d, "ab\x00\r\n.\r\n")
	off, s = errParts(t, err)
	assert.Equal(t, ErrNUL, s)
	assert.Equal(t, 2, off)
}

func TestDataDecoderDiscard(t *testing.T) {
	wire := "..x\r\nsome\r\nlines\r\n.\r\nQUIT\r\n"
	d := DataDecoder{Discard: true}
	dst := []byte("keep")
	out, n, done := d.Decode(dst, []byte(wire))
	require.True(t, done)
	assert.Equal(t, "keep", string(out))
	assert.Equal(t, "QUIT\r\n", wire[n:])
	assert.Equal(t, int64(len(".x\r\nsome\r\nlines\r\n")), d.Size())
}

func TestDataDecoderAppendsToDst(t *testing.T) {
	var d DataDecoder
	out, _, _ := d.Decode([]byte("prefix:"), []byte("a\r\n.\r\n"))
	assert.Equal(t, "prefix:a\r\n", string(out))
}

func TestDataDecoderReset(t *testing.T) {
	d := DataDecoder{MaxSize: 5, MaxLineLength: 100, Policy: BareNormalize}
	_, _, done := d.Decode(nil, []byte("0123456789\n\r\n.\r\n"))
	require.True(t, done)
	require.ErrorIs(t, d.Err(), ErrMessageTooBig)
	d.Reset()
	assert.False(t, d.Done())
	assert.NoError(t, d.Err())
	assert.Zero(t, d.Size())
	assert.Equal(t, int64(5), d.MaxSize, "settings kept")
	assert.Equal(t, BareNormalize, d.Policy)
	out, n, done := d.Decode(nil, []byte("a\nb\r\n.\r\nX"))
	require.True(t, done)
	assert.Equal(t, 8, n)
	assert.Equal(t, "a\r\nb\r", string(out), "normalized, bounded at MaxSize")
	assert.ErrorIs(t, d.Err(), ErrMessageTooBig, "offsets restart at 0 after Reset")
	off, s := errParts(t, d.Err())
	assert.Equal(t, ErrMessageTooBig, s)
	assert.Equal(t, 4, off)
}

// randomWire builds wire input that is mostly ordinary CRLF lines with
// occasional dots, bare CR and LF, NULs and terminator fragments.
func randomWire(r *rand.Rand, n int) []byte {
	atoms := []string{"abc", "defghijklmnop", "\r\n", "\r\n", "\r\n", ".", "..", "\r", "\n", "\x00", "\r\n.", ".\r\n", "xyz\r\n"}
	var b []byte
	for len(b) < n {
		a := atoms[r.IntN(len(atoms))]
		if a == ".\r\n" && r.IntN(8) != 0 {
			continue // keep most messages going a while
		}
		b = append(b, a...)
	}
	return append(b, "\r\n.\r\nNEXT"...)
}

func TestDataDecoderMatchesReference(t *testing.T) {
	// Larger inputs than the fuzz seeds, with small windows so the fast
	// path's undo runs often.
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 400 {
		src := randomWire(r, 50+r.IntN(3000))
		proto := decoderFromMode(uint8(r.IntN(256)), uint8(iter))
		want := refDataDecode(proto, src)
		require.Equal(t, want, runData(t, proto, src), "iter %d", iter)
		cut := r.IntN(len(src) + 1)
		require.Equal(t, want, runData(t, proto, src[:cut], src[cut:]), "iter %d cut %d", iter, cut)
	}
}

func TestDataDecoderCleanLargeBody(t *testing.T) {
	// A large canonical body exercises whole windows of the fast path.
	body := benchBody(1<<20, 17)
	var e DataEncoder
	wire, err := e.Encode(nil, body)
	require.NoError(t, err)
	wire, err = e.Close(wire)
	require.NoError(t, err)
	for _, pol := range allPolicies {
		d := DataDecoder{Policy: pol, MaxLineLength: 1000}
		out, n, done := d.Decode(nil, wire)
		require.True(t, done)
		assert.Equal(t, len(wire), n)
		require.NoError(t, d.Err())
		assert.True(t, bytes.Equal(body, out), "policy %v", pol)
	}
	// One bare CR deep inside is found at its offset under BareReject.
	at := bytes.Index(wire, []byte("\r\n")) + 500_000
	at = bytes.Index(wire[at:], []byte("\r\n")) + at
	bad := bytes.Clone(wire)
	bad[at+1] = 'x' // CR now bare
	d := DataDecoder{}
	_, _, done := d.Decode(nil, bad)
	require.True(t, done)
	off, s := errParts(t, d.Err())
	assert.Equal(t, ErrBareCR, s)
	assert.Equal(t, at, off)
	assert.True(t, errors.Is(d.Err(), ErrBareCR))
}
