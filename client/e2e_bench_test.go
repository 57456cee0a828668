package client_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// discard is a server.Handler that reads every message and keeps nothing.
type discard struct{}

func (discard) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return discardSession{}, nil
}

type discardSession struct{}

func (discardSession) Mail(string, *wire.MailParams) error { return nil }
func (discardSession) Rcpt(string, *wire.RcptParams) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

// benchmarkEndToEnd sends size-octet messages through a client.Pool of
// conns connections to a server.Server over loopback: the whole stack on
// both sides, allocations of both counted.
func benchmarkEndToEnd(b *testing.B, size, conns int) {
	srv := &server.Server{Handler: discard{}, Hostname: "mx.example.org", Extensions: state.DefaultExtensions}
	addr := serve(b, srv, false)
	p := client.NewPool(addr, client.PoolConfig{MaxConns: conns}, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	defer p.Close()
	line := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\r\n")
	body := bytes.Repeat(line, size/len(line)+1)[:size]
	env := client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}
	ctx := context.Background()
	send := func(r *bytes.Reader) {
		r.Reset(body)
		if _, err := p.Send(ctx, env, r); err != nil {
			b.Fatal(err)
		}
	}
	send(bytes.NewReader(body)) // the first connection
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	if conns == 1 {
		r := bytes.NewReader(body)
		for b.Loop() {
			send(r)
		}
		return
	}
	b.SetParallelism((conns + 1) / 2)
	b.RunParallel(func(pb *testing.PB) {
		r := bytes.NewReader(body)
		for pb.Next() {
			send(r)
		}
	})
}

func BenchmarkEndToEnd1KiB1Conn(b *testing.B)     { benchmarkEndToEnd(b, 1<<10, 1) }
func BenchmarkEndToEnd1KiB20Conns(b *testing.B)   { benchmarkEndToEnd(b, 1<<10, 20) }
func BenchmarkEndToEnd100KiB1Conn(b *testing.B)   { benchmarkEndToEnd(b, 100<<10, 1) }
func BenchmarkEndToEnd100KiB20Conns(b *testing.B) { benchmarkEndToEnd(b, 100<<10, 20) }
