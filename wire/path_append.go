package wire

import "bytes"

// Serializers for paths (RFC 5321 section 4.1.2): AppendPath writes a
// mailbox already in RFC 5321 form, AppendMailbox quotes an unquoted local
// part only as much as needed. Both check what they write with the parser.

// AppendPath appends "<" mailbox ">" to dst and returns the extended
// buffer. mailbox must already be an RFC 5321 Mailbox (a quoted local part
// stays quoted; no source route), "Postmaster" for a ForwardPath, or empty
// for the null path of a ReversePath. utf8 allows what SMTPUTF8 allows.
//
// AppendPath refuses CR, LF and NUL with ErrForbiddenByte (they would
// inject a command) and anything ParsePath would refuse, with the same
// error; offsets count from the start of mailbox. On error it returns dst
// with its length unchanged, though octets past len(dst) in its capacity may
// have been written. It allocates only when dst is too small.
func AppendPath(dst []byte, mailbox []byte, kind PathKind, utf8 bool) ([]byte, error) {
	if i := indexForbidden(mailbox); i >= 0 {
		return dst, errAt("Mailbox", i, "RFC 5321 2.3.8", "CR, LF or NUL in a mailbox", ErrForbiddenByte)
	}
	if len(mailbox) == 0 && kind != ReversePath {
		return dst, errAt(kind.String(), 0, "RFC 5321 4.1.1.3", "the null path <> is only a reverse-path", ErrSyntax)
	}
	start := len(dst)
	out := append(dst, '<')
	out = append(out, mailbox...)
	out = append(out, '>')
	var p Path
	n, err := pathParse(&p, out[start:], kind, PathOptions{UTF8: utf8})
	switch {
	case err != nil:
		err.Offset = max(err.Offset-1, 0)
		return dst, err
	case p.SourceRoute:
		return dst, errAt("A-d-l", 0, ruleArgs, "a mailbox has no source route", ErrSyntax)
	case n != len(out)-start:
		// out[n-1] is the ">" that ended the path early: mailbox[n-2].
		return dst, errAt(kind.String(), n-2, ruleArgs, `">" inside the mailbox`, ErrSyntax)
	}
	return out, nil
}

// AppendMailbox appends "<" local "@" domain ">" to dst and returns the
// extended buffer. local is the local part without quoting; it is written
// as a Dot-string when it is one and as a Quoted-string otherwise, with "\"
// before each DQUOTE and backslash, since RFC 5321 4.1.2 asks for the form
// with the least quoting. domain is a Domain or an address literal with its
// brackets. utf8 allows what SMTPUTF8 allows (RFC 6531 3.3).
//
// AppendMailbox refuses CR, LF and NUL with ErrForbiddenByte, other control
// characters (no quoted-pair can carry them), and anything ParsePath would
// refuse. Offsets count from the start of local for local-part errors, of
// domain for domain errors, and of the path it would write for a path over
// MaxPath. On error it returns dst unchanged. It allocates only when dst is
// too small.
func AppendMailbox(dst []byte, local, domain []byte, utf8 bool) ([]byte, error) {
	if i := indexForbidden(local); i >= 0 {
		return dst, errAt("local-part", i, "RFC 5321 2.3.8", "CR, LF or NUL in a local part", ErrForbiddenByte)
	}
	if i := indexForbidden(domain); i >= 0 {
		return dst, errAt("domain", i, "RFC 5321 2.3.8", "CR, LF or NUL in a domain", ErrForbiddenByte)
	}
	quote, size, err := localForm(local, utf8)
	if err != nil {
		return dst, err
	}
	if _, err := hostCheck(domain, utf8); err != nil {
		return dst, err
	}
	if total := 1 + size + 1 + len(domain) + 1; total > MaxPath {
		return dst, errAt("path", MaxPath, rulePathLen, "path longer than 256 octets", ErrTooLong)
	}
	dst = append(dst, '<')
	if !quote {
		dst = append(dst, local...)
	} else {
		dst = append(dst, '"')
		for len(local) > 0 {
			k := bytes.IndexAny(local, `"\`)
			if k < 0 {
				dst = append(dst, local...)
				break
			}
			dst = append(dst, local[:k]...)
			dst = append(dst, '\\', local[k])
			local = local[k+1:]
		}
		dst = append(dst, '"')
	}
	dst = append(dst, '@')
	dst = append(dst, domain...)
	return append(dst, '>'), nil
}

// localForm decides how AppendMailbox writes the unquoted local part s:
// quote reports whether it needs a Quoted-string, size is the length of the
// form written. It refuses octets no form can carry and forms longer than
// MaxLocalPart, at the offset in s where the written form overflows.
func localForm(s []byte, utf8ok bool) (quote bool, size int, err *SyntaxError) {
	dot, over := len(s) > 0, -1
	size = 1 // the quoted form so far: opening quote, octets, escapes
	for i := 0; i < len(s); {
		c, n := s[i], 1
		switch {
		case addrClass[c]&addrAtext != 0:
		case c == '.':
			if i == 0 || i == len(s)-1 || s[i-1] == '.' {
				dot = false
			}
		case addrClass[c]&addrQtext != 0:
			dot = false
		case c == '"' || c == '\\':
			dot = false
			size++
		case c >= 0x80:
			if !utf8ok {
				return false, 0, errAt("local-part", i, ruleArgs, "non-ASCII octet in local-part without SMTPUTF8", ErrUTF8NotAllowed)
			}
			if n = utf8Size(s, i); n == 0 {
				return false, 0, errAt("local-part", i, ruleUTF8, "invalid UTF-8 in local-part", ErrInvalidUTF8)
			}
		default:
			return false, 0, errAt("local-part", i, ruleArgs, "control character in local-part", ErrSyntax)
		}
		if size += n; size > MaxLocalPart && over < 0 {
			over = i
		}
		i += n
	}
	size++ // the closing quote
	switch {
	case dot && len(s) > MaxLocalPart:
		over = MaxLocalPart
	case dot:
		return false, len(s), nil
	case size > MaxLocalPart && over < 0:
		over = len(s) // only the closing quote overflows
	case size <= MaxLocalPart:
		return true, size, nil
	}
	// RFC 5321 4.5.3.1.1: at most 64 octets, counting the quoting.
	return false, 0, errAt("local-part", over, ruleLocalLen, "local-part longer than 64 octets", ErrTooLong)
}
