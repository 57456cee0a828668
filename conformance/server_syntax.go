package conformance

import (
	"fmt"
	"net"
	"strings"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// Command syntax and arguments (RFC 5321 sections 2.4, 3.2, 3.8, 4.1.1,
// 4.1.1.1, 4.2.4, 4.3.2): greeting commands, unknown and unoffered verbs,
// arguments where none are allowed, case and white space.

// basicReplyLines returns the lines of the last reply read, as they came
// (enhanced status codes included), without their CRLF.
func basicReplyLines(s *Session) []string {
	writes := s.Transcript().Writes(state.SideServer)
	if len(writes) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(writes[len(writes)-1]), "\r\n"), "\r\n")
}

// basicAddrLiteral writes a as an address literal (RFC 5321 section 4.1.3):
// "[192.0.2.1]" or "[IPv6:2001:db8::1]"; fallback when a is not TCP.
func basicAddrLiteral(a net.Addr, fallback string) string {
	ta, ok := a.(*net.TCPAddr)
	switch {
	case !ok || ta.IP == nil:
		return fallback
	case ta.IP.To4() != nil:
		return "[" + ta.IP.To4().String() + "]"
	}
	return "[IPv6:" + ta.IP.String() + "]"
}

// basicIsKeyword reports whether k is an ehlo-keyword: (ALPHA / DIGIT)
// *(ALPHA / DIGIT / "-") (RFC 5321 section 4.1.1.1).
func basicIsKeyword(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-') {
			return false
		}
	}
	return k != ""
}

// basicCheckEHLO checks the lines of an EHLO reply against ehlo-ok-rsp
// (RFC 5321 section 4.1.1.1): "250" and the domain (or address literal) on
// the first line, then one ehlo-keyword and its ehlo-params (%d33-126,
// separated by single spaces) on each other line. A bare "250" last line,
// which RFC 5321 section 4.2.1 tells clients to accept, is let through.
func basicCheckEHLO(lines []string) error {
	for i, line := range lines {
		if len(line) < 3 || !strings.HasPrefix(line, "250") {
			return fmt.Errorf("line %q does not start with 250", line)
		}
		text := ""
		if len(line) > 3 {
			text = line[4:]
		}
		if i == 0 {
			domain, _, _ := strings.Cut(text, " ")
			if _, err := wire.CheckHost([]byte(domain), true); err != nil {
				return fmt.Errorf("the first line %q does not start with a domain or address literal: %v", line, err)
			}
			continue
		}
		if text == "" && i == len(lines)-1 {
			continue
		}
		fields := strings.Split(text, " ")
		if !basicIsKeyword(fields[0]) {
			return fmt.Errorf("line %q does not start with an ehlo-keyword", line)
		}
		for _, p := range fields[1:] {
			if p == "" {
				return fmt.Errorf("line %q has an empty ehlo-param (two spaces, or a trailing space)", line)
			}
			for j := 0; j < len(p); j++ {
				if p[j] < 33 || p[j] > 126 {
					return fmt.Errorf("line %q has an octet %#x outside ehlo-param", line, p[j])
				}
			}
		}
	}
	return nil
}

// basicCheckHELO fails when the last reply, to HELO, lists extensions the
// way an EHLO reply does (RFC 5321 section 3.2).
func basicCheckHELO(s *Session, offered []string) error {
	lines := basicReplyLines(s)
	if len(lines) < 2 {
		return nil
	}
	for _, line := range lines[1:] {
		if len(line) < 4 {
			continue
		}
		word, _, _ := strings.Cut(line[4:], " ")
		for _, k := range offered {
			if strings.EqualFold(word, k) {
				return &Failure{Want: "a HELO reply without the extension list", Got: fmt.Sprintf("the line %q, an extension the EHLO reply listed", line)}
			}
		}
		if wire.LookupExt([]byte(word)) != wire.ExtUnknown {
			return &Failure{Want: "a HELO reply without the extension list", Got: fmt.Sprintf("the line %q, an EHLO keyword", line)}
		}
	}
	return nil
}

// basicUnoffered sends line unless the EHLO reply lists keyword, and
// expects 500 or 502: a command the server does not offer is not
// implemented (RFC 5321 sections 4.1.1.1 and 4.2.4).
func basicUnoffered(keyword, line string) Step {
	cmd := Cmd(line, "500", "502")
	return Func(cmd.String()+" (unless "+keyword+" is offered)", func(s *Session) error {
		if caps, _ := s.Capabilities(); caps.Has(wire.LookupExt([]byte(keyword))) {
			s.Comment("%s is offered; not sent", keyword)
			return nil
		}
		return cmd.Run(s)
	})
}

// basicNot50x are the replies to a command the server lists in EHLO: any
// but 500 and 502 (RFC 5321 section 4.2.4).
var basicNot50x = []string{"2xx", "3xx", "4xx", "501", "503", "504", "53x", "55x"}

var basicSyntaxCases = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "ehlo-no-domain", Level: Should, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO without a domain is refused with 501 (or 500), and EHLO with one works afterwards.",
		Steps: []Step{
			Greeting(),
			Cmd("EHLO", "501", "500"),
			Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "helo-no-domain", Level: Should, Needs: Needs{Protocol: SMTPOnly},
		Title: "HELO without a domain is refused with 501 (or 500), and HELO with one works afterwards.",
		Steps: []Step{
			Greeting(),
			Cmd("HELO", "501", "500"),
			Cmd("HELO {helo}", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "ehlo-address-literal", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO with an address literal (the client's own address) is not a syntax error: 250, or 550 by policy.",
		Steps: []Step{
			Greeting(),
			basicCmd("EHLO [client address]", func(s *Session) string {
				return "EHLO " + basicAddrLiteral(s.conn.LocalAddr(), "[127.0.0.1]")
			}, "250", "550"),
			basicIf([]string{"250"}, Cmd("MAIL FROM:<{from}>", "250")),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.1", Name: "ehlo-reply-syntax", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "The EHLO reply follows ehlo-ok-rsp: the server's domain first, then one keyword and its parameters a line.",
		Steps: []Step{
			Greeting(),
			Cmd("EHLO {helo}", "250"),
			Func("check the EHLO reply lines", func(s *Session) error {
				if err := basicCheckEHLO(basicReplyLines(s)); err != nil {
					return &Failure{Want: "an EHLO reply that follows ehlo-ok-rsp", Got: err.Error()}
				}
				return nil
			}),
		},
	},
	&Case{
		RFC: 5321, Section: "3.2", Name: "helo-no-extension-list", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "The reply to HELO is not an EHLO-style reply: it lists no extensions.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("HELO {helo}", "250"),
			Func("check that the HELO reply lists no extension", func(s *Session) error {
				caps, _ := s.Capabilities()
				return basicCheckHELO(s, caps.Keywords())
			}),
		},
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "ehlo-case-insensitive", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO and HELO are recognised in lower and mixed case.",
		Steps: []Step{
			Greeting(),
			Cmd("eHlO {helo}", "250"),
			Cmd("helo {helo}", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "verbs-case-insensitive", Level: Must,
		Title: "Verbs and the FROM:/TO: keywords are recognised in lower and mixed case.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("mail from:<{from}>", "250"),
			Cmd("rcpt to:<{rcpt}>", "250", "251"),
			Cmd("noop", "250"),
			Cmd("rSeT", "250"),
			Cmd("MaIl FrOm:<{from}>", "250"),
			Cmd("RcPt To:<{rcpt}>", "250", "251"),
			Cmd("data", "354"),
			Raw(basicContent),
			Expect(basicDataCodes...),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1", Name: "trailing-whitespace", Level: Should,
		Title: "Trailing white space before CRLF is tolerated on MAIL, RCPT, NOOP and RSET.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> ", "250"),
			Cmd("RCPT TO:<{rcpt}>  ", "250", "251"),
			Cmd("NOOP ", "250"),
			Cmd("RSET ", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.2.4", Name: "unknown-command-500", Level: Should,
		Title: "An unrecognised command (XYZZY) gets 500, not 502, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("XYZZY", "500"),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.8", Name: "unknown-command-no-close", Level: Must,
		Title: "Unrecognised commands get an error reply and the server keeps the connection open.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("XYZZY", "5xx"),
			Cmd("FROBNICATE now", "5xx"),
			Cmd("MAILX FROM:<{from}>", "5xx"),
			Cmd("NOOP", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.2.4", Name: "unoffered-commands-refused", Level: Should,
		Title: "Commands the EHLO reply does not list (TURN, ATRN, SEND, SOML, SAML; BURL in a transaction) get 500 or 502.",
		Steps: []Step{
			Greeting(), Hello(),
			basicUnoffered("TURN", "TURN"), basicUnoffered("ATRN", "ATRN {domain}"),
			basicUnoffered("SEND", "SEND FROM:<{from}>"), basicUnoffered("SOML", "SOML FROM:<{from}>"),
			basicUnoffered("SAML", "SAML FROM:<{from}>"),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			basicUnoffered("BURL", "BURL imap://example.net/conformance LAST"),
			Cmd("NOOP", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.2.4", Name: "offered-commands-implemented", Level: Must,
		Title: "Commands the EHLO reply lists (VRFY, EXPN, HELP, ETRN) do not get 500 or 502.",
		Steps: []Step{
			Greeting(), Hello(),
			Func("send each listed command, expect neither 500 nor 502", func(s *Session) error {
				caps, _ := s.Capabilities()
				sent := 0
				for _, c := range []struct{ keyword, line string }{
					{"VRFY", "VRFY postmaster"}, {"EXPN", "EXPN postmaster"}, {"HELP", "HELP"}, {"ETRN", "ETRN {domain}"},
				} {
					if _, ok := caps.Keyword(c.keyword); !ok {
						continue
					}
					sent++
					if err := Cmd(c.line, basicNot50x...).Run(s); err != nil {
						return err
					}
				}
				if sent == 0 {
					return Skip("the EHLO reply lists none of VRFY, EXPN, HELP, ETRN")
				}
				return nil
			}),
		},
	},
	&Case{
		RFC: 5321, Section: "4.3.2", Name: "data-with-argument", Level: Should,
		Title: "DATA with an argument gets 501, not 354, and DATA without one then works.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
			Cmd("DATA now", "501"),
			basicMessage(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.3.2", Name: "rset-with-argument", Level: Should,
		Title: "RSET with an argument gets 501, and RSET without one then works.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RSET now", "501"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.3.2", Name: "quit-with-argument", Level: Should,
		Title: "QUIT with an argument gets 501 and the connection stays open; QUIT then gets 221.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("QUIT now", "501"),
			Cmd("NOOP", "250"),
			Cmd("QUIT", "221"),
			Closed(),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "mail-no-reverse-path", Level: Must,
		Title: "MAIL without a reverse-path (\"MAIL\", \"MAIL FROM:\") gets 501 and opens no transaction.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL", "501"),
			Cmd("MAIL FROM:", "501"),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
)
