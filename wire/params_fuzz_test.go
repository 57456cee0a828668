package wire

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Fuzz seeds are built with the serializers, so they start from valid
// input and the fuzzer mutates from there.

func FuzzXtext(f *testing.F) {
	for _, s := range []string{"e=mc2@example.com", "<>", "a b\r\n\x00\xff", "élève", ""} {
		f.Add(AppendXtext(nil, []byte(s)))
		f.Add([]byte(s))
	}
	f.Add([]byte("e+3dmc2"))
	f.Add([]byte("+41+2B+"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// decode(encode(x)) == x for any octets.
		enc := AppendXtext(nil, data)
		require.True(t, IsXtext(enc))
		dec, err := DecodeXtext(nil, enc)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, dec))

		// Arbitrary input never panics; when it decodes, encoding gives it
		// back if it was canonical (hexchars only where needed).
		dec, err = DecodeXtext(nil, data)
		require.Equal(t, err == nil, IsXtext(data))
		if err != nil {
			checkSyntaxError(t, err, 0, len(data))
			return
		}
		re := AppendXtext(nil, dec)
		if canonicalXtext(data) {
			require.Equal(t, string(data), string(re))
		}
		again, err := DecodeXtext(nil, re)
		require.NoError(t, err)
		require.True(t, bytes.Equal(dec, again))
	})
}

// canonicalXtext reports whether valid xtext uses hexchars only for octets
// that AppendXtext encodes.
func canonicalXtext(enc []byte) bool {
	for i := 0; i < len(enc); {
		c, next := xtextAt(enc, i)
		if enc[i] == '+' && isXchar(c) {
			return false
		}
		i = next
	}
	return true
}

func FuzzUTF8AddrText(f *testing.F) {
	for _, s := range []string{"élève@example.com", "a+b=c@x", `"a b\c"@x`, "\U0001F600@x", "中@例え.jp", "\x01\x7f"} {
		x, _ := AppendUTF8AddrXtext(nil, []byte(s))
		u, _ := AppendUTF8AddrUnitext(nil, []byte(s))
		f.Add(x)
		f.Add(u)
		f.Add([]byte(s))
	}
	f.Add([]byte(`\x{e9}\x{0E9}\x{D800}\x{110000}\x{41}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := DecodeUTF8AddrText(nil, data)
		if err != nil {
			checkSyntaxError(t, err, 0, len(data))
		} else {
			x, err := AppendUTF8AddrXtext(nil, dec)
			require.NoError(t, err)
			u, err := AppendUTF8AddrUnitext(nil, dec)
			require.NoError(t, err)
			for _, c := range x {
				require.Less(t, c, byte(0x80), "the xtext form is 7-bit")
			}
			for _, enc := range [][]byte{x, u} {
				back, err := DecodeUTF8AddrText(nil, enc)
				require.NoError(t, err)
				require.Equal(t, string(dec), string(back))
			}
			xform, uform := canonicalUTF8Addr(data)
			if xform {
				require.Equal(t, string(data), string(x))
			}
			if uform {
				require.Equal(t, string(data), string(u))
			}
		}
		// Encoding arbitrary input either fails or decodes back.
		for _, enc := range []func([]byte, []byte) ([]byte, error){AppendUTF8AddrXtext, AppendUTF8AddrUnitext} {
			out, err := enc(nil, data)
			if err != nil {
				checkSyntaxError(t, err, 0, len(data))
				continue
			}
			back, err := DecodeUTF8AddrText(nil, out)
			require.NoError(t, err)
			require.Equal(t, string(data), string(back))
		}
	})
}

// canonicalUTF8Addr reports whether valid enc is exactly what
// AppendUTF8AddrXtext (xform) or AppendUTF8AddrUnitext (uform) writes.
func canonicalUTF8Addr(enc []byte) (xform, uform bool) {
	xform, uform = true, true
	for i := 0; i < len(enc); {
		switch c := enc[i]; {
		case c == '\\':
			r, n, _ := parseEmbedded(enc[i:])
			for _, h := range enc[i+3 : i+n-1] {
				if h >= 'a' && h <= 'f' {
					return false, false
				}
			}
			if r >= 0x80 {
				uform = false
			}
			i += n
		case c >= 0x80:
			xform = false
			i++
		default:
			i++
		}
	}
	return xform, uform
}

// checkSyntaxError asserts that err is a *SyntaxError whose offset lies in
// [lo, hi].
func checkSyntaxError(t *testing.T, err error, lo, hi int) {
	t.Helper()
	var se *SyntaxError
	require.True(t, errors.As(err, &se), "%T %v", err, err)
	require.GreaterOrEqual(t, se.Offset, lo, se.Error())
	require.LessOrEqual(t, se.Offset, hi, se.Error())
	require.NotEmpty(t, se.Rule)
}

func FuzzMailParams(f *testing.F) {
	until := MailParams{HoldUntil: time.Date(2025, 6, 1, 10, 0, 0, 5e8, time.UTC), Body: Body8BitMIME, Solicit: b("a.b:C,d")}
	for _, m := range []MailParams{richMail(), until, {HasSize: true}, {Auth: b("<>"), SMTPUTF8: true}} {
		out, err := AppendMailParams(nil, m)
		require.NoError(f, err)
		f.Add(out[1:])
	}
	f.Add([]byte("size=00 body=7bit BY=-1;nT mt-priority=-0 HOLDFOR=1 HOLDUNTIL=2016-12-31T23:59:60Z"))
	f.Fuzz(func(t *testing.T, text []byte) {
		const off = 11
		m, err := DecodeMailParams(Params{Text: text, Offset: off}, allExts)
		if err != nil {
			checkSyntaxError(t, err, off, off+len(text))
			return
		}
		out, err := AppendMailParams(nil, m)
		require.NoError(t, err)
		again, err := DecodeMailParams(Params{Text: bytes.TrimPrefix(out, []byte(" "))}, allExts)
		require.NoError(t, err, string(out))
		require.Equal(t, m, again)
		require.Zero(t, m.Needs()&^allExts)
	})
}

func FuzzRcptParams(f *testing.F) {
	for _, r := range []RcptParams{richRcpt(), {Notify: NotifyNever, ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("a+2B@b")}}} {
		out, err := AppendRcptParams(nil, r)
		require.NoError(f, err)
		f.Add(out[1:])
	}
	f.Add([]byte("ORCPT=utf-8;élève@example.com RRVS=2014-04-03T23:01:00.5-01:00;c"))
	f.Fuzz(func(t *testing.T, text []byte) {
		r, err := DecodeRcptParams(Params{Text: text}, allExts)
		if err != nil {
			checkSyntaxError(t, err, 0, len(text))
			return
		}
		out, err := AppendRcptParams(nil, r)
		require.NoError(t, err)
		again, err := DecodeRcptParams(Params{Text: bytes.TrimPrefix(out, []byte(" "))}, allExts)
		require.NoError(t, err, string(out))
		require.Equal(t, r, again)
	})
}
