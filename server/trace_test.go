package server

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/state"
)

func TestTracerRedacts(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		phase state.Phase
		want  string
	}{
		{"auth initial response", "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", state.PhaseReady, "C: AUTH <redacted>\n"},
		{"auth pipelined rest", "auth login\r\nYWxpY2U=\r\n", state.PhaseReady, "C: AUTH <redacted>\nC: <redacted>\n"},
		{"sasl response", "c2VjcmV0\r\n", state.PhaseAuth, "C: <redacted SASL response>\n"},
		{"data content", "DATA\r\nSubject: private\r\n", state.PhaseRcpt, "C: DATA\nC: <18 octets of content>\n"},
		{"content", "Subject: private\r\n", state.PhaseData, "C: <18 octets of content>\n"},
		{"control octets", "NOOP\x1b[2J\r\n", state.PhaseReady, "C: NOOP\\x1B[2J\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tr := tracer{w: &b, mu: &sync.Mutex{}}
			tr.client([]byte(tt.in), tt.phase)
			assert.Equal(t, tt.want, b.String())
		})
	}
	var b strings.Builder
	tr := tracer{w: &b, mu: &sync.Mutex{}}
	tr.server([]byte("334 PDEyMzQ1Pg==\r\n250 OK\r\n"))
	assert.Equal(t, "S: 334 <redacted>\nS: 250 OK\n", b.String())
}

func TestCounterString(t *testing.T) {
	assert.Equal(t, "messages", CounterMessages.String())
	assert.Equal(t, "Counter(200)", Counter(200).String())
}
