package wire

import (
	"bytes"
	"unicode/utf8"
)

// Params is the ESMTP parameter text of a MAIL, RCPT, VRFY or EXPN command:
// the part of the line after the path (or string) and its SP, such as
// "SIZE=1000 BODY=8BITMIME" (RFC 5321 section 4.1.2, Mail-parameters and
// Rcpt-parameters). Text aliases the command line and is never copied, so
// every value derived from a Params is valid until the line's buffer is
// reused. A Params is safe for concurrent readers.
type Params struct {
	// Text is the parameter list, without the CRLF. Trailing white space
	// is tolerated (RFC 5321 section 4.1.1).
	Text []byte
	// Offset is where Text starts in the command line, so that errors
	// carry line offsets.
	Offset int
}

// Param is one esmtp-param (RFC 5321 section 4.1.2). Keyword and Value alias
// the command line.
type Param struct {
	// Keyword is the esmtp-keyword as received, in its original case.
	Keyword []byte
	// Value is the esmtp-value, or nil when the parameter has none.
	Value []byte
	// HasValue reports whether the keyword was followed by "=".
	HasValue bool
	// Offset is the line offset of the keyword.
	Offset int
}

// valueOffset returns the line offset of the first octet of the value.
func (p Param) valueOffset() int { return p.Offset + len(p.Keyword) + 1 }

// ParamIter walks the parameters of a Params without a map or an allocation:
//
//	it := p.Iter()
//	for it.Next() {
//		prm := it.Param()
//	}
//	err := it.Err()
//
// The zero ParamIter yields nothing. A ParamIter is not safe for concurrent
// use.
type ParamIter struct {
	p   Params
	end int // len(Text) less trailing white space
	pos int
	cur Param
	err error
}

// Iter returns an iterator over the parameters of p.
func (p Params) Iter() ParamIter {
	return ParamIter{p: p, end: trimTrailingWSP(p.Text)}
}

// trimTrailingWSP returns the length of b without its trailing SP and HTAB
// octets: RFC 5321 section 4.1.1 asks receivers to tolerate trailing white
// space before the CRLF.
func trimTrailingWSP(b []byte) int {
	n := len(b)
	for n > 0 && (b[n-1] == ' ' || b[n-1] == '\t') {
		n--
	}
	return n
}

// Next advances to the next parameter and reports whether there is one. It
// returns false at the end of the list and on the first error, which Err
// then reports.
func (it *ParamIter) Next() bool {
	if it.err != nil || it.pos >= it.end {
		return false
	}
	text := it.p.Text[:it.end]
	start := it.pos
	if start > 0 {
		// Parameters are separated by exactly one SP (RFC 5321 4.1.2:
		// esmtp-param *(SP esmtp-param)).
		if text[start] != ' ' {
			return it.fail(start, "expected SP between parameters")
		}
		start++
		if start < len(text) && text[start] == ' ' {
			return it.fail(start, "more than one SP between parameters")
		}
	}
	// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") (RFC 5321 4.1.2).
	i := start
	if i >= len(text) || !isAlnum(text[i]) {
		if i < len(text) && text[i] == ' ' {
			return it.fail(i, "SP before parameter")
		}
		return it.fail(i, "esmtp-keyword must start with a letter or digit")
	}
	for i < len(text) && (isAlnum(text[i]) || text[i] == '-') {
		i++
	}
	prm := Param{Keyword: text[start:i], Offset: it.p.Offset + start}
	if i < len(text) && text[i] == '=' {
		i++
		vstart := i
		for i < len(text) && text[i] != ' ' {
			c := text[i]
			switch {
			case c == '=':
				// esmtp-value excludes "=" (RFC 5321 4.1.2).
				return it.fail(i, `"=" in esmtp-value`)
			case c >= 0x80:
				// RFC 6531 section 3.3 adds UTF8-non-ascii to
				// esmtp-value; whether it is allowed here is the
				// typed decoders' business.
				r, size := utf8.DecodeRune(text[i:])
				if r == utf8.RuneError && size <= 1 {
					return it.failWith(i, "invalid UTF-8 in esmtp-value", ErrInvalidUTF8)
				}
				i += size
				continue
			case c < 33 || c == 127:
				return it.fail(i, "control character in esmtp-value")
			}
			i++
		}
		if i == vstart {
			// esmtp-value = 1*(...) (RFC 5321 4.1.2).
			return it.fail(vstart, "empty esmtp-value")
		}
		prm.Value = text[vstart:i]
		prm.HasValue = true
	} else if i < len(text) && text[i] != ' ' {
		return it.fail(i, "invalid character in esmtp-keyword")
	}
	if dup := findKeyword(text[:start], prm.Keyword); dup >= 0 {
		return it.failWith(start, "parameter given twice", ErrDuplicateParam)
	}
	it.cur = prm
	it.pos = i
	return true
}

func (it *ParamIter) fail(pos int, reason string) bool {
	return it.failWith(pos, reason, ErrSyntax)
}

func (it *ParamIter) failWith(pos int, reason string, sentinel error) bool {
	elem := "esmtp-param"
	if sentinel == ErrDuplicateParam {
		elem = "esmtp-keyword"
	}
	it.err = errAt(elem, it.p.Offset+pos, "RFC 5321 4.1.2", reason, sentinel)
	it.cur = Param{}
	return false
}

// findKeyword returns the offset in prev (a prefix of the list that has
// already been validated) of a keyword equal to kw ignoring ASCII case, or
// -1. Keywords are compared without case (RFC 5321 section 2.4).
func findKeyword(prev, kw []byte) int {
	i := 0
	for i < len(prev) {
		if prev[i] == ' ' {
			i++
			continue
		}
		start := i
		for i < len(prev) && prev[i] != '=' && prev[i] != ' ' {
			i++
		}
		if equalFoldBytes(prev[start:i], kw) {
			return start
		}
		if sp := bytes.IndexByte(prev[i:], ' '); sp >= 0 {
			i += sp
		} else {
			i = len(prev)
		}
	}
	return -1
}

// Param returns the current parameter. Its slices alias the line.
func (it *ParamIter) Param() Param { return it.cur }

// Err returns the error that stopped the iteration, or nil. Grammar errors
// (RFC 5321 section 4.1.2) wrap ErrSyntax or ErrInvalidUTF8, a keyword
// given twice wraps ErrDuplicateParam; all are *SyntaxError with line
// offsets.
func (it *ParamIter) Err() error { return it.err }

// Validate checks the whole list: the esmtp-param grammar (RFC 5321 section
// 4.1.2), one SP between parameters, and no keyword given twice.
func (p Params) Validate() error {
	it := p.Iter()
	for it.Next() {
	}
	return it.Err()
}

// Lookup returns the first parameter whose keyword equals keyword, ignoring
// ASCII case. It stops at the first grammar error without reporting it (use
// Validate for that) and does not allocate.
func (p Params) Lookup(keyword string) (Param, bool) {
	it := p.Iter()
	for it.Next() {
		if equalFold(it.cur.Keyword, keyword) {
			return it.cur, true
		}
	}
	return Param{}, false
}

// Has reports whether a parameter named keyword is present, ignoring case.
func (p Params) Has(keyword string) bool {
	_, ok := p.Lookup(keyword)
	return ok
}

// IsEmpty reports whether p holds no parameter (nothing but white space).
func (p Params) IsEmpty() bool { return trimTrailingWSP(p.Text) == 0 }

// ParamKey names an ESMTP parameter this package knows. The zero value
// ParamUnknown stands for any other keyword.
type ParamKey uint8

// Known MAIL, RCPT, VRFY and EXPN parameters.
const (
	ParamUnknown    ParamKey = iota
	ParamSIZE                // RFC 1870
	ParamBODY                // RFC 6152, RFC 3030
	ParamSMTPUTF8            // RFC 6531
	ParamRET                 // RFC 3461
	ParamENVID               // RFC 3461
	ParamNOTIFY              // RFC 3461
	ParamORCPT               // RFC 3461, RFC 6533
	ParamAUTH                // RFC 4954
	ParamBY                  // RFC 2852
	ParamHOLDFOR             // RFC 4865
	ParamHOLDUNTIL           // RFC 4865
	ParamMTPRIORITY          // RFC 6710
	ParamMTRK                // RFC 3885
	ParamREQUIRETLS          // RFC 8689
	ParamRRVS                // RFC 7293
	ParamCONPERM             // RFC 4141
	ParamCONNEG              // RFC 4141
	ParamSOLICIT             // RFC 3865
	ParamTRANSID             // RFC 1845
	ParamSUBMITTER           // RFC 4405
	numParams
)

// Commands a parameter belongs to.
const (
	onMail = 1 << iota
	onRcpt
	onVrfy // VRFY and EXPN
)

var paramInfo = [numParams]struct {
	name string
	ext  Ext
	on   uint8
}{
	ParamUnknown:    {"UNKNOWN", ExtUnknown, 0},
	ParamSIZE:       {"SIZE", ExtSIZE, onMail},
	ParamBODY:       {"BODY", Ext8BITMIME, onMail},
	ParamSMTPUTF8:   {"SMTPUTF8", ExtSMTPUTF8, onMail | onVrfy}, // RFC 6531 3.1 items 4 and 6
	ParamRET:        {"RET", ExtDSN, onMail},
	ParamENVID:      {"ENVID", ExtDSN, onMail},
	ParamNOTIFY:     {"NOTIFY", ExtDSN, onRcpt},
	ParamORCPT:      {"ORCPT", ExtDSN, onRcpt},
	ParamAUTH:       {"AUTH", ExtAUTH, onMail},
	ParamBY:         {"BY", ExtDELIVERBY, onMail}, // a MAIL parameter (SPEC 7: go-smtp has it on RCPT)
	ParamHOLDFOR:    {"HOLDFOR", ExtFUTURERELEASE, onMail},
	ParamHOLDUNTIL:  {"HOLDUNTIL", ExtFUTURERELEASE, onMail},
	ParamMTPRIORITY: {"MT-PRIORITY", ExtMTPRIORITY, onMail}, // RFC 6710 3 item 5
	ParamMTRK:       {"MTRK", ExtMTRK, onMail},
	ParamREQUIRETLS: {"REQUIRETLS", ExtREQUIRETLS, onMail},
	ParamRRVS:       {"RRVS", ExtRRVS, onRcpt},
	ParamCONPERM:    {"CONPERM", ExtCONPERM, onMail},
	ParamCONNEG:     {"CONNEG", ExtCONNEG, onRcpt},
	ParamSOLICIT:    {"SOLICIT", ExtNOSOLICITING, onMail}, // RFC 3865 2.3
	ParamTRANSID:    {"TRANSID", ExtCHECKPOINT, onMail},
	ParamSUBMITTER:  {"SUBMITTER", ExtSUBMITTER, onMail},
}

// String returns the wire keyword of k, such as "MT-PRIORITY", or "UNKNOWN".
func (k ParamKey) String() string {
	if k < numParams {
		return paramInfo[k].name
	}
	return "UNKNOWN"
}

// Ext returns the extension that defines k. For ParamBODY, whose values
// come from two extensions, it is Ext8BITMIME; BODY=BINARYMIME needs
// ExtBINARYMIME and ExtCHUNKING instead (RFC 3030 section 3).
func (k ParamKey) Ext() Ext {
	if k < numParams {
		return paramInfo[k].ext
	}
	return ExtUnknown
}

// AllowedOn reports whether k is a parameter of the command v: VerbMAIL,
// VerbRCPT, or VerbVRFY and VerbEXPN, which take only SMTPUTF8 (RFC 6531
// section 3.1 item 6).
func (k ParamKey) AllowedOn(v Verb) bool {
	if k >= numParams {
		return false
	}
	on := paramInfo[k].on
	switch v {
	case VerbMAIL:
		return on&onMail != 0
	case VerbRCPT:
		return on&onRcpt != 0
	case VerbVRFY, VerbEXPN:
		return on&onVrfy != 0
	}
	return false
}

// LookupParam returns the parameter named keyword, ignoring ASCII case, or
// ParamUnknown. It does not allocate.
func LookupParam(keyword []byte) ParamKey {
	for k := ParamSIZE; k < numParams; k++ {
		if equalFold(keyword, paramInfo[k].name) {
			return k
		}
	}
	return ParamUnknown
}

// DecodeVrfyParams decodes the parameters of a VRFY or EXPN command, whose
// only parameter is SMTPUTF8 without a value (RFC 6531 section 3.1 item 6).
// It reports whether SMTPUTF8 was given.
func DecodeVrfyParams(p Params, enabled ExtSet) (smtputf8 bool, err error) {
	it := p.Iter()
	for it.Next() {
		prm := it.Param()
		if LookupParam(prm.Keyword) != ParamSMTPUTF8 {
			return false, unknownParam(prm)
		}
		if !enabled.Has(ExtSMTPUTF8) {
			return false, notAdvertised(prm)
		}
		if prm.HasValue {
			return false, noValueAllowed(prm, "RFC 6531 3.1")
		}
		smtputf8 = true
	}
	if err := it.Err(); err != nil {
		return false, err
	}
	return smtputf8, nil
}

// Errors shared by the typed decoders.

func unknownParam(prm Param) error {
	return errAt("esmtp-keyword", prm.Offset, "RFC 5321 4.1.1.11", "unknown parameter", ErrUnknownParam)
}

func notAdvertised(prm Param) error {
	return errAt("esmtp-keyword", prm.Offset, "RFC 5321 4.1.1.11", "parameter of an extension not in effect", ErrParamNotAdvertised)
}

func noValueAllowed(prm Param, rule string) error {
	return errAt("esmtp-value", prm.Offset+len(prm.Keyword), rule, "parameter takes no value", ErrBadParamValue)
}

func valueRequired(prm Param, rule string) error {
	return errAt("esmtp-value", prm.Offset+len(prm.Keyword), rule, "parameter needs a value", ErrBadParamValue)
}

// badValue reports a value error at offset i within prm's value.
func badValue(prm Param, i int, element, rule, reason string) error {
	return errAt(element, prm.valueOffset()+i, rule, reason, ErrBadParamValue)
}

// checkASCII refuses non-ASCII octets in a value unless SMTPUTF8 is in
// effect: RFC 6531 section 3.3 adds UTF8-non-ascii to esmtp-value only for
// SMTPUTF8 sessions.
func checkASCII(prm Param, enabled ExtSet) error {
	if enabled.Has(ExtSMTPUTF8) {
		return nil
	}
	for i, c := range prm.Value {
		if c >= 0x80 {
			return errAt("esmtp-value", prm.valueOffset()+i, "RFC 6531 3.3", "non-ASCII esmtp-value without SMTPUTF8", ErrUTF8NotAllowed)
		}
	}
	return nil
}

// checkForbidden reports the first CR, LF or NUL in a field handed to a
// serializer: writing it would inject a command.
func checkForbidden(element string, b []byte) error {
	if i := indexForbidden(b); i >= 0 {
		return errAt(element, i, "RFC 5321 2.3.8", "CR, LF or NUL in a parameter value", ErrForbiddenByte)
	}
	return nil
}

// parseDigits parses 1 to maxDigits decimal digits filling all of b. It
// reports false for an empty b, a non-digit, too many digits or uint64
// overflow.
func parseDigits(b []byte, maxDigits int) (uint64, bool) {
	if len(b) == 0 || len(b) > maxDigits {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseSize parses a size-value (RFC 1870 section 3: 1*20DIGIT) into a
// uint64, refusing values past 2^64-1.
func parseSize(v []byte) (uint64, int, string) {
	for i, c := range v {
		if !isDigit(c) {
			return 0, i, "size-value must be digits"
		}
	}
	if len(v) > maxSizeDigs {
		return 0, maxSizeDigs, "size-value longer than 20 digits"
	}
	n, ok := parseDigits(v, maxSizeDigs)
	if !ok {
		return 0, 0, "size-value exceeds 2^64-1"
	}
	return n, -1, ""
}

// parsePriority parses a priority-value: ( ["-"] NZDIGIT ) / "0" (RFC 6710
// section 7), so "+3", "-0" and "03" are refused.
func parsePriority(v []byte) (int8, bool) {
	switch {
	case len(v) == 1 && isDigit(v[0]):
		return int8(v[0] - '0'), true
	case len(v) == 2 && v[0] == '-' && v[1] >= '1' && v[1] <= '9':
		return -int8(v[1] - '0'), true
	}
	return 0, false
}

// checkSolicit validates Solicitation-keywords = word *("," word), word =
// ALPHA *("." / "-" / "_" / ":" / ALPHA / DIGIT) (RFC 3865 section 2.2).
func checkSolicit(v []byte) (int, string) {
	word := 0 // length of the current word
	for i, c := range v {
		switch {
		case c == ',':
			if word == 0 {
				return i, "empty solicitation keyword"
			}
			word = 0
		case word == 0 && !isAlpha(c):
			return i, "solicitation keyword must start with a letter"
		case isAlnum(c) || c == '.' || c == '-' || c == '_' || c == ':':
			word++
		default:
			return i, "character not allowed in a solicitation keyword"
		}
	}
	if word == 0 {
		return len(v), "empty solicitation keyword"
	}
	return -1, ""
}

// checkTransID validates a TRANSID value: "<" local-part "@" domain ">"
// (RFC 1845), checked shallowly: both parts non-empty, no inner brackets.
func checkTransID(v []byte) (int, string) {
	if len(v) < 2 || v[0] != '<' || v[len(v)-1] != '>' {
		return 0, `TRANSID must be enclosed in "<" and ">"`
	}
	inner := v[1 : len(v)-1]
	if i := bytes.IndexAny(inner, "<>"); i >= 0 {
		return i + 1, "angle bracket inside TRANSID"
	}
	at := bytes.LastIndexByte(inner, '@')
	if at <= 0 || at == len(inner)-1 {
		return 1, `TRANSID must be local-part "@" domain`
	}
	return -1, ""
}
