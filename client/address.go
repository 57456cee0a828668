package client

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrNeedsSMTPUTF8 reports an address whose local part is not ASCII sent
// to a server that does not offer SMTPUTF8: only the domain can be made
// ASCII (IDNA), the local part cannot (RFC 6531 section 3.2).
var ErrNeedsSMTPUTF8 = errors.New("client: non-ASCII local part needs SMTPUTF8, which the server does not offer (RFC 6531 section 3.2)")

// AddressError reports an address Send cannot put in a command. It wraps
// ErrNeedsSMTPUTF8 or the IDNA error of the domain.
type AddressError struct {
	// Addr is the address as given; Recipient is its index in
	// Envelope.To, or -1 for the sender.
	Addr      string
	Recipient int
	Err       error
}

// Error names the address and the reason.
func (e *AddressError) Error() string {
	who := "sender"
	if e.Recipient >= 0 {
		who = "recipient " + strconv.Itoa(e.Recipient)
	}
	return "smtp send: " + who + " " + strconv.Quote(e.Addr) + ": " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *AddressError) Unwrap() error { return e.Err }

// SizeError reports a message larger than the server's SIZE maximum (RFC
// 1870 section 4), found before anything was sent.
type SizeError struct {
	Size, Max uint64
}

// Error gives both sizes.
func (e *SizeError) Error() string {
	return "smtp send: message of " + strconv.FormatUint(e.Size, 10) +
		" octets exceeds the server's SIZE limit of " + strconv.FormatUint(e.Max, 10) + " (RFC 1870 section 4)"
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiAddr appends addr to dst in a form a server without SMTPUTF8
// accepts: the domain converted with IDNA (RFC 5890 A-labels, UTS #46
// lookup profile), the local part unchanged and required to be ASCII (RFC
// 6531 section 3.2). Address literals are left alone.
func asciiAddr(dst []byte, addr string) ([]byte, error) {
	if isASCII(addr) {
		return append(dst, addr...), nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !isASCII(addr[:at]) {
		return dst, ErrNeedsSMTPUTF8
	}
	domain := addr[at+1:]
	if strings.HasPrefix(domain, "[") {
		return dst, ErrNeedsSMTPUTF8
	}
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return dst, err
	}
	dst = append(dst, addr[:at+1]...)
	return append(dst, a...), nil
}
