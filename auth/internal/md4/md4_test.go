package md4

import (
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfc1320Suite is the test suite of RFC 1320 appendix A.5.
var rfc1320Suite = []struct {
	in, want string
}{
	{"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
	{"a", "bde52cb31de33e46245e05fbdbd6fb24"},
	{"abc", "a448017aaf21d8525fc10ae87aa6729d"},
	{"message digest", "d9130a8164549fe818874806e1c7014b"},
	{"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
	{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
	{strings.Repeat("1234567890", 8), "e33b4ddc9c38f2199c3e7b164fcc0536"},
}

func TestSumRFC1320Suite(t *testing.T) {
	for _, tc := range rfc1320Suite {
		t.Run(tc.in, func(t *testing.T) {
			sum := Sum([]byte(tc.in))
			assert.Equal(t, tc.want, hex.EncodeToString(sum[:]))
		})
	}
}

// TestNTHash checks MD4 over a UTF-16LE password: NTOWFv1("Password") of
// MS-NLMP section 4.2.2.1.2, the key NTLMv2 is built on.
func TestNTHash(t *testing.T) {
	var b []byte
	for _, u := range utf16.Encode([]rune("Password")) {
		b = append(b, byte(u), byte(u>>8))
	}
	sum := Sum(b)
	assert.Equal(t, "a4f49c406510bdcab6824ee7c30fd852", hex.EncodeToString(sum[:]))
}

// TestStreaming writes every suite input (and a long one that crosses
// several blocks) split at every offset: the result must not depend on how
// the input was cut, and Sum must not disturb the running state.
func TestStreaming(t *testing.T) {
	inputs := make([]string, 0, len(rfc1320Suite)+1)
	for _, tc := range rfc1320Suite {
		inputs = append(inputs, tc.in)
	}
	inputs = append(inputs, strings.Repeat("abcdefgh", 40)) // 320 octets, 5 blocks
	for _, in := range inputs {
		want := Sum([]byte(in))
		for cut := 0; cut <= len(in); cut++ {
			h := New()
			_, err := h.Write([]byte(in[:cut]))
			require.NoError(t, err)
			_ = h.Sum(nil) // must not change the state
			_, err = h.Write([]byte(in[cut:]))
			require.NoError(t, err)
			require.Equal(t, want[:], h.Sum(nil), "input %d octets cut at %d", len(in), cut)
		}
	}
}

// TestPaddingBoundaries covers every length around the 56-octet padding
// boundary, where the length field spills into a second block, against a
// byte-at-a-time computation.
func TestPaddingBoundaries(t *testing.T) {
	for n := 50; n <= 130; n++ {
		in := []byte(strings.Repeat("x", n))
		h := New()
		for i := range in {
			_, _ = h.Write(in[i : i+1])
		}
		sum := Sum(in)
		assert.Equal(t, sum[:], h.Sum(nil), "length %d", n)
	}
	// Lengths 55, 56 and 64 pad differently; their digests must differ.
	a, b, c := Sum(make([]byte, 55)), Sum(make([]byte, 56)), Sum(make([]byte, 64))
	assert.NotEqual(t, a, b)
	assert.NotEqual(t, b, c)
}

func TestHashInterface(t *testing.T) {
	h := New()
	assert.Equal(t, Size, h.Size())
	assert.Equal(t, BlockSize, h.BlockSize())
	_, _ = h.Write([]byte("abc"))
	h.Reset()
	_, _ = h.Write([]byte("a"))
	assert.Equal(t, "bde52cb31de33e46245e05fbdbd6fb24", hex.EncodeToString(h.Sum(nil)))
	prefix := []byte{1, 2}
	assert.Equal(t, prefix, h.Sum(prefix)[:2], "Sum appends to its argument")
}

func BenchmarkSum1K(b *testing.B) {
	buf := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Sum(buf)
	}
}
