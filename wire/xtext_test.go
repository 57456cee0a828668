package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestXtextExamples(t *testing.T) {
	tests := []struct{ raw, enc string }{
		{"e=mc2@example.com", "e+3Dmc2@example.com"}, // RFC 4954 5.1
		{"<>", "<>"}, // RFC 4954 5.1, AUTH=<>
		{"john+@example.org", "john+2B@example.org"},
		{"a b\tc", "a+20b+09c"},
		{"\r\n\x00\x7f\xff", "+0D+0A+00+7F+FF"},
		{"élève", "+C3+A9l+C3+A8ve"},
		{"!~\"", "!~\""},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.enc, string(AppendXtext(nil, []byte(tt.raw))), tt.raw)
		got, err := DecodeXtext([]byte("keep:"), []byte(tt.enc))
		require.NoError(t, err, tt.enc)
		assert.Equal(t, "keep:"+tt.raw, string(got), tt.enc)
		assert.True(t, IsXtext([]byte(tt.enc)), tt.enc)
	}
	// Hexchars for characters that could stand for themselves decode too.
	got, err := DecodeXtext(nil, []byte("+41+2B"))
	require.NoError(t, err)
	assert.Equal(t, "A+", string(got))
}

func TestDecodeXtextErrors(t *testing.T) {
	tests := []struct {
		enc string
		off int
	}{
		{"e+3dmc2", 1}, // RFC 3461 4: upper-case hex only
		{"+", 0},
		{"a+4", 1},
		{"a+G0", 1},
		{"a=b", 1},
		{"a b", 1},
		{"ab\x7f", 2},
		{"\x00", 0},
		{"é", 0},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		got, err := DecodeXtext(dst, []byte(tt.enc))
		requireErrAt(t, err, ErrSyntax, tt.off, tt.enc)
		assert.Equal(t, "keep", string(got), tt.enc)
		assert.False(t, IsXtext([]byte(tt.enc)), tt.enc)
	}
}

func TestXtextRoundTripAllOctets(t *testing.T) {
	raw := make([]byte, 256)
	for i := range raw {
		raw[i] = byte(i)
	}
	enc := AppendXtext(nil, raw)
	assert.True(t, IsXtext(enc))
	for _, c := range enc {
		assert.True(t, c >= 0x21 && c <= 0x7e && c != '=', "encoded xtext is a valid esmtp-value")
	}
	dec, err := DecodeXtext(nil, enc)
	require.NoError(t, err)
	assert.Equal(t, raw, dec)
}

func TestUTF8AddrText(t *testing.T) {
	tests := []struct{ addr, xtext, unitext string }{
		{"élève@example.com", `\x{E9}l\x{E8}ve@example.com`, "élève@example.com"},
		{"a+b=c@example.com", `a\x{2B}b\x{3D}c@example.com`, `a\x{2B}b\x{3D}c@example.com`},
		{`"a b\c"@x`, `"a\x{20}b\x{5C}c"@x`, `"a\x{20}b\x{5C}c"@x`},
		{"中@例え.jp", `\x{4E2D}@\x{4F8B}\x{3048}.jp`, "中@例え.jp"},
		{"\U0001F600@x", `\x{1F600}@x`, "\U0001F600@x"},
		{"\U0010FFFF@x", `\x{10FFFF}@x`, "\U0010FFFF@x"},
		{"\u0100\u0fff\u1000\ud7ff\ue000\uffff", `\x{100}\x{FFF}\x{1000}\x{D7FF}\x{E000}\x{FFFF}`, "\u0100\u0fff\u1000\ud7ff\ue000\uffff"},
		{"\x01\x09\x10\x19\x7f\u0080\u00ff", `\x{01}\x{09}\x{10}\x{19}\x{7F}\x{80}\x{FF}`, "\\x{01}\\x{09}\\x{10}\\x{19}\\x{7F}\u0080\u00ff"},
	}
	for _, tt := range tests {
		x, err := AppendUTF8AddrXtext([]byte("p:"), []byte(tt.addr))
		require.NoError(t, err, tt.addr)
		assert.Equal(t, "p:"+tt.xtext, string(x), tt.addr)
		u, err := AppendUTF8AddrUnitext(nil, []byte(tt.addr))
		require.NoError(t, err, tt.addr)
		assert.Equal(t, tt.unitext, string(u), tt.addr)
		for _, enc := range []string{tt.xtext, tt.unitext} {
			dec, err := DecodeUTF8AddrText([]byte("d:"), []byte(enc))
			require.NoError(t, err, enc)
			assert.Equal(t, "d:"+tt.addr, string(dec), enc)
		}
	}
	// Lower-case hex digits are accepted (ABNF strings ignore case, RFC 5234 2.3).
	dec, err := DecodeUTF8AddrText(nil, []byte(`\x{e9}\x{2b}@x`))
	require.NoError(t, err)
	assert.Equal(t, "é+@x", string(dec))
}

func TestUTF8AddrTextErrors(t *testing.T) {
	decodeErrs := []struct {
		enc      string
		sentinel error
		off      int
	}{
		{"", ErrBadParamValue, 0},
		{"a+b", ErrBadParamValue, 1},
		{"a=b", ErrBadParamValue, 1},
		{"a b", ErrBadParamValue, 1},
		{`a\b`, ErrBadParamValue, 1},
		{`a\x`, ErrBadParamValue, 1},
		{`a\x{`, ErrBadParamValue, 1},
		{`a\x{E9`, ErrBadParamValue, 1},
		{`\x{}`, ErrBadParamValue, 0},
		{`\x{9}`, ErrBadParamValue, 0},       // one digit
		{`\x{41}`, ErrBadParamValue, 0},      // 'A' must be sent as itself
		{`\x{00}`, ErrBadParamValue, 0},      // NUL cannot be encoded
		{`\x{0A}`, ErrBadParamValue, 0},      // LF is not a HEXPOINT
		{`\x{0E9}`, ErrBadParamValue, 0},     // leading zero
		{`\x{0100}`, ErrBadParamValue, 0},    // leading zero
		{`\x{D800}`, ErrBadParamValue, 0},    // surrogate
		{`\x{110000}`, ErrBadParamValue, 0},  // beyond Unicode
		{`\x{1000000}`, ErrBadParamValue, 0}, // seven digits
		{`ab\x{G0}`, ErrBadParamValue, 2},
		{"a\xffb", ErrInvalidUTF8, 1},
		{"a\xed\xa0\x80", ErrInvalidUTF8, 1}, // UTF-8 encoded surrogate
		{"a\x7f", ErrBadParamValue, 1},
	}
	for _, tt := range decodeErrs {
		got, err := DecodeUTF8AddrText([]byte("keep"), []byte(tt.enc))
		requireErrAt(t, err, tt.sentinel, tt.off, tt.enc)
		assert.Equal(t, "keep", string(got), tt.enc)
	}
	encodeErrs := []struct {
		addr     string
		sentinel error
		off      int
	}{
		{"", ErrBadParamValue, 0},
		{"a\r\nb", ErrForbiddenByte, 1},
		{"a\x00", ErrForbiddenByte, 1},
		{"ab\x0b", ErrBadParamValue, 2}, // VT has no HEXPOINT
		{"a\x1f", ErrBadParamValue, 1},
		{"a\xff", ErrInvalidUTF8, 1},
	}
	for _, tt := range encodeErrs {
		for _, f := range []func([]byte, []byte) ([]byte, error){AppendUTF8AddrXtext, AppendUTF8AddrUnitext} {
			got, err := f([]byte("keep"), []byte(tt.addr))
			requireErrAt(t, err, tt.sentinel, tt.off, tt.addr)
			assert.Equal(t, "keep", string(got), tt.addr)
		}
	}
}

func TestCheckMailboxXtext(t *testing.T) {
	ok := []string{"a@b", "<>", "+3C+3E", "e+3Dmc2@example.com", "\"a+20b\"@c", "a+40b@c"}
	for _, v := range ok {
		bad, _ := checkMailboxXtext([]byte(v), true)
		assert.Equal(t, -1, bad, v)
	}
	for _, v := range []string{"@b", "a@", "ab", "<", "<>x", "a+01@b", "a+"} {
		bad, _ := checkMailboxXtext([]byte(v), true)
		assert.GreaterOrEqual(t, bad, 0, v)
	}
	bad, _ := checkMailboxXtext([]byte("<>"), false)
	assert.Equal(t, 0, bad, "SUBMITTER has no null form")
}
