package main

import (
	"bytes"
	"context"
	"net"
	netsmtp "net/smtp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// poolConns is the number of concurrent connections of workload 7.
const poolConns = 20

// rtConn counts round trips: a Read that follows a Write is one turn of
// the conversation, where the client waits for the server.
type rtConn struct {
	net.Conn
	wrote atomic.Bool
	trips *atomic.Int64
}

// Write marks that the next Read is a turnaround.
func (c *rtConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

// Read counts a turnaround when it follows a Write.
func (c *rtConn) Read(p []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// rtDialer dials loopback TCP connections wrapped in rtConn, for
// client.Pool.
type rtDialer struct{ trips *atomic.Int64 }

// DialContext dials and wraps.
func (d rtDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &rtConn{Conn: nc, trips: d.trips}, nil
}

// sender sends n messages in sequence on one connection (or through the
// pool); it is called from one goroutine at a time. Most send one message
// per call (repeat); a batch sender streams all n, so that message i+1's
// commands can share a write with message i's end (RFC 2920 section 3.1).
type sender func(n int) error

// repeat makes a sender that calls one n times.
func repeat(one func() error) sender {
	return func(n int) error {
		for range n {
			if err := one(); err != nil {
				return err
			}
		}
		return nil
	}
}

// clientSetup builds the senders of one implementation: conns of them,
// connected to addr through connections counted by trips.
type clientSetup func(m *message, addr string, conns int, trips *atomic.Int64) ([]sender, func(), error)

// clientWorkloads are workloads 6 and 7: one 1 KiB message per send
// against an smtpkit sink that offers PIPELINING and CHUNKING, on one
// connection and on poolConns at once.
func clientWorkloads() []workload {
	m := newMessage(1 << 10)
	impls := func(conns int) []impl {
		mk := func(setup clientSetup) func() (*instance, error) {
			return func() (*instance, error) { return clientInstance(m, conns, setup) }
		}
		kitName := "smtpkit client.Client.Send"
		if conns > 1 {
			kitName = "smtpkit client.Pool.Send"
		}
		return []impl{
			{name: kitName + ", DATA", fam: famSmtpkit, setup: mk(kitSetup(false))},
			{name: kitName + ", BDAT", fam: famSmtpkit, setup: mk(kitSetup(true))},
			{name: "smtpkit client.Client.SendEach, DATA", fam: famSmtpkit, setup: mk(kitEachSetup)},
			{name: "go-smtp Client Mail/Rcpt/Data", fam: famGoSMTP, setup: mk(goClientSetup)},
			{name: "net/smtp Client Mail/Rcpt/Data", fam: famNetSMTP, setup: mk(stdClientSetup)},
		}
	}
	return []workload{
		{name: "client 1KiB, 1 conn", impls: impls(1)},
		{name: "client 1KiB, 20 conns", impls: impls(poolConns)},
	}
}

// clientInstance starts a sink and conns senders; one operation is one
// message, and run reports the round trips per message.
func clientInstance(m *message, conns int, setup clientSetup) (*instance, error) {
	rs, err := startSink()
	if err != nil {
		return nil, err
	}
	var trips atomic.Int64
	sends, stop, err := setup(m, rs.addr, conns, &trips)
	if err != nil {
		rs.close()
		return nil, err
	}
	var sent atomic.Int64
	// Every connection sends once, so that a pool has them all open.
	var wg sync.WaitGroup
	errs := make([]error, len(sends))
	for i, send := range sends {
		wg.Go(func() { errs[i] = send(1) })
	}
	wg.Wait()
	sent.Add(int64(len(sends)))
	for _, err := range errs {
		if err != nil {
			stop()
			rs.close()
			return nil, err
		}
	}
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			start := trips.Load()
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, send := range sends {
				n := b.N/len(sends) + btoi(i < b.N%len(sends))
				wg.Go(func() {
					if err := send(n); err != nil {
						b.Error(err)
						return
					}
					sent.Add(int64(n))
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(trips.Load()-start)/float64(b.N), rtMetric)
		},
		check: func() error {
			sent.Add(1)
			return rs.recordOne(m, func() error { return sends[0](1) })
		},
		verify: func() error { return rs.expect(sent.Load(), len(m.raw)) },
		close:  closeAll(rs.close, stop),
	}, nil
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dialCounted dials addr and wraps the connection to count round trips.
func dialCounted(addr string, trips *atomic.Int64) (*rtConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rtConn{Conn: nc, trips: trips}, nil
}

// kitOptions are the smtpkit client options of every workload: no TLS (the
// sink offers none), DATA instead of BDAT unless bdat.
func kitOptions(bdat bool, trips *atomic.Int64) []client.Option {
	opts := []client.Option{client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled),
		client.WithHostname(heloName), client.WithDialer(rtDialer{trips})}
	if !bdat {
		opts = append(opts, client.WithoutBDAT())
	}
	return opts
}

// kitSetup makes smtpkit senders: a client.Client for one connection, a
// client.Pool of conns connections otherwise. The Pool checks a reused
// connection with NOOP only after a minute idle (its default checks every
// reuse, one more round trip per message).
func kitSetup(bdat bool) clientSetup {
	return func(m *message, addr string, conns int, trips *atomic.Int64) ([]sender, func(), error) {
		ctx := context.Background()
		env := client.Envelope{From: mailFrom, To: []string{rcptTo}}
		opts := kitOptions(bdat, trips)
		if conns == 1 {
			c, err := client.Dial(ctx, addr, opts...)
			if err != nil {
				return nil, nil, err
			}
			r := bytes.NewReader(nil)
			send := repeat(func() error {
				r.Reset(m.raw)
				_, err := c.Send(ctx, env, r)
				return err
			})
			return []sender{send}, func() { _ = c.Quit(ctx) }, nil
		}
		p := client.NewPool(addr, client.PoolConfig{MaxConns: conns, CheckAfter: time.Minute}, opts...)
		sends := make([]sender, conns)
		for i := range sends {
			r := bytes.NewReader(nil)
			sends[i] = repeat(func() error {
				r.Reset(m.raw)
				_, err := p.Send(ctx, env, r)
				return err
			})
		}
		return sends, func() { _ = p.Close() }, nil
	}
}

// goClientSetup makes go-smtp senders: one smtp.Client per connection,
// Mail, Rcpt, Data, Write and Close per message (go-smtp's client does not
// pipeline).
func goClientSetup(m *message, addr string, conns int, trips *atomic.Int64) ([]sender, func(), error) {
	var cs []*gosmtp.Client
	stop := func() {
		for _, c := range cs {
			_ = c.Quit()
		}
	}
	sends := make([]sender, conns)
	for i := range sends {
		nc, err := dialCounted(addr, trips)
		if err != nil {
			stop()
			return nil, nil, err
		}
		c := gosmtp.NewClient(nc)
		cs = append(cs, c)
		if err := c.Hello(heloName); err != nil {
			stop()
			return nil, nil, err
		}
		sends[i] = repeat(func() error {
			if err := c.Mail(mailFrom, nil); err != nil {
				return err
			}
			if err := c.Rcpt(rcptTo, nil); err != nil {
				return err
			}
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := w.Write(m.raw); err != nil {
				return err
			}
			return w.Close()
		})
	}
	return sends, stop, nil
}

// stdClientSetup makes net/smtp senders: one smtp.Client per connection,
// Mail, Rcpt, Data, Write and Close per message.
func stdClientSetup(m *message, addr string, conns int, trips *atomic.Int64) ([]sender, func(), error) {
	var cs []*netsmtp.Client
	stop := func() {
		for _, c := range cs {
			_ = c.Quit()
		}
	}
	sends := make([]sender, conns)
	for i := range sends {
		nc, err := dialCounted(addr, trips)
		if err != nil {
			stop()
			return nil, nil, err
		}
		c, err := netsmtp.NewClient(nc, hostname)
		if err != nil {
			nc.Close()
			stop()
			return nil, nil, err
		}
		cs = append(cs, c)
		if err := c.Hello(heloName); err != nil {
			stop()
			return nil, nil, err
		}
		sends[i] = repeat(func() error {
			if err := c.Mail(mailFrom); err != nil {
				return err
			}
			if err := c.Rcpt(rcptTo); err != nil {
				return err
			}
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := w.Write(m.raw); err != nil {
				return err
			}
			return w.Close()
		})
	}
	return sends, stop, nil
}

// kitEachSetup makes smtpkit batch senders: one client.Client per
// connection, each sending its n messages with SendEach over DATA, so that
// a message's end and the next message's MAIL, RCPT and DATA share a write
// (RFC 2920 section 3.1): one round trip per message without CHUNKING.
func kitEachSetup(m *message, addr string, conns int, trips *atomic.Int64) ([]sender, func(), error) {
	ctx := context.Background()
	env := client.Envelope{From: mailFrom, To: []string{rcptTo}}
	var cs []*client.Client
	stop := func() {
		for _, c := range cs {
			_ = c.Quit(ctx)
		}
	}
	sends := make([]sender, conns)
	for i := range sends {
		c, err := client.Dial(ctx, addr, kitOptions(false, trips)...)
		if err != nil {
			stop()
			return nil, nil, err
		}
		cs = append(cs, c)
		r := bytes.NewReader(nil) // SendEach is done with a body before it asks for the next
		sends[i] = func(n int) error {
			var first error
			next := func() (client.Message, bool) {
				if n == 0 {
					return client.Message{}, false
				}
				n--
				r.Reset(m.raw)
				return client.Message{Envelope: env, Body: r}, true
			}
			done := func(_ int, _ *client.Result, err error) {
				if first == nil {
					first = err
				}
			}
			if err := c.SendEach(ctx, next, done); err != nil {
				return err
			}
			return first
		}
	}
	return sends, stop, nil
}
