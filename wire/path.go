package wire

import (
	"bytes"

	"github.com/smtpkit/smtpkit/reply"
)

// This file holds the path half of the address grammar: Reverse-path,
// Forward-path, Path, A-d-l, Mailbox and Local-part (RFC 5321 section 4.1.2,
// extended for UTF-8 by RFC 6531 section 3.3), and their serializers. The
// host half (Domain, address-literal) is in domain.go.

// Size limits of RFC 5321 section 4.5.3.1, in octets (not characters).
const (
	// MaxLocalPart is the longest local part (RFC 5321 4.5.3.1.1).
	MaxLocalPart = 64
	// MaxDomain is the longest domain or address literal (RFC 5321
	// 4.5.3.1.2).
	MaxDomain = 255
	// MaxPath is the longest reverse- or forward-path, counting the angle
	// brackets and any source route (RFC 5321 4.5.3.1.3).
	MaxPath = 256
)

// PathKind says which command a path belongs to. The zero value is no
// valid kind: ParsePath then accepts neither the null path nor a bare
// <Postmaster>.
type PathKind uint8

// Path kinds.
const (
	// ReversePath is the argument of MAIL FROM; it may be the null path <>
	// (RFC 5321 4.1.1.2).
	ReversePath PathKind = iota + 1
	// ForwardPath is the argument of RCPT TO; it may be <Postmaster>
	// without a domain (RFC 5321 4.1.1.3, 4.5.1).
	ForwardPath
)

var pathKindNames = [...]string{
	0:           "path",
	ReversePath: "reverse-path",
	ForwardPath: "forward-path",
}

// String returns "reverse-path", "forward-path", or "path" for any other
// value; it is the Element of errors about the path as a whole.
func (k PathKind) String() string {
	if int(k) < len(pathKindNames) {
		return pathKindNames[k]
	}
	return "path"
}

// enhanced returns the RFC 3463 code for bad address syntax on this kind of
// path: X.1.7 for the sender, X.1.3 for a recipient.
func (k PathKind) enhanced() reply.Enhanced {
	switch k {
	case ReversePath:
		return reply.E(5, 1, 7)
	case ForwardPath:
		return reply.E(5, 1, 3)
	}
	return reply.E(5, 5, 4)
}

// PathOptions changes what ParsePath accepts.
type PathOptions struct {
	// UTF8 allows UTF-8 in local parts and U-labels in domains (RFC 6531
	// section 3.3), as when the SMTPUTF8 parameter was given. The octets
	// must be valid UTF-8.
	UTF8 bool
	// NoBrackets also accepts a bare mailbox without "<" and ">", which
	// ends at SP or at the end of the input. RFC 5321 does not allow it;
	// it is a leniency for broken clients.
	NoBrackets bool
}

// Path is a parsed reverse- or forward-path. Every slice aliases the input
// given to ParsePath and is valid as long as that buffer is; a Path is a
// plain value, safe to copy.
type Path struct {
	// Raw is the path as received, from "<" to ">" inclusive, or the bare
	// mailbox under PathOptions.NoBrackets.
	Raw []byte
	// Mailbox is "local@domain" without brackets or source route,
	// "Postmaster" for <Postmaster>, and empty for <>.
	Mailbox []byte
	// Local is the local part as received; a quoted string keeps its
	// quotes and backslashes (see AppendLocal).
	Local []byte
	// Domain is the domain or the address literal with its brackets; empty
	// for <> and <Postmaster>.
	Domain []byte
	// Null reports the null reverse-path <>.
	Null bool
	// Postmaster reports <Postmaster> without a domain (forward-path only).
	Postmaster bool
	// Quoted reports a local part in Quoted-string form.
	Quoted bool
	// SourceRoute reports that an A-d-l was present. It was accepted and
	// dropped from Mailbox, as RFC 5321 section 4.1.2 and appendix C ask.
	SourceRoute bool
	// Literal is the form of an address-literal domain, or LiteralNone.
	Literal LiteralKind
	// UTF8 reports that some octet of the path is non-ASCII.
	UTF8 bool
}

// ParsePath parses the reverse- or forward-path at the start of b and
// returns it with the number of octets it used: b[n:] is whatever follows,
// such as " SIZE=10", and checking it is the caller's business. On error n
// is 0.
//
// The path must be "<" [A-d-l ":"] Mailbox ">" (RFC 5321 section 4.1.2),
// "<>" for a ReversePath, or "<Postmaster>" (any case) for a ForwardPath.
// Limits are enforced in octets: local part 64, domain 255, path 256
// including the brackets (RFC 5321 4.5.3.1.1-3; a bare mailbox counts as if
// bracketed).
//
// Every error is a *SyntaxError naming the grammar element and the offset in
// b of the first bad octet. Non-ASCII octets without opts.UTF8 wrap
// ErrUTF8NotAllowed and reply 550 5.6.7 for a reverse-path and 553 5.6.7 for
// a forward-path (RFC 6531 section 3.5). Other errors wrap
// ErrSyntax, ErrTooLong or ErrInvalidUTF8 and carry the reply 501 (RFC 5321
// 4.1.2 for bad characters, 4.5.3.1.9 "501 Path too long") with 5.1.7 for a
// reverse-path or 5.1.3 for a forward-path (RFC 3463 section 3.2, bad
// sender's or destination mailbox address syntax).
//
// ParsePath does not allocate unless it fails; b is only read, so calls
// may run concurrently on the same buffer.
func ParsePath(b []byte, kind PathKind, opts PathOptions) (Path, int, error) {
	var p Path
	n, err := pathParse(&p, b, kind, opts)
	if err != nil {
		switch {
		case err.Err != ErrUTF8NotAllowed:
			err.Code = reply.CodeParamSyntaxError
			err.Enhanced = kind.enhanced()
		case kind == ReversePath:
			// RFC 6531 3.5: MAIL refused for a non-ASCII address is 550
			// (RCPT keeps the sentinel's 553), both with X.6.7.
			err.Code, err.Enhanced = reply.CodeMailboxUnavailable, reply.E(5, 6, 7)
		}
		return Path{}, 0, err
	}
	return p, n, nil
}

// pathParse is ParsePath without the reply codes; it fills *p, which is
// garbage on error.
func pathParse(p *Path, b []byte, kind PathKind, opts PathOptions) (n int, err *SyntaxError) {
	elem := kind.String()
	bare := len(b) == 0 || b[0] != '<'
	i := 0
	if bare {
		if !opts.NoBrackets {
			return 0, errAt(elem, 0, ruleArgs, `missing "<"`, ErrSyntax)
		}
		if len(b) == 0 || b[0] == ' ' {
			return 0, errAt(elem, 0, ruleArgs, "missing path", ErrSyntax)
		}
	} else {
		i = 1
		if len(b) > 1 && b[1] == '>' {
			// Reverse-path = Path / "<>" (RFC 5321 4.1.2).
			if kind != ReversePath {
				return 0, errAt(elem, 1, "RFC 5321 4.1.1.3", "the null path <> is only a reverse-path", ErrSyntax)
			}
			p.Raw, p.Null = b[:2], true
			return 2, nil
		}
	}
	if i < len(b) && b[i] == '@' {
		// A-d-l: MUST be accepted and SHOULD be ignored (RFC 5321 4.1.2).
		i, p.UTF8, err = pathADL(b, i, opts.UTF8, bare)
		if err != nil {
			return 0, err
		}
		p.SourceRoute = true
	}

	local := i
	var nonASCII bool
	if i < len(b) && b[i] == '"' {
		i, nonASCII, err = pathQuoted(b, i, opts.UTF8)
		p.Quoted = true
	} else {
		i, nonASCII, err = pathDotString(b, i, opts.UTF8)
	}
	if err != nil {
		return 0, err
	}
	p.UTF8 = p.UTF8 || nonASCII
	at := i < len(b) && b[i] == '@'
	if !at && !pathAtEnd(b, i, bare) {
		return 0, pathLocalBadOctet(b, i, opts.UTF8)
	}
	if i == local {
		return 0, errAt("local-part", i, ruleArgs, "empty local-part", ErrSyntax)
	}
	if !at {
		if p.Quoted || p.SourceRoute || !pathIsPostmaster(b[local:i]) {
			return 0, errAt("Mailbox", i, ruleArgs, `missing "@" and domain`, ErrSyntax)
		}
		// "<Postmaster>" without a domain (RFC 5321 4.1.1.3, 4.5.1).
		if kind != ForwardPath {
			return 0, errAt(elem, i, "RFC 5321 4.1.1.3", "<Postmaster> without a domain is only a forward-path", ErrSyntax)
		}
		p.Postmaster = true
		p.Local, p.Mailbox = b[local:i], b[local:i]
		return pathFinish(p, b, i, bare, elem)
	}
	if i-local > MaxLocalPart {
		// RFC 5321 4.5.3.1.1: at most 64 octets.
		return 0, errAt("local-part", local+MaxLocalPart, ruleLocalLen, "local-part longer than 64 octets", ErrTooLong)
	}
	p.Local = b[local:i]

	i++ // "@"
	dom := i
	if i < len(b) && b[i] == '[' {
		j := bytes.IndexByte(b[i:], ']')
		if j < 0 {
			return 0, errAt("address-literal", len(b), ruleLiteral, `missing "]"`, ErrSyntax)
		}
		i += j + 1
		p.Literal, err = litCheck(b, dom, i, opts.UTF8)
	} else {
		i, nonASCII, err = domScan(b, i, opts.UTF8)
		p.UTF8 = p.UTF8 || nonASCII
	}
	if err != nil {
		return 0, err
	}
	p.Domain, p.Mailbox = b[dom:i], b[local:i]
	return pathFinish(p, b, i, bare, elem)
}

// pathFinish checks the end of the mailbox at b[i] and the path length, and
// sets p.Raw.
func pathFinish(p *Path, b []byte, i int, bare bool, elem string) (int, *SyntaxError) {
	if bare {
		if i < len(b) && b[i] != ' ' {
			return 0, errAt(elem, i, ruleArgs, "invalid character after the mailbox", ErrSyntax)
		}
		if i+2 > MaxPath {
			// RFC 5321 4.5.3.1.3, counting the brackets the client left out.
			return 0, errAt(elem, MaxPath-2, rulePathLen, "path longer than 256 octets", ErrTooLong)
		}
		p.Raw = b[:i]
		return i, nil
	}
	if i >= len(b) {
		return 0, errAt(elem, i, ruleArgs, `missing ">"`, ErrSyntax)
	}
	if b[i] != '>' {
		return 0, errAt(elem, i, ruleArgs, `expected ">"`, ErrSyntax)
	}
	i++
	if i > MaxPath {
		// RFC 5321 4.5.3.1.3 and 4.5.3.1.9: "501 Path too long".
		return 0, errAt(elem, MaxPath, rulePathLen, "path longer than 256 octets", ErrTooLong)
	}
	p.Raw = b[:i]
	return i, nil
}

// pathAtEnd reports whether b[i] ends a mailbox: ">" in a bracketed path,
// SP or the end of input in a bare one.
func pathAtEnd(b []byte, i int, bare bool) bool {
	if bare {
		return i == len(b) || b[i] == ' '
	}
	return i < len(b) && b[i] == '>'
}

// pathADL skips the source route A-d-l ":" that starts at b[i] == '@' and
// returns the offset of the mailbox after it (RFC 5321 4.1.2, appendix C).
// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain.
func pathADL(b []byte, i int, utf8ok, bare bool) (int, bool, *SyntaxError) {
	first, nonASCII := i, false
	for {
		end, na, err := domScan(b, i+1, utf8ok)
		if err != nil {
			return i, false, err
		}
		nonASCII = nonASCII || na
		i = end
		switch {
		case i < len(b) && b[i] == ':':
			return i + 1, nonASCII, nil
		case i < len(b) && b[i] == ',':
			i++
			if i >= len(b) || b[i] != '@' {
				return i, false, errAt("A-d-l", i, ruleArgs, `expected "@" after ","`, ErrSyntax)
			}
		case pathAtEnd(b, i, bare) && bytes.IndexByte(b[first:i], ',') < 0:
			// "<@example.com>": a mailbox with nothing before the "@".
			return i, false, errAt("local-part", first, ruleArgs, "empty local-part", ErrSyntax)
		default:
			return i, false, errAt("A-d-l", i, ruleArgs, `expected ":" after the source route`, ErrSyntax)
		}
	}
}

// pathDotString scans a Dot-string = Atom *("." Atom) from b[i] and returns
// where it stops (RFC 5321 4.1.2; atext =/ UTF8-non-ascii, RFC 6531 3.3).
// The octet it stops at is the caller's to judge.
func pathDotString(b []byte, i int, utf8ok bool) (int, bool, *SyntaxError) {
	start, nonASCII := i, false
	for i < len(b) {
		c := b[i]
		if addrClass[c]&addrAtext != 0 {
			i++
			continue
		}
		if c == '.' {
			if i == start {
				return i, false, errAt("local-part", i, ruleArgs, "local-part starts with a dot", ErrSyntax)
			}
			if b[i-1] == '.' {
				return i, false, errAt("local-part", i, ruleArgs, "consecutive dots in local-part", ErrSyntax)
			}
			i++
			continue
		}
		if c < 0x80 {
			break
		}
		if !utf8ok {
			return i, false, pathLocalBadOctet(b, i, false)
		}
		size := utf8Size(b, i)
		if size == 0 {
			return i, false, errAt("local-part", i, ruleUTF8, "invalid UTF-8 in local-part", ErrInvalidUTF8)
		}
		i += size
		nonASCII = true
	}
	if i > start && b[i-1] == '.' {
		return i, false, errAt("local-part", i-1, ruleArgs, "local-part ends with a dot", ErrSyntax)
	}
	return i, nonASCII, nil
}

// pathQuoted scans a Quoted-string that starts at b[i] == '"' and returns
// the offset after its closing quote (RFC 5321 4.1.2; qtextSMTP =/
// UTF8-non-ascii, RFC 6531 3.3).
func pathQuoted(b []byte, i int, utf8ok bool) (int, bool, *SyntaxError) {
	const elem = "quoted-string"
	nonASCII := false
	for i++; i < len(b); {
		c := b[i]
		switch {
		case addrClass[c]&addrQtext != 0:
			i++
		case c == '"':
			return i + 1, nonASCII, nil
		case c == '\\':
			// quoted-pairSMTP = %d92 %d32-126; RFC 6531 does not extend it.
			if i+1 >= len(b) {
				return i, false, errAt(elem, len(b), ruleArgs, "unterminated quoted-string", ErrSyntax)
			}
			if addrClass[b[i+1]]&addrQpair == 0 {
				if b[i+1] >= 0x80 && !utf8ok {
					return i, false, errAt(elem, i+1, ruleArgs, "non-ASCII octet in local-part without SMTPUTF8", ErrUTF8NotAllowed)
				}
				return i, false, errAt(elem, i+1, ruleArgs, "quoted-pair of an octet that is not ASCII graphic or SP", ErrSyntax)
			}
			i += 2
		case c >= 0x80:
			if !utf8ok {
				return i, false, errAt(elem, i, ruleArgs, "non-ASCII octet in local-part without SMTPUTF8", ErrUTF8NotAllowed)
			}
			size := utf8Size(b, i)
			if size == 0 {
				return i, false, errAt(elem, i, ruleUTF8, "invalid UTF-8 in quoted-string", ErrInvalidUTF8)
			}
			i += size
			nonASCII = true
		default:
			return i, false, errAt(elem, i, ruleArgs, "control character in quoted-string", ErrSyntax)
		}
	}
	return i, false, errAt(elem, len(b), ruleArgs, "unterminated quoted-string", ErrSyntax)
}

// pathLocalBadOctet reports b[i] (or the end of b) where a local part must
// continue or end with "@". RFC 5321 4.1.2 forbids control characters and,
// without an extension, non-ASCII octets in MAIL and RCPT.
func pathLocalBadOctet(b []byte, i int, utf8ok bool) *SyntaxError {
	switch {
	case i >= len(b):
		return errAt("local-part", i, ruleArgs, `missing "@" and domain`, ErrSyntax)
	case b[i] >= 0x80 && !utf8ok:
		return errAt("local-part", i, ruleArgs, "non-ASCII octet in local-part without SMTPUTF8", ErrUTF8NotAllowed)
	case b[i] < 0x20 || b[i] == 0x7f:
		return errAt("local-part", i, ruleArgs, "control character in local-part", ErrSyntax)
	case b[i] == ' ':
		return errAt("local-part", i, ruleArgs, "space in local-part", ErrSyntax)
	}
	return errAt("local-part", i, ruleArgs, "invalid character in local-part", ErrSyntax)
}

// pathIsPostmaster reports whether the Dot-string s is "postmaster" in any
// case (RFC 5321 4.5.1).
func pathIsPostmaster(s []byte) bool {
	const pm = "postmaster"
	if len(s) != len(pm) {
		return false
	}
	for i := range len(pm) {
		// Only 'X' and 'x' turn into 'x' under |0x20, for any letter x.
		if s[i]|0x20 != pm[i] {
			return false
		}
	}
	return true
}

// IsPostmaster reports whether p names the postmaster: <Postmaster>, or a
// local part "postmaster" in any case and any quoting at any domain (RFC
// 5321 4.5.1; 4.1.2 makes all quoted forms of a local part equivalent).
func (p Path) IsPostmaster() bool {
	if p.Postmaster {
		return true
	}
	if !p.Quoted {
		return pathIsPostmaster(p.Local)
	}
	if len(p.Local) < 2 {
		return false
	}
	const pm = "postmaster"
	q, k := p.Local[1:len(p.Local)-1], 0
	for j := 0; j < len(q); j++ {
		c := q[j]
		if c == '\\' && j+1 < len(q) {
			j++
			c = q[j]
		}
		if k == len(pm) || c|0x20 != pm[k] {
			return false
		}
		k++
	}
	return k == len(pm)
}

// AppendLocal appends the local part of p to dst with Quoted-string quoting
// removed: the quotes dropped and each quoted-pair replaced by the octet it
// quotes. An unquoted local part is appended as it is. It returns the
// extended buffer.
func (p Path) AppendLocal(dst []byte) []byte {
	if !p.Quoted || len(p.Local) < 2 {
		return append(dst, p.Local...)
	}
	q := p.Local[1 : len(p.Local)-1]
	for {
		k := bytes.IndexByte(q, '\\')
		if k < 0 || k+1 >= len(q) {
			return append(dst, q...)
		}
		dst = append(dst, q[:k]...)
		dst = append(dst, q[k+1])
		q = q[k+2:]
	}
}
