package fuzz

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

// This file proves that every check of FuzzCheckerSessions can fail.

// TestCleanReportFlagsFindings: violations, a divergence and a stop are
// each reported.
func TestCleanReportFlagsFindings(t *testing.T) {
	assert.Empty(t, cleanReport(state.Report{}))
	assert.Len(t, cleanReport(state.Report{
		Violations: []state.Violation{{Side: state.SideClient, Rule: "RFC 5321 3.3", Detail: "x"}},
		Diverged:   "d", Stopped: "s",
	}), 3)
}

// TestSanityProblem: too many violations, and one without a side, a rule
// or a detail, are reported.
func TestSanityProblem(t *testing.T) {
	cfg := state.CheckerConfig{MaxViolations: 1}
	ok := state.Violation{Side: state.SideServer, Rule: "RFC 5321 4.2", Detail: "x"}
	assert.Empty(t, sanityProblem(state.Report{Violations: []state.Violation{ok}}, cfg))
	assert.NotEmpty(t, sanityProblem(state.Report{Violations: []state.Violation{ok, ok}}, cfg), "over the bound")
	for _, v := range []state.Violation{{Rule: "RFC 1", Detail: "x"}, {Side: state.SideClient, Rule: "bogus", Detail: "x"},
		{Side: state.SideClient, Rule: "RFC 1"}} {
		assert.NotEmpty(t, sanityProblem(state.Report{Violations: []state.Violation{v}}, cfg), "%+v", v)
	}
}

// TestWantViolation: a missing side is reported.
func TestWantViolation(t *testing.T) {
	r := state.Report{Violations: []state.Violation{{Side: state.SideServer}}}
	assert.Empty(t, wantViolation(r, "x", state.SideServer))
	assert.NotEmpty(t, wantViolation(r, "x", state.SideServer, state.SideClient))
	assert.NotEmpty(t, wantViolation(state.Report{}, "x", state.SideServer))
}

// TestPhaseProblem: phases outside the table are reported.
func TestPhaseProblem(t *testing.T) {
	assert.Empty(t, phaseProblem(state.ProtocolSMTP, state.PhaseReady))
	assert.Empty(t, phaseProblem(state.ProtocolLMTP, state.PhaseData))
	assert.NotEmpty(t, phaseProblem(state.ProtocolSMTP, state.PhaseNone))
	assert.NotEmpty(t, phaseProblem(state.ProtocolSMTP, state.Phase(200)))
}

// TestLoopConnReportsServerTrouble: a client left waiting and a reply the
// machine refuses are reported.
func TestLoopConnReportsServerTrouble(t *testing.T) {
	srv, err := state.NewServer(state.ServerConfig{})
	require.NoError(t, err)
	c := newLoopConn(srv, state.ProtocolSMTP, &chooser{})
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	require.NoError(t, err)
	assert.Contains(t, string(buf[:n]), "220")
	_, err = c.Read(buf)
	assert.ErrorIs(t, err, errStuck, "nothing is owed before the client speaks")
	assert.True(t, c.stuck)
	c.respond(reply.Reply{Code: 250}) // no decision is pending
	assert.NotEmpty(t, c.problems)
}

// TestCertainMutationsBite checks that each certain mutation applies to
// some seed session and makes the Checker report its rule, and that the
// clean session gives a clean report: the assertions of the fuzz target
// are not vacuous.
func TestCertainMutationsBite(t *testing.T) {
	applied := map[string]int{}
	for _, s := range checkerSeeds(t) {
		run := runChecked(s[0].([]byte))
		report, err := state.Check(run.tr, run.checkerConfig())
		require.NoError(t, err)
		require.Empty(t, cleanReport(report))
		for _, m := range certainMutations {
			tr := cloneTranscript(run.tr)
			if !m.apply(tr) {
				continue
			}
			applied[m.name]++
			r, err := state.Check(tr, run.checkerConfig())
			require.NoError(t, err)
			require.Empty(t, wantViolation(r, m.name, m.sides...))
		}
	}
	for _, m := range certainMutations {
		assert.Positive(t, applied[m.name], "%s never applied", m.name)
	}
}

// TestMutateChangesTheTranscript: each random mutation changes the
// transcript.
func TestMutateChangesTheTranscript(t *testing.T) {
	run := runChecked(nil)
	for op := range byte(6) {
		tr := cloneTranscript(run.tr)
		mutateTranscript(tr, []byte{op, 1, 2})
		assert.NotEqual(t, run.tr.String(), tr.String(), "operation %d", op)
	}
}
