package conformance

// Client-suite cases of STARTTLS (RFC 3207) and AUTH (RFC 4954, RFC 4616).
// The jobs ask the client to require TLS (ClientJob.TLS) or to
// authenticate (ClientJob.Auth); clients that cannot be asked to are
// skipped.

// clTLSNeeds are the Needs of a case whose job requires TLS.
var clTLSNeeds = Needs{TLS: true}

var _ = register(SuiteClient,
	&Case{
		RFC: 3207, Section: "4", Name: "starttls-delivers", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "Asked to require TLS, the client sends STARTTLS, starts the handshake right after the 220, sends EHLO again and delivers under TLS.",
		Steps: clScript(clOpen("STARTTLS"), ServeStartTLS(), AnswerEHLO(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3207, Section: "6", Name: "required-not-offered", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "Asked to require TLS, the client sends no mail to a server whose EHLO reply lacks STARTTLS (a stripped STARTTLS) and reports the message undelivered.",
		Steps: clScript(clOpen("PIPELINING", "8BITMIME"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 3207, Section: "6", Name: "required-refused", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "Asked to require TLS, the client sends no mail after STARTTLS gets 454 and reports the message undelivered.",
		Steps: clScript(clOpen("STARTTLS"), On("STARTTLS", "454 4.7.0 TLS not available due to temporary reason"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "ehlo-after-tls", Level: Should, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "After the TLS handshake the client's first command is EHLO.",
		Steps: clScript(clOpen("STARTTLS"), ServeStartTLS(), ExpectCommand(`EHLO \S+`), SayEHLO(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "forget-clear-capabilities", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "After TLS the client forgets what the clear EHLO offered: with nothing offered inside TLS it uses no PIPELINING, BDAT or MAIL parameters.",
		Steps: clScript(clOpen("STARTTLS", "PIPELINING", "CHUNKING", "SIZE 10000000", "8BITMIME", "DSN"), ServeStartTLS(), AnswerEHLO(),
			ExpectMail(), Quiet(), Say("250 2.1.0 OK"), ExpectCommand(`RCPT TO:<{rcpt}>`), Quiet(), Say("250 2.1.5 OK"),
			clDeliver(""), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "response-injection", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "A line the server sent after the 220 to STARTTLS, before TLS, is not read as a reply inside TLS: after the handshake the client waits for the real EHLO reply (or it gives up).",
		Steps: clScript(clOpen("STARTTLS"), InjectAfterStartTLS(), ExpectCommand(`EHLO \S+`), Quiet(), SayEHLO(),
			clHappy(), Reports(OutcomeAny)),
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "no-second-starttls", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "Under TLS the client does not send STARTTLS again, even when the EHLO reply (wrongly) offers it.",
		Steps: clScript(clOpen("STARTTLS"), ServeStartTLS(), AnswerEHLO("STARTTLS"), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 3207, Section: "4", Name: "handshake-failure", Level: Should, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "When the TLS handshake fails, the client does not go on with SMTP in the clear on that connection.",
		Steps: clScript(clOpen("STARTTLS"), FailHandshake(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "keyword-case", Level: Must, Needs: clTLSNeeds, Client: clTLSJob(false),
		Title: "The client recognises EHLO keywords in any case: asked to require TLS, it takes \"starttls\" as STARTTLS.",
		Steps: clScript(clOpen("8bitmime", "starttls"), ServeStartTLS(), AnswerEHLO(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 4954, Section: "4", Name: "auth-under-tls", Level: Must, Needs: Needs{TLS: true, Auth: true}, Client: clTLSJob(true),
		Title: "The client authenticates with PLAIN or LOGIN, offered only after STARTTLS, using the configured credentials, and then delivers.",
		Steps: clScript(clOpen("STARTTLS"), ServeStartTLS(), AnswerEHLO("AUTH PLAIN LOGIN"), ServeAuth(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 4954, Section: "4", Name: "cancel-bad-challenge", Level: Must, Needs: Needs{TLS: true, Auth: true}, Client: clTLSJob(true),
		Title: "When a 334 challenge is not base64, the client cancels the exchange with \"*\".",
		Steps: clScript(clOpen("STARTTLS"), ServeStartTLS(), AnswerEHLO("AUTH LOGIN"), ChallengeGarbage(),
			EndsRefusing("MAIL", "530 5.7.0 Authentication required"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 4616, Section: "5", Name: "no-plain-in-clear", Level: Should, Needs: Needs{Auth: true},
		Client: &ClientJob{From: "{from}", To: []string{"{rcpt}"}, Message: clMessage, Auth: true},
		Title:  "Asked to authenticate by a server that offers only AUTH PLAIN and LOGIN and no TLS, the client does not send the password in the clear.",
		Steps:  clScript(clOpen("AUTH PLAIN LOGIN"), EndsWithoutCleartextAuth(), Reports(OutcomeFailed)),
	},
)
