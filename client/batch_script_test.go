package client

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// SendEach against scripted servers (script_test.go): replies the
// server.Server does not give, and Send's outcomes side by side.

// reactive answers a session as a permissive server would, command by
// command, so that it serves lock-step and pipelined clients alike: 250 to
// MAIL and RSET, to RCPT 250 or the code a local part starts with ("550...",
// "451..."), to DATA 354 or, with no recipient accepted, 554; the content
// is read to its "." and the end of message n (from 1) gets ends[n] or 250.
// A 421 closes the session.
func reactive(ends map[int]string) func(*scriptServer) {
	return func(s *scriptServer) {
		s.open("PIPELINING", "ENHANCEDSTATUSCODES")
		n, accepted := 0, 0
		for {
			l := s.line()
			verb, arg, _ := strings.Cut(l, " ")
			switch strings.ToUpper(verb) {
			case "MAIL":
				accepted = 0
				s.say("250 2.1.0 ok")
			case "RCPT":
				code, _, _ := strings.Cut(strings.TrimPrefix(arg, "TO:<"), "@")
				switch {
				case strings.HasPrefix(code, "550"):
					s.say("550 5.1.1 no such user")
				case strings.HasPrefix(code, "451"):
					s.say("451 4.3.0 try later")
				default:
					accepted++
					s.say("250 2.1.5 ok")
				}
			case "DATA":
				if accepted == 0 {
					s.say("554 5.5.1 no valid recipients")
					continue
				}
				s.say("354 go ahead")
				for l := ""; l != ".\r\n"; {
					var err error
					if l, err = s.r.ReadString('\n'); err != nil {
						return
					}
				}
				n++
				r, ok := ends[n]
				if !ok {
					r = fmt.Sprintf("250 2.0.0 queued as %d", n)
				}
				s.say(r)
				if strings.HasPrefix(r, "421") {
					return
				}
			case "RSET":
				s.say("250 2.0.0 ok")
			case "QUIT":
				s.say("221 2.0.0 bye")
				return
			case "":
				return
			default:
				s.say("500 5.5.1 unknown")
			}
		}
	}
}

// outcome is what Send or SendEach gave for one message.
type outcome struct {
	res *Result
	err error
}

// viaSend sends msgs with Send, one after the other, over a reactive
// server.
func viaSend(t *testing.T, ends map[int]string, msgs []Message) []outcome {
	c, err := NewClient(context.Background(), scripted(t, reactive(ends)), "mx.test:25", plainOpts...)
	require.NoError(t, err)
	out := make([]outcome, len(msgs))
	for i, m := range msgs {
		out[i].res, out[i].err = c.Send(context.Background(), m.Envelope, m.Body)
	}
	return out
}

// viaBatch sends msgs with SendBatch over a reactive server.
func viaBatch(t *testing.T, ends map[int]string, msgs []Message) []outcome {
	c, err := NewClient(context.Background(), scripted(t, reactive(ends)), "mx.test:25", plainOpts...)
	require.NoError(t, err)
	res, errs := c.SendBatch(context.Background(), msgs)
	out := make([]outcome, len(msgs))
	for i := range msgs {
		out[i] = outcome{res[i], errs[i]}
	}
	return out
}

// scenario returns fresh messages: 0 fine; 1 refused at the end of the
// data (by ends); 2 with one recipient of two refused; 3 with every
// recipient refused (DATA refused, RSET); 4 with a recipient refused 451;
// 5 fine.
func scenario() []Message {
	to := [][]string{{"a@x.test"}, {"a@x.test"}, {"a@x.test", "550b@x.test"}, {"550a@x.test", "550b@x.test"},
		{"451a@x.test", "b@x.test"}, {"a@x.test"}}
	msgs := make([]Message, len(to))
	for i := range to {
		msgs[i] = Message{Envelope: Envelope{From: "s@x.test", To: to[i]},
			Body: strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))}
	}
	return msgs
}

// TestSendBatchFailures: refusals of one message leave the next alone, and
// each message gets exactly what Send gives it: the same Result, the same
// error type and text.
func TestSendBatchFailures(t *testing.T) {
	ends := map[int]string{2: "554 5.7.1 content refused"}
	want, got := viaSend(t, ends, scenario()), viaBatch(t, ends, scenario())
	for i := range want {
		assert.Equal(t, want[i].res, got[i].res, "message %d", i)
		require.Equal(t, want[i].err == nil, got[i].err == nil, "message %d: %v", i, got[i].err)
		if want[i].err != nil {
			assert.IsType(t, want[i].err, got[i].err, "message %d", i)
			assert.Equal(t, want[i].err.Error(), got[i].err.Error(), "message %d", i)
		}
	}
	require.NoError(t, got[0].err)
	var se *SendError
	require.ErrorAs(t, got[1].err, &se)
	assert.Equal(t, reply.Code(554), se.Reply.Code)
	require.ErrorAs(t, got[2].err, &se)
	assert.Equal(t, 1, got[2].res.Delivered())
	require.ErrorAs(t, got[3].err, &se)
	assert.Zero(t, got[3].res.Delivered())
	require.ErrorAs(t, got[4].err, &se)
	assert.True(t, se.Temporary())
	require.NoError(t, got[5].err)
}

// TestSendBatchConnectionLost: a 421 to the end of message 2 fails it and
// every message after it, none delivered, while message 1 is delivered;
// the error is Send's.
func TestSendBatchConnectionLost(t *testing.T) {
	ends := map[int]string{2: "421 4.3.2 shutting down"}
	msgs := scenario()[:2]
	msgs = append(msgs, scenario()[5], scenario()[5], scenario()[5])
	want := viaSend(t, ends, msgs)
	msgs = scenario()[:2]
	msgs = append(msgs, scenario()[5], scenario()[5], scenario()[5])
	got := viaBatch(t, ends, msgs)
	require.NoError(t, got[0].err)
	assert.Equal(t, 1, got[0].res.Delivered())
	assert.Equal(t, want[1].err.Error(), got[1].err.Error())
	for i := 1; i < len(got); i++ {
		require.Error(t, got[i].err, "message %d", i)
		assert.True(t, Temporary(got[i].err), "a lost connection is temporary: %v", got[i].err)
		var re *reply.Error
		require.ErrorAs(t, got[i].err, &re, "message %d", i)
		assert.Equal(t, reply.Code(421), re.Code)
		if got[i].res != nil {
			assert.Zero(t, got[i].res.Delivered(), "message %d", i)
		}
	}
	assert.NotNil(t, got[2].res, "message 3's envelope was under way")
}

// TestSendBatchOneWrite: the content of a message, its end and the next
// message's envelope go out in one write; no content goes before its 354.
func TestSendBatchOneWrite(t *testing.T) {
	conn := &writeLog{Conn: scripted(t, reactive(nil))}
	ctx := context.Background()
	c, err := NewClient(ctx, conn, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	msgs := scenario()[:1]
	msgs = append(msgs, scenario()[0], scenario()[0])
	_, errs := c.SendBatch(ctx, msgs)
	assert.Equal(t, make([]error, 3), errs)
	require.NoError(t, c.Quit(ctx))
	conn.mu.Lock()
	defer conn.mu.Unlock()
	var writes []string
	for _, w := range conn.writes {
		writes = append(writes, string(w))
	}
	body := "Subject: 0\r\n\r\nbody\r\n.\r\n"
	envelope := "MAIL FROM:<s@x.test>\r\nRCPT TO:<a@x.test>\r\nDATA\r\n"
	assert.Equal(t, []string{"EHLO client.test\r\n", envelope, body + envelope, body + envelope, body, "QUIT\r\n"}, writes)
}

// TestSendEachStops: next is not called again after the connection is
// lost; a context cancelled between messages ends the batch with its
// error; a Client left unusable refuses the next batch.
func TestSendEachStops(t *testing.T) {
	c, err := NewClient(context.Background(), scripted(t, reactive(map[int]string{1: "421 4.3.2 bye"})), "mx.test:25", plainOpts...)
	require.NoError(t, err)
	calls, reported := 0, 0
	err = c.SendEach(context.Background(), func() (Message, bool) {
		calls++
		return scenario()[0], true
	}, func(int, *Result, error) { reported++ })
	var re *reply.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, reply.Code(421), re.Code)
	assert.Equal(t, 2, calls, "message 1 under way, message 2's envelope queued")
	assert.Equal(t, 2, reported)
	require.ErrorIs(t, c.SendEach(context.Background(), nil, nil), err)

	c, err = NewClient(context.Background(), scripted(t, reactive(nil)), "mx.test:25", plainOpts...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls = 0
	var errs []error
	err = c.SendEach(ctx, func() (Message, bool) {
		calls++
		if calls == 3 {
			cancel()
		}
		return scenario()[0], true
	}, func(i int, _ *Result, err error) {
		if i == 2 {
			errs = append(errs, err)
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, calls)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], context.Canceled)
}
