package reply

import (
	"errors"
	"strconv"
)

// Enhanced is an enhanced mail system status code, class.subject.detail
// (RFC 3463 section 2). The zero value means "absent".
//
// Class is 2, 4 or 5; Subject and Detail are 0 to 999 (1*3digit, RFC 3463).
type Enhanced struct {
	Class   uint8
	Subject uint16
	Detail  uint16
}

// E returns the enhanced code class.subject.detail. It is a shorthand for
// tables and tests; it does not validate.
func E(class uint8, subject, detail uint16) Enhanced {
	return Enhanced{Class: class, Subject: subject, Detail: detail}
}

// ErrBadEnhanced reports text that is not an RFC 3463 status code.
var ErrBadEnhanced = errors.New("reply: malformed enhanced status code (RFC 3463 section 2)")

// IsZero reports whether e is absent.
func (e Enhanced) IsZero() bool { return e == Enhanced{} }

// Valid reports whether e follows RFC 3463 section 2: class 2, 4 or 5, and
// subject and detail of at most three digits.
func (e Enhanced) Valid() bool {
	return (e.Class == 2 || e.Class == 4 || e.Class == 5) && e.Subject <= 999 && e.Detail <= 999
}

// WithClass returns e with its class replaced; it is used to apply a
// registry entry (written X.s.d) to a reply of a given class.
func (e Enhanced) WithClass(class uint8) Enhanced {
	e.Class = class
	return e
}

// Append appends e in its text form ("5.1.1") to dst. It appends nothing when
// e is zero.
func (e Enhanced) Append(dst []byte) []byte {
	if e.IsZero() {
		return dst
	}
	dst = strconv.AppendUint(dst, uint64(e.Class), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(e.Subject), 10)
	dst = append(dst, '.')
	return strconv.AppendUint(dst, uint64(e.Detail), 10)
}

// String returns e in its text form, or "" when e is zero.
func (e Enhanced) String() string {
	if e.IsZero() {
		return ""
	}
	var b [16]byte
	return string(e.Append(b[:0]))
}

// ParseEnhanced parses b, which must be exactly one status code
// class.subject.detail (RFC 3463 section 2): class "2", "4" or "5", subject
// and detail 1 to 3 digits without leading zeros.
func ParseEnhanced(b []byte) (Enhanced, error) {
	e, n, ok := scanEnhanced(b)
	if !ok || n != len(b) {
		return Enhanced{}, ErrBadEnhanced
	}
	return e, nil
}

// ParseEnhancedPrefix parses a status code at the start of reply text, as
// RFC 2034 section 4 places it ("550 5.1.1 User unknown"). The code must be
// followed by a space or end the text. It returns the code and the text after
// it and its separating space; ok is false, and rest is text, when text does
// not start with a status code.
func ParseEnhancedPrefix(text []byte) (e Enhanced, rest []byte, ok bool) {
	e, n, ok := scanEnhanced(text)
	if !ok {
		return Enhanced{}, text, false
	}
	switch {
	case n == len(text):
		return e, text[n:], true
	case text[n] == ' ':
		return e, text[n+1:], true
	}
	return Enhanced{}, text, false
}

// scanEnhanced reads class.subject.detail at the start of b and returns the
// number of bytes it used.
func scanEnhanced(b []byte) (Enhanced, int, bool) {
	if len(b) < 5 || (b[0] != '2' && b[0] != '4' && b[0] != '5') || b[1] != '.' {
		return Enhanced{}, 0, false
	}
	subject, n, ok := scanSubcode(b, 2)
	if !ok || n >= len(b) || b[n] != '.' {
		return Enhanced{}, 0, false
	}
	detail, n, ok := scanSubcode(b, n+1)
	if !ok {
		return Enhanced{}, 0, false
	}
	return Enhanced{Class: b[0] - '0', Subject: subject, Detail: detail}, n, true
}

// scanSubcode reads 1*3digit starting at b[i], rejecting leading zeros, and
// returns the value and the index after it.
func scanSubcode(b []byte, i int) (uint16, int, bool) {
	start := i
	var v uint16
	for i < len(b) && i-start < 4 && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + uint16(b[i]-'0')
		i++
	}
	n := i - start
	if n == 0 || n > 3 || (n > 1 && b[start] == '0') {
		return 0, 0, false
	}
	return v, i, true
}
