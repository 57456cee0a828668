package state

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/reply"
)

func TestClientEventKindString(t *testing.T) {
	want := []string{"none", "greeting", "reply", "challenge", "go-ahead", "closed", "error"}
	for k := range numClientEventKinds {
		assert.Equal(t, want[k], k.String())
	}
	assert.Equal(t, "ClientEventKind(99)", ClientEventKind(99).String())
}

func TestClientEventString(t *testing.T) {
	tests := []struct {
		ev   ClientEvent
		want string
	}{
		{ClientEvent{}, "none"},
		{ClientEvent{Kind: ClientEventReply, Stage: StageRcpt, Code: 550, Enhanced: reply.E(5, 1, 1),
			Judgment: Judge(StageRcpt, 550), Recipient: 1}, "reply RCPT 550 5.1.1 (permanent failure) #1"},
		{ClientEvent{Kind: ClientEventGreeting, Stage: StageGreeting, Code: 220, Judgment: Judge(StageGreeting, 220),
			Recipient: -1}, "greeting greeting 220 (proceed)"},
		{ClientEvent{Kind: ClientEventClosed, Recipient: -1, Err: errors.New("gone")}, "closed: gone"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ev.String())
		})
	}
}

func TestClientEventReply(t *testing.T) {
	ev := ClientEvent{Code: 451, Enhanced: reply.E(4, 3, 0), Text: []byte("try\nlater")}
	r := ev.Reply()
	assert.Equal(t, reply.Reply{Code: 451, Enhanced: reply.E(4, 3, 0), Text: "try\nlater"}, r)
	ev.Text[0] = 'X'
	assert.Equal(t, "try\nlater", r.Text, "the Reply owns its text")
}
