package conformance

import (
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/state"
)

// Line limits (RFC 5321 sections 4.5.3.1.4 and 4.5.3.1.5): a command line
// of 512 octets must be received; a longer one may be refused, but gets
// exactly one reply (section 4.2) and its tail is never run as a command;
// reply lines stay within 512 octets.

// basicLine returns a command line of exactly n octets, CRLF included:
// verb, a space, and filler. From octet 510 on the filler is "RSET "
// repeated, so that a server that cuts the line at the 512-octet limit and
// reads the rest as a new command answers it, a reply too many.
func basicLine(verb string, n int) string {
	var b strings.Builder
	b.WriteString(verb)
	b.WriteByte(' ')
	for b.Len() < 510 && b.Len() < n-2 {
		b.WriteByte('x')
	}
	for b.Len() < n-2 {
		b.WriteString("RSET "[:min(5, n-2-b.Len())])
	}
	b.WriteString("\r\n")
	return b.String()
}

// basicSendLine sends a line of n octets made by basicLine and expects one
// reply matching codes.
func basicSendLine(verb string, n int, codes ...string) Step {
	expect := Expect(codes...)
	return Func(fmt.Sprintf("send a %s line of %d octets, %s", verb, n, expect), func(s *Session) error {
		if err := s.Send([]byte(basicLine(verb, n))); err != nil {
			return err
		}
		return expect.Run(s)
	})
}

// basicCheckReplyLen fails when a line of the last reply (or, with first,
// of the first reply of the session) is longer than 512 octets, CRLF
// included (RFC 5321 section 4.5.3.1.5).
func basicCheckReplyLen(what string, first bool) Step {
	return Func("check that the lines of the "+what+" are at most 512 octets", func(s *Session) error {
		lines := basicReplyLines(s)
		if first {
			writes := s.Transcript().Writes(state.SideServer)
			if len(writes) == 0 {
				return nil
			}
			lines = strings.Split(strings.TrimSuffix(string(writes[0]), "\r\n"), "\r\n")
		}
		for _, l := range lines {
			if len(l)+2 > 512 {
				return &Failure{Want: "reply lines of at most 512 octets", Got: fmt.Sprintf("a line of %d octets in the %s (%.60q...)", len(l)+2, what, l)}
			}
		}
		return nil
	})
}

var basicLineCases = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.5.3.1.4", Name: "command-line-512", Level: Must,
		Title: "A command line of exactly 512 octets (a NOOP with an argument) is received and answered 250, not 500.",
		Steps: []Step{
			Greeting(), Hello(),
			basicSendLine("NOOP", 512, "250"),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.4", Name: "vrfy-line-512", Level: Must,
		Title: "A VRFY line of exactly 512 octets gets a VRFY reply (or 501), never 500 \"line too long\".",
		Steps: []Step{
			Greeting(), Hello(),
			basicSendLine("VRFY", 512, "2xx", "4xx", "501", "502", "504", "55x"),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "long-line-one-reply", Level: Must,
		Title: "A 2000-octet command line gets exactly one reply (250, or 500/501 if refused), its tail is not run, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			basicSendLine("NOOP", 2000, "250", "500", "501"),
			Quiet(),
			Cmd("NOOP", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "long-line-in-transaction", Level: Must,
		Title: "A 10000-octet command line inside a transaction gets exactly one reply, its tail is not run, and the transaction goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicSendLine("NOOP", 10000, "250", "500", "501"),
			Quiet(),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.5", Name: "reply-line-512", Level: Should,
		Title: "Reply lines (greeting, EHLO, HELP, the reply to a long unknown command) are at most 512 octets.",
		Steps: []Step{
			Greeting(), basicCheckReplyLen("greeting", true),
			Hello(), basicCheckReplyLen("EHLO reply", false),
			Send("HELP"), Expect("2xx", "4xx", "5xx"), basicCheckReplyLen("HELP reply", false),
			basicSendLine("XYZZY", 500, "5xx"), basicCheckReplyLen("reply to a 500-octet unknown command", false),
		},
	},
)
