package conformance

import (
	"bytes"
	"fmt"
	"strings"
)

// Client-suite cases of the session: the greeting, EHLO and HELO, reply
// grammar, unknown codes and QUIT (RFC 5321 sections 3.1, 3.2, 3.8, 4.2,
// 4.1.1.10). The helpers shared by the client cases are here too.

// clMessage is the message most client cases send.
const clMessage = "From: <{from}>\r\nTo: <{rcpt}>\r\nSubject: conformance\r\n\r\nHello from the conformance suite.\r\n"

// clScript joins steps and slices of steps into one list.
func clScript(parts ...any) []Step {
	var out []Step
	for _, p := range parts {
		switch v := p.(type) {
		case Step:
			out = append(out, v)
		case []Step:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("conformance: clScript: a %T is not a step", p))
		}
	}
	return out
}

// clJob is a ClientJob sending msg ("" for message) from {from} to the
// first n of {rcpt}, {rcpt2}, rcpt3@{domain} ...
func clJob(n int, msg string) *ClientJob {
	if msg == "" {
		msg = clMessage
	}
	j := &ClientJob{From: "{from}", Message: msg}
	for i := range n {
		j.To = append(j.To, clRcpt(i))
	}
	return j
}

// clTLSJob is job(1, "") that requires STARTTLS, authAlso adds AUTH.
func clTLSJob(authAlso bool) *ClientJob {
	j := clJob(1, "")
	j.TLS, j.Auth = true, authAlso
	return j
}

// clOpen is the greeting and the EHLO exchange offering keywords.
func clOpen(keywords ...string) []Step { return []Step{Greet(), AnswerEHLO(keywords...)} }

// clDeliver receives the message, checks it is msg ("" for message)
// and accepts it.
func clDeliver(msg string) []Step {
	if msg == "" {
		msg = clMessage
	}
	return []Step{ReceiveMessage(clContentIs(msg)), Say("250 2.0.0 OK queued as C0NF0RM")}
}

// clHappy is a whole accepted transaction for one recipient after the EHLO:
// envelope, message, the client ending.
func clHappy() []Step {
	return clScript(ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clDeliver(""), Ends())
}

// clContentIs requires the message to arrive as want (placeholders
// replaced), dot-stuffing undone, nothing lost or changed; empty lines
// added at its end are let pass (they are the business of
// rfc5321/4.1.1.4/no-extra-crlf, which uses clExactly). A message the
// client broke off is left to the step that allowed it.
func clContentIs(want string) ContentCheck { return clMessageCheck(want, false) }

// clExactly is clContentIs that lets nothing pass at the end either.
func clExactly(want string) ContentCheck { return clMessageCheck(want, true) }

func clMessageCheck(want string, exact bool) ContentCheck {
	return func(s *Session, m *Received) error {
		if m.Aborted {
			return nil
		}
		w := []byte(s.Expand(want))
		if bytes.Equal(m.Content, w) {
			return nil
		}
		if rest, ok := bytes.CutPrefix(m.Content, w); ok && !exact && len(bytes.ReplaceAll(rest, []byte("\r\n"), nil)) == 0 {
			s.Comment("the message arrived with %d empty lines added at its end", len(rest)/2)
			return nil
		}
		i := 0
		for i < len(w) && i < len(m.Content) && w[i] == m.Content[i] {
			i++
		}
		return &Failure{Want: "the message as given", Got: fmt.Sprintf("a message of %d octets (want %d) differing at octet %d: %q where %q was due",
			len(m.Content), len(w), i, clSnippet(m.Content, i), clSnippet(w, i))}
	}
}

// clSnippet shows up to 24 octets of b from i.
func clSnippet(b []byte, i int) []byte {
	if i >= len(b) {
		return nil
	}
	return b[i:min(len(b), i+24)]
}

// clBoth runs checks in order.
func clBoth(checks ...ContentCheck) ContentCheck {
	return func(s *Session, m *Received) error {
		for _, c := range checks {
			if err := c(s, m); err != nil {
				return err
			}
		}
		return nil
	}
}

var _ = register(SuiteClient,
	&Case{
		RFC: 5321, Section: "4.3.1", Name: "wait-for-greeting", Level: Should, Client: clJob(1, ""),
		Title: "The client sends nothing before the server's greeting.",
		Steps: clScript(Quiet(), clOpen(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "multiline-greeting", Level: Must, Client: clJob(1, ""),
		Title: "The client reads a multi-line 220 greeting to its last line before it sends EHLO.",
		Steps: clScript(
			Say("220-"+ScriptedServerName+" ESMTP"), Quiet(), Say("220-a second line", "220 ready"),
			AnswerEHLO(), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "3.1", Name: "greeting-554", Level: Must, Client: clJob(1, ""),
		Title: "After a 554 greeting the client starts no mail transaction and reports the message undelivered.",
		Steps: clScript(
			Say("554 5.3.2 "+ScriptedServerName+" no SMTP service here"),
			EndsRefusing("EHLO", "503 5.5.1 Bad sequence of commands", "HELO", "503 5.5.1 Bad sequence of commands"),
			Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.8", Name: "greeting-421", Level: Must, Client: clJob(1, ""),
		Title: "After a 421 greeting and a close the client reports the message undelivered.",
		Steps: clScript(Say("421 4.3.2 "+ScriptedServerName+" Service not available, closing transmission channel"), HangUp(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "3.2", Name: "ehlo-500-helo", Level: Should, Client: clJob(1, ""),
		Title: "When EHLO gets 500 (command not recognized), the client falls back to HELO and delivers.",
		Steps: clScript(Greet(), On(`EHLO \S+`, "500 5.5.1 Command unrecognized"), On(`HELO \S+`, "250 "+ScriptedServerName),
			clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "3.2", Name: "ehlo-502-helo", Level: Should, Client: clJob(1, ""),
		Title: "When EHLO gets 502 (command not implemented), the client falls back to HELO and delivers.",
		Steps: clScript(Greet(), On(`EHLO \S+`, "502 5.5.1 Command not implemented"), On(`HELO \S+`, "250 "+ScriptedServerName),
			clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "2.2.1", Name: "ehlo-odd-but-legal", Level: Must, Client: clJob(1, ""),
		Title: "The client copes with legal EHLO lines it may not know (unknown keywords with parameters, AUTH=, SIZE without a value, lower case) and delivers.",
		Steps: clScript(Greet(),
			AnswerEHLO("X-UNKNOWN-EXTENSION with=some params", "XYZZY 1 2 3", "AUTH=LOGIN PLAIN", "AUTH LOGIN PLAIN", "SIZE", "8bitmime", "HELP", "X-LAST"),
			clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "long-ehlo-reply", Level: Should, Client: clJob(1, ""),
		Title: "The client reads an EHLO reply of 100 lines to its end and delivers.",
		Steps: clScript(Greet(), AnswerEHLO(clKeywords(99)...), clHappy(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "code-only-reply", Level: Must, Client: clJob(1, ""),
		Title: "The client accepts replies that are a code alone, with no space or text after it (\"250\").",
		Steps: clScript(clOpen(), ExpectEnvelope("250", "250-recipient ok\r\n250"),
			ReceiveMessage(clContentIs(clMessage)), Say("250"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "multiline-replies", Level: Must, Client: clJob(1, ""),
		Title: "The client reads multi-line replies to MAIL, RCPT and the end of data to their last line, including text that begins with digits.",
		Steps: clScript(clOpen(),
			ExpectEnvelope("250-2.1.0 sender\r\n250-234 text beginning with numbers\r\n250 2.1.0 OK", "250-2.1.5 recipient\r\n250 2.1.5 OK"),
			ReceiveMessage(clContentIs(clMessage)), Say("250-2.0.0 accepted", "250-queued", "250 2.0.0 OK"),
			Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "code-not-text-2yz", Level: Must, Client: clJob(1, ""),
		Title: "The client acts on the reply code, not the text: 250 replies whose text sounds like refusals still mean success.",
		Steps: clScript(clOpen(),
			ExpectEnvelope("250 5.7.1 Rejected: this text is not the code", "250 ERROR recipient unknown"),
			ReceiveMessage(clContentIs(clMessage)), Say("250 failed: message refused (no, it is not)"),
			Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "code-not-text-5yz", Level: Must, Client: clJob(1, ""),
		Title: "The client acts on the reply code, not the text: a 550 whose text says OK is a refusal.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "550 OK accepted"),
			EndsRefusing("DATA", "554 5.5.1 No valid recipients"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "unknown-2yz", Level: Must, Client: clJob(1, ""),
		Title: "The client reads codes it does not know by their first digit: 257, 258 and 259 are successes.",
		Steps: clScript(clOpen(), ExpectEnvelope("257 2.1.0 fine", "258 2.1.5 fine"),
			ReceiveMessage(clContentIs(clMessage)), Say("259 2.0.0 accepted"), Ends(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "unknown-4yz", Level: Must, Client: clJob(1, ""),
		Title: "The client reads codes it does not know by their first digit: 459 to MAIL is a temporary failure, and no message follows.",
		Steps: clScript(clOpen(), ExpectEnvelope("459 4.0.0 try again later"), clEndsNoMail(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2", Name: "unknown-5yz", Level: Must, Client: clJob(1, ""),
		Title: "The client reads codes it does not know by their first digit: 559 to the only RCPT is a refusal, and no message data follows.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "559 5.0.0 not here"),
			EndsRefusing("DATA", "554 5.5.1 No valid recipients"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.2.1", Name: "unexpected-3yz", Level: May, Client: clJob(1, ""),
		Title: "The client does not take a 3yz reply to MAIL (used only inside command groups such as DATA) as acceptance.",
		Steps: clScript(clOpen(), ExpectEnvelope("354 what now?"), Ends(), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-before-close", Level: Must, Client: clJob(1, ""),
		Title: "After delivering, the client sends QUIT before it closes the connection.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clDeliver(""), ExpectQuit(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-waits-for-reply", Level: Should, Client: clJob(1, ""),
		Title: "The client waits for the 221 reply to QUIT before it closes the connection.",
		Steps: clScript(clOpen(), ExpectEnvelope("250 2.1.0 OK", "250 2.1.5 OK"), clDeliver(""), ExpectQuitWaiting(), Reports(OutcomeDelivered)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-after-refusal", Level: Must, Client: clJob(1, ""),
		Title: "After its MAIL is refused the client still sends QUIT before it closes the connection.",
		Steps: clScript(clOpen(), ExpectEnvelope("550 5.7.1 sender refused"),
			ExpectQuit("RCPT", "503 5.5.1 MAIL first", "DATA", "503 5.5.1 MAIL first"), Reports(OutcomeFailed)),
	},
	&Case{
		RFC: 5321, Section: "4.1.1.10", Name: "quit-after-554-greeting", Level: Must, Client: clJob(1, ""),
		Title: "After a 554 greeting the client sends QUIT before it closes the connection (the server waits for it, RFC 5321 section 3.1).",
		Steps: clScript(Say("554 5.3.2 "+ScriptedServerName+" no SMTP service here"),
			ExpectQuit("EHLO", "503 5.5.1 Bad sequence of commands", "HELO", "503 5.5.1 Bad sequence of commands"),
			Reports(OutcomeFailed)),
	},
)

// clEndsNoMail is Ends after a refused MAIL: RCPT and DATA, which a client
// may still send, are answered 503 (RFC 5321 section 3.3).
func clEndsNoMail() Step {
	return EndsRefusing("RCPT", "503 5.5.1 MAIL first", "DATA", "503 5.5.1 MAIL first")
}

// clKeywords returns n private EHLO keywords.
func clKeywords(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("X-CONFORMANCE-%03d %s", i+1, strings.Repeat("p", 40))
	}
	return out
}
