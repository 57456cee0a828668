package wire

// Verb is an SMTP command verb. Verbs are case-insensitive on the wire (RFC
// 5321 section 2.4); the zero value VerbUnknown stands for any verb this
// package does not know.
type Verb uint8

// Known verbs: RFC 5321 core commands, extension commands, Postfix's XCLIENT
// and XFORWARD, and the historic RFC 821 verbs (recognised so a server can
// answer 502 rather than 500, RFC 5321 section 4.2.4).
const (
	VerbUnknown  Verb = iota
	VerbHELO          // RFC 5321 4.1.1.1
	VerbEHLO          // RFC 5321 4.1.1.1
	VerbLHLO          // RFC 2033 4.1 (LMTP)
	VerbMAIL          // RFC 5321 4.1.1.2
	VerbRCPT          // RFC 5321 4.1.1.3
	VerbDATA          // RFC 5321 4.1.1.4
	VerbBDAT          // RFC 3030 2 (CHUNKING)
	VerbRSET          // RFC 5321 4.1.1.5
	VerbVRFY          // RFC 5321 4.1.1.6
	VerbEXPN          // RFC 5321 4.1.1.7
	VerbHELP          // RFC 5321 4.1.1.8
	VerbNOOP          // RFC 5321 4.1.1.9
	VerbQUIT          // RFC 5321 4.1.1.10
	VerbSTARTTLS      // RFC 3207 4
	VerbAUTH          // RFC 4954 4
	VerbETRN          // RFC 1985 3
	VerbATRN          // RFC 2645 4
	VerbBURL          // RFC 4468 3
	VerbXCLIENT       // Postfix XCLIENT_README
	VerbXFORWARD      // Postfix XFORWARD_README
	VerbSEND          // RFC 821, historic
	VerbSOML          // RFC 821, historic
	VerbSAML          // RFC 821, historic
	VerbTURN          // RFC 821, historic
	numVerbs
)

var verbNames = [numVerbs]string{
	VerbUnknown:  "UNKNOWN",
	VerbHELO:     "HELO",
	VerbEHLO:     "EHLO",
	VerbLHLO:     "LHLO",
	VerbMAIL:     "MAIL",
	VerbRCPT:     "RCPT",
	VerbDATA:     "DATA",
	VerbBDAT:     "BDAT",
	VerbRSET:     "RSET",
	VerbVRFY:     "VRFY",
	VerbEXPN:     "EXPN",
	VerbHELP:     "HELP",
	VerbNOOP:     "NOOP",
	VerbQUIT:     "QUIT",
	VerbSTARTTLS: "STARTTLS",
	VerbAUTH:     "AUTH",
	VerbETRN:     "ETRN",
	VerbATRN:     "ATRN",
	VerbBURL:     "BURL",
	VerbXCLIENT:  "XCLIENT",
	VerbXFORWARD: "XFORWARD",
	VerbSEND:     "SEND",
	VerbSOML:     "SOML",
	VerbSAML:     "SAML",
	VerbTURN:     "TURN",
}

// String returns the verb in upper case, or "UNKNOWN".
func (v Verb) String() string {
	if v < numVerbs {
		return verbNames[v]
	}
	return "UNKNOWN"
}

// IsHistoric reports whether v is one of the RFC 821 verbs that RFC 2821
// deprecated (SEND, SOML, SAML, TURN): recognised, never implemented.
func (v Verb) IsHistoric() bool {
	return v >= VerbSEND && v <= VerbTURN
}

// Verbs returns every known verb, VerbHELO first, in declaration order. It is
// meant for tables and tests that walk all verbs.
func Verbs() []Verb {
	vs := make([]Verb, 0, numVerbs-1)
	for v := VerbHELO; v < numVerbs; v++ {
		vs = append(vs, v)
	}
	return vs
}

// verbKeys maps the packed upper-case name of each verb to the verb.
var verbKeys = func() map[uint64]Verb {
	m := make(map[uint64]Verb, numVerbs)
	for v := VerbHELO; v < numVerbs; v++ {
		k, _ := packUpper([]byte(verbNames[v]))
		m[k] = v
	}
	return m
}()

// LookupVerb returns the verb named name, ignoring ASCII case, or VerbUnknown.
// It does not allocate.
func LookupVerb(name []byte) Verb {
	k, ok := packUpper(name)
	if !ok {
		return VerbUnknown
	}
	return verbKeys[k]
}

// packUpper packs up to eight ASCII letters, upper-cased, into a uint64. It
// reports false for longer names or any byte that is not a letter, so such
// names never match a verb.
func packUpper(name []byte) (uint64, bool) {
	if len(name) == 0 || len(name) > 8 {
		return 0, false
	}
	var k uint64
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z':
		default:
			return 0, false
		}
		k = k<<8 | uint64(c)
	}
	return k, true
}
