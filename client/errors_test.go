package client

import (
	"context"
	"errors"
	"net"
	"os"
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

// timeoutDialer fails every dial with a timeout.
type timeoutDialer struct{}

func (timeoutDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

func TestDialPort25Hint(t *testing.T) {
	for _, tc := range []struct {
		addr string
		hint bool
	}{{"mx.example:25", true}, {"mx.example:587", false}} {
		_, err := Dial(context.Background(), tc.addr, WithDialer(timeoutDialer{}))
		require.Error(t, err)
		assert.Equal(t, tc.hint, strings.Contains(err.Error(), "block outbound port 25"), err.Error())
		assert.True(t, Temporary(err))
	}
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

func TestModeConfigError(t *testing.T) {
	_, err := dialPipe(t, newTestServer(), "mx.test:465", WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyAuto))
	var ce *tlsmode.ConfigError
	require.ErrorAs(t, err, &ce)
	_, err = Dial(context.Background(), "no-port")
	require.ErrorContains(t, err, "host:port")
}

func TestGreetingRefused(t *testing.T) {
	ts := newTestServer()
	ts.decide = func(ev state.Event) reply.Reply {
		if ev.Kind == state.EventConnect {
			return reply.Reply{Code: 554, Text: "no service"}
		}
		return reply.Reply{}
	}
	_, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	var re *reply.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, reply.Code(554), re.Code)
	assert.False(t, Temporary(err))
}

func TestServerCloses421(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	ts.decide = func(ev state.Event) reply.Reply {
		if ev.Kind == state.EventMail {
			return reply.Reply{Code: 421, Text: "shutting down"}
		}
		return reply.Reply{}
	}
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.Error(t, err)
	assert.True(t, Temporary(err), err.Error())
	assert.Error(t, c.Err())
}

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{&reply.Error{Reply: reply.Reply{Code: 451}}, true},
		{&reply.Error{Reply: reply.Reply{Code: 550}}, false},
		{&Error{Op: "read", Err: state.ErrTimeout}, true},
		{&AddressError{Err: ErrNeedsSMTPUTF8}, false},
		{&SendError{Failed: []RcptResult{{Reply: reply.Reply{Code: 452}}}}, true},
		{&SendError{Failed: []RcptResult{{Reply: reply.Reply{Code: 452}}, {Reply: reply.Reply{Code: 550}}}}, false},
		{errors.New("other"), false},
	} {
		assert.Equal(t, tc.want, Temporary(tc.err), "%v", tc.err)
	}
}

func TestCanonicalizer(t *testing.T) {
	for _, tc := range []struct {
		policy wire.BarePolicy
		in     []string
		want   string
		err    error
	}{
		{wire.BareReject, []string{"a\r", "\nb\r\n"}, "a\r\nb\r\n", nil},
		{wire.BareReject, []string{"a\r", "b"}, "", wire.ErrBareCR},
		{wire.BareReject, []string{"a\r"}, "", wire.ErrBareCR},
		{wire.BareNormalize, []string{"a\nb\rc\r"}, "a\r\nb\r\nc\r\n", nil},
		{wire.BareAllow, []string{"a\nb"}, "a\nb\r\n", nil},
		{wire.BareReject, []string{""}, "", nil},
		{wire.BareReject, []string{"x"}, "x\r\n", nil},
	} {
		k := canonicalizer{policy: tc.policy}
		var out []byte
		var err error
		for _, in := range tc.in {
			if out, err = k.append(out, []byte(in)); err != nil {
				break
			}
		}
		if err == nil {
			out, err = k.close(out)
		}
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(out), "%q", tc.in)
	}
}
