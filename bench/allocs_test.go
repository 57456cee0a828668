//go:build !race

package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
)

// These tests are the allocation contract of the in-memory path (DESIGN:
// zero allocation on the hot path), per steady-state message of 1 KiB:
//
//   - the two engines driven against each other: none;
//   - server.Server, driver and engine, against a scripted client that
//     allocates nothing: at most 4;
//   - client.Client, driver and engine, against a scripted server that
//     allocates nothing: at most 4 (the Result, its recipients, the final
//     reply's text);
//   - both drivers together, client.Pool included: at most 8.
//
// testing.AllocsPerRun counts every goroutine's allocations, so each side
// is measured alone by running it against a scripted peer; memPipe itself
// allocates nothing once its deadline timers exist.

// warm is how many messages grow the buffers before counting.
const warm = 10

// TestMachinesAllocs holds state.Client and state.Server, driven against
// each other, to no allocation per message, DATA and BDAT, 1 KiB and 100 KiB.
func TestMachinesAllocs(t *testing.T) {
	for _, bdat := range []bool{false, true} {
		for _, size := range benchSizes {
			p := newMachinePair(t, messageBody(size.n), bdat)
			for range warm {
				require.NoError(t, p.message())
			}
			allocs := testing.AllocsPerRun(100, func() {
				if err := p.message(); err != nil {
					t.Fatal(err)
				}
			})
			require.Zero(t, allocs, "BDAT %v, %s", bdat, size.name)
		}
	}
}

// TestMemServerAllocs bounds server.Server's allocations per message.
func TestMemServerAllocs(t *testing.T) {
	c := dialRaw(t, serveMem(t, memPipe))
	body := messageBody(1 << 10)
	for range warm {
		require.NoError(t, c.send(body))
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := c.send(body); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("server.Server: %.1f allocations per message", allocs)
	require.LessOrEqual(t, allocs, 4.0)
}

// TestMemClientAllocs bounds client.Client's allocations per message, DATA
// and BDAT.
func TestMemClientAllocs(t *testing.T) {
	for _, bdat := range []bool{false, true} {
		c := dialClient(t, bdat)
		body := messageBody(1 << 10)
		r := bytes.NewReader(body)
		env := client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}
		ctx := context.Background()
		send := func() {
			r.Reset(body)
			if _, err := c.Send(ctx, env, r); err != nil {
				t.Fatal(err)
			}
		}
		for range warm {
			send()
		}
		allocs := testing.AllocsPerRun(200, send)
		t.Logf("client.Client, BDAT %v: %.1f allocations per message", bdat, allocs)
		require.LessOrEqual(t, allocs, 4.0, "BDAT %v", bdat)
	}
}

// TestMemEndToEndAllocs bounds the allocations of client.Pool and
// server.Server together per message, DATA and BDAT.
func TestMemEndToEndAllocs(t *testing.T) {
	for _, bdat := range []bool{false, true} {
		l := serveMem(t, memPipe)
		p := client.NewPool(memAddress, client.PoolConfig{MaxConns: 1}, clientOpts(l, bdat)...)
		body := messageBody(1 << 10)
		r := bytes.NewReader(body)
		env := client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}
		ctx := context.Background()
		send := func() {
			r.Reset(body)
			if _, err := p.Send(ctx, env, r); err != nil {
				t.Fatal(err)
			}
		}
		for range warm {
			send()
		}
		allocs := testing.AllocsPerRun(200, send)
		require.NoError(t, p.Close())
		t.Logf("client.Pool to server.Server, BDAT %v: %.1f allocations per message", bdat, allocs)
		require.LessOrEqual(t, allocs, 8.0, "BDAT %v", bdat)
	}
}
