package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

func TestCanonicalizer(t *testing.T) {
	for _, tc := range []struct {
		policy wire.BarePolicy
		in     []string
		want   string
		err    error
	}{
		{wire.BareReject, []string{"a\r", "\nb\r\n"}, "a\r\nb\r\n", nil},
		{wire.BareReject, []string{"a\r", "b"}, "", wire.ErrBareCR},
		{wire.BareReject, []string{"a\r"}, "", wire.ErrBareCR},
		{wire.BareNormalize, []string{"a\nb\rc\r"}, "a\r\nb\r\nc\r\n", nil},
		{wire.BareAllow, []string{"a\nb"}, "a\nb\r\n", nil},
		{wire.BareReject, []string{""}, "", nil},
		{wire.BareReject, []string{"x"}, "x\r\n", nil},
		{wire.BareNormalize, []string{"a\r", "b"}, "a\r\nb\r\n", nil},
	} {
		k := canonicalizer{policy: tc.policy}
		var out []byte
		var err error
		for _, in := range tc.in {
			if out, err = k.append(out, []byte(in)); err != nil {
				break
			}
		}
		if err == nil {
			out, err = k.close(out)
		}
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, "%q", tc.in)
			var be *BodyError
			require.ErrorAs(t, err, &be, "a *BodyError")
			assert.Equal(t, int64(1), be.Offset, "%q", tc.in)
			assert.Equal(t, tc.err, be.Err, "the sentinel itself")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(out), "%q", tc.in)
	}
}
