package wire

import (
	"net/netip"
	"strconv"
)

// Field scanners for PROXY protocol version 1 lines (HAProxy
// doc/proxy-protocol.txt section 2.1): ports, and IPv4 and IPv6 addresses in
// the forms the specification allows. Each reports whether the field is
// complete and whether it is still a valid prefix, so a partial header can
// ask for more bytes without accepting anything it would later refuse.

// enumName returns names[i], or typ(i) for a value without a name.
func enumName(typ string, i int, names ...string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return typ + "(" + strconv.Itoa(i) + ")"
}

// hasPrefix reports whether b is a prefix of s.
func hasPrefix(s string, b []byte) bool {
	return len(b) <= len(s) && s[:len(b)] == string(b)
}

// scanPort checks a decimal port 0..65535 without heading zeroes (section
// 2.1): complete if b is one, prefix if b can begin one.
func scanPort(b []byte) (port uint16, complete, prefix bool) {
	n, ok := decimal(b)
	prefix = ok && (len(b) < 2 || b[0] != '0') && n <= 0xFFFF
	return uint16(n), prefix && len(b) > 0, prefix
}

// decimal parses up to 5 ASCII digits; ok is false for anything else.
func decimal(b []byte) (n int, ok bool) {
	if len(b) > 5 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// scanIPv4 checks exactly four dot-separated decimal octets 0..255 without
// heading zeroes (section 2.1): complete if b is one, prefix if b can begin
// one.
func scanIPv4(b []byte) (a netip.Addr, complete, prefix bool) {
	var ip [4]byte
	for k := 0; ; k++ {
		j := 0
		for j < len(b) && b[j] != '.' {
			j++
		}
		n, ok := decimal(b[:j])
		if !ok || j > 3 || j > 1 && b[0] == '0' || n > 255 || j == 0 && j < len(b) {
			return a, false, false
		}
		ip[k] = byte(n)
		if j == len(b) {
			if k == 3 && j > 0 {
				return netip.AddrFrom4(ip), true, true
			}
			return a, false, true
		}
		if k == 3 {
			return a, false, false
		}
		b = b[j+1:]
	}
}

// hexGroup reads up to five hex digits at the start of b and returns their
// value and count; a count of 0 or 5 means b does not start with a group.
func hexGroup(b []byte) (v uint16, k int) {
	for ; k < len(b) && k < 5; k++ {
		c := b[k]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return v, k
		}
		v = v<<4 | uint16(c)
	}
	return v, k
}

// scanIPv6 checks colon-separated groups of 1-4 hex digits with at most one
// "::" standing for one or more zero groups, 128 bits in all (section 2.1;
// RFC 4291 2.2 forms 1 and 2, not the dotted form 3, no zone): complete if b
// is one, prefix if b can begin one.
func scanIPv6(b []byte) (a netip.Addr, complete, prefix bool) {
	var ip [16]byte
	ell, j, i, open := -1, 0, 0, len(b) == 1 && b[0] == ':'
	if len(b) >= 2 && b[0] == ':' {
		if b[1] != ':' {
			return a, false, false
		}
		ell, i = 0, 2
	}
	for i < len(b) && !open {
		v, k := hexGroup(b[i:])
		if k == 0 || k > 4 || j == 16 {
			return a, false, false
		}
		ip[j], ip[j+1] = byte(v>>8), byte(v)
		j, i = j+2, i+k
		switch {
		case i == len(b):
		case b[i] != ':':
			return a, false, false
		case i+1 == len(b):
			open, i = true, i+1 // a lone final ':' needs one more group
		case b[i+1] == ':':
			if ell >= 0 {
				return a, false, false
			}
			ell, i = j, i+2
		default:
			i++
		}
	}
	groups, most := j/2, 8
	if open {
		groups++
	}
	if ell >= 0 {
		most = 7 // "::" stands for at least one group
	}
	if groups > most {
		return a, false, false
	}
	if open || ell < 0 && j != 16 {
		return a, false, true
	}
	if ell >= 0 {
		n := 16 - j
		copy(ip[ell+n:], ip[ell:j])
		clear(ip[ell : ell+n])
	}
	return netip.AddrFrom16(ip), true, true
}
