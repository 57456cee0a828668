package state

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// toBody brings a Client to the 354 and returns its harness.
func toBody(t *testing.T, cfg ClientConfig) *harness {
	t.Helper()
	h := newHarness(t, cfg)
	awaitStage(h, "body")
	return h
}

func TestClientBody(t *testing.T) {
	tests := []struct {
		name   string
		pieces []string
		want   string
	}{
		{"empty", nil, ".\r\n"},
		{"one line", []string{"hello\r\n"}, "hello\r\n.\r\n"},
		{"no final CRLF", []string{"hello"}, "hello\r\n.\r\n"},
		{"leading dot", []string{".hidden\r\n"}, "..hidden\r\n.\r\n"},
		{"end of data inside", []string{"a\r\n.\r\nMAIL FROM:<x@example.org>\r\n"}, "a\r\n..\r\nMAIL FROM:<x@example.org>\r\n.\r\n"},
		{"CRLF split across pieces", []string{"a\r", "\n.b\r\n"}, "a\r\n..b\r\n.\r\n"},
		{"dot split across pieces", []string{"a\r\n", ".", "\r\n"}, "a\r\n..\r\n.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := toBody(t, ClientConfig{})
			for _, p := range tt.pieces {
				require.NoError(t, h.c.Body([]byte(p)))
			}
			require.NoError(t, h.c.EndData())
			assert.Equal(t, tt.want, h.out())
			assert.Equal(t, 1, h.c.Outstanding())
			ev := h.one("250 2.0.0 queued\r\n")
			assert.Equal(t, StageEndOfData, ev.Stage)
			assert.Equal(t, wire.VerbDATA, ev.Verb)
		})
	}
}

func TestClientBodyBareLines(t *testing.T) {
	for _, body := range []string{"a\nb\r\n", "a\rb\r\n", "a\n.\n"} {
		t.Run(strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(body), func(t *testing.T) {
			h := toBody(t, ClientConfig{})
			err := h.c.Body([]byte(body))
			require.Error(t, err, "RFC 5321 2.3.8: a client does not send bare CR or LF")
			assert.Same(t, err, h.c.Err())
			assert.Nil(t, h.c.Output(), "the message is never ended")
			assert.Same(t, err, h.c.EndData())
			ev := h.c.Next()
			assert.Equal(t, ClientEventError, ev.Kind)
			assert.Same(t, err, ev.Err)
		})
	}
	t.Run("normalize", func(t *testing.T) {
		h := toBody(t, ClientConfig{BareData: wire.BareNormalize})
		require.NoError(t, h.c.Body([]byte("a\n.\nb")))
		require.NoError(t, h.c.EndData())
		assert.Equal(t, "a\r\n..\r\nb\r\n.\r\n", h.out())
	})
	t.Run("bare CR at the end of a piece", func(t *testing.T) {
		h := toBody(t, ClientConfig{})
		require.NoError(t, h.c.Body([]byte("a\r")))
		err := h.c.EndData()
		assert.ErrorIs(t, err, wire.ErrBareCR)
		assert.Nil(t, h.c.Output())
	})
}

func TestClientBdat(t *testing.T) {
	t.Run("pipelined", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		h.greet(fullEHLO)
		require.NoError(t, h.c.Mail(nil, wire.MailParams{Body: wire.BodyBinaryMIME}))
		require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
		require.NoError(t, h.c.Bdat([]byte("a\r\n.\r\n"), false))
		require.NoError(t, h.c.Bdat([]byte("\x00\xff"), false))
		require.NoError(t, h.c.Bdat(nil, true))
		// RFC 3030 section 2: raw octets, no dot-stuffing, no 354.
		assert.Equal(t, "MAIL FROM:<> BODY=BINARYMIME\r\nRCPT TO:<b@example.net>\r\n"+
			"BDAT 6\r\na\r\n.\r\nBDAT 2\r\n\x00\xffBDAT 0 LAST\r\n", h.out())
		evs := h.recv("250 ok\r\n250 ok\r\n250 6 octets\r\n250 2 octets\r\n250 2.0.0 queued\r\n")
		require.Len(t, evs, 5)
		assert.Equal(t, []Stage{StageMail, StageRcpt, StageBDAT, StageBDAT, StageBDATLast},
			[]Stage{evs[0].Stage, evs[1].Stage, evs[2].Stage, evs[3].Stage, evs[4].Stage})
		assert.True(t, evs[4].Judgment.Hints.Has(HintServerResponsible))
		assert.Equal(t, PhaseReady, h.c.Phase())
	})
	t.Run("lock-step", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		h.greet("250-mx.example.com\r\n250 CHUNKING\r\n")
		setupPhase(h, "rcptPlain")
		require.NoError(t, h.c.Bdat([]byte("one"), false))
		require.NoError(t, h.c.Bdat([]byte("two"), true))
		assert.Equal(t, "MAIL FROM:<>\r\n", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, "RCPT TO:<b@example.net>\r\n", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, "BDAT 3\r\none", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, "BDAT 3 LAST\r\ntwo", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, PhaseReady, h.c.Phase())
	})
	t.Run("failed chunk", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		h.greet(fullEHLO)
		setupPhase(h, "rcptPlain")
		require.NoError(t, h.c.Bdat([]byte("one"), false))
		require.NoError(t, h.c.Bdat([]byte("two"), true))
		h.out()
		evs := h.recv("250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n554 5.5.0 discarded\r\n")
		require.Len(t, evs, 4)
		assert.Equal(t, PhaseReady, h.c.Phase(), "the reply to LAST ends the transaction")
		require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	})
	t.Run("failed chunk, lock-step", func(t *testing.T) {
		// RFC 3030 section 2: after a 4yz or 5yz to a chunk no further
		// chunk is sent. Without PIPELINING the later chunks are still
		// held when the refusal comes: they are withdrawn, never written.
		h := newHarness(t, ClientConfig{})
		h.greet("250-mx.example.com\r\n250 CHUNKING\r\n")
		setupPhase(h, "rcptPlain")
		require.NoError(t, h.c.Bdat([]byte("one"), false))
		require.NoError(t, h.c.Bdat([]byte("two"), false))
		require.NoError(t, h.c.Bdat([]byte("three"), true))
		require.NoError(t, h.c.Noop())
		h.out()
		h.one("250 ok\r\n")
		h.out()
		h.one("250 ok\r\n")
		assert.Equal(t, "BDAT 3\r\none", h.out())
		assert.Equal(t, 4, h.c.Outstanding())
		ev := h.one("554 5.6.0 chunk refused\r\n")
		assert.Equal(t, StageBDAT, ev.Stage)
		assert.Equal(t, "NOOP\r\n", h.out(), "no BDAT after the refused chunk")
		assert.Equal(t, 1, h.c.Outstanding(), "the withdrawn chunks await no reply")
		assert.Equal(t, StageNoop, h.one("250 ok\r\n").Stage)
		assert.True(t, h.c.Phase().InTransaction(), "the failed transaction is still open: RSET ends it")
		require.ErrorIs(t, h.c.Bdat([]byte("four"), true), ErrBadSequence)
		require.NoError(t, h.c.Rset())
		assert.Equal(t, "RSET\r\n", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, PhaseReady, h.c.Phase())
	})
	t.Run("failed chunk, next transaction kept", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		h.greet("250-mx.example.com\r\n250 CHUNKING\r\n")
		setupPhase(h, "rcptPlain")
		require.NoError(t, h.c.Bdat([]byte("one"), false))
		require.NoError(t, h.c.Bdat([]byte("two"), true))
		require.NoError(t, h.c.Rset())
		require.NoError(t, h.c.Mail([]byte("a@example.org"), wire.MailParams{}))
		h.out()
		h.one("250 ok\r\n")
		h.out()
		h.one("250 ok\r\n")
		h.out()
		h.one("451 4.3.0 try again\r\n")
		assert.Equal(t, "RSET\r\n", h.out())
		h.one("250 ok\r\n")
		assert.Equal(t, "MAIL FROM:<a@example.org>\r\n", h.out())
		assert.Equal(t, 1, h.c.Outstanding())
	})
	t.Run("failed chunk, permissive", func(t *testing.T) {
		// A Permissive client sends what it is given.
		h := newHarness(t, ClientConfig{Permissive: true})
		h.greet("250-mx.example.com\r\n250 CHUNKING\r\n")
		require.NoError(t, h.c.Bdat([]byte("one"), false))
		require.NoError(t, h.c.Bdat([]byte("two"), true))
		assert.Equal(t, "BDAT 3\r\noneBDAT 3 LAST\r\ntwo", h.out())
		h.recv("554 no\r\n503 no\r\n")
		assert.Zero(t, h.c.Outstanding())
	})
}
