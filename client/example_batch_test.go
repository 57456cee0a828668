package client

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// ExampleClient_SendBatch sends three messages to an in-process server
// that offers PIPELINING, with the redacted transcript on stdout: the
// content of each message goes in one write with the next one's MAIL, RCPT
// and DATA, and one read brings back the reply to its end with the next
// envelope's replies (RFC 2920 section 3.1). The second message has a
// recipient refused; each message gets what Send would have given it.
func ExampleClient_SendBatch() {
	ts := newTestServer(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES)
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
	var msgs []Message
	for i, to := range [][]string{{"bob@example.net"}, {"carol@example.net", "550nobody@example.net"}, {"dave@example.net"}} {
		msgs = append(msgs, Message{
			Envelope: Envelope{From: "alice@example.org", To: to},
			Body:     strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nHello.\r\n", i+1)),
		})
	}
	results, errs := c.SendBatch(ctx, msgs)
	for i := range msgs {
		fmt.Printf("message %d: delivered %d, error: %v\n", i+1, results[i].Delivered(), errs[i])
	}
	if err := c.Quit(ctx); err != nil {
		panic(err)
	}
	// Output:
	// S: 220 mx.test ESMTP
	// C: EHLO client.example
	// S: 250-mx.test
	// S: 250-PIPELINING
	// S: 250 ENHANCEDSTATUSCODES
	// C: MAIL FROM:<alice@example.org>
	// C: RCPT TO:<bob@example.net>
	// C: DATA
	// S: 250 2.1.0 Sender OK
	// S: 250 2.1.5 Recipient OK
	// S: 354 Start mail input; end with <CRLF>.<CRLF>
	// C: <25 octets of message content>
	// C: MAIL FROM:<alice@example.org>
	// C: RCPT TO:<carol@example.net>
	// C: RCPT TO:<550nobody@example.net>
	// C: DATA
	// S: 250 2.0.0 Message accepted
	// S: 250 2.1.0 Sender OK
	// S: 250 2.1.5 Recipient OK
	// S: 550 5.1.1 no such user
	// S: 354 Start mail input; end with <CRLF>.<CRLF>
	// C: <25 octets of message content>
	// C: MAIL FROM:<alice@example.org>
	// C: RCPT TO:<dave@example.net>
	// C: DATA
	// S: 250 2.0.0 Message accepted
	// S: 250 2.1.0 Sender OK
	// S: 250 2.1.5 Recipient OK
	// S: 354 Start mail input; end with <CRLF>.<CRLF>
	// C: <25 octets of message content>
	// S: 250 2.0.0 Message accepted
	// message 1: delivered 1, error: <nil>
	// message 2: delivered 1, error: smtp send: 1 recipient(s) failed; 550nobody@example.net: 550 5.1.1 no such user
	// message 3: delivered 1, error: <nil>
	// C: QUIT
	// S: 221 2.0.0 mx.test Service closing transmission channel
}
