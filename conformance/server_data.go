package conformance

// Message content over DATA: transparency (RFC 5321 section 4.5.2), the end
// of mail data (section 4.1.1.4), CRLF as the only line terminator
// (section 2.3.8) and the size minimums (section 4.5.3.1). The helpers at
// the end of the file are shared by the parameter, smuggling, BDAT,
// pipelining, LMTP and limits cases.

import (
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
)

// bodySample is a short message, header fields and a body, every line
// ended by CRLF, without the end-of-data line.
const bodySample = "From: <{from}>\r\nTo: <{rcpt}>\r\nSubject: smtpkit conformance\r\n\r\nA short test message.\r\n"

var _ = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.5.2", Name: "dot-stuffed-lines", Level: Must,
		Title: "Lines that start with a doubled period are content: only a line of a single period ends the message.",
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
			Raw("Subject: dots\r\n\r\n..leading dot\r\n..\r\n...\r\nQUIT\r\n.. \r\n"),
			Quiet(),
			Raw(".\r\n"),
			bodyOneReply(false, "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.4", Name: "end-only-at-crlf-dot-crlf", Level: Must,
		Title: "Lines that merely resemble the end of data (\". \", \" .\", \".x\") do not end the message.",
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
			Raw("Subject: almost\r\n\r\n. \r\n .\r\n..x\r\nRSET\r\n"),
			Quiet(),
			Raw(".\r\n"),
			bodyOneReply(false, "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.6", Name: "text-line-1000", Level: Must,
		Title: "A content line of 1000 octets with its CRLF (1001 with a stuffing period) is accepted.",
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
			Raw("Subject: long lines\r\n\r\n" + strings.Repeat("x", 998) + "\r\n.." + strings.Repeat("w", 997) + "\r\n.\r\n"),
			bodyOneReply(false, "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.7", Name: "message-64k", Level: Must,
		Title: "A message of 64K octets is accepted (every server must take at least that much).",
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
			Raw("Subject: 64K\r\n\r\n" + strings.Repeat(strings.Repeat("y", 78)+"\r\n", 64<<10/80+2) + ".\r\n"),
			bodyOneReply(false, "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.4", Name: "oversize-read-to-end", Level: Must,
		Title:   "A message over the SIZE maximum is read to its end and refused with one reply; nothing in it runs as a command.",
		Timeout: DefaultTimeout * 6,
		Steps: []Step{
			Greeting(), Hello(), Require("SIZE"),
			Func("send MAIL, RCPT, DATA and more content than the SIZE maximum, expect one refusal", bodyOversize),
		},
	},
	&Case{
		RFC: 5321, Section: "2.3.8", Name: "bare-lf-command", Level: Must,
		Title: "A command line ended by a bare LF is not a complete command: no reply comes until CRLF.",
		Steps: []Step{
			Greeting(), Hello(),
			Raw("NOOP\n"), Quiet(),
			Raw("NOOP\r\n"),
			bodyOneReply(true, "250", "5xx"),
		},
	},
	&Case{
		RFC: 5321, Section: "2.3.8", Name: "bare-cr-command", Level: Must,
		Title: "A command line ended by a bare CR is not a complete command: no reply comes until CRLF.",
		Steps: []Step{
			Greeting(), Hello(),
			Raw("NOOP\r"), Quiet(),
			Raw("NOOP\r\n"),
			bodyOneReply(true, "250", "5xx"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-without-recipients", Level: May,
		Title: "DATA after a MAIL whose only RCPT was refused is refused (503 or 554) rather than invited with 354.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<>", "5xx"),
			Cmd("DATA", "503", "554"),
			Cmd("NOOP", "250"),
		},
	},
)

// bodyOversize sends a message longer than the SIZE maximum the last EHLO
// announced, with command lines inside it, and requires one refusal
// (RFC 1870's 552, or another 4yz/5yz) after the end of data,
// silence after it and NOOP 250 (RFC 5321 section 4.1.1.4: the failure
// reply comes on receipt of the end of mail data). A maximum above 32 MiB
// skips the case: sending that much proves nothing more.
func bodyOversize(s *Session) error {
	caps, _ := s.Capabilities()
	limit, _ := caps.Size()
	switch {
	case limit == 0:
		return Skip("SIZE announces no fixed maximum")
	case limit > 32<<20:
		return Skip("the SIZE maximum (%d) is too large to exceed in a test", limit)
	}
	if err := bodyOpen("").Run(s); err != nil {
		return err
	}
	if err := Cmd("DATA", "354").Run(s); err != nil {
		return err
	}
	line := "RSET\r\nMAIL FROM:<{from}>\r\nNOOP\r\n" + strings.Repeat("z", 60) + "\r\n"
	chunk := []byte(s.Expand(strings.Repeat(line, 1<<14/len(line)+1)))
	if err := s.Send([]byte("Subject: too big\r\n\r\n")); err != nil {
		return err
	}
	for sent := uint64(0); sent <= limit+uint64(len(chunk)); sent += uint64(len(chunk)) {
		if err := s.Send(chunk); err != nil {
			return err
		}
	}
	if err := s.Send([]byte(".\r\n")); err != nil {
		return err
	}
	return bodyOneReply(false, "4xx", "5xx").Run(s)
}

// bodyOpen sends MAIL FROM:<{from}> with params (a leading space
// included, or empty) and RCPT TO:<{rcpt}>, and requires 250 and 250 or 251.
func bodyOpen(params string) Step {
	return bodyChain(Cmd("MAIL FROM:<{from}>"+params, "250"), Cmd("RCPT TO:<{rcpt}>", "250", "251"))
}

// bodyDeliver sends DATA, requires 354, sends bodySample and the end
// of data, and requires 250 (one reply: the transaction has one
// recipient, also under LMTP).
func bodyDeliver() Step {
	return bodyChain(Cmd("DATA", "354"), Raw(bodySample+".\r\n"), Expect("250"))
}

// bodyChain runs steps in order as one step.
func bodyChain(steps ...Step) Step {
	descs := make([]string, len(steps))
	for i, st := range steps {
		descs[i] = st.String()
	}
	return Func(strings.Join(descs, "; "), func(s *Session) error {
		for _, st := range steps {
			if err := st.Run(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// bodyOneReply reads the single reply due to the input sent so far,
// requires it to match codes, requires silence after it (a second reply
// means part of the input ran as another command), and then requires NOOP
// to get 250, which proves the session is still in step. With closeOK a
// server that answered 4yz or 5yz may close the connection instead.
func bodyOneReply(closeOK bool, codes ...string) Step {
	want := Codes(codes)
	return Func(fmt.Sprintf("expect one reply (%s), then nothing, then NOOP 250", want), func(s *Session) error {
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if !want.Match(r.Code) {
			return &Failure{Want: want.String(), Got: replyText(r)}
		}
		mayClose := closeOK && r.Code.IsNegative()
		if err := s.Quiet(0); err != nil {
			if mayClose && PeerClosed(err) {
				return nil
			}
			return err
		}
		if err := s.Send([]byte("NOOP\r\n")); err != nil {
			return err
		}
		n, err := s.ReadReply()
		if err != nil {
			if mayClose && PeerClosed(err) {
				return nil
			}
			return err
		}
		if n.Code != reply.Code(250) {
			return &Failure{Want: "250 to NOOP (the session still in step)", Got: replyText(n)}
		}
		return nil
	})
}

// bodyReadReply reads one reply and requires its code to match codes.
func bodyReadReply(s *Session, codes ...string) (reply.Reply, error) {
	r, err := s.ReadReply()
	if err != nil {
		return r, err
	}
	if want := Codes(codes); !want.Match(r.Code) {
		return r, &Failure{Want: want.String(), Got: replyText(r)}
	}
	return r, nil
}

// bodyOffers reports whether the last EHLO or LHLO offered keyword.
func bodyOffers(s *Session, keyword string) bool {
	caps, ok := s.Capabilities()
	if !ok {
		return false
	}
	_, has := caps.Keyword(keyword)
	return has
}
