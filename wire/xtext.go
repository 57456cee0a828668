package wire

import "unicode/utf8"

// This file holds two encodings of ESMTP parameter values:
//
//   - xtext (RFC 3461 section 4, restated in RFC 4954 section 8), used by
//     ENVID, ORCPT (addr-type rfc822), AUTH and SUBMITTER:
//     xtext = *( xchar / hexchar ), xchar = %x21-2A / %x2C-3C / %x3E-7E,
//     hexchar = "+" followed by two upper-case hexadecimal digits.
//   - the "utf-8" address type of RFC 6533 section 3, used by ORCPT:
//     utf-8-addr-xtext = 1*(QCHAR / EmbeddedUnicodeChar) and
//     utf-8-addr-unitext = 1*(QUCHAR / EmbeddedUnicodeChar), where
//     EmbeddedUnicodeChar is "\x{" HEXPOINT "}".
//
// Every function appends to a caller's buffer and returns it, so a reused
// buffer makes them allocation-free. They never retain their arguments.

const hexUpper = "0123456789ABCDEF"

// isXchar reports whether c may stand for itself in xtext (RFC 3461 4).
func isXchar(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '+' && c != '=' }

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// AppendXtext appends raw encoded as xtext to dst: octets %x21-7E other than
// "+" and "=" stand for themselves, every other octet becomes "+XX" with
// upper-case hex digits (RFC 3461 section 4). Any octet string can be
// encoded; an empty raw appends nothing.
func AppendXtext(dst, raw []byte) []byte {
	for _, c := range raw {
		if isXchar(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '+', hexUpper[c>>4], hexUpper[c&0xf])
		}
	}
	return dst
}

// checkXtext returns the offset of the first octet of enc that breaks the
// xtext grammar and why, or -1. A "+" must be followed by two upper-case
// hexadecimal digits: RFC 3461 section 4 says so in words ("two upper case
// hexadecimal digits").
func checkXtext(enc []byte) (int, string) {
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c == '+' {
			if i+2 >= len(enc) || !isUpperHex(enc[i+1]) || !isUpperHex(enc[i+2]) {
				return i, `"+" must be followed by two upper-case hex digits`
			}
			i += 2
			continue
		}
		if !isXchar(c) {
			return i, "octet not allowed in xtext"
		}
	}
	return -1, ""
}

// IsXtext reports whether b is well-formed xtext (RFC 3461 section 4). The
// empty string is xtext.
func IsXtext(b []byte) bool {
	bad, _ := checkXtext(b)
	return bad < 0
}

// DecodeXtext appends the octets that enc encodes to dst. It is strict: a
// "+" must be followed by two upper-case hex digits and every other octet
// must be an xchar (RFC 3461 section 4). On error it returns dst unchanged
// and a *SyntaxError (wrapping ErrSyntax) whose offset counts from the start
// of enc.
func DecodeXtext(dst, enc []byte) ([]byte, error) {
	if bad, reason := checkXtext(enc); bad >= 0 {
		return dst, errAt("xtext", bad, "RFC 3461 4", reason, ErrSyntax)
	}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c == '+' {
			c = byte(hexVal(enc[i+1])<<4 | hexVal(enc[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// xtextAt returns the octet that valid xtext encodes at i, and where the
// next one starts.
func xtextAt(enc []byte, i int) (byte, int) {
	if enc[i] == '+' {
		return byte(hexVal(enc[i+1])<<4 | hexVal(enc[i+2])), i + 3
	}
	return enc[i], i + 1
}

// isQchar reports whether c stands for itself in the RFC 6533 forms: ASCII
// printable characters except SP, "\", "+" and "=" (RFC 6533 section 3,
// QCHAR = %x21-2a / %x2c-3c / %x3e-5b / %x5d-7e).
func isQchar(c byte) bool { return isXchar(c) && c != '\\' }

// isASCIISpecial reports whether c is one of the ASCII characters that
// HEXPOINT may encode: the 2-digit forms 01-09, 10-19, 20, 2B, 3D, 5C and 7F
// (RFC 6533 section 3). Other controls, NUL among them, cannot be written
// in either form.
func isASCIISpecial(c byte) bool {
	return c >= 0x01 && c <= 0x09 || c >= 0x10 && c <= 0x19 || c == ' ' || c == '+' || c == '=' || c == '\\' || c == 0x7f
}

// appendUTF8Addr encodes addr in the utf-8-addr-xtext form (raw false) or
// the utf-8-addr-unitext form (raw true) of RFC 6533 section 3.
func appendUTF8Addr(dst, addr []byte, raw bool) ([]byte, error) {
	if len(addr) == 0 {
		return dst, errAt("utf-8-enc-addr", 0, "RFC 6533 3", "empty address", ErrBadParamValue)
	}
	if err := checkForbidden("utf-8-enc-addr", addr); err != nil {
		return dst, err
	}
	n := len(dst)
	for i := 0; i < len(addr); {
		c := addr[i]
		switch {
		case isQchar(c):
			dst = append(dst, c)
			i++
		case c < 0x80:
			if !isASCIISpecial(c) {
				return dst[:n], errAt("utf-8-enc-addr", i, "RFC 6533 3", "control character that HEXPOINT cannot encode", ErrBadParamValue)
			}
			dst = appendEmbedded(dst, rune(c))
			i++
		default:
			r, size := utf8.DecodeRune(addr[i:])
			if r == utf8.RuneError && size <= 1 {
				return dst[:n], errAt("utf-8-enc-addr", i, "RFC 6533 3", "invalid UTF-8", ErrInvalidUTF8)
			}
			if raw {
				dst = append(dst, addr[i:i+size]...) // QUCHAR
			} else {
				dst = appendEmbedded(dst, r)
			}
			i += size
		}
	}
	return dst, nil
}

// appendEmbedded appends "\x{HEX}" with the shortest upper-case HEXPOINT for
// r (two digits at least), as RFC 6533 section 3 requires.
func appendEmbedded(dst []byte, r rune) []byte {
	dst = append(dst, '\\', 'x', '{')
	digits := 2
	for v := uint32(r) >> 8; v != 0; v >>= 4 {
		digits++
	}
	for s := (digits - 1) * 4; s >= 0; s -= 4 {
		dst = append(dst, hexUpper[(uint32(r)>>uint(s))&0xf])
	}
	return append(dst, '}')
}

// AppendUTF8AddrXtext appends addr, a UTF-8 mailbox, in the 7-bit
// utf-8-addr-xtext form (RFC 6533 section 3): every non-ASCII character and
// the ASCII specials SP, "\", "+", "=", DEL and the encodable controls
// become "\x{HEXPOINT}". It is the form to put in ORCPT=utf-8; when the
// server does not offer SMTPUTF8. CR, LF or NUL give ErrForbiddenByte,
// other controls that HEXPOINT cannot express ErrBadParamValue, invalid
// UTF-8 ErrInvalidUTF8; on error dst is returned unchanged.
func AppendUTF8AddrXtext(dst, addr []byte) ([]byte, error) {
	return appendUTF8Addr(dst, addr, false)
}

// AppendUTF8AddrUnitext appends addr in the utf-8-addr-unitext form (RFC
// 6533 section 3): like AppendUTF8AddrXtext, but non-ASCII characters stay
// raw UTF-8, which is allowed only towards a server that offers SMTPUTF8.
func AppendUTF8AddrUnitext(dst, addr []byte) ([]byte, error) {
	return appendUTF8Addr(dst, addr, true)
}

// scanUTF8Addr walks enc as utf-8-addr-xtext or utf-8-addr-unitext,
// appending the decoded octets to dst when decode is true. It returns the
// offset of the first bad octet, a reason and a sentinel, or -1.
func scanUTF8Addr(dst, enc []byte, decode bool) ([]byte, int, string, error) {
	if len(enc) == 0 {
		return dst, 0, "empty address", ErrBadParamValue
	}
	for i := 0; i < len(enc); {
		c := enc[i]
		switch {
		case isQchar(c):
			if decode {
				dst = append(dst, c)
			}
			i++
		case c == '\\':
			r, n, reason := parseEmbedded(enc[i:])
			if n == 0 {
				return dst, i, reason, ErrBadParamValue
			}
			if decode {
				dst = utf8.AppendRune(dst, r)
			}
			i += n
		case c >= 0x80:
			// QUCHAR: UTF8-2 / UTF8-3 / UTF8-4 (RFC 3629 4).
			r, size := utf8.DecodeRune(enc[i:])
			if r == utf8.RuneError && size <= 1 {
				return dst, i, "invalid UTF-8", ErrInvalidUTF8
			}
			if decode {
				dst = append(dst, enc[i:i+size]...)
			}
			i += size
		default:
			return dst, i, `octet must be written as "\x{HEXPOINT}"`, ErrBadParamValue
		}
	}
	return dst, -1, "", nil
}

// parseEmbedded parses an EmbeddedUnicodeChar at the start of b and returns
// the code point and its length, or a zero length and a reason. HEXPOINT
// must be the shortest form of a code point that needs encoding: 01-09,
// 10-19, 20, 2B, 3D, 5C, 7F, 80-FF, then 3 to 6 digits without a leading
// zero, no surrogates, at most 10FFFF (RFC 6533 section 3). Hex letters may
// be in either case, since ABNF strings are case-insensitive (RFC 5234
// section 2.3); encoders here write upper case.
func parseEmbedded(b []byte) (rune, int, string) {
	if len(b) < 3 || b[1] != 'x' || b[2] != '{' {
		return 0, 0, `"\" must start "\x{HEXPOINT}"`
	}
	i := 3
	var cp uint32
	for i < len(b) && i < 3+7 && hexVal(b[i]) >= 0 {
		cp = cp<<4 | uint32(hexVal(b[i]))
		i++
	}
	digits := i - 3
	if i >= len(b) || b[i] != '}' {
		return 0, 0, `HEXPOINT must be 2 to 6 hex digits followed by "}"`
	}
	switch {
	case digits < 2 || digits > 6:
		return 0, 0, "HEXPOINT must be 2 to 6 hex digits"
	case digits == 2:
		if cp < 0x80 && !isASCIISpecial(byte(cp)) {
			return 0, 0, "HEXPOINT encodes an ASCII character that must be sent as itself or cannot be sent"
		}
	case b[3] == '0':
		return 0, 0, "HEXPOINT has a leading zero"
	case digits == 6 && cp > 0x10ffff:
		return 0, 0, "HEXPOINT beyond U+10FFFF"
	case cp >= 0xd800 && cp <= 0xdfff:
		return 0, 0, "HEXPOINT is a surrogate"
	}
	return rune(cp), i + 1, ""
}

// DecodeUTF8AddrText appends the address that enc encodes to dst. enc may be
// in the utf-8-addr-xtext or the utf-8-addr-unitext form (RFC 6533 section
// 3); raw UTF-8 is accepted, so callers that must insist on the 7-bit form
// check for non-ASCII octets themselves. On error it returns dst unchanged
// and a *SyntaxError whose offset counts from the start of enc.
func DecodeUTF8AddrText(dst, enc []byte) ([]byte, error) {
	n := len(dst)
	out, bad, reason, sentinel := scanUTF8Addr(dst, enc, true)
	if bad >= 0 {
		return dst[:n], errAt("utf-8-enc-addr", bad, "RFC 6533 3", reason, sentinel)
	}
	return out, nil
}

// checkEnvID validates an ENVID value: xtext whose decoded form is printable
// US-ASCII, graphic characters and white space (RFC 3461 section 4.4).
func checkEnvID(v []byte) (int, string) {
	if bad, reason := checkXtext(v); bad >= 0 {
		return bad, reason
	}
	for i := 0; i < len(v); {
		c, next := xtextAt(v, i)
		if c != '\t' && (c < 0x20 || c > 0x7e) {
			return i, "ENVID must decode to printable US-ASCII"
		}
		i = next
	}
	return -1, ""
}

// checkMailboxXtext validates xtext that must decode to a mailbox, or to
// "<>" when allowNull (AUTH, RFC 4954 section 8: "The decoded form of the
// xtext MUST be either a <mailbox> or the two characters "<>""). The mailbox
// check is shallow: an "@" with text on both sides and no control
// character; the full Mailbox grammar is the path parser's business.
func checkMailboxXtext(v []byte, allowNull bool) (int, string) {
	if bad, reason := checkXtext(v); bad >= 0 {
		return bad, reason
	}
	n, at := 0, -1
	var first, second byte
	for i := 0; i < len(v); {
		c, next := xtextAt(v, i)
		if c < 0x20 || c == 0x7f {
			return i, "control character in decoded mailbox"
		}
		switch n {
		case 0:
			first = c
		case 1:
			second = c
		}
		if c == '@' {
			at = n
		}
		n++
		i = next
	}
	if allowNull && n == 2 && first == '<' && second == '>' {
		return -1, ""
	}
	if at <= 0 || at == n-1 {
		if allowNull {
			return 0, `value must decode to a mailbox or "<>"`
		}
		return 0, "value must decode to a mailbox"
	}
	return -1, ""
}
