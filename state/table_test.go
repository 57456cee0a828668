package state

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// legalityGrid is SPEC 2.2 typed out independently of table.go: for each
// verb, what an SMTP server answers in each command-reading phase without
// looking at arguments ("ok" means the command is processed). Columns:
// greeted, ready, mail, rcpt, bdat, refused.
const legalityGrid = `
HELO     ok  ok  ok  ok  ok  503
EHLO     ok  ok  ok  ok  ok  503
LHLO     500 500 500 500 500 503
MAIL     503 ok  503 503 503 503
RCPT     503 503 ok  ok  503 503
DATA     503 503 503 ok  503 503
BDAT     503 503 503 ok  ok  503
BURL     503 503 503 ok  ok  503
RSET     ok  ok  ok  ok  ok  503
NOOP     ok  ok  ok  ok  ok  503
QUIT     ok  ok  ok  ok  ok  ok
HELP     ok  ok  ok  ok  ok  503
VRFY     ok  ok  ok  ok  ok  503
EXPN     ok  ok  ok  ok  ok  503
AUTH     503 ok  503 503 503 503
STARTTLS ok  ok  503 503 503 503
XCLIENT  ok  ok  503 503 503 503
XFORWARD ok  ok  503 503 503 503
ETRN     503 ok  503 503 503 503
ATRN     503 ok  503 503 503 503
SEND     502 502 502 502 502 503
SOML     502 502 502 502 502 503
SAML     502 502 502 502 502 503
TURN     502 502 502 502 502 503
UNKNOWN  500 500 500 500 500 503
`

var gridPhases = []Phase{PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt, PhaseBDAT, PhaseRefused}

// TestLegalityTableWalk walks every phase x verb cell of the table for
// SMTP and LMTP and compares it with the grid.
func TestLegalityTableWalk(t *testing.T) {
	byName := map[string]wire.Verb{"UNKNOWN": wire.VerbUnknown}
	for _, v := range wire.Verbs() {
		byName[v.String()] = v
	}
	seen := map[wire.Verb]bool{}
	for _, line := range strings.Split(strings.TrimSpace(legalityGrid), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 1+len(gridPhases), line)
		v, ok := byName[f[0]]
		require.True(t, ok, "unknown verb %q in the grid", f[0])
		seen[v] = true
		for i, p := range gridPhases {
			for _, proto := range []Protocol{ProtocolSMTP, ProtocolLMTP} {
				want := f[1+i]
				if proto == ProtocolLMTP && p != PhaseRefused {
					// RFC 2033 4.1: LMTP swaps the hello verbs.
					switch v {
					case wire.VerbLHLO:
						want = "ok"
					case wire.VerbHELO, wire.VerbEHLO:
						want = "500"
					}
				}
				c, ok := Lookup(proto, p, v)
				require.True(t, ok)
				got := "ok"
				if !c.Legal() {
					got = c.Code.String()
				}
				assert.Equal(t, want, got, "%s %v in %v", proto, v, p)
				assert.NotEmpty(t, c.Rule, "%s %v in %v has no rule", proto, v, p)
			}
		}
	}
	assert.Len(t, seen, numVerbs, "the grid must cover every verb")
	assert.Equal(t, numVerbs, len(wire.Verbs())+1, "numVerbs must follow wire's verb list")
}

// TestLookupNonCommandPhases checks that phases which read no commands
// have no cells.
func TestLookupNonCommandPhases(t *testing.T) {
	for _, p := range append(Phases(), PhaseNone, Phase(200)) {
		_, ok := Lookup(ProtocolSMTP, p, wire.VerbNOOP)
		assert.Equal(t, p.ReadsCommands(), ok, "%v", p)
	}
	_, ok := Lookup(ProtocolSMTP, PhaseReady, wire.Verb(250))
	assert.False(t, ok, "a verb outside wire's range has no cell")
}

func TestPhase(t *testing.T) {
	names := map[string]bool{}
	for _, p := range append(Phases(), PhaseNone) {
		s := p.String()
		assert.NotEqual(t, "unknown", s)
		assert.False(t, names[s], "duplicate name %q", s)
		names[s] = true
	}
	assert.Equal(t, "unknown", Phase(99).String())
	assert.Equal(t, []Phase{PhaseMail, PhaseRcpt, PhaseData, PhaseBDAT}, filter(Phases(), Phase.InTransaction))
	assert.Equal(t, []Phase{PhaseGreeted, PhaseReady, PhaseMail, PhaseRcpt, PhaseBDAT, PhaseRefused}, filter(Phases(), Phase.ReadsCommands))
	assert.Equal(t, "SMTP", ProtocolSMTP.String())
	assert.Equal(t, "LMTP", ProtocolLMTP.String())
}

func filter(ps []Phase, f func(Phase) bool) []Phase {
	var out []Phase
	for _, p := range ps {
		if f(p) {
			out = append(out, p)
		}
	}
	return out
}
