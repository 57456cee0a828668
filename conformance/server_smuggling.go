package conformance

// SMTP smuggling (SEC Consult, December 2023; CVE-2023-51764,
// CVE-2023-51765, CVE-2023-51766): a message whose content holds a
// non-canonical end-of-data sequence followed by a second, smuggled
// transaction. RFC 5321 section 4.1.1.4 ends mail data only at
// <CRLF>.<CRLF> and says "<LF>.<LF>" MUST NOT be treated as the end;
// section 2.3.8 says conforming implementations MUST NOT recognize any
// other sequence as a line terminator. A server may refuse content with
// bare CR or LF (after reading it to the real end) or keep it; it must never
// end the message early and run what follows as commands.

// bodySmuggleSequence is one non-canonical end-of-data candidate, named as the
// public scanners name it (smtpsmug, SMTP-Smuggling-Tools).
type bodySmuggleSequence struct {
	name    string // case name
	seq     string // the octets placed inside the content
	section string // RFC 5321 section of the rule
	what    string // the sequence in words, for the title
}

var bodySmuggleSequences = []bodySmuggleSequence{
	{"smuggle-lf-dot-lf", "\n.\n", "4.1.1.4", "<LF>.<LF>"},
	{"smuggle-lf-dot-crlf", "\n.\r\n", "2.3.8", "<LF>.<CRLF>"},
	{"smuggle-lf-dot-cr", "\n.\r", "2.3.8", "<LF>.<CR>"},
	{"smuggle-cr-dot-cr", "\r.\r", "2.3.8", "<CR>.<CR>"},
	{"smuggle-cr-dot-lf", "\r.\n", "2.3.8", "<CR>.<LF>"},
	{"smuggle-cr-dot-crlf", "\r.\r\n", "2.3.8", "<CR>.<CRLF>"},
	{"smuggle-crlf-dot-lf", "\r\n.\n", "2.3.8", "<CRLF>.<LF>"},
	{"smuggle-crlf-dot-cr", "\r\n.\r", "2.3.8", "<CRLF>.<CR>"},
	{"smuggle-crlf-dot-cr-crlf", "\r\n.\r\r\n", "2.3.8", "<CRLF>.<CR><CRLF>"},
	{"smuggle-nul-before-dot", "\r\n\x00.\r\n", "4.1.1.4", "<CRLF><NUL>.<CRLF>"},
	{"smuggle-nul-after-dot", "\r\n.\x00\r\n", "4.1.1.4", "<CRLF>.<NUL><CRLF>"},
}

// bodySmuggled is what follows the sequence: a whole second
// transaction, as an attacker would place it.
const bodySmuggled = "MAIL FROM:<{from}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\nSubject: smuggled\r\n\r\nThis message was smuggled.\r\n"

var _ = register(SuiteServer, bodySmugglingCases()...)

// bodySmugglingCases makes one case per sequence: after the sequence and the
// smuggled transaction nothing may be answered; the real end of data then
// gets exactly one reply (250, or a refusal of the bare CR, LF or NUL),
// nothing more, and NOOP gets 250 (a server that ran the smuggled commands
// would be out of step). Refusing the content may end the session.
func bodySmugglingCases() []*Case {
	cases := make([]*Case, 0, len(bodySmuggleSequences))
	for _, sq := range bodySmuggleSequences {
		cases = append(cases, &Case{
			RFC: 5321, Section: sq.section, Name: sq.name, Level: Must,
			Title: "A " + sq.what + " inside message content does not end the message; the transaction smuggled after it never runs.",
			Steps: []Step{
				Greeting(), Hello(), bodyOpen(""), Cmd("DATA", "354"),
				Raw("Subject: smuggling probe\r\n\r\nThe first message." + sq.seq + bodySmuggled),
				Quiet(),
				Raw(".\r\n"),
				bodyOneReply(true, "250", "4xx", "5xx"),
			},
		})
	}
	return cases
}
