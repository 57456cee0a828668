package auth

import (
	"strings"
	"unicode/utf8"
)

// appendSASLName appends s as a saslname (RFC 5801 section 4, RFC 5802
// section 5.1), the form of names in a GS2 header and in SCRAM's n=: ","
// is written "=2C" and "=" is written "=3D". SCRAM and OAUTHBEARER share
// it.
func appendSASLName(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			dst = append(dst, "=2C"...)
		case '=':
			dst = append(dst, "=3D"...)
		default:
			dst = append(dst, s[i])
		}
	}
	return dst
}

// parseSASLName decodes a saslname (RFC 5802 section 7): one or more UTF-8
// characters other than NUL and ",", where "=" only starts the escapes
// "=2C" and "=3D". It reports false for anything else.
func parseSASLName(b []byte) (string, bool) {
	if len(b) == 0 || !utf8.Valid(b) {
		return "", false
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case 0, ',':
			return "", false
		case '=':
			if i+2 >= len(b) {
				return "", false
			}
			switch string(b[i+1 : i+3]) {
			case "2C":
				sb.WriteByte(',')
			case "3D":
				sb.WriteByte('=')
			default:
				return "", false
			}
			i += 2
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), true
}
