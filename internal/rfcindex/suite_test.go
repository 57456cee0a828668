package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/conformance"
)

// TestSuitesListEveryCase checks that the page lists every case of both
// suites once, with its level, and the counts per level.
func TestSuitesListEveryCase(t *testing.T) {
	var b bytes.Buffer
	renderSuites(&b)
	out := b.String()
	for _, p := range suiteParts() {
		require.NotEmpty(t, p.cases, p.heading)
		var n levelCount
		for _, c := range p.cases {
			n.add(c.Level)
			row := "| " + c.Section + " | `" + c.ID() + "` | " + c.Level.String() + " | "
			assert.Equal(t, 1, strings.Count(out, row), "%s: %s", p.heading, c.ID())
		}
		assert.Contains(t, out, "| ["+p.heading+"](#"+anchor(p.heading)+") | "+n.cells()+" |")
	}
	assert.NotContains(t, out, "(no title recorded)")
}

// TestDeviationsListEveryRun checks that the page shows every peer run
// with its version and every deviation with its reason.
func TestDeviationsListEveryRun(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, renderDeviations(&b))
	out := b.String()
	for _, run := range conformance.PeerRuns() {
		assert.Contains(t, out, "\n## "+runHeading(run)+"\n", run.Peer)
		assert.Contains(t, out, "](#"+anchor(runHeading(run))+") | "+run.Version+" ("+run.Platform+") |", run.Peer)
		for _, d := range run.Deviations {
			assert.Contains(t, out, "| `"+d.ID+"` | ", d.ID)
			assert.Contains(t, out, cell(d.Reason), d.ID)
		}
		for _, s := range run.Settings {
			assert.Contains(t, out, "| `"+s.Name+"` | ", s.Name)
		}
	}
}

func TestCell(t *testing.T) {
	assert.Equal(t, `a &lt;LF&gt;.&lt;LF&gt; \| "\*" &amp;lt;`, cell(`a <LF>.<LF> | "*" &lt;`))
	assert.Equal(t, "plain text", cell("plain text"))
}

func TestAnchor(t *testing.T) {
	assert.Equal(t, "postfix-smtpd-3711-default-settings", anchor("Postfix smtpd 3.7.11, default settings"))
	assert.Equal(t, "conformance-suite-cases", anchor(suiteHeading))
	assert.Equal(t, "server-suite-rfc-5321-simple-mail-transfer-protocol", anchor("Server suite: RFC 5321: Simple Mail Transfer Protocol"))
	assert.Equal(t, "a_b-c", anchor("A_b-C"))
}

func TestLevelCountWords(t *testing.T) {
	var n levelCount
	n.add(conformance.Must)
	assert.Equal(t, "1 case: 1 MUST, 0 SHOULD, 0 MAY", n.words())
	n.add(conformance.May)
	assert.Equal(t, "2 cases: 1 MUST, 0 SHOULD, 1 MAY", n.words())
	assert.Equal(t, "2 | 1 | 0 | 1", n.cells())
}
