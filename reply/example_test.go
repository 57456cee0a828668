package reply_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
)

func ExampleReply_Append() {
	r := reply.Reply{
		Code:     reply.CodeMailboxUnavailable,
		Enhanced: reply.E(5, 7, 1),
		Text:     "Relaying denied\nAuthenticate first",
	}
	wire := r.Append(nil)
	// Show each CRLF as \r\n.
	fmt.Print(strings.ReplaceAll(string(wire), "\r\n", "\\r\\n\n"))
	// Output:
	// 550-5.7.1 Relaying denied\r\n
	// 550 5.7.1 Authenticate first\r\n
}

func ExampleReply_WithDefaultEnhanced() {
	r := reply.Reply{Code: reply.CodeAuthInvalid, Text: reply.CodeAuthInvalid.Text()}
	fmt.Printf("%q\n", r.WithDefaultEnhanced().Append(nil))
	// Output:
	// "535 5.7.8 Authentication credentials invalid\r\n"
}

func ExampleBuilder() {
	// The lines a client read, split by the wire layer into code, "more"
	// (the "-" separator) and text.
	lines := []struct {
		code reply.Code
		more bool
		text string
	}{
		{550, true, "5.1.1 <nobody@example.org>: Recipient address rejected"},
		{550, false, "5.1.1 User unknown in local recipient table"},
	}
	var b reply.Builder
	for _, l := range lines {
		done, err := b.Add(l.code, l.more, []byte(l.text))
		if err != nil {
			fmt.Println("protocol error:", err)
			return
		}
		if done {
			r := b.Reply()
			fmt.Println(r.Code, r.Enhanced)
			fmt.Println(r.Text)
		}
	}
	// Output:
	// 550 5.1.1
	// <nobody@example.org>: Recipient address rejected
	// User unknown in local recipient table
}

func ExampleEnhanced_Description() {
	for _, e := range []reply.Enhanced{
		reply.E(5, 1, 1),  // a registry entry
		reply.E(4, 7, 99), // unknown detail: the subject's meaning
		reply.E(5, 9, 1),  // unknown subject: the class's meaning
	} {
		fmt.Printf("%s: %s\n", e, e.Description())
	}
	// Output:
	// 5.1.1: Bad destination mailbox address
	// 4.7.99: Security or Policy Status
	// 5.9.1: Permanent Failure
}

func ExampleError() {
	r := reply.Reply{Code: 452, Enhanced: reply.E(4, 5, 3), Text: "Too many recipients"}
	var err error = &reply.Error{Reply: r, Command: "RCPT"}
	err = fmt.Errorf("deliver: %w", err)

	fmt.Println(err)
	var rerr *reply.Error
	if errors.As(err, &rerr) {
		fmt.Println(rerr.Code, rerr.Temporary(), rerr.Permanent())
	}
	// Output:
	// deliver: smtp: RCPT: 452 4.5.3 Too many recipients
	// 452 true false
}
