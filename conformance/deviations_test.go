package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkPeerRun fails t unless the cases that failed in rep are exactly
// run.Deviations: a failure not listed is reported with its transcript, a
// listed case that passes or is skipped must leave the list. version is
// the peer's version as measured; when it is not run.Version, that is
// logged (and named in every failure), since the list may then differ.
func checkPeerRun(t *testing.T, run PeerRun, version string, rep *Report) {
	t.Helper()
	name := fmt.Sprintf("%s %s (%s)", run.Peer, version, run.Variant)
	if version != run.Version {
		name += fmt.Sprintf(", listed for %s %s", run.Peer, run.Version)
		t.Logf("%s: the deviations were measured with version %s; this is %s (update the Version in deviations.go once the list holds)",
			run.Peer, run.Version, version)
	}
	listed := make(map[string]string, len(run.Deviations))
	for _, d := range run.Deviations {
		listed[d.ID] = d.Reason
	}
	seen := make(map[string]bool, len(rep.Results))
	for _, r := range rep.Results {
		id := r.Case.ID()
		seen[id] = true
		_, isListed := listed[id]
		switch {
		case r.Status == Fail && !isListed:
			t.Errorf("%s fails %s %s, which deviations.go does not list: %s at step %d (%s)\n%s",
				name, r.Case.Level, id, r.Reason, r.Step, r.StepText, r.Transcript)
		case r.Status == Pass && isListed:
			t.Errorf("%s passes %s now: remove it from the list in deviations.go", name, id)
		case r.Status == Skipped && isListed:
			t.Errorf("%s: %s is skipped (%s) but listed as failing: remove it from the list in deviations.go", name, id, r.Reason)
		case r.Status == Skipped:
			t.Logf("skip %s: %s", id, r.Reason)
		}
	}
	for _, d := range run.Deviations {
		if !seen[d.ID] {
			t.Errorf("%s: the listed case %s did not run", name, d.ID)
		}
	}
	pass, fail, skip := rep.Counts()
	t.Logf("%s: %d cases, %d pass, %d fail (%d listed), %d skip, in %v",
		name, len(rep.Results), pass, fail, len(run.Deviations), skip, rep.Duration.Round(time.Millisecond))
}

// TestPeerRunsValid checks the deviation lists: every ID is a case of the
// run's suite, listed once and in order, with a reason; every run says
// what was measured.
func TestPeerRunsValid(t *testing.T) {
	runs := PeerRuns()
	require.NotEmpty(t, runs)
	variants := map[string]bool{}
	for _, run := range runs {
		key := run.Peer + "/" + run.Variant
		assert.False(t, variants[key], "%s is there twice", key)
		variants[key] = true
		assert.NotEmpty(t, run.Version, key)
		assert.NotEmpty(t, run.Platform, key)
		assert.True(t, strings.HasSuffix(run.Setup, "."), "%s: the setup is not a sentence", key)
		cases := ServerCases()
		if run.Suite == SuiteClient {
			cases = ClientCases()
		} else {
			assert.Equal(t, SuiteServer, run.Suite, key)
		}
		ids := map[string]bool{}
		for _, c := range cases {
			ids[c.ID()] = true
		}
		assert.NotEmpty(t, run.Deviations, key)
		assert.True(t, slices.IsSortedFunc(run.Deviations, func(a, b Deviation) int { return strings.Compare(a.ID, b.ID) }),
			"%s: the deviations are not ordered by ID", key)
		for i, d := range run.Deviations {
			assert.True(t, ids[d.ID], "%s: %s is not a case of the %s suite", key, d.ID, run.Suite)
			assert.NotEmpty(t, strings.TrimSpace(d.Reason), "%s: %s has no reason", key, d.ID)
			if i > 0 {
				assert.NotEqual(t, run.Deviations[i-1].ID, d.ID, "%s: %s is listed twice", key, d.ID)
			}
		}
		for _, s := range run.Settings {
			assert.NotEmpty(t, s.Name, key)
			assert.NotEmpty(t, s.Effect, "%s: %s", key, s.Name)
		}
	}
}

func TestDeviationsWithout(t *testing.T) {
	list := []Deviation{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	assert.Equal(t, []Deviation{{ID: "a"}, {ID: "c"}}, deviationsWithout(list, "b", "x"))
	assert.Equal(t, list, deviationsWithout(list))
	assert.Len(t, list, 3, "the list is not modified")
}
