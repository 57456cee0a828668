package reply_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

func TestParseEnhanced(t *testing.T) {
	tests := []struct {
		in   string
		want reply.Enhanced
		ok   bool
	}{
		{"2.0.0", reply.E(2, 0, 0), true},
		{"4.7.12", reply.E(4, 7, 12), true},
		{"5.1.10", reply.E(5, 1, 10), true},
		{"5.999.999", reply.E(5, 999, 999), true},
		{"5.100.1", reply.E(5, 100, 1), true},
		{"", reply.Enhanced{}, false},
		{"5", reply.Enhanced{}, false},
		{"5.1", reply.Enhanced{}, false},
		{"5.1.", reply.Enhanced{}, false},
		{"5..1", reply.Enhanced{}, false},
		{".1.1", reply.Enhanced{}, false},
		{"3.1.1", reply.Enhanced{}, false},  // class 3 does not exist
		{"1.1.1", reply.Enhanced{}, false},  // nor class 1
		{"6.1.1", reply.Enhanced{}, false},  // nor class 6
		{"25.1.1", reply.Enhanced{}, false}, // class is one digit
		{"5.01.1", reply.Enhanced{}, false}, // leading zero
		{"5.1.01", reply.Enhanced{}, false},
		{"5.00.0", reply.Enhanced{}, false},
		{"5.1.1000", reply.Enhanced{}, false}, // four-digit detail
		{"5.1000.1", reply.Enhanced{}, false}, // four-digit subject
		{"5.1.1 ", reply.Enhanced{}, false},   // trailing junk
		{"5.1.1x", reply.Enhanced{}, false},
		{"5.1.1.1", reply.Enhanced{}, false},
		{" 5.1.1", reply.Enhanced{}, false},
		{"5 .1.1", reply.Enhanced{}, false},
		{"5.a.1", reply.Enhanced{}, false},
		{"5.1.-1", reply.Enhanced{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := reply.ParseEnhanced([]byte(tt.in))
			if !tt.ok {
				require.ErrorIs(t, err, reply.ErrBadEnhanced)
				assert.Equal(t, reply.Enhanced{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, got.String())
			assert.True(t, got.Valid())
		})
	}
}

func TestParseEnhancedPrefix(t *testing.T) {
	tests := []struct {
		in   string
		want reply.Enhanced
		rest string
		ok   bool
	}{
		{"5.1.1 User unknown", reply.E(5, 1, 1), "User unknown", true},
		{"5.1.1", reply.E(5, 1, 1), "", true},
		{"2.0.0 ", reply.E(2, 0, 0), "", true},
		{"4.4.2  two spaces", reply.E(4, 4, 2), " two spaces", true},
		{"234 Text beginning with numbers", reply.Enhanced{}, "234 Text beginning with numbers", false},
		{"5.1.1User", reply.Enhanced{}, "5.1.1User", false},
		{"5.1.1\tUser", reply.Enhanced{}, "5.1.1\tUser", false},
		{"5.1.01 x", reply.Enhanced{}, "5.1.01 x", false},
		{"5.1.1000 x", reply.Enhanced{}, "5.1.1000 x", false},
		{"3.0.0 x", reply.Enhanced{}, "3.0.0 x", false},
		{"5.1 x", reply.Enhanced{}, "5.1 x", false},
		{"5.1.1.2 x", reply.Enhanced{}, "5.1.1.2 x", false},
		{"", reply.Enhanced{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, rest, ok := reply.ParseEnhancedPrefix([]byte(tt.in))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.rest, string(rest))
		})
	}
}

func TestEnhancedBasics(t *testing.T) {
	assert.True(t, reply.Enhanced{}.IsZero())
	assert.False(t, reply.Enhanced{}.Valid())
	assert.Equal(t, "", reply.Enhanced{}.String())
	assert.Equal(t, "x", string(reply.Enhanced{}.Append([]byte("x"))))
	assert.Equal(t, "x5.7.30", string(reply.E(5, 7, 30).Append([]byte("x"))))
	assert.False(t, reply.E(3, 0, 0).Valid())
	assert.False(t, reply.E(5, 1000, 0).Valid())
	assert.False(t, reply.E(5, 0, 1000).Valid())
	assert.Equal(t, reply.E(4, 2, 2), reply.E(5, 2, 2).WithClass(4))
}
