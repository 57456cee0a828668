package state

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// awaitStage brings a fresh Client (under TLS, AllowInsecureAuth) to the
// point where one command of the named stage awaits its reply, with
// nothing left in Output.
func awaitStage(h *harness, stage string) {
	h.t.Helper()
	envelope := func() {
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
		require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
		h.out()
		h.recv("250 ok\r\n250 ok\r\n")
	}
	switch stage {
	case "greeting":
	case "EHLO":
		h.one("220 mx.example.com\r\n")
		require.NoError(h.t, h.c.Hello())
	case "MAIL":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
	case "RCPT":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
		h.out()
		h.one("250 ok\r\n")
		require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	case "DATA":
		envelope()
		require.NoError(h.t, h.c.Data())
	case "end of data":
		envelope()
		require.NoError(h.t, h.c.Data())
		h.out()
		h.one("354 go\r\n")
		require.NoError(h.t, h.c.Body([]byte("x\r\n")))
		require.NoError(h.t, h.c.EndData())
	case "BDAT":
		envelope()
		require.NoError(h.t, h.c.Bdat([]byte("x"), false))
	case "BDAT LAST":
		envelope()
		require.NoError(h.t, h.c.Bdat([]byte("x"), true))
	case "AUTH":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Auth("LOGIN", nil, false))
	case "STARTTLS":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.StartTLS())
	case "XCLIENT":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Xclient(wire.XAttrs{Addr: []byte("192.0.2.1")}))
	case "QUIT":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Quit())
	case "VRFY":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Vrfy([]byte("user")))
	case "NOOP":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Noop())
	case "body":
		envelope()
		require.NoError(h.t, h.c.Data())
		h.out()
		h.one("354 go\r\n")
	default:
		h.t.Fatalf("no stage %q", stage)
	}
	h.out()
}

func TestClientReplyClasses(t *testing.T) {
	tests := []struct {
		stage   string
		reply   string
		kind    ClientEventKind
		verdict Verdict
		phase   Phase
		out     string // what the Client sends by itself
		err     error
		hints   Hint
	}{
		// SPEC 2.4a, row by row.
		{"greeting", "220 mx ready", ClientEventGreeting, VerdictProceed, PhaseGreeted, "", nil, 0},
		{"greeting", "354 what", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"greeting", "421 busy", ClientEventClosed, VerdictClose, PhaseClosed, "", ErrClosed, 0},
		{"greeting", "450 later", ClientEventGreeting, VerdictQuit, PhaseRefused, "QUIT\r\n", nil, 0},
		{"greeting", "554 no SMTP here", ClientEventGreeting, VerdictQuit, PhaseRefused, "QUIT\r\n", nil, 0},
		{"EHLO", "250 mx", ClientEventReply, VerdictProceed, PhaseReady, "", nil, 0},
		{"EHLO", "334 x", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"EHLO", "451 later", ClientEventReply, VerdictTempFail, PhaseGreeted, "", nil, 0},
		{"EHLO", "502 no", ClientEventReply, VerdictFallbackHELO, PhaseGreeted, "HELO client.example\r\n", nil, 0},
		{"MAIL", "250 ok", ClientEventReply, VerdictProceed, PhaseMail, "", nil, 0},
		{"MAIL", "354 what", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"MAIL", "451 later", ClientEventReply, VerdictTempFail, PhaseReady, "", nil, 0},
		{"MAIL", "550 no", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, 0},
		{"MAIL", "259 odd", ClientEventReply, VerdictProceed, PhaseMail, "", nil, 0},
		{"RCPT", "251 forwarded to <x@example.com>", ClientEventReply, VerdictProceed, PhaseRcpt, "", nil, HintForwardPath},
		{"RCPT", "452 too many", ClientEventReply, VerdictTempFail, PhaseMail, "", nil, HintNewTransaction},
		{"RCPT", "552 too many", ClientEventReply, VerdictTempFail, PhaseMail, "", nil, HintNewTransaction},
		{"RCPT", "550 unknown", ClientEventReply, VerdictPermFail, PhaseMail, "", nil, 0},
		{"DATA", "250 ok", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"DATA", "354 go", ClientEventGoAhead, VerdictContinue, PhaseData, "", nil, 0},
		{"DATA", "451 later", ClientEventReply, VerdictTempFail, PhaseRcpt, "", nil, 0},
		{"DATA", "554 no", ClientEventReply, VerdictPermFail, PhaseRcpt, "", nil, 0},
		{"end of data", "250 queued", ClientEventReply, VerdictProceed, PhaseReady, "", nil, HintServerResponsible},
		{"end of data", "354 what", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"end of data", "451 later", ClientEventReply, VerdictTempFail, PhaseReady, "", nil, HintClientResponsible},
		{"end of data", "554 no", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, HintClientResponsible},
		{"end of data", "421 bye", ClientEventClosed, VerdictClose, PhaseClosed, "", ErrClosed, HintClientResponsible},
		{"BDAT", "250 ok", ClientEventReply, VerdictProceed, PhaseBDAT, "", nil, 0},
		{"BDAT", "552 big", ClientEventReply, VerdictPermFail, PhaseRcpt, "", nil, 0},
		{"BDAT LAST", "250 queued", ClientEventReply, VerdictProceed, PhaseReady, "", nil, HintServerResponsible},
		{"BDAT LAST", "451 later", ClientEventReply, VerdictTempFail, PhaseReady, "", nil, HintClientResponsible},
		{"AUTH", "235 ok", ClientEventReply, VerdictAuthenticated, PhaseReady, "", nil, 0},
		{"AUTH", "334 VXNlcm5hbWU6", ClientEventChallenge, VerdictContinue, PhaseAuth, "", nil, 0},
		{"AUTH", "454 later", ClientEventReply, VerdictTempFail, PhaseReady, "", nil, 0},
		{"AUTH", "535 bad", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, 0},
		{"STARTTLS", "220 go", ClientEventReply, VerdictStartTLS, PhaseTLS, "", nil, 0},
		{"STARTTLS", "454 later", ClientEventReply, VerdictTempFail, PhaseReady, "", nil, 0},
		{"STARTTLS", "501 no", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, 0},
		{"STARTTLS", "354 what", ClientEventError, VerdictProtocolError, PhaseClosed, "", ErrProtocol, 0},
		{"XCLIENT", "220 new session", ClientEventReply, VerdictReset, PhaseGreeted, "", nil, 0},
		{"XCLIENT", "550 no", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, 0},
		{"QUIT", "221 bye", ClientEventClosed, VerdictClose, PhaseClosed, "", nil, 0},
		{"QUIT", "500 what", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, 0}, // RFC 5321 4.1.1.10: only 221 closes
		{"VRFY", "252 cannot", ClientEventReply, VerdictProceed, PhaseReady, "", nil, 0},
		{"VRFY", "551 try <x@example.com>", ClientEventReply, VerdictPermFail, PhaseReady, "", nil, HintForwardPath},
		{"NOOP", "250 ok", ClientEventReply, VerdictProceed, PhaseReady, "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.stage+"/"+tt.reply, func(t *testing.T) {
			h := newHarness(t, ClientConfig{TLS: tt.stage != "STARTTLS", AllowInsecureAuth: true})
			awaitStage(h, tt.stage)
			ev := h.one(tt.reply + "\r\n")
			assert.Equal(t, tt.kind, ev.Kind, "%v", ev)
			assert.Equal(t, tt.verdict, ev.Judgment.Verdict)
			assert.Equal(t, tt.hints, ev.Judgment.Hints)
			assert.Equal(t, tt.phase, h.c.Phase())
			assert.Equal(t, tt.out, h.out())
			code, _, _ := strings.Cut(tt.reply, " ")
			assert.Equal(t, code, ev.Code.String())
			if tt.err == nil {
				assert.NoError(t, ev.Err)
				assert.NoError(t, h.c.Err())
				return
			}
			assert.ErrorIs(t, ev.Err, tt.err)
			assert.Same(t, ev.Err, h.c.Err())
			if tt.err == ErrClosed {
				var re *reply.Error
				require.True(t, errors.As(ev.Err, &re))
				assert.Equal(t, reply.CodeServiceNotAvailable, re.Code)
			}
		})
	}
}

func TestClientUnlistedCode(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	awaitStage(h, "MAIL")
	ev := h.one("259 2.0.0 fine\r\n")
	assert.Equal(t, VerdictProceed, ev.Judgment.Verdict, "acted on by its first digit (RFC 5321 4.2)")
	assert.False(t, ev.Judgment.Listed)
	assert.Equal(t, PhaseMail, h.c.Phase())
}

func TestClient421Anywhere(t *testing.T) {
	for _, stage := range []string{"greeting", "EHLO", "MAIL", "RCPT", "DATA", "end of data", "BDAT", "AUTH",
		"STARTTLS", "XCLIENT", "VRFY", "NOOP", "body"} {
		t.Run(stage, func(t *testing.T) {
			h := newHarness(t, ClientConfig{TLS: stage != "STARTTLS", AllowInsecureAuth: true})
			awaitStage(h, stage)
			ev := h.one("421 4.3.2 mx.example.com shutting down\r\n")
			assert.Equal(t, ClientEventClosed, ev.Kind)
			assert.Equal(t, VerdictClose, ev.Judgment.Verdict)
			assert.Equal(t, reply.E(4, 3, 2), ev.Enhanced)
			require.ErrorIs(t, ev.Err, ErrClosed)
			var re *reply.Error
			require.True(t, errors.As(ev.Err, &re))
			assert.True(t, re.Temporary())
			assert.Equal(t, PhaseClosed, h.c.Phase())
			assert.Nil(t, h.c.Output())
			assert.Same(t, ev.Err, h.c.Rset())
			assert.Equal(t, ClientEvent{}, h.c.Next())
			if stage == "body" {
				assert.Equal(t, StageNone, ev.Stage, "421 with nothing awaited (RFC 5321 3.8)")
			}
		})
	}
}

func TestClientViolations(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ClientConfig
		stage string
		input string
		rule  string
		cause error
	}{
		{"reply answering nothing", ClientConfig{}, "NOOP", "250 ok\r\n250 again\r\n", "RFC 5321 4.2", nil},
		{"code mismatch", ClientConfig{}, "MAIL", "250-first\r\n251 second\r\n", "RFC 5321 4.2.1", reply.ErrCodeMismatch},
		{"malformed code", ClientConfig{}, "MAIL", "25O ok\r\n", "RFC 5321 4.2", wire.ErrSyntax},
		{"first digit 1", ClientConfig{}, "MAIL", "150 ok\r\n", "RFC 5321 4.2", wire.ErrSyntax},
		{"line too long", ClientConfig{}, "MAIL", "250 " + strings.Repeat("x", 600) + "\r\n", "RFC 5321 4.5.3.1.5", wire.ErrLineTooLong},
		{"endless line: no CRLF needed", ClientConfig{}, "MAIL", "250 " + strings.Repeat("x", 600), "RFC 5321 4.5.3.1.5", wire.ErrLineTooLong},
		{"bare LF", ClientConfig{}, "MAIL", "250 ok\n250 more\r\n", "RFC 5321 2.3.8", wire.ErrBareLF},
		{"too many lines", ClientConfig{MaxReplyLines: 20}, "MAIL", strings.Repeat("250-a\r\n", 20) + "250 d\r\n", "RFC 5321 4.5.3.1", reply.ErrReplyTooLong},
		{"2yz to DATA", ClientConfig{}, "DATA", "250 ok\r\n", "RFC 5321 4.3.2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			awaitStage(h, tt.stage)
			evs := h.recv(tt.input)
			require.NotEmpty(t, evs)
			ev := evs[len(evs)-1]
			assert.Equal(t, ClientEventError, ev.Kind)
			require.ErrorIs(t, ev.Err, ErrProtocol)
			var v *Violation
			require.True(t, errors.As(ev.Err, &v))
			assert.Equal(t, SideServer, v.Side)
			assert.Equal(t, tt.rule, v.Rule)
			if tt.cause != nil {
				assert.ErrorIs(t, ev.Err, tt.cause)
			}
			assert.Same(t, ev.Err, h.c.Err())
			assert.Nil(t, h.c.Output())
		})
	}
}

func TestClientMultiLine(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	awaitStage(h, "MAIL")
	ev := h.one("250-2.1.0 first\r\n250-2.1.0 second\r\n250-third\r\n250\r\n")
	assert.Equal(t, reply.E(2, 1, 0), ev.Enhanced)
	assert.Equal(t, "first\nsecond\nthird\n", string(ev.Text))
	assert.Equal(t, reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 0), Text: "first\nsecond\nthird\n"}, ev.Reply())

	require.NoError(t, h.c.Help(nil))
	h.out()
	ev = h.one("214-234 Text beginning with numbers\r\n214 end\r\n")
	assert.True(t, ev.Enhanced.IsZero(), "RFC 5321 4.2: 234 is text")
	assert.Equal(t, "234 Text beginning with numbers\nend", string(ev.Text))
}

func TestClientBareLinesPolicy(t *testing.T) {
	h := newHarness(t, ClientConfig{BareLines: wire.BareNormalize})
	awaitStage(h, "MAIL")
	ev := h.one("250-ok\n250 fine\r\n")
	assert.Equal(t, ClientEventReply, ev.Kind)
	assert.Equal(t, "ok\nfine", string(ev.Text))
}

func TestClientCapabilities(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet("250-mx.example.com hello\r\n250-PIPELINING\r\n250-BAD_KEYWORD\r\n250-SIZE 2048\r\n250 LIMITS RCPTMAX=7\r\n")
	caps := h.c.Capabilities()
	assert.True(t, caps.Has(wire.ExtPIPELINING))
	assert.True(t, caps.Has(wire.ExtLIMITS), "a bad keyword line is skipped, later ones count")
	max, ok := caps.Size()
	assert.True(t, ok)
	assert.Equal(t, uint64(2048), max)
	assert.Equal(t, 7, h.c.limits().RcptMax)

	// A second EHLO replaces the capabilities only when it succeeds.
	require.NoError(t, h.c.Hello())
	h.out()
	h.one("451 later\r\n")
	assert.True(t, h.c.Capabilities().Has(wire.ExtPIPELINING))
	require.NoError(t, h.c.Hello())
	h.out()
	h.one("250-mx.example.com\r\n250 8BITMIME\r\n")
	assert.False(t, h.c.Capabilities().Has(wire.ExtPIPELINING))
	assert.True(t, h.c.Capabilities().Has(wire.Ext8BITMIME))
	assert.Zero(t, h.c.limits())
}

func TestClientEOF(t *testing.T) {
	tests := []struct {
		name    string
		stage   string
		input   string
		verdict Verdict
		hints   Hint
		err     bool
	}{
		{"awaiting MAIL", "MAIL", "", VerdictTempFail, 0, true},
		{"mid reply", "MAIL", "250-partial\r\n250 no end", VerdictTempFail, 0, true},
		{"awaiting end of data", "end of data", "", VerdictTempFail, HintClientResponsible, true},
		{"awaiting QUIT", "QUIT", "", VerdictClose, 0, false},
		{"nothing awaited", "body", "", VerdictClose, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, ClientConfig{})
			awaitStage(h, tt.stage)
			h.c.Receive([]byte(tt.input))
			h.c.ReceiveEOF()
			evs := h.drain()
			require.Len(t, evs, 1)
			ev := evs[0]
			assert.Equal(t, ClientEventClosed, ev.Kind)
			assert.Equal(t, tt.verdict, ev.Judgment.Verdict)
			assert.Equal(t, tt.hints, ev.Judgment.Hints)
			if tt.verdict == VerdictTempFail {
				assert.Equal(t, reply.CodeLocalError, ev.Judgment.Code, "taken as 451 (RFC 5321 3.8)")
			}
			if tt.err {
				assert.ErrorIs(t, ev.Err, ErrClosed)
			} else {
				assert.NoError(t, ev.Err)
			}
			assert.Equal(t, ev.Err, h.c.Err())
		})
	}
	t.Run("replies before the end", func(t *testing.T) {
		h := newHarness(t, ClientConfig{})
		awaitStage(h, "MAIL")
		h.c.Receive([]byte("250 ok\r\n"))
		h.c.ReceiveEOF()
		assert.Equal(t, []ClientEventKind{ClientEventReply, ClientEventClosed}, kinds(h.drain()))
	})
}

func TestClientChunking(t *testing.T) {
	input := "220 mx.example.com\r\n250-mx.example.com\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n" +
		"250 2.1.0 ok\r\n250-2.1.5 ok\r\n250 2.1.5 really\r\n250 2.1.5 ok\r\n354 go\r\n250 2.0.0 queued\r\n221 bye\r\n"
	run := func(chunk int) (events []string, sent string) {
		h := newHarness(t, ClientConfig{})
		for i := 0; i < len(input); i += chunk {
			h.c.Receive([]byte(input[i:min(i+chunk, len(input))]))
			for ev := h.c.Next(); ev.Kind != ClientEventNone; ev = h.c.Next() {
				events = append(events, ev.String()+" "+string(ev.Text))
				switch ev.Kind {
				case ClientEventGreeting:
					require.NoError(t, h.c.Hello())
				case ClientEventGoAhead:
					require.NoError(t, h.c.Body([]byte("hi\r\n")))
					require.NoError(t, h.c.EndData())
					require.NoError(t, h.c.Quit())
				}
				if ev.Stage == StageEhlo {
					queueEnvelope(t, h.c)
				}
				sent += h.out()
			}
		}
		return events, sent
	}
	wantEvents, wantSent := run(len(input))
	require.Len(t, wantEvents, 8)
	assert.Equal(t, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"+
		"RCPT TO:<c@example.net>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n", wantSent)
	for _, n := range []int{1, 2, 3, 7} {
		events, sent := run(n)
		assert.Equal(t, wantEvents, events, "chunk %d", n)
		assert.Equal(t, wantSent, sent, "chunk %d", n)
	}
}

func TestClientLMTP(t *testing.T) {
	setup := func(t *testing.T) *harness {
		h := newHarness(t, ClientConfig{Protocol: ProtocolLMTP})
		h.greet("250-lmtp.example.com\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 ENHANCEDSTATUSCODES\r\n")
		require.NoError(t, h.c.Mail([]byte("a@example.org"), wire.MailParams{}))
		for _, to := range []string{"b@example.net", "c@example.net", "d@example.net"} {
			require.NoError(t, h.c.Rcpt([]byte(to), wire.RcptParams{}))
		}
		return h
	}
	t.Run("DATA", func(t *testing.T) {
		h := setup(t)
		require.NoError(t, h.c.Data())
		h.out()
		evs := h.recv("250 ok\r\n250 ok\r\n550 5.1.1 no\r\n250 ok\r\n354 go\r\n")
		require.Len(t, evs, 5)
		require.NoError(t, h.c.Body([]byte("hi\r\n")))
		require.NoError(t, h.c.EndData())
		h.out()
		// RFC 2033 section 4.2: one reply per accepted RCPT, in order.
		evs = h.recv("250 2.0.0 b ok\r\n452 4.2.2 d over quota\r\n")
		require.Len(t, evs, 2)
		assert.Equal(t, []int{0, 2}, []int{evs[0].Recipient, evs[1].Recipient})
		assert.Equal(t, StageEndOfData, evs[1].Stage)
		assert.Equal(t, VerdictTempFail, evs[1].Judgment.Verdict)
		assert.Equal(t, PhaseReady, h.c.Phase())
		assert.Equal(t, 0, h.c.Outstanding())
		require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	})
	t.Run("BDAT pipelined", func(t *testing.T) {
		h := setup(t)
		require.NoError(t, h.c.Bdat([]byte("hi\r\n"), true))
		assert.Contains(t, h.out(), "BDAT 4 LAST\r\nhi\r\n")
		evs := h.recv("250 ok\r\n550 no\r\n250 ok\r\n250 ok\r\n250 b\r\n")
		require.Len(t, evs, 5)
		assert.Equal(t, 1, h.c.Outstanding(), "a reply for d is still awaited")
		ev := h.one("250 d\r\n")
		assert.Equal(t, 2, ev.Recipient)
		assert.Equal(t, StageBDATLast, ev.Stage)
		assert.Equal(t, 0, h.c.Outstanding())
	})
	t.Run("no recipient accepted", func(t *testing.T) {
		h := setup(t)
		require.NoError(t, h.c.Bdat(nil, true))
		h.out()
		evs := h.recv("250 ok\r\n550 no\r\n550 no\r\n550 no\r\n554 5.5.1 no valid recipients\r\n")
		require.Len(t, evs, 5)
		assert.Equal(t, -1, evs[4].Recipient)
		assert.Equal(t, 0, h.c.Outstanding())
	})
	t.Run("421 between recipients", func(t *testing.T) {
		h := setup(t)
		require.NoError(t, h.c.Bdat([]byte("x"), true))
		h.out()
		evs := h.recv("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 b\r\n421 4.3.0 bye\r\n")
		require.Len(t, evs, 6)
		assert.Equal(t, ClientEventClosed, evs[5].Kind)
		assert.Equal(t, 1, evs[5].Recipient)
		assert.True(t, evs[5].Judgment.Hints.Has(HintClientResponsible))
	})
}
