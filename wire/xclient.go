package wire

// XAttrs are the attributes of Postfix's XCLIENT and XFORWARD commands
// (XCLIENT_README, XFORWARD_README): "attribute-name=attribute-value" pairs
// whose values are xtext (RFC 3461 section 4). Each field holds the value as
// sent, still xtext-encoded (use DecodeXtext), and is nil when the attribute
// was absent. Values may be "[UNAVAILABLE]", and NAME also "[TEMPUNAVAIL]".
type XAttrs struct {
	Name     []byte // client host name
	Addr     []byte // client address; IPv6 with an "IPV6:" prefix
	Port     []byte // client port
	Proto    []byte // SMTP or ESMTP
	Helo     []byte // HELO/EHLO argument
	Login    []byte // SASL login name (XCLIENT)
	DestAddr []byte // server address the client connected to (XCLIENT)
	DestPort []byte // server port (XCLIENT)
	Ident    []byte // queue identifier (XFORWARD)
	Source   []byte // LOCAL or REMOTE (XFORWARD)
}

// maxXAttrValue is the longest decoded attribute value Postfix accepts
// (XCLIENT_README: values are at most 255 characters).
const maxXAttrValue = 255

// DecodeXAttrs reads the attributes of an XCLIENT or XFORWARD command. It
// checks the generic parameter grammar and duplicates, that each name is one
// the verb defines (XCLIENT: NAME ADDR PORT PROTO HELO LOGIN DESTADDR
// DESTPORT; XFORWARD: NAME ADDR PORT PROTO HELO IDENT SOURCE), that every
// value is xtext of at most 255 decoded octets, and that at least one
// attribute is present. Errors are *SyntaxError values answered with 501.
// The result aliases p. It does not allocate unless it fails.
func DecodeXAttrs(verb Verb, p Params) (XAttrs, error) {
	var a XAttrs
	rule := "Postfix XCLIENT_README"
	if verb == VerbXFORWARD {
		rule = "Postfix XFORWARD_README"
	} else if verb != VerbXCLIENT {
		return a, errAt("attribute-name", p.Offset, rule, "not an XCLIENT or XFORWARD command", ErrSyntax)
	}
	if p.IsEmpty() {
		return a, errAt("attribute-name", p.Offset, rule, verb.String()+" needs at least one attribute", ErrMissingArgument)
	}
	it := p.Iter()
	for it.Next() {
		prm := it.Param()
		field := a.field(verb, prm.Keyword)
		if field == nil {
			return XAttrs{}, errAt("attribute-name", prm.Offset, rule, "unknown "+verb.String()+" attribute", ErrSyntax)
		}
		if !prm.HasValue || !IsXtext(prm.Value) {
			return XAttrs{}, errAt("attribute-value", prm.Offset+len(prm.Keyword), rule, "attribute value must be xtext", ErrBadParamValue)
		}
		if xtextDecodedLen(prm.Value) > maxXAttrValue {
			return XAttrs{}, errAt("attribute-value", prm.Offset+len(prm.Keyword)+1, rule, "attribute value longer than 255 characters", ErrTooLong)
		}
		*field = prm.Value
	}
	if err := it.Err(); err != nil {
		return XAttrs{}, err
	}
	return a, nil
}

// field returns the field for the attribute name under verb, or nil.
func (a *XAttrs) field(verb Verb, name []byte) *[]byte {
	switch {
	case equalFold(name, "NAME"):
		return &a.Name
	case equalFold(name, "ADDR"):
		return &a.Addr
	case equalFold(name, "PORT"):
		return &a.Port
	case equalFold(name, "PROTO"):
		return &a.Proto
	case equalFold(name, "HELO"):
		return &a.Helo
	}
	if verb == VerbXCLIENT {
		switch {
		case equalFold(name, "LOGIN"):
			return &a.Login
		case equalFold(name, "DESTADDR"):
			return &a.DestAddr
		case equalFold(name, "DESTPORT"):
			return &a.DestPort
		}
		return nil
	}
	switch {
	case equalFold(name, "IDENT"):
		return &a.Ident
	case equalFold(name, "SOURCE"):
		return &a.Source
	}
	return nil
}

// AppendXAttrs appends the verb (XCLIENT or XFORWARD), the attributes of a
// that are set and CRLF. Values must already be xtext (build them with
// AppendXtext); each is checked as DecodeXAttrs checks it. Postfix wants the
// whole command within 512 octets: split the attributes over several
// commands when they do not fit (XCLIENT_README). On error dst is returned
// unchanged.
func AppendXAttrs(dst []byte, verb Verb, a XAttrs) ([]byte, error) {
	if verb != VerbXCLIENT && verb != VerbXFORWARD {
		return dst, errAt("command", 0, "Postfix XCLIENT_README", "not an XCLIENT or XFORWARD command", ErrSyntax)
	}
	start := len(dst)
	dst = append(dst, verb.String()...)
	names := [...]string{"NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN", "DESTADDR", "DESTPORT", "IDENT", "SOURCE"}
	values := [...][]byte{a.Name, a.Addr, a.Port, a.Proto, a.Helo, a.Login, a.DestAddr, a.DestPort, a.Ident, a.Source}
	for i, v := range values {
		if v == nil {
			continue
		}
		dst = append(dst, ' ')
		dst = append(dst, names[i]...)
		dst = append(dst, '=')
		dst = append(dst, v...)
	}
	if indexForbidden(dst[start:]) >= 0 {
		return dst[:start], errAt("attribute-value", 0, "RFC 5321 2.3.8", "CR, LF or NUL in an attribute", ErrForbiddenByte)
	}
	text := dst[start+len(verb.String()):]
	if len(text) > 0 {
		text = text[1:]
	}
	if _, err := DecodeXAttrs(verb, Params{Text: text, Offset: len(verb.String()) + 1}); err != nil {
		return dst[:start], err
	}
	return append(dst, '\r', '\n'), nil
}

// xtextDecodedLen returns how many octets xtext b decodes to; b must be
// valid xtext.
func xtextDecodedLen(b []byte) int {
	n := len(b)
	for _, c := range b {
		if c == '+' {
			n -= 2
		}
	}
	return n
}
