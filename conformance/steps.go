package conformance

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// Step is one action or expectation of a case, run on the case's Session.
// A step returns nil when the target did what was due, a *Failure when it
// did not, and Skip's error when the case does not apply.
type Step interface {
	Run(s *Session) error
	// String describes the step for reports ("send MAIL FROM:<...>",
	// "expect 503").
	String() string
}

// step is a Step made of a description and a function.
type step struct {
	desc string
	run  func(s *Session) error
}

func (st step) Run(s *Session) error { return st.run(s) }
func (st step) String() string       { return st.desc }

// Func is a step of the case's own: fn runs on the Session with every
// primitive (Send, ReadReply, ReadCommand, StartTLS ...) at hand.
func Func(desc string, fn func(s *Session) error) Step { return step{desc, fn} }

// Codes is a set of reply-code patterns: "250", "5xx" (any 5yz), "55x".
type Codes []string

// Match reports whether code matches one of the patterns.
func (cs Codes) Match(code reply.Code) bool {
	text := fmt.Sprintf("%03d", int(code))
	for _, p := range cs {
		if len(p) != 3 {
			continue
		}
		ok := true
		for i := 0; i < 3; i++ {
			if p[i] != 'x' && p[i] != text[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (cs Codes) String() string { return strings.Join(cs, " or ") }

// Send sends text followed by CRLF; {helo}, {from}, {rcpt}, {rcpt2} and
// {domain} are replaced by the configured values.
func Send(text string) Step {
	return step{"send " + quoteLine(text), func(s *Session) error {
		return s.Send([]byte(s.Expand(text) + "\r\n"))
	}}
}

// Raw sends exactly the octets of text (placeholders replaced), with no
// CRLF added: pipelined groups, bare CR or LF, message content.
func Raw(text string) Step {
	return step{"send " + quoteLine(text), func(s *Session) error {
		return s.Send([]byte(s.Expand(text)))
	}}
}

// Expect reads one reply and requires its code to match one of the
// patterns ("250", "5xx").
func Expect(codes ...string) Step {
	want := Codes(codes)
	return step{"expect " + want.String(), func(s *Session) error {
		r, err := s.ReadReply()
		if err != nil {
			if f, ok := err.(*Failure); ok && f.Want == "" {
				f.Want = want.String()
			}
			return err
		}
		if !want.Match(r.Code) {
			return &Failure{Want: want.String(), Got: replyText(r)}
		}
		return nil
	}}
}

// ExpectOrClose is Expect that also accepts the server closing the
// connection instead of replying (a 421 with a close is then also fine).
func ExpectOrClose(codes ...string) Step {
	want := Codes(codes)
	return step{"expect " + want.String() + " or a close", func(s *Session) error {
		r, err := s.ReadReply()
		if err != nil {
			if PeerClosed(err) {
				return nil
			}
			return err
		}
		if r.Code == reply.Code(421) || want.Match(r.Code) {
			return nil
		}
		return &Failure{Want: want.String() + " or a close", Got: replyText(r)}
	}}
}

// Cmd sends text and CRLF and expects one reply matching codes.
func Cmd(text string, codes ...string) Step {
	send, expect := Send(text), Expect(codes...)
	return step{send.String() + ", " + expect.String(), func(s *Session) error {
		if err := send.Run(s); err != nil {
			return err
		}
		return expect.Run(s)
	}}
}

// Greeting reads the connection greeting and requires 220 (RFC 5321
// section 4.3.1).
func Greeting() Step {
	e := Expect("220")
	return step{"greeting: expect 220", e.Run}
}

// Hello sends EHLO {helo} (LHLO to an LMTP target, RFC 2033 section 4.1),
// requires 250 and keeps the capabilities it lists.
func Hello() Step {
	return step{"send EHLO (LHLO), expect 250", func(s *Session) error {
		verb := "EHLO"
		if s.cfg.LMTP {
			verb = "LHLO"
		}
		return hello(s, verb)
	}}
}

// hello sends verb {helo} and reads the 250 reply into the capabilities.
func hello(s *Session, verb string) error {
	if err := s.Send([]byte(verb + " " + s.cfg.Helo + "\r\n")); err != nil {
		return err
	}
	r, err := s.ReadReply()
	if err != nil {
		return err
	}
	if r.Code != 250 {
		return &Failure{Want: "250 to " + verb, Got: replyText(r)}
	}
	s.caps.Reset()
	s.hasCaps = false
	if verb == "HELO" {
		return nil
	}
	for i, line := range strings.Split(r.Text, "\n") {
		if err := s.caps.AddLine([]byte(line)); err != nil && i > 0 {
			return &Failure{Rule: "RFC 5321 section 4.1.1.1", Got: fmt.Sprintf("an EHLO keyword line %q: %v", line, err)}
		}
	}
	s.hasCaps = true
	return nil
}

// Require skips the case unless the last EHLO offered every keyword.
func Require(keywords ...string) Step {
	return step{"require " + strings.Join(keywords, ", "), func(s *Session) error {
		caps, ok := s.Capabilities()
		if !ok {
			return Skip("no EHLO reply to look for %s in", strings.Join(keywords, ", "))
		}
		for _, k := range keywords {
			if _, ok := caps.Keyword(k); !ok {
				return Skip("the server does not offer %s", k)
			}
		}
		return nil
	}}
}

// Quiet requires that nothing arrives for Config.QuietTime: no reply to
// what must not be answered yet (message content, smuggled commands).
func Quiet() Step {
	return step{"expect nothing for a moment", func(s *Session) error { return s.Quiet(0) }}
}

// Pause waits d without reading.
func Pause(d time.Duration) Step {
	return step{fmt.Sprintf("wait %v", d), func(*Session) error { time.Sleep(d); return nil }}
}

// Closed requires the peer to close the connection within the case's time
// bound, sending nothing first.
func Closed() Step {
	return step{"expect the connection to close", func(s *Session) error { return s.ExpectClose() }}
}

// StartTLS sends STARTTLS, requires 220 and runs the handshake (RFC 3207
// section 4). It skips the case when the last EHLO did not offer STARTTLS.
func StartTLS() Step {
	return step{"STARTTLS, expect 220, TLS handshake", func(s *Session) error {
		if caps, ok := s.Capabilities(); !ok || !caps.Has(wire.ExtSTARTTLS) {
			return Skip("the server does not offer STARTTLS")
		}
		if err := s.Send([]byte("STARTTLS\r\n")); err != nil {
			return err
		}
		r, err := s.ReadReply()
		if err != nil {
			return err
		}
		if r.Code != 220 {
			return &Failure{Want: "220 to STARTTLS", Got: replyText(r)}
		}
		return s.StartTLS(s.cfg.TLSConfig)
	}}
}

// Login authenticates with the configured credentials using the strongest
// mechanism both sides have (auth.Choose), and requires 235 (RFC 4954
// section 4). It skips the case without credentials or AUTH.
func Login() Step {
	return step{"AUTH with the configured credentials, expect 235", func(s *Session) error {
		mech, err := s.chooseMechanism()
		if err != nil {
			return err
		}
		r, err := s.Authenticate(mech, true)
		if err != nil {
			return err
		}
		if r.Code != 235 {
			return &Failure{Want: "235 to AUTH " + mech.Name(), Got: replyText(r)}
		}
		return nil
	}}
}

// chooseMechanism picks the client mechanism for the configured
// credentials among those the last EHLO offered.
func (s *Session) chooseMechanism() (auth.ClientMechanism, error) {
	if s.cfg.Username == "" {
		return nil, Skip("no credentials configured")
	}
	caps, ok := s.Capabilities()
	if !ok || len(caps.AuthMechanisms()) == 0 {
		return nil, Skip("the server does not offer AUTH here")
	}
	mechs := s.ClientMechanisms()
	m, err := auth.Choose(caps.AuthMechanisms(), mechs, s.connState(), true)
	if err != nil {
		return nil, Skip("no mechanism in common: %v", err)
	}
	return m, nil
}

// ClientMechanisms returns a client mechanism for each SASL mechanism the
// suite can run with the configured credentials.
func (s *Session) ClientMechanisms() []auth.ClientMechanism {
	u, p := s.cfg.Username, s.cfg.Password
	return []auth.ClientMechanism{
		auth.SCRAMClient(auth.SCRAMSHA256, true, "", u, p),
		auth.SCRAMClient(auth.SCRAMSHA256, false, "", u, p),
		auth.SCRAMClient(auth.SCRAMSHA1, true, "", u, p),
		auth.SCRAMClient(auth.SCRAMSHA1, false, "", u, p),
		auth.CRAMMD5Client(u, p),
		auth.PlainClient("", u, p),
		auth.LoginClient(u, p),
	}
}

// connState describes the session to SASL mechanisms: TLS facts for
// channel binding when TLS runs.
func (s *Session) connState() auth.ConnState {
	if tc, ok := s.conn.(*tls.Conn); ok {
		f := tlsmode.FactsFrom(tlsmode.SideClient, tc.ConnectionState(), nil)
		return f.AuthConn(0)
	}
	return auth.ConnState{}
}

// replyText shows a reply in a failure: its code and first line.
func replyText(r reply.Reply) string {
	first, _, _ := strings.Cut(r.Text, "\n")
	if r.Enhanced != (reply.Enhanced{}) {
		return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, first)
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Code, first))
}

// quoteLine shows a line to send in a step's description, shortened.
func quoteLine(text string) string {
	q := fmt.Sprintf("%q", text)
	if len(q) > 72 {
		q = q[:69] + "..."
	}
	return q
}
