package conformance

import (
	"bytes"
	"fmt"
	"strings"
)

// Client-suite cases of what the client sends: data transparency and
// line endings (RFC 5321 sections 4.5.2, 4.1.1.4, 2.3.8 and SMTP
// smuggling), 7-bit content and envelopes without the extensions that
// allow more (section 2.4), and parameters only of offered extensions
// (sections 4.1.1.2 and 4.1.1.3).

const (
	clDotsMessage = "From: <{from}>\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n. dot and space\r\nmiddle\r\n...\r\n"
	clLoneDot     = "From: <{from}>\r\nSubject: a lone dot\r\n\r\nbefore the dot line\r\n.\r\nafter the dot line\r\n"
	clTrailing    = "From: <{from}>\r\nSubject: trailing empty lines\r\n\r\nbody\r\n\r\n\r\n"
	clNoFinalCRLF = "From: <{from}>\r\nSubject: no final CRLF\r\n\r\nthe last line has no line end"
	clBareLF      = "From: <{from}>\r\nSubject: bare LF\r\n\r\nline one\nline two\r\nEND-OF-MESSAGE\r\n"
	clBareCR      = "From: <{from}>\r\nSubject: bare CR\r\n\r\nline one\rline two\r\nEND-OF-MESSAGE\r\n"
	clSmuggle     = "From: <{from}>\r\nSubject: smuggling\r\n\r\nfirst\n.\nMAIL FROM:<smuggled@example.org>\r\nsecond\r.\rthird\r\n.\nfourth\n.\r\nEND-OF-MESSAGE\r\n"
	clEightBit    = "From: <{from}>\r\nSubject: eight bit\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e\r\n"
)

var _ = register(SuiteClient,
	&Case{
		RFC: 5321, Section: "4.5.2", Name: "dot-stuffing", Level: Must, Client: clJob(1, clDotsMessage),
		Title: "The client doubles the dot at the start of every message line that begins with one.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clDeliver(clDotsMessage), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.5.2", Name: "lone-dot-line", Level: Must, Client: clJob(1, clLoneDot),
		Title: "A message line that is a single dot travels as \"..\", so that it does not end the data early.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clDeliver(clLoneDot), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.4", Name: "no-extra-crlf", Level: Must, Client: clJob(1, clTrailing),
		Title: "The client ends the data with \".\" right after the message's last CRLF: it adds no line and drops none (here, trailing empty lines).",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), ReceiveMessage(clExactly(clTrailing)),
			Say("250 2.0.0 OK"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.4", Name: "final-line-without-crlf", Level: Must, Client: clJob(1, clNoFinalCRLF),
		Title: "Given a message whose last line has no CRLF, the client adds one before the final \".\" or refuses the message.",
		Steps: clScript(clOpen(), ExpectEnvelopeOrRefusal("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clExactly(clNoFinalCRLF+"\r\n")), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "2.3.8", Name: "bare-lf", Level: Must, Client: clJob(1, clBareLF),
		Title: "Given a message with a bare LF, the client sends CRLF in its place or refuses the message: it never transmits a bare LF.",
		Steps: clScript(clOpen(), ExpectEnvelopeOrRefusal("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clBoth(clCanonical, clEndsWith("END-OF-MESSAGE\r\n"))), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "2.3.8", Name: "bare-cr", Level: Must, Client: clJob(1, clBareCR),
		Title: "Given a message with a bare CR, the client sends CRLF in its place or refuses the message: it never transmits a bare CR.",
		Steps: clScript(clOpen(), ExpectEnvelopeOrRefusal("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clBoth(clCanonical, clEndsWith("END-OF-MESSAGE\r\n"))), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "2.3.8", Name: "smuggling-sequences", Level: Must, Client: clJob(1, clSmuggle),
		Title: "Given a message holding <LF>.<LF>, <CR>.<CR> and the like (SMTP smuggling), the client sends only CRLF line ends, stuffs every dot line and the data ends only after the whole message, or it refuses the message.",
		Steps: clScript(clOpen("PIPELINING"), ExpectEnvelopeOrRefusal("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clBoth(clCanonical, clEndsWith("END-OF-MESSAGE\r\n"))), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "eight-bit-needs-8bitmime", Level: Must, Client: clJob(1, clEightBit),
		Title: "Without 8BITMIME offered, the client transmits no octet with the high bit set: it converts the message to 7 bits or refuses it.",
		Steps: clScript(clOpen(), ExpectEnvelopeOrRefusal("250 2.1.0 OK", "250 2.1.5 OK"),
			ReceiveMessageOrEnd(clSevenBit), Say("250 2.0.0 OK"), Ends(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "ascii-envelope", Level: Must,
		Client: &ClientJob{From: "{from}", To: []string{"rcpt@b\u00fccher.example"}, Message: clMessage},
		Title:  "Without SMTPUTF8 offered, the client sends envelope commands in US-ASCII only (an IDN domain as its A-label) or refuses the address.",
		Steps:  clScript(clOpen("8BITMIME"), clAcceptAll(clASCIILine), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.4", Name: "command-line-limit", Level: Should,
		Client: &ClientJob{From: clLongAddr("s"), To: []string{clLongAddr("r")}, Message: clMessage},
		Title:  "The client keeps every command line within 512 octets, CRLF included, also for the longest legal addresses.",
		Steps:  clScript(clOpen(), clAcceptAll(clLineLimit), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.3", Name: "params-only-offered", Level: Must, Client: clJob(2, ""),
		Title: "With no extensions offered, MAIL and RCPT carry no parameters (SIZE, BODY, SMTPUTF8, NOTIFY ... only when their extension was offered).",
		Steps: clScript(clOpen(), ExpectEnvelopeParams("250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"), clDeliver(""), Ends(), Reports(OutcomeDelivered)),
	},
)

// clCanonical requires the content as it travelled to hold CR and LF only
// as CRLF pairs (RFC 5321 section 2.3.8).
func clCanonical(_ *Session, m *Received) error {
	w := m.Wire
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] == '\r' && (i+1 >= len(w) || w[i+1] != '\n') && !(m.Aborted && i+1 == len(w)):
			return &Failure{Rule: "RFC 5321 section 2.3.8", Want: "CR only in CRLF", Got: fmt.Sprintf("a bare CR at octet %d: %q", i, clSnippet(w, max(0, i-12)))}
		case w[i] == '\n' && (i == 0 || w[i-1] != '\r'):
			return &Failure{Rule: "RFC 5321 section 2.3.8", Want: "LF only in CRLF", Got: fmt.Sprintf("a bare LF at octet %d: %q", i, clSnippet(w, max(0, i-12)))}
		}
	}
	return nil
}

// clEndsWith requires the whole message to arrive: the data did not end
// before its last line.
func clEndsWith(last string) ContentCheck {
	return func(_ *Session, m *Received) error {
		if m.Aborted || bytes.HasSuffix(bytes.TrimRight(m.Content, "\r\n"), []byte(strings.TrimRight(last, "\r\n"))) {
			return nil
		}
		return &Failure{Want: fmt.Sprintf("the data to end after the message's last line %q", last),
			Got: fmt.Sprintf("the data ended after %q", m.Content[max(0, len(m.Content)-40):])}
	}
}

// clSevenBit requires every octet of the content to be 7-bit (RFC 5321
// section 2.4).
func clSevenBit(_ *Session, m *Received) error {
	for i, b := range m.Wire {
		if b >= 0x80 {
			return &Failure{Rule: "RFC 5321 section 2.4", Want: "7-bit content without 8BITMIME", Got: fmt.Sprintf("octet %#02x at %d", b, i)}
		}
	}
	return nil
}

// clLongAddr is a mailbox with a 64-octet local part and a domain that
// brings the path, with its brackets, to the 256 octets of RFC 5321
// section 4.5.3.1.3.
func clLongAddr(prefix string) string {
	local := prefix + strings.Repeat("l", 63)
	label := strings.Repeat("d", 62)
	return local + "@" + label + "." + label + "." + strings.Repeat("e", 58) + ".test" // 64 + 1 + 189 octets
}

// clASCIILine requires a command line to be US-ASCII (RFC 5321 section
// 2.4).
func clASCIILine(line string) error {
	for i := 0; i < len(line); i++ {
		if line[i] >= 0x80 {
			return &Failure{Rule: "RFC 5321 section 2.4", Want: "US-ASCII command lines", Got: quoteLine(line)}
		}
	}
	return nil
}

// clLineLimit requires a command line to fit 512 octets with its CRLF (RFC
// 5321 section 4.5.3.1.4).
func clLineLimit(line string) error {
	if len(line)+2 > 512 {
		return &Failure{Rule: "RFC 5321 section 4.5.3.1.4", Want: "command lines of at most 512 octets", Got: fmt.Sprintf("%d octets: %s", len(line)+2, quoteLine(line))}
	}
	return nil
}

// clAcceptAll plays a server that accepts everything and judges every
// command line with check: MAIL, RCPT, RSET and NOOP get 250, DATA 354
// and the message 250, QUIT 221; the steps end with QUIT or a close.
func clAcceptAll(check func(line string) error) Step {
	return step{"accept the transaction, checking every command line", func(s *Session) error {
		for {
			line, err := s.ReadCommand()
			if err != nil {
				if PeerClosed(err) {
					return &clStop{"the client closed the connection"}
				}
				return err
			}
			if err := check(line); err != nil {
				return err
			}
			verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
			switch verb {
			case "MAIL", "RCPT", "RSET", "NOOP":
			case "DATA":
				if err := s.Send([]byte("354 go ahead\r\n")); err != nil {
					return err
				}
				if _, err := s.ReadData(0); err != nil {
					return err
				}
			case "QUIT":
				_ = s.Send([]byte("221 2.0.0 Bye\r\n"))
				return &clStop{"the client sent QUIT"}
			default:
				return &Failure{Want: "MAIL, RCPT, DATA, RSET, NOOP or QUIT", Got: quoteLine(line)}
			}
			if err := s.Send([]byte("250 2.0.0 OK\r\n")); err != nil {
				return err
			}
		}
	}}
}
