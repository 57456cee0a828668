package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// ExampleClient_Send sends one message to an in-process server, with the
// redacted transcript on stdout. One recipient is refused: Send reports it
// in a *SendError while the others get the message.
func ExampleClient_Send() {
	ts := newTestServer(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES, wire.ExtSIZE)
	ts.decide = refuseByLocal
	addr, stop, err := ts.start()
	if err != nil {
		panic(err)
	}
	defer stop()

	ctx := context.Background()
	c, err := Dial(ctx, addr, WithHostname("client.example"),
		WithTLS(tlsmode.ModeNone, tlsmode.PolicyAuto), WithDebug(os.Stdout))
	if err != nil {
		panic(err)
	}
	res, err := c.Send(ctx, Envelope{From: "alice@example.org", To: []string{"bob@example.net", "550nobody@example.net"}},
		strings.NewReader("Subject: hi\r\n\r\nHello.\r\n"))
	var se *SendError
	if errors.As(err, &se) {
		for _, f := range se.Failed {
			fmt.Println("failed:", f.Addr, f.Reply.Code, f.Reply.Enhanced, f.Reply.Text)
		}
	}
	fmt.Println("delivered:", res.Delivered(), "reply:", res.Reply.Code)
	if err := c.Quit(ctx); err != nil {
		panic(err)
	}
	// Output:
	// S: 220 mx.test ESMTP
	// C: EHLO client.example
	// S: 250-mx.test
	// S: 250-PIPELINING
	// S: 250-SIZE
	// S: 250 ENHANCEDSTATUSCODES
	// C: MAIL FROM:<alice@example.org> SIZE=23
	// C: RCPT TO:<bob@example.net>
	// C: RCPT TO:<550nobody@example.net>
	// C: DATA
	// S: 250 2.1.0 Sender OK
	// S: 250 2.1.5 Recipient OK
	// S: 550 5.1.1 no such user
	// S: 354 Start mail input; end with <CRLF>.<CRLF>
	// C: <26 octets of message content>
	// S: 250 2.0.0 Message accepted
	// failed: 550nobody@example.net 550 5.1.1 no such user
	// delivered: 1 reply: 250
	// C: QUIT
	// S: 221 2.0.0 mx.test Service closing transmission channel
}
