package conformance

import (
	"strings"
)

// MAIL and RCPT paths (RFC 5321 sections 3.3, 4.1.1.3, 4.1.2, 4.1.3, 4.5.1,
// 4.5.3.1, 6.1, appendix C): the null reverse-path, postmaster, quoted
// local parts, address literals, source routes, the size limits, and
// paths that break the grammar.
//
// Where the syntax is legal but the server may refuse the address by
// policy, the cases accept the policy replies (550, 553 "mailbox name not
// allowed", 554) and fail only on a syntax error (500, 501): a 501 says
// the legal address is malformed. The cases at a size limit leave 553 out:
// for a name whose only oddity is its length, it would say that the length
// is not allowed.

// basicSplit splits an address at its last "@".
func basicSplit(addr string) (local, domain string) {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i], addr[i+1:]
	}
	return addr, ""
}

// basicFrom returns the local part and domain of the configured sender.
func basicFrom(s *Session) (local, domain string) { return basicSplit(s.Config().From) }

// basicRcpt returns the local part and domain of the configured first
// recipient.
func basicRcpt(s *Session) (local, domain string) { return basicSplit(s.Config().Rcpt) }

// basicLongDomain returns a domain of exactly n octets that ends in suffix
// (when suffix leaves room), made of labels of at most 63 letters (RFC
// 1035 section 2.3.4).
func basicLongDomain(n int, suffix string) string {
	rest := n
	if suffix != "" {
		rest -= len(suffix) + 1
	}
	if rest <= 0 {
		return basicLongDomain(n, "")
	}
	var b strings.Builder
	for rest > 0 {
		l := min(rest, 63)
		if rest-l == 1 { // leave room for a dot and a label of one letter
			l--
		}
		b.WriteString(strings.Repeat("d", l))
		rest -= l
		if rest > 0 {
			b.WriteByte('.')
			rest--
		}
	}
	if suffix != "" {
		b.WriteByte('.')
		b.WriteString(suffix)
	}
	return b.String()
}

// basicLocal returns a local part of exactly n octets.
func basicLocal(n int) string {
	const prefix = "conformance-"
	if n <= len(prefix) {
		return strings.Repeat("l", n)
	}
	return prefix + strings.Repeat("l", n-len(prefix))
}

// basicQuote writes local as a Quoted-string (RFC 5321 section 4.1.2).
func basicQuote(local string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(local) + `"`
}

// Replies that a legal path may get: accepted, or refused by policy.
var (
	basicRcptPolicy = []string{"250", "251", "550", "551", "553", "554"}
	basicMailPolicy = []string{"250", "550", "553"}
)

var basicPathCases = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "6.1", Name: "mail-null-reverse-path", Level: Must,
		Title: "MAIL FROM:<> (the null reverse-path of notifications) is accepted and the transaction takes recipients.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.1", Name: "rcpt-postmaster", Level: Must,
		Title: "RCPT TO:<Postmaster>, with no domain, is accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<Postmaster>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.1", Name: "rcpt-postmaster-case", Level: Must,
		Title: "The postmaster local name is case-insensitive: <POSTMASTER> and <pOsTmAsTeR> are accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<POSTMASTER>", "250", "251"),
			Cmd("RCPT TO:<pOsTmAsTeR>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.1", Name: "rcpt-postmaster-domain", Level: Must,
		Title: "Postmaster at a domain the server serves ({domain}) is accepted, in any case.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<PostMaster@{domain}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "rcpt-quoted-local-part", Level: Must,
		Title: "A quoted local part with a space (\"a b\"@domain) is legal: accepted or refused by policy, never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd(`RCPT TO:<"conformance test"@{domain}>`, basicRcptPolicy...),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "rcpt-quoted-specials", Level: Must,
		Title: "A quoted local part holding \"@\", \">\" and a quoted-pair is parsed as one mailbox: never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd(`RCPT TO:<"a@b>c \"d\" \\e"@{domain}>`, basicRcptPolicy...),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "rcpt-quoted-equivalent", Level: Must,
		Title: "The quoted form of an accepted recipient's local part (\"rcpt\"@domain) is treated as equivalent and accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<\"{rcpt local part}\"@{domain}>", func(s *Session) string {
				local, domain := basicRcpt(s)
				return "RCPT TO:<" + basicQuote(local) + "@" + domain + ">"
			}, "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "rcpt-domain-case", Level: Must,
		Title: "The domain of a recipient is not case-sensitive: {rcpt} with its domain in upper case is accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<{rcpt} with the domain upper-cased>", func(s *Session) string {
				local, domain := basicRcpt(s)
				return "RCPT TO:<" + local + "@" + strings.ToUpper(domain) + ">"
			}, "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.3", Name: "rcpt-ipv4-literal", Level: Must,
		Title: "A recipient at an IPv4 address literal (postmaster@[server address]) is legal: accepted or refused by policy, never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<postmaster@[server address]>", func(s *Session) string {
				return "RCPT TO:<postmaster@" + basicAddrLiteral(s.conn.RemoteAddr(), "[192.0.2.1]") + ">"
			}, basicRcptPolicy...),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.3", Name: "rcpt-ipv6-literal", Level: Must,
		Title: "A recipient at an IPv6 address literal (postmaster@[IPv6:2001:db8::25]) is legal: accepted or refused by policy, never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<postmaster@[IPv6:2001:db8::25]>", basicRcptPolicy...),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.3", Name: "mail-address-literal", Level: Must,
		Title: "A sender at an address literal (local@[192.0.2.1]) is legal: accepted or refused by policy, never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			basicCmd("MAIL FROM:<{from local part}@[192.0.2.1]>", func(s *Session) string {
				local, _ := basicFrom(s)
				return "MAIL FROM:<" + local + "@[192.0.2.1]>"
			}, basicMailPolicy...),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "mail-missing-brackets", Level: Must,
		Title: "MAIL FROM:address without angle brackets is either accepted (lenient) or refused with 501, and the session goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:{from}", "250", "501"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "3.3", Name: "mail-space-after-colon", Level: Must,
		Title: "MAIL FROM: <address>, with the space RFC 5321 forbids, is either accepted (lenient) or refused with 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM: <{from}>", "250", "501"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.4", Name: "mail-unterminated-path", Level: Should,
		Title: "MAIL FROM:<address with no closing bracket gets 501 and opens no transaction.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}", "501"),
			Cmd("RCPT TO:<{rcpt}>", "503"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "rcpt-null-path", Level: Should,
		Title: "RCPT TO:<> (a null forward-path, which the grammar lacks) is refused, and the transaction stays open.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<>", "501", "550", "553"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "rcpt-underscore-domain", Level: Must,
		Title: "A recipient domain with an underscore in a label is refused with 501 (or a policy reply), never accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<postmaster@bad_label.{domain}>", "501", "550", "551", "554"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "mail-underscore-domain", Level: Must,
		Title: "A sender domain with an underscore in a label is refused with 501 (or 550 by policy), never accepted.",
		Steps: []Step{
			Greeting(), Hello(),
			basicCmd("MAIL FROM:<{from local part}@bad_label.{from domain}>", func(s *Session) string {
				local, domain := basicFrom(s)
				return "MAIL FROM:<" + local + "@bad_label." + domain + ">"
			}, "501", "550"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.3", Name: "rcpt-source-route", Level: Must,
		Title: "A forward-path with a source route (<@a,@b:mailbox>) is recognised: accepted, or its relaying declined with 550/551/554, never 501.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<@relay1.example,@relay2.example:{rcpt}>", "250", "251", "550", "551", "554"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.3", Name: "rcpt-source-route-ignored", Level: Should,
		Title: "The source route of a forward-path is ignored: <@a,@b:{rcpt}> is accepted like {rcpt}.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<@relay1.example,@relay2.example:{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.2", Name: "mail-source-route", Level: Must,
		Title: "A reverse-path with a source route (<@a:{from}>) is accepted (\"MUST BE accepted\").",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<@relay1.example:{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.1", Name: "local-part-64", Level: Must,
		Title: "A local part of 64 octets is received: accepted or refused as unknown (550), never as too long.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<{64-octet local part}@{domain}>", func(s *Session) string {
				return "RCPT TO:<" + basicLocal(64) + "@" + s.Expand("{domain}") + ">"
			}, "250", "251", "550", "551"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.1", Name: "local-part-65", Level: May,
		Title: "A local part of 65 octets, past the limit, may be refused; the transaction goes on either way.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<{65-octet local part}@{domain}>", func(s *Session) string {
				return "RCPT TO:<" + basicLocal(65) + "@" + s.Expand("{domain}") + ">"
			}, "250", "251", "501", "550", "551", "553"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.2", Name: "domain-255", Level: Must, Needs: Needs{Protocol: SMTPOnly},
		Title: "EHLO with a domain of 255 octets is received: 250 (or 550 by policy), never a syntax or length error.",
		Steps: []Step{
			Greeting(),
			basicCmd("EHLO {255-octet domain}", func(s *Session) string {
				return "EHLO " + basicLongDomain(255, s.Config().Helo)
			}, "250", "550"),
			basicIf([]string{"250"}, Cmd("MAIL FROM:<{from}>", "250")),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.3", Name: "reverse-path-256", Level: Must,
		Title: "A reverse-path of 256 octets is received: accepted or refused by policy, never as too long.",
		Steps: []Step{
			Greeting(), Hello(),
			basicCmd("MAIL FROM:<{256-octet path}>", func(s *Session) string {
				local, domain := basicFrom(s)
				if len(local) > 64 {
					local = basicLocal(16)
				}
				return "MAIL FROM:<" + local + "@" + basicLongDomain(253-len(local), domain) + ">"
			}, "250", "450", "451", "550", "553"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.5.3.1.3", Name: "forward-path-256", Level: Must,
		Title: "A forward-path of 256 octets is received: accepted or refused by policy, never as too long.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			basicCmd("RCPT TO:<{256-octet path}>", func(s *Session) string {
				_, domain := basicRcpt(s)
				return "RCPT TO:<" + basicLocal(64) + "@" + basicLongDomain(253-64, domain) + ">"
			}, "250", "251", "450", "451", "550", "551", "554"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
)
