package client

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// steadyClient returns a Client on loopback to a server that keeps
// nothing, and the envelope of the benchmark's messages.
func steadyClient(tb testing.TB, exts ...wire.Ext) (*Client, Envelope) {
	ts := newTestServer(exts...)
	ts.sink = true
	addr := ts.listen(tb)
	c, err := Dial(context.Background(), addr, plainOpts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = c.Quit(context.Background()) })
	return c, Envelope{From: "alice@example.org", To: []string{"bob@example.net"}}
}

func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
		exts []wire.Ext
	}{
		{"1KiB/DATA", 1 << 10, []wire.Ext{wire.ExtPIPELINING}},
		{"100KiB/DATA", 100 << 10, []wire.Ext{wire.ExtPIPELINING}},
		{"1KiB/BDAT", 1 << 10, []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}},
		{"100KiB/BDAT", 100 << 10, []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, env := steadyClient(b, bc.exts...)
			body := bodyOf(bc.size)
			r := bytes.NewReader(body)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				r.Reset(body)
				if _, err := c.Send(ctx, env, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
