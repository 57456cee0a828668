//go:build !race

package client

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// TestSendAllocs bounds the allocations of one message on a reused
// connection in steady state, the in-process server's included: the
// Result, its recipients and the final reply's text.
func TestSendAllocs(t *testing.T) {
	for _, exts := range [][]wire.Ext{
		{wire.ExtPIPELINING},
		{wire.ExtPIPELINING, wire.ExtCHUNKING},
	} {
		c, env := steadyClient(t, exts...)
		body := bodyOf(1 << 10)
		r := bytes.NewReader(body)
		ctx := context.Background()
		send := func() {
			r.Reset(body)
			_, err := c.Send(ctx, env, r)
			require.NoError(t, err)
		}
		for range 5 { // grow the buffers
			send()
		}
		assert.LessOrEqual(t, testing.AllocsPerRun(100, send), 4.0, "%v", exts)
	}
}

// TestSendBatchAllocs bounds the allocations per message of SendEach in
// steady state over DATA with PIPELINING, the server's included: no more
// than Send's.
func TestSendBatchAllocs(t *testing.T) {
	c, env := steadyClient(t, wire.ExtPIPELINING)
	body := bodyOf(1 << 10)
	r := bytes.NewReader(body)
	ctx := context.Background()
	const perBatch = 16
	n := 0
	next := func() (Message, bool) {
		if n == perBatch {
			return Message{}, false
		}
		n++
		r.Reset(body)
		return Message{Envelope: env, Body: r}, true
	}
	done := func(_ int, _ *Result, err error) { require.NoError(t, err) }
	send := func() {
		n = 0
		require.NoError(t, c.SendEach(ctx, next, done))
	}
	send() // grow the buffers
	allocs := testing.AllocsPerRun(20, send) / perBatch
	t.Logf("%.2f allocations per message", allocs)
	assert.LessOrEqual(t, allocs, 4.0)
}
