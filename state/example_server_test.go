package state_test

import (
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// ExampleServer runs a whole session from memory: the client's writes go in
// with Receive, the application answers each decision with Respond, and
// the replies come out of Output.
func ExampleServer() {
	s, err := state.NewServer(state.ServerConfig{
		Hostname:   "mx.example.org",
		Extensions: wire.NewExtSet(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES),
	})
	if err != nil {
		panic(err)
	}
	client := []string{
		"EHLO client.example.com\r\n",
		"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<eve@example.org>\r\nDATA\r\n",
		"Subject: hi\r\n\r\nHello Bob.\r\n.\r\n",
		"QUIT\r\n",
	}
	for {
		ev := s.Next()
		switch ev.Kind {
		case state.EventNone: // write what is due, then read
			fmt.Print(strings.ReplaceAll(string(s.Output()), "\r\n", "\n"))
			s.Consumed(len(s.Output()))
			if len(client) == 0 {
				s.ReceiveEOF()
				continue
			}
			_ = s.Receive([]byte(client[0]))
			client = client[1:]
		case state.EventRcpt:
			if string(ev.Command.Path.Mailbox) == "eve@example.org" {
				_ = s.Respond(reply.Reply{Code: reply.CodeMailboxUnavailable, Enhanced: reply.E(5, 1, 1), Text: "No such user"})
				continue
			}
			_ = s.Respond(reply.Reply{})
		case state.EventBody:
			fmt.Printf("[body %d octets]\n", len(ev.Data))
		case state.EventClose:
			fmt.Print(strings.ReplaceAll(string(s.Output()), "\r\n", "\n"))
			fmt.Printf("[closed, err=%v]\n", ev.Err)
			return
		default:
			if ev.Kind.IsDecision() {
				_ = s.Respond(reply.Reply{}) // the default answer
			}
		}
	}
	// Output:
	// 220 mx.example.org ESMTP
	// 250-mx.example.org
	// 250-PIPELINING
	// 250 ENHANCEDSTATUSCODES
	// 250 2.1.0 Sender OK
	// 250 2.1.5 Recipient OK
	// 550 5.1.1 No such user
	// 354 Start mail input; end with <CRLF>.<CRLF>
	// [body 27 octets]
	// 250 2.0.0 Message accepted
	// 221 2.0.0 mx.example.org Service closing transmission channel
	// [closed, err=<nil>]
}
