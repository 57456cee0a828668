package wire

// ASCII helpers shared by the parsers. SMTP keywords, verbs and hex digits
// are ASCII and matched ignoring case (RFC 5321 section 2.4); none of these
// helpers allocate.

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// upper returns c upper-cased when it is an ASCII letter.
func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// equalFold reports whether b equals s ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if upper(b[i]) != upper(s[i]) {
			return false
		}
	}
	return true
}

// equalFoldBytes reports whether a equals b ignoring ASCII case.
func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if upper(a[i]) != upper(b[i]) {
			return false
		}
	}
	return true
}

// indexForbidden returns the offset of the first CR, LF or NUL in b, or -1.
// Serializers refuse those octets in any field: writing one would end the
// line early and inject a command or reply (RFC 5321 section 2.3.8).
func indexForbidden(b []byte) int {
	for i, c := range b {
		if c == '\r' || c == '\n' || c == 0 {
			return i
		}
	}
	return -1
}
