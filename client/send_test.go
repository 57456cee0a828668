package client

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

func TestSendPipelining(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exts      []wire.Ext
		oneWrite  bool
		wantReads int
	}{
		{"pipelined", []wire.Ext{wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES}, true, 0},
		{"lock-step", []wire.Ext{wire.ExtENHANCEDSTATUSCODES}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
			require.NoError(t, err)
			res, err := c.Send(context.Background(), Envelope{From: "alice@example.org",
				To: []string{"bob@example.net", "carol@example.net"}}, strings.NewReader("Subject: hi\r\n\r\n.dot\r\n"))
			require.NoError(t, err)
			assert.Equal(t, 2, res.Delivered())
			assert.Equal(t, reply.Code(250), res.Reply.Code)
			require.NoError(t, c.Quit(context.Background()))
			msgs := ts.messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, "Subject: hi\r\n\r\n.dot\r\n", msgs[0].Body)
			assert.Equal(t, []string{"bob@example.net", "carol@example.net"}, msgs[0].To)
			one := false
			for _, r := range ts.reads {
				one = one || strings.Contains(r, "MAIL FROM") && strings.Contains(r, "RCPT TO") && strings.Contains(r, "DATA\r\n")
			}
			assert.Equal(t, tc.oneWrite, one, "MAIL, RCPT and DATA in one write: %q", ts.reads)
		})
	}
}

func TestSendRecipientFailures(t *testing.T) {
	ts := newTestServer(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES)
	ts.decide = refuseByLocal
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	res, err := c.Send(context.Background(), Envelope{From: "a@x.test",
		To: []string{"ok@y.test", "550x@y.test", "451x@y.test"}}, strings.NewReader("hi\r\n"))
	var se *SendError
	require.ErrorAs(t, err, &se)
	assert.Nil(t, se.Reply)
	require.Len(t, se.Failed, 2)
	assert.Equal(t, "550x@y.test", se.Failed[0].Addr)
	assert.Equal(t, reply.Code(550), se.Failed[0].Reply.Code)
	assert.Equal(t, "5.1.1", se.Failed[0].Reply.Enhanced.String())
	assert.Equal(t, "no such user", se.Failed[0].Reply.Text)
	assert.False(t, se.Temporary())
	assert.Contains(t, se.Error(), "550x@y.test: 550 5.1.1 no such user")
	assert.Equal(t, 1, res.Delivered())
	assert.True(t, res.Recipients[0].Delivered)
	var re *reply.Error
	require.ErrorAs(t, err, &re)

	// Every recipient refused: the message is refused, the session goes on.
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"550y@y.test"}}, strings.NewReader("hi\r\n"))
	require.ErrorAs(t, err, &se)
	assert.Len(t, se.Failed, 1)
	require.NoError(t, c.Noop(context.Background()))
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"ok@y.test"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	assert.Len(t, ts.messages(), 2)
}

func TestSendSize(t *testing.T) {
	ts := newTestServer(wire.ExtSIZE, wire.ExtPIPELINING)
	ts.cfg.MaxMessageSize = 100
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, bytes.NewReader(bodyOf(640)))
	var ze *SizeError
	require.ErrorAs(t, err, &ze)
	assert.Equal(t, uint64(100), ze.Max)
	assert.False(t, Temporary(err))
	assert.Zero(t, ts.count(wire.VerbMAIL), "nothing sent")
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	assert.Contains(t, ts.messages()[0].Mail, "SIZE=4")
}

func TestSendDSN(t *testing.T) {
	ts := newTestServer(wire.ExtDSN, wire.ExtREQUIRETLS, wire.ExtPIPELINING)
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	env := Envelope{From: "a@x.test", To: []string{"b@y.test", "c@y.test"},
		Params:     wire.MailParams{Ret: wire.RetHdrs, EnvID: []byte("QQ314159")},
		RcptParams: wire.RcptParams{Notify: wire.NotifyFailure | wire.NotifyDelay},
	}
	env.PerRcpt = []wire.RcptParams{env.RcptParams,
		{Notify: wire.NotifyNever, ORCPT: wire.ORCPT{AddrType: []byte("rfc822"), Addr: []byte("c@y.test")}}}
	_, err = c.Send(context.Background(), env, strings.NewReader("hi\r\n"))
	require.NoError(t, err)
	m := ts.messages()[0]
	assert.Equal(t, "FROM:<a@x.test> RET=HDRS ENVID=QQ314159", m.Mail)
	assert.Equal(t, []string{"TO:<b@y.test> NOTIFY=FAILURE,DELAY", "TO:<c@y.test> NOTIFY=NEVER ORCPT=rfc822;c@y.test"}, m.Rcpts)

	// REQUIRETLS is offered only under TLS (RFC 8689 section 4): refused
	// by the machine before anything is sent.
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"},
		Params: wire.MailParams{RequireTLS: true}}, strings.NewReader("hi\r\n"))
	require.ErrorIs(t, err, state.ErrNotAdvertised)
}

func TestLMTP(t *testing.T) {
	ts := newTestServer()
	ts.cfg.Protocol = state.ProtocolLMTP
	ts.decide = func(ev state.Event) reply.Reply {
		if ev.Kind == state.EventMessage && strings.HasPrefix(string(ev.Mailbox), "full") {
			return reply.Reply{Code: 452, Enhanced: reply.Enhanced{Class: 4, Subject: 2, Detail: 2}, Text: "mailbox full"}
		}
		return refuseByLocal(ev)
	}
	c, err := dialPipe(t, ts, "mx.test:24", append([]Option{WithLMTP()}, plainOpts...)...)
	require.NoError(t, err)
	res, err := c.Send(context.Background(), Envelope{From: "a@x.test",
		To: []string{"ok@y.test", "550@y.test", "full@y.test", "ok2@y.test"}}, strings.NewReader("hi\r\n"))
	var se *SendError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failed, 2)
	assert.Equal(t, "550@y.test", se.Failed[0].Addr)
	assert.Equal(t, "full@y.test", se.Failed[1].Addr)
	assert.Equal(t, "mailbox full", se.Failed[1].Reply.Text)
	assert.Equal(t, []bool{true, false, false, true},
		[]bool{res.Recipients[0].Delivered, res.Recipients[1].Delivered, res.Recipients[2].Delivered, res.Recipients[3].Delivered})
	assert.Equal(t, 1, ts.count(wire.VerbLHLO))
}

func TestSendBareLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy wire.BarePolicy
		bdat   bool
		want   string
		err    error
	}{
		{"DATA reject", wire.BareReject, false, "", wire.ErrBareLF},
		{"DATA normalize", wire.BareNormalize, false, "a\r\nb\r\n", nil},
		{"BDAT reject", wire.BareReject, true, "", wire.ErrBareLF},
		{"BDAT normalize", wire.BareNormalize, true, "a\r\nb\r\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exts := []wire.Ext{wire.ExtPIPELINING}
			if tc.bdat {
				exts = append(exts, wire.ExtCHUNKING)
			}
			ts := newTestServer(exts...)
			c, err := dialPipe(t, ts, "mx.test:25", append([]Option{WithBareLines(tc.policy)}, plainOpts...)...)
			require.NoError(t, err)
			_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("a\nb\r\n"))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Empty(t, ts.messages())
				// Found before the content: RSET, and the session goes on.
				require.NoError(t, c.Noop(context.Background()))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, ts.messages()[0].Body)
		})
	}
}

// TestSendLockStepEnvelope: without PIPELINING the client waits for each
// reply. After a 4yz or 5yz to MAIL "the sender should return to the
// beginning of the command sequence" (RFC 5321 section 4.2.1): no RCPT,
// no DATA. With every RCPT refused no DATA follows (section 3.3).
func TestSendLockStepEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mail     reply.Code
		to       []string
		wantSent []string // verbs on the wire after EHLO, in order
		reply    reply.Code
		failed   []reply.Code
	}{
		{"MAIL 451", 451, []string{"b@y.test", "c@y.test"}, []string{"MAIL", "NOOP"}, 451, []reply.Code{451, 451}},
		{"MAIL 550", 550, []string{"b@y.test"}, []string{"MAIL", "NOOP"}, 550, []reply.Code{550}},
		{"every RCPT refused", 0, []string{"550a@y.test", "451b@y.test"}, []string{"MAIL", "RCPT", "RCPT", "RSET", "NOOP"}, 0, []reply.Code{550, 451}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(wire.ExtENHANCEDSTATUSCODES)
			ts.decide = func(ev state.Event) reply.Reply {
				if ev.Kind == state.EventMail && tc.mail != 0 {
					return reply.Reply{Code: tc.mail, Text: "not now"}
				}
				return refuseByLocal(ev)
			}
			c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
			require.NoError(t, err)
			ctx := context.Background()
			res, err := c.Send(ctx, Envelope{From: "a@x.test", To: tc.to}, strings.NewReader("hi\r\n"))
			var se *SendError
			require.ErrorAs(t, err, &se)
			if tc.reply != 0 {
				require.NotNil(t, se.Reply)
				assert.Equal(t, tc.reply, se.Reply.Code)
				assert.Equal(t, "MAIL", se.Reply.Command)
			} else {
				assert.Nil(t, se.Reply)
			}
			require.Len(t, se.Failed, len(tc.failed))
			for i, code := range tc.failed {
				assert.Equal(t, code, se.Failed[i].Reply.Code)
			}
			assert.Zero(t, res.Delivered())
			require.NoError(t, c.Noop(ctx), "the Client stays usable")
			var sent []string
			for _, r := range ts.reads {
				for _, line := range strings.Split(strings.TrimSuffix(r, "\r\n"), "\r\n") {
					if verb, _, _ := strings.Cut(line, " "); verb != "EHLO" {
						sent = append(sent, verb)
					}
				}
			}
			assert.Equal(t, tc.wantSent, sent)
		})
	}
}

// TestSendRcptAfterRefusedMail: a server that refuses MAIL and then
// accepts the pipelined RCPT and DATA has no transaction to add the
// recipient to (RFC 5321 sections 3.3 and 4.1.4). The client answers the
// 354 with an empty message, reports the recipient failed with the MAIL
// reply, and returns a *SendError (found by fuzz.FuzzClientSession).
func TestSendRcptAfterRefusedMail(t *testing.T) {
	for _, lmtp := range []bool{false, true} {
		var srv *scriptServer
		conn := scripted(t, func(s *scriptServer) {
			srv = s
			s.open("PIPELINING")
			for range 3 { // MAIL, RCPT, DATA
				s.line()
			}
			s.say("550 5.7.1 no", "250 2.1.5 ok", "354 go ahead")
			s.line()
			s.say("250 2.0.0 queued")
			s.line()
			s.say("221 bye")
		})
		opts := plainOpts
		if lmtp {
			opts = append(opts[:len(opts):len(opts)], WithLMTP())
		}
		ctx := context.Background()
		c, err := NewClient(ctx, conn, "mx.test:25", opts...)
		require.NoError(t, err)
		res, err := c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader("hi\r\n"))
		var se *SendError
		require.ErrorAs(t, err, &se, "lmtp %v", lmtp)
		require.NotNil(t, se.Reply)
		assert.Equal(t, "MAIL", se.Reply.Command)
		require.Len(t, se.Failed, 1)
		assert.Equal(t, reply.Code(550), se.Failed[0].Reply.Code)
		assert.Zero(t, res.Delivered())
		require.NoError(t, c.Quit(ctx))
		cmds := srv.commands()
		assert.Equal(t, []string{"DATA", ".", "QUIT"}, cmds[len(cmds)-3:], "no content")
	}
}
