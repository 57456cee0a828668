package state

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

func TestClientDeadlines(t *testing.T) {
	tests := []struct {
		stage string
		wait  time.Duration // RFC 5321 4.5.3.2
		judge Stage
	}{
		{"greeting", 5 * time.Minute, StageGreeting},
		{"EHLO", 5 * time.Minute, StageEhlo},
		{"MAIL", 5 * time.Minute, StageMail},
		{"RCPT", 5 * time.Minute, StageRcpt},
		{"DATA", 2 * time.Minute, StageData},
		{"body", 3 * time.Minute, StageEndOfData},
		{"end of data", 10 * time.Minute, StageEndOfData},
		{"BDAT", 3 * time.Minute, StageBDAT},
		{"BDAT LAST", 10 * time.Minute, StageBDATLast},
		{"STARTTLS", 5 * time.Minute, StageStartTLS},
		{"QUIT", 5 * time.Minute, StageQuit},
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			h := newHarness(t, ClientConfig{})
			sent := ct0.Add(time.Second)
			if tt.stage == "greeting" {
				sent = ct0 // the greeting's timer started at the first Advance
			}
			h.c.Advance(sent)
			awaitStage(h, tt.stage)
			require.Equal(t, sent.Add(tt.wait), h.c.Deadline())
			h.c.Advance(sent.Add(tt.wait - time.Nanosecond))
			assert.NoError(t, h.c.Err())
			assert.Empty(t, h.drain())
			h.c.Advance(sent.Add(tt.wait))
			require.ErrorIs(t, h.c.Err(), ErrTimeout)
			evs := h.drain()
			require.Len(t, evs, 1)
			ev := evs[0]
			assert.Equal(t, ClientEventError, ev.Kind)
			assert.Same(t, h.c.Err(), ev.Err)
			assert.Equal(t, tt.judge, ev.Stage)
			assert.Equal(t, JudgeLost(tt.judge), ev.Judgment)
			assert.Nil(t, h.c.Output())
			assert.True(t, h.c.Deadline().IsZero())
		})
	}
}

func TestClientTimeoutEndOfData(t *testing.T) {
	h := newHarness(t, ClientConfig{Timeouts: Timeouts{DataTermination: time.Minute}})
	awaitStage(h, "end of data")
	h.c.Advance(ct0.Add(time.Minute))
	ev := h.c.Next()
	// RFC 5321 section 3.8: treat as 451; the message stays the client's.
	assert.Equal(t, reply.CodeLocalError, ev.Judgment.Code)
	assert.Equal(t, VerdictTempFail, ev.Judgment.Verdict)
	assert.True(t, ev.Judgment.Hints.Has(HintClientResponsible))
	assert.Contains(t, ev.Err.Error(), "RFC 5321 4.5.3.2")
}

func TestClientDeadlineProgress(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	awaitStage(h, "body")
	later := ct0.Add(2 * time.Minute)
	h.c.Advance(later)
	require.NoError(t, h.c.Body([]byte("x\r\n")))
	assert.Equal(t, later.Add(DefaultDataBlock), h.c.Deadline(), "each piece restarts the data block timer")
	h.c.Advance(later.Add(time.Minute))
	h.c.Consumed(1)
	assert.Equal(t, later.Add(time.Minute+DefaultDataBlock), h.c.Deadline(), "so does each write")

	// The timer of a reply starts when its command is written: MAIL held
	// behind EHLO starts when the EHLO reply releases it.
	h = newHarness(t, ClientConfig{})
	h.one("220 mx.example.com\r\n")
	require.NoError(t, h.c.Hello())
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	h.out()
	h.c.Advance(ct0.Add(4 * time.Minute))
	h.one("250-mx.example.com\r\n250 PIPELINING\r\n")
	assert.Equal(t, ct0.Add(9*time.Minute), h.c.Deadline())

	// TLS handshake.
	h = newHarness(t, ClientConfig{})
	awaitStage(h, "STARTTLS")
	h.c.Advance(ct0.Add(time.Minute))
	h.one("220 go\r\n")
	assert.Equal(t, ct0.Add(time.Minute+DefaultTLSHandshake), h.c.Deadline())
	h.c.Advance(ct0.Add(time.Minute + DefaultTLSHandshake))
	assert.ErrorIs(t, h.c.Err(), ErrTimeout)
}

func TestClientClock(t *testing.T) {
	c, err := NewClient(ClientConfig{Hostname: "client.example"})
	require.NoError(t, err)
	assert.True(t, c.Deadline().IsZero(), "no clock yet")
	c.Advance(ct0)
	assert.Equal(t, ct0.Add(DefaultGreeting), c.Deadline(), "the greeting timer starts at the first Advance")
	c.Advance(ct0.Add(-time.Hour))
	assert.Equal(t, ct0.Add(DefaultGreeting), c.Deadline(), "time going back is ignored")
	assert.NoError(t, c.Err())

	// Nothing awaited: no deadline.
	h := newHarness(t, ClientConfig{})
	h.greet(plainEHLO)
	assert.True(t, h.c.Deadline().IsZero())
	h.c.Advance(ct0.Add(24 * time.Hour))
	assert.NoError(t, h.c.Err())
}

func TestClientReceiveBound(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.c.Receive([]byte(strings.Repeat("x", MaxClientInput/2)))
	h.c.Receive(nil)
	assert.NoError(t, h.c.Err())
	h.c.Receive([]byte(strings.Repeat("x", MaxClientInput/2+1)))
	require.ErrorIs(t, h.c.Err(), ErrBusy)
	ev := h.c.Next()
	assert.Equal(t, ClientEventError, ev.Kind)
	assert.False(t, errors.Is(ev.Err, ErrProtocol), "a driver bug, not the server's")
	h.c.Receive([]byte("more"))
	assert.Equal(t, ClientEvent{}, h.c.Next())
}
