package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCRLFEncoder runs table cases of every policy through CRLFEncoder and
// holds each to the reference.
func TestCRLFEncoder(t *testing.T) {
	for _, tc := range []struct {
		policy BarePolicy
		in     []string
		want   string
		err    error
		off    int
	}{
		// Canonical bodies are copied; a CRLF split across calls is one.
		{BareReject, []string{""}, "", nil, 0},
		{BareReject, []string{}, "", nil, 0},
		{BareReject, []string{"x"}, "x\r\n", nil, 0},
		{BareReject, []string{"a\r\nb\r\n"}, "a\r\nb\r\n", nil, 0},
		{BareReject, []string{"a\r", "\nb\r\n"}, "a\r\nb\r\n", nil, 0},
		{BareReject, []string{"a\r", "", "\n"}, "a\r\n", nil, 0},
		{BareReject, []string{"\r", "\n", "\r", "\n"}, "\r\n\r\n", nil, 0},
		{BareReject, []string{".\r\n..\r\n"}, ".\r\n..\r\n", nil, 0}, // no dot-stuffing
		// BareReject: the offset counts body octets over all calls.
		{BareReject, []string{"a\r", "b"}, "", ErrBareCR, 1},
		{BareReject, []string{"a\r"}, "", ErrBareCR, 1},
		{BareReject, []string{"ab", "c\nd"}, "", ErrBareLF, 3},
		{BareReject, []string{"a\r\r\n"}, "", ErrBareCR, 1},
		{BareReject, []string{"a\r", "\n\n"}, "", ErrBareLF, 3},
		{BareReject, []string{"\n"}, "", ErrBareLF, 0},
		{BarePolicy(7), []string{"a\nb"}, "", ErrBareLF, 1}, // out of range acts as BareReject
		// BareNormalize: each bare CR or LF becomes CRLF.
		{BareNormalize, []string{"a\nb\rc\r"}, "a\r\nb\r\nc\r\n", nil, 0},
		{BareNormalize, []string{"a\r\r\n"}, "a\r\n\r\n", nil, 0},
		{BareNormalize, []string{"a\n\r"}, "a\r\n\r\n", nil, 0},
		{BareNormalize, []string{"a\r", "b"}, "a\r\nb\r\n", nil, 0},
		// BareAllow: bare line ends pass; the body still ends with CRLF.
		{BareAllow, []string{"a\nb"}, "a\nb\r\n", nil, 0},
		{BareAllow, []string{"a\n"}, "a\n\r\n", nil, 0},
		{BareAllow, []string{"a\r"}, "a\r\r\n", nil, 0},
		{BareAllow, []string{"a\r", "\r\n"}, "a\r\r\n", nil, 0},
	} {
		e := CRLFEncoder{Policy: tc.policy}
		pieces := make([][]byte, len(tc.in))
		for i, s := range tc.in {
			pieces[i] = []byte(s)
		}
		got := runCRLF(t, &e, pieces...)
		if tc.err != nil {
			require.ErrorIs(t, got.sentinel, tc.err, "%q", tc.in)
			assert.Equal(t, tc.off, got.offset, "%q", tc.in)
			continue
		}
		require.NoError(t, got.sentinel, "%q", tc.in)
		assert.Equal(t, tc.want, got.out, "%q policy %v", tc.in, tc.policy)
		assert.Equal(t, refCRLF(tc.policy, []byte(strings.Join(tc.in, ""))), got, "reference")
	}
}

// TestCRLFEncoderSplits holds every split of bodies with every kind of line
// end to the reference, under every policy.
func TestCRLFEncoderSplits(t *testing.T) {
	bodies := []string{
		"Subject: x\r\n\r\nbody\r\n",
		"unix\nlines\n",
		"old\rmac\r",
		"mixed\r\n\n\r\r\n\r",
		"\r\n",
		"no line end",
		string(benchBody(600, 0)),
	}
	for _, pol := range append(allPolicies, BarePolicy(3)) {
		for _, body := range bodies {
			want := refCRLF(pol, []byte(body))
			for cut := 0; cut <= len(body); cut++ {
				e := CRLFEncoder{Policy: pol}
				got := runCRLF(t, &e, []byte(body[:cut]), []byte(body[cut:]))
				require.Equal(t, want, got, "policy %v body %q cut %d", pol, body, cut)
			}
		}
	}
}

// TestCRLFEncoderError checks the refusal: a *SyntaxError with the body
// offset, nothing of the call appended, and an error that sticks until Reset.
func TestCRLFEncoderError(t *testing.T) {
	e := CRLFEncoder{}
	out, err := e.Encode([]byte("kept"), []byte("a\r\nb\nc"))
	require.ErrorIs(t, err, ErrBareLF)
	assert.Equal(t, "kept", string(out), "nothing of the call is appended")
	var se *SyntaxError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, SyntaxError{Element: "mail-data", Offset: 4, Rule: "RFC 5321 2.3.8",
		Reason: "bare LF in mail data", Err: ErrBareLF}, *se)
	assert.Equal(t, "wire: mail-data at offset 4: bare LF in mail data (RFC 5321 2.3.8)", err.Error())

	// The error sticks, Close included, until Reset.
	_, err2 := e.Encode(nil, []byte("fine\r\n"))
	assert.Same(t, err, err2)
	_, err2 = e.Close(nil)
	assert.Same(t, err, err2)
	e.Reset()
	out, err = e.Encode(nil, []byte("fine"))
	require.NoError(t, err)
	out, err = e.Close(out)
	require.NoError(t, err)
	assert.Equal(t, "fine\r\n", string(out))
}

// TestCRLFEncoderReuse checks that Close leaves the encoder ready for the
// next body, keeping the policy and forgetting the last one's state.
func TestCRLFEncoderReuse(t *testing.T) {
	e := CRLFEncoder{Policy: BareNormalize}
	out, err := e.Encode(nil, []byte("a\r"))
	require.NoError(t, err)
	out, err = e.Close(out)
	require.NoError(t, err)
	assert.Equal(t, "a\r\n", string(out))
	assert.Equal(t, BareNormalize, e.Policy)
	out, err = e.Encode(nil, []byte("\nb"))
	require.NoError(t, err)
	out, err = e.Close(out)
	require.NoError(t, err)
	assert.Equal(t, "\r\nb\r\n", string(out), "the held CR does not carry over")
	out, err = e.Close(nil)
	require.NoError(t, err)
	assert.Empty(t, out, "an empty body stays empty")
}
