package state

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

func TestClientStartTLS(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	require.NoError(t, h.c.StartTLS())
	assert.ErrorIs(t, h.c.Noop(), ErrBadSequence, "nothing may follow STARTTLS (RFC 3207 4.2)")
	assert.Equal(t, "STARTTLS\r\n", h.out())
	ev := h.one("220 2.0.0 ready\r\n")
	assert.Equal(t, VerdictStartTLS, ev.Judgment.Verdict)
	assert.Equal(t, PhaseTLS, h.c.Phase())
	assert.Empty(t, h.out())
	assert.ErrorIs(t, h.c.Mail(nil, wire.MailParams{}), ErrBadSequence)

	require.NoError(t, h.c.TLSStarted())
	assert.True(t, h.c.IsTLS())
	assert.Zero(t, h.c.Capabilities().Exts(), "RFC 3207 4.2: the pre-TLS capabilities are forgotten")
	assert.Equal(t, PhaseGreeted, h.c.Phase())
	assert.Equal(t, "EHLO client.example\r\n", h.out(), "EHLO again, without a new greeting")
	ev = h.one("250-mx.example.com\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n")
	assert.True(t, ev.Auto)
	assert.Equal(t, StageEhlo, ev.Stage)
	assert.False(t, h.c.Capabilities().Has(wire.ExtSTARTTLS))
	assert.ErrorIs(t, h.c.StartTLS(), ErrBadSequence)
	require.NoError(t, h.c.Auth("PLAIN", []byte("\x00u\x00p"), true), "PLAIN is fine under TLS")
}

func TestClientStartTLSInjection(t *testing.T) {
	t.Run("same read", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		awaitStage(h, "STARTTLS")
		ev := h.one("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n")
		assert.Equal(t, ClientEventError, ev.Kind)
		var v *Violation
		require.True(t, errors.As(ev.Err, &v))
		assert.Equal(t, "RFC 3207 4.2", v.Rule)
		assert.Equal(t, SideServer, v.Side)
		assert.Same(t, ev.Err, h.c.TLSStarted(), "nothing is replayed into TLS")
		assert.Nil(t, h.c.Output())
	})
	t.Run("partial line", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		awaitStage(h, "STARTTLS")
		ev := h.one("220 go ahead\r\n2")
		assert.ErrorIs(t, ev.Err, ErrProtocol)
	})
	t.Run("later read before the handshake", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		awaitStage(h, "STARTTLS")
		h.one("220 go ahead\r\n")
		evs := h.recv("250 injected\r\n")
		require.Len(t, evs, 1)
		assert.ErrorIs(t, evs[0].Err, ErrProtocol)
		assert.Contains(t, evs[0].Err.Error(), "RFC 3207 4.2")
	})
	t.Run("refused STARTTLS continues in clear", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		awaitStage(h, "STARTTLS")
		ev := h.one("454 4.7.0 TLS not available\r\n")
		assert.Equal(t, VerdictTempFail, ev.Judgment.Verdict)
		assert.Equal(t, PhaseReady, h.c.Phase())
		assert.True(t, h.c.Capabilities().Has(wire.ExtSTARTTLS))
		require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	})
	t.Run("LMTP", func(t *testing.T) {
		h := newHarness(t, ClientConfig{Protocol: ProtocolLMTP})
		h.greet("250-lmtp.example.com\r\n250 STARTTLS\r\n")
		require.NoError(t, h.c.StartTLS())
		h.out()
		h.one("220 go\r\n")
		require.NoError(t, h.c.TLSStarted())
		assert.Equal(t, "LHLO client.example\r\n", h.out())
	})
}

func TestClientAuthLoop(t *testing.T) {
	h := newHarness(t, ClientConfig{AllowInsecureAuth: true})
	h.greet(fullEHLO)
	require.NoError(t, h.c.Auth("LOGIN", nil, false))
	assert.Equal(t, "AUTH LOGIN\r\n", h.out())
	steps := []struct{ challenge, text, resp, line string }{
		{"334 VXNlcm5hbWU6", "Username:", "user", "dXNlcg==\r\n"},
		{"334 UGFzc3dvcmQ6", "Password:", "pass", "cGFzcw==\r\n"},
		{"334 ", "", "", "\r\n"},
	}
	for _, s := range steps {
		ev := h.one(s.challenge + "\r\n")
		require.Equal(t, ClientEventChallenge, ev.Kind)
		assert.Equal(t, s.text, string(ev.Text), "decoded from base64 (RFC 4954 4)")
		assert.Equal(t, PhaseAuth, h.c.Phase())
		assert.ErrorIs(t, h.c.Noop(), ErrBadSequence)
		require.NoError(t, h.c.AuthRespond([]byte(s.resp)))
		assert.ErrorIs(t, h.c.AuthRespond(nil), ErrBadSequence, "one response per challenge")
		assert.Equal(t, s.line, h.out())
	}
	ev := h.one("235 2.7.0 Authentication successful\r\n")
	assert.Equal(t, VerdictAuthenticated, ev.Judgment.Verdict)
	assert.Equal(t, wire.VerbAUTH, ev.Verb)
	assert.True(t, h.c.IsAuthenticated())
	assert.Equal(t, PhaseReady, h.c.Phase())
}

func TestClientAuthCancel(t *testing.T) {
	h := newHarness(t, ClientConfig{AllowInsecureAuth: true})
	h.greet(fullEHLO)
	require.NoError(t, h.c.Auth("CRAM-MD5", nil, false))
	h.out()
	h.one("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n")
	require.NoError(t, h.c.AuthCancel())
	assert.Equal(t, "*\r\n", h.out())
	ev := h.one("501 5.7.0 cancelled\r\n")
	assert.Equal(t, VerdictPermFail, ev.Judgment.Verdict)
	assert.Equal(t, PhaseReady, h.c.Phase())
	assert.False(t, h.c.IsAuthenticated())
	require.NoError(t, h.c.Auth("CRAM-MD5", nil, false), "AUTH may be tried again")
}

func TestClientAuthBadChallenge(t *testing.T) {
	for _, ch := range []string{"334 not base64!", "334 =AAA", "334-dGVz\r\n334 dA=="} {
		t.Run(ch, func(t *testing.T) {
			h := newHarness(t, ClientConfig{AllowInsecureAuth: true})
			h.greet(fullEHLO)
			require.NoError(t, h.c.Auth("LOGIN", nil, false))
			h.out()
			ev := h.one(ch + "\r\n")
			assert.Equal(t, ClientEventChallenge, ev.Kind)
			require.ErrorIs(t, ev.Err, ErrProtocol)
			assert.ErrorIs(t, ev.Err, wire.ErrSyntax)
			// RFC 4954 section 4: a client that cannot decode cancels.
			assert.Equal(t, "*\r\n", h.out())
			assert.ErrorIs(t, h.c.AuthRespond(nil), ErrBadSequence)
			ev = h.one("501 5.7.0 cancelled\r\n")
			assert.True(t, ev.Auto)
			assert.NoError(t, h.c.Err(), "the session goes on")
			assert.Equal(t, PhaseReady, h.c.Phase())
		})
	}
}

func TestClientAuthForgottenByTLS(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	require.NoError(t, h.c.Auth("CRAM-MD5", nil, false), "CRAM-MD5 reveals no reusable secret")
	h.out()
	h.one("334 PDE+\r\n")
	require.NoError(t, h.c.AuthRespond([]byte("user 0123456789abcdef")))
	h.out()
	h.one("235 ok\r\n")
	require.True(t, h.c.IsAuthenticated())
	require.NoError(t, h.c.StartTLS())
	h.out()
	h.one("220 go\r\n")
	require.NoError(t, h.c.TLSStarted())
	assert.False(t, h.c.IsAuthenticated(), "RFC 3207 4.2: discard what was learnt")
}

func TestClientXclientReset(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	awaitStage(h, "XCLIENT")
	require.NoError(t, h.c.Hello(), "EHLO may be queued behind XCLIENT")
	assert.Empty(t, h.out(), "XCLIENT ends the group")
	ev := h.one("220 mx.example.com ESMTP\r\n")
	assert.Equal(t, VerdictReset, ev.Judgment.Verdict)
	assert.Equal(t, PhaseGreeted, h.c.Phase())
	assert.Zero(t, h.c.Capabilities().Exts())
	assert.Equal(t, "EHLO client.example\r\n", h.out())
	h.one("250 mx.example.com\r\n")
	assert.Equal(t, PhaseReady, h.c.Phase())
}

func TestClientTLSStartedPermissive(t *testing.T) {
	h := newHarness(t, ClientConfig{Permissive: true})
	h.one("220 mx.example.com\r\n")
	require.NoError(t, h.c.TLSStarted(), "a conformance test may start TLS at any point")
	assert.True(t, h.c.IsTLS())
	assert.Equal(t, "EHLO client.example\r\n", h.out())
}
