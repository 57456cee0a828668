package state

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/reply"
)

func TestCodeSet(t *testing.T) {
	s := CodeSetOf(250, 199, 200, 599, 600, 0, 354, 250)
	assert.Equal(t, []reply.Code{200, 250, 354, 599}, s.Codes())
	assert.Equal(t, 4, s.Len())
	assert.Equal(t, "200 250 354 599", s.String())
	for _, c := range []reply.Code{0, 199, 600, 65535} {
		assert.False(t, s.Has(c), "Has(%d)", c)
	}
	assert.True(t, s.Has(599))
	assert.False(t, s.Has(251))

	u := s.Union(CodeSetOf(251, 599))
	assert.Equal(t, "200 250 251 354 599", u.String())
	assert.Equal(t, "200 250 354 599", s.String(), "Union must not change its receiver")
	assert.Equal(t, u, u.With(600), "With ignores codes out of range")

	var empty CodeSet
	assert.Equal(t, 0, empty.Len())
	assert.Empty(t, empty.Codes())
	assert.Equal(t, "", empty.String())

	// Every code of the range round-trips, including word boundaries.
	var all CodeSet
	for c := reply.Code(200); c <= 599; c++ {
		all = all.With(c)
	}
	assert.Equal(t, 400, all.Len())
}
