package state

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// serverTexts are the replies that carry the server's name, built once so
// that writing them does not allocate.
type serverTexts struct {
	greeting  string      // "<host> ESMTP" or "<host> LMTP"
	bye       reply.Reply // 221 to QUIT
	shutdown  reply.Reply // 421 for a 421 without text
	timeout   reply.Reply // 421 4.4.2 on a timeout
	errors    reply.Reply // 421 4.7.0 after too many errors
	authFails reply.Reply // 421 4.7.0 after too many AUTH failures
	sync      reply.Reply // 421 4.5.0 to a client that does not wait
	http      reply.Reply // 421 4.7.0 to an HTTP request
	overlong  reply.Reply // 421 4.7.0 past maxOverlongLine octets of one line
	help      string      // the default HELP text
}

func newServerTexts(c ServerConfig) serverTexts {
	host := c.Hostname
	greeting := host + " ESMTP"
	verbs := "HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"
	if c.Protocol == ProtocolLMTP {
		greeting = host + " LMTP"
		verbs = "LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"
	}
	for _, x := range []struct {
		e    wire.Ext
		verb string
	}{
		{wire.ExtCHUNKING, "BDAT"}, {wire.ExtEXPN, "EXPN"}, {wire.ExtSTARTTLS, "STARTTLS"},
		{wire.ExtAUTH, "AUTH"}, {wire.ExtETRN, "ETRN"}, {wire.ExtXCLIENT, "XCLIENT"},
		{wire.ExtXFORWARD, "XFORWARD"},
	} {
		if c.Extensions.Has(x.e) {
			verbs += " " + x.verb
		}
	}
	return serverTexts{
		greeting:  greeting,
		help:      "Commands: " + verbs + "\nSee RFC 5321 and the EHLO reply for details",
		bye:       reply.Reply{Code: reply.CodeClosing, Text: host + " Service closing transmission channel"},
		shutdown:  reply.Reply{Code: reply.CodeServiceNotAvailable, Text: host + " Service not available, closing transmission channel"},
		timeout:   reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 4, 2), Text: host + " Timeout, closing transmission channel"},
		errors:    reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0), Text: host + " Too many errors, closing transmission channel"},
		authFails: reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0), Text: host + " Too many authentication failures, closing transmission channel"},
		sync:      reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 5, 0), Text: host + " Commands sent before their replies (RFC 2920 3.1), closing transmission channel"},
		overlong:  reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0), Text: host + " Line too long, closing transmission channel"},
		http:      reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0), Text: host + " This is an SMTP server, not HTTP; closing transmission channel"},
	}
}

// Fixed replies the machine sends by itself.
var (
	replyOK         = reply.Reply{Code: reply.CodeOK, Text: "OK"}
	replyMailOK     = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 1, 0), Text: "Sender OK"}
	replyRcptOK     = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 1, 5), Text: "Recipient OK"}
	replyGoAhead    = reply.Reply{Code: reply.CodeStartMailInput, Text: "Start mail input; end with <CRLF>.<CRLF>"}
	replyQueued     = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 0, 0), Text: "Message accepted"}
	replyVrfy       = reply.Reply{Code: reply.CodeCannotVerify, Enhanced: reply.E(2, 5, 0), Text: "Cannot VRFY user, but will accept message and attempt delivery"}
	replyExpn       = reply.Reply{Code: reply.CodeCannotVerify, Enhanced: reply.E(2, 5, 0), Text: "Cannot EXPN list"}
	replyEtrn       = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 0, 0), Text: "Queuing started"}
	replyUnknown    = reply.Reply{Code: reply.CodeSyntaxError, Enhanced: reply.E(5, 5, 2), Text: "Command unrecognized"}
	replyHistoric   = reply.Reply{Code: reply.CodeNotImplemented, Enhanced: reply.E(5, 5, 1), Text: "Command not implemented"}
	replyTooLong    = reply.Reply{Code: reply.CodeSyntaxError, Enhanced: reply.E(5, 5, 2), Text: "Line too long"}
	replyAuthLong   = reply.Reply{Code: reply.CodeSyntaxError, Enhanced: reply.E(5, 5, 6), Text: "Authentication exchange line is too long"}
	replyAuthCancel = reply.Reply{Code: reply.CodeParamSyntaxError, Enhanced: reply.E(5, 7, 0), Text: "Authentication cancelled"}
	replyAuthBase64 = reply.Reply{Code: reply.CodeParamSyntaxError, Enhanced: reply.E(5, 5, 2), Text: "Invalid base64 data"}
	replyAuthMech   = reply.Reply{Code: reply.CodeParamNotImplemented, Enhanced: reply.E(5, 5, 4), Text: "Unrecognized authentication mechanism"}
	replyAuthTwice  = reply.Reply{Code: reply.CodeBadSequence, Enhanced: reply.E(5, 5, 1), Text: "Already authenticated"}
	replyAuthNeeded = reply.Reply{Code: reply.CodeAuthRequired, Enhanced: reply.E(5, 7, 0), Text: "Authentication required"}
	replyTooManyRcp = reply.Reply{Code: reply.CodeInsufficientStorage, Enhanced: reply.E(4, 5, 3), Text: "Too many recipients"}
	replyTooManyDom = reply.Reply{Code: reply.CodeInsufficientStorage, Enhanced: reply.E(4, 5, 3), Text: "Too many recipient domains"}
	replyTooManyTx  = reply.Reply{Code: reply.CodeInsufficientStorage, Enhanced: reply.E(4, 5, 3), Text: "Too many transactions in this session"}
	replyTooBig     = reply.Reply{Code: reply.CodeExceededStorage, Enhanced: reply.E(5, 3, 4), Text: "Message size exceeds fixed maximum message size"}
	replyHoldTooFar = reply.Reply{Code: reply.CodeParamSyntaxError, Enhanced: reply.E(5, 5, 4), Text: "Release time beyond the maximum (RFC 4865 3)"}
	replyBinaryData = reply.Reply{Code: reply.CodeBadSequence, Enhanced: reply.E(5, 5, 1), Text: "BODY=BINARYMIME requires BDAT (RFC 3030 3)"}
	replyBadChunk   = reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 5, 0), Text: "Unreadable BDAT chunk size; closing (RFC 3030 2)"}
)

// write appends r to the output, with an enhanced status code when the
// session negotiated ENHANCEDSTATUSCODES (RFC 2034 section 3).
func (s *Server) write(r reply.Reply) {
	if s.tap != nil {
		s.tap.wrote(r.Code)
	}
	s.out = wire.AppendReply(s.out, r, s.enhanced)
	s.since = s.now
}

// writeHost writes r with the server's name in front of its first line, as
// the greeting and the 220 that ends XCLIENT need (RFC 5321 section 4.2).
func (s *Server) writeHost(code reply.Code, text string) {
	if text == "" {
		text = s.texts.greeting
	} else {
		first, _, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, s.cfg.Hostname) {
			s.out = appendHostLines(s.out, code, s.cfg.Hostname, text)
			s.since = s.now
			return
		}
	}
	// The greeting carries no enhanced status code (RFC 2034 section 3).
	s.out = wire.AppendReply(s.out, reply.Reply{Code: code, Text: text}, false)
	s.since = s.now
}

// appendHostLines writes "code-host first" and the rest of text's lines.
func appendHostLines(dst []byte, code reply.Code, host, text string) []byte {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		dst = code.Append(dst)
		if i < len(lines)-1 {
			dst = append(dst, '-')
		} else {
			dst = append(dst, ' ')
		}
		if i == 0 {
			dst = append(dst, host...)
			if l != "" {
				dst = append(dst, ' ')
			}
		}
		dst = appendText(dst, l)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// appendText appends the printable part of l (RFC 5321 textstring).
func appendText(dst []byte, l string) []byte {
	for i := 0; i < len(l); i++ {
		if c := l[i]; c == '\t' || c >= ' ' && c != 0x7f {
			dst = append(dst, c)
		}
	}
	return dst
}

// writeChallenge writes "334 " and data in base64 (RFC 4954 section 4).
func (s *Server) writeChallenge(data []byte) {
	s.out = append(s.out, "334 "...)
	s.out = base64.StdEncoding.AppendEncode(s.out, data)
	s.out = append(s.out, '\r', '\n')
	s.since = s.now
}

// writeChunkOK writes the 250 reply to a BDAT chunk without LAST.
func (s *Server) writeChunkOK(n uint64) {
	if s.tap != nil {
		s.tap.wrote(reply.CodeOK)
	}
	s.out = append(s.out, "250 "...)
	if s.enhanced {
		s.out = append(s.out, "2.0.0 "...)
	}
	s.out = strconv.AppendUint(s.out, n, 10)
	s.out = append(s.out, " octets received\r\n"...)
	s.since = s.now
}

// offered lists the extensions the EHLO reply names now: the configured
// ones, STARTTLS only before TLS, REQUIRETLS only under it, AUTH only with a
// mechanism to offer.
func (s *Server) offered() wire.ExtSet {
	e := s.cfg.Extensions
	if s.tls {
		e = e.Without(wire.ExtSTARTTLS)
	} else {
		e = e.Without(wire.ExtREQUIRETLS) // RFC 8689 section 4
	}
	if !s.hasMechanism() {
		e = e.Without(wire.ExtAUTH)
	}
	return e
}

// mechAllowed reports whether mechanism m may be used now: cleartext
// mechanisms need TLS unless AllowInsecureAuth (RFC 4954 section 4).
func (s *Server) mechAllowed(m string) bool {
	return s.tls || s.cfg.AllowInsecureAuth || !auth.Cleartext(m)
}

func (s *Server) hasMechanism() bool {
	for _, m := range s.mechs {
		if s.mechAllowed(m) {
			return true
		}
	}
	return false
}

// mechanismOffered returns the offered mechanism named name, ignoring case.
func (s *Server) mechanismOffered(name []byte) (string, bool) {
	for _, m := range s.mechs {
		if s.mechAllowed(m) && asciiEqualFold(name, m) {
			return m, true
		}
	}
	return "", false
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// writeEhlo writes the 250 reply to EHLO or LHLO: the server's name and
// greeting text, then one line per extension (RFC 5321 section 4.1.1.1).
// It has no enhanced status code (RFC 2034 section 3).
func (s *Server) writeEhlo(text string, exts wire.ExtSet) {
	o := append(s.out, "250"...)
	sep := byte(' ')
	if exts != 0 || len(s.cfg.Keywords) > 0 {
		sep = '-'
	}
	o = append(append(o, sep), s.cfg.Hostname...)
	if text != "" {
		first, _, _ := strings.Cut(text, "\n")
		o = appendText(append(o, ' '), first)
	}
	o = append(o, '\r', '\n')
	all := wire.Exts()
	last := wire.ExtUnknown
	for _, e := range all {
		if exts.Has(e) {
			last = e
		}
	}
	for _, e := range all {
		if !exts.Has(e) {
			continue
		}
		o = append(o, "250"...)
		if e == last && len(s.cfg.Keywords) == 0 {
			o = append(o, ' ')
		} else {
			o = append(o, '-')
		}
		o = s.appendKeyword(o, e)
		o = append(o, '\r', '\n')
	}
	for i, k := range s.cfg.Keywords {
		o = append(o, "250"...)
		if i == len(s.cfg.Keywords)-1 {
			o = append(o, ' ')
		} else {
			o = append(o, '-')
		}
		o = append(append(o, k...), '\r', '\n')
	}
	s.out = o
	s.since = s.now
}

// appendKeyword writes the EHLO line of extension e with its parameters.
func (s *Server) appendKeyword(o []byte, e wire.Ext) []byte {
	o = append(o, e.String()...)
	switch e {
	case wire.ExtSIZE:
		// RFC 1870 section 4: the fixed maximum, or no parameter.
		if s.cfg.MaxMessageSize > 0 {
			o = strconv.AppendInt(append(o, ' '), s.cfg.MaxMessageSize, 10)
		}
	case wire.ExtAUTH:
		for _, m := range s.mechs {
			if s.mechAllowed(m) {
				o = append(append(o, ' '), m...)
			}
		}
	case wire.ExtLIMITS:
		// RFC 9422 section 3: limit-name=value pairs.
		l := s.cfg.Limits
		o = appendLimit(o, "MAILMAX", l.MailMax)
		o = appendLimit(o, "RCPTMAX", l.RcptMax)
		o = appendLimit(o, "RCPTDOMAINMAX", l.RcptDomainMax)
	case wire.ExtMTPRIORITY:
		if s.cfg.MTPriority != "" {
			o = append(append(o, ' '), s.cfg.MTPriority...)
		}
	case wire.ExtDELIVERBY:
		if s.cfg.DeliverByMin > 0 {
			o = strconv.AppendInt(append(o, ' '), int64(s.cfg.DeliverByMin.Seconds()), 10)
		}
	case wire.ExtFUTURERELEASE:
		// RFC 4865 section 3: max-future-release-interval and
		// max-future-release-date-time.
		o = strconv.AppendInt(append(o, ' '), int64(s.cfg.FutureReleaseMax.Seconds()), 10)
		o = s.now.UTC().Add(s.cfg.FutureReleaseMax).AppendFormat(append(o, ' '), "2006-01-02T15:04:05Z")
	case wire.ExtXCLIENT:
		o = append(o, " NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT"...)
	case wire.ExtXFORWARD:
		o = append(o, " NAME ADDR PORT PROTO HELO IDENT SOURCE"...)
	}
	return o
}

func appendLimit(o []byte, name string, v int) []byte {
	if v <= 0 {
		return o
	}
	o = append(append(append(o, ' '), name...), '=')
	return strconv.AppendInt(o, int64(v), 10)
}

// helpReply is the default reply to HELP: the commands the session serves.
func (s *Server) helpReply() reply.Reply {
	return reply.Reply{Code: reply.CodeHelp, Text: s.texts.help}
}
