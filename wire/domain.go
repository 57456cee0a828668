package wire

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// This file holds the host half of the address grammar: Domain, sub-domain
// and address-literal (RFC 5321 sections 4.1.2 and 4.1.3, with the RFC 6531
// section 3.3 U-label extension), and the octet class table shared with the
// path parser in path.go.

// Rule citations used in errors.
const (
	ruleArgs      = "RFC 5321 4.1.2"
	ruleLiteral   = "RFC 5321 4.1.3"
	ruleLabelLen  = "RFC 1035 2.3.4"
	ruleLocalLen  = "RFC 5321 4.5.3.1.1"
	ruleDomainLen = "RFC 5321 4.5.3.1.2"
	rulePathLen   = "RFC 5321 4.5.3.1.3"
	ruleUTF8      = "RFC 6531 3.3"
)

// Octet classes of the address grammar, as bits of addrClass.
const (
	addrAtext  = 1 << iota // atext, RFC 5322 3.2.3 (ASCII part)
	addrLetDig             // Let-dig = ALPHA / DIGIT
	addrLDH                // ALPHA / DIGIT / "-" (Ldh-str octets)
	addrQtext              // qtextSMTP = %d32-33 / %d35-91 / %d93-126
	addrQpair              // second octet of quoted-pairSMTP = %d32-126
	addrDcon               // dcontent = %d33-90 / %d94-126
	addrHex                // HEXDIG
	addrStop               // octets that end a Domain inside a path: ">" "," ":" SP
)

// addrClass maps every octet to its addr* class bits; octets 0x80-0xFF have
// none (UTF-8 is handled by the callers).
var addrClass = func() (t [256]uint8) {
	for c := 0; c < 128; c++ {
		alpha := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		digit := c >= '0' && c <= '9'
		if alpha || digit {
			t[c] |= addrAtext | addrLetDig | addrLDH
		}
		if digit || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' {
			t[c] |= addrHex
		}
		if c >= 32 && c <= 126 {
			t[c] |= addrQpair
			if c != '"' && c != '\\' {
				t[c] |= addrQtext
			}
		}
		if c >= 33 && c <= 126 && c != '[' && c != '\\' && c != ']' {
			t[c] |= addrDcon
		}
	}
	for _, c := range []byte("!#$%&'*+-/=?^_`{|}~") {
		t[c] |= addrAtext
	}
	t['-'] |= addrLDH
	for _, c := range []byte(">,: ") {
		t[c] |= addrStop
	}
	return t
}()

// LiteralKind says which form of address literal a host is (RFC 5321 section
// 4.1.3). The zero value LiteralNone means a domain name.
type LiteralKind uint8

// Address literal forms.
const (
	LiteralNone    LiteralKind = iota // a Domain, not a literal
	LiteralIPv4                       // [192.0.2.1]
	LiteralIPv6                       // [IPv6:2001:db8::1]
	LiteralGeneral                    // [tag:content], General-address-literal
)

var literalKindNames = [...]string{
	LiteralNone:    "none",
	LiteralIPv4:    "IPv4",
	LiteralIPv6:    "IPv6",
	LiteralGeneral: "general",
}

// String returns "none", "IPv4", "IPv6" or "general".
func (k LiteralKind) String() string {
	if int(k) < len(literalKindNames) {
		return literalKindNames[k]
	}
	return "LiteralKind(" + strconv.Itoa(int(k)) + ")"
}

// CheckDomain reports whether b is a Domain (RFC 5321 section 4.1.2):
// dot-separated labels of letters, digits and hyphens, each starting and
// ending with a letter or digit. When utf8 is true, labels may also hold
// UTF-8 encoded non-ASCII characters (U-labels, RFC 6531 section 3.3); the
// octets must be valid UTF-8, but IDNA2008 rules beyond that are the
// caller's business. ASCII labels are at most 63 octets (RFC 1035 section
// 2.3.4) and the domain at most 255 (RFC 5321 section 4.5.3.1.2).
//
// Underscores and other invalid characters are errors; RFC 5321 section
// 4.1.2 makes the reply 501, which is the default reply of the returned
// *SyntaxError. Offsets count from the start of b. b is only read and the
// function does not allocate unless it fails; like every Check function
// here it is safe for concurrent use.
func CheckDomain(b []byte, utf8 bool) error {
	end, _, err := domScan(b, 0, utf8)
	if err != nil {
		return err
	}
	if end < len(b) {
		return domBadOctet(b, end, utf8)
	}
	return nil
}

// CheckAddressLiteral validates b, an address literal with its brackets,
// and returns its form (RFC 5321 section 4.1.3): an IPv4 address of four
// decimal Snum 0-255; "IPv6:" (case-insensitive) and an IPv6 address in any
// of the IPv6-full, IPv6-comp, IPv6v4-full or IPv6v4-comp forms; or a
// General-address-literal, an Ldh-str tag, ":" and at least one dcontent
// octet. Non-ASCII octets are refused with ErrUTF8NotAllowed, as for any
// address element without SMTPUTF8. b is only read.
func CheckAddressLiteral(b []byte) (LiteralKind, error) {
	k, err := litCheck(b, 0, len(b), false)
	if err != nil {
		return LiteralNone, err
	}
	return k, nil
}

// CheckHost validates an EHLO or HELO argument, a Domain or an
// address-literal (RFC 5321 section 4.1.1.1), and returns LiteralNone for a
// domain or the literal's form. utf8 allows U-labels as in CheckDomain; no
// form of address literal admits non-ASCII, and a non-ASCII octet in one is
// ErrUTF8NotAllowed without utf8 and ErrSyntax with it. b is only read.
func CheckHost(b []byte, utf8 bool) (LiteralKind, error) {
	k, err := hostCheck(b, utf8)
	if err != nil {
		return LiteralNone, err
	}
	return k, nil
}

// hostCheck is CheckHost with a concrete error type.
func hostCheck(b []byte, utf8ok bool) (LiteralKind, *SyntaxError) {
	if len(b) > 0 && b[0] == '[' {
		k, err := litCheck(b, 0, len(b), utf8ok)
		if err != nil {
			return LiteralNone, err
		}
		return k, nil
	}
	end, _, err := domScan(b, 0, utf8ok)
	if err != nil {
		return LiteralNone, err
	}
	if end < len(b) {
		return LiteralNone, domBadOctet(b, end, utf8ok)
	}
	return LiteralNone, nil
}

// domScan scans a Domain that starts at b[i] and returns where it ends: at
// the end of b or at the first ">", ",", ":" or SP, which the caller judges.
// Any other octet that cannot be in a domain is an error here. It also
// reports whether the domain holds non-ASCII octets.
func domScan(b []byte, i int, utf8ok bool) (end int, nonASCII bool, err *SyntaxError) {
	start, label, ascii := i, i, true
	for i < len(b) {
		c := b[i]
		cl := addrClass[c]
		switch {
		case cl&addrLDH != 0:
			if c == '-' && i == label {
				// sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2).
				return i, nonASCII, errAt("sub-domain", i, ruleArgs, "label starts with a hyphen", ErrSyntax)
			}
			i++
		case c == '.':
			if i == label {
				return i, nonASCII, domEmptyLabel(i, start)
			}
			if err := domLabelEnd(b, label, i, ascii); err != nil {
				return i, nonASCII, err
			}
			i++
			label, ascii = i, true
		case c >= 0x80:
			// sub-domain =/ U-label (RFC 6531 3.3).
			if !utf8ok {
				return i, nonASCII, errAt("sub-domain", i, ruleArgs, "non-ASCII octet in domain without SMTPUTF8", ErrUTF8NotAllowed)
			}
			size := utf8Size(b, i)
			if size == 0 {
				return i, nonASCII, errAt("sub-domain", i, ruleUTF8, "invalid UTF-8 in domain", ErrInvalidUTF8)
			}
			i += size
			nonASCII, ascii = true, false
		case cl&addrStop != 0:
			return domEnd(b, start, label, i, ascii, nonASCII)
		default:
			return i, nonASCII, domBadOctet(b, i, utf8ok)
		}
	}
	return domEnd(b, start, label, i, ascii, nonASCII)
}

// domEnd checks the last label and the length of a domain b[start:i].
func domEnd(b []byte, start, label, i int, ascii, nonASCII bool) (int, bool, *SyntaxError) {
	if i == start {
		return i, nonASCII, errAt("domain", i, ruleArgs, "empty domain", ErrSyntax)
	}
	if i == label {
		return i, nonASCII, errAt("sub-domain", i-1, ruleArgs, "domain ends with a dot", ErrSyntax)
	}
	if err := domLabelEnd(b, label, i, ascii); err != nil {
		return i, nonASCII, err
	}
	if i-start > MaxDomain {
		// RFC 5321 4.5.3.1.2: at most 255 octets.
		return i, nonASCII, errAt("domain", start+MaxDomain, ruleDomainLen, "domain longer than 255 octets", ErrTooLong)
	}
	return i, nonASCII, nil
}

// domLabelEnd checks the non-empty label b[label:i] at its end.
func domLabelEnd(b []byte, label, i int, ascii bool) *SyntaxError {
	if b[i-1] == '-' {
		// Ldh-str ends with Let-dig (RFC 5321 4.1.2).
		return errAt("sub-domain", i-1, ruleArgs, "label ends with a hyphen", ErrSyntax)
	}
	if ascii && i-label > 63 {
		return errAt("sub-domain", label+63, ruleLabelLen, "label longer than 63 octets", ErrTooLong)
	}
	return nil
}

// domEmptyLabel reports a dot at i that starts the domain or follows a dot.
func domEmptyLabel(i, start int) *SyntaxError {
	if i == start {
		return errAt("sub-domain", i, ruleArgs, "domain starts with a dot", ErrSyntax)
	}
	return errAt("sub-domain", i, ruleArgs, "empty label", ErrSyntax)
}

// domBadOctet reports b[i] as an octet that cannot appear in a domain.
func domBadOctet(b []byte, i int, utf8ok bool) *SyntaxError {
	switch c := b[i]; {
	case c == '_':
		// RFC 5321 4.1.2: "the underscore character is not permitted".
		return errAt("sub-domain", i, ruleArgs, "underscore in domain label", ErrSyntax)
	case c >= 0x80 && !utf8ok:
		return errAt("sub-domain", i, ruleArgs, "non-ASCII octet in domain without SMTPUTF8", ErrUTF8NotAllowed)
	}
	return errAt("sub-domain", i, ruleArgs, "invalid character in domain", ErrSyntax)
}

// litBadOctet reports b[i] as an octet that cannot appear in an address
// literal element: non-ASCII is ErrUTF8NotAllowed unless utf8ok, when it is
// simply a syntax error (RFC 6531 extends no literal form).
func litBadOctet(elem string, b []byte, i int, utf8ok bool) *SyntaxError {
	if i >= len(b) {
		return errAt(elem, i, ruleLiteral, "unexpected end of literal", ErrSyntax)
	}
	if b[i] >= 0x80 && !utf8ok {
		return errAt(elem, i, ruleArgs, "non-ASCII octet in address literal without SMTPUTF8", ErrUTF8NotAllowed)
	}
	return errAt(elem, i, ruleLiteral, "invalid character", ErrSyntax)
}

// litCheck validates the address literal b[i:end] ("[" ... "]", nothing
// after the "]"); offsets in errors are offsets in b.
func litCheck(b []byte, i, end int, utf8ok bool) (LiteralKind, *SyntaxError) {
	if i >= end || b[i] != '[' {
		return LiteralNone, errAt("address-literal", i, ruleLiteral, `missing "["`, ErrSyntax)
	}
	j := bytes.IndexByte(b[i+1:end], ']')
	if j < 0 {
		return LiteralNone, errAt("address-literal", end, ruleLiteral, `missing "]"`, ErrSyntax)
	}
	rb := i + 1 + j
	if rb+1 != end {
		return LiteralNone, errAt("address-literal", rb+1, ruleLiteral, `data after "]"`, ErrSyntax)
	}
	if end-i > MaxDomain {
		// RFC 5321 4.5.3.1.2: "domain name or number", 255 octets.
		return LiteralNone, errAt("address-literal", i+MaxDomain, ruleDomainLen, "address literal longer than 255 octets", ErrTooLong)
	}
	s := i + 1
	colon := bytes.IndexByte(b[s:rb], ':')
	if colon < 0 {
		return LiteralIPv4, litIPv4(b, s, rb, utf8ok)
	}
	tagEnd := s + colon
	// Standardized-tag = Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig.
	for k := s; k < tagEnd; k++ {
		if addrClass[b[k]]&addrLDH == 0 {
			return LiteralNone, litBadOctet("address-literal", b, k, utf8ok)
		}
	}
	if tagEnd == s || b[tagEnd-1] == '-' {
		return LiteralNone, errAt("address-literal", tagEnd, ruleLiteral, "tag must be an Ldh-str", ErrSyntax)
	}
	if tagEnd-s == 4 && b[s]|0x20 == 'i' && b[s+1]|0x20 == 'p' && b[s+2]|0x20 == 'v' && b[s+3] == '6' {
		return LiteralIPv6, litIPv6(b, tagEnd+1, rb, utf8ok)
	}
	// General-address-literal = Standardized-tag ":" 1*dcontent.
	if tagEnd+1 == rb {
		return LiteralNone, errAt("General-address-literal", rb, ruleLiteral, "empty address after the tag", ErrSyntax)
	}
	for k := tagEnd + 1; k < rb; k++ {
		if addrClass[b[k]]&addrDcon == 0 {
			return LiteralNone, litBadOctet("General-address-literal", b, k, utf8ok)
		}
	}
	return LiteralGeneral, nil
}

// litIPv4 validates b[i:end] as Snum 3("." Snum), each Snum 1*3DIGIT with a
// value of at most 255.
func litIPv4(b []byte, i, end int, utf8ok bool) *SyntaxError {
	const elem = "IPv4-address-literal"
	for part := 0; ; part++ {
		s, v := i, 0
		for i < end && b[i]-'0' < 10 {
			if i-s == 3 {
				return errAt(elem, i, ruleLiteral, "more than three digits in a number", ErrSyntax)
			}
			v = v*10 + int(b[i]-'0')
			i++
		}
		if i == s {
			if i == end {
				return errAt(elem, i, ruleLiteral, "missing number", ErrSyntax)
			}
			return litBadOctet(elem, b, i, utf8ok)
		}
		if v > 255 {
			return errAt(elem, s, ruleLiteral, "number greater than 255", ErrSyntax)
		}
		if part == 3 {
			if i == end {
				return nil
			}
			if b[i] == '.' {
				return errAt(elem, i, ruleLiteral, "more than four numbers", ErrSyntax)
			}
			return litBadOctet(elem, b, i, utf8ok)
		}
		if i == end {
			return errAt(elem, i, ruleLiteral, "fewer than four numbers", ErrSyntax)
		}
		if b[i] != '.' {
			return litBadOctet(elem, b, i, utf8ok)
		}
		i++
	}
}

// litIPv6 validates b[i:end] as IPv6-addr: IPv6-full, IPv6-comp, IPv6v4-full
// or IPv6v4-comp (RFC 5321 section 4.1.3). Unlike RFC 4291, "::" stands for
// at least two groups, so at most 6 groups (4 before an IPv4 part) may
// appear beside it.
func litIPv6(b []byte, i, end int, utf8ok bool) *SyntaxError {
	const elem = "IPv6-addr"
	groups, comp := 0, false
	if i+1 < end && b[i] == ':' && b[i+1] == ':' {
		comp = true
		i += 2
	} else if i < end && b[i] == ':' {
		return errAt(elem, i, ruleLiteral, `address starts with a single ":"`, ErrSyntax)
	}
	for i < end {
		s := i
		for i < end && addrClass[b[i]]&addrHex != 0 {
			if i-s == 4 {
				return errAt(elem, i, ruleLiteral, "more than four hex digits in a group", ErrSyntax)
			}
			i++
		}
		if i < end && b[i] == '.' {
			// The IPv4 part of IPv6v4-full or IPv6v4-comp; it ends the address.
			if comp && groups > 4 || !comp && groups != 6 {
				return errAt(elem, s, ruleLiteral, "wrong number of groups before an IPv4 part", ErrSyntax)
			}
			return litIPv4(b, s, end, utf8ok)
		}
		if i == s {
			return litBadOctet(elem, b, i, utf8ok)
		}
		groups++
		if groups > 8 || comp && groups > 6 {
			return errAt(elem, s, ruleLiteral, "too many groups", ErrSyntax)
		}
		if i == end {
			break
		}
		if b[i] != ':' {
			return litBadOctet(elem, b, i, utf8ok)
		}
		if i+1 < end && b[i+1] == ':' {
			if comp {
				return errAt(elem, i, ruleLiteral, `more than one "::"`, ErrSyntax)
			}
			if groups > 6 {
				return errAt(elem, i, ruleLiteral, `"::" with more than six groups`, ErrSyntax)
			}
			comp = true
			i += 2
			continue
		}
		i++
		if i == end {
			return errAt(elem, i, ruleLiteral, `address ends with a single ":"`, ErrSyntax)
		}
	}
	if !comp && groups != 8 {
		return errAt(elem, end, ruleLiteral, "fewer than eight groups", ErrSyntax)
	}
	return nil
}

// utf8Size returns the length of the valid UTF-8 sequence at b[i], or 0 when
// the octets there are not valid UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
func utf8Size(b []byte, i int) int {
	r, size := utf8.DecodeRune(b[i:])
	if r == utf8.RuneError && size <= 1 {
		return 0
	}
	return size
}
