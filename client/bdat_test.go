package client

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

func TestSendBDAT(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   []byte
		binary bool
		chunk  int
	}{
		{"one chunk", []byte("Subject: x\r\n\r\nhello\r\n"), false, 0},
		{"many chunks", bodyOf(10000), false, 1000},
		{"no final CRLF", []byte("Subject: x\r\n\r\nhello"), false, 0},
		{"binary", []byte("\x00\x01bin\nary\r"), true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(wire.ExtPIPELINING, wire.ExtCHUNKING, wire.ExtBINARYMIME, wire.Ext8BITMIME)
			opts := append([]Option{WithChunkSize(tc.chunk)}, plainOpts...)
			c, err := dialPipe(t, ts, "mx.test:25", opts...)
			require.NoError(t, err)
			_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}, Binary: tc.binary},
				bytes.NewReader(tc.body))
			require.NoError(t, err)
			msgs := ts.messages()
			require.Len(t, msgs, 1)
			want := string(tc.body)
			if !tc.binary && !strings.HasSuffix(want, "\r\n") {
				want += "\r\n"
			}
			assert.Equal(t, want, msgs[0].Body)
			assert.Equal(t, tc.binary, msgs[0].Binary)
			assert.Zero(t, ts.count(wire.VerbDATA))
		})
	}
}

// bdatSession serves MAIL and RCPT (answered at once, or after the first
// chunk when pipelined), refuses the first BDAT chunk with 554 and answers
// every chunk still in flight the same way, then RSET and QUIT. It
// returns the chunks it read, "LAST" marking the last one.
func bdatSession(t *testing.T, pipelined bool, rcptReply string, chunks *[]string) func(s *scriptServer) {
	return func(s *scriptServer) {
		keywords := []string{"CHUNKING"}
		if pipelined {
			keywords = append(keywords, "PIPELINING")
		}
		s.open(keywords...)
		envelope := []string{"250 2.1.0 OK", rcptReply}
		s.line() // MAIL
		if !pipelined {
			s.say(envelope[0])
		}
		s.line() // RCPT
		if !pipelined {
			s.say(envelope[1])
		}
		first := true
		for {
			l := s.line()
			var n int
			if _, err := fmt.Sscanf(l, "BDAT %d", &n); err != nil {
				break
			}
			s.readN(n)
			*chunks = append(*chunks, l)
			if first && !pipelined {
				// RFC 5321 section 4.3.1: the client waits for the reply.
				assert.True(t, s.quiet(50*time.Millisecond), "the client sent more before the reply to the chunk")
			}
			if first && pipelined {
				s.say(envelope...)
			}
			if first {
				s.say("554 5.6.0 chunk refused")
			} else {
				s.say("554 5.5.0 discarded after a refused chunk") // RFC 3030 section 2
			}
			first = false
		}
		for l := s.commands()[len(s.commands())-1]; l != ""; l = s.line() {
			switch l {
			case "RSET":
				s.say("250 2.0.0 OK")
			case "QUIT":
				s.say("221 2.0.0 Bye")
				return
			default:
				s.say("503 5.5.1 unexpected")
			}
		}
	}
}

// TestSendBDATRefusedChunk: "If a 5XX or 4XX code is received by the
// sender-SMTP in response to a BDAT chunk, the transaction should be
// considered failed and the sender-SMTP MUST NOT send any additional BDAT
// segments" (RFC 3030 section 2). Without PIPELINING each chunk waits for
// the reply to the one before; with it a few are in flight, none is sent
// after the refusal is read, and RSET ends the transaction.
func TestSendBDATRefusedChunk(t *testing.T) {
	body := bodyOf(20000) // 20 chunks of 1000 octets
	for _, tc := range []struct {
		name      string
		pipelined bool
		rcpt      string
		maxChunks int
		reply     reply.Code // the SendError's Reply, 0 for none
	}{
		{"lock-step", false, "250 2.1.5 OK", 1, 554},
		{"pipelined", true, "250 2.1.5 OK", 1 + pipelinedChunks, 554},
		// Every RCPT refused: the chunk's refusal is their consequence
		// (RFC 2920 section 3.1). The second chunk waits for the
		// envelope's replies, so only the first is sent (found by
		// fuzz.FuzzCheckerSessions).
		{"pipelined, recipient refused", true, "550 5.1.1 no such user", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var chunks []string
			conn := scripted(t, bdatSession(t, tc.pipelined, tc.rcpt, &chunks))
			ctx := context.Background()
			c, err := NewClient(ctx, conn, "mx.test:25", append([]Option{WithChunkSize(1000)}, plainOpts...)...)
			require.NoError(t, err)
			_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, bytes.NewReader(body))
			var se *SendError
			require.ErrorAs(t, err, &se)
			if tc.reply == 0 {
				assert.Nil(t, se.Reply)
				require.Len(t, se.Failed, 1)
				assert.Equal(t, reply.Code(550), se.Failed[0].Reply.Code)
			} else {
				require.NotNil(t, se.Reply)
				assert.Equal(t, tc.reply, se.Reply.Code)
				assert.Equal(t, "BDAT", se.Reply.Command)
			}
			require.NoError(t, c.Quit(ctx), "the Client stays usable")
			require.NotEmpty(t, chunks)
			assert.LessOrEqual(t, len(chunks), tc.maxChunks, "%q", chunks)
			for _, ch := range chunks {
				assert.NotContains(t, ch, "LAST")
			}
		})
	}
}

// TestSendBDATLastRefusedResets: every recipient refused, the pipelined
// BDAT LAST gets 503 and the server's transaction stays open (its MAIL was
// accepted); the client ends it with RSET, so the next message's MAIL is
// not a nested one (RFC 3030 section 2; found by
// fuzz.FuzzCheckerSessions). Under LMTP too.
func TestSendBDATLastRefusedResets(t *testing.T) {
	for _, lmtp := range []bool{false, true} {
		ts := newTestServer(wire.ExtPIPELINING, wire.ExtCHUNKING, wire.ExtENHANCEDSTATUSCODES)
		ts.decide = refuseByLocal
		opts := plainOpts
		if lmtp {
			ts.cfg.Protocol = state.ProtocolLMTP
			opts = append(opts[:len(opts):len(opts)], WithLMTP())
		}
		c, err := dialPipe(t, ts, "mx.test:25", opts...)
		require.NoError(t, err)
		ctx := context.Background()
		_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"550x@y.test"}}, strings.NewReader("hi\r\n"))
		var se *SendError
		require.ErrorAs(t, err, &se, "lmtp %v", lmtp)
		res, err := c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
		require.NoError(t, err, "lmtp %v", lmtp)
		assert.Equal(t, 1, res.Delivered())
		require.NoError(t, c.Quit(ctx))
	}
}
