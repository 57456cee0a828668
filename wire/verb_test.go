package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupVerb(t *testing.T) {
	for _, v := range Verbs() {
		name := v.String()
		assert.Equal(t, v, LookupVerb([]byte(name)), name)
		lower := []byte(name)
		for i := range lower {
			lower[i] |= 0x20
		}
		assert.Equal(t, v, LookupVerb(lower), string(lower))
	}
	for _, bad := range []string{"", "MAI", "MAILX", "MAIL ", "STARTTLSX", "HEL0", "ma\x00l", "\xc3\xa9HLO"} {
		assert.Equal(t, VerbUnknown, LookupVerb([]byte(bad)), "%q", bad)
	}
	require.True(t, VerbTURN.IsHistoric())
	require.False(t, VerbMAIL.IsHistoric())
	assert.Equal(t, "UNKNOWN", Verb(200).String())
}

func TestExtSet(t *testing.T) {
	for _, e := range Exts() {
		assert.Equal(t, e, LookupExt([]byte(e.String())))
		s := NewExtSet(e)
		assert.True(t, s.Has(e))
		assert.False(t, s.Without(e).Has(e))
		assert.Equal(t, e.String(), s.String())
	}
	assert.Equal(t, ExtMTPRIORITY, LookupExt([]byte("mt-priority")))
	assert.Equal(t, ExtUnknown, LookupExt([]byte("X-UNKNOWN")))
	assert.Equal(t, ExtUnknown, LookupExt([]byte("ENHANCEDSTATUSCODESX")))
	assert.False(t, NewExtSet(ExtUnknown).Has(ExtUnknown))
	assert.Equal(t, "PIPELINING SIZE", NewExtSet(ExtSIZE, ExtPIPELINING).String())
}

func TestBarePolicyNames(t *testing.T) {
	for _, p := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
		got, ok := ParseBarePolicy(p.String())
		require.True(t, ok)
		assert.Equal(t, p, got)
	}
	_, ok := ParseBarePolicy("lenient")
	assert.False(t, ok)
	assert.Equal(t, BareReject, BarePolicy(0), "the zero value must be the safe default")
}
