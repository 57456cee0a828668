package wire

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunk is one BDAT command's worth of input: the announced size, LAST,
// and the octets the decoder is fed (which may run past the chunk).
type chunk struct {
	size uint64
	last bool
	feed string
}

// runChunks feeds each chunk to c and returns the output and, per chunk,
// what was left unconsumed.
func runChunks(t *testing.T, c *ChunkDecoder, chunks ...chunk) (string, []string) {
	t.Helper()
	var out []byte
	var rest []string
	for _, ch := range chunks {
		c.Start(ch.size, ch.last)
		var n int
		var done bool
		out, n, done = c.Decode(out, []byte(ch.feed))
		require.True(t, done, "chunk %+v", ch)
		require.Zero(t, c.Remaining())
		require.Equal(t, uint64(n), ch.size)
		rest = append(rest, ch.feed[n:])
	}
	return string(out), rest
}

func TestChunkDecoderFraming(t *testing.T) {
	var c ChunkDecoder
	out, rest := runChunks(t, &c,
		chunk{6, false, "Hello\r"},
		chunk{8, true, "\nWorld\r\nRSET\r\n"},
	)
	assert.Equal(t, "Hello\r\nWorld\r\n", out)
	assert.Equal(t, []string{"", "RSET\r\n"}, rest, "the next command is left in src[n:]")
	assert.NoError(t, c.Err(), "a CRLF split across chunks is not bare")
	assert.Equal(t, int64(14), c.Size())
	assert.True(t, c.Last())
}

func TestChunkDecoderPartialFeeds(t *testing.T) {
	var c ChunkDecoder
	c.Start(10, true)
	out, n, done := c.Decode(nil, []byte("abcd"))
	assert.False(t, done)
	assert.Equal(t, 4, n)
	assert.Equal(t, uint64(6), c.Remaining())
	out, n, done = c.Decode(out, nil)
	assert.False(t, done)
	assert.Zero(t, n)
	out, n, done = c.Decode(out, []byte("ef\r\n..QUIT\r\n"))
	assert.True(t, done)
	assert.Equal(t, 6, n)
	assert.Equal(t, "abcdef\r\n..", string(out), "no dot-stuffing in BDAT")
	// After the chunk, Decode consumes nothing.
	out, n, done = c.Decode(out, []byte("QUIT\r\n"))
	assert.True(t, done)
	assert.Zero(t, n)
	assert.Equal(t, "abcdef\r\n..", string(out))
}

func TestChunkDecoderZeroLast(t *testing.T) {
	var c ChunkDecoder
	out, rest := runChunks(t, &c, chunk{5, false, "abc\r\n"}, chunk{0, true, "QUIT\r\n"})
	assert.Equal(t, "abc\r\n", out)
	assert.Equal(t, "QUIT\r\n", rest[1])
	assert.NoError(t, c.Err())

	c.Reset()
	out, _ = runChunks(t, &c, chunk{0, true, ""})
	assert.Empty(t, out, "BDAT 0 LAST alone is an empty message")
	assert.NoError(t, c.Err())
}

func TestChunkDecoderTrailingCR(t *testing.T) {
	// A CR at the end of the LAST chunk has no LF: it is bare.
	tests := []struct {
		pol  BarePolicy
		out  string
		want error
	}{
		{BareReject, "abc\r", ErrBareCR},
		{BareNormalize, "abc\r\n", nil},
		{BareAllow, "abc\r", nil},
	}
	for _, tt := range tests {
		for _, zero := range []bool{false, true} {
			c := ChunkDecoder{Policy: tt.pol}
			chunks := []chunk{{4, !zero, "abc\r"}}
			if zero {
				chunks = append(chunks, chunk{0, true, ""})
			}
			out, _ := runChunks(t, &c, chunks...)
			assert.Equal(t, tt.out, out, "%v", tt.pol)
			off, s := errParts(t, c.Err())
			assert.Equal(t, tt.want, s, "%v", tt.pol)
			if s != nil {
				assert.Equal(t, 3, off)
			}
		}
	}
}

func TestChunkDecoderBare(t *testing.T) {
	tests := []struct {
		name                  string
		chunks                []chunk
		reject, normal, allow string
		rejectErr             error
		rejectAt              int
	}{
		{"bare LF", []chunk{{4, true, "a\nb."}}, "a\nb.", "a\r\nb.", "a\nb.", ErrBareLF, 1},
		{"bare CR", []chunk{{4, true, "a\rb."}}, "a\rb.", "a\r\nb.", "a\rb.", ErrBareCR, 1},
		{"CR then CR across chunks", []chunk{{2, false, "a\r"}, {3, true, "\r\nb"}}, "a\r\r\nb", "a\r\n\r\nb", "a\r\r\nb", ErrBareCR, 1},
		{"LF at chunk start", []chunk{{2, false, "ab"}, {2, true, "\nc"}}, "ab\nc", "ab\r\nc", "ab\nc", ErrBareLF, 2},
		{"offset in second chunk", []chunk{{4, false, "ok\r\n"}, {5, true, "xy\rz\n"}}, "ok\r\nxy\rz\n", "ok\r\nxy\r\nz\r\n", "ok\r\nxy\rz\n", ErrBareCR, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[BarePolicy]string{BareReject: tt.reject, BareNormalize: tt.normal, BareAllow: tt.allow}
			for _, pol := range allPolicies {
				c := ChunkDecoder{Policy: pol}
				out, _ := runChunks(t, &c, tt.chunks...)
				assert.Equal(t, want[pol], out, "%v", pol)
				if pol != BareReject {
					assert.NoError(t, c.Err(), "%v", pol)
					continue
				}
				off, s := errParts(t, c.Err())
				assert.Equal(t, tt.rejectErr, s)
				assert.Equal(t, tt.rejectAt, off)
			}
		})
	}
}

func TestChunkDecoderSmuggling(t *testing.T) {
	// In BDAT the sequences are plain content: the chunk ends by count.
	const inject = "MAIL FROM:<evil@x>\r\n"
	for _, s := range smuggle {
		t.Run(s.name, func(t *testing.T) {
			content := "hello" + s.seq + inject
			for _, pol := range allPolicies {
				for _, split := range []int{len(content), 6, 5 + len(s.seq)} {
					c := ChunkDecoder{Policy: pol}
					out, rest := runChunks(t, &c,
						chunk{uint64(split), false, content[:split] + "X"},
						chunk{uint64(len(content) - split), true, content[split:] + "QUIT\r\n"},
					)
					assert.Equal(t, "QUIT\r\n", rest[1])
					assert.Contains(t, out, inject)
					off, sentinel := errParts(t, c.Err())
					switch {
					case pol == BareReject || s.want == ErrNUL:
						assert.Equal(t, s.want, sentinel, "%v split %d", pol, split)
						assert.Equal(t, 5+s.at, off, "%v split %d", pol, split)
					default:
						assert.NoError(t, c.Err(), "%v", pol)
					}
				}
			}
		})
	}
}

func TestChunkDecoderMaxSize(t *testing.T) {
	for _, discard := range []bool{false, true} {
		c := ChunkDecoder{MaxSize: 8, Discard: discard}
		out, rest := runChunks(t, &c,
			chunk{5, false, "abcde"},
			chunk{5, false, "fghijNOOP"},
			chunk{2, true, "\r\nQUIT\r\n"},
		)
		assert.Equal(t, "NOOP", rest[1], "chunks are consumed past the limit")
		assert.Equal(t, "QUIT\r\n", rest[2])
		assert.Equal(t, int64(12), c.Size())
		if discard {
			assert.Empty(t, out)
		} else {
			assert.Equal(t, "abcdefgh", out)
		}
		off, s := errParts(t, c.Err())
		assert.Equal(t, ErrMessageTooBig, s)
		assert.Equal(t, 8, off)
	}
}

func TestChunkDecoderNUL(t *testing.T) {
	c := ChunkDecoder{}
	out, _ := runChunks(t, &c, chunk{5, true, "ab\x00\r\n"})
	assert.Equal(t, "ab\x00\r\n", out)
	off, s := errParts(t, c.Err())
	assert.Equal(t, ErrNUL, s)
	assert.Equal(t, 2, off)

	c = ChunkDecoder{AllowNUL: true}
	runChunks(t, &c, chunk{5, true, "ab\x00\r\n"})
	assert.NoError(t, c.Err())
}

func TestChunkDecoderBinaryMIME(t *testing.T) {
	// BODY=BINARYMIME: arbitrary octets pass unchanged (RFC 3030 3).
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	c := ChunkDecoder{Policy: BareAllow, AllowNUL: true}
	c.Start(uint64(len(bin)), true)
	out, n, done := c.Decode(nil, append(bytes.Clone(bin), "QUIT"...))
	require.True(t, done)
	assert.Equal(t, len(bin), n)
	assert.True(t, bytes.Equal(bin, out))
	assert.NoError(t, c.Err())
}

func TestChunkDecoderStart(t *testing.T) {
	var c ChunkDecoder
	c.MaxSize = 100
	runChunks(t, &c, chunk{3, true, "ab\r"})
	require.ErrorIs(t, c.Err(), ErrBareCR)
	// Start after the LAST chunk begins a new message.
	out, _ := runChunks(t, &c, chunk{4, true, "ok\r\n"})
	assert.Equal(t, "ok\r\n", out)
	assert.NoError(t, c.Err())
	assert.Equal(t, int64(4), c.Size())
	assert.Equal(t, int64(100), c.MaxSize, "settings kept")
	// Announced sizes never wrap around.
	c.Reset()
	c.Start(math.MaxUint64-1, false)
	c.Start(10, false)
	assert.Equal(t, uint64(math.MaxUint64), c.Remaining())
	assert.False(t, c.Last())
}

func TestFirstBare(t *testing.T) {
	tests := []struct {
		p      string
		paired bool
		at     int
		want   error
	}{
		{"", false, -1, nil},
		{"abc\r\ndef\r\n", false, -1, nil},
		{"abc\r", false, -1, nil},
		{"\nabc", true, -1, nil},
		{"\nabc", false, 0, ErrBareLF},
		{"a\r\r\n", false, 1, ErrBareCR},
		{"a\rb\r\nc\nd", false, 1, ErrBareCR},
		{"a\r\nb\nc\rd", false, 4, ErrBareLF},
		{"\r\n\r\n\rx", false, 4, ErrBareCR},
		{"x\r\r", false, 1, ErrBareCR},
	}
	for _, tt := range tests {
		at, err := firstBare([]byte(tt.p), tt.paired)
		assert.Equal(t, tt.at, at, "%q", tt.p)
		assert.Equal(t, tt.want, err, "%q", tt.p)
	}
}

func TestChunkDecoderMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := range 300 {
		data := randomWire(r, 20+r.IntN(2000))
		proto := ChunkDecoder{
			Policy:   BarePolicy(r.IntN(4)),
			AllowNUL: r.IntN(2) == 0,
			MaxSize:  []int64{0, 5, 300}[r.IntN(3)],
		}
		c := proto
		var out []byte
		for off := 0; off < len(data); {
			size := min(r.IntN(400), len(data)-off)
			c.Start(uint64(size), off+size == len(data))
			for done := false; !done; {
				feed := data[off:min(len(data), off+1+r.IntN(200))]
				var n int
				out, n, done = c.Decode(out, feed)
				off += n
			}
		}
		want := refChunkDecode(proto, data, true)
		o, s := errParts(t, c.Err())
		got := refResult{out: string(out), n: len(data), done: true, sentinel: s, offset: o, size: c.Size()}
		require.Equal(t, want, got, "iter %d", iter)
	}
}
