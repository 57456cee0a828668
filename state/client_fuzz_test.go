package state

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// fuzzDriver runs a Client through a script that depends only on the
// events it sees, so the same replies give the same session however they
// are split.
type fuzzDriver struct {
	c      *Client
	events []string
	sent   []byte
	authed bool // AUTH was tried
	final  bool // the session's last event came
}

// newFuzzDriver returns a driver for a fresh Client.
func newFuzzDriver(lmtp bool) *fuzzDriver {
	cfg := ClientConfig{Hostname: "client.example", AllowInsecureAuth: true, MaxReplyLines: 40}
	if lmtp {
		cfg.Protocol = ProtocolLMTP
	}
	c, err := NewClient(cfg)
	if err != nil {
		panic(err)
	}
	return &fuzzDriver{c: c}
}

// envelope queues a transaction: with CHUNKING a BDAT message, otherwise
// DATA.
func (d *fuzzDriver) envelope() {
	c := d.c
	_ = c.Mail([]byte("a@example.org"), wire.MailParams{})
	_ = c.Rcpt([]byte("b@example.net"), wire.RcptParams{})
	_ = c.Rcpt([]byte("c@example.net"), wire.RcptParams{})
	if c.Capabilities().Has(wire.ExtCHUNKING) {
		_ = c.Bdat([]byte("x\r\n"), false)
		_ = c.Bdat([]byte("y\r\n"), true)
		_ = c.Quit()
		return
	}
	_ = c.Data()
}

// drain handles every event Next has.
func (d *fuzzDriver) drain(t *testing.T) {
	c := d.c
	for ev := c.Next(); ev.Kind != ClientEventNone; ev = c.Next() {
		if d.final {
			t.Fatalf("event %v after the last one", ev)
		}
		d.events = append(d.events, ev.String()+" "+strconv.Quote(string(ev.Text))+" "+strconv.FormatBool(ev.Auto))
		switch ev.Kind {
		case ClientEventClosed, ClientEventError:
			d.final = true
			if ev.Err != c.Err() {
				t.Fatalf("event error %v, Err %v", ev.Err, c.Err())
			}
			if ev.Kind == ClientEventError && ev.Err == nil {
				t.Fatalf("error event without an error: %v", ev)
			}
		case ClientEventGreeting:
			_ = c.Hello()
		case ClientEventChallenge:
			_ = c.AuthRespond([]byte("secret"))
		case ClientEventGoAhead:
			_ = c.Body([]byte("Subject: x\r\n\r\n.line\r\n"))
			_ = c.EndData()
			_ = c.Quit()
		case ClientEventReply:
			switch {
			case ev.Stage == StageEhlo || ev.Stage == StageHelo || ev.Stage == StageLhlo:
				if ev.Judgment.Verdict != VerdictProceed {
					break
				}
				if c.Capabilities().Has(wire.ExtAUTH) && !d.authed {
					d.authed = true
					_ = c.Auth("LOGIN", nil, false)
					break
				}
				d.envelope()
			case ev.Stage == StageAuth:
				d.envelope()
			}
		}
		d.sent = append(d.sent, c.Output()...)
		c.Consumed(len(c.Output()))
	}
}

// FuzzClientReplies feeds arbitrary server octets, whole and in the
// chunks the second input describes, to a scripted Client. It never
// panics; both runs see the same events and write the same octets; and
// once the session has ended its error is stable and nothing more happens.
func FuzzClientReplies(f *testing.F) {
	rep := func(code reply.Code, e reply.Enhanced, text string) string {
		return string(reply.Reply{Code: code, Enhanced: e, Text: text}.Append(nil))
	}
	greet := rep(220, reply.Enhanced{}, "mx.example.com ESMTP")
	ehlo := rep(250, reply.Enhanced{}, "mx.example.com\nPIPELINING\nSIZE 1000\n8BITMIME\nENHANCEDSTATUSCODES")
	ok := rep(250, reply.E(2, 0, 0), "ok")
	seeds := []struct {
		in   string
		lmtp bool
	}{
		{greet + ehlo + ok + ok + rep(550, reply.E(5, 1, 1), "no such user") +
			rep(354, reply.Enhanced{}, "go ahead") + rep(250, reply.E(2, 0, 0), "queued") + rep(221, reply.E(2, 0, 0), "bye"), false},
		{greet + rep(250, reply.Enhanced{}, "mx.example.com\nAUTH LOGIN PLAIN\nCHUNKING") +
			rep(334, reply.Enhanced{}, "VXNlcm5hbWU6") + rep(235, reply.E(2, 7, 0), "ok") + ok + ok + ok + ok + ok +
			rep(221, reply.Enhanced{}, "bye"), false},
		{greet + rep(502, reply.E(5, 5, 1), "no EHLO") + rep(250, reply.Enhanced{}, "mx.example.com") + ok + ok + ok +
			rep(354, reply.Enhanced{}, "go") + rep(421, reply.E(4, 3, 0), "bye"), false},
		{rep(220, reply.Enhanced{}, "lmtp.example.com") + rep(250, reply.Enhanced{}, "lmtp.example.com\nPIPELINING") +
			ok + ok + ok + rep(354, reply.Enhanced{}, "go") + ok + rep(452, reply.E(4, 2, 2), "full") + ok, true},
		{rep(554, reply.E(5, 7, 1), "no service") + rep(221, reply.Enhanced{}, "bye"), false},
		{greet + "250-mx\r\n251 mismatch\r\n", false},
		{greet + "250 ok\nbare\r\n", false},
		{greet + ehlo + "250 ok\r\n250 ok\r\n250 ok\r\n250 unexpected\r\n", false},
	}
	for _, s := range seeds {
		f.Add([]byte(s.in), []byte{1, 5, 200, 3}, s.lmtp)
	}
	f.Fuzz(func(t *testing.T, in, chunks []byte, lmtp bool) {
		if len(in) > 1<<16 {
			return
		}
		whole := newFuzzDriver(lmtp)
		whole.c.Receive(in)
		whole.drain(t)
		whole.c.ReceiveEOF()
		whole.drain(t)

		split := newFuzzDriver(lmtp)
		for i, k := 0, 0; i < len(in); k++ {
			n := 1
			if len(chunks) > 0 {
				n = int(chunks[k%len(chunks)]) + 1
			}
			n = min(n, len(in)-i)
			split.c.Receive(in[i : i+n])
			split.drain(t)
			i += n
		}
		split.c.ReceiveEOF()
		split.drain(t)

		if len(whole.events) != len(split.events) {
			t.Fatalf("events differ:\n%q\n%q", whole.events, split.events)
		}
		for i := range whole.events {
			if whole.events[i] != split.events[i] {
				t.Fatalf("event %d differs:\n%s\n%s", i, whole.events[i], split.events[i])
			}
		}
		if !bytes.Equal(whole.sent, split.sent) {
			t.Fatalf("output differs:\n%q\n%q", whole.sent, split.sent)
		}
		for _, d := range []*fuzzDriver{whole, split} {
			c := d.c
			if !d.final || c.Phase() != PhaseClosed {
				t.Fatalf("the end of input did not end the session: %q", d.events)
			}
			err := c.Err()
			if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrTimeout) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			want := err
			if want == nil {
				want = ErrClosed
			}
			if got := c.Noop(); got != want {
				t.Fatalf("Noop after the end: %v, want %v", got, want)
			}
			c.Receive([]byte("250 more\r\n"))
			if ev := c.Next(); ev.Kind != ClientEventNone || c.Err() != err || c.Output() != nil {
				t.Fatalf("the Client moved after its end: %v", ev)
			}
		}
	})
}
