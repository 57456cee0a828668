package conformance

// The refusals of the AUTH command and exchange (RFC 4954 section 4): wrong
// credentials, cancellation, responses that are not base64, mechanisms not
// supported or without an initial response, AUTH twice or inside a
// transaction. Most need no credentials: they use the mechanisms the
// server offers with a made-up user.

import (
	"encoding/base64"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
)

// authNobody is a PLAIN message for a user and password no server should
// accept, base64-encoded (its length is a multiple of 4: no padding).
var authNobody = base64.StdEncoding.EncodeToString([]byte("\x00conformance-nobody\x00not-the-password"))

// authNotBase64 is authNobody with a character outside the base64 alphabet
// in it: a decoder that skips the character instead of refusing it (RFC
// 4954 section 4: servers "MUST reject (and not ignore)" it) sees a valid
// PLAIN message and answers 535 instead of 501.
var authNotBase64 = authNobody[:8] + "!" + authNobody[8:]

// authUnknownMechanism is a well-formed SASL mechanism name (RFC 4422
// section 3.1) that no server implements.
const authUnknownMechanism = "X-CONFORMANCE-NONE"

var authErrorCases = register(SuiteServer,
	&Case{
		RFC: 4954, Section: "4", Name: "wrong-password-535", Level: Should,
		Title: "AUTH with a wrong password gets 535.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), authWrongPassword("535")},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "retry-after-failure", Level: May,
		Title: "After an AUTH that failed, the client may authenticate again: a second AUTH with the right credentials gets 235.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), authNeedCredentials(), Require("AUTH"),
			authWrongPassword("4xx", "5xx"), Login(),
		},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "cancel-501", Level: Must,
		Title: "A \"*\" line in answer to a 334 challenge cancels the exchange with 501, and a new AUTH can follow.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), authOpen(), Cmd("*", "501"), authAfterRefusal()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "challenge-base64-only", Level: Must,
		Title: "The 334 challenges of LOGIN and CRAM-MD5 hold one base64 string and no other text.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), authChallengesBase64()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "response-not-base64-501", Level: Must,
		Title: "A response line with a character outside the base64 alphabet gets 501, not a decoding that ignores the character.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), authOpen(), Cmd(authNotBase64, "501"), authAfterRefusal()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "response-inner-pad-501", Level: Must,
		Title: "A response line with the pad character \"=\" before its end gets 501.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), authOpen(), Cmd("AAA="+authNobody, "501"), authAfterRefusal()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "response-not-base64-enhanced-552", Level: Must,
		Title: "With ENHANCEDSTATUSCODES, a response that is not base64 gets 501 with the enhanced code 5.5.2.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), Require("AUTH", "ENHANCEDSTATUSCODES"), authOpen(),
			Send(authNotBase64), authExpectEnhanced(501, reply.E(5, 5, 2)),
		},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "initial-response-not-base64-501", Level: Must,
		Title: "AUTH PLAIN with an initial response holding a character outside the base64 alphabet gets 501.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authOffers("PLAIN"), Cmd("AUTH PLAIN "+authNotBase64, "501"), authAfterRefusal()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "initial-response-leading-pad-501", Level: Must,
		Title: "AUTH PLAIN with an initial response that starts with \"=\" and goes on (like \"=AAA\") gets 501: only a lone \"=\" means empty.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authOffers("PLAIN"), Cmd("AUTH PLAIN ="+authNobody, "501"), authAfterRefusal()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "plain-empty-initial-response", Level: Must,
		Title: "AUTH PLAIN = (an initial response present but empty) is not taken as a missing one: no 334, the empty PLAIN message fails with 5yz.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authOffers("PLAIN"), Cmd("AUTH PLAIN =", "5xx"), authAfterRefusal()},
	},
	&Case{
		RFC: 4616, Section: "2", Name: "plain-255-octet-fields", Level: Must,
		Title: "A PLAIN response with authzid, authcid and password of 255 octets each (a 1,024-octet line) is taken and fails as unknown credentials, not as too long (500) or undecodable (501).",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authOffers("PLAIN"), Cmd("AUTH PLAIN", "334"), authLongPlain()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "unknown-mechanism-504", Level: Must,
		Title: "AUTH with a mechanism the server does not support gets 504, and the session goes on.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), Cmd("AUTH "+authUnknownMechanism, "504"), Cmd("NOOP", "250")},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "unknown-mechanism-enhanced-554", Level: Should,
		Title: "With ENHANCEDSTATUSCODES, AUTH with an unsupported mechanism gets 504 with the enhanced code 5.5.4.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), Require("AUTH", "ENHANCEDSTATUSCODES"),
			Send("AUTH " + authUnknownMechanism), authExpectEnhanced(504, reply.E(5, 5, 4)),
		},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "server-first-initial-response-501", Level: Must,
		Title: "AUTH CRAM-MD5 (the server speaks first) with an initial response gets 501, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), authOffers("CRAM-MD5"),
			Cmd("AUTH CRAM-MD5 "+authNobody, "501"), authAfterRefusal(),
		},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "server-first-initial-response-enhanced-570", Level: Should,
		Title: "With ENHANCEDSTATUSCODES, AUTH CRAM-MD5 with an initial response gets 501 with the enhanced code 5.7.0.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), Require("ENHANCEDSTATUSCODES"), authOffers("CRAM-MD5"),
			Send("AUTH CRAM-MD5 " + authNobody), authExpectEnhanced(501, reply.E(5, 7, 0)),
		},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "auth-twice-503", Level: Must,
		Title: "After a successful AUTH, another AUTH gets 503.",
		Steps: []Step{Greeting(), Hello(), tlsIfOffered(), authNeedCredentials(), Login(), authAgain()},
	},
	&Case{
		RFC: 4954, Section: "4", Name: "auth-in-transaction-503", Level: Must,
		Title: "AUTH inside a mail transaction gets 503, and the transaction stays open.",
		Steps: []Step{
			Greeting(), Hello(), tlsIfOffered(), Require("AUTH"), tlsOpenTransaction(),
			authInTransaction(), authRcptNot503(),
		},
	},
)

// authChallengeMechanisms are the mechanisms authOpen may start: each
// answers a bare AUTH with a 334 (an empty one when the client speaks
// first).
var authChallengeMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "SCRAM-SHA-1"}

// authOpen sends AUTH with an offered mechanism and no initial response,
// and requires a 334: the exchange waits for a response line.
func authOpen() Step {
	return Func("send AUTH with an offered mechanism and no initial response, expect 334", func(s *Session) error {
		caps, _ := s.Capabilities()
		for _, m := range authChallengeMechanisms {
			if caps.HasAuth(m) {
				return Cmd("AUTH "+m, "334").Run(s)
			}
		}
		return Skip("the server offers none of %s", strings.Join(authChallengeMechanisms, ", "))
	})
}

// authAfterRefusal checks that a refused exchange left the session usable
// and unauthenticated: with credentials, a new AUTH gets 235; without, NOOP
// gets 250 (not taken as a response line).
func authAfterRefusal() Step {
	return Func("the session goes on: a new AUTH gets 235 (NOOP gets 250 without credentials)", func(s *Session) error {
		if s.cfg.Username == "" {
			return Cmd("NOOP", "250").Run(s)
		}
		return Login().Run(s)
	})
}

// authExpectEnhanced reads a reply and requires code and the enhanced
// status code e (RFC 3463).
func authExpectEnhanced(code reply.Code, e reply.Enhanced) Step {
	want := code.String() + " " + e.String()
	return Func("expect "+want, func(s *Session) error {
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code != code || r.Enhanced != e {
			return &Failure{Want: want, Got: replyText(r)}
		}
		return nil
	})
}

// authWrongPassword authenticates as the configured user (or a made-up
// one) with a wrong password, using PLAIN, LOGIN or CRAM-MD5, whose
// failures are a plain reply, and expects codes.
func authWrongPassword(codes ...string) Step {
	want := Codes(codes)
	return Func("AUTH with a wrong password, expect "+want.String(), func(s *Session) error {
		user, pass := s.cfg.Username, "not-the-password"
		if user == "" {
			user = "conformance-nobody"
		}
		if pass == s.cfg.Password {
			pass += "-either"
		}
		caps, _ := s.Capabilities()
		for _, m := range []auth.ClientMechanism{auth.PlainClient("", user, pass), auth.LoginClient(user, pass), auth.CRAMMD5Client(user, pass)} {
			if !caps.HasAuth(m.Name()) {
				continue
			}
			r, err := s.Authenticate(m, true)
			if err != nil {
				return err
			}
			if !want.Match(r.Code) {
				return &Failure{Want: want.String() + " to AUTH " + m.Name() + " with a wrong password", Got: replyText(r)}
			}
			return nil
		}
		return Skip("the server offers none of PLAIN, LOGIN, CRAM-MD5 here")
	})
}

// authChallengesBase64 starts LOGIN and CRAM-MD5, when offered, and
// requires each first 334 to be one strict base64 string with nothing
// else, then cancels with "*".
func authChallengesBase64() Step {
	return Func("AUTH LOGIN and AUTH CRAM-MD5: expect 334 with base64 only, cancel with *", func(s *Session) error {
		caps, _ := s.Capabilities()
		ran := false
		for _, m := range []string{"LOGIN", "CRAM-MD5"} {
			if !caps.HasAuth(m) {
				continue
			}
			ran = true
			if err := s.Send([]byte("AUTH " + m + "\r\n")); err != nil {
				return err
			}
			r, err := s.ReadReply()
			if err != nil {
				return err
			}
			if r.Code != 334 {
				return &Failure{Want: "334 to AUTH " + m, Got: replyText(r)}
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(r.Text); err != nil || r.Text == "" {
				return &Failure{Want: "a challenge of base64 only", Got: "334 " + r.Text}
			}
			if err := Cmd("*", "501").Run(s); err != nil {
				return err
			}
		}
		if !ran {
			return Skip("the server offers neither LOGIN nor CRAM-MD5 here")
		}
		return nil
	})
}

// authLongPlain sends a PLAIN response of 255-octet fields (RFC 4616
// section 2: servers MUST accept them; RFC 4954 section 4: servers MUST
// handle the largest responses of their mechanisms) and requires a reply
// about the credentials: not 500 (line too long), not 501 (undecodable),
// not a success.
func authLongPlain() Step {
	msg := strings.Repeat("a", 255) + "\x00" + strings.Repeat("b", 255) + "\x00" + strings.Repeat("c", 255)
	line := base64.StdEncoding.EncodeToString([]byte(msg))
	return Func("send a 1,024-octet PLAIN response, expect a credentials failure (not 500 or 501)", func(s *Session) error {
		if err := s.Send([]byte(line + "\r\n")); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		switch {
		case r.Code == 500 || r.Code == 501:
			return &Failure{Want: "a failure of the credentials (535)", Got: replyText(r) + " to a valid 1,024-octet PLAIN response"}
		case r.Code/100 == 2 || r.Code/100 == 3:
			return &Failure{Want: "a failure of made-up credentials", Got: replyText(r)}
		}
		return nil
	})
}

// authAgain runs a second AUTH after a successful one; 503 is due.
func authAgain() Step {
	return Func("AUTH again, expect 503", func(s *Session) error {
		m, err := s.chooseMechanism()
		if err != nil {
			return err
		}
		r, err := s.Authenticate(m, true)
		if err != nil {
			return err
		}
		if r.Code != 503 {
			return &Failure{Want: "503 to a second AUTH", Got: replyText(r)}
		}
		return nil
	})
}

// authInTransaction sends AUTH inside a transaction and requires 503: with
// credentials the whole exchange is run (a server that accepts it answers
// 235), without them AUTH PLAIN with made-up credentials or AUTH with an
// offered mechanism.
func authInTransaction() Step {
	return Func("AUTH inside the transaction, expect 503", func(s *Session) error {
		if s.cfg.Username != "" {
			if m, err := s.chooseMechanism(); err == nil {
				r, err := s.Authenticate(m, true)
				if err != nil {
					return err
				}
				if r.Code != 503 {
					return &Failure{Want: "503 to AUTH in a transaction", Got: replyText(r)}
				}
				return nil
			}
		}
		offered, err := authOffered(s)
		if err != nil {
			return err
		}
		caps, _ := s.Capabilities()
		line := "AUTH " + offered[0]
		if caps.HasAuth("PLAIN") {
			line = "AUTH PLAIN " + authNobody
		}
		return Cmd(line, "503").Run(s)
	})
}

// authRcptNot503 sends RCPT and fails on 503: the transaction opened
// before the refused AUTH must still be open (a 250, or a refusal of the
// recipient by policy, are both fine).
func authRcptNot503() Step {
	return Func("send RCPT TO:<{rcpt}>, expect anything but 503", func(s *Session) error {
		if err := s.Send([]byte(s.Expand("RCPT TO:<{rcpt}>\r\n"))); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code == 503 {
			return &Failure{Want: "the transaction still open after the refused AUTH", Got: replyText(r)}
		}
		return nil
	})
}
