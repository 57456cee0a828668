package conformance

// LMTP (RFC 2033). Section 4.1: "The HELO and EHLO commands of ESMTP are
// not present in LMTP. A LMTP server MUST NOT return a Postive Completion
// reply code to these commands." Section 4.2: after the final ".", "the
// server returns one reply for each previously successful RCPT command in
// the mail transaction, in the order that the RCPT commands were issued.
// Even if there were multiple successful RCPT commands giving the same
// forward-path, there must be one reply for each successful RCPT command",
// and when there was no successful RCPT "the DATA command MUST fail with a
// 503 reply code".

import "fmt"

var _ = register(SuiteServer,
	&Case{
		RFC: 2033, Section: "4.1", Name: "lhlo-250", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "LHLO with a domain gets 250.",
		Steps: []Step{Greeting(), Cmd("LHLO {helo}", "250")},
	},
	&Case{
		RFC: 2033, Section: "4.1", Name: "ehlo-not-positive", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "EHLO gets no positive reply (500 is recommended); LHLO afterwards gets 250.",
		Steps: []Step{Greeting(), Cmd("EHLO {helo}", "4xx", "5xx"), Cmd("LHLO {helo}", "250")},
	},
	&Case{
		RFC: 2033, Section: "4.1", Name: "helo-not-positive", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "HELO gets no positive reply (500 is recommended); LHLO afterwards gets 250.",
		Steps: []Step{Greeting(), Cmd("HELO {helo}", "4xx", "5xx"), Cmd("LHLO {helo}", "250")},
	},
	&Case{
		RFC: 2033, Section: "4.2", Name: "reply-per-recipient", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "After the end of data the server sends one reply for each of two accepted recipients, and no more.",
		Steps: []Step{Greeting(), Hello(), bodyLMTP("{rcpt}", "{rcpt2}")},
	},
	&Case{
		RFC: 2033, Section: "4.2", Name: "reply-per-rcpt-same-path", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "Two accepted RCPT commands with the same forward-path get two replies after the end of data.",
		Steps: []Step{Greeting(), Hello(), bodyLMTP("{rcpt}", "{rcpt}")},
	},
	&Case{
		RFC: 2033, Section: "4.2", Name: "no-reply-for-refused-rcpt", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "A refused RCPT gets no reply after the end of data: one accepted recipient, one reply.",
		Steps: []Step{Greeting(), Hello(), bodyLMTP("", "{rcpt}")},
	},
	&Case{
		RFC: 2033, Section: "4.2", Name: "data-without-rcpt-503", Level: Must, Needs: Needs{Protocol: LMTPOnly},
		Title: "DATA when no RCPT of the transaction succeeded gets 503.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<>", "4xx", "5xx"),
			Cmd("DATA", "503"),
			Cmd("NOOP", "250"),
		},
	},
)

// bodyLMTP runs an LMTP transaction with a RCPT for each of rcpts ("" is a
// null forward-path, which must be refused; the first RCPT for each other
// path must be accepted; a refused repeat skips the case),
// then DATA and a message, and requires one reply per accepted RCPT (any
// code: each recipient's delivery may fail on its own), silence after them,
// and NOOP 250.
func bodyLMTP(rcpts ...string) Step {
	return Func(fmt.Sprintf("MAIL, %d RCPT, DATA, a message; expect one reply per accepted recipient, then nothing", len(rcpts)), func(s *Session) error {
		if err := Cmd("MAIL FROM:<{from}>", "250").Run(s); err != nil {
			return err
		}
		accepted, seen := 0, map[string]bool{}
		for _, r := range rcpts {
			if r == "" {
				if err := Cmd("RCPT TO:<>", "4xx", "5xx").Run(s); err != nil {
					return err
				}
				continue
			}
			if seen[r] {
				// A server may refuse a repeated forward-path; the rule
				// is then moot.
				rr, err := bodyReadAfter(s, "RCPT TO:<"+r+">", "2xx", "4xx", "5xx")
				if err != nil {
					return err
				}
				if !rr.Code.IsPositive() {
					return Skip("the server refused the repeated forward-path (%s)", replyText(rr))
				}
				accepted++
				continue
			}
			seen[r] = true
			if err := Cmd("RCPT TO:<"+r+">", "250", "251").Run(s); err != nil {
				return err
			}
			accepted++
		}
		if err := Cmd("DATA", "354").Run(s); err != nil {
			return err
		}
		if err := s.Send([]byte(s.Expand(bodySample + ".\r\n"))); err != nil {
			return err
		}
		for i := range accepted {
			if _, err := bodyReadReply(s, "250", "4xx", "5xx"); err != nil {
				if f, ok := err.(*Failure); ok && f.Timeout() {
					f.Got = fmt.Sprintf("%d of the %d replies due, one per accepted recipient (%s)", i, accepted, f.Got)
				}
				return err
			}
		}
		if err := s.Quiet(0); err != nil {
			return err
		}
		return Cmd("NOOP", "250").Run(s)
	})
}
