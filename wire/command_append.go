package wire

import (
	"encoding/base64"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
)

// The serializers below append a whole command line, CRLF included, to dst
// and return the extended slice. They never write CR, LF or NUL inside a
// command (ErrForbiddenByte), so a field taken from untrusted input cannot
// inject a second command; what they write parses back with ParseCommand.
// On error they return dst unchanged. None allocates when dst has room.

// AppendCommand appends c in canonical form: the verb in upper case, one SP,
// and the arguments rebuilt from the parsed fields (a source route is left
// out, RFC 5321 section 4.1.2 and appendix C; parameters are joined by one
// SP). An unknown verb is written as Name and Arg. The result is checked by
// parsing it back (strict grammar, UTF-8 allowed), so AppendCommand refuses
// any Command that ParseCommand would refuse.
func AppendCommand(dst []byte, c Command) ([]byte, error) {
	start := len(dst)
	switch c.Verb {
	case VerbUnknown:
		if len(c.Name) == 0 {
			return dst, errAt("command", 0, "RFC 5321 4.1.1", "no verb", ErrMissingArgument)
		}
		dst = append(dst, c.Name...)
		dst = appendArg(dst, c.Arg)
	case VerbHELO, VerbEHLO, VerbLHLO:
		// The domain is checked itself: the parse in finishCommand trims
		// trailing white space, so "host " would pass there and be written
		// with its space (RFC 5321 4.1.1.1: Domain or address-literal).
		if _, err := CheckHost(c.Domain, false); err != nil {
			return dst[:start], err
		}
		dst = append(dst, c.Verb.String()...)
		dst = appendArg(dst, c.Domain)
	case VerbMAIL, VerbRCPT:
		kind, prefix := ReversePath, " FROM:"
		if c.Verb == VerbRCPT {
			kind, prefix = ForwardPath, " TO:"
		}
		dst = append(dst, c.Verb.String()...)
		dst = append(dst, prefix...)
		var err error
		if dst, err = AppendPath(dst, c.Path.Mailbox, kind, c.Path.UTF8); err != nil {
			return dst[:start], err
		}
		dst = appendParams(dst, c.Params)
	case VerbVRFY, VerbEXPN:
		dst = append(dst, c.Verb.String()...)
		dst = appendArg(dst, c.Arg)
		dst = appendParams(dst, c.Params)
	case VerbBDAT:
		return AppendBdat(dst, c.ChunkSize, c.Last), nil
	case VerbAUTH:
		dst = append(dst, "AUTH"...)
		dst = appendArg(dst, c.Mechanism)
		if c.HasInitialResponse {
			if len(c.InitialResponse) == 0 {
				dst = append(dst, " ="...)
			} else {
				dst = appendArg(dst, c.InitialResponse)
			}
		}
	case VerbETRN:
		dst = append(dst, "ETRN "...)
		if c.NodeOption != 0 {
			dst = append(dst, c.NodeOption)
		}
		dst = append(dst, c.Domain...)
	case VerbATRN:
		dst = append(dst, "ATRN"...)
		dst = appendArg(dst, c.Domain)
	case VerbBURL:
		dst = append(dst, "BURL"...)
		dst = appendArg(dst, c.URL)
		if c.Last {
			dst = append(dst, " LAST"...)
		}
	case VerbXCLIENT, VerbXFORWARD:
		dst = append(dst, c.Verb.String()...)
		dst = appendParams(dst, c.Params)
	default: // no arguments, or an argument kept as text
		dst = append(dst, c.Verb.String()...)
		dst = appendArg(dst, c.Arg)
	}
	return finishCommand(dst, start)
}

// finishCommand checks the line written since start and adds CRLF.
func finishCommand(dst []byte, start int) ([]byte, error) {
	line := dst[start:]
	if indexForbidden(line) >= 0 {
		return dst[:start], errAt("command", 0, "RFC 5321 2.3.8", "CR, LF or NUL in a command field", ErrForbiddenByte)
	}
	if _, err := ParseCommand(line, ParseOptions{UTF8: true}); err != nil {
		return dst[:start], err
	}
	return append(dst, '\r', '\n'), nil
}

// appendArg appends SP and arg when arg is not empty.
func appendArg(dst, arg []byte) []byte {
	if len(arg) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	return append(dst, arg...)
}

// appendParams appends each parameter of p as SP keyword ["=" value].
// Grammar errors in p stop the output; finishCommand's parse reports them.
func appendParams(dst []byte, p Params) []byte {
	it := p.Iter()
	for it.Next() {
		prm := it.Param()
		dst = append(dst, ' ')
		dst = append(dst, prm.Keyword...)
		if prm.HasValue {
			dst = append(dst, '=')
			dst = append(dst, prm.Value...)
		}
	}
	if it.Err() != nil {
		// Keep the bad text so the parse in finishCommand refuses it.
		dst = append(dst, ' ')
		dst = append(dst, p.Text...)
	}
	return dst
}

// AppendHello appends "HELO", "EHLO" or "LHLO", SP and host, which must be a
// Domain or an address literal (RFC 5321 4.1.1.1, RFC 2033 4.1).
func AppendHello(dst []byte, verb Verb, host []byte) ([]byte, error) {
	if verb != VerbHELO && verb != VerbEHLO && verb != VerbLHLO {
		return dst, errAt("command", 0, "RFC 5321 4.1.1.1", "not HELO, EHLO or LHLO", ErrSyntax)
	}
	return AppendCommand(dst, Command{Verb: verb, Domain: host})
}

// AppendMail appends "MAIL FROM:<from>" and the parameters of p (RFC 5321
// 4.1.1.2). An empty from is the null reverse-path "<>". from is a Mailbox in
// RFC 5321 form; UTF-8 is allowed only with p.SMTPUTF8 set (RFC 6531 3.4).
func AppendMail(dst, from []byte, p MailParams) ([]byte, error) {
	start := len(dst)
	dst = append(dst, "MAIL FROM:"...)
	var err error
	if dst, err = AppendPath(dst, from, ReversePath, p.SMTPUTF8); err != nil {
		return dst[:start], err
	}
	if dst, err = AppendMailParams(dst, p); err != nil {
		return dst[:start], err
	}
	return finishCommand(dst, start)
}

// AppendRcpt appends "RCPT TO:<to>" and the parameters of p (RFC 5321
// 4.1.1.3). utf8 says the transaction was opened with SMTPUTF8.
func AppendRcpt(dst, to []byte, p RcptParams, utf8 bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, "RCPT TO:"...)
	var err error
	if dst, err = AppendPath(dst, to, ForwardPath, utf8); err != nil {
		return dst[:start], err
	}
	if dst, err = AppendRcptParams(dst, p); err != nil {
		return dst[:start], err
	}
	return finishCommand(dst, start)
}

// AppendBdat appends "BDAT size" and " LAST" when last is set (RFC 3030
// section 2).
func AppendBdat(dst []byte, size uint64, last bool) []byte {
	dst = append(dst, "BDAT "...)
	dst = strconv.AppendUint(dst, size, 10)
	if last {
		dst = append(dst, " LAST"...)
	}
	return append(dst, '\r', '\n')
}

// AppendVerb appends a command without arguments, such as DATA, RSET,
// QUIT, STARTTLS, NOOP or HELP.
func AppendVerb(dst []byte, verb Verb) ([]byte, error) {
	return AppendVerbArg(dst, verb, nil)
}

// AppendVerbArg appends verb, SP and arg (VRFY, EXPN, HELP, NOOP, ETRN,
// ATRN, BURL). arg is checked by parsing the line back.
func AppendVerbArg(dst []byte, verb Verb, arg []byte) ([]byte, error) {
	if verb == VerbUnknown {
		return dst, errAt("command", 0, "RFC 5321 4.1.1", "unknown verb", ErrSyntax)
	}
	start := len(dst)
	dst = append(dst, verb.String()...)
	dst = appendArg(dst, arg)
	return finishCommand(dst, start)
}

// strictBase64 decodes base64 as RFC 4954 section 4 demands: only the
// alphabet, padding only at the end, no stray bits.
var strictBase64 = base64.StdEncoding.Strict()

// AppendAuth appends "AUTH mech" and, when hasIR is set, the initial
// response ir encoded in base64, or "=" for an empty one (RFC 4954 section
// 4). ir is the raw response octets from the SASL mechanism.
func AppendAuth(dst []byte, mech string, ir []byte, hasIR bool) ([]byte, error) {
	start := len(dst)
	if err := checkMechanism([]byte(mech), len("AUTH ")); err != nil {
		return dst, err
	}
	dst = append(dst, "AUTH "...)
	dst = append(dst, mech...)
	if hasIR {
		if len(ir) == 0 {
			dst = append(dst, " ="...)
		} else {
			dst = append(dst, ' ')
			dst = base64.StdEncoding.AppendEncode(dst, ir)
		}
	}
	return finishCommand(dst, start)
}

// AppendAuthResponse appends one client line of an AUTH exchange: resp in
// base64 and CRLF (RFC 4954 section 4). An empty resp gives an empty line.
func AppendAuthResponse(dst, resp []byte) []byte {
	dst = base64.StdEncoding.AppendEncode(dst, resp)
	return append(dst, '\r', '\n')
}

// AppendAuthCancel appends "*" CRLF, which cancels an AUTH exchange (RFC
// 4954 section 4).
func AppendAuthCancel(dst []byte) []byte {
	return append(dst, '*', '\r', '\n')
}

// ParseAuthResponse parses a client's line in an AUTH exchange (RFC 4954
// section 4): "*" cancels; anything else must be strict base64, possibly
// empty. b64 aliases line; decode it with DecodeBase64. Errors are answered
// with 501 5.5.2 (RFC 4954 section 4).
func ParseAuthResponse(line []byte) (b64 []byte, cancel bool, err error) {
	line = trimRightSpace(line)
	if len(line) == 1 && line[0] == '*' {
		return nil, true, nil
	}
	if i := checkBase64(line); i >= 0 {
		e := errAt("base64", i, "RFC 4954 4", "AUTH response is not base64", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeParamSyntaxError, reply.E(5, 5, 2)
		return nil, false, e
	}
	return line, false, nil
}

// DecodeBase64 appends the decoding of strict base64 b64 to dst (RFC 4954
// section 4 and 8: a client or server that cannot decode MUST fail the
// exchange, so nothing lenient is accepted).
func DecodeBase64(dst, b64 []byte) ([]byte, error) {
	// encoding/base64 skips CR and LF even in Strict mode; checkBase64
	// refuses them, and every other octet outside the alphabet, first.
	if i := checkBase64(b64); i >= 0 && i < len(b64) {
		e := errAt("base64", i, "RFC 4954 4", "not strict base64", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeParamSyntaxError, reply.E(5, 5, 2)
		return dst, e
	}
	out, err := strictBase64.AppendDecode(dst, b64)
	if err != nil {
		off := 0
		if ce, ok := err.(base64.CorruptInputError); ok {
			off = int(ce)
		}
		e := errAt("base64", off, "RFC 4954 4", "not strict base64", ErrSyntax)
		e.Code, e.Enhanced = reply.CodeParamSyntaxError, reply.E(5, 5, 2)
		return dst, e
	}
	return out, nil
}
