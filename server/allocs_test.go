//go:build !race

package server

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAllocsPerMessage checks that the driver and the machine allocate at
// most 4 times per pipelined MAIL/RCPT/DATA transaction of 1 KiB in steady
// state (the client's side of the loopback is included in the count, and
// allocates nothing).
func TestAllocsPerMessage(t *testing.T) {
	addr := start(t, &Server{Handler: discard{}})
	c := newBenchConn(t, addr)
	body := benchBody(1 << 10)
	for range 10 { // warm the buffers
		require.NoError(t, c.send(benchCmds, body))
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := c.send(benchCmds, body); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.1f allocations per message", allocs)
	require.LessOrEqual(t, allocs, 4.0)
}
