package client_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// The client against real servers: smtpkit's own server package over
// loopback (every mode: pipelining, BDAT, SMTPUTF8, LMTP, STARTTLS with
// AUTH, implicit TLS, the Pool) and Postfix's smtp-sink (internal/peers).
// Sessions in clear pass through a recording proxy and the Checker, which
// must find no violation on either side.

// inbox is a server.Handler that keeps every complete message.
type inbox struct {
	mu   sync.Mutex
	msgs []mail
}

type mail struct {
	From string
	To   []string
	Body string
}

func (b *inbox) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return &inboxSession{b: b}, nil
}

func (b *inbox) all() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]mail(nil), b.msgs...)
}

type inboxSession struct {
	b    *inbox
	from string
	to   []string
}

func (s *inboxSession) Mail(from string, _ *wire.MailParams) error {
	s.from, s.to = from, nil
	return nil
}

func (s *inboxSession) Rcpt(to string, _ *wire.RcptParams) error {
	if strings.HasPrefix(to, "nobody@") {
		return server.Reject(550, reply.E(5, 1, 1), "No such user")
	}
	s.to = append(s.to, to)
	return nil
}

func (s *inboxSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, mail{From: s.from, To: s.to, Body: string(body)})
	s.b.mu.Unlock()
	return nil
}

func (s *inboxSession) Reset()        {}
func (s *inboxSession) Logout() error { return nil }

// serve runs srv on 127.0.0.1 (implicit TLS when implicit) until t ends.
func serve(t testing.TB, srv *server.Server, implicit bool) string {
	t.Helper()
	if srv.ErrorLog == nil {
		srv.ErrorLog = slog.New(slog.DiscardHandler)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		if implicit {
			done <- srv.ServeTLS(l)
		} else {
			done <- srv.Serve(l)
		}
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return l.Addr().String()
}

// tlsPair returns a server TLS config for localhost and 127.0.0.1 and a
// client config that trusts it.
func tlsPair(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	scfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	return scfg, &tls.Config{RootCAs: ca.Pool()}
}

func TestEndToEndModes(t *testing.T) {
	body := "Subject: e2e\r\n\r\nline one\r\n.leading dot\r\ncaf\u00e9\r\n"
	tests := []struct {
		name string
		srv  func(*server.Server)
		opts []client.Option
		env  client.Envelope
	}{
		{"pipelining-bdat", nil, nil, client.Envelope{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}}},
		{"data-not-bdat", nil, []client.Option{client.WithoutBDAT()}, client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}},
		{"no-pipelining", func(s *server.Server) { s.Extensions = s.Extensions.Without(wire.ExtPIPELINING) }, nil,
			client.Envelope{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}}},
		{"smtputf8", nil, nil, client.Envelope{From: "j\u00f6rg@b\u00fccher.example", To: []string{"r\u00e9ception@example.org"}}},
		{"idna-without-smtputf8", func(s *server.Server) { s.Extensions = s.Extensions.Without(wire.ExtSMTPUTF8) }, nil,
			client.Envelope{From: "alice@b\u00fccher.example", To: []string{"bob@example.org"}}},
		{"one-refused", nil, nil, client.Envelope{From: "alice@example.com", To: []string{"nobody@example.org", "bob@example.org"}}},
		{"null-sender-dsn", nil, nil, client.Envelope{From: "", To: []string{"bob@example.org"},
			Params: wire.MailParams{Ret: wire.RetHdrs}, RcptParams: wire.RcptParams{Notify: wire.NotifyNever}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &inbox{}
			srv := &server.Server{Handler: in, Hostname: "mx.example.org", Extensions: state.DefaultExtensions}
			if tt.srv != nil {
				tt.srv(srv)
			}
			rec := peers.Record(t, serve(t, srv, false))
			ctx := context.Background()
			opts := append([]client.Option{client.WithHostname("client.example.com"),
				client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}, tt.opts...)
			c, err := client.Dial(ctx, rec.Addr, opts...)
			require.NoError(t, err)
			res, err := c.Send(ctx, tt.env, strings.NewReader(body))
			if tt.name == "one-refused" {
				var se *client.SendError
				require.ErrorAs(t, err, &se)
				require.Len(t, se.Failed, 1)
				assert.Equal(t, "nobody@example.org", se.Failed[0].Addr)
			} else {
				require.NoError(t, err)
			}
			require.NotNil(t, res)
			require.NoError(t, c.Quit(ctx))
			msgs := in.all()
			require.Len(t, msgs, 1)
			assert.Equal(t, body, msgs[0].Body)
			switch tt.name {
			case "smtputf8":
				assert.Equal(t, "j\u00f6rg@b\u00fccher.example", msgs[0].From, "sent as is (RFC 6531)")
			case "idna-without-smtputf8":
				assert.Equal(t, "alice@xn--bcher-kva.example", msgs[0].From, "A-label (RFC 5890)")
			case "one-refused":
				assert.Equal(t, []string{"bob@example.org"}, msgs[0].To)
			}
			rec.Check(t, 1, state.CheckerConfig{})
		})
	}
}

func TestEndToEndSTARTTLSAuthAndImplicit(t *testing.T) {
	scfg, ccfg := tlsPair(t)
	var reg auth.Registry
	reg.Register(auth.PlainServer(auth.PasswordCheckerFunc(func(_ context.Context, _, user, pass string) error {
		if user != "alice" || pass != "secret" {
			return auth.ErrInvalidCredentials
		}
		return nil
	})))
	for _, implicit := range []bool{false, true} {
		t.Run(fmt.Sprint("implicit=", implicit), func(t *testing.T) {
			in := &inbox{}
			srv := &server.Server{Handler: in, Hostname: "localhost", TLSConfig: scfg, Auth: &reg, RequireAuth: true}
			addr := serve(t, srv, implicit)
			mode := tlsmode.ModeSTARTTLS
			if implicit {
				mode = tlsmode.ModeImplicit
			}
			ctx := context.Background()
			c, err := client.Dial(ctx, addr, client.WithTLS(mode, tlsmode.PolicyRequired), client.WithTLSConfig(ccfg),
				client.WithServerName("localhost"), client.WithAuth("alice", "secret"))
			require.NoError(t, err)
			assert.True(t, c.IsAuthenticated())
			require.NotNil(t, c.TLSFacts())
			for i := range 3 { // one connection, three messages: RSET between, no new EHLO
				_, err = c.Send(ctx, client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}},
					strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nhi\r\n", i)))
				require.NoError(t, err)
			}
			require.NoError(t, c.Quit(ctx))
			assert.Len(t, in.all(), 3)

			_, err = client.Dial(ctx, addr, client.WithTLS(mode, tlsmode.PolicyRequired), client.WithTLSConfig(ccfg),
				client.WithServerName("localhost"), client.WithAuth("alice", "wrong"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "535")
		})
	}
}

func TestEndToEndLMTP(t *testing.T) {
	in := &inbox{}
	srv := &server.Server{Handler: in, Hostname: "lmtp.example.org", Protocol: state.ProtocolLMTP}
	rec := peers.Record(t, serve(t, srv, false))
	ctx := context.Background()
	c, err := client.Dial(ctx, rec.Addr, client.WithLMTP(), client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	require.NoError(t, err)
	res, err := c.Send(ctx, client.Envelope{From: "alice@example.com", To: []string{"bob@example.org", "carol@example.org"}},
		strings.NewReader("Subject: lmtp\r\n\r\nhi\r\n"))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Delivered())
	require.NoError(t, c.Quit(ctx))
	rec.Check(t, 1, state.CheckerConfig{Protocol: state.ProtocolLMTP})
}

func TestEndToEndPool(t *testing.T) {
	in := &inbox{}
	srv := &server.Server{Handler: in, Hostname: "mx.example.org", Extensions: state.DefaultExtensions}
	addr := serve(t, srv, false)
	p := client.NewPool(addr, client.PoolConfig{MaxConns: 4}, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	defer p.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Send(context.Background(), client.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}},
				strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nhi\r\n", i)))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, in.all(), 40)
	st := p.Stats()
	assert.LessOrEqual(t, st.Dials, 4, "connections are reused")
	assert.Positive(t, st.Reuses)
}

func TestInteropSmtpSink(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		opts []client.Option
		cfg  state.CheckerConfig
	}{
		{"smtp", nil, nil, state.CheckerConfig{}},
		{"lmtp", []string{"-L"}, []client.Option{client.WithLMTP()}, state.CheckerConfig{Protocol: state.ProtocolLMTP}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := peers.Record(t, peers.Sink(t, tt.args...))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opts := append([]client.Option{client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}, tt.opts...)
			c, err := client.Dial(ctx, rec.Addr, opts...)
			require.NoError(t, err)
			for i := range 3 {
				res, err := c.Send(ctx, client.Envelope{From: "alice@example.com",
					To: []string{"bob@example.org", "carol@example.org"}},
					strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\n.dot\r\nbody\r\n", i)))
				require.NoError(t, err)
				assert.Equal(t, 2, res.Delivered())
			}
			require.NoError(t, c.Quit(ctx))
			rec.Check(t, 1, tt.cfg)
		})
	}
}

// paramSession records the MAIL parameters the server machine decoded.
type paramSession struct {
	inboxSession
	got *wire.MailParams
}

func (s *paramSession) Mail(from string, p *wire.MailParams) error {
	*s.got = *p
	return s.inboxSession.Mail(from, p)
}

func TestEndToEndExtensions(t *testing.T) {
	var got wire.MailParams
	in := &inbox{}
	h := server.HandlerFunc(func(context.Context, *server.ConnInfo) (server.Session, error) {
		return &paramSession{inboxSession: inboxSession{b: in}, got: &got}, nil
	})
	srv := &server.Server{Handler: h, Hostname: "mx.example.org", MaxMessageSize: 4096,
		Extensions: state.DefaultExtensions.With(wire.ExtMTPRIORITY).With(wire.ExtDELIVERBY).With(wire.ExtFUTURERELEASE),
		Configure:  func(c *state.ServerConfig) { c.FutureReleaseMax = 24 * time.Hour }}
	rec := peers.Record(t, serve(t, srv, false))
	ctx := context.Background()
	c, err := client.Dial(ctx, rec.Addr, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	require.NoError(t, err)
	to := []string{"bob@example.org"}

	// MT-PRIORITY (RFC 6710), BY (RFC 2852), HOLDFOR (RFC 4865) reach the
	// server's Session decoded.
	_, err = c.Send(ctx, client.Envelope{From: "alice@example.com", To: to, Params: wire.MailParams{
		MTPriority: 3, HasMTPriority: true, By: wire.DeliverBy{Time: 3600, Mode: 'N'}, HasBy: true,
		HoldFor: 600, HasHoldFor: true}}, strings.NewReader("Subject: params\r\n\r\nhi\r\n"))
	require.NoError(t, err)
	assert.True(t, got.HasMTPriority)
	assert.Equal(t, int8(3), got.MTPriority)
	assert.Equal(t, wire.DeliverBy{Time: 3600, Mode: 'N'}, got.By)
	assert.Equal(t, uint64(600), got.HoldFor)

	// BINARYMIME goes as BDAT, octets as they are (RFC 3030 section 3).
	binary := "\x00\x01\r\x02\n\xff"
	_, err = c.Send(ctx, client.Envelope{From: "alice@example.com", To: to, Binary: true}, strings.NewReader(binary))
	require.NoError(t, err)
	assert.Equal(t, wire.BodyBinaryMIME, got.Body)

	// SIZE (RFC 1870): refused before anything is sent.
	_, err = c.Send(ctx, client.Envelope{From: "alice@example.com", To: to}, strings.NewReader(strings.Repeat("x", 5000)))
	var se *client.SizeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, uint64(4096), se.Max)

	// REQUIRETLS is offered only under TLS (RFC 8689 section 4): refused in
	// clear by the client machine, not sent.
	_, err = c.Send(ctx, client.Envelope{From: "alice@example.com", To: to, Params: wire.MailParams{RequireTLS: true}},
		strings.NewReader("x\r\n"))
	require.ErrorIs(t, err, state.ErrNotAdvertised)

	require.NoError(t, c.Quit(ctx))
	msgs := in.all()
	require.Len(t, msgs, 2)
	assert.Equal(t, binary, msgs[1].Body)
	rec.Check(t, 1, state.CheckerConfig{})
}
