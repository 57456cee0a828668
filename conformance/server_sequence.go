package conformance

import (
	"fmt"
	"strings"
)

// The order of commands (RFC 5321 sections 3.3, 4.1.1.1, 4.1.4): every
// command out of sequence, each followed by a proof that the session still
// works and is in the state it was in before.

// basicDataCodes are the replies RFC 5321 section 4.3.2 lists for the end
// of mail data: the transaction ends whichever comes (section 4.1.1.4).
var basicDataCodes = []string{"250", "450", "451", "452", "550", "552", "554"}

// basicContent is a small, well-formed message (RFC 5322) followed by the
// end-of-data line.
const basicContent = "From: <{from}>\r\nTo: <{rcpt}>\r\nSubject: smtpkit conformance\r\n" +
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <basic@conformance.smtpkit.test>\r\n" +
	"\r\nA message of the smtpkit conformance suite.\r\n.\r\n"

// basicMessage sends DATA, requires 354, sends basicContent and requires a
// final reply: it proves that a transaction with a recipient is open.
func basicMessage() Step {
	data, content, final := Cmd("DATA", "354"), Raw(basicContent), Expect(basicDataCodes...)
	return Func("DATA, expect 354, send a message, expect its final reply", func(s *Session) error {
		for _, st := range []Step{data, content, final} {
			if err := st.Run(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// basicCmd sends the line build returns (CRLF added) and expects one reply
// matching codes; desc names the line in reports.
func basicCmd(desc string, build func(s *Session) string, codes ...string) Step {
	expect := Expect(codes...)
	return Func("send "+desc+", "+expect.String(), func(s *Session) error {
		if err := s.Send([]byte(build(s) + "\r\n")); err != nil {
			return err
		}
		return expect.Run(s)
	})
}

// basicIf runs steps only when the code of the last reply matches codes:
// the follow-up of a case where the RFC allows several outcomes.
func basicIf(codes []string, steps ...Step) Step {
	descs := make([]string, len(steps))
	for i, st := range steps {
		descs[i] = st.String()
	}
	want := Codes(codes)
	return Func(fmt.Sprintf("if the reply was %s: %s", want, strings.Join(descs, "; ")), func(s *Session) error {
		if !want.Match(s.Last.Code) {
			return nil
		}
		for _, st := range steps {
			if err := st.Run(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// basicSkipIf skips the rest of the case when the last reply matches codes.
func basicSkipIf(codes []string, why string) Step {
	want := Codes(codes)
	return Func("skip if the reply was "+want.String(), func(s *Session) error {
		if want.Match(s.Last.Code) {
			return Skip("%s", why)
		}
		return nil
	})
}

// basicBDATProbe is a BDAT command with a 6-octet chunk that is itself a
// command line: a server that refuses the BDAT without reading its chunk
// runs the NOOP and sends a reply too many.
const basicBDATProbe = "BDAT 6 LAST\r\nNOOP\r\n"

var basicSequenceCases = register(SuiteServer,
	&Case{
		// The client MUST greet first (sections 4.1.1.1, 4.1.4); the server
		// MUST answer 503 only to commands it cannot process in that order,
		// so enforcing the greeting is the server's option.
		RFC: 5321, Section: "4.1.4", Name: "mail-before-ehlo", Level: May,
		Title: "MAIL before EHLO/HELO gets 503 and, after EHLO, MAIL is accepted.",
		Steps: []Step{
			Greeting(),
			Cmd("MAIL FROM:<{from}>", "503"),
			Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "rcpt-before-ehlo", Level: Must,
		Title: "RCPT before EHLO/HELO (so without MAIL) gets 503 and the session goes on.",
		Steps: []Step{
			Greeting(),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "rcpt-before-mail", Level: Must,
		Title: "RCPT without a previous MAIL gets 503, and MAIL then RCPT work afterwards.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-before-ehlo", Level: Must,
		Title: "DATA before EHLO/HELO gets 503 (or 554), never 354, and the session goes on.",
		Steps: []Step{
			Greeting(),
			Cmd("DATA", "503", "554"),
			Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-before-mail", Level: Must,
		Title: "DATA without MAIL gets 503 (or 554 no valid recipients), and a transaction works afterwards.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("DATA", "503", "554"),
			Cmd("NOOP", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-before-rcpt", Level: Must,
		Title: "DATA without RCPT gets 503 (or 554); after a 503 the transaction is still open and takes a recipient.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("DATA", "503", "554"),
			// RFC 5321 4.1.4: after a 503 the server MUST stay in the same
			// state; a 554 ("no valid recipients") may end the transaction.
			basicIf([]string{"554"}, Cmd("RSET", "250"), Cmd("MAIL FROM:<{from}>", "250")),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "bdat-before-mail", Level: Must, Needs: Needs{Ext: []string{"CHUNKING"}},
		Title: "BDAT without MAIL gets 503 (or 554), its chunk is read and not run as a command, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Raw(basicBDATProbe),
			Expect("503", "554"),
			Quiet(),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "bdat-before-rcpt", Level: Must, Needs: Needs{Ext: []string{"CHUNKING"}},
		Title: "BDAT without RCPT gets 503 (or 554), its chunk is read and not run as a command, and a transaction works afterwards.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Raw(basicBDATProbe),
			Expect("503", "554"),
			Quiet(),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "helo-again-resets", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "HELO inside a transaction ends it: RCPT afterwards gets 503 and MAIL is accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("HELO {helo}", "250"),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "ehlo-again-clears-recipients", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO after MAIL and RCPT clears the recipients: DATA afterwards gets 503 (or 554), not 354.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("EHLO {helo}", "250"),
			Cmd("DATA", "503", "554"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "ehlo-refused-keeps-transaction", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "An EHLO refused with 500/501 leaves the open transaction as it was: RCPT and DATA still work.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Send("EHLO"),
			Expect("250", "500", "501", "502", "550"),
			basicSkipIf([]string{"250"}, "the server accepted EHLO without a domain, so no EHLO was refused"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "mail-after-message", Level: Must,
		Title: "After a completed transaction, MAIL is accepted without RSET.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.4", Name: "message-clears-transaction", Level: Must,
		Title: "The end of mail data clears the buffers: RCPT afterwards gets 503 and DATA 503 (or 554).",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("DATA", "503", "554"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
)
