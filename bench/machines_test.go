package bench

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file drives the two sans-I/O machines against each other: what
// state.Client writes is fed to state.Server and the other way round, with
// no connection, goroutine or clock, so a message costs exactly what the
// protocol engines cost.

// messageLine is the line bodies are made of: 62 octets of text and CRLF.
const messageLine = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"

// messageBody returns a body of size octets (a multiple of 64) in CRLF
// lines, none starting with a dot.
func messageBody(size int) []byte {
	return bytes.Repeat([]byte(messageLine), size/len(messageLine))
}

// pieceSize is how much the pair hands over at once: a driver's read
// buffer, and the size of the client's body pieces and BDAT chunks.
const pieceSize = 32 << 10

// The server's answers to the decisions of a steady-state message.
var (
	replyGreeting = reply.Reply{Code: reply.CodeReady, Text: "mx.example.org ESMTP"}
	replyOK       = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 0, 0), Text: "OK"}
	replyGoAhead  = reply.Reply{Code: reply.CodeStartMailInput, Text: "End data with <CR><LF>.<CR><LF>"}
	replyQueued   = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 0, 0), Text: "queued"}
)

// errRefused reports a reply that is not 2yz or 3yz.
var errRefused = errors.New("bench: refused")

// machinePair is a state.Client talking to a state.Server in memory.
type machinePair struct {
	c        *state.Client
	s        *state.Server
	now      time.Time
	from, to []byte
	body     []byte
	bdat     bool
	received int // body octets the server reported
	goAhead  bool
}

// newMachinePair returns a pair after the greeting and EHLO, ready for
// messages of body, sent with BDAT or DATA.
func newMachinePair(tb testing.TB, body []byte, bdat bool) *machinePair {
	tb.Helper()
	s, err := state.NewServer(state.ServerConfig{Hostname: "mx.example.org", Extensions: state.DefaultExtensions})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := state.NewClient(state.ClientConfig{Hostname: "client.example.org"})
	if err != nil {
		tb.Fatal(err)
	}
	p := &machinePair{c: c, s: s, now: time.Unix(1e9, 0), from: []byte("alice@example.com"),
		to: []byte("bob@example.org"), body: body, bdat: bdat}
	c.Advance(p.now)
	s.Advance(p.now)
	if err := p.exchange(); err != nil { // the greeting
		tb.Fatal(err)
	}
	if err := c.Hello(); err != nil {
		tb.Fatal(err)
	}
	if err := p.exchange(); err != nil {
		tb.Fatal(err)
	}
	if !c.Capabilities().Has(wire.ExtCHUNKING) || !c.Capabilities().Has(wire.ExtPIPELINING) {
		tb.Fatal("EHLO did not offer CHUNKING and PIPELINING")
	}
	return p
}

// serverTurn runs the server over what it received, answering every
// decision with the reply an accepting application gives.
func (p *machinePair) serverTurn() error {
	for {
		ev := p.s.Next()
		var err error
		switch ev.Kind {
		case state.EventNone:
			return nil
		case state.EventBody:
			p.received += len(ev.Data)
		case state.EventConnect:
			err = p.s.Respond(replyGreeting)
		case state.EventHello, state.EventMail, state.EventRcpt:
			err = p.s.Respond(replyOK)
		case state.EventData:
			err = p.s.Respond(replyGoAhead)
		case state.EventMessage:
			err = p.s.Respond(replyQueued)
		default:
			return fmt.Errorf("bench: server event %v: %v", ev.Kind, ev.Err)
		}
		if err != nil {
			return err
		}
	}
}

// clientTurn reads every reply the client received.
func (p *machinePair) clientTurn() error {
	for {
		ev := p.c.Next()
		switch ev.Kind {
		case state.ClientEventNone:
			return nil
		case state.ClientEventGoAhead:
			p.goAhead = true
		case state.ClientEventGreeting, state.ClientEventReply:
			if ev.Code.IsNegative() {
				return errRefused
			}
		default:
			return fmt.Errorf("bench: client event %v: %v", ev.Kind, ev.Err)
		}
	}
}

// exchange moves the client's output to the server in pieces of at most
// pieceSize, running the server after each, then the server's output back
// to the client, until neither has anything to say.
func (p *machinePair) exchange() error {
	for {
		out := p.c.Output()
		moved := len(out) > 0
		for len(out) > 0 {
			n := min(len(out), pieceSize)
			if err := p.s.Receive(out[:n]); err != nil {
				return err
			}
			p.c.Consumed(n)
			if err := p.serverTurn(); err != nil {
				return err
			}
			out = p.c.Output()
		}
		if !moved {
			if err := p.serverTurn(); err != nil { // the greeting
				return err
			}
		}
		in := p.s.Output()
		if len(in) == 0 && !moved {
			return p.c.Err()
		}
		p.c.Receive(in)
		p.s.Consumed(len(in))
		if err := p.clientTurn(); err != nil {
			return err
		}
	}
}

// message sends one message: MAIL, RCPT and DATA pipelined, then the body
// in pieces and the end of data; or MAIL, RCPT and the body in BDAT
// chunks, all pipelined (RFC 3030 section 4). It returns the first error.
func (p *machinePair) message() error {
	p.now = p.now.Add(time.Millisecond)
	p.c.Advance(p.now)
	p.s.Advance(p.now)
	p.received = 0
	if err := p.c.Mail(p.from, wire.MailParams{}); err != nil {
		return err
	}
	if err := p.c.Rcpt(p.to, wire.RcptParams{}); err != nil {
		return err
	}
	body := p.body
	if p.bdat {
		for len(body) > pieceSize {
			if err := p.c.Bdat(body[:pieceSize], false); err != nil {
				return err
			}
			body = body[pieceSize:]
		}
		if err := p.c.Bdat(body, true); err != nil {
			return err
		}
		return p.finish()
	}
	if err := p.c.Data(); err != nil {
		return err
	}
	p.goAhead = false
	if err := p.exchange(); err != nil {
		return err
	}
	if !p.goAhead {
		return errRefused
	}
	for len(body) > 0 {
		n := min(len(body), pieceSize)
		if err := p.c.Body(body[:n]); err != nil {
			return err
		}
		body = body[n:]
		if err := p.exchange(); err != nil {
			return err
		}
	}
	if err := p.c.EndData(); err != nil {
		return err
	}
	return p.finish()
}

// finish runs the exchange to the reply to the message and checks that
// the whole body arrived and nothing is left outstanding.
func (p *machinePair) finish() error {
	if err := p.exchange(); err != nil {
		return err
	}
	if p.received != len(p.body) || p.c.Outstanding() != 0 {
		return fmt.Errorf("bench: %d of %d octets received, %d commands outstanding",
			p.received, len(p.body), p.c.Outstanding())
	}
	return nil
}

// BenchmarkMachines measures one steady-state message through
// state.Client and state.Server driven against each other in memory (no
// I/O): MAIL, RCPT and the body with DATA or BDAT, every reply judged.
// Both engines together allocate nothing per message (TestMachinesAllocs).
func BenchmarkMachines(b *testing.B) {
	for _, mode := range []string{"DATA", "BDAT"} {
		for _, size := range benchSizes {
			b.Run(mode+"/"+size.name, func(b *testing.B) {
				p := newMachinePair(b, messageBody(size.n), mode == "BDAT")
				if err := p.message(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if err := p.message(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// benchSizes are the message sizes of the suite.
var benchSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"100KiB", 100 << 10}}
