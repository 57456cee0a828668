package state

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// newTestServer returns a Server for cfg, failing t if NewServer refuses it.
func newTestServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	require.NoError(t, err)
	return s
}
