package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// TestServerSuiteAgainstPostfix runs the whole server suite against
// Postfix's real smtpd (peers.Postfix skips the test when Postfix is not
// installed, and fails it under SMTPKIT_PEERS=require), once with
// Postfix's default settings and once with the strict settings of
// postfixStrictRun, each with a SASL user and STARTTLS offered. Each run
// fails unless the cases that fail are exactly the run's deviations
// (deviations.go), or when a basic case (server_basic_test.go) is skipped.
func TestServerSuiteAgainstPostfix(t *testing.T) {
	for _, run := range []PeerRun{postfixRun, postfixStrictRun} {
		t.Run(run.Variant, func(t *testing.T) {
			t.Parallel()
			var main map[string]string
			if len(run.Settings) > 0 {
				main = make(map[string]string, len(run.Settings))
				for _, s := range run.Settings {
					main[s.Name] = s.Value
				}
			}
			p := peers.Postfix(t, peers.PostfixOptions{
				Users: map[string]string{tlsAuthUser: tlsAuthPassword},
				Main:  main,
			})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, err := RunServer(ctx, Config{
				Addr:      p.Addr,
				TLSConfig: p.TLSConfig(),
				Username:  tlsAuthUser,
				Password:  tlsAuthPassword,
				Parallel:  4,
			}, ServerCases())
			require.NoError(t, err)
			require.Len(t, rep.Results, len(ServerCases()))
			checkPeerRun(t, run, p.Version, rep)
			// The basic cases need nothing Postfix lacks: none is skipped.
			basic := map[*Case]bool{}
			for _, c := range basicCases() {
				basic[c] = true
			}
			for _, r := range rep.Results {
				if basic[r.Case] {
					assert.NotEqual(t, Skipped, r.Status, "%s: %s", r.Case.ID(), r.Reason)
				}
			}
		})
	}
}
