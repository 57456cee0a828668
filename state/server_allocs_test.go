//go:build !race

package state

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServerAllocs holds the Server to zero allocations per message in a
// steady-state pipelined session (DESIGN: zero allocation on the hot path).
func TestServerAllocs(t *testing.T) {
	s := newTestServer(t, ServerConfig{Hostname: "mx.example.org", Extensions: DefaultExtensions, MaxMessageSize: 1 << 20})
	feed(t, s, "")
	feed(t, s, "EHLO client.example.com\r\n")
	in := [2][]byte{[]byte(pipelinedMessage[0]), []byte(pipelinedMessage[1])}
	require.Equal(t, 16*64, runMessage(s, in))
	allocs := testing.AllocsPerRun(200, func() { runMessage(s, in) })
	require.Zero(t, allocs, "allocations per message")
}
