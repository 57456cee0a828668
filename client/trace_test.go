package client

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

func TestTracer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		out   string
		phase state.Phase
		want  string
	}{
		{"command", "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n", state.PhaseReady, "C: MAIL FROM:<a@x>\nC: RCPT TO:<b@y>\n"},
		{"AUTH initial response", "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n", state.PhaseReady, "C: AUTH PLAIN <redacted>\n"},
		{"AUTH without", "AUTH LOGIN\r\n", state.PhaseReady, "C: AUTH LOGIN\n"},
		{"AUTH response", "c2VjcmV0\r\n", state.PhaseAuth, "C: <redacted>\n"},
		{"DATA content", "secret body\r\n.\r\n", state.PhaseData, "C: <16 octets of message content>\n"},
		{"BDAT chunk", "BDAT 5 LAST\r\nhelloRSET\r\n", state.PhaseReady,
			"C: BDAT 5 LAST\nC: <5 octets of message content>\nC: RSET\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tr := tracer{w: &b}
			tr.client([]byte(tc.out), tc.phase)
			assert.Equal(t, tc.want, b.String())
		})
	}
	var b bytes.Buffer
	tr := tracer{w: &b}
	tr.server(state.ClientEvent{Kind: state.ClientEventChallenge, Code: 334, Text: []byte("r=nonce,s=salt")})
	tr.server(state.ClientEvent{Kind: state.ClientEventReply, Code: 250,
		Enhanced: reply.Enhanced{Class: 2, Subject: 0, Detail: 0}, Text: []byte("a\nb")})
	assert.Equal(t, "S: 334 <redacted>\nS: 250-2.0.0 a\nS: 250 2.0.0 b\n", b.String())
}

// TestTracerContentThenCommands: after a 354 the content is shown as its
// length up to its "." CRLF, even split between writes, and the commands
// that follow it in the same write (SendEach) as commands.
func TestTracerContentThenCommands(t *testing.T) {
	var b bytes.Buffer
	tr := tracer{w: &b}
	tr.server(state.ClientEvent{Kind: state.ClientEventGoAhead, Code: 354})
	tr.client([]byte("secret\r\n..dot\r\n"), state.PhaseData)
	tr.client([]byte(".\r\nMAIL FROM:<a@x>\r\nDATA\r\n"), state.PhaseData)
	tr.server(state.ClientEvent{Kind: state.ClientEventGoAhead, Code: 354})
	tr.client([]byte(".\r\nQUIT\r\n"), state.PhaseData)
	assert.Equal(t, "S: 354 \nC: <15 octets of message content>\nC: <3 octets of message content>\n"+
		"C: MAIL FROM:<a@x>\nC: DATA\nS: 354 \nC: <3 octets of message content>\nC: QUIT\n", b.String())
}
