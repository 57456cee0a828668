//go:build !race

package state

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// steadyClient is a Client after EHLO with PIPELINING, and the octets of
// one transaction.
type steadyClient struct {
	c        *Client
	from, to []byte
	body     []byte
	envReply []byte // MAIL, RCPT, DATA replies
	endReply []byte // end-of-data reply
	now      time.Time
}

// newSteadyClient returns a steadyClient with a 1 KiB body.
func newSteadyClient(tb testing.TB) *steadyClient {
	c, err := NewClient(ClientConfig{Hostname: "client.example"})
	require.NoError(tb, err)
	s := &steadyClient{c: c, from: []byte("alice@example.org"), to: []byte("bob@example.net"),
		body:     bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 16),
		envReply: []byte("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n"),
		endReply: []byte("250 2.0.0 queued\r\n"), now: ct0}
	c.Advance(s.now)
	c.Receive([]byte("220 mx.example.com\r\n"))
	require.Equal(tb, ClientEventGreeting, c.Next().Kind)
	require.NoError(tb, c.Hello())
	c.Consumed(len(c.Output()))
	c.Receive([]byte("250-mx.example.com\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"))
	require.Equal(tb, ClientEventReply, c.Next().Kind)
	return s
}

// transaction runs one pipelined MAIL, RCPT, DATA, body and end of data,
// and returns the first error.
func (s *steadyClient) transaction() error {
	c := s.c
	s.now = s.now.Add(time.Millisecond)
	c.Advance(s.now)
	if err := c.Mail(s.from, wire.MailParams{}); err != nil {
		return err
	}
	if err := c.Rcpt(s.to, wire.RcptParams{}); err != nil {
		return err
	}
	if err := c.Data(); err != nil {
		return err
	}
	c.Consumed(len(c.Output()))
	c.Receive(s.envReply)
	for c.Next().Kind != ClientEventNone {
	}
	if err := c.Body(s.body); err != nil {
		return err
	}
	if err := c.EndData(); err != nil {
		return err
	}
	c.Consumed(len(c.Output()))
	c.Receive(s.endReply)
	for c.Next().Kind != ClientEventNone {
	}
	return c.Err()
}

func TestClientAllocs(t *testing.T) {
	s := newSteadyClient(t)
	for range 3 { // grow the buffers
		require.NoError(t, s.transaction())
	}
	require.Equal(t, PhaseReady, s.c.Phase())
	allocs := testing.AllocsPerRun(200, func() {
		if err := s.transaction(); err != nil {
			panic(err)
		}
	})
	require.Zero(t, allocs, "a steady-state transaction allocates nothing")
	require.Equal(t, PhaseReady, s.c.Phase())
	require.Zero(t, s.c.Outstanding())
}

func BenchmarkClientTransaction(b *testing.B) {
	s := newSteadyClient(b)
	b.SetBytes(int64(len(s.body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.transaction(); err != nil {
			b.Fatal(err)
		}
	}
}
