package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file holds a byte-at-a-time reference of CRLFEncoder, written for
// clarity, and the fuzz target that holds the real one to it.

// crlfResult is what one encoding of a whole body produced.
type crlfResult struct {
	out      string
	sentinel error // ErrBareCR or ErrBareLF under BareReject, else nil
	offset   int   // the body offset of the refused octet
}

// refCRLF encodes body by the rule of RFC 5321 section 2.3.8 and RFC 3030
// section 3, one octet at a time: CR LF is copied, a bare CR or LF is
// refused, written as CRLF or kept, per pol (out of range: BareReject); a
// non-empty body that does not end with CRLF gets one.
func refCRLF(pol BarePolicy, body []byte) crlfResult {
	if pol > BareAllow {
		pol = BareReject
	}
	var out []byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		bare := false
		switch {
		case c == '\r' && i+1 < len(body) && body[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
			continue
		case c == '\r', c == '\n':
			bare = true
		}
		if !bare {
			out = append(out, c)
			continue
		}
		switch pol {
		case BareNormalize:
			out = append(out, '\r', '\n')
		case BareAllow:
			out = append(out, c)
		default:
			s := ErrBareLF
			if c == '\r' {
				s = ErrBareCR
			}
			return crlfResult{sentinel: s, offset: i}
		}
	}
	if len(body) > 0 && !bytes.HasSuffix(out, crlf) {
		out = append(out, '\r', '\n')
	}
	return crlfResult{out: string(out)}
}

// runCRLF encodes the pieces with e and Close, as one body.
func runCRLF(t *testing.T, e *CRLFEncoder, pieces ...[]byte) crlfResult {
	t.Helper()
	var out []byte
	var err error
	for _, p := range pieces {
		n := len(out)
		if out, err = e.Encode(out, p); err != nil {
			require.Len(t, out, n, "nothing appended on error")
			break
		}
	}
	if err == nil {
		out, err = e.Close(out)
	}
	if err == nil {
		return crlfResult{out: string(out)}
	}
	var se *SyntaxError
	require.True(t, errors.As(err, &se), "%T: %v", err, err)
	return crlfResult{sentinel: se.Err, offset: se.Offset}
}

// FuzzCRLFEncoder holds CRLFEncoder to refCRLF for any body and policy,
// whole, cut in three and fed one octet at a time.
func FuzzCRLFEncoder(f *testing.F) {
	for i, s := range []string{"", "a", "\r", "\n", "a\r\nb", "a\nb\rc\r", "\r\r\n\n", "x\r\n.\r\n",
		"line one\r\nline two\n\rthree\r", "\n\r", "abc\r\n\r\n"} {
		f.Add([]byte(s), uint16(i), uint16(3*i), uint8(i))
	}
	f.Fuzz(func(t *testing.T, body []byte, cut1, cut2 uint16, mode uint8) {
		pol := BarePolicy(mode % 4) // 3 is out of range: must act as BareReject
		want := refCRLF(pol, body)
		a := int(cut1) % (len(body) + 1)
		b := a + int(cut2)%(len(body)-a+1)
		e := CRLFEncoder{Policy: pol}
		require.Equal(t, want, runCRLF(t, &e, body), "whole body, policy %v", pol)
		e.Reset()
		require.Equal(t, want, runCRLF(t, &e, body[:a], body[a:b], body[b:]), "cut at %d and %d", a, b)
		// Octet by octet: every CR meets its LF in the next call.
		e.Reset()
		pieces := make([][]byte, len(body))
		for i := range body {
			pieces[i] = body[i : i+1]
		}
		require.Equal(t, want, runCRLF(t, &e, pieces...), "octet by octet")
	})
}
