package conformance

// CHUNKING and BINARYMIME (RFC 3030): BDAT carries exactly the octets it
// announces, with no dot-stuffing and no end-of-data line (section 2); a
// refused BDAT still has its chunk read and dropped ("If a failure occurs
// after a BDAT command is received, the receiver-SMTP MUST accept and
// discard the associated message data before sending the appropriate 5XX or
// 4XX code"); DATA and BDAT do not mix in one transaction, and
// BODY=BINARYMIME needs BDAT (section 3). BDAT before MAIL or RCPT is in
// server_sequence.go.

import "fmt"

// bodyChunkCommands are command lines sent as chunk content: if the
// server ran them, extra replies would come.
const bodyChunkCommands = "NOOP\r\nRSET\r\nNOOP\r\n"

var _ = register(SuiteServer,
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-chunks-then-last-zero", Level: Must,
		Title: "Two BDAT chunks each get 250, and BDAT 0 LAST ends the message with 250.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDAT("Subject: chunked\r\n\r\nThe first chunk, ", false, "250"),
			bodyBDAT("and the second chunk.\r\n", false, "250"),
			Cmd("BDAT 0 LAST", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-single-last", Level: Must,
		Title: "One BDAT n LAST carries a whole message and gets 250; the next transaction starts cleanly.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDAT(bodySample, true, "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-crlf-dot-crlf-is-data", Level: Must,
		Title: "A chunk holding <CRLF>.<CRLF> and command lines is message data: one 250, no other reply.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDATSend("Subject: dots\r\n\r\nbody\r\n.\r\n"+bodyChunkCommands, true),
			bodyOneReply(false, "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-after-last", Level: Must,
		Title: "BDAT after BDAT LAST gets 503, and its chunk is read and dropped, not run as commands.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDAT(bodySample, true, "250"),
			bodyBDATSend(bodyChunkCommands, true),
			bodyOneReply(false, "503"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "data-after-bdat", Level: Must,
		Title: "DATA after a BDAT chunk of the same transaction gets 503, and RSET then clears the transaction.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDAT("Subject: mixed\r\n\r\n", false, "250"),
			Cmd("DATA", "503"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "rset-after-chunk", Level: Must,
		Title: "RSET after a BDAT chunk and before BDAT LAST drops the message: a new MAIL is accepted.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			bodyBDAT("Subject: abandoned\r\n\r\n", false, "250"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			bodyBDAT(bodySample, true, "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-bad-size", Level: Should,
		Title: "BDAT whose size is not a number (\"12x\") is refused at once (501, or 4yz/5yz and a close), not read as a size.",
		Needs: Needs{Ext: []string{"CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(""),
			Send("BDAT 12x LAST"),
			Func("expect 501 (or 4yz/5yz and a close), then NOOP 250 while open", func(s *Session) error {
				r, err := s.ReadReply()
				switch {
				case err != nil && PeerClosed(err):
					return nil
				case err != nil:
					return err
				case !Codes{"501", "4xx", "5xx"}.Match(r.Code):
					return &Failure{Want: "501 or another 4yz/5yz", Got: replyText(r)}
				}
				if err := s.Send([]byte("NOOP\r\n")); err != nil {
					return nil // closed after the refusal
				}
				n, err := s.ReadReply()
				if err != nil {
					if PeerClosed(err) {
						return nil
					}
					return err
				}
				if n.Code != 250 {
					return &Failure{Want: "250 to NOOP", Got: replyText(n)}
				}
				return nil
			}),
		},
	},
	&Case{
		RFC: 3030, Section: "3", Name: "binarymime-bdat", Level: Must,
		Title: "MAIL with BODY=BINARYMIME is accepted and a chunk of arbitrary octets (NUL, bare CR and LF, 8-bit) gets 250.",
		Needs: Needs{Ext: []string{"BINARYMIME", "CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(" BODY=BINARYMIME"),
			bodyBDAT("Subject: binary\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"+
				"\x00\x01\xff\xfe\r.\n.\r\n\x80binary\n", true, "250"),
		},
	},
	&Case{
		RFC: 3030, Section: "3", Name: "binarymime-data-503", Level: Must,
		Title: "DATA in a BODY=BINARYMIME transaction gets 503, and RSET then clears the transaction.",
		Needs: Needs{Ext: []string{"BINARYMIME", "CHUNKING"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(" BODY=BINARYMIME"),
			Cmd("DATA", "503"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
)

// bodyBDATSend sends "BDAT <size>[ LAST]" and the chunk (placeholders
// replaced first, so that the size counts the octets sent) in one write.
func bodyBDATSend(chunk string, last bool) Step {
	return Func("send "+bodyBDATLine(len(chunk), last)+" and its chunk "+quoteLine(chunk), func(s *Session) error {
		data := s.Expand(chunk)
		return s.Send([]byte(bodyBDATLine(len(data), last) + "\r\n" + data))
	})
}

// bodyBDAT sends a BDAT command with its chunk and expects one reply
// matching codes.
func bodyBDAT(chunk string, last bool, codes ...string) Step {
	return bodyChain(bodyBDATSend(chunk, last), Expect(codes...))
}

// bodyBDATLine is the BDAT command line, without CRLF.
func bodyBDATLine(size int, last bool) string {
	line := fmt.Sprintf("BDAT %d", size)
	if last {
		line += " LAST"
	}
	return line
}
