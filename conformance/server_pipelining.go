package conformance

// PIPELINING (RFC 2920): a client may send a group of commands without
// waiting; the server answers every command, in the order received, and
// "MUST NOT flush or otherwise lose the contents of the TCP input buffer"
// (section 3.2). Only the last command of a group may be one of EHLO, DATA,
// VRFY, EXPN, TURN, QUIT and NOOP (section 3.1), so every group here ends
// with one of those or with the message content, as the RFC's own examples
// do.

var _ = register(SuiteServer,
	&Case{
		RFC: 2920, Section: "3.2", Name: "envelope-group-in-order", Level: Must,
		Title: "MAIL, RCPT, RCPT and DATA sent as one group get 250, 250, 250 and 354 in that order.",
		Needs: Needs{Ext: []string{"PIPELINING"}},
		Steps: []Step{
			Greeting(), Hello(),
			Raw("MAIL FROM:<{from}>\r\nRCPT TO:<{rcpt}>\r\nRCPT TO:<{rcpt2}>\r\nDATA\r\n"),
			Expect("250"), Expect("250", "251"), Expect("250", "251"), Expect("354"),
			Raw(bodySample + ".\r\n"),
			bodyPipelinedEnd(2),
		},
	},
	&Case{
		RFC: 2920, Section: "3.2", Name: "rset-group-in-order", Level: Must,
		Title: "RSET, MAIL, RCPT and NOOP sent as one group inside a transaction get four replies in order, and the new transaction holds.",
		Needs: Needs{Ext: []string{"PIPELINING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			Raw("RSET\r\nMAIL FROM:<{from}>\r\nRCPT TO:<{rcpt}>\r\nNOOP\r\n"),
			Expect("250"), Expect("250"), Expect("250", "251"), Expect("250"),
			Quiet(),
			bodyDeliver(),
		},
	},
	&Case{
		RFC: 2920, Section: "3.2", Name: "refused-rcpt-in-group", Level: Must,
		Title: "A refused RCPT in the middle of a group gets its own reply in its place; the commands around it are answered as usual.",
		Needs: Needs{Ext: []string{"PIPELINING"}},
		Steps: []Step{
			Greeting(), Hello(),
			Raw("MAIL FROM:<{from}>\r\nRCPT TO:<>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n"),
			Expect("250"), Expect("4xx", "5xx"), Expect("250", "251"), Expect("354"),
			Raw(bodySample + ".\r\n"),
			bodyPipelinedEnd(1),
		},
	},
	&Case{
		RFC: 2920, Section: "3.2", Name: "no-valid-rcpt-data-refused", Level: Should,
		Title: "DATA ending a group whose only RCPT was refused is refused (503 or 554), not answered 354.",
		Needs: Needs{Ext: []string{"PIPELINING"}},
		Steps: []Step{
			Greeting(), Hello(),
			Raw("MAIL FROM:<{from}>\r\nRCPT TO:<>\r\nDATA\r\n"),
			Expect("250"), Expect("4xx", "5xx"), Expect("503", "554"),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 2920, Section: "3.2", Name: "content-then-quit", Level: Must,
		Title: "The end of data and QUIT sent together (RFC 2920's own example) get 250 and then 221, and the server closes.",
		Needs: Needs{Ext: []string{"PIPELINING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
			Raw(bodySample + ".\r\nQUIT\r\n"),
			Expect("250"), Expect("221"),
			Closed(),
		},
	},
	&Case{
		RFC: 2920, Section: "3.2", Name: "bdat-group-in-order", Level: Must,
		Title: "MAIL, RCPT and two BDAT chunks sent as one group (RFC 3030's pipelining example) get four replies in order.",
		Needs: Needs{Ext: []string{"PIPELINING", "CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(),
			Func("send MAIL, RCPT, BDAT n and BDAT m LAST with their chunks in one write", func(s *Session) error {
				first := s.Expand("Subject: pipelined chunks\r\n\r\n")
				second := s.Expand("The whole message in two chunks.\r\n")
				return s.Send([]byte(s.Expand("MAIL FROM:<{from}>\r\nRCPT TO:<{rcpt}>\r\n") +
					bodyBDATLine(len(first), false) + "\r\n" + first +
					bodyBDATLine(len(second), true) + "\r\n" + second))
			}),
			Expect("250"), Expect("250", "251"), Expect("250"), Expect("250"),
			Quiet(),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
)

// bodyPipelinedEnd reads the replies to the end of data of a pipelined
// transaction: one under SMTP, or one per accepted recipient under LMTP
// (RFC 2033 section 4.2), lmtpRcpts of them, each 250; then it requires
// silence and NOOP 250.
func bodyPipelinedEnd(lmtpRcpts int) Step {
	return Func("expect 250 to the end of data (one per recipient under LMTP), then nothing, then NOOP 250", func(s *Session) error {
		n := 1
		if s.Config().LMTP {
			n = lmtpRcpts
		}
		for range n {
			if _, err := bodyReadReply(s, "250"); err != nil {
				return err
			}
		}
		if err := s.Quiet(0); err != nil {
			return err
		}
		return Cmd("NOOP", "250").Run(s)
	})
}
