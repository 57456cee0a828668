package auth

import (
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// PreparePassword prepares a password with the PRECIS OpaqueString profile
// (RFC 8265 section 4.2), which replaces SASLprep (RFC 4013) for the
// mechanisms that call for it (RFC 4616 section 2, RFC 5802 section 2.2):
// non-ASCII spaces become U+0020 and the result is in Unicode NFC. An
// empty password, or one with characters the profile disallows (control
// characters, unassigned code points), is an error that wraps
// ErrMalformed and never quotes the password. So is invalid UTF-8.
func PreparePassword(s string) (string, error) {
	return prepare(s, "password")
}

// PrepareUsername prepares a user name (authcid or authzid) for comparison
// and for SCRAM's n= attribute. It uses the OpaqueString profile, like
// PreparePassword, rather than UsernameCaseMapped (RFC 8265 section 3.3):
// SASLprep, which RFC 4954 section 4 and RFC 5802 section 5.1 name, keeps
// case and allows spaces, and SMTP servers key accounts by exactly what the
// user typed. An all-ASCII printable name is returned unchanged.
func PrepareUsername(s string) (string, error) {
	return prepare(s, "user name")
}

func prepare(s, what string) (string, error) {
	if isPrintableASCII(s) && s != "" {
		// OpaqueString maps nothing in printable ASCII (RFC 8265
		// section 4.2.2): skip the allocation of the general path.
		return s, nil
	}
	if !utf8.ValidString(s) {
		// precis would map invalid octets to U+FFFD, so that "\xff" and
		// "\xfe" prepared to the same password: refuse them (RFC 8265
		// section 4.2 operates on Unicode code points only).
		return "", &Error{Err: ErrMalformed, Reason: what + " is not valid UTF-8"}
	}
	out, err := precis.OpaqueString.String(s)
	if err != nil || out == "" {
		return "", &Error{Err: ErrMalformed, Reason: what + " is empty or has characters RFC 8265 OpaqueString disallows"}
	}
	return out, nil
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
