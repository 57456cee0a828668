package wire

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeAll encodes pieces with a fresh encoder of policy pol and closes it.
func encodeAll(t *testing.T, pol BarePolicy, pieces ...string) (string, error) {
	t.Helper()
	e := DataEncoder{Policy: pol}
	var out []byte
	var err error
	for _, p := range pieces {
		if out, err = e.Encode(out, []byte(p)); err != nil {
			return string(out), err
		}
	}
	out, err = e.Close(out)
	return string(out), err
}

func TestDataEncoderVectors(t *testing.T) {
	// RFC 5321 4.5.2 and the vectors of SPEC 2.8.
	tests := []struct{ name, body, wire string }{
		{"empty body", "", ".\r\n"},
		{"dot foo", ".foo\r\n", "..foo\r\n.\r\n"},
		{"lone dot", ".\r\n", "..\r\n.\r\n"},
		{"two dots", "..\r\n", "...\r\n.\r\n"},
		{"dot lines after text", "a\r\n.\r\n.b\r\n", "a\r\n..\r\n..b\r\n.\r\n"},
		{"dot in the middle", "a.b\r\nc.\r\n", "a.b\r\nc.\r\n.\r\n"},
		{"missing final CRLF", "abc", "abc\r\n.\r\n"},
		{"missing final CRLF on dot line", "x\r\n.", "x\r\n..\r\n.\r\n"},
		{"empty lines", "\r\n\r\n", "\r\n\r\n.\r\n"},
		{"terminator in body", "a\r\n.\r\nMAIL FROM:<x>\r\n", "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pol := range allPolicies {
				wire, err := encodeAll(t, pol, tt.body)
				require.NoError(t, err)
				assert.Equal(t, tt.wire, wire, "policy %v", pol)
			}
		})
	}
}

func TestDataEncoderCPythonQuotedata(t *testing.T) {
	// CPython test_smtplib quotedata: normalizes bare LF and CR client-side.
	e := DataEncoder{Policy: BareNormalize}
	out, err := e.Encode(nil, []byte("abc\n.jkl\rfoo\r\n..blue"))
	require.NoError(t, err)
	assert.Equal(t, "abc\r\n..jkl\r\nfoo\r\n...blue", string(out))
	out, err = e.Close(out)
	require.NoError(t, err)
	assert.Equal(t, "abc\r\n..jkl\r\nfoo\r\n...blue\r\n.\r\n", string(out))
}

func TestDataEncoderPolicies(t *testing.T) {
	tests := []struct {
		name, body       string
		normalize, allow string
		rejectErr        error
		rejectAt         int
	}{
		{"bare LF", "a\nb", "a\r\nb\r\n.\r\n", "a\nb\r\n.\r\n", ErrBareLF, 1},
		{"bare CR", "a\rb", "a\r\nb\r\n.\r\n", "a\rb\r\n.\r\n", ErrBareCR, 1},
		{"CR CR LF", "a\r\r\nb\r\n", "a\r\n\r\nb\r\n.\r\n", "a\r\r\nb\r\n.\r\n", ErrBareCR, 1},
		{"LF then dot", "a\n.b\r\n", "a\r\n..b\r\n.\r\n", "a\n.b\r\n.\r\n", ErrBareLF, 1},
		{"CR then dot", "\r.", "\r\n..\r\n.\r\n", "\r.\r\n.\r\n", ErrBareCR, 0},
		{"final CR", "abc\r", "abc\r\n.\r\n", "abc\r\r\n.\r\n", ErrBareCR, 3},
		{"final LF", "abc\n", "abc\r\n.\r\n", "abc\n\r\n.\r\n", ErrBareLF, 3},
		{"LF first", "\nx\r\n", "\r\nx\r\n.\r\n", "\nx\r\n.\r\n", ErrBareLF, 0},
		{"bare CR before bare LF", "ok\r\nab\rc\nd", "ok\r\nab\r\nc\r\nd\r\n.\r\n", "ok\r\nab\rc\nd\r\n.\r\n", ErrBareCR, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeAll(t, BareNormalize, tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.normalize, got)
			got, err = encodeAll(t, BareAllow, tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.allow, got)

			e := DataEncoder{}
			out, err := e.Encode([]byte("x"), []byte(tt.body))
			if err == nil {
				// The error is found by Close (a final bare CR or LF).
				before := string(out)
				out, err = e.Close(out)
				assert.Equal(t, before, string(out), "Close appends nothing on error")
			} else {
				assert.Equal(t, "x", string(out), "Encode appends nothing on error")
			}
			off, s := errParts(t, err)
			assert.Equal(t, tt.rejectErr, s)
			assert.Equal(t, tt.rejectAt, off)
			// Every later call returns the same error and appends nothing.
			out, err2 := e.Encode([]byte("y"), []byte("fine\r\n"))
			assert.Same(t, err, err2)
			assert.Equal(t, "y", string(out))
			out, err2 = e.Close([]byte("z"))
			assert.Same(t, err, err2)
			assert.Equal(t, "z", string(out))
		})
	}
}

func TestDataEncoderRejectOffsetsAcrossCalls(t *testing.T) {
	e := DataEncoder{}
	out, err := e.Encode(nil, []byte("abc\r\n"))
	require.NoError(t, err)
	out, err = e.Encode(out, []byte("de\r"))
	require.NoError(t, err)
	assert.Equal(t, "abc\r\nde", string(out), "a final CR is held")
	out2, err := e.Encode(out, []byte("x"))
	off, s := errParts(t, err)
	assert.Equal(t, ErrBareCR, s)
	assert.Equal(t, 7, off, "offset counts body octets of all calls")
	assert.Equal(t, string(out), string(out2))

	e.Reset()
	_, err = e.Encode(nil, []byte("0123"))
	require.NoError(t, err)
	_, err = e.Encode(nil, []byte("45\n"))
	off, s = errParts(t, err)
	assert.Equal(t, ErrBareLF, s)
	assert.Equal(t, 6, off)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "RFC 5321 2.3.8", se.Rule)
}

func TestDataEncoderCRLFAcrossCalls(t *testing.T) {
	// A CR ending one call and an LF starting the next are one CRLF, and
	// the dot after it is at the start of a line.
	for _, pol := range allPolicies {
		got, err := encodeAll(t, pol, "a\r", "\n.b\r", "\n")
		require.NoError(t, err, "policy %v", pol)
		assert.Equal(t, "a\r\n..b\r\n.\r\n", got, "policy %v", pol)
	}
}

var encodeBodies = []string{
	"",
	".",
	"..\r\n.\r\n...",
	"Subject: x\r\n\r\n.hidden\r\n.\r\nMAIL FROM:<evil@x>\r\n",
	"a\nb\rc\r\r\n.\n.\r.\r\n\r",
	"no line break at all",
	"\r\n.\r\n",
}

func TestDataEncoderEverySplit(t *testing.T) {
	for _, body := range encodeBodies {
		for _, pol := range allPolicies {
			whole, werr := encodeAll(t, pol, body)
			for cut := 0; cut <= len(body); cut++ {
				got, err := encodeAll(t, pol, body[:cut], body[cut:])
				assert.Equal(t, werr, err, "%q %v cut %d", body, pol, cut)
				if werr == nil {
					assert.Equal(t, whole, got, "%q %v cut %d", body, pol, cut)
				}
			}
			pieces := make([]string, len(body))
			for i := range body {
				pieces[i] = body[i : i+1]
			}
			got, err := encodeAll(t, pol, pieces...)
			if werr == nil {
				require.NoError(t, err)
				assert.Equal(t, whole, got, "%q %v octet by octet", body, pol)
			} else {
				o1, s1 := errParts(t, werr)
				o2, s2 := errParts(t, err)
				assert.Equal(t, s1, s2)
				assert.Equal(t, o1, o2)
			}
		}
	}
}

func TestDataEncoderEmptyBodyRoundTrip(t *testing.T) {
	// Decision: an empty body is just ".\r\n" (the DATA line's CRLF is the
	// first CRLF of the terminator), and decodes to an empty body.
	var e DataEncoder
	wire, err := e.Close(nil)
	require.NoError(t, err)
	assert.Equal(t, ".\r\n", string(wire))
	var d DataDecoder
	out, n, done := d.Decode(nil, wire)
	require.True(t, done)
	assert.Equal(t, 3, n)
	assert.Empty(t, out)
	// Empty Encode calls change nothing.
	out, err = e.Encode(nil, nil)
	require.NoError(t, err)
	assert.Empty(t, out)
	wire, err = e.Close(nil)
	require.NoError(t, err)
	assert.Equal(t, ".\r\n", string(wire))
}

func TestDataEncoderCloseResets(t *testing.T) {
	e := DataEncoder{Policy: BareNormalize}
	out, err := e.Encode(nil, []byte("abc"))
	require.NoError(t, err)
	out, err = e.Close(out)
	require.NoError(t, err)
	out, err = e.Encode(out, []byte(".x\n"))
	require.NoError(t, err)
	out, err = e.Close(out)
	require.NoError(t, err)
	assert.Equal(t, "abc\r\n.\r\n..x\r\n.\r\n", string(out))
	assert.Equal(t, BareNormalize, e.Policy)
}

func TestDataEncoderRoundTrip(t *testing.T) {
	// Encode then decode gives back every CRLF-canonical body.
	r := rand.New(rand.NewPCG(3, 4))
	atoms := []string{"text", "\r\n", ".", "..", "\r\n.", "\r\n.\r\n", " ", "\x00", "\xff"}
	bodies := append([]string{}, encodeBodies[:4]...)
	for range 300 {
		var b []byte
		for range r.IntN(60) {
			b = append(b, atoms[r.IntN(len(atoms))]...)
		}
		bodies = append(bodies, string(b))
	}
	bodies = append(bodies, string(benchBody(200_000, 3)))
	for _, body := range bodies {
		for _, pol := range allPolicies {
			cut := r.IntN(len(body) + 1)
			wire, err := encodeAll(t, pol, body[:cut], body[cut:])
			require.NoError(t, err)
			d := DataDecoder{AllowNUL: true}
			out, n, done := d.Decode(nil, []byte(wire+"QUIT\r\n"))
			require.True(t, done)
			assert.Equal(t, len(wire), n)
			require.NoError(t, d.Err())
			assert.True(t, bytes.Equal(withTerminator([]byte(body)), out), "%q %v", body, pol)
		}
	}
}
