package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SCRAMHash names the hash function of a SCRAM mechanism (RFC 5802
// section 4): SHA-1 for SCRAM-SHA-1 (RFC 5802), SHA-256 for SCRAM-SHA-256
// (RFC 7677). The zero value SCRAMHashNone stands for no hash and makes no
// mechanism.
type SCRAMHash uint8

// The SCRAM hash functions this package implements.
const (
	SCRAMHashNone SCRAMHash = iota
	SCRAMSHA1               // RFC 5802
	SCRAMSHA256             // RFC 7677
	numSCRAMHashes
)

var scramHashNames = [numSCRAMHashes]string{
	SCRAMHashNone: "none",
	SCRAMSHA1:     "SHA-1",
	SCRAMSHA256:   "SHA-256",
}

// String returns the hash name as it appears in the mechanism name
// ("SHA-256"), or "none".
func (h SCRAMHash) String() string {
	if h >= numSCRAMHashes {
		return "SCRAMHash(" + strconv.Itoa(int(h)) + ")"
	}
	return scramHashNames[h]
}

// IsValid reports whether h names a hash this package implements.
func (h SCRAMHash) IsValid() bool { return h > SCRAMHashNone && h < numSCRAMHashes }

// Mechanism returns the SASL mechanism name for h: "SCRAM-SHA-256", or
// "SCRAM-SHA-256-PLUS" when plus is true (RFC 5802 section 4). It returns
// the empty string for an invalid h.
func (h SCRAMHash) Mechanism(plus bool) string {
	if !h.IsValid() {
		return ""
	}
	if plus {
		return "SCRAM-" + scramHashNames[h] + "-PLUS"
	}
	return "SCRAM-" + scramHashNames[h]
}

// ParseSCRAMMechanism splits a SCRAM mechanism name, compared ignoring
// case as RFC 4422 section 3.1 asks, into its hash and whether it is a
// -PLUS (channel-binding) variant. ok is false for any other name.
func ParseSCRAMMechanism(name string) (h SCRAMHash, plus bool, ok bool) {
	for h := SCRAMSHA1; h < numSCRAMHashes; h++ {
		for _, plus := range [2]bool{false, true} {
			if strings.EqualFold(name, h.Mechanism(plus)) {
				return h, plus, true
			}
		}
	}
	return SCRAMHashNone, false, false
}

// newFunc returns the constructor of the hash. h must be valid.
func (h SCRAMHash) newFunc() func() hash.Hash {
	if h == SCRAMSHA1 {
		return sha1.New
	}
	return sha256.New
}

// size returns the output size of the hash in octets. h must be valid.
func (h SCRAMHash) size() int {
	if h == SCRAMSHA1 {
		return sha1.Size
	}
	return sha256.Size
}

// Iteration-count bounds.
const (
	// SCRAMMinIterations is the smallest iteration count a SCRAM client
	// accepts from a server unless configured lower, and the count
	// NewSCRAMCredentials uses by default: RFC 7677 section 4 and RFC 5802
	// section 5.1 name 4096 as the minimum.
	SCRAMMinIterations = 4096
	// SCRAMMaxIterations caps the iteration count both ends accept, so that
	// a hostile server cannot make a client spin (a denial of service): one
	// derivation at the cap takes well under a second.
	SCRAMMaxIterations = 1 << 20
)

const (
	// scramNonceLen is the length of the nonces this package generates, in
	// printable characters: about 156 bits of entropy.
	scramNonceLen = 24
	// scramSaltLen is the length of the salts NewSCRAMCredentials makes.
	scramSaltLen = 16
	// scramMaxSalt bounds the salt a server may announce or a store return.
	scramMaxSalt = 1024
)

// scramB64 is the base64 of SCRAM attributes (RFC 5802 section 7, which
// refers to RFC 4648 section 4): padded, and strict about trailing bits.
var scramB64 = base64.StdEncoding.Strict()

// errBase64Break is what scramDecode returns for a CR or LF.
var errBase64Break = errors.New("line break inside base64")

// scramDecode decodes one base64 attribute value strictly. encoding/base64
// skips CR and LF even in Strict mode, so "p=ab\rcd" would decode like
// "p=abcd": two spellings of one proof or channel binding, where RFC 5802
// section 7's base64 has exactly one. They are refused.
func scramDecode(b []byte) ([]byte, error) {
	if bytes.ContainsAny(b, "\r\n") {
		return nil, errBase64Break
	}
	return scramB64.DecodeString(string(b))
}

// The server-error-value strings of RFC 5802 section 7 that this package
// sends or recognises.
const (
	scramErrInvalidEncoding    = "invalid-encoding"
	scramErrExtensions         = "extensions-not-supported"
	scramErrInvalidProof       = "invalid-proof"
	scramErrCBMismatch         = "channel-bindings-dont-match"
	scramErrServerSupportsCB   = "server-does-support-channel-binding"
	scramErrCBNotSupported     = "channel-binding-not-supported"
	scramErrUnsupportedCBType  = "unsupported-channel-binding-type"
	scramErrUnknownUser        = "unknown-user"
	scramErrInvalidUsernameEnc = "invalid-username-encoding"
	scramErrNoResources        = "no-resources"
	scramErrOther              = "other-error"
)

// scramMaxServerErrorValueLen bounds an e= value a client repeats in its
// error; longer ones are reported as other-error.
const scramMaxServerErrorValueLen = 64

// SCRAMError is a SCRAM failure with the server-error-value of RFC 5802
// section 7 that names it ("invalid-proof", "channel-bindings-dont-match",
// ...). A client returns it, wrapped in *Error, when the server sent an
// e= attribute; a server returns it, wrapped likewise, with the value it
// would have sent. Err is the sentinel that decides the SMTP reply (for
// example ErrChannelBinding). The value is never secret.
type SCRAMError struct {
	Value string
	Err   error
}

// Error returns the sentinel's text and the server-error-value.
func (e *SCRAMError) Error() string {
	s := "e=" + e.Value
	if e.Err != nil {
		s = e.Err.Error() + " (" + s + ")"
	}
	return s
}

// Unwrap returns the sentinel.
func (e *SCRAMError) Unwrap() error { return e.Err }

// scramErrorSentinel maps a server-error-value to the sentinel a client
// reports it as.
func scramErrorSentinel(value string) error {
	switch value {
	case scramErrCBMismatch, scramErrServerSupportsCB, scramErrCBNotSupported, scramErrUnsupportedCBType:
		return ErrChannelBinding
	case scramErrInvalidEncoding, scramErrInvalidUsernameEnc, scramErrExtensions:
		return ErrMalformed
	case scramErrNoResources:
		return ErrTemporary
	default:
		return ErrInvalidCredentials
	}
}

// scramFail builds the *Error for a failure that has a server-error-value.
func scramFail(mech string, sentinel error, value, reason string) *Error {
	return errorf(mech, &SCRAMError{Value: value, Err: sentinel}, reason)
}

// isSCRAMPrintable reports whether b is a valid c-nonce or s-nonce: one or
// more printable ASCII characters other than "," (RFC 5802 section 7).
func isSCRAMPrintable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// isCBName reports whether b is a cb-name: 1*(ALPHA / DIGIT / "." / "-")
// (RFC 5802 section 7).
func isCBName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAlpha(c) && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// scramNonce returns n printable characters (RFC 5802 section 7: no ",")
// read from the option's random source. Each byte keeps its low seven
// bits and is used when it is printable and not ",", so a source that
// yields a printable string yields that very string (tests feed the nonces
// of the RFC examples). A source that yields nothing usable is an error.
func scramNonce(o *options, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	var buf [64]byte
	for round := 0; len(out) < n; round++ {
		if round == 64 {
			return nil, errorf("", ErrTemporary, "random source yields no printable nonce octets")
		}
		p := buf[:min(n-len(out), len(buf))]
		if err := o.readRand(p); err != nil {
			return nil, errorf("", ErrTemporary, "reading the random source: "+err.Error())
		}
		for _, c := range p {
			c &= 0x7f
			if c >= 0x21 && c <= 0x7e && c != ',' {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// scramKeys are the secrets both ends derive from the salted password (RFC
// 5802 section 3). They are never printed.
type scramKeys struct {
	clientKey []byte // client side only
	storedKey []byte
	serverKey []byte
}

// scramHMAC returns HMAC(key, parts...) with the hash h.
func scramHMAC(h SCRAMHash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h.newFunc(), key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// scramDeriveKeys computes SaltedPassword = Hi(password, salt, i), which
// is PBKDF2 with HMAC (RFC 5802 section 2.2, RFC 8018 section 5.2), and the
// keys of RFC 5802 section 3 from it. password must be prepared already.
func scramDeriveKeys(h SCRAMHash, password string, salt []byte, iterations int) (scramKeys, error) {
	salted, err := pbkdf2.Key(h.newFunc(), password, salt, iterations, h.size())
	if err != nil {
		return scramKeys{}, err
	}
	clientKey := scramHMAC(h, salted, []byte("Client Key"))
	sum := h.newFunc()()
	sum.Write(clientKey)
	return scramKeys{
		clientKey: clientKey,
		storedKey: sum.Sum(nil),
		serverKey: scramHMAC(h, salted, []byte("Server Key")),
	}, nil
}

// scramAttr is one attribute of a SCRAM message: a letter, "=" and a value
// (RFC 5802 section 7, attr-val).
type scramAttr struct {
	key byte
	val []byte
}

// scramAttrs splits msg at "," into attributes, appending to dst, whose
// capacity bounds their number. It fails on an empty element (a leading,
// trailing or doubled ","), on one that is not ALPHA "=" value-so-far
// (RFC 5802 section 7, attr-val) and on more elements than cap(dst).
// Values alias msg.
func scramAttrs(msg []byte, dst []scramAttr) ([]scramAttr, bool) {
	for {
		i := bytes.IndexByte(msg, ',')
		elem := msg
		if i >= 0 {
			elem = msg[:i]
		}
		if len(elem) < 2 || !isAlpha(elem[0]) || elem[1] != '=' || len(dst) == cap(dst) {
			return dst, false
		}
		dst = append(dst, scramAttr{key: elem[0], val: elem[2:]})
		if i < 0 {
			return dst, true
		}
		msg = msg[i+1:]
	}
}

// isSCRAMValue reports whether b is a value: one or more UTF-8 characters
// other than NUL, "=" and "," (RFC 5802 section 7).
func isSCRAMValue(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c == 0 || c == '=' || c == ',' {
			return false
		}
	}
	return true
}

// checkSCRAMExtensions checks the attributes after the mandatory ones.
// Unknown extensions are ignored as RFC 5802 section 5.1 requires, but
// each must be well formed, and "m" (reserved-mext) fails the exchange:
// "its presence in a client or a server message MUST cause authentication
// failure" (RFC 5802 section 5.1).
func checkSCRAMExtensions(attrs []scramAttr) (value string, ok bool) {
	for _, a := range attrs {
		if a.key == 'm' {
			return scramErrExtensions, false
		}
		if !isSCRAMValue(a.val) {
			return scramErrInvalidEncoding, false
		}
	}
	return "", true
}

// parseSCRAMIterations parses an iteration-count: posit-number, a decimal
// number without a leading zero (RFC 5802 section 7). It reports false
// for anything else and for a count above SCRAMMaxIterations.
func parseSCRAMIterations(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 8 || b[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= SCRAMMaxIterations
}

// scramGS2 is a parsed gs2-header (RFC 5802 section 7).
type scramGS2 struct {
	flag    byte   // 'n', 'y' or 'p'
	cbName  string // after "p=", when flag is 'p'
	authzid string // decoded, or empty
	header  []byte // the whole header with both commas, aliasing the input
}

// parseSCRAMGS2 parses the gs2-header at the start of a client-first
// message: gs2-cbind-flag "," [ authzid ] "," where the flag is "n", "y"
// or "p=" cb-name and authzid is "a=" saslname (RFC 5802 section 7). It
// returns the header and the client-first-message-bare after it.
func parseSCRAMGS2(msg []byte) (g scramGS2, bare []byte, value string, ok bool) {
	i := bytes.IndexByte(msg, ',')
	if i < 0 {
		return g, nil, scramErrOther, false
	}
	switch flag := msg[:i]; {
	case len(flag) == 1 && (flag[0] == 'n' || flag[0] == 'y'):
		g.flag = flag[0]
	case len(flag) > 2 && flag[0] == 'p' && flag[1] == '=' && isCBName(flag[2:]):
		g.flag, g.cbName = 'p', string(flag[2:])
	default:
		return g, nil, scramErrOther, false
	}
	rest := msg[i+1:]
	j := bytes.IndexByte(rest, ',')
	if j < 0 {
		return g, nil, scramErrOther, false
	}
	if az := rest[:j]; len(az) > 0 {
		if len(az) < 3 || az[0] != 'a' || az[1] != '=' {
			return g, nil, scramErrOther, false
		}
		name, ok := parseSASLName(az[2:])
		if !ok {
			return g, nil, scramErrInvalidUsernameEnc, false
		}
		g.authzid = name
	}
	g.header = msg[:i+1+j+1]
	return g, msg[len(g.header):], "", true
}

// appendSCRAMGS2 appends a gs2-header (RFC 5802 section 7). authzid must
// be prepared and is escaped here.
func appendSCRAMGS2(dst []byte, flag byte, cbName, authzid string) []byte {
	if flag == 'p' {
		dst = append(dst, "p="...)
		dst = append(dst, cbName...)
	} else {
		dst = append(dst, flag)
	}
	dst = append(dst, ',')
	if authzid != "" {
		dst = append(dst, "a="...)
		dst = appendSASLName(dst, authzid)
	}
	return append(dst, ',')
}

// appendSCRAMCBind appends the c= attribute value: the base64 of the
// gs2-header followed, for the "p" flag, by the channel-binding data (RFC
// 5802 section 7, cbind-input).
func appendSCRAMCBind(dst, header, cbData []byte) []byte {
	in := make([]byte, 0, len(header)+len(cbData))
	in = append(append(in, header...), cbData...)
	return scramB64.AppendEncode(dst, in)
}
