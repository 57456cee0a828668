package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSASLName checks the saslname escapes of RFC 5801 section 4.
func TestSASLName(t *testing.T) {
	tests := []struct {
		name, escaped string
	}{
		{"user", "user"},
		{"a,b", "a=2Cb"},
		{"a=b", "a=3Db"},
		{"=,=", "=3D=2C=3D"},
		{"jürgen", "jürgen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.escaped, string(appendSASLName(nil, tt.name)))
			got, ok := parseSASLName([]byte(tt.escaped))
			require.True(t, ok)
			assert.Equal(t, tt.name, got)
		})
	}
	for _, bad := range []string{"", "=", "=2", "a=2", "=2c", "=41", "a\x00b", "a,b", "\xff"} {
		t.Run("bad "+bad, func(t *testing.T) {
			_, ok := parseSASLName([]byte(bad))
			assert.False(t, ok)
		})
	}
}
