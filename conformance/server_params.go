package conformance

// MAIL and RCPT parameters: unknown ones (RFC 5321 section 4.1.1.11),
// those of extensions not offered, SIZE (RFC 1870), BODY (RFC 6152),
// SMTPUTF8 (RFC 6531), DSN (RFC 3461), REQUIRETLS (RFC 8689) and the
// parameters of MT-PRIORITY (RFC 6710), DELIVERBY (RFC 2852) and
// FUTURERELEASE (RFC 4865). AUTH= (RFC 4954 section 5) is in
// server_auth.go, BODY=BINARYMIME in server_bdat.go. A malformed value of a
// known parameter may be answered 501 (RFC 5321 section 4.1.4: "If the
// transaction beginning command argument is not acceptable, a 501 failure
// reply MUST be returned") or 555 (section 4.1.1.11, a parameter the server
// "cannot implement"); both are accepted.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/wire"
)

var _ = register(SuiteServer,
	&Case{
		RFC: 5321, Section: "4.1.1.11", Name: "unknown-mail-param", Level: Must,
		Title: "MAIL with a parameter no extension defines (XFOO=1) gets 555 and opens no transaction.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> XFOO=1", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.11", Name: "unknown-rcpt-param", Level: Must,
		Title: "RCPT with a parameter no extension defines (XFOO=1) gets 555 and the transaction goes on.",
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}> XFOO=1", "555"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.11", Name: "param-of-unoffered-extension", Level: Must,
		Title: "MAIL with the parameter of an extension the server did not offer gets 555.",
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<{from}> with a parameter of an extension not offered, expect 555", bodyUnofferedParam),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 1870, Section: "6.1", Name: "size-over-maximum", Level: Should,
		Title: "MAIL declaring a SIZE above the announced fixed maximum gets 552.",
		Steps: []Step{
			Greeting(), Hello(), Require("SIZE"),
			Func("MAIL FROM:<{from}> SIZE=<maximum+1>, expect 552", func(s *Session) error {
				caps, _ := s.Capabilities()
				limit, _ := caps.Size()
				if limit == 0 {
					return Skip("SIZE announces no fixed maximum")
				}
				return Cmd(fmt.Sprintf("MAIL FROM:<{from}> SIZE=%d", limit+1), "552").Run(s)
			}),
			// RFC 1870 section 6.2: after 552 the client "should
			// immediately send either a RSET command ... or a QUIT command";
			// the session then goes on.
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 1870, Section: "6.1", Name: "size-within-maximum", Level: Must,
		Title: "MAIL declaring a small SIZE (1000) is accepted by a server that offers SIZE.",
		Needs: Needs{Ext: []string{"SIZE"}},
		Steps: []Step{Greeting(), Hello(), Cmd("MAIL FROM:<{from}> SIZE=1000", "250")},
	},
	&Case{
		RFC: 1870, Section: "5", Name: "size-not-a-number", Level: Must,
		Title: "MAIL with SIZE=abc is refused (501 or 555) and opens no transaction.",
		Needs: Needs{Ext: []string{"SIZE"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> SIZE=abc", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 6152, Section: "3", Name: "body-8bitmime", Level: Must,
		Title: "MAIL with BODY=8BITMIME is accepted and a message with 8-bit octets is delivered.",
		Needs: Needs{Ext: []string{"8BITMIME"}},
		Steps: []Step{
			Greeting(), Hello(), bodyOpen(" BODY=8BITMIME"), Cmd("DATA", "354"),
			Raw("Subject: 8bit\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln.\r\n.\r\n"),
			Expect("250"),
		},
	},
	&Case{
		RFC: 6152, Section: "2", Name: "body-7bit", Level: Must,
		Title: "MAIL with BODY=7BIT is accepted by a server that offers 8BITMIME.",
		Needs: Needs{Ext: []string{"8BITMIME"}},
		Steps: []Step{Greeting(), Hello(), Cmd("MAIL FROM:<{from}> BODY=7BIT", "250")},
	},
	&Case{
		RFC: 6152, Section: "2", Name: "body-unknown-value", Level: Must,
		Title: "MAIL with BODY=FOO is refused (501 or 555) and opens no transaction.",
		Needs: Needs{Ext: []string{"8BITMIME"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> BODY=FOO", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "4.1.1.11", Name: "body-binarymime-not-offered", Level: Must,
		Title: "MAIL with BODY=BINARYMIME is refused (555 or 501) by a server that does not offer BINARYMIME.",
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<{from}> BODY=BINARYMIME, expect 555 or 501 (skipped where BINARYMIME is offered)", func(s *Session) error {
				if bodyOffers(s, "BINARYMIME") {
					return Skip("the server offers BINARYMIME")
				}
				return Cmd("MAIL FROM:<{from}> BODY=BINARYMIME", "555", "501").Run(s)
			}),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 6531, Section: "3.2", Name: "utf8-mailbox-accepted", Level: Must,
		Title: "A server that offers SMTPUTF8 accepts a UTF-8 reverse-path with the SMTPUTF8 parameter.",
		Needs: Needs{Ext: []string{"SMTPUTF8"}},
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<UTF-8 local part@{from}'s domain> SMTPUTF8, expect 250", func(s *Session) error {
				return Cmd("MAIL FROM:<"+bodyUTF8Sender(s)+"> SMTPUTF8", "250").Run(s)
			}),
		},
	},
	&Case{
		RFC: 6531, Section: "3.4", Name: "smtputf8-takes-no-value", Level: Must,
		Title: "MAIL with SMTPUTF8=YES is refused (501 or 555): the parameter takes no value.",
		Needs: Needs{Ext: []string{"SMTPUTF8"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> SMTPUTF8=YES", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 5321, Section: "2.4", Name: "non-ascii-address-refused", Level: Should,
		Title: "MAIL with a non-ASCII reverse-path and no SMTPUTF8 parameter is refused (5yz) and opens no transaction.",
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<UTF-8 local part@{from}'s domain> without SMTPUTF8, expect 5yz", func(s *Session) error {
				return Cmd("MAIL FROM:<"+bodyUTF8Sender(s)+">", "5xx").Run(s)
			}),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.3", Name: "ret-and-envid", Level: Must,
		Title: "MAIL with RET=FULL or RET=HDRS and an xtext ENVID is accepted by a server that offers DSN.",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> RET=FULL ENVID=QQ314159", "250"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}> RET=HDRS ENVID=id+2Bwith+3Dhexchars", "250"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.3", Name: "ret-unknown-value", Level: Must,
		Title: "MAIL with RET=BOGUS is refused (501 or 555) and opens no transaction.",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> RET=BOGUS", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.4", Name: "envid-bad-xtext", Level: Must,
		Title: "MAIL with an ENVID that is not xtext (a bare \"+\") is refused (501 or 555).",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> ENVID=bad+xtext", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.1", Name: "notify-values", Level: Must,
		Title: "RCPT with NOTIFY=SUCCESS,FAILURE and RCPT with NOTIFY=NEVER are accepted by a server that offers DSN.",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}> NOTIFY=SUCCESS,FAILURE", "250", "251"),
			Cmd("RCPT TO:<{rcpt2}> NOTIFY=NEVER", "250", "251"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.1", Name: "notify-never-alone", Level: Should,
		Title: "RCPT with NOTIFY=NEVER,SUCCESS is refused (501 or 555): NEVER must appear by itself.",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}> NOTIFY=NEVER,SUCCESS", "501", "555"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 3461, Section: "4.2", Name: "orcpt-rfc822", Level: Must,
		Title: "RCPT with ORCPT=rfc822;<the recipient as xtext> is accepted by a server that offers DSN.",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Func("RCPT TO:<{rcpt}> ORCPT=rfc822;<{rcpt} as xtext>, expect 250 or 251", func(s *Session) error {
				x := wire.AppendXtext(nil, []byte(s.Expand("{rcpt}")))
				return Cmd("RCPT TO:<{rcpt}> ORCPT=rfc822;"+string(x), "250", "251").Run(s)
			}),
		},
	},
	&Case{
		RFC: 3461, Section: "4.2", Name: "orcpt-without-type", Level: Should,
		Title: "RCPT with an ORCPT that lacks the address type and \";\" is refused (501 or 555).",
		Needs: Needs{Ext: []string{"DSN"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}>", "250"),
			Cmd("RCPT TO:<{rcpt}> ORCPT={rcpt}", "501", "555"),
			Cmd("RCPT TO:<{rcpt}>", "250", "251"),
		},
	},
	&Case{
		RFC: 8689, Section: "2", Name: "requiretls-needs-tls", Level: Should,
		Title: "MAIL with REQUIRETLS is refused in a session without TLS and accepted after STARTTLS.",
		Needs: Needs{TLS: true, Ext: []string{"REQUIRETLS"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> REQUIRETLS", "5xx"),
			Cmd("RSET", "250"),
			StartTLS(), Hello(),
			Cmd("MAIL FROM:<{from}> REQUIRETLS", "250"),
		},
	},
	&Case{
		RFC: 6710, Section: "3", Name: "mt-priority-accepted", Level: Must,
		Title: "A server that offers MT-PRIORITY accepts MAIL with MT-PRIORITY=3 and MT-PRIORITY=-2.",
		Needs: Needs{Ext: []string{"MT-PRIORITY"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> MT-PRIORITY=3", "250"),
			Cmd("RSET", "250"),
			Cmd("MAIL FROM:<{from}> MT-PRIORITY=-2", "250"),
		},
	},
	&Case{
		RFC: 6710, Section: "3", Name: "mt-priority-out-of-range", Level: Should,
		Title: "MAIL with MT-PRIORITY=10 (outside -9..9) is refused (501 or 555).",
		Needs: Needs{Ext: []string{"MT-PRIORITY"}},
		Steps: []Step{
			Greeting(), Hello(),
			Cmd("MAIL FROM:<{from}> MT-PRIORITY=10", "501", "555"),
			Cmd("MAIL FROM:<{from}>", "250"),
		},
	},
	&Case{
		RFC: 2852, Section: "2", Name: "deliverby-accepted", Level: Must,
		Title: "A server that offers DELIVERBY accepts MAIL with a BY= time above its announced minimum.",
		Needs: Needs{Ext: []string{"DELIVERBY"}},
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<{from}> BY=<minimum+3600>;R, expect 250", func(s *Session) error {
				by := bodyKeywordNumber(s, "DELIVERBY") + 3600
				return Cmd(fmt.Sprintf("MAIL FROM:<{from}> BY=%d;R", by), "250").Run(s)
			}),
		},
	},
	&Case{
		RFC: 4865, Section: "3", Name: "holdfor-accepted", Level: Must,
		Title: "A server that offers FUTURERELEASE accepts MAIL with a HOLDFOR= interval within its announced maximum.",
		Needs: Needs{Ext: []string{"FUTURERELEASE"}},
		Steps: []Step{
			Greeting(), Hello(),
			Func("MAIL FROM:<{from}> HOLDFOR=<at most the maximum>, expect 250", func(s *Session) error {
				hold := min(bodyKeywordNumber(s, "FUTURERELEASE"), 60)
				if hold <= 0 {
					return Skip("FUTURERELEASE announces no usable maximum interval")
				}
				return Cmd(fmt.Sprintf("MAIL FROM:<{from}> HOLDFOR=%d", hold), "250").Run(s)
			}),
		},
	},
)

// bodyUnofferedParams are MAIL parameters of extensions a server may not
// offer, in the order bodyUnofferedParam tries them.
var bodyUnofferedParams = []struct{ keyword, param string }{
	{"SMTPUTF8", "SMTPUTF8"},
	{"MT-PRIORITY", "MT-PRIORITY=0"},
	{"DELIVERBY", "BY=86400;N"},
	{"FUTURERELEASE", "HOLDFOR=60"},
	{"REQUIRETLS", "REQUIRETLS"},
	{"DSN", "RET=HDRS"},
	{"8BITMIME", "BODY=8BITMIME"},
	{"SIZE", "SIZE=1000"},
}

// bodyUnofferedParam sends MAIL with the parameter of the first extension in
// bodyUnofferedParams that the last EHLO did not offer, and requires 555 (RFC
// 5321 section 4.1.1.11; section 4.1.1.3 forbids the client to send it).
func bodyUnofferedParam(s *Session) error {
	for _, p := range bodyUnofferedParams {
		if !bodyOffers(s, p.keyword) {
			s.Comment("%s is not offered: its parameter %s is unknown here", p.keyword, p.param)
			return Cmd("MAIL FROM:<{from}> "+p.param, "555").Run(s)
		}
	}
	return Skip("the server bodyOffers every extension the case knows a MAIL parameter of")
}

// bodyUTF8Sender is {from} with "-\u00fc" (a UTF-8 "u with diaeresis") added to
// its local part: a mailbox only SMTPUTF8 allows.
func bodyUTF8Sender(s *Session) string {
	from := s.Expand("{from}")
	if i := strings.LastIndexByte(from, '@'); i > 0 {
		return from[:i] + "-\u00fc" + from[i:]
	}
	return "j\u00f6rg@" + s.Expand("{domain}")
}

// bodyKeywordNumber returns the first parameter of keyword in the last EHLO
// reply as a number of seconds, or 0.
func bodyKeywordNumber(s *Session, keyword string) int64 {
	caps, _ := s.Capabilities()
	p, _ := caps.Keyword(keyword)
	f, _, _ := strings.Cut(strings.TrimSpace(string(p)), " ")
	n, err := strconv.ParseInt(f, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
