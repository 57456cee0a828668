package wire

import "strconv"

// BarePolicy says what to do with a bare CR (not followed by LF) or a bare LF
// (not preceded by CR) in command lines, reply lines and message data. RFC 5321
// section 2.3.8 makes CRLF the only line terminator and section 4.1.1.4 forbids
// servers to accept lines ending in LF alone; bare line ends are how SMTP
// smuggling works (CVE-2023-51764), so the zero value is BareReject.
type BarePolicy uint8

const (
	// BareReject refuses the line or message with ErrBareCR or ErrBareLF.
	// The input is still consumed up to the next CRLF (lines) or the end of
	// data (messages), so the stream stays in sync and nothing inside a
	// refused line or message is ever run as a command. The default.
	BareReject BarePolicy = iota
	// BareNormalize treats a bare CR or LF as CRLF. In command and reply
	// lines it ends the line; in message data it is written out as CRLF but
	// never starts a new protocol line, so "\n.\n" never ends DATA and a dot
	// after a bare LF is not a stuffing dot.
	BareNormalize
	// BareAllow keeps bare CR and LF as ordinary octets inside the line or
	// message. Only CRLF ends a line; only CRLF "." CRLF ends DATA.
	BareAllow
)

var barePolicyNames = [...]string{
	BareReject:    "reject",
	BareNormalize: "normalize",
	BareAllow:     "allow",
}

// String returns "reject", "normalize" or "allow".
func (p BarePolicy) String() string {
	if int(p) < len(barePolicyNames) {
		return barePolicyNames[p]
	}
	return "BarePolicy(" + strconv.Itoa(int(p)) + ")"
}

// ParseBarePolicy returns the policy named s ("reject", "normalize" or
// "allow"); ok is false for any other name.
func ParseBarePolicy(s string) (p BarePolicy, ok bool) {
	for i, name := range barePolicyNames {
		if s == name {
			return BarePolicy(i), true
		}
	}
	return 0, false
}
