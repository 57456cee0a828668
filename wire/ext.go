package wire

import "strings"

// Ext is an SMTP service extension, named by its EHLO keyword (RFC 5321
// section 2.2.2; IANA "SMTP Service Extensions" registry). The zero value
// ExtUnknown stands for any keyword this package does not know.
type Ext uint8

// Registered extensions that a server or client meets.
const (
	ExtUnknown             Ext = iota
	ExtPIPELINING              // RFC 2920
	ExtSIZE                    // RFC 1870
	Ext8BITMIME                // RFC 6152
	ExtSMTPUTF8                // RFC 6531
	ExtCHUNKING                // RFC 3030 (BDAT)
	ExtBINARYMIME              // RFC 3030
	ExtDSN                     // RFC 3461
	ExtENHANCEDSTATUSCODES     // RFC 2034
	ExtSTARTTLS                // RFC 3207
	ExtAUTH                    // RFC 4954
	ExtREQUIRETLS              // RFC 8689
	ExtMTPRIORITY              // RFC 6710 (MT-PRIORITY)
	ExtDELIVERBY               // RFC 2852
	ExtFUTURERELEASE           // RFC 4865
	ExtLIMITS                  // RFC 9422
	ExtRRVS                    // RFC 7293
	ExtXCLIENT                 // Postfix XCLIENT_README
	ExtXFORWARD                // Postfix XFORWARD_README
	ExtETRN                    // RFC 1985
	ExtATRN                    // RFC 2645
	ExtBURL                    // RFC 4468
	ExtHELP                    // RFC 5321 4.1.1.8
	ExtEXPN                    // RFC 5321 4.1.1.7
	ExtCHECKPOINT              // RFC 1845 (TRANSID)
	ExtNOSOLICITING            // RFC 3865 (NO-SOLICITING)
	ExtMTRK                    // RFC 3885
	ExtCONPERM                 // RFC 4141
	ExtCONNEG                  // RFC 4141
	ExtSUBMITTER               // RFC 4405 (deprecated)
	ExtUTF8SMTP                // RFC 5336 (deprecated by RFC 6531)
	ExtVERB                    // Sendmail private
	ExtONEX                    // Sendmail private
	ExtSEND                    // RFC 821, historic
	ExtSOML                    // RFC 821, historic
	ExtSAML                    // RFC 821, historic
	ExtTURN                    // RFC 821, historic
	numExts
)

var extNames = [numExts]string{
	ExtUnknown:             "UNKNOWN",
	ExtPIPELINING:          "PIPELINING",
	ExtSIZE:                "SIZE",
	Ext8BITMIME:            "8BITMIME",
	ExtSMTPUTF8:            "SMTPUTF8",
	ExtCHUNKING:            "CHUNKING",
	ExtBINARYMIME:          "BINARYMIME",
	ExtDSN:                 "DSN",
	ExtENHANCEDSTATUSCODES: "ENHANCEDSTATUSCODES",
	ExtSTARTTLS:            "STARTTLS",
	ExtAUTH:                "AUTH",
	ExtREQUIRETLS:          "REQUIRETLS",
	ExtMTPRIORITY:          "MT-PRIORITY",
	ExtDELIVERBY:           "DELIVERBY",
	ExtFUTURERELEASE:       "FUTURERELEASE",
	ExtLIMITS:              "LIMITS",
	ExtRRVS:                "RRVS",
	ExtXCLIENT:             "XCLIENT",
	ExtXFORWARD:            "XFORWARD",
	ExtETRN:                "ETRN",
	ExtATRN:                "ATRN",
	ExtBURL:                "BURL",
	ExtHELP:                "HELP",
	ExtEXPN:                "EXPN",
	ExtCHECKPOINT:          "CHECKPOINT",
	ExtNOSOLICITING:        "NO-SOLICITING",
	ExtMTRK:                "MTRK",
	ExtCONPERM:             "CONPERM",
	ExtCONNEG:              "CONNEG",
	ExtSUBMITTER:           "SUBMITTER",
	ExtUTF8SMTP:            "UTF8SMTP",
	ExtVERB:                "VERB",
	ExtONEX:                "ONEX",
	ExtSEND:                "SEND",
	ExtSOML:                "SOML",
	ExtSAML:                "SAML",
	ExtTURN:                "TURN",
}

// String returns the EHLO keyword of e, or "UNKNOWN".
func (e Ext) String() string {
	if e < numExts {
		return extNames[e]
	}
	return "UNKNOWN"
}

// Exts returns every known extension in declaration order, ExtPIPELINING
// first.
func Exts() []Ext {
	es := make([]Ext, 0, numExts-1)
	for e := ExtPIPELINING; e < numExts; e++ {
		es = append(es, e)
	}
	return es
}

// maxKeywordLen is the length of the longest known keyword
// (ENHANCEDSTATUSCODES).
const maxKeywordLen = 19

var extKeys = func() map[string]Ext {
	m := make(map[string]Ext, numExts)
	for e := ExtPIPELINING; e < numExts; e++ {
		m[extNames[e]] = e
	}
	return m
}()

// LookupExt returns the extension whose EHLO keyword is keyword, ignoring
// ASCII case (RFC 5321 section 2.4), or ExtUnknown. It does not allocate.
func LookupExt(keyword []byte) Ext {
	if len(keyword) == 0 || len(keyword) > maxKeywordLen {
		return ExtUnknown
	}
	var buf [maxKeywordLen]byte
	for i, c := range keyword {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return extKeys[string(buf[:len(keyword)])]
}

// ExtSet is a set of extensions, for example those a server advertises or
// those in effect for a session. The zero value is the empty set.
type ExtSet uint64

// NewExtSet returns the set holding exts.
func NewExtSet(exts ...Ext) ExtSet {
	var s ExtSet
	for _, e := range exts {
		s = s.With(e)
	}
	return s
}

// Has reports whether e is in s. ExtUnknown is never in a set.
func (s ExtSet) Has(e Ext) bool {
	return e != ExtUnknown && e < numExts && s&(1<<e) != 0
}

// With returns s with e added.
func (s ExtSet) With(e Ext) ExtSet {
	if e == ExtUnknown || e >= numExts {
		return s
	}
	return s | 1<<e
}

// Without returns s with e removed.
func (s ExtSet) Without(e Ext) ExtSet {
	if e >= numExts {
		return s
	}
	return s &^ (1 << e)
}

// String lists the keywords in s, space-separated, in declaration order.
func (s ExtSet) String() string {
	var b strings.Builder
	for e := ExtPIPELINING; e < numExts; e++ {
		if s.Has(e) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(extNames[e])
		}
	}
	return b.String()
}
