package conformance

import (
	"fmt"
	"strings"
)

// Client-suite cases of the mail transaction: every reply class to MAIL,
// RCPT, DATA and the end of data (RFC 5321 sections 3.3, 3.8, 4.2.5,
// 4.5.3.1.10), waiting for replies and PIPELINING (RFC 5321 section 4.3.1,
// RFC 2920), and BDAT (RFC 3030).

var _ = register(SuiteClient,
	&Case{
		RFC: 5321, Section: "3.3", Name: "mail-5yz", Level: Must, Client: clJob(1, ""),
		Title: "After a 5yz reply to MAIL the client sends no message and reports it undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("550 5.7.1 sender refused"), clEndsNoMail(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "mail-4yz", Level: Must, Client: clJob(1, ""),
		Title: "After a 4yz reply to MAIL the client sends no message and reports it undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("451 4.3.0 try again later"), clEndsNoMail(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2.1", Name: "no-rcpt-after-refused-mail", Level: Should, Client: clJob(1, ""),
		Title: "Without PIPELINING, a client whose MAIL got 4yz returns to the beginning of the command sequence: it sends no RCPT.",
		Steps: clScript(clOpen(), ExpectEnvelope("451 4.3.0 try again later"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.8", Name: "mail-421", Level: Must, Client: clJob(1, ""),
		Title: "After 421 to MAIL and a close the client reports the message undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("421 4.3.2 "+ScriptedServerName+" shutting down"), HangUp(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "all-rcpt-refused", Level: Must, Client: clJob(1, ""),
		Title: "When every RCPT is refused the client sends no message data (DATA, if sent, is refused) and reports the message undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "550 5.1.1 no such user"),
			EndsRefusing("DATA", "554 5.5.1 No valid recipients"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "all-rcpt-refused-pipelined", Level: Must, Client: clJob(2, ""),
		Title: "With PIPELINING, when both RCPTs are refused the client sends no message data even if it sent DATA in the group.",
		Steps: clScript(clOpen("PIPELINING"), ExpectEnvelopeOrEnd("250 2.1.0 OK", "550 5.1.1 no such user", "450 4.2.1 mailbox busy"),
			EndsRefusing("DATA", "554 5.5.1 No valid recipients"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "rcpt-partial", Level: Must, Client: clJob(2, ""),
		Title: "After one of two RCPTs is refused the client keeps the transaction in order: DATA and the message for the other, or RSET or QUIT.",
		Steps: clScript(clOpen(), ExpectEnvelopeOrEnd("250 2.1.0 OK", "550 5.1.1 no such user", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clContentIs(clMessage)), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.10", Name: "rcpt-452-too-many", Level: Should, Client: clJob(3, ""),
		Title: "When the third RCPT gets 452 (too many recipients) the client still sends the message to the two accepted and treats the third as temporary.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK", "452 4.5.3 Too many recipients"),
			ReceiveMessage(clContentIs(clMessage)), Say("250 2.0.0 OK"),
			EndsRefusing("MAIL", "451 4.3.0 not now"), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-5yz", Level: Must, Client: clJob(1, ""),
		Title: "After a 5yz reply to DATA the client sends no message data and reports the message undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), On("DATA", "554 5.6.0 not now, not ever"),
			Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "data-4yz", Level: Must, Client: clJob(1, ""),
		Title: "After a 4yz reply to DATA the client sends no message data and reports the message undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), On("DATA", "451 4.3.0 try again later"),
			Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2.5", Name: "end-of-data-5yz", Level: Must, Client: clJob(1, ""),
		Title: "A 5yz reply after the end of the data means the message was not accepted: the client reports it undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), ReceiveMessage(clContentIs(clMessage)),
			Say("554 5.6.0 message refused"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2.5", Name: "end-of-data-4yz", Level: Must, Client: clJob(1, ""),
		Title: "A 4yz reply after the end of the data leaves the message with the client: it reports it undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), ReceiveMessage(clContentIs(clMessage)),
			Say("451 4.3.0 try again later"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.8", Name: "close-after-data", Level: Should, Client: clJob(1, ""),
		Title: "When the connection closes after the message with no reply, the client treats it as a 451: undelivered.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), ReceiveMessage(clContentIs(clMessage)),
			HangUp(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.8", Name: "close-mid-reply", Level: Should, Client: clJob(1, ""),
		Title: "When the connection closes inside a multi-line reply to the end of data (after \"250-\"), the client does not take it as acceptance.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), ReceiveMessage(clContentIs(clMessage)),
			Raw("250-2.0.0 accepted so far\r\n"), HangUp(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.3.1", Name: "wait-for-each-reply", Level: Must, Client: clJob(1, ""),
		Title: "Without PIPELINING the client waits for each reply (EHLO, MAIL, RCPT, DATA) before it sends the next command.",
		Steps: clScript(Greet(), ExpectCommand(`EHLO \S+`), Quiet(), SayEHLO(),
			ExpectCommand(`MAIL FROM:<{from}>.*`), Quiet(), Say("250 2.1.0 OK"),
			ExpectCommand(`RCPT TO:<{rcpt}>.*`), Quiet(), Say("250 2.1.5 OK"),
			ReceiveMessageWaiting(clContentIs(clMessage)), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 2920, Section: "3.1", Name: "data-ends-group", Level: Must, Client: clJob(2, ""),
		Title: "With PIPELINING the client may group MAIL, RCPT and DATA, but DATA ends the group: no message content before the 354.",
		Steps: clScript(clOpen("PIPELINING"), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"),
			ReceiveMessageWaiting(clContentIs(clMessage)), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-chunks", Level: Must, Client: clJob(1, clBigMessage),
		Title: "With CHUNKING offered, the client sends a 100 KB message with DATA or in BDAT chunks that carry exactly the octets they announce, the last marked LAST.",
		Steps: clScript(clOpen("PIPELINING", "CHUNKING"), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessage(clContentIs(clBigMessage)), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.3.1", Name: "wait-between-chunks", Level: Must, Client: clJob(1, clBigMessage),
		Title: "Without PIPELINING, a client sending BDAT chunks waits for the reply to each chunk before it sends the next.",
		Steps: clScript(clOpen("CHUNKING"), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clChunksWaiting(clBigMessage),
			Say("250 2.0.0 OK"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3030, Section: "2", Name: "bdat-refused-stops", Level: Must, Client: clJob(1, clBigMessage),
		Title: "Without PIPELINING, after a 5yz reply to a BDAT chunk the client sends no further chunk.",
		Steps: clScript(clOpen("CHUNKING"), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clRefuseFirstChunk(),
			Ends(), Reports(OutcomeFailed)),
	},
)

// clBigMessage is a message of about 100 KB (1300 lines of 78 octets).
var clBigMessage = func() string {
	var b strings.Builder
	b.WriteString("From: <{from}>\r\nTo: <{rcpt}>\r\nSubject: a larger message\r\n\r\n")
	for i := range 1300 {
		fmt.Fprintf(&b, "%04d %s\r\n", i, strings.Repeat("abcdefghij", 7)+"xyz")
	}
	return b.String()
}()

// clChunksWaiting reads a message in BDAT chunks, waiting in silence
// after every chunk but the LAST before answering it, and requires the
// message to be want. DATA, or a single LAST chunk, skips the case.
func clChunksWaiting(want string) Step {
	return step{"expect BDAT chunks, nothing before each reply", func(s *Session) error {
		var got []byte
		for first := true; ; first = false {
			line, err := s.ReadCommand()
			if err != nil {
				return clWant(err, "BDAT")
			}
			sm := clBDATRE.FindStringSubmatch(line)
			switch {
			case first && strings.EqualFold(line, "DATA"):
				return Skip("the client sent the message with DATA")
			case sm == nil:
				return &Failure{Want: "BDAT <size> [LAST]", Got: quoteLine(line)}
			case first && sm[2] != "":
				return Skip("the client sent the message in one LAST chunk")
			}
			var n int
			fmt.Sscan(sm[1], &n)
			chunk, err := s.ReadN(n)
			if err != nil {
				return err
			}
			got = append(got, chunk...)
			if sm[2] != "" {
				break
			}
			if err := s.Quiet(0); err != nil {
				return err
			}
			if err := s.Send([]byte(fmt.Sprintf("250 2.0.0 %d octets\r\n", n))); err != nil {
				return err
			}
		}
		return clContentIs(want)(s, &Received{Wire: got, Content: got, BDAT: true})
	}}
}

// clRefuseFirstChunk expects BDAT, reads the first chunk and refuses it
// with 554. A message sent with DATA or in a single LAST chunk skips the
// case: there is no further chunk to hold back.
func clRefuseFirstChunk() Step {
	return step{"expect a BDAT chunk that is not the LAST, reply 554", func(s *Session) error {
		line, err := s.ReadCommand()
		if err != nil {
			return clWant(err, "BDAT")
		}
		sm := clBDATRE.FindStringSubmatch(line)
		switch {
		case strings.EqualFold(line, "DATA"):
			return Skip("the client sent the message with DATA")
		case sm == nil:
			return &Failure{Want: "BDAT <size>", Got: quoteLine(line)}
		case sm[2] != "":
			return Skip("the client sent the message in one LAST chunk")
		}
		var n int
		fmt.Sscan(sm[1], &n)
		if _, err := s.ReadN(n); err != nil {
			return err
		}
		return s.Send([]byte("554 5.6.0 chunk refused\r\n"))
	}}
}
