package conformance

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Server-side steps of the client suite for STARTTLS (RFC 3207) and AUTH
// (RFC 4954).

// ServeStartTLS expects STARTTLS, answers 220 and runs the TLS handshake
// as the server with the run's certificate (RFC 3207 section 4). The
// session forgets what the last EHLO reply offered. Octets the client sent
// after STARTTLS and before its handshake are a failure (RFC 3207 section
// 4: the client starts the negotiation before giving any other command).
func ServeStartTLS() Step {
	return step{"expect STARTTLS, reply 220, TLS handshake", func(s *Session) error {
		if err := ExpectCommand("STARTTLS").Run(s); err != nil {
			return err
		}
		if err := s.Send([]byte("220 2.0.0 Ready to start TLS\r\n")); err != nil {
			return err
		}
		return s.StartTLS(clServerTLS(s))
	}}
}

// InjectAfterStartTLS expects STARTTLS and answers it with "220" and, in
// the same write, a forged "250" line (the response injection of
// CVE-2011-0411's client side), then runs the handshake. A client that
// refuses to go on (the handshake fails or it closes) ends the case's
// steps: the outcome decides. Otherwise the steps that follow check that
// the client does not take the forged line for a reply inside TLS.
func InjectAfterStartTLS() Step {
	return step{`expect STARTTLS, reply "220 ..." and an injected "250 ..." in one write, TLS handshake`, func(s *Session) error {
		if err := ExpectCommand("STARTTLS").Run(s); err != nil {
			return err
		}
		if err := s.Send([]byte("220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected before TLS\r\n")); err != nil {
			return err
		}
		if err := s.StartTLS(clServerTLS(s)); err != nil {
			var f *Failure
			if errors.As(err, &f) && f.Rule == "" {
				return &clStop{"the client did not complete the TLS handshake: " + f.Got}
			}
			return err
		}
		return nil
	}}
}

// clPlaintextRE finds SMTP commands a client sends in the clear after
// a failed handshake; QUIT is let pass.
var clPlaintextRE = regexp.MustCompile(`(?i)(^|\r\n)(EHLO|HELO|MAIL|RCPT|DATA|BDAT|AUTH|RSET)\b`)

// FailHandshake expects STARTTLS, answers 220 and then, instead of a TLS
// ServerHello, a plaintext line, so that the client's handshake fails. The
// client must not go on in the clear on that connection (RFC 3207 section
// 4: it SHOULD abort the connection); what it sends in the next moments is
// checked, then the case's steps end.
func FailHandshake() Step {
	return step{"expect STARTTLS, reply 220, answer the handshake with plaintext", func(s *Session) error {
		if err := ExpectCommand("STARTTLS").Run(s); err != nil {
			return err
		}
		if err := s.Send([]byte("220 2.0.0 Ready to start TLS\r\n")); err != nil {
			return err
		}
		got := clReadFor(s, 4*s.cfg.QuietTime)
		if len(got) > 0 {
			_ = s.Send([]byte("554 5.0.0 this is not TLS\r\n"))
			got = append(got, clReadFor(s, 4*s.cfg.QuietTime)...)
		}
		if m := clPlaintextRE.Find(got); m != nil {
			return &Failure{Rule: "RFC 3207 section 4", Want: "no SMTP in the clear after the failed handshake",
				Got: fmt.Sprintf("the client sent %q", bytes.TrimSpace(m))}
		}
		return &clStop{"the client did not go on in the clear"}
	}}
}

// clReadFor reads what the client sends during d or until it closes, and
// records it (binary TLS records as their length only).
func clReadFor(s *Session, d time.Duration) []byte {
	end := time.Now().Add(d)
	if end.After(s.end) {
		end = s.end
	}
	_ = s.conn.SetReadDeadline(end)
	var out []byte
	buf := make([]byte, 4096)
	for len(out) < 1<<16 {
		n, err := s.br.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	switch {
	case clPlaintextRE.Match(out):
		s.rec.Write(s.peer(), out)
	case len(out) > 0:
		s.Comment("the client sent %d octets (TLS records)", len(out))
	}
	return out
}

// ServeAuth expects AUTH with one of the mechanisms the last EHLO reply
// clOffered (PLAIN or LOGIN; RFC 4954 section 4), runs the exchange,
// requires the configured credentials and answers 235.
func ServeAuth() Step {
	return step{"expect AUTH PLAIN or LOGIN with the configured credentials, reply 235", func(s *Session) error {
		mech, ir, err := clReadAuth(s)
		if err != nil {
			return err
		}
		var user, pass string
		switch mech {
		case "PLAIN":
			resp, err := clAuthResponse(s, ir, "")
			if err != nil {
				return err
			}
			parts := strings.Split(string(resp), "\x00")
			if len(parts) != 3 {
				return &Failure{Rule: "RFC 4616 section 2", Want: "authzid NUL authcid NUL password", Got: fmt.Sprintf("%d NUL-separated fields", len(parts))}
			}
			user, pass = parts[1], parts[2]
		case "LOGIN":
			u, err := clAuthResponse(s, ir, "VXNlcm5hbWU6")
			if err != nil {
				return err
			}
			p, err := clAuthResponse(s, "", "UGFzc3dvcmQ6")
			if err != nil {
				return err
			}
			user, pass = string(u), string(p)
		default:
			return &Failure{Want: "AUTH PLAIN or AUTH LOGIN (the mechanisms offered)", Got: "AUTH " + mech}
		}
		if user != s.cfg.Username || pass != s.cfg.Password {
			_ = s.Send([]byte("535 5.7.8 Authentication credentials invalid\r\n"))
			return &Failure{Want: "the configured credentials", Got: fmt.Sprintf("user %q and another password", user)}
		}
		return s.Send([]byte("235 2.7.0 Authentication successful\r\n"))
	}}
}

// clReadAuth reads the AUTH command and returns the mechanism, upper case,
// and the initial response ("" when none).
func clReadAuth(s *Session) (mech, ir string, err error) {
	line, err := s.ReadCommand()
	if err != nil {
		return "", "", clWant(err, "AUTH")
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 || !strings.EqualFold(f[0], "AUTH") {
		return "", "", &Failure{Want: "AUTH <mechanism> [initial-response]", Got: quoteLine(line)}
	}
	mech = strings.ToUpper(f[1])
	offer := false
	for _, m := range s.caps.AuthMechanisms() {
		offer = offer || strings.EqualFold(m, mech)
	}
	if !offer {
		return "", "", &Failure{Rule: "RFC 4954 section 4", Want: "a mechanism the server offered", Got: quoteLine(line)}
	}
	if len(f) == 3 {
		ir = f[2]
	}
	return mech, ir, nil
}

// clAuthResponse returns the decoded initial response when there is one,
// or sends "334 challenge" and decodes the client's answer. "*" (the
// client cancelling) and bad base64 are failures.
func clAuthResponse(s *Session, ir, challenge string) ([]byte, error) {
	line := ir
	if line == "" {
		if err := s.Send([]byte("334 " + challenge + "\r\n")); err != nil {
			return nil, err
		}
		var err error
		if line, err = s.ReadCommand(); err != nil {
			return nil, clWant(err, "a base64 response")
		}
	}
	switch line {
	case "*":
		_ = s.Send([]byte("501 5.7.0 Authentication cancelled\r\n"))
		return nil, &Failure{Want: "a response to the challenge", Got: "the client cancelled the exchange (*)"}
	case "=":
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil {
		_ = s.Send([]byte("501 5.5.2 Cannot decode response\r\n"))
		return nil, &Failure{Rule: "RFC 4954 section 4", Want: "a base64 response", Got: quoteLine(line)}
	}
	return b, nil
}

// ChallengeGarbage expects AUTH with an offered mechanism, answers with a
// 334 challenge that is not base64 (after the initial response or the
// first response, so that every mechanism meets it) and requires the
// client to cancel with "*" (RFC 4954 section 4), answered 501.
func ChallengeGarbage() Step {
	return step{`expect AUTH, reply "334 <not base64>", expect "*"`, func(s *Session) error {
		if _, _, err := clReadAuth(s); err != nil {
			return err
		}
		if err := s.Send([]byte("334 %%% this is not base64 %%%\r\n")); err != nil {
			return err
		}
		line, err := s.ReadCommand()
		if err != nil {
			return clWant(err, "*")
		}
		if line != "*" {
			return &Failure{Rule: "RFC 4954 section 4", Want: `"*" cancelling the exchange`, Got: quoteLine(line)}
		}
		return s.Send([]byte("501 5.7.0 Authentication cancelled\r\n"))
	}}
}
