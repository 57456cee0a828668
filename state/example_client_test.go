package state_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// ExampleClient runs a whole pipelined session against scripted replies:
// a loop that hands the server's octets to the Client, acts on each event
// and writes what Output holds, as a network driver does.
func ExampleClient() {
	c, err := state.NewClient(state.ClientConfig{Hostname: "client.example"})
	if err != nil {
		panic(err)
	}
	c.Advance(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	server := []string{
		"220 mx.example.com ESMTP\r\n",
		"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10000\r\n250 ENHANCEDSTATUSCODES\r\n",
		"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n",
		"250 2.0.0 queued as 1234\r\n221 2.0.0 bye\r\n",
	}
	flush := func() {
		if out := c.Output(); len(out) > 0 {
			for _, line := range strings.SplitAfter(string(out), "\r\n") {
				if line != "" {
					fmt.Printf("C: %q\n", line)
				}
			}
			c.Consumed(len(out))
		}
	}
	for _, s := range server {
		c.Receive([]byte(s))
		for ev := c.Next(); ev.Kind != state.ClientEventNone; ev = c.Next() {
			fmt.Printf("S: %v %q\n", ev, ev.Text)
			switch {
			case ev.Kind == state.ClientEventGreeting:
				_ = c.Hello()
			case ev.Stage == state.StageEhlo:
				_ = c.Mail([]byte("alice@example.org"), wire.MailParams{Size: 42, HasSize: true})
				_ = c.Rcpt([]byte("bob@example.net"), wire.RcptParams{})
				_ = c.Rcpt([]byte("nobody@example.net"), wire.RcptParams{})
				_ = c.Data()
			case ev.Kind == state.ClientEventGoAhead:
				_ = c.Body([]byte("Subject: hi\r\n\r\n.signature\r\n"))
				_ = c.EndData()
				_ = c.Quit()
			}
			flush()
		}
	}
	fmt.Println("phase:", c.Phase(), "err:", c.Err())
	// Output:
	// S: greeting greeting 220 (proceed) "mx.example.com ESMTP"
	// C: "EHLO client.example\r\n"
	// S: reply EHLO 250 (proceed) "mx.example.com\nPIPELINING\nSIZE 10000\nENHANCEDSTATUSCODES"
	// C: "MAIL FROM:<alice@example.org> SIZE=42\r\n"
	// C: "RCPT TO:<bob@example.net>\r\n"
	// C: "RCPT TO:<nobody@example.net>\r\n"
	// C: "DATA\r\n"
	// S: reply MAIL 250 2.1.0 (proceed) "ok"
	// S: reply RCPT 250 2.1.5 (proceed) #0 "ok"
	// S: reply RCPT 550 5.1.1 (permanent failure) #1 "no such user"
	// S: go-ahead DATA 354 (continue) "go ahead"
	// C: "Subject: hi\r\n"
	// C: "\r\n"
	// C: "..signature\r\n"
	// C: ".\r\n"
	// C: "QUIT\r\n"
	// S: reply end of data 250 2.0.0 (proceed) "queued as 1234"
	// S: closed QUIT 221 2.0.0 (close) "bye"
	// phase: closed err: <nil>
}
