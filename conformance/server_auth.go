package conformance

// AUTH (RFC 4954) with the configured credentials: one case per SASL
// mechanism the suite can run (PLAIN RFC 4616, LOGIN, CRAM-MD5 RFC 2195,
// SCRAM RFC 5802 and RFC 7677 with their -PLUS forms), the SCRAM downgrade
// check, the AUTH parameter of MAIL (RFC 4954 section 5) and the offer of
// password mechanisms in the clear. Servers often offer AUTH only under TLS,
// so the cases run STARTTLS first when it is offered (tlsIfOffered) and stay
// in the clear otherwise. The refusals of the exchange are in
// server_auth_errors.go.

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/wire"
)

var authCases = register(SuiteServer,
	authMechanismCase(4616, "2", "plain", "PLAIN", true,
		"AUTH PLAIN with the credentials as initial response gets 235."),
	&Case{
		RFC: 4954, Section: "4", Name: "plain-no-initial-response", Level: Must,
		Title: "AUTH PLAIN without an initial response gets an empty challenge \"334 \", and the credentials sent then get 235.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authNeedCredentials(), authPlainNoInitialResponse()},
	},
	authMechanismCase(4954, "4", "login", "LOGIN", false,
		"AUTH LOGIN answered at its Username: and Password: challenges gets 235."),
	authMechanismCase(2195, "2", "cram-md5", "CRAM-MD5", false,
		"AUTH CRAM-MD5 answered with the HMAC-MD5 digest of the server's challenge gets 235."),
	authMechanismCase(5802, "5", "scram-sha-1", "SCRAM-SHA-1", true,
		"AUTH SCRAM-SHA-1 completes: the server's final message proves it knows the credentials, in a 334 before the 235."),
	authMechanismCase(7677, "3", "scram-sha-256", "SCRAM-SHA-256", true,
		"AUTH SCRAM-SHA-256 completes: the server's final message proves it knows the credentials, in a 334 before the 235."),
	authMechanismCase(5802, "6", "scram-sha-1-plus", "SCRAM-SHA-1-PLUS", true,
		"AUTH SCRAM-SHA-1-PLUS bound to the TLS channel completes with 235."),
	authMechanismCase(7677, "3", "scram-sha-256-plus", "SCRAM-SHA-256-PLUS", true,
		"AUTH SCRAM-SHA-256-PLUS bound to the TLS channel completes with 235."),
	&Case{
		RFC: 5802, Section: "6", Name: "scram-y-flag-refused", Level: Must, Needs: Needs{TLS: true},
		Title: "A server that offers a SCRAM -PLUS mechanism fails SCRAM without channel binding whose gs2 flag is \"y\" (the client saw no -PLUS offer: a downgrade).",
		Steps: []Step{Greeting(), Hello(), tlsEnsure(), authNeedCredentials(), authSCRAMDowngrade()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "no-password-mechanism-in-clear", Level: Should,
		Title: "A server that offers STARTTLS does not offer PLAIN or LOGIN in the clear, before TLS protects the password.",
		Steps: []Step{Greeting(), Hello(), tlsInClear(), Require("STARTTLS"), authNoPasswordInClear()},
	},
	&Case{
		RFC: 4954, Section: "5", Name: "mail-auth-parameter-unauthenticated", Level: Must,
		Title: "A server that offers AUTH accepts the AUTH=<mailbox> parameter of MAIL from a client that has not authenticated.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), Require("AUTH"),
			tlsOpenTransaction(), Cmd("RSET", "250"), authMailParameter("{from}"),
		},
	},
	&Case{
		RFC: 4954, Section: "5", Name: "mail-auth-empty-authenticated", Level: Must,
		Title: "After a successful AUTH, MAIL with the parameter AUTH=<> gets 250.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), authNeedCredentials(), Login(),
			Cmd("MAIL FROM:<{from}> AUTH=<>", "250"),
		},
	},
)

// authMechanismCase is the case that mech, run with the configured
// credentials (with its initial response on the AUTH line when ir is set
// and it has one), gets 235. It is skipped when the server does not offer
// mech, in the clear or after STARTTLS.
func authMechanismCase(rfc int, section, name, mech string, ir bool, title string) *Case {
	return &Case{
		RFC: rfc, Section: section, Name: name, Level: Must, Title: title,
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authNeedCredentials(), authWith(mech, ir, "235")},
	}
}

// authNeedCredentials skips the case when no credentials are configured.
// (Needs.Auth is not used: the runner looks for AUTH in the clear EHLO
// only, and many servers offer AUTH only under TLS.)
func authNeedCredentials() Step {
	return Func("require credentials", func(s *Session) error {
		if s.cfg.Username == "" {
			return Skip("needs credentials (--user, --password-env)")
		}
		return nil
	})
}

// authOffered returns the mechanisms the last EHLO offered, skipping the
// case when it offered none.
func authOffered(s *Session) ([]string, error) {
	caps, ok := s.Capabilities()
	if !ok || len(caps.AuthMechanisms()) == 0 {
		return nil, Skip("the server does not offer AUTH here")
	}
	return caps.AuthMechanisms(), nil
}

// authOffers skips the case unless the last EHLO offered every mechanism.
func authOffers(mechs ...string) Step {
	return Func("require AUTH "+strings.Join(mechs, ", "), func(s *Session) error {
		caps, ok := s.Capabilities()
		for _, m := range mechs {
			if !ok || !caps.HasAuth(m) {
				return Skip("the server does not offer AUTH %s here", m)
			}
		}
		return nil
	})
}

// authClient returns the suite's client mechanism called name, told what
// the server offered (so that a SCRAM client's gs2 flag is right, RFC 5802
// section 6). It skips when the server does not offer name.
func authClient(s *Session, name string) (auth.ClientMechanism, error) {
	offered, err := authOffered(s)
	if err != nil {
		return nil, err
	}
	if caps, _ := s.Capabilities(); !caps.HasAuth(name) {
		return nil, Skip("the server does not offer AUTH %s here", name)
	}
	for _, m := range s.ClientMechanisms() {
		if m.Name() != name {
			continue
		}
		if oa, ok := m.(auth.OfferAware); ok {
			m = oa.WithOffered(offered)
		}
		return m, nil
	}
	return nil, Skip("the suite cannot run %s", name)
}

// authWith authenticates with the mechanism called name and the
// configured credentials and expects a reply matching codes.
func authWith(name string, ir bool, codes ...string) Step {
	want := Codes(codes)
	desc := "AUTH " + name + " with the configured credentials"
	if ir {
		desc += " and an initial response"
	}
	return Func(desc+", expect "+want.String(), func(s *Session) error {
		m, err := authClient(s, name)
		if err != nil {
			return err
		}
		r, err := s.Authenticate(m, ir)
		if err != nil {
			return err
		}
		if !want.Match(r.Code) {
			return &Failure{Want: want.String() + " to AUTH " + name, Got: replyText(r)}
		}
		return nil
	})
}

// authPlainNoInitialResponse sends AUTH PLAIN alone, requires the empty
// challenge "334 " (RFC 4954 section 4: the server proceeds as in RFC 4422
// section 5.1, and a challenge without data has no text), then sends the
// credentials and requires 235.
func authPlainNoInitialResponse() Step {
	return Func(`send "AUTH PLAIN", expect "334 ", send the credentials, expect 235`, func(s *Session) error {
		if _, err := authClient(s, "PLAIN"); err != nil {
			return err
		}
		if err := s.Send([]byte("AUTH PLAIN\r\n")); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code != 334 || strings.TrimSpace(r.Text) != "" {
			return &Failure{Want: `an empty challenge "334 "`, Got: replyText(r)}
		}
		msg := "\x00" + s.cfg.Username + "\x00" + s.cfg.Password
		return Cmd(base64.StdEncoding.EncodeToString([]byte(msg)), "235").Run(s)
	})
}

// authSCRAMDowngrade runs SCRAM without channel binding under TLS, as a
// client that was shown no -PLUS mechanism: its gs2 flag is "y". The server
// offers a -PLUS mechanism, so it MUST fail the exchange (RFC 5802 section
// 6).
func authSCRAMDowngrade() Step {
	return Func(`AUTH SCRAM with the gs2 flag "y" while -PLUS is offered, expect a failure`, func(s *Session) error {
		caps, ok := s.Capabilities()
		if !ok {
			return Skip("no EHLO reply")
		}
		h, name := auth.SCRAMSHA256, "SCRAM-SHA-256"
		if !caps.HasAuth("SCRAM-SHA-256-PLUS") || !caps.HasAuth(name) {
			h, name = auth.SCRAMSHA1, "SCRAM-SHA-1"
			if !caps.HasAuth("SCRAM-SHA-1-PLUS") || !caps.HasAuth(name) {
				return Skip("the server does not offer a SCRAM mechanism with its -PLUS form")
			}
		}
		if len(s.connState().ChannelBindings) == 0 {
			return Skip("no channel binding on this TLS connection")
		}
		// Not told the offer (no WithOffered), the client sends "y".
		m := auth.SCRAMClient(h, false, "", s.cfg.Username, s.cfg.Password)
		r, err := s.Authenticate(m, true)
		if err != nil {
			return err
		}
		if r.Code/100 == 2 {
			return &Failure{Want: "a failure to " + name + ` with the gs2 flag "y"`, Got: replyText(r)}
		}
		return nil
	})
}

// authLoginInClear authenticates in the clear with a mechanism that does
// not reveal the password (SCRAM, CRAM-MD5) and requires 235; it skips
// when the server offers none of them in the clear.
func authLoginInClear() Step {
	return Func("AUTH in the clear without revealing the password, expect 235", func(s *Session) error {
		offered, err := authOffered(s)
		if err != nil {
			return err
		}
		m, err := auth.Choose(offered, s.ClientMechanisms(), s.connState(), false)
		if err != nil {
			return Skip("no mechanism that hides the password is offered in the clear")
		}
		r, err := s.Authenticate(m, true)
		if err != nil {
			return err
		}
		if r.Code != 235 {
			return &Failure{Want: "235 to AUTH " + m.Name(), Got: replyText(r)}
		}
		return nil
	})
}

// authNoPasswordInClear fails when the clear EHLO offers PLAIN or LOGIN
// although STARTTLS is there to protect them (RFC 4954 section 4: "Server
// sites SHOULD NOT use any configuration which permits a plaintext
// password mechanism without such a protection mechanism").
func authNoPasswordInClear() Step {
	return Func("expect no PLAIN or LOGIN in the clear AUTH list", func(s *Session) error {
		caps, _ := s.Capabilities()
		var bad []string
		for _, m := range []string{"PLAIN", "LOGIN"} {
			if caps.HasAuth(m) {
				bad = append(bad, m)
			}
		}
		if len(bad) > 0 {
			return &Failure{Want: "no password mechanism before STARTTLS",
				Got: "AUTH " + strings.Join(bad, " ") + " offered in the clear"}
		}
		return nil
	})
}

// authMailParameter sends MAIL with the AUTH parameter set to mailbox
// (placeholders expanded), encoded as xtext (RFC 4954 section 5), and
// expects 250.
func authMailParameter(mailbox string) Step {
	return Func("send MAIL FROM:<{from}> AUTH=<"+mailbox+">, expect 250", func(s *Session) error {
		box := s.Expand(mailbox)
		line := fmt.Sprintf("MAIL FROM:<%s> AUTH=%s", s.Expand("{from}"), wire.AppendXtext(nil, []byte("<"+box+">")))
		return Cmd(line, "250").Run(s)
	})
}
