package state

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// queueEnvelope queues MAIL, two RCPTs and DATA.
func queueEnvelope(t *testing.T, c *Client) {
	t.Helper()
	require.NoError(t, c.Mail([]byte("a@example.org"), wire.MailParams{}))
	require.NoError(t, c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	require.NoError(t, c.Rcpt([]byte("c@example.net"), wire.RcptParams{}))
	require.NoError(t, c.Data())
}

func TestClientPipelinedGroup(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	queueEnvelope(t, h.c)
	// RFC 2920 section 3.1: one group, DATA last.
	assert.Equal(t, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n", h.out())
	assert.Equal(t, 4, h.c.Outstanding())
	evs := h.recv("250 2.1.0 ok\r\n550 5.1.1 unknown\r\n250 2.1.5 ok\r\n354 go\r\n")
	require.Equal(t, []ClientEventKind{ClientEventReply, ClientEventReply, ClientEventReply, ClientEventGoAhead}, kinds(evs))
	assert.Equal(t, []int{-1, 0, 1, -1}, []int{evs[0].Recipient, evs[1].Recipient, evs[2].Recipient, evs[3].Recipient})
	assert.Equal(t, VerdictPermFail, evs[1].Judgment.Verdict)
	assert.Empty(t, h.out())

	// The next transaction follows the end of the data in the same group.
	require.NoError(t, h.c.Body([]byte("hi\r\n")))
	require.NoError(t, h.c.EndData())
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	require.NoError(t, h.c.Rcpt([]byte("d@example.net"), wire.RcptParams{}))
	require.NoError(t, h.c.Noop())
	require.NoError(t, h.c.Rset())
	assert.Equal(t, "hi\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<d@example.net>\r\nNOOP\r\n", h.out(),
		"NOOP ends the group: RSET is held (RFC 2920 3.1)")
	evs = h.recv("250 2.0.0 queued\r\n250 ok\r\n250 ok\r\n")
	require.Len(t, evs, 3)
	assert.Equal(t, 0, evs[2].Recipient, "recipients count per transaction")
	assert.Empty(t, h.out(), "still held behind NOOP")
	h.one("250 ok\r\n")
	assert.Equal(t, "RSET\r\n", h.out())
}

func TestClientLockStep(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(plainEHLO)
	queueEnvelope(t, h.c)
	steps := []struct{ out, reply string }{
		{"MAIL FROM:<a@example.org>\r\n", "250 ok\r\n"},
		{"RCPT TO:<b@example.net>\r\n", "250 ok\r\n"},
		{"RCPT TO:<c@example.net>\r\n", "250 ok\r\n"},
		{"DATA\r\n", "354 go\r\n"},
	}
	for _, s := range steps {
		assert.Equal(t, s.out, h.out(), "without PIPELINING each command waits for its reply")
		assert.Empty(t, h.out())
		h.one(s.reply)
	}
	require.NoError(t, h.c.EndData())
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	assert.Equal(t, ".\r\n", h.out(), "MAIL waits for the end-of-data reply")
	h.one("250 ok\r\n")
	assert.Equal(t, "MAIL FROM:<>\r\n", h.out())
}

func TestClientAuthGrouping(t *testing.T) {
	t.Run("PLAIN with IR does not end the group", func(t *testing.T) {
		h := newHarness(t, ClientConfig{TLS: true})
		h.greet(fullEHLO)
		require.NoError(t, h.c.Rset())
		require.NoError(t, h.c.Auth("PLAIN", []byte("\x00user\x00pass"), true))
		require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
		assert.Equal(t, "RSET\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\nMAIL FROM:<>\r\n", h.out())
		evs := h.recv("250 ok\r\n235 2.7.0 ok\r\n250 ok\r\n")
		require.Len(t, evs, 3)
		assert.Equal(t, VerdictAuthenticated, evs[1].Judgment.Verdict)
		assert.True(t, h.c.IsAuthenticated())
		assert.Equal(t, PhaseMail, h.c.Phase())
	})
	for _, tc := range []struct {
		mech  string
		ir    []byte
		hasIR bool
		line  string
	}{
		{"PLAIN", nil, false, "AUTH PLAIN\r\n"},
		{"LOGIN", []byte("user"), true, "AUTH LOGIN dXNlcg==\r\n"},
		{"SCRAM-SHA-256", []byte("n,,n=u,r=x"), true, "AUTH SCRAM-SHA-256 biwsbj11LHI9eA==\r\n"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			h := newHarness(t, ClientConfig{TLS: true})
			h.greet(fullEHLO)
			require.NoError(t, h.c.Rset())
			require.NoError(t, h.c.Auth(tc.mech, tc.ir, tc.hasIR))
			// The exchange may go on: nothing can follow until it ends.
			assert.ErrorIs(t, h.c.Mail(nil, wire.MailParams{}), ErrBadSequence)
			assert.Equal(t, "RSET\r\n"+tc.line, h.out(), "AUTH is last in its group (RFC 4954 4)")
		})
	}
	t.Run("334 after a one-round AUTH in a group", func(t *testing.T) {
		h := newHarness(t, ClientConfig{TLS: true})
		h.greet(fullEHLO)
		require.NoError(t, h.c.Auth("PLAIN", []byte("\x00u\x00p"), true))
		require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
		h.out()
		ev := h.one("334 \r\n")
		assert.Equal(t, ClientEventError, ev.Kind)
		assert.ErrorIs(t, ev.Err, ErrProtocol)
		assert.Contains(t, ev.Err.Error(), "RFC 4954 4")
	})
}

func TestClientEhloHolds(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	require.Equal(t, ClientEventGreeting, h.one("220 mx.example.com\r\n").Kind)
	require.NoError(t, h.c.Hello())
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	assert.ErrorIs(t, h.c.Mail(nil, wire.MailParams{Size: 1, HasSize: true}), ErrBadSequence)
	require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	assert.ErrorIs(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{Notify: wire.NotifyNever}), ErrNotAdvertised,
		"capabilities are those known when the command is queued")
	assert.Equal(t, "EHLO client.example\r\n", h.out(), "EHLO ends the group")
	h.one("250-mx.example.com\r\n250 PIPELINING\r\n")
	assert.Equal(t, "MAIL FROM:<>\r\nRCPT TO:<b@example.net>\r\n", h.out())
}

func TestClientHeloFallback(t *testing.T) {
	for _, code := range []string{"500", "502", "550", "504"} {
		t.Run(code, func(t *testing.T) {
			h := newHarness(t, ClientConfig{})
			h.one("220 mx.example.com\r\n")
			require.NoError(t, h.c.Hello())
			require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
			require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
			assert.Equal(t, "EHLO client.example\r\n", h.out())
			ev := h.one(code + " no EHLO here\r\n")
			assert.Equal(t, VerdictFallbackHELO, ev.Judgment.Verdict)
			assert.Equal(t, StageEhlo, ev.Stage)
			// RFC 5321 section 3.2: HELO goes first; MAIL waits for its reply.
			assert.Equal(t, "HELO client.example\r\n", h.out())
			ev = h.one("250 mx.example.com\r\n")
			assert.Equal(t, StageHelo, ev.Stage)
			assert.True(t, ev.Auto)
			assert.Equal(t, PhaseReady, h.c.Phase())
			assert.Equal(t, "MAIL FROM:<>\r\n", h.out(), "no PIPELINING after HELO")
			assert.Zero(t, h.c.Capabilities().Exts())
			h.one("250 ok\r\n")
			assert.Equal(t, "RCPT TO:<b@example.net>\r\n", h.out())
		})
	}
	t.Run("LMTP has no fallback", func(t *testing.T) {
		h := newHarness(t, ClientConfig{Protocol: ProtocolLMTP})
		h.one("220 lmtp.example.com\r\n")
		require.NoError(t, h.c.Hello())
		assert.Equal(t, "LHLO client.example\r\n", h.out())
		ev := h.one("500 what\r\n")
		assert.Equal(t, VerdictPermFail, ev.Judgment.Verdict)
		assert.Empty(t, h.out())
		assert.Equal(t, PhaseGreeted, h.c.Phase())
	})
	t.Run("HELO refused too", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		h.one("220 mx.example.com\r\n")
		require.NoError(t, h.c.Hello())
		h.out()
		h.one("502 no\r\n")
		h.out()
		ev := h.one("550 go away\r\n")
		assert.Equal(t, VerdictPermFail, ev.Judgment.Verdict)
		assert.Empty(t, h.out(), "no second fallback")
		assert.Equal(t, PhaseGreeted, h.c.Phase())
	})
}

func TestClientFailedEnvelope(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	queueEnvelope(t, h.c)
	h.out()
	evs := h.recv("550 5.7.1 sender refused\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n")
	require.Len(t, evs, 4)
	assert.Equal(t, VerdictPermFail, evs[3].Judgment.Verdict)
	assert.Equal(t, PhaseReady, h.c.Phase())
	assert.ErrorIs(t, h.c.Body([]byte("x")), ErrBadSequence, "no data without 354 (RFC 5321 3.3)")
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}), "the projection follows the replies")

	// A DATA refused after pipelined recipients: no body.
	h = newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	queueEnvelope(t, h.c)
	h.out()
	evs = h.recv("250 ok\r\n550 no\r\n550 no\r\n554 5.5.1 no valid recipients\r\n")
	require.Len(t, evs, 4)
	assert.Equal(t, ClientEventReply, evs[3].Kind)
	assert.Equal(t, PhaseMail, h.c.Phase())
	assert.ErrorIs(t, h.c.Body([]byte("x")), ErrBadSequence)
	require.NoError(t, h.c.Rset())
	assert.Equal(t, "RSET\r\n", h.out())
}

func TestClientBusy(t *testing.T) {
	h := newHarness(t, ClientConfig{MaxOutstanding: 3})
	h.greet(plainEHLO)
	for range 3 {
		require.NoError(t, h.c.Rset())
	}
	assert.ErrorIs(t, h.c.Rset(), ErrBusy)
	assert.Equal(t, "RSET\r\n", h.out())
	h.one("250 ok\r\n")
	require.NoError(t, h.c.Rset(), "room again after a reply")
	assert.NoError(t, h.c.Err())
}

func TestClientQueueReuse(t *testing.T) {
	// Many lock-step rounds with a held backlog wrap the queue's array.
	h := newHarness(t, ClientConfig{MaxOutstanding: 5})
	h.greet(plainEHLO)
	for i := range 50 {
		for h.c.Outstanding() < 5 {
			require.NoError(t, h.c.Noop())
		}
		require.Equal(t, "NOOP\r\n", h.out(), "round %d", i)
		ev := h.one("250 ok\r\n")
		require.Equal(t, StageNoop, ev.Stage)
	}
	assert.LessOrEqual(t, cap(h.c.cmds), 5+4)
}

func TestRotateRight(t *testing.T) {
	for _, tc := range []struct {
		in   string
		k    int
		want string
	}{
		{"abcdef", 2, "efabcd"}, {"abc", 3, "abc"}, {"abc", 0, "abc"}, {"", 0, ""}, {"ab", 1, "ba"},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.in, tc.k), func(t *testing.T) {
			b := []byte(tc.in)
			rotateRight(b, tc.k)
			assert.Equal(t, tc.want, string(b))
		})
	}
}
