package wire

import (
	"bytes"
	"strconv"
	"time"
)

// BodyType is the value of the MAIL parameter BODY. The zero value BodyNone
// means the parameter was not given.
type BodyType uint8

// BODY values: 7BIT and 8BITMIME (RFC 6152 section 2), BINARYMIME (RFC
// 3030 section 3).
const (
	BodyNone BodyType = iota
	Body7Bit
	Body8BitMIME
	BodyBinaryMIME
	numBodyTypes
)

var bodyNames = [numBodyTypes]string{"", "7BIT", "8BITMIME", "BINARYMIME"}

// String returns the wire value, such as "8BITMIME", or "" for BodyNone and
// unknown values.
func (b BodyType) String() string {
	if b < numBodyTypes {
		return bodyNames[b]
	}
	return ""
}

// DSNReturn is the value of the MAIL parameter RET (RFC 3461 section 4.3).
// The zero value RetNone means the parameter was not given.
type DSNReturn uint8

// RET values.
const (
	RetNone DSNReturn = iota
	RetFull
	RetHdrs
	numRets
)

var retNames = [numRets]string{"", "FULL", "HDRS"}

// String returns "FULL", "HDRS", or "" for RetNone and unknown values.
func (r DSNReturn) String() string {
	if r < numRets {
		return retNames[r]
	}
	return ""
}

// DeliverBy is the value of the MAIL parameter BY (RFC 2852):
// by-time ";" by-mode [by-trace].
type DeliverBy struct {
	// Time is the by-time in seconds, -999999999 to 999999999; with
	// mode R it must be positive.
	Time int64
	// Mode is 'R' (return the message if it is not delivered in time)
	// or 'N' (notify).
	Mode byte
	// Trace reports the by-trace modifier "T".
	Trace bool
}

// MTRK is the value of the MAIL parameter MTRK (RFC 3885):
// certifier [":" timeout]. It is present when Certifier is not nil.
type MTRK struct {
	// Certifier is the xtext as sent; it aliases the line.
	Certifier []byte
	// Timeout is the timeout in seconds (1 to 9 digits) when HasTimeout.
	Timeout    uint32
	HasTimeout bool
}

// MailParams holds the decoded parameters of a MAIL command. Slices alias
// the command line (or whatever the caller stored in them) and are nil when
// the parameter is absent.
type MailParams struct {
	Size    uint64 // RFC 1870 size-value, when HasSize
	HasSize bool
	Body    BodyType
	// SMTPUTF8 reports the SMTPUTF8 parameter (RFC 6531 section 3.4).
	SMTPUTF8 bool
	Ret      DSNReturn
	// EnvID is the ENVID xtext as sent; decode it with DecodeXtext.
	EnvID []byte
	// Auth is the AUTH xtext as sent, a mailbox or "<>" once decoded
	// with DecodeXtext (RFC 4954 section 5).
	Auth  []byte
	By    DeliverBy
	HasBy bool
	// HoldFor (seconds, when HasHoldFor) and HoldUntil (UTC, zero when
	// absent) are mutually exclusive (RFC 4865).
	HoldFor       uint64
	HasHoldFor    bool
	HoldUntil     time.Time
	MTPriority    int8 // -9..9 (RFC 6710 section 7), when HasMTPriority
	HasMTPriority bool
	MTRK          MTRK
	RequireTLS    bool // RFC 8689
	ConPerm       bool // RFC 4141
	// Solicit is the comma-separated list of solicitation class keywords
	// (RFC 3865 section 2.3) as sent.
	Solicit []byte
	// TransID is the TRANSID value as sent, angle brackets included
	// (RFC 1845).
	TransID []byte
	// Submitter is the SUBMITTER xtext as sent (RFC 4405).
	Submitter []byte
}

// Limits on values.
const (
	maxEnvID    = 100  // RFC 3461 4.4: "up to 100 characters"
	maxSolicit  = 1000 // RFC 3865 2.2: "<= 1000 characters"
	max9Digits  = 999999999
	maxSizeDigs = 20 // RFC 1870 3: size-value ::= 1*20DIGIT
)

// DecodeMailParams decodes p, the parameters of a MAIL command. enabled is
// the set of extensions in effect, normally those the server advertised.
//
// A keyword that is not known, or not a MAIL parameter, gives
// ErrUnknownParam; a known keyword whose extension is not in enabled gives
// ErrParamNotAdvertised (both 555, RFC 5321 section 4.1.1.11). BODY=8BITMIME
// needs Ext8BITMIME, BODY=BINARYMIME needs ExtBINARYMIME and ExtCHUNKING,
// BODY=7BIT either. Values that break their extension's grammar give
// ErrBadParamValue, values over a length limit ErrTooLong, non-ASCII
// values without SMTPUTF8 ErrUTF8NotAllowed, and a parameter given twice
// ErrDuplicateParam. Every error is a *SyntaxError carrying a line offset.
// The result aliases p.Text; DecodeMailParams does not allocate.
func DecodeMailParams(p Params, enabled ExtSet) (MailParams, error) {
	var m MailParams
	it := p.Iter()
	for it.Next() {
		if err := m.decode(it.Param(), enabled); err != nil {
			return MailParams{}, err
		}
	}
	if err := it.Err(); err != nil {
		return MailParams{}, err
	}
	return m, nil
}

func (m *MailParams) decode(prm Param, enabled ExtSet) error {
	k := LookupParam(prm.Keyword)
	if !k.AllowedOn(VerbMAIL) {
		return unknownParam(prm)
	}
	if k != ParamBODY && !enabled.Has(k.Ext()) {
		return notAdvertised(prm)
	}
	if err := checkASCII(prm, enabled); err != nil {
		return err
	}
	v := prm.Value
	switch k {
	case ParamSMTPUTF8, ParamREQUIRETLS, ParamCONPERM:
		if prm.HasValue {
			// RFC 6531 3.4: SMTPUTF8 "MUST not accept a value";
			// REQUIRETLS (RFC 8689) and CONPERM (RFC 4141) have none.
			return noValueAllowed(prm, flagRule[k])
		}
		switch k {
		case ParamSMTPUTF8:
			m.SMTPUTF8 = true
		case ParamREQUIRETLS:
			m.RequireTLS = true
		default:
			m.ConPerm = true
		}
		return nil
	}
	if !prm.HasValue {
		return valueRequired(prm, valueRule[k])
	}
	switch k {
	case ParamSIZE:
		n, bad, reason := parseSize(v)
		if bad >= 0 {
			return badValue(prm, bad, "size-value", "RFC 1870 3", reason)
		}
		m.Size, m.HasSize = n, true
	case ParamBODY:
		return m.decodeBody(prm, enabled)
	case ParamRET:
		switch {
		case equalFold(v, "FULL"): // any case (RFC 3461 4.3)
			m.Ret = RetFull
		case equalFold(v, "HDRS"):
			m.Ret = RetHdrs
		default:
			return badValue(prm, 0, "ret-value", "RFC 3461 4.3", `RET must be "FULL" or "HDRS"`)
		}
	case ParamENVID:
		if len(v) > maxEnvID {
			return errAt("envid-parameter", prm.valueOffset()+maxEnvID, "RFC 3461 4.4", "ENVID longer than 100 characters", ErrTooLong)
		}
		if bad, reason := checkEnvID(v); bad >= 0 {
			return badValue(prm, bad, "envid-parameter", "RFC 3461 4.4", reason)
		}
		m.EnvID = v
	case ParamAUTH:
		if bad, reason := checkMailboxXtext(v, true); bad >= 0 {
			return badValue(prm, bad, "auth-param", "RFC 4954 8", reason)
		}
		m.Auth = v
	case ParamBY:
		by, bad, reason := parseBy(v)
		if bad >= 0 {
			return badValue(prm, bad, "by-value", "RFC 2852 4", reason)
		}
		m.By, m.HasBy = by, true
	case ParamHOLDFOR:
		if !m.HoldUntil.IsZero() {
			return errAt("holdfor-param", prm.Offset, "RFC 4865", "HOLDFOR and HOLDUNTIL are mutually exclusive", ErrBadParamValue)
		}
		n, ok := parseDigits(v, 9)
		if !ok {
			return badValue(prm, 0, "holdfor-value", "RFC 4865", "HOLDFOR must be 1 to 9 digits")
		}
		m.HoldFor, m.HasHoldFor = n, true
	case ParamHOLDUNTIL:
		if m.HasHoldFor {
			return errAt("holduntil-param", prm.Offset, "RFC 4865", "HOLDFOR and HOLDUNTIL are mutually exclusive", ErrBadParamValue)
		}
		t, bad, reason := parseDateTime(v)
		if bad >= 0 {
			return badValue(prm, bad, "date-time", "RFC 3339 5.6", reason)
		}
		m.HoldUntil = t
	case ParamMTPRIORITY:
		n, ok := parsePriority(v)
		if !ok {
			return badValue(prm, 0, "priority-value", "RFC 6710 7", "MT-PRIORITY must be an integer from -9 to 9")
		}
		m.MTPriority, m.HasMTPriority = n, true
	case ParamMTRK:
		t, bad, reason := parseMTRK(v)
		if bad >= 0 {
			return badValue(prm, bad, "mtrk-param", "RFC 3885", reason)
		}
		m.MTRK = t
	case ParamSOLICIT:
		if len(v) > maxSolicit {
			return errAt("Solicitation-keywords", prm.valueOffset()+maxSolicit, "RFC 3865 2.2", "solicitation keywords longer than 1000 characters", ErrTooLong)
		}
		if bad, reason := checkSolicit(v); bad >= 0 {
			return badValue(prm, bad, "Solicitation-keywords", "RFC 3865 2.2", reason)
		}
		m.Solicit = v
	case ParamTRANSID:
		if bad, reason := checkTransID(v); bad >= 0 {
			return badValue(prm, bad, "transid-spec", "RFC 1845", reason)
		}
		m.TransID = v
	case ParamSUBMITTER:
		if bad, reason := checkMailboxXtext(v, false); bad >= 0 {
			return badValue(prm, bad, "submitter-param", "RFC 4405", reason)
		}
		m.Submitter = v
	}
	return nil
}

// Rules cited when a value is missing or given where none is allowed.
var (
	flagRule = [numParams]string{
		ParamSMTPUTF8: "RFC 6531 3.4", ParamREQUIRETLS: "RFC 8689", ParamCONPERM: "RFC 4141", ParamCONNEG: "RFC 4141",
	}
	valueRule = [numParams]string{
		ParamSIZE: "RFC 1870 3", ParamBODY: "RFC 6152 2", ParamRET: "RFC 3461 4.3", ParamENVID: "RFC 3461 4.4",
		ParamAUTH: "RFC 4954 5", ParamBY: "RFC 2852 4", ParamHOLDFOR: "RFC 4865", ParamHOLDUNTIL: "RFC 4865",
		ParamMTPRIORITY: "RFC 6710 3", ParamMTRK: "RFC 3885", ParamSOLICIT: "RFC 3865 2.3",
		ParamTRANSID: "RFC 1845", ParamSUBMITTER: "RFC 4405", ParamNOTIFY: "RFC 3461 4.1",
		ParamORCPT: "RFC 3461 4.2", ParamRRVS: "RFC 7293",
	}
)

func (m *MailParams) decodeBody(prm Param, enabled ExtSet) error {
	has8, hasBin := enabled.Has(Ext8BITMIME), enabled.Has(ExtBINARYMIME)
	if !has8 && !hasBin {
		return notAdvertised(prm)
	}
	v := prm.Value
	switch {
	case equalFold(v, "7BIT"):
		m.Body = Body7Bit
	case equalFold(v, "8BITMIME"):
		if !has8 {
			return notAdvertised(prm)
		}
		m.Body = Body8BitMIME
	case equalFold(v, "BINARYMIME"):
		// RFC 3030 3 item 3: BINARYMIME "can only be used with" CHUNKING.
		if !hasBin || !enabled.Has(ExtCHUNKING) {
			return notAdvertised(prm)
		}
		m.Body = BodyBinaryMIME
	default:
		return badValue(prm, 0, "body-value", "RFC 3030 3", `BODY must be "7BIT", "8BITMIME" or "BINARYMIME"`)
	}
	return nil
}

// parseBy parses a by-value (RFC 2852): by-time ";" by-mode [by-trace], with
// by-time = ["-" / "+"] 1*9DIGIT, by-mode = "N" / "R", by-trace = "T"
// (letters in any case). With mode R the by-time must be positive.
func parseBy(v []byte) (DeliverBy, int, string) {
	semi := bytes.IndexByte(v, ';')
	if semi < 0 {
		return DeliverBy{}, len(v), `missing ";" after by-time`
	}
	t, neg := v[:semi], false
	if len(t) > 0 && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	n, ok := parseDigits(t, 9)
	if !ok {
		return DeliverBy{}, 0, "by-time must be an optional sign and 1 to 9 digits"
	}
	by := DeliverBy{Time: int64(n)}
	if neg {
		by.Time = -by.Time
	}
	rest := v[semi+1:]
	if len(rest) == 0 {
		return DeliverBy{}, semi + 1, "missing by-mode"
	}
	by.Mode = upper(rest[0])
	if by.Mode != 'R' && by.Mode != 'N' {
		return DeliverBy{}, semi + 1, `by-mode must be "R" or "N"`
	}
	switch {
	case len(rest) == 2 && upper(rest[1]) == 'T':
		by.Trace = true
	case len(rest) >= 2:
		return DeliverBy{}, semi + 2, `by-trace must be "T" and end the value`
	}
	if by.Mode == 'R' && by.Time <= 0 {
		return DeliverBy{}, 0, "by-mode R needs a positive by-time"
	}
	return by, -1, ""
}

// parseMTRK parses certifier [":" timeout] (RFC 3885). The certifier is
// xtext, which may itself hold ":", so a timeout is recognised only as 1 to
// 9 digits after the last ":".
func parseMTRK(v []byte) (MTRK, int, string) {
	t := MTRK{Certifier: v}
	if c := bytes.LastIndexByte(v, ':'); c >= 0 {
		if n, ok := parseDigits(v[c+1:], 9); ok {
			t = MTRK{Certifier: v[:c], Timeout: uint32(n), HasTimeout: true}
		}
	}
	if len(t.Certifier) == 0 {
		return MTRK{}, 0, "empty MTRK certifier"
	}
	if bad, reason := checkXtext(t.Certifier); bad >= 0 {
		return MTRK{}, bad, reason
	}
	return t, -1, ""
}

// Needs returns the extensions these parameters require. A client must not
// send a parameter the server did not advertise (RFC 5321 section
// 4.1.1.3), so it checks Needs against the EHLO keywords. BODY=7BIT is
// reported as needing Ext8BITMIME, although ExtBINARYMIME also allows it.
func (m MailParams) Needs() ExtSet {
	var s ExtSet
	if m.HasSize {
		s = s.With(ExtSIZE)
	}
	switch m.Body {
	case Body7Bit, Body8BitMIME:
		s = s.With(Ext8BITMIME)
	case BodyBinaryMIME:
		s = s.With(ExtBINARYMIME).With(ExtCHUNKING)
	}
	if m.SMTPUTF8 {
		s = s.With(ExtSMTPUTF8)
	}
	if m.Ret != RetNone || m.EnvID != nil {
		s = s.With(ExtDSN)
	}
	if m.Auth != nil {
		s = s.With(ExtAUTH)
	}
	if m.HasBy {
		s = s.With(ExtDELIVERBY)
	}
	if m.HasHoldFor || !m.HoldUntil.IsZero() {
		s = s.With(ExtFUTURERELEASE)
	}
	if m.HasMTPriority {
		s = s.With(ExtMTPRIORITY)
	}
	if m.MTRK.Certifier != nil {
		s = s.With(ExtMTRK)
	}
	if m.RequireTLS {
		s = s.With(ExtREQUIRETLS)
	}
	if m.ConPerm {
		s = s.With(ExtCONPERM)
	}
	if m.Solicit != nil {
		s = s.With(ExtNOSOLICITING)
	}
	if m.TransID != nil {
		s = s.With(ExtCHECKPOINT)
	}
	if m.Submitter != nil {
		s = s.With(ExtSUBMITTER)
	}
	return s
}

// AppendMailParams appends " KEYWORD=value" to dst for each parameter set
// in m, in the order SIZE BODY SMTPUTF8 RET ENVID AUTH BY HOLDFOR HOLDUNTIL
// MT-PRIORITY MTRK REQUIRETLS CONPERM SOLICIT TRANSID SUBMITTER. Values are
// validated as DecodeMailParams would: CR, LF or NUL in a field gives
// ErrForbiddenByte, other bad values ErrBadParamValue or ErrTooLong, and
// the error's offset counts from the start of the offending field. On error
// dst is returned unchanged. With enough capacity in dst it does not
// allocate.
func AppendMailParams(dst []byte, m MailParams) ([]byte, error) {
	out, err := m.appendTo(dst)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func (m *MailParams) appendTo(dst []byte) ([]byte, error) {
	if m.HasSize {
		dst = strconv.AppendUint(append(dst, " SIZE="...), m.Size, 10)
	}
	if m.Body != BodyNone {
		if m.Body >= numBodyTypes {
			return dst, errAt("BODY", 0, "RFC 3030 3", "unknown BodyType", ErrBadParamValue)
		}
		dst = append(append(dst, " BODY="...), bodyNames[m.Body]...)
	}
	if m.SMTPUTF8 {
		dst = append(dst, " SMTPUTF8"...)
	}
	if m.Ret != RetNone {
		if m.Ret >= numRets {
			return dst, errAt("RET", 0, "RFC 3461 4.3", "unknown DSNReturn", ErrBadParamValue)
		}
		dst = append(append(dst, " RET="...), retNames[m.Ret]...)
	}
	var err error
	if m.EnvID != nil {
		if dst, err = appendChecked(dst, " ENVID=", "ENVID", m.EnvID, "RFC 3461 4.4", maxEnvID, checkEnvID); err != nil {
			return dst, err
		}
	}
	if m.Auth != nil {
		if dst, err = appendChecked(dst, " AUTH=", "AUTH", m.Auth, "RFC 4954 8", 0, checkAuth); err != nil {
			return dst, err
		}
	}
	if m.HasBy {
		b := m.By
		if b.Time < -max9Digits || b.Time > max9Digits || (b.Mode != 'R' && b.Mode != 'N') || (b.Mode == 'R' && b.Time <= 0) {
			return dst, errAt("BY", 0, "RFC 2852 4", "by-time out of range or bad by-mode", ErrBadParamValue)
		}
		dst = append(strconv.AppendInt(append(dst, " BY="...), b.Time, 10), ';', b.Mode)
		if b.Trace {
			dst = append(dst, 'T')
		}
	}
	if m.HasHoldFor && !m.HoldUntil.IsZero() {
		return dst, errAt("HOLDFOR", 0, "RFC 4865", "HOLDFOR and HOLDUNTIL are mutually exclusive", ErrBadParamValue)
	}
	if m.HasHoldFor {
		if m.HoldFor > max9Digits {
			return dst, errAt("HOLDFOR", 0, "RFC 4865", "HOLDFOR over 9 digits", ErrBadParamValue)
		}
		dst = strconv.AppendUint(append(dst, " HOLDFOR="...), m.HoldFor, 10)
	}
	if !m.HoldUntil.IsZero() {
		var ok bool
		if dst, ok = appendDateTime(append(dst, " HOLDUNTIL="...), m.HoldUntil); !ok {
			return dst, errAt("HOLDUNTIL", 0, "RFC 3339 5.6", "date-time not representable", ErrBadParamValue)
		}
	}
	if m.HasMTPriority {
		if m.MTPriority < -9 || m.MTPriority > 9 {
			return dst, errAt("MT-PRIORITY", 0, "RFC 6710 7", "MT-PRIORITY must be from -9 to 9", ErrBadParamValue)
		}
		dst = strconv.AppendInt(append(dst, " MT-PRIORITY="...), int64(m.MTPriority), 10)
	}
	if dst, err = m.MTRK.appendTo(dst); err != nil {
		return dst, err
	}
	if m.RequireTLS {
		dst = append(dst, " REQUIRETLS"...)
	}
	if m.ConPerm {
		dst = append(dst, " CONPERM"...)
	}
	if m.Solicit != nil {
		if dst, err = appendChecked(dst, " SOLICIT=", "SOLICIT", m.Solicit, "RFC 3865 2.2", maxSolicit, checkSolicit); err != nil {
			return dst, err
		}
	}
	if m.TransID != nil {
		if dst, err = appendChecked(dst, " TRANSID=", "TRANSID", m.TransID, "RFC 1845", 0, checkTransID); err != nil {
			return dst, err
		}
	}
	if m.Submitter != nil {
		if dst, err = appendChecked(dst, " SUBMITTER=", "SUBMITTER", m.Submitter, "RFC 4405", 0, checkSubmitter); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func checkAuth(v []byte) (int, string)      { return checkMailboxXtext(v, true) }
func checkSubmitter(v []byte) (int, string) { return checkMailboxXtext(v, false) }

func (t MTRK) appendTo(dst []byte) ([]byte, error) {
	if t.Certifier == nil {
		if t.HasTimeout {
			return dst, errAt("MTRK", 0, "RFC 3885", "MTRK timeout without a certifier", ErrBadParamValue)
		}
		return dst, nil
	}
	if err := checkForbidden("MTRK", t.Certifier); err != nil {
		return dst, err
	}
	if t.HasTimeout && t.Timeout > max9Digits {
		return dst, errAt("MTRK", 0, "RFC 3885", "MTRK timeout over 9 digits", ErrBadParamValue)
	}
	// The certifier must read back as itself: not empty and xtext; and,
	// when no timeout follows it, not ending in ":" and digits that would
	// be taken for one. With a timeout, the ":" written before it is the
	// last one, so a certifier such as ":0" reads back whole.
	if t.HasTimeout {
		if len(t.Certifier) == 0 {
			return dst, errAt("MTRK", 0, "RFC 3885", "empty MTRK certifier", ErrBadParamValue)
		}
		if bad, reason := checkXtext(t.Certifier); bad >= 0 {
			return dst, errAt("MTRK", bad, "RFC 3885", reason, ErrBadParamValue)
		}
	} else if got, bad, reason := parseMTRK(t.Certifier); bad >= 0 || got.HasTimeout {
		if bad < 0 {
			bad, reason = 0, "MTRK certifier ends like a timeout"
		}
		return dst, errAt("MTRK", bad, "RFC 3885", reason, ErrBadParamValue)
	}
	dst = append(append(dst, " MTRK="...), t.Certifier...)
	if t.HasTimeout {
		dst = strconv.AppendUint(append(dst, ':'), uint64(t.Timeout), 10)
	}
	return dst, nil
}

// appendChecked validates a caller-supplied value and appends prefix and
// value. limit, when positive, bounds the value's length (ErrTooLong).
func appendChecked(dst []byte, prefix, element string, v []byte, rule string, limit int, check func([]byte) (int, string)) ([]byte, error) {
	if err := checkForbidden(element, v); err != nil {
		return dst, err
	}
	if len(v) == 0 {
		return dst, errAt(element, 0, "RFC 5321 4.1.2", "empty esmtp-value", ErrBadParamValue)
	}
	if limit > 0 && len(v) > limit {
		return dst, errAt(element, limit, rule, "value too long", ErrTooLong)
	}
	if bad, reason := check(v); bad >= 0 {
		return dst, errAt(element, bad, rule, reason, ErrBadParamValue)
	}
	return append(append(dst, prefix...), v...), nil
}
