package state

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// fullEHLO is an EHLO reply offering every extension the Client checks.
const fullEHLO = "250-mx.example.com greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n" +
	"250-CHUNKING\r\n250-BINARYMIME\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\r\n" +
	"250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250-SMTPUTF8\r\n250-ETRN\r\n250-EXPN\r\n250-XCLIENT NAME ADDR\r\n" +
	"250-XFORWARD NAME ADDR\r\n250 LIMITS MAILMAX=2 RCPTMAX=3\r\n"

// plainEHLO is an EHLO reply without PIPELINING.
const plainEHLO = "250-mx.example.com\r\n250 8BITMIME\r\n"

// ct0 is the harness clock's start.
var ct0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// harness drives a Client with scripted replies.
type harness struct {
	t *testing.T
	c *Client
}

// newHarness returns a harness for a Client with cfg; Hostname defaults to
// client.example and the clock starts at ct0.
func newHarness(t *testing.T, cfg ClientConfig) *harness {
	t.Helper()
	if cfg.Hostname == "" {
		cfg.Hostname = "client.example"
	}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	c.Advance(ct0)
	return &harness{t: t, c: c}
}

// out returns and consumes what the Client has to write.
func (h *harness) out() string {
	b := h.c.Output()
	s := string(b)
	h.c.Consumed(len(b))
	return s
}

// recv gives the Client s and returns the events it causes, their Text
// copied.
func (h *harness) recv(s string) []ClientEvent {
	h.c.Receive([]byte(s))
	return h.drain()
}

// drain returns the events Next has, their Text copied.
func (h *harness) drain() []ClientEvent {
	var evs []ClientEvent
	for range 1000 {
		ev := h.c.Next()
		if ev.Kind == ClientEventNone {
			return evs
		}
		ev.Text = bytes.Clone(ev.Text)
		evs = append(evs, ev)
	}
	h.t.Fatal("Next never returned a zero event")
	return nil
}

// one gives the Client s and returns the single event it causes.
func (h *harness) one(s string) ClientEvent {
	h.t.Helper()
	evs := h.recv(s)
	require.Len(h.t, evs, 1, "events: %v", evs)
	return evs[0]
}

// greet runs the greeting and EHLO with ehlo as its reply.
func (h *harness) greet(ehlo string) {
	h.t.Helper()
	require.Equal(h.t, ClientEventGreeting, h.one("220 mx.example.com ESMTP\r\n").Kind)
	require.NoError(h.t, h.c.Hello())
	want := "EHLO client.example\r\n"
	if h.c.cfg.Protocol == ProtocolLMTP {
		want = "LHLO client.example\r\n"
	}
	require.Equal(h.t, want, h.out())
	ev := h.one(ehlo)
	require.Equal(h.t, VerdictProceed, ev.Judgment.Verdict, "%v", ev)
	require.Equal(h.t, PhaseReady, h.c.Phase())
}

// kinds lists the kinds of evs.
func kinds(evs []ClientEvent) []ClientEventKind {
	out := make([]ClientEventKind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

func TestNewClientConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  ClientConfig
		want string // part of the error, "" for success
	}{
		{"ok", ClientConfig{Hostname: "client.example"}, ""},
		{"address literal", ClientConfig{Hostname: "[192.0.2.1]"}, ""},
		{"lmtp", ClientConfig{Hostname: "c.example", Protocol: ProtocolLMTP}, ""},
		{"no hostname", ClientConfig{}, "Hostname"},
		{"bad hostname", ClientConfig{Hostname: "bad_host"}, "Hostname"},
		{"injection", ClientConfig{Hostname: "a.example\r\nMAIL"}, "Hostname"},
		{"protocol", ClientConfig{Hostname: "c.example", Protocol: 7}, "Protocol"},
		{"outstanding", ClientConfig{Hostname: "c.example", MaxOutstanding: -1}, "MaxOutstanding"},
		{"reply lines", ClientConfig{Hostname: "c.example", MaxReplyLines: -1}, "MaxReplyLines"},
		{"timeouts", ClientConfig{Hostname: "c.example", Timeouts: Timeouts{Mail: -1}}, "Timeouts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, PhaseGreeting, c.Phase())
				assert.Equal(t, 1, c.Outstanding(), "the greeting is awaited")
				assert.Equal(t, DefaultMaxOutstanding, c.cfg.MaxOutstanding)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Nil(t, c)
		})
	}
}

func TestClientSession(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	assert.Empty(t, h.out(), "the client waits for the greeting (RFC 5321 3.1)")
	assert.ErrorIs(t, h.c.Hello(), ErrBadSequence)
	h.greet(fullEHLO)
	caps := h.c.Capabilities()
	assert.True(t, caps.Has(wire.ExtPIPELINING))
	assert.Equal(t, "mx.example.com", string(caps.Domain()))
	assert.Equal(t, []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"}, caps.AuthMechanisms())

	require.NoError(t, h.c.Mail([]byte("a@example.org"), wire.MailParams{Size: 10, HasSize: true}))
	require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	require.NoError(t, h.c.Data())
	assert.Equal(t, "MAIL FROM:<a@example.org> SIZE=10\r\nRCPT TO:<b@example.net>\r\nDATA\r\n", h.out())
	evs := h.recv("250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n")
	require.Equal(t, []ClientEventKind{ClientEventReply, ClientEventReply, ClientEventGoAhead}, kinds(evs))
	assert.Equal(t, 0, evs[1].Recipient)
	assert.Equal(t, "ok", string(evs[1].Text))
	assert.Equal(t, PhaseData, h.c.Phase())
	require.NoError(t, h.c.Body([]byte("Subject: hi\r\n\r\n.dot\r\nno newline")))
	require.NoError(t, h.c.EndData())
	require.NoError(t, h.c.Quit())
	assert.Equal(t, "Subject: hi\r\n\r\n..dot\r\nno newline\r\n.\r\nQUIT\r\n", h.out())
	evs = h.recv("250 2.0.0 queued\r\n221 2.0.0 bye\r\n")
	require.Equal(t, []ClientEventKind{ClientEventReply, ClientEventClosed}, kinds(evs))
	assert.Equal(t, StageEndOfData, evs[0].Stage)
	assert.True(t, evs[0].Judgment.Hints.Has(HintServerResponsible))
	assert.NoError(t, evs[1].Err, "an orderly QUIT")
	assert.NoError(t, h.c.Err())
	assert.Equal(t, PhaseClosed, h.c.Phase())
	assert.ErrorIs(t, h.c.Noop(), ErrClosed)
	assert.Equal(t, ClientEvent{}, h.c.Next(), "the last event comes once")
}

func TestClientAccessors(t *testing.T) {
	h := newHarness(t, ClientConfig{TLS: true})
	assert.True(t, h.c.IsTLS())
	assert.False(t, h.c.IsAuthenticated())
	h.greet(fullEHLO)
	require.NoError(t, h.c.Auth("PLAIN", []byte("\x00u\x00p"), true))
	h.out()
	assert.Equal(t, 1, h.c.Outstanding())
	h.one("235 2.7.0 ok\r\n")
	assert.True(t, h.c.IsAuthenticated())
	assert.Equal(t, 0, h.c.Outstanding())
}

func TestClientOutputConsumed(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(plainEHLO)
	require.NoError(t, h.c.Noop())
	assert.Equal(t, "NOOP\r\n", string(h.c.Output()))
	h.c.Consumed(2)
	assert.Equal(t, "OP\r\n", string(h.c.Output()))
	h.c.Consumed(-1)
	h.c.Consumed(100)
	assert.Empty(t, h.c.Output())

	// A large body written piecewise compacts the buffer and keeps order.
	h.one("250 ok\r\n")
	require.NoError(t, h.c.Mail(nil, wire.MailParams{}))
	h.out()
	h.one("250 ok\r\n")
	require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	h.out()
	h.one("250 ok\r\n")
	require.NoError(t, h.c.Data())
	h.out()
	h.one("354 go\r\n")
	line := strings.Repeat("x", 998) + "\r\n"
	var sent bytes.Buffer
	for range 20 {
		require.NoError(t, h.c.Body([]byte(line)))
		o := h.c.Output()
		sent.Write(o[:len(o)/2])
		h.c.Consumed(len(o) / 2)
	}
	require.NoError(t, h.c.EndData())
	sent.WriteString(h.out())
	assert.Equal(t, strings.Repeat(line, 20)+".\r\n", sent.String())
}

func TestClientErrStable(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(plainEHLO)
	ev := h.one("999 what\r\n")
	require.Equal(t, ClientEventError, ev.Kind)
	err := h.c.Err()
	require.ErrorIs(t, err, ErrProtocol)
	var v *Violation
	require.True(t, errors.As(err, &v))
	assert.Equal(t, SideServer, v.Side)
	for _, got := range []error{h.c.Noop(), h.c.Mail(nil, wire.MailParams{}), h.c.Body(nil), h.c.EndData(),
		h.c.AuthRespond(nil), h.c.TLSStarted(), h.c.Raw([]byte("NOOP"))} {
		assert.Same(t, err, got)
	}
	h.c.Receive([]byte("250 ok\r\n"))
	h.c.Advance(ct0.Add(time.Hour))
	assert.Equal(t, ClientEvent{}, h.c.Next())
	assert.Nil(t, h.c.Output())
	assert.Same(t, err, h.c.Err())
	assert.Equal(t, PhaseClosed, h.c.Phase())
	assert.True(t, h.c.Deadline().IsZero())
}

// TestClientGoldenTranscripts replays the server's writes of golden
// transcripts to a scripted Client and checks that it writes the client's
// side exactly, write by write (pipelined groups included).
func TestClientGoldenTranscripts(t *testing.T) {
	tests := []struct {
		file string
		host string
		act  func(c *Client, ev ClientEvent) error
	}{
		{"rfc5321-d1.txt", "bar.com", func(c *Client, ev ClientEvent) error {
			rcpts := []string{"Jones@foo.com", "Green@foo.com", "Brown@foo.com"}
			switch {
			case ev.Kind == ClientEventGreeting:
				return c.Hello()
			case ev.Stage == StageEhlo:
				return c.Mail([]byte("Smith@bar.com"), wire.MailParams{})
			case ev.Stage == StageMail:
				return c.Rcpt([]byte(rcpts[0]), wire.RcptParams{})
			case ev.Stage == StageRcpt && ev.Recipient < 2:
				return c.Rcpt([]byte(rcpts[ev.Recipient+1]), wire.RcptParams{})
			case ev.Stage == StageRcpt:
				return c.Data()
			case ev.Kind == ClientEventGoAhead:
				if err := c.Body([]byte("Blah blah blah...\r\n..etc. etc. etc.\r\n")); err != nil {
					return err
				}
				return c.EndData()
			case ev.Stage == StageEndOfData:
				return c.Quit()
			}
			return nil
		}},
		{"rfc2920-4-pipelined.txt", "dbc.mtview.ca.us", func(c *Client, ev ClientEvent) error {
			switch {
			case ev.Kind == ClientEventGreeting:
				return c.Hello()
			case ev.Stage == StageEhlo:
				errs := []error{c.Mail([]byte("mrose@dbc.mtview.ca.us"), wire.MailParams{})}
				for _, to := range []string{"ned@innosoft.com", "dan@innosoft.com", "kvc@innosoft.com"} {
					errs = append(errs, c.Rcpt([]byte(to), wire.RcptParams{}))
				}
				return errors.Join(append(errs, c.Data())...)
			case ev.Kind == ClientEventGoAhead:
				return errors.Join(c.Body([]byte("Subject: pipelining\r\n\r\nHello.\r\n")), c.EndData(), c.Quit())
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("testdata", "transcripts", tt.file))
			require.NoError(t, err)
			tr, err := ParseTranscript(text)
			require.NoError(t, err)
			h := newHarness(t, ClientConfig{Hostname: tt.host})
			var writes []string
			for _, w := range tr.Writes(SideServer) {
				h.c.Receive(w)
				for ev := h.c.Next(); ev.Kind != ClientEventNone; ev = h.c.Next() {
					require.NoError(t, ev.Err)
					require.NoError(t, tt.act(h.c, ev))
					if out := h.out(); out != "" {
						writes = append(writes, out)
					}
				}
			}
			var want []string
			for _, w := range tr.Writes(SideClient) {
				want = append(want, string(w))
			}
			assert.Equal(t, want, writes)
			assert.Equal(t, PhaseClosed, h.c.Phase())
			assert.NoError(t, h.c.Err())
		})
	}
}
