package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

func TestSTARTTLS(t *testing.T) {
	ca, srvTLS := testCA(t)
	ts := newTestServer(wire.ExtSTARTTLS, wire.ExtPIPELINING)
	ts.tls = srvTLS
	var trace bytes.Buffer
	c, err := dialPipe(t, ts, "mx.test:587", WithHostname("client.test"), WithTLSConfig(ca.ClientConfig("mx.test")), WithDebug(&trace))
	require.NoError(t, err)
	assert.Equal(t, tlsmode.StatusSecured, c.TLSStatus())
	require.NotNil(t, c.TLSFacts())
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	assert.Equal(t, 2, ts.count(wire.VerbEHLO), "EHLO again after STARTTLS")
	assert.Contains(t, trace.String(), "C: STARTTLS\n")

	// 587 requires TLS: a server without STARTTLS is refused, no fallback.
	ts2 := newTestServer()
	_, err = dialPipe(t, ts2, "mx.test:587", WithHostname("client.test"))
	require.ErrorIs(t, err, tlsmode.ErrSTARTTLSNotOffered)
	// 25 is opportunistic: the fallback is visible.
	c, err = dialPipe(t, newTestServer(), "mx.test:25", WithHostname("client.test"))
	require.NoError(t, err)
	assert.Equal(t, tlsmode.StatusClearNotOffered, c.TLSStatus())
}

func TestImplicitTLSAndCertErrors(t *testing.T) {
	ca, srvTLS := testCA(t)
	ts := newTestServer(wire.ExtPIPELINING)
	ts.tls, ts.implicit = srvTLS, true
	c, err := dialPipe(t, ts, "mx.test:465", WithHostname("client.test"), WithTLSConfig(ca.ClientConfig("")))
	require.NoError(t, err)
	assert.Equal(t, tlsmode.StatusSecured, c.TLSStatus())

	// A name the certificate does not carry: the error names both.
	_, err = dialPipe(t, ts, "other.test:465", WithHostname("client.test"), WithTLSConfig(ca.ClientConfig("")))
	var ve *tlsmode.VerifyError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, err.Error(), "other.test")
	assert.Contains(t, err.Error(), "presented a certificate for mx.test, 127.0.0.1")
	assert.False(t, Temporary(err))
}

func TestAuth(t *testing.T) {
	creds, err := auth.NewSCRAMCredentials(auth.SCRAMSHA256, "s3cret", 4096)
	require.NoError(t, err)
	check := auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
		if user == "alice" && pass == "s3cret" {
			return nil
		}
		return auth.ErrInvalidCredentials
	})
	store := auth.SCRAMStoreFunc(func(_ context.Context, _ auth.SCRAMHash, user string) (auth.SCRAMCredentials, error) {
		if user != "alice" {
			return auth.SCRAMCredentials{}, auth.ErrInvalidCredentials
		}
		return creds, nil
	})
	for _, tc := range []struct {
		name, pass string
		server     []auth.ServerMechanism
		insecure   bool
		wantMech   string
		wantErr    string
	}{
		{"SCRAM-SHA-256", "s3cret", []auth.ServerMechanism{auth.PlainServer(check), auth.SCRAMServer(auth.SCRAMSHA256, false, store)}, false, "SCRAM-SHA-256", ""},
		{"PLAIN insecure", "s3cret", []auth.ServerMechanism{auth.PlainServer(check)}, true, "PLAIN", ""},
		{"PLAIN refused in clear", "s3cret", []auth.ServerMechanism{auth.PlainServer(check)}, false, "", "WithInsecureAuth"},
		{"wrong password", "nope", []auth.ServerMechanism{auth.PlainServer(check)}, true, "", "app password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(wire.ExtPIPELINING)
			ts.auth = &auth.Registry{AllowCleartext: true}
			for _, m := range tc.server {
				ts.auth.Register(m)
			}
			var trace bytes.Buffer
			opts := append([]Option{WithAuth("alice", tc.pass), WithDebug(&trace)}, plainOpts...)
			if tc.insecure {
				opts = append(opts, WithInsecureAuth())
			}
			c, err := dialPipe(t, ts, "mx.test:25", opts...)
			assert.NotContains(t, trace.String(), "s3cret")
			assert.NotContains(t, trace.String(), "AGFsaWNl") // base64 of "\x00alice"
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), tc.pass)
				return
			}
			require.NoError(t, err)
			assert.True(t, c.IsAuthenticated())
			assert.Contains(t, trace.String(), "C: AUTH "+tc.wantMech)
			assert.Contains(t, trace.String(), "<redacted>")
		})
	}
}

func TestAuthRequired530(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING)
	ts.cfg.RequireAuth = true
	ts.auth = &auth.Registry{AllowCleartext: true}
	ts.auth.Register(auth.PlainServer(nil))
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	var se *SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.Code(530), se.Reply.Code)
	assert.Contains(t, err.Error(), "requires authentication")
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

// TestTLSHandshakeFailureHints: the hint of a failed handshake says what
// happened. After STARTTLS the mode is right; a server that answers the
// ClientHello with plaintext did not start TLS (RFC 3207 section 4), and
// the advice for a mode mismatch ("use STARTTLS instead of implicit TLS")
// would be false.
func TestTLSHandshakeFailureHints(t *testing.T) {
	ctx := context.Background()
	t.Run("plaintext after STARTTLS", func(t *testing.T) {
		conn := scripted(t, func(s *scriptServer) {
			s.open("STARTTLS")
			s.line()
			s.say("220 2.0.0 Ready to start TLS")
			_, _ = s.r.Read(make([]byte, 4096)) // the ClientHello
			s.say("554 5.0.0 this is not TLS")
		})
		_, err := NewClient(ctx, conn, "mx.test:587", WithHostname("client.test"))
		var ce *Error
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "tls", ce.Op)
		assert.Equal(t, hintNoTLSAfterStartTLS, ce.Hint)
		assert.NotContains(t, err.Error(), "instead of implicit TLS")
		assert.Contains(t, err.Error(), "after its 220 reply to STARTTLS with plaintext \"554 5\"")
		require.ErrorIs(t, err, tlsmode.ErrHandshake)
		require.ErrorIs(t, err, tlsmode.ErrPlaintextGreeting, "the sentinel is kept")
	})
	t.Run("plaintext greeting on implicit TLS", func(t *testing.T) {
		// Here the advice is right: the port speaks STARTTLS.
		_, err := dialPipe(t, newTestServer(), "mx.test:465", WithHostname("client.test"))
		require.ErrorIs(t, err, tlsmode.ErrPlaintextGreeting)
		assert.Contains(t, err.Error(), "use STARTTLS")
	})
	t.Run("no TLS version in common", func(t *testing.T) {
		ca, srvTLS := testCA(t)
		old := srvTLS.Clone()
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		ts := newTestServer(wire.ExtSTARTTLS)
		ts.tls = old
		_, err := dialPipe(t, ts, "mx.test:587", WithHostname("client.test"), WithTLSConfig(ca.ClientConfig("mx.test")))
		var ce *Error
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, hintTLSVersion, ce.Hint, "%v", err)
		require.ErrorIs(t, err, tlsmode.ErrHandshake)
	})
}

// TestGiveUpSendsQuit: a Client that gives up while the session is in step
// (credentials refused, no usable mechanism, AUTH not offered, EHLO and
// HELO refused) sends QUIT before it closes, as RFC 5321 section 4.1.1.10
// requires (found by fuzz.FuzzCheckerSessions).
func TestGiveUpSendsQuit(t *testing.T) {
	check := auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
		if user == "alice" && pass == "s3cret" {
			return nil
		}
		return auth.ErrInvalidCredentials
	})
	for _, tc := range []struct {
		name     string
		offer    bool // the server offers AUTH PLAIN
		opts     []Option
		hello    reply.Code
		wantText string
	}{
		{"wrong password", true, []Option{WithAuth("alice", "nope"), WithInsecureAuth()}, 0, "535"},
		{"no mechanism in clear", true, []Option{WithAuth("alice", "s3cret")}, 0, "WithInsecureAuth"},
		{"AUTH not offered", false, []Option{WithAuth("alice", "s3cret")}, 0, "does not offer AUTH"},
		{"hello refused", false, nil, 550, "550"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(wire.ExtPIPELINING)
			if tc.offer {
				ts.auth = &auth.Registry{AllowCleartext: true}
				ts.auth.Register(auth.PlainServer(check))
			}
			ts.decide = func(ev state.Event) reply.Reply {
				if ev.Kind == state.EventHello && tc.hello != 0 {
					return reply.Reply{Code: tc.hello, Text: "go away"}
				}
				return reply.Reply{}
			}
			_, err := dialPipe(t, ts, "mx.test:25", append(tc.opts, plainOpts...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantText)
			ts.mu.Lock()
			reads := strings.Join(ts.reads, "")
			ts.mu.Unlock()
			assert.True(t, strings.HasSuffix(reads, "QUIT\r\n"), "the client's last words: %q", reads)
		})
	}
}
