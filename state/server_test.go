package state

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

func TestNewServerConfigErrors(t *testing.T) {
	for name, cfg := range map[string]ServerConfig{
		"hostname":      {Hostname: "bad_host!"},
		"burl":          {Extensions: wire.NewExtSet(wire.ExtBURL)},
		"futurerelease": {Extensions: wire.NewExtSet(wire.ExtFUTURERELEASE)},
		"negative":      {MaxMessageSize: -1},
		"mechanism":     {AuthMechanisms: []string{"PLAIN TEXT"}},
		"keyword":       {Keywords: []string{"_BAD"}},
		"timeouts":      {Timeouts: Timeouts{ServerIdle: -time.Second}},
		"mt-priority":   {MTPriority: "TWO WORDS"},
	} {
		_, err := NewServer(cfg)
		var ce *ConfigError
		assert.True(t, errors.As(err, &ce), "%s: %v", name, err)
	}
	s, err := NewServer(ServerConfig{Protocol: ProtocolLMTP})
	require.NoError(t, err)
	assert.True(t, s.cfg.Extensions.Has(wire.ExtPIPELINING), "LMTP servers offer PIPELINING (RFC 2033 5)")
}

func TestServerRespondErrors(t *testing.T) {
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	assert.ErrorIs(t, s.Respond(reply.Reply{}), ErrNoPending, "before Next")
	require.Equal(t, EventConnect, s.Next().Kind)
	assert.Equal(t, EventConnect, s.Next().Kind, "a pending decision is returned again")
	assert.ErrorIs(t, s.Respond(reply.Reply{Code: reply.CodeOK}), ErrInvalidReply, "250 is no greeting")
	assert.ErrorIs(t, s.Respond(reply.Reply{Code: 199}), ErrInvalidReply)
	assert.ErrorIs(t, s.Receive([]byte("EHLO x\r\n")), nil, "an early talker is accepted and marked")
	require.NoError(t, s.Respond(reply.Reply{}))
	out := feed(t, s, "")
	assert.Contains(t, out, "421 localhost Commands sent before", "a client that talks before the greeting is refused (RFC 2920 3.1)")

	s = newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	feed(t, s, "")
	require.NoError(t, s.Receive([]byte("EHLO x.example\r\n")))
	assert.ErrorIs(t, s.Receive([]byte("NOOP\r\n")), ErrBusy, "input before Next asked for it")
	require.Equal(t, EventHello, s.Next().Kind)
	assert.ErrorIs(t, s.Challenge(nil), ErrNoPending, "Challenge only answers AUTH")
	require.NoError(t, s.Respond(reply.Reply{}))
	feed(t, s, "")
	feed(t, s, "MAIL FROM:<a@b.example>\r\n")
	require.NoError(t, s.Receive([]byte("RCPT TO:<c@d.example>\r\n")))
	require.Equal(t, EventRcpt, s.Next().Kind)
	assert.ErrorIs(t, s.Respond(reply.Reply{Code: reply.CodeStartMailInput}), ErrInvalidReply, "354 answers only DATA")
	require.NoError(t, s.Respond(reply.Reply{Code: reply.CodeServiceNotAvailable}))
	ev := s.Next()
	assert.Equal(t, EventClose, ev.Kind)
	assert.Contains(t, string(s.Output()), "421 4.3.2 localhost Service not available")
	assert.ErrorIs(t, s.Respond(reply.Reply{}), ErrClosed)
	assert.ErrorIs(t, s.Receive([]byte("x")), ErrClosed)
	assert.Equal(t, EventClose, s.Next().Kind, "the end is reported again")
}

func TestServerSTARTTLSBoundary(t *testing.T) {
	cfg := ServerConfig{Extensions: DefaultExtensions.With(wire.ExtSTARTTLS)}
	s := newTestServer(t, cfg)
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	assert.Equal(t, "220 2.0.0 Ready to start TLS\r\n", feed(t, s, "STARTTLS\r\n"))
	assert.Equal(t, PhaseTLS, s.Phase())
	assert.Zero(t, s.Deadline(), "no clock given")
	err := s.Receive([]byte("MAIL FROM:<a@b.example>\r\n"))
	var be *tlsmode.BoundaryError
	require.ErrorAs(t, err, &be, "plaintext after the 220 is never read (RFC 3207 4.2)")
	assert.Equal(t, PhaseClosed, s.Phase())
	assert.ErrorAs(t, s.Err(), &be)

	s = newTestServer(t, cfg)
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	feed(t, s, "STARTTLS\r\n")
	assert.ErrorIs(t, newTestServer(t, cfg).TLSStarted(), ErrBadSequence)
	s.TLSFailed(errors.New("handshake failure"))
	assert.Equal(t, PhaseClosed, s.Phase())
	assert.Empty(t, s.Output(), "no reply after a failed handshake")
	assert.EqualError(t, s.Err(), "handshake failure")
}

func TestServerSession(t *testing.T) {
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions.With(wire.ExtAUTH), AuthMechanisms: []string{"PLAIN"}, TLS: true})
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	feed(t, s, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
	feed(t, s, "MAIL FROM:<a@b.example>\r\n")
	feed(t, s, "RCPT TO:<c@d.example>\r\n")
	got := s.Session()
	assert.Equal(t, Session{
		Protocol: ProtocolSMTP, Phase: PhaseRcpt, Hello: wire.VerbEHLO, TLS: true,
		Authenticated: true, Mechanism: "PLAIN", Extensions: s.offered(), Recipients: 1,
	}, got)

	s.SetAuthMechanisms([]string{"SCRAM-SHA-256", "not valid"})
	feed(t, s, "RSET\r\n")
	out := feed(t, s, "EHLO x.example\r\n")
	assert.Contains(t, out, "250-AUTH SCRAM-SHA-256\r\n")
}

func TestServerInsecureAuthHidden(t *testing.T) {
	s := newTestServer(t, ServerConfig{Extensions: wire.NewExtSet(wire.ExtAUTH), AuthMechanisms: []string{"PLAIN", "SCRAM-SHA-1"}})
	feed(t, s, "")
	out := feed(t, s, "EHLO x.example\r\n")
	assert.Contains(t, out, "250 AUTH SCRAM-SHA-1\r\n", "PLAIN needs TLS (RFC 4954 4)")
	assert.Contains(t, feed(t, s, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), "504 ")
}

func TestServerDataDeadline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions, Timeouts: Timeouts{MinDataRate: 100, RateGrace: time.Minute}})
	s.Advance(start)
	feed(t, s, "")
	assert.Equal(t, start.Add(DefaultServerIdle), s.Deadline(), "idle timeout (RFC 5321 4.5.3.2.7)")
	feed(t, s, "EHLO x.example\r\n")
	feed(t, s, "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
	assert.Equal(t, PhaseData, s.Phase())
	now := start.Add(30 * time.Second)
	s.Advance(now)
	feed(t, s, "0123456789\r\n")
	// block limit: now + 3 min; rate floor: start + 1 min grace + 12/100 s.
	assert.Equal(t, start.Add(time.Minute+120*time.Millisecond), s.Deadline())
	s.Advance(start.Add(2 * time.Minute))
	ev := s.Next()
	assert.Equal(t, EventClose, ev.Kind)
	assert.ErrorIs(t, ev.Err, ErrTimeout)
	assert.Contains(t, string(s.Output()), "421 4.4.2 localhost Timeout")
}

func TestServerLostConnection(t *testing.T) {
	s := newTestServer(t, ServerConfig{Extensions: DefaultExtensions})
	feed(t, s, "")
	feed(t, s, "EHLO x.example\r\n")
	require.NoError(t, s.Receive([]byte("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")))
	s.ReceiveEOF()
	var kinds []EventKind
	for {
		ev := s.Next()
		if ev.Kind.IsDecision() {
			require.NoError(t, s.Respond(reply.Reply{}))
		}
		kinds = append(kinds, ev.Kind)
		if ev.Kind == EventClose {
			assert.ErrorIs(t, ev.Err, ErrClosed, "RFC 5321 3.8: the transaction is dropped")
			break
		}
	}
	assert.Equal(t, []EventKind{EventMail, EventRcpt, EventData, EventClose}, kinds)
}

func TestServerEventKindNames(t *testing.T) {
	for k := EventNone; k < numEventKinds; k++ {
		assert.NotEmpty(t, eventKindNames[k], "%d", k)
	}
	assert.Equal(t, "EventKind(200)", EventKind(200).String())
	assert.False(t, EventBody.IsDecision())
	assert.True(t, EventMessage.IsDecision())
}
