package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrepare(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"ascii unchanged", "pencil", "pencil", true},
		{"ascii with space", "tim tanstaaf", "tim tanstaaf", true},
		{"non-ASCII space mapped to U+0020", "a\u00a0b", "a b", true},
		{"NFC", "e\u0301", "\u00e9", true},
		{"empty", "", "", false},
		{"control", "pass\x07word", "", false},
		{"invalid UTF-8 ff", "\xff", "", false},
		{"invalid UTF-8 fe", "\xfe", "", false},
		{"NUL", "a\x00b", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []func(string) (string, error){PreparePassword, PrepareUsername} {
				got, err := f(tc.in)
				if !tc.ok {
					require.ErrorIs(t, err, ErrMalformed)
					if tc.in != "" {
						assert.NotContains(t, err.Error(), tc.in, "the input must not appear in the error")
					}
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			}
		})
	}
}
