package conformance

// STARTTLS (RFC 3207) and implicit TLS (RFC 8314): the upgrade, what the
// server must forget when TLS starts, and the plaintext it must not carry
// into the TLS session (CVE-2011-0411, RFC 3207 section 6).

import (
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/wire"
)

var tlsCases = register(SuiteServer,
	&Case{
		RFC: 3207, Section: "4", Name: "starttls-220-handshake", Level: Must, Needs: Needs{TLS: true},
		Title: "STARTTLS without parameters gets 220, the TLS handshake that follows succeeds, and EHLO under TLS gets 250.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), StartTLS(), Hello(), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 3207, Section: "4", Name: "starttls-parameter-501", Level: Must, Needs: Needs{TLS: true},
		Title: "STARTTLS with a parameter gets 501 (no parameters allowed), and STARTTLS without one then still works.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), Cmd("STARTTLS now", "501"), StartTLS(), Hello()},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "no-greeting-after-tls", Level: Must, Needs: Needs{TLS: true},
		Title: "After the TLS handshake the server sends nothing (the session is back in the state after the 220 greeting, which is not repeated) and answers EHLO.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), StartTLS(), Quiet(), Hello()},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "no-starttls-after-tls", Level: Must, Needs: Needs{TLS: true},
		Title: "EHLO received after a TLS handshake (STARTTLS or implicit TLS) does not offer STARTTLS.",
		Steps: []Step{Greeting(), Hello(), tlsEnsure(), tlsNotOffered()},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "starttls-under-tls-refused", Level: Must, Needs: Needs{TLS: true},
		Title: "STARTTLS while a TLS session is active (after STARTTLS or under implicit TLS) is refused with 5yz or 454, and the session goes on.",
		Steps: []Step{Greeting(), Hello(), tlsEnsure(), tlsRefuseSecond()},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "ehlo-forgotten-after-tls", Level: Must, Needs: Needs{TLS: true},
		Title: "A server that answers 503 to MAIL before EHLO also answers 503 to MAIL sent right after the TLS handshake: it forgot the EHLO of the clear session.",
		Steps: []Step{Greeting(), tlsInClear(), tlsMailBeforeEhlo(), Hello(), StartTLS(), Cmd("MAIL FROM:<{from}>", "503")},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "transaction-forgotten-after-tls", Level: Must, Needs: Needs{TLS: true},
		Title: "STARTTLS inside a mail transaction is either refused or, once TLS runs, the transaction is gone: RCPT right after the handshake gets 503.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), tlsOpenTransaction(), tlsStartInTransaction()},
	},
	&Case{
		RFC: 3207, Section: "4.2", Name: "auth-forgotten-after-tls", Level: Must, Needs: Needs{TLS: true},
		Title: "An authentication made in the clear does not survive STARTTLS: either STARTTLS is refused, or under TLS a new AUTH gets 235, not 503.",
		Steps: []Step{
			Greeting(), Hello(), tlsInClear(), authNeedCredentials(), Require("STARTTLS"),
			authLoginInClear(), tlsAfterAuth(),
		},
	},
	&Case{
		RFC: 3207, Section: "6", Name: "starttls-injection-noop", Level: Must, Needs: Needs{TLS: true},
		Title: "A NOOP sent in the clear in the same write as STARTTLS is not answered inside TLS (CVE-2011-0411): the server drops it, or refuses or closes.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), Require("STARTTLS"), tlsInjection("NOOP")},
	},
	&Case{
		RFC: 3207, Section: "6", Name: "starttls-injection-mail", Level: Must, Needs: Needs{TLS: true},
		Title: "A MAIL sent in the clear in the same write as STARTTLS is neither answered nor executed inside TLS: RCPT right after the handshake gets 503.",
		Steps: []Step{
			Greeting(), Hello(), tlsInClear(), Require("STARTTLS"),
			tlsInjection("MAIL FROM:<{from}>", Cmd("RCPT TO:<{rcpt}>", "503")),
		},
	},
)

// tlsInClear skips the case when the session already runs under TLS
// (implicit TLS, RFC 8314 section 3): the case is about the STARTTLS
// upgrade of a clear session.
func tlsInClear() Step {
	return Func("require a session in the clear", func(s *Session) error {
		if s.TLS() {
			return Skip("the session runs under implicit TLS; the case needs a session in the clear")
		}
		return nil
	})
}

// tlsEnsure puts the session under TLS: nothing to do under implicit TLS,
// STARTTLS and a new EHLO otherwise. It skips the case when STARTTLS is not
// offered.
func tlsEnsure() Step {
	return Func("under TLS: STARTTLS and EHLO again unless implicit TLS", func(s *Session) error {
		if s.TLS() {
			return nil
		}
		if err := StartTLS().Run(s); err != nil {
			return err
		}
		return Hello().Run(s)
	})
}

// tlsIfOffered runs STARTTLS and a new EHLO when the session is in the clear
// and the server offers STARTTLS, and does nothing otherwise: many servers
// offer AUTH, or their password mechanisms, only under TLS (RFC 4954 section
// 4).
func tlsIfOffered() Step {
	return Func("STARTTLS and EHLO again if STARTTLS is offered", func(s *Session) error {
		if caps, ok := s.Capabilities(); s.TLS() || !ok || !caps.Has(wire.ExtSTARTTLS) {
			return nil
		}
		if err := StartTLS().Run(s); err != nil {
			return err
		}
		return Hello().Run(s)
	})
}

// tlsNotOffered fails when the last EHLO offered STARTTLS.
func tlsNotOffered() Step {
	return Func("expect no STARTTLS in the EHLO reply", func(s *Session) error {
		caps, ok := s.Capabilities()
		if !ok {
			return &Failure{Got: "no EHLO reply under TLS"}
		}
		if caps.Has(wire.ExtSTARTTLS) {
			return &Failure{Want: "an EHLO reply without STARTTLS", Got: "STARTTLS offered again under TLS"}
		}
		return nil
	})
}

// tlsRefuseSecond sends STARTTLS under TLS: a 5yz or 454 is due (a close
// is tolerated), and NOOP must still get 250 afterwards.
func tlsRefuseSecond() Step {
	return Func("send STARTTLS under TLS, expect 5xx or 454, then NOOP gets 250", func(s *Session) error {
		if err := s.Send([]byte("STARTTLS\r\n")); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if PeerClosed(err) {
			s.Comment("the server closed the connection instead of answering")
			return nil
		}
		if err != nil {
			return err
		}
		if r.Code/100 != 5 && r.Code != 454 {
			return &Failure{Want: "5xx or 454 to STARTTLS under TLS", Got: replyText(r)}
		}
		return Cmd("NOOP", "250").Run(s)
	})
}

// tlsMailBeforeEhlo sends MAIL before any EHLO and skips the case unless the
// server answers 503: only a server that wants EHLO first can show that it
// forgets EHLO when TLS starts. A 250 is undone with RSET.
func tlsMailBeforeEhlo() Step {
	return Func("send MAIL before EHLO, skip unless 503", func(s *Session) error {
		if err := s.Send([]byte(s.Expand("MAIL FROM:<{from}>\r\n"))); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code == 503 {
			return nil
		}
		if r.Code == 250 {
			if err := Cmd("RSET", "250").Run(s); err != nil {
				return err
			}
		}
		return Skip("the server answers %s to MAIL before EHLO, not 503; whether it forgets EHLO cannot be seen", replyText(r))
	})
}

// tlsOpenTransaction sends MAIL and skips the case unless it gets 250 (a
// server may want AUTH first: that is policy).
func tlsOpenTransaction() Step {
	return Func("send MAIL FROM:<{from}>, skip unless 250", func(s *Session) error {
		if err := s.Send([]byte(s.Expand("MAIL FROM:<{from}>\r\n"))); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code != 250 {
			return Skip("the server refuses MAIL here (%s)", replyText(r))
		}
		return nil
	})
}

// tlsStartInTransaction sends STARTTLS inside a transaction. RFC 3207 does
// not say whether the server must allow it, so any 4yz or 5yz refusal
// passes; after a 220 and the handshake, the transaction must be gone (the
// session is reset to the state after the greeting, RFC 3207 section 4.2):
// RCPT gets 503. RCPT goes before any EHLO, which would end the
// transaction anyway (RFC 5321 section 4.1.4).
func tlsStartInTransaction() Step {
	return Func("STARTTLS in the transaction: a refusal, or after the handshake RCPT gets 503", func(s *Session) error {
		if caps, ok := s.Capabilities(); !ok || !caps.Has(wire.ExtSTARTTLS) {
			return Skip("the server does not offer STARTTLS")
		}
		if started, err := tlsStartUnlessRefused(s, "inside the transaction"); !started || err != nil {
			return err
		}
		return Cmd("RCPT TO:<{rcpt}>", "503").Run(s)
	})
}

// tlsAfterAuth sends STARTTLS after a successful AUTH in the clear. A refusal
// passes; after a 220 and the handshake the authentication must be gone, so
// a new AUTH must succeed (RFC 3207 sections 4.2 and 6).
func tlsAfterAuth() Step {
	return Func("STARTTLS after AUTH: a refusal, or under TLS a new AUTH gets 235", func(s *Session) error {
		if started, err := tlsStartUnlessRefused(s, "after AUTH"); !started || err != nil {
			return err
		}
		if err := Hello().Run(s); err != nil {
			return err
		}
		return Login().Run(s)
	})
}

// tlsStartUnlessRefused sends STARTTLS where RFC 3207 leaves the server
// free to refuse it: a 4yz or 5yz is allowed (started false), a 220 is
// followed by the handshake (started true), anything else fails.
func tlsStartUnlessRefused(s *Session, where string) (started bool, err error) {
	if err := s.Send([]byte("STARTTLS\r\n")); err != nil {
		return false, err
	}
	r, err := s.ReadReply()
	if err != nil {
		return false, err
	}
	switch {
	case r.Code/100 == 4 || r.Code/100 == 5:
		s.Comment("STARTTLS refused %s: allowed", where)
		return false, nil
	case r.Code != 220:
		return false, &Failure{Want: "220 or a refusal to STARTTLS", Got: replyText(r)}
	}
	return true, s.StartTLS(s.cfg.TLSConfig)
}

// tlsInjection sends STARTTLS and the injected command line in one write,
// as a man in the middle appends plaintext to the client's STARTTLS
// (CVE-2011-0411). Safe outcomes: a refusal or a close; 220 and a
// handshake that fails on the injected octets; or 220, the
// handshake, no reply to the injected line inside TLS, the checks in
// before (which run before any EHLO, as EHLO resets a transaction), and
// EHLO working.
func tlsInjection(injected string, before ...Step) Step {
	desc := "send STARTTLS and " + quoteLine(injected) + " in one write; expect no reply to it inside TLS"
	return Func(desc, func(s *Session) error {
		if err := s.Send([]byte("STARTTLS\r\n" + s.Expand(injected) + "\r\n")); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if PeerClosed(err) {
			s.Comment("the server closed the connection: the injected line was not run")
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case r.Code/100 == 4 || r.Code/100 == 5:
			s.Comment("STARTTLS refused with octets after it: safe")
			return nil
		case r.Code != 220:
			return &Failure{Want: "220, a refusal or a close", Got: replyText(r)}
		}
		if err := s.StartTLS(s.cfg.TLSConfig); err != nil {
			if f, ok := err.(*Failure); ok && f.Want == "a TLS handshake" && !strings.Contains(f.Got, "does not look like a TLS handshake") {
				// The server read the injected octets as TLS records: the
				// handshake broke, but nothing was run as a command. (Text
				// from the server instead of its handshake, as a reply to
				// the injected line in the clear, stays a failure.)
				s.Comment("the TLS handshake failed on the injected octets: %s", f.Got)
				return nil
			}
			return err
		}
		closed, err := tlsNoReply(s, strings.Fields(injected)[0])
		if err != nil || closed {
			return err
		}
		for _, st := range before {
			if err := st.Run(s); err != nil {
				return err
			}
		}
		return Hello().Run(s)
	})
}

// tlsNoReply waits Config.QuietTime for the server to stay silent after the
// handshake. The server closing (after a 421 or without a word) is safe and
// reported as closed; any other reply means it ran the plaintext verb
// inside TLS.
func tlsNoReply(s *Session, verb string) (closed bool, err error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(s.cfg.QuietTime)); err != nil {
		return false, err
	}
	if _, err := s.br.Peek(1); err != nil {
		if isTimeout(err) {
			return false, nil
		}
		s.rec.Close(s.peer())
		s.Comment("the server closed the connection after the handshake")
		return true, nil
	}
	r, err := s.ReadReply()
	if PeerClosed(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if r.Code == 421 {
		s.Comment("421 inside TLS: the server ends the session")
		return true, nil
	}
	return false, &Failure{Rule: "RFC 3207 section 6", Want: "no reply to the " + verb + " sent in the clear",
		Got: "a reply inside TLS: " + replyText(r)}
}
