package conformance

import "github.com/smtpkit/smtpkit/wire"

// RSET, NOOP, HELP, VRFY, EXPN and QUIT (RFC 5321 sections 3.5, 4.1.1.5 to
// 4.1.1.10, 4.1.4, 4.3.2, 4.5.1).
//
// HELP is not in the minimum implementation of section 4.5.1: servers
// SHOULD support it without an argument (section 4.1.1.8), but a server
// that does not know it may answer 500 (section 4.3.2), so only the case
// "help" asks for 211 or 214. VRFY is in that list: 500 ("command not
// recognized") is a violation, 502 and 504 are listed replies that fall
// short of the SHOULD of section 3.5.1.

// Replies RFC 5321 section 4.3.2 lists for VRFY (3.5.1 adds 553 for an
// ambiguous name): basicVrfyAny includes "not implemented" (502, 504),
// which section 4.3.2 allows; basicVrfyDone leaves it out.
var (
	basicVrfyAny  = []string{"250", "251", "252", "550", "551", "553", "502", "504"}
	basicVrfyDone = []string{"250", "251", "252", "550", "551", "553"}
)

// basicExpn is EXPN, checked against whether the EHLO reply lists it (RFC
// 5321 section 3.5.2: a server that supports EXPN MUST list it; section
// 4.2.4: it MUST NOT list a command it answers 500 or 502).
func basicExpn() Step {
	return Func("send EXPN postmaster; expect a reply that agrees with the EHLO reply", func(s *Session) error {
		caps, _ := s.Capabilities()
		if caps.Has(wire.ExtEXPN) {
			s.Comment("EXPN is offered")
			return Cmd("EXPN postmaster", "250", "251", "252", "550", "551", "553", "504").Run(s)
		}
		s.Comment("EXPN is not offered")
		return Cmd("EXPN postmaster", "500", "502", "550").Run(s)
	})
}

var basicCommandCases = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.1.1.5", Name: "rset-clears-transaction", Level: Must,
		Title: "RSET gets 250 and clears the transaction: RCPT then gets 503, DATA 503 (or 554), and MAIL 250.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("RSET", "250"),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("DATA", "503", "554"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.5", Name: "rset-any-time", Level: Must,
		Title: "RSET gets 250 right after EHLO, twice in a row and after a transaction, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("RSET", "250"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicMessage(),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "rset-before-ehlo", Level: Should,
		Title: "RSET before EHLO gets 250, not 503.",
		Steps: []Step{Greeting(), Cmd("RSET", "250"), Hello()},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "noop-before-ehlo", Level: Should,
		Title: "NOOP before EHLO gets 250, not 503.",
		Steps: []Step{Greeting(), Cmd("NOOP", "250"), Hello()},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.9", Name: "noop-in-transaction", Level: Must,
		Title: "NOOP gets 250 inside a transaction and leaves it as it was.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("NOOP", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("NOOP", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("NOOP", "250"),
			basicMessage(),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.9", Name: "noop-with-argument", Level: Should,
		Title: "NOOP with an argument (an atom or a quoted string) gets 250: the argument is ignored.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("NOOP conformance", "250"),
			Cmd(`NOOP "a quoted string"`, "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.8", Name: "help", Level: Should,
		Title: "HELP without an argument is supported: 211 or 214.",
		Steps: []Step{Greeting(), Hello(), Cmd("HELP", "211", "214"), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.8", Name: "help-with-argument", Level: May,
		Title: "HELP with an argument gets 211 or 214, or 502/504 (500 when HELP is not known at all); never 501.",
		Steps: []Step{Greeting(), Hello(), Cmd("HELP MAIL", "211", "214", "502", "504", "500"), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "help-before-ehlo", Level: Should,
		Title: "HELP before EHLO is processed as after it (211, 214; 500/502/504 when not supported), not refused with 503.",
		Steps: []Step{Greeting(), Cmd("HELP", "211", "214", "500", "502", "504"), Hello()},
	},
	&Case{
		RFC: 5321, Section: "4.5.1", Name: "vrfy-recognised", Level: Must,
		Title: "VRFY, a required command, is recognised: one of the replies RFC 5321 section 4.3.2 lists, never 500.",
		Steps: []Step{Greeting(), Hello(), Cmd("VRFY postmaster", basicVrfyAny...), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 5321, Section: "3.5.1", Name: "vrfy-implemented", Level: Should,
		Title: "VRFY is implemented: 250, 251, 252 or a refusal of the name (550, 551, 553), not 502/504.",
		Steps: []Step{Greeting(), Hello(), Cmd("VRFY postmaster", basicVrfyDone...)},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "vrfy-before-ehlo", Level: Should,
		Title: "VRFY before EHLO is processed normally, not refused with 503.",
		Steps: []Step{Greeting(), Cmd("VRFY postmaster", basicVrfyAny...), Hello()},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.6", Name: "vrfy-keeps-transaction", Level: Must,
		Title: "VRFY inside a transaction leaves the buffers as they were: DATA still gets 354.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("VRFY postmaster", basicVrfyAny...),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "3.5.2", Name: "expn-matches-ehlo", Level: Must,
		Title: "EXPN is answered as the EHLO reply says: a 500/502 (or 550) when EXPN is not listed, a result or refusal of the list when it is.",
		Steps: []Step{Greeting(), Hello(), basicExpn(), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.7", Name: "expn-keeps-transaction", Level: Must,
		Title: "EXPN inside a transaction, whatever its reply, leaves the buffers as they were: DATA still gets 354.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("EXPN postmaster", "250", "251", "252", "500", "502", "504", "550", "551", "553"),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-221-close", Level: Must,
		Title: "QUIT gets 221 and the server closes the connection.",
		Steps: []Step{Greeting(), Hello(), Cmd("QUIT", "221"), Closed()},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-before-ehlo", Level: Must,
		Title: "QUIT before EHLO gets 221 and the server closes the connection.",
		Steps: []Step{Greeting(), Cmd("QUIT", "221"), Closed()},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-in-transaction", Level: Must,
		Title: "QUIT inside a transaction gets 221 and the server closes the connection.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("QUIT", "221"),
			Closed(),
		},
	},
)
