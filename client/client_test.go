package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

func TestContextCancel(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	block := make(chan struct{})
	ts.decide = func(ev state.Event) reply.Reply {
		if ev.Kind == state.EventMessage {
			<-block
		}
		return reply.Reply{}
	}
	defer close(block)
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, Temporary(err))
	require.ErrorIs(t, c.Noop(context.Background()), context.Canceled, "the Client is unusable")
}

// slowInterruptConn delays a deadline in the past (the cancellation
// interrupt) by 100ms, as a goroutine scheduled late would.
type slowInterruptConn struct{ net.Conn }

func (c slowInterruptConn) SetDeadline(t time.Time) error {
	if !t.IsZero() && t.Before(time.Unix(2, 0)) {
		time.Sleep(100 * time.Millisecond)
	}
	return c.Conn.SetDeadline(t)
}

// TestCancelAfterSuccess cancels a call's context after the call's work is
// done but before it returns: the interrupt, however late it runs, must
// not leak into the next call (it used to make the next call time out).
func TestCancelAfterSuccess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ts := newTestServer(wire.ExtPIPELINING)
	ts.decide = func(ev state.Event) reply.Reply {
		if ev.Kind == state.EventMessage {
			time.Sleep(300 * time.Millisecond) // the next call is still reading when the interrupt lands
		}
		return reply.Reply{}
	}
	c, err := NewClient(ctx, slowInterruptConn{ts.pipe(t)}, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	cctx, cancelCall := context.WithCancel(context.Background())
	stop, err := c.guard(cctx)
	require.NoError(t, err)
	cancelCall() // the interrupt starts now: stop can no longer prevent it
	c.unguard(stop)
	_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
}

func TestNoGreetingMismatch(t *testing.T) {
	// An implicit-TLS server never greets in plaintext: a STARTTLS client
	// times out on the greeting and is told why.
	_, srvTLS := testCA(t)
	ts := newTestServer()
	ts.tls, ts.implicit = srvTLS, true
	_, err := dialPipe(t, ts, "mx.test:2525", WithHostname("client.test"),
		WithTimeouts(state.Timeouts{Greeting: 50 * time.Millisecond}))
	require.ErrorIs(t, err, tlsmode.ErrNoGreeting)
	assert.True(t, Temporary(err) == false)
}

func TestTLSRecordOnPlaintext(t *testing.T) {
	// A server that speaks TLS first (an alert record) on a STARTTLS port.
	c, s := net.Pipe()
	go func() {
		_, _ = s.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46})
		_, _ = s.Read(make([]byte, 10))
		s.Close()
	}()
	_, err := NewClient(context.Background(), c, "mx.test:587")
	var me *tlsmode.MismatchError
	require.ErrorAs(t, err, &me)
	require.ErrorIs(t, err, tlsmode.ErrUnexpectedTLS)
}

func TestImplicitOnPlaintextServer(t *testing.T) {
	ts := newTestServer()
	_, err := dialPipe(t, ts, "mx.test:465", WithHostname("client.test"))
	require.ErrorIs(t, err, tlsmode.ErrPlaintextGreeting)
}

// TestTLSFirstOctetsSplit: whether the server speaks TLS is decided on its
// first two octets however they arrive, one read or two (found by
// fuzz.FuzzClientSession): 0x16 0x03 is a TLS record, 0x16 '0' is not.
func TestTLSFirstOctetsSplit(t *testing.T) {
	for _, tc := range []struct {
		in  string
		tls bool
	}{
		{"\x16\x03\x01\x00", true},
		{"\x160 junk\r\n", false},
		{"\x15", true}, // a lone octet that can start a record, then the end
	} {
		for _, split := range []bool{false, true} {
			c, s := net.Pipe()
			go func() {
				defer s.Close()
				if split {
					_, _ = s.Write([]byte(tc.in[:1]))
					_, _ = s.Write([]byte(tc.in[1:]))
				} else {
					_, _ = s.Write([]byte(tc.in))
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := NewClient(ctx, c, "mx.test:25", plainOpts...)
			cancel()
			require.Error(t, err)
			var me *tlsmode.MismatchError
			assert.Equal(t, tc.tls, errors.As(err, &me), "%q split %v: %v", tc.in, split, err)
		}
	}
}
