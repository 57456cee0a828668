package conformance

// The opening of a session: the greeting and EHLO/HELO (RFC 5321 sections
// 3.1, 4.1.1.1, 4.3.1).

var _ = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.3.1", Name: "greeting-220", Level: Must,
		Title: "The server opens the session with a 220 greeting.",
		Steps: []Step{Greeting()},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "ehlo-250", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO with a domain gets 250 with the server's name on the first line.",
		Steps: []Step{Greeting(), Cmd("EHLO {helo}", "250")},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "helo-250", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "HELO with a domain gets 250 (every server must accept HELO).",
		Steps: []Step{Greeting(), Cmd("HELO {helo}", "250")},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "ehlo-again-resets", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "A second EHLO inside a transaction resets it: MAIL is accepted again without RSET.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("EHLO {helo}", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "mail-twice", Level: Must,
		Title: "A second MAIL inside a transaction gets 503 and the first transaction stays open.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("MAIL FROM:<{from}>", "503"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
)
