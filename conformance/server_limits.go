package conformance

// Recipient and transaction limits: RFC 5321 section 4.5.3.1.8 ("The
// minimum total number of recipients that MUST be buffered is 100
// recipients"; a server with a limit "MUST behave in an orderly fashion,
// such as rejecting additional addresses over its limit rather than
// silently discarding addresses previously accepted"), section 4.5.3.1.10
// (452 for an implementation limit, a 5yz MAY be used for a site policy,
// 503 to the DATA that follows is reasonable), and the limits a server
// announces with LIMITS (RFC 9422: MAILMAX transactions per session,
// RCPTMAX RCPT commands per transaction).

import (
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
)

// bodyMaxRecipientsTried bounds the RCPT commands a case sends: a RCPTMAX
// above it skips the case.
const bodyMaxRecipientsTried = 1000

var _ = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.5.3.1.8", Name: "hundred-recipients", Level: Must,
		Title:   "A transaction takes 100 recipients: each of 100 RCPT commands gets 250 or 251.",
		Timeout: 3 * DefaultTimeout,
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Func("send RCPT TO:<{rcpt}> 100 times, expect 250 or 251 to each", func(s *Session) error {
				return bodyRcpts(s, 100, "250", "251")
			}),
			Cmd("RSET", "250"),
		},
	},
	&Case{
		RFC: 9422, Section: "4.2", Name: "rcptmax-honoured", Level: Should,
		Title:   "With LIMITS RCPTMAX=n, n recipients are accepted, the one after them is refused (452 or another 4yz/5yz), and the transaction goes on with those accepted.",
		Needs:   Needs{Ext: []string{"LIMITS"}},
		Timeout: 6 * DefaultTimeout,
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL, RCPTMAX RCPT commands (250), one more (refused), DATA", func(s *Session) error {
				caps, _ := s.Capabilities()
				n := caps.Limits().RcptMax
				switch {
				case n == 0:
					return Skip("LIMITS announces no RCPTMAX")
				case n > bodyMaxRecipientsTried:
					return Skip("RCPTMAX=%d is more recipients than the case sends", n)
				}
				if err := Cmd("MAIL FROM:<{from}>", "250").Run(s); err != nil {
					return err
				}
				if err := bodyRcpts(s, n, "250", "251"); err != nil {
					return err
				}
				if err := Cmd("RCPT TO:<{rcpt}>", "4xx", "5xx").Run(s); err != nil {
					return err
				}
				// RFC 5321 section 4.5.3.1.10: a site policy may also
				// refuse the DATA that follows with 503.
				r, err := bodyReadAfter(s, "DATA", "354", "503", "554")
				if err != nil || r.Code != 354 {
					return err
				}
				if err := s.Send([]byte(s.Expand(bodySample + ".\r\n"))); err != nil {
					return err
				}
				replies := 1
				if s.Config().LMTP {
					replies = n
				}
				for range replies {
					if _, err := bodyReadReply(s, "250"); err != nil {
						return err
					}
				}
				return nil
			}),
		},
	},
	&Case{
		RFC: 9422, Section: "4.1", Name: "mailmax-honoured", Level: Should,
		Title:   "With LIMITS MAILMAX=n, n transactions are accepted in one session and MAIL after them is refused (4yz/5yz, or 421 and a close).",
		Needs:   Needs{Ext: []string{"LIMITS"}},
		Timeout: 6 * DefaultTimeout,
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAILMAX transactions (250 each), then MAIL (refused)", func(s *Session) error {
				caps, _ := s.Capabilities()
				n := caps.Limits().MailMax
				switch {
				case n == 0:
					return Skip("LIMITS announces no MAILMAX")
				case n > 50:
					return Skip("MAILMAX=%d is more transactions than the case runs", n)
				}
				for i := range n {
					s.Comment("transaction %d of %d", i+1, n)
					if err := bodyOpen("").Run(s); err != nil {
						return err
					}
					if err := bodyDeliver().Run(s); err != nil {
						return err
					}
				}
				if err := Send("MAIL FROM:<{from}>").Run(s); err != nil {
					return err
				}
				return ExpectOrClose("4xx", "5xx").Run(s)
			}),
		},
	},
)

// bodyRcpts sends RCPT TO:<{rcpt}> n times, all in one write when the
// server offers PIPELINING (RFC 2920) and one at a time otherwise, and
// requires every reply to match codes.
func bodyRcpts(s *Session, n int, codes ...string) error {
	line := s.Expand("RCPT TO:<{rcpt}>\r\n")
	if bodyOffers(s, "PIPELINING") {
		if err := s.Send([]byte(strings.Repeat(line, n))); err != nil {
			return err
		}
		for i := range n {
			if _, err := bodyReadReply(s, codes...); err != nil {
				return bodyNth(err, i, n)
			}
		}
		return nil
	}
	for i := range n {
		if err := s.Send([]byte(line)); err != nil {
			return err
		}
		if _, err := bodyReadReply(s, codes...); err != nil {
			return bodyNth(err, i, n)
		}
	}
	return nil
}

// bodyNth says which of n replies a failure is about.
func bodyNth(err error, i, n int) error {
	if f, ok := err.(*Failure); ok {
		f.Got = fmt.Sprintf("%s (reply %d of %d)", f.Got, i+1, n)
	}
	return err
}

// bodyReadAfter sends line and CRLF and reads one reply matching codes.
func bodyReadAfter(s *Session, line string, codes ...string) (reply.Reply, error) {
	if err := s.Send([]byte(s.Expand(line) + "\r\n")); err != nil {
		return reply.Reply{}, err
	}
	return bodyReadReply(s, codes...)
}
