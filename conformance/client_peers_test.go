package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// The client suite against swaks and curl with SwaksClient and
// CurlClient. The tests fail unless the cases that fail are exactly the
// runs' deviations (swaksRun and curlRun in deviations.go), which
// docs/CONFORMANCE.md repeats.

// clRunPeer runs the whole client suite against a command client and
// checks the failures against run.
func clRunPeer(t *testing.T, run PeerRun, version string, cut CommandClient) {
	t.Helper()
	require.NoError(t, cut.Validate())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := RunClient(ctx, Config{Parallel: 4}, cut, ClientCases())
	require.NoError(t, err)
	checkPeerRun(t, run, version, rep)
}

// clPeerVersion runs "name --version" and returns the word that follows
// the first line's prefix ("swaks version", "curl").
func clPeerVersion(t *testing.T, name, prefix string) string {
	t.Helper()
	out, err := peers.Run(t, 10*time.Second, name, "--version")
	require.NoError(t, err, "%s --version: %s", name, out)
	first, _, _ := strings.Cut(string(out), "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(first), prefix+" ")
	require.True(t, ok, "%s --version: %q", name, first)
	version, _, _ := strings.Cut(rest, " ")
	return version
}

func TestClientSuiteSwaks(t *testing.T) {
	peers.Need(t, "swaks")
	clRunPeer(t, swaksRun, clPeerVersion(t, "swaks", "swaks version"), SwaksClient())
}

func TestClientSuiteCurl(t *testing.T) {
	peers.Need(t, "curl")
	clRunPeer(t, curlRun, clPeerVersion(t, "curl", "curl"), CurlClient())
}
