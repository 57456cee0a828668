package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smtpkitClientBugs are the client-suite cases smtpkit's own client fails,
// with the rule it breaks. Each is reported as a failing subtest until the
// client is fixed; the cases are right per the RFC text quoted.
var smtpkitClientBugs = map[string]string{}

func TestClientSuiteAgainstSmtpkit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunClient(ctx, Config{Parallel: 4}, SmtpkitClient{}, ClientCases())
	require.NoError(t, err)
	for _, r := range rep.Results {
		id := r.Case.ID()
		if bug, ok := smtpkitClientBugs[id]; ok {
			t.Run("client-bug/"+id, func(t *testing.T) {
				if r.Status == Fail {
					t.Errorf("smtpkit client bug: %s\nthe case: %s\n%s", bug, r.Reason, r.Transcript)
				} else {
					t.Errorf("the case now %s: the client bug is fixed; remove it from smtpkitClientBugs", r.Status)
				}
			})
			continue
		}
		assert.Equal(t, Pass, r.Status, "%s (%s): %s at step %d (%s)\n%s", id, r.Case.Level, r.Reason, r.Step, r.StepText, r.Transcript)
	}
}

func TestClientCasesWellFormed(t *testing.T) {
	cases := ClientCases()
	require.GreaterOrEqual(t, len(cases), 40)
	seen := map[string]bool{}
	levels := map[Level]int{}
	for _, c := range cases {
		id := c.ID()
		assert.NoError(t, c.Validate(), id)
		assert.False(t, seen[id], "duplicate ID %s", id)
		seen[id] = true
		levels[c.Level]++
		if assert.NotNil(t, c.Client, "%s has no client job", id) {
			assert.NotEmpty(t, c.Client.To, id)
			assert.NotEmpty(t, c.Client.Message, id)
			assert.Equal(t, c.Client.TLS, c.Needs.TLS, "%s: Needs.TLS says whether the job requires TLS", id)
			assert.Equal(t, c.Client.Auth, c.Needs.Auth, "%s: Needs.Auth says whether the job authenticates", id)
		}
		_, last := c.Steps[len(c.Steps)-1].(clOutcomeStep)
		assert.True(t, last, "%s: the last step is Reports", id)
		assert.NotEqual(t, OutcomeNone, ExpectedOutcome(c), id)
		assert.True(t, strings.HasSuffix(c.Title, "."), "%s: the title is a sentence", id)
	}
	t.Logf("%d client cases: %d MUST, %d SHOULD, %d MAY", len(cases), levels[Must], levels[Should], levels[May])
}
