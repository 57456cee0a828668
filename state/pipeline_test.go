package state

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/wire"
)

func TestEndsGroup(t *testing.T) {
	last := map[wire.Verb]bool{
		wire.VerbEHLO: true, wire.VerbHELO: true, wire.VerbLHLO: true,
		wire.VerbDATA: true, wire.VerbVRFY: true, wire.VerbEXPN: true,
		wire.VerbTURN: true, wire.VerbQUIT: true, wire.VerbNOOP: true,
		wire.VerbSTARTTLS: true, wire.VerbATRN: true, wire.VerbXCLIENT: true,
		wire.VerbAUTH: true,
	}
	for _, v := range append(wire.Verbs(), wire.VerbUnknown) {
		assert.Equal(t, last[v], EndsGroup(v, false), "%v", v)
	}
	assert.False(t, EndsGroup(wire.VerbAUTH, true), "AUTH PLAIN with an initial response may be followed (RFC 4954 4)")
	for _, v := range []wire.Verb{wire.VerbMAIL, wire.VerbRCPT, wire.VerbRSET, wire.VerbBDAT, wire.VerbXFORWARD, wire.VerbETRN} {
		assert.False(t, EndsGroup(v, true), "%v", v)
	}
}
