package wire_test

import (
	"errors"
	"fmt"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// A server reads lines with a LineSplitter and parses each with
// ParseCommand; the results alias the read buffer.
func ExampleParseCommand() {
	in := []byte("MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME\r\nRCPT TO:<bob@example.net>\r\n")
	var split wire.LineSplitter
	for len(in) > 0 {
		n, line, err := split.Split(in)
		if n == 0 {
			break // need more bytes
		}
		in = in[n:]
		if err != nil || line == nil {
			continue
		}
		cmd, err := wire.ParseCommand(line, wire.ParseOptions{})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s <%s>\n", cmd.Verb, cmd.Path.Mailbox)
		if cmd.Verb == wire.VerbMAIL {
			params, err := wire.DecodeMailParams(cmd.Params, wire.NewExtSet(wire.ExtSIZE, wire.Ext8BITMIME))
			fmt.Println(params.Size, params.Body, err)
		}
	}
	// Output:
	// MAIL <alice@example.org>
	// 2048 8BITMIME <nil>
	// RCPT <bob@example.net>
}

// A refused command carries the element, offset, rule and the reply to send.
// ParseCommand checks the generic parameter grammar; DecodeMailParams then
// judges each parameter against the extensions the server offers.
func ExampleSyntaxError_Reply() {
	cmd, err := wire.ParseCommand([]byte("MAIL FROM:<a@b.example> SIZE=10 X-FOO=1"), wire.ParseOptions{})
	if err != nil {
		panic(err)
	}
	_, err = wire.DecodeMailParams(cmd.Params, wire.NewExtSet(wire.ExtSIZE))
	fmt.Println(err)
	var se *wire.SyntaxError
	if errors.As(err, &se) {
		fmt.Printf("%q\n", wire.AppendReply(nil, se.Reply(), true))
	}
	// Output:
	// wire: esmtp-keyword at offset 32: unknown parameter (RFC 5321 4.1.1.11)
	// "555 5.5.4 unknown parameter\r\n"
}

// A client builds commands with the serializers; they refuse CR, LF and NUL.
func ExampleAppendMail() {
	buf, _ := wire.AppendMail(nil, []byte("alice@example.org"), wire.MailParams{Size: 2048, HasSize: true})
	buf, _ = wire.AppendRcpt(buf, []byte("bob@example.net"), wire.RcptParams{Notify: wire.NotifyFailure | wire.NotifyDelay}, false)
	buf = wire.AppendBdat(buf, 2048, true)
	fmt.Printf("%q\n", buf)
	_, err := wire.AppendRcpt(nil, []byte("x@y.example>\r\nRCPT TO:<z@y.example"), wire.RcptParams{}, false)
	fmt.Println(errors.Is(err, wire.ErrForbiddenByte))
	// Output:
	// "MAIL FROM:<alice@example.org> SIZE=2048\r\nRCPT TO:<bob@example.net> NOTIFY=FAILURE,DELAY\r\nBDAT 2048 LAST\r\n"
	// true
}

// A client reads the EHLO reply line by line into Capabilities.
func ExampleCapabilities() {
	var caps wire.Capabilities
	for _, raw := range []string{
		"250-mx.example.net greets you",
		"250-SIZE 10485760",
		"250-AUTH PLAIN SCRAM-SHA-256",
		"250-LIMITS RCPTMAX=50",
		"250 CHUNKING",
	} {
		l, _ := wire.ParseReplyLine([]byte(raw))
		_ = caps.AddLine(l.Text)
	}
	size, _ := caps.Size()
	fmt.Println(string(caps.Domain()), caps.Exts(), size)
	fmt.Println(caps.HasAuth("scram-sha-256"), caps.Limits().RcptMax)
	// Output:
	// mx.example.net SIZE CHUNKING AUTH LIMITS 10485760
	// true 50
}

// AppendReply writes a reply, adding the default enhanced code when the
// session advertised ENHANCEDSTATUSCODES.
func ExampleAppendReply() {
	out := wire.AppendReply(nil, reply.Reply{Code: reply.CodeBadSequence, Text: "Need MAIL before RCPT"}, true)
	fmt.Printf("%q\n", out)
	// Output:
	// "503 5.5.1 Need MAIL before RCPT\r\n"
}

// A server decodes DATA as it arrives; the decoder says where the message
// ended, so what follows is the next pipelined command. A bare LF never
// ends the message (SMTP smuggling) and is reported.
func ExampleDataDecoder() {
	in := []byte("Subject: hi\r\n\r\n..leading dot\r\nsmuggled\n.\nMAIL FROM:<x@y>\r\n.\r\nQUIT\r\n")
	dec := wire.DataDecoder{MaxSize: 1 << 20} // Policy: BareReject
	body, n, done := dec.Decode(nil, in[:20]) // the first packet
	fmt.Println(n, done)
	body, n, done = dec.Decode(body, in[20:]) // the rest
	fmt.Println(done, fmt.Sprintf("%q", in[20+n:]))
	fmt.Printf("%q\n", body)
	var se *wire.SyntaxError
	if errors.As(dec.Err(), &se) { // read to the end, then refuse
		r := se.Reply()
		fmt.Println(se.Offset, r.Code, r.Enhanced, se.Reason)
	}
	// Output:
	// 20 false
	// true "QUIT\r\n"
	// "Subject: hi\r\n\r\n.leading dot\r\nsmuggled\n.\nMAIL FROM:<x@y>\r\n"
	// 38 554 5.6.0 bare LF in mail data
}

// A client dot-stuffs the body and terminates it with Close.
func ExampleDataEncoder() {
	enc := wire.DataEncoder{Policy: wire.BareNormalize}
	out, _ := enc.Encode(nil, []byte(".hidden\nline"))
	out, _ = enc.Close(out)
	fmt.Printf("%q\n", out)
	// Output:
	// "..hidden\r\nline\r\n.\r\n"
}
