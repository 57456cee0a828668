package bench

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/smtpkit/smtpkit/client"
)

// This file holds the end-to-end benchmarks over memory. The same work over
// loopback TCP is client/e2e_bench_test.go's BenchmarkEndToEnd1KiB1Conn,
// BenchmarkEndToEnd1KiB20Conns, BenchmarkEndToEnd100KiB1Conn and
// BenchmarkEndToEnd100KiB20Conns (client.Pool to server.Server, BDAT), and
// server/bench_test.go's BenchmarkSend* (a raw pipelining client to
// server.Server); they are not repeated here. Subtracting the in-memory
// numbers from those gives the cost of the socket.

// benchConns are the connection counts of the suite.
var benchConns = []int{1, 20}

// benchmarkPool sends messages of size octets through a client.Pool of
// conns connections to a server.Server over connections made by pipe: both
// drivers and both engines, allocations of both counted. With more than
// one connection, as many goroutines send at once.
func benchmarkPool(b *testing.B, pipe func() (net.Conn, net.Conn), bdat bool, size, conns int) {
	l := serveMem(b, pipe)
	p := client.NewPool(memAddress, client.PoolConfig{MaxConns: conns}, clientOpts(l, bdat)...)
	defer p.Close()
	body := messageBody(size)
	env := client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}
	ctx := context.Background()
	send := func(r *bytes.Reader) {
		r.Reset(body)
		if _, err := p.Send(ctx, env, r); err != nil {
			b.Fatal(err)
		}
	}
	send(bytes.NewReader(body)) // the first connection
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	if conns == 1 {
		r := bytes.NewReader(body)
		for b.Loop() {
			send(r)
		}
		return
	}
	b.SetParallelism((conns + 1) / 2) // GOMAXPROCS times this many senders
	b.RunParallel(func(pb *testing.PB) {
		r := bytes.NewReader(body)
		for pb.Next() {
			send(r)
		}
	})
}

// BenchmarkMemEndToEnd measures client.Pool to server.Server over memPipe,
// the buffered in-memory connection: a message of 1 KiB or 100 KiB sent
// with BDAT (the default, the server offers CHUNKING) or DATA (the client
// told WithoutBDAT), over 1 or 20 connections.
func BenchmarkMemEndToEnd(b *testing.B) {
	for _, mode := range []string{"BDAT", "DATA"} {
		for _, size := range benchSizes {
			for _, conns := range benchConns {
				b.Run(mode+"/"+size.name+"/"+strconv.Itoa(conns)+"conns", func(b *testing.B) {
					benchmarkPool(b, memPipe, mode == "BDAT", size.n, conns)
				})
			}
		}
	}
}

// BenchmarkNetPipe is BenchmarkMemEndToEnd's 1 KiB BDAT case over
// net.Pipe, the unbuffered synchronous pipe of the standard library, to
// show what the choice of memPipe is worth. The 100 KiB case deadlocks
// over net.Pipe until the write deadline (see memconn.go) and is left out.
func BenchmarkNetPipe(b *testing.B) {
	for _, conns := range benchConns {
		b.Run("BDAT/1KiB/"+strconv.Itoa(conns)+"conns", func(b *testing.B) {
			benchmarkPool(b, net.Pipe, true, 1<<10, conns)
		})
	}
}

// BenchmarkMemServer measures server.Server alone: a scripted client that
// allocates nothing sends pipelined DATA messages over memPipe.
func BenchmarkMemServer(b *testing.B) {
	for _, size := range benchSizes {
		b.Run("DATA/"+size.name, func(b *testing.B) {
			c := dialRaw(b, serveMem(b, memPipe))
			body := messageBody(size.n)
			if err := c.send(body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			for b.Loop() {
				if err := c.send(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// dialClient returns a client.Client over memPipe to a rawServer that
// offers CHUNKING when bdat.
func dialClient(tb testing.TB, bdat bool) *client.Client {
	tb.Helper()
	l := newMemListener(memPipe)
	go serveRawListener(l, bdat)
	c, err := client.Dial(context.Background(), memAddress, clientOpts(l, bdat)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = c.Quit(context.Background())
		l.Close()
	})
	return c
}

// BenchmarkMemClient measures client.Client alone: it sends to a scripted
// server that allocates nothing, over memPipe, with DATA or BDAT.
func BenchmarkMemClient(b *testing.B) {
	for _, mode := range []string{"BDAT", "DATA"} {
		for _, size := range benchSizes {
			b.Run(mode+"/"+size.name, func(b *testing.B) {
				c := dialClient(b, mode == "BDAT")
				body := messageBody(size.n)
				r := bytes.NewReader(body)
				env := client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					r.Reset(body)
					if _, err := c.Send(ctx, env, r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
