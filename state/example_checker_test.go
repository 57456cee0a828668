package state_test

import (
	"fmt"

	"github.com/smtpkit/smtpkit/state"
)

// ExampleCheck judges a recorded session: the client sends a second MAIL
// without RSET, and the server answers 502 where RFC 5321 requires 503.
func ExampleCheck() {
	tr, err := state.ParseTranscript([]byte(`S: 220 mx.example.org ESMTP
C: EHLO client.example.com
S: 250-mx.example.org
S: 250 PIPELINING
C: MAIL FROM:<alice@example.com>
S: 250 OK
C: MAIL FROM:<mallory@example.com>
S: 502 Command not implemented
C: QUIT
S: 221 Bye
-- close S
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := state.Check(tr, state.CheckerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range report.Violations {
		fmt.Println(v.Side, "|", v.Rule, "|", v.Detail)
	}
	// Output:
	// client | RFC 5321 4.1.4 | MAIL in phase mail: Nested MAIL command; send RSET first
	// server | RFC 5321 4.1.4 | "MAIL FROM:<mallory@example.com>" out of sequence answered 502; 503 required
}

// ExampleChecker watches a live session write by write, as a proxy or a
// capture tool would: here a client pipelines without PIPELINING.
func ExampleChecker() {
	k, err := state.NewChecker(state.CheckerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	k.ServerWrote([]byte("220 mx.example.org ESMTP\r\n"))
	k.ClientWrote([]byte("EHLO client.example.com\r\n"))
	k.ServerWrote([]byte("250 mx.example.org\r\n"))
	k.ClientWrote([]byte("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n"))
	k.ServerWrote([]byte("250 OK\r\n250 OK\r\n"))
	k.ClientWrote([]byte("QUIT\r\n"))
	k.ServerWrote([]byte("221 Bye\r\n"))
	k.Closed(state.SideServer)
	for _, v := range k.Report().Violations {
		fmt.Println(v.Error())
	}
	// Output:
	// client: RFC 2920 3.1: MAIL followed by octets sent before its reply
}
