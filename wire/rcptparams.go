package wire

import (
	"bytes"
	"time"
	"unicode/utf8"
)

// NotifyFlags is the value of the RCPT parameter NOTIFY (RFC 3461 section
// 4.1), a bit set. Zero means the parameter was not given; NotifyNever
// stands alone.
type NotifyFlags uint8

// NOTIFY keywords.
const (
	NotifyNever NotifyFlags = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

// notifyNames lists the keywords in the order AppendRcptParams writes them.
var notifyNames = [...]struct {
	flag NotifyFlags
	name string
}{
	{NotifyNever, "NEVER"},
	{NotifySuccess, "SUCCESS"},
	{NotifyFailure, "FAILURE"},
	{NotifyDelay, "DELAY"},
}

// Valid reports whether f is a value NOTIFY can carry: zero (absent),
// NotifyNever alone, or a non-empty combination of the other three (RFC
// 3461 section 4.1 note a: "the NEVER keyword MUST appear by itself").
func (f NotifyFlags) Valid() bool {
	const all = NotifySuccess | NotifyFailure | NotifyDelay
	return f == 0 || f == NotifyNever || f&^all == 0
}

// String returns the wire form, such as "SUCCESS,FAILURE", or "" for zero.
func (f NotifyFlags) String() string { return string(f.appendTo(nil)) }

func (f NotifyFlags) appendTo(dst []byte) []byte {
	first := true
	for _, n := range notifyNames {
		if f&n.flag != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, n.name...)
			first = false
		}
	}
	return dst
}

// ORCPT is the value of the RCPT parameter ORCPT: addr-type ";" xtext (RFC
// 3461 section 4.2). It is present when AddrType is not nil. Both slices
// alias the line.
type ORCPT struct {
	// AddrType is the address type as sent: "rfc822", "x400" or "utf-8",
	// in any case.
	AddrType []byte
	// Addr is the encoded address as sent: xtext for rfc822 and x400
	// (decode with DecodeXtext), utf-8-addr-xtext or utf-8-addr-unitext
	// for utf-8 (decode with DecodeUTF8AddrText, RFC 6533 section 3).
	Addr []byte
}

// RRVS is the value of the RCPT parameter RRVS (RFC 7293):
// date-time [";" ("C" / "R")]. It is present when Time is not zero.
type RRVS struct {
	// Time is the date-time, in UTC.
	Time time.Time
	// Mode is 'C' (continue), 'R' (reject) or 0 when not given.
	Mode byte
}

// RcptParams holds the decoded parameters of a RCPT command.
type RcptParams struct {
	Notify NotifyFlags
	ORCPT  ORCPT
	RRVS   RRVS
	ConNeg bool // RFC 4141
}

// maxORCPT bounds the ORCPT value: "The entire ORCPT parameter MAY be up to
// 500 characters in length" (RFC 3461 section 4.2).
const maxORCPT = 500

// DecodeRcptParams decodes p, the parameters of a RCPT command, with the
// same rules and errors as DecodeMailParams: unknown keywords and MAIL
// parameters give ErrUnknownParam, parameters of extensions not in enabled
// ErrParamNotAdvertised, bad values ErrBadParamValue or ErrTooLong,
// duplicates ErrDuplicateParam. The result aliases p.Text; it does not
// allocate.
func DecodeRcptParams(p Params, enabled ExtSet) (RcptParams, error) {
	var r RcptParams
	it := p.Iter()
	for it.Next() {
		if err := r.decode(it.Param(), enabled); err != nil {
			return RcptParams{}, err
		}
	}
	if err := it.Err(); err != nil {
		return RcptParams{}, err
	}
	return r, nil
}

func (r *RcptParams) decode(prm Param, enabled ExtSet) error {
	k := LookupParam(prm.Keyword)
	if !k.AllowedOn(VerbRCPT) {
		return unknownParam(prm)
	}
	if !enabled.Has(k.Ext()) {
		return notAdvertised(prm)
	}
	if err := checkASCII(prm, enabled); err != nil {
		return err
	}
	if k == ParamCONNEG {
		if prm.HasValue {
			return noValueAllowed(prm, "RFC 4141")
		}
		r.ConNeg = true
		return nil
	}
	if !prm.HasValue {
		return valueRequired(prm, valueRule[k])
	}
	v := prm.Value
	switch k {
	case ParamNOTIFY:
		f, bad, reason := parseNotify(v)
		if bad >= 0 {
			return badValue(prm, bad, "notify-esmtp-value", "RFC 3461 4.1", reason)
		}
		r.Notify = f
	case ParamORCPT:
		if len(v) > maxORCPT {
			return errAt("orcpt-parameter", prm.valueOffset()+maxORCPT, "RFC 3461 4.2", "ORCPT longer than 500 characters", ErrTooLong)
		}
		o, bad, reason, rule := parseORCPT(v, enabled.Has(ExtSMTPUTF8))
		if bad >= 0 {
			return badValue(prm, bad, "original-recipient-address", rule, reason)
		}
		r.ORCPT = o
	case ParamRRVS:
		rr, bad, reason := parseRRVS(v)
		if bad >= 0 {
			return badValue(prm, bad, "rrvs-param", "RFC 7293", reason)
		}
		r.RRVS = rr
	}
	return nil
}

// parseNotify parses notify-esmtp-value = "NEVER" / 1#notify-list-element,
// notify-list-element = "SUCCESS" / "FAILURE" / "DELAY", in any case (RFC
// 3461 section 4.1). Empty elements, unknown or repeated keywords and NEVER
// with anything else are refused.
func parseNotify(v []byte) (NotifyFlags, int, string) {
	var f NotifyFlags
	for start := 0; start <= len(v); {
		end := bytes.IndexByte(v[start:], ',')
		if end < 0 {
			end = len(v)
		} else {
			end += start
		}
		item := v[start:end]
		if len(item) == 0 {
			return 0, start, "empty NOTIFY keyword"
		}
		var flag NotifyFlags
		for _, n := range notifyNames {
			if equalFold(item, n.name) {
				flag = n.flag
			}
		}
		switch {
		case flag == 0:
			return 0, start, "NOTIFY keyword must be NEVER, SUCCESS, FAILURE or DELAY"
		case f&flag != 0:
			return 0, start, "NOTIFY keyword given twice"
		case f != 0 && (flag == NotifyNever || f == NotifyNever):
			return 0, start, "NEVER must appear by itself"
		}
		f |= flag
		start = end + 1
	}
	return f, -1, ""
}

// parseORCPT parses addr-type ";" xtext (RFC 3461 section 4.2). addr-type
// must be registered with IANA: rfc822 and x400 carry xtext that decodes to
// printable US-ASCII (RFC 3461 4.2), utf-8 carries utf-8-addr-xtext or
// utf-8-addr-unitext (RFC 6533 section 3). With utf8 (a server that offers
// SMTPUTF8) an rfc822 address may also decode to UTF-8: Postfix 3.7 relays
// a message to a UTF-8 recipient with ORCPT=rfc822;<the address as xtext>
// rather than the utf-8 type, and refusing it would bounce every such
// message. The ORCPT is only carried into DSNs (RFC 3461 section 4.2), so
// accepting it changes no delivery. AppendRcptParams writes it too, so a
// relay passes on what it received, and Needs asks for SMTPUTF8 for it.
func parseORCPT(v []byte, utf8 bool) (ORCPT, int, string, string) {
	semi := bytes.IndexByte(v, ';')
	if semi < 0 {
		return ORCPT{}, len(v), `missing ";" after addr-type`, "RFC 3461 4.2"
	}
	o := ORCPT{AddrType: v[:semi], Addr: v[semi+1:]}
	if bad, reason, rule := checkORCPT(o, utf8); bad >= 0 {
		return ORCPT{}, bad, reason, rule
	}
	return o, -1, "", ""
}

// checkORCPT validates an ORCPT and returns the offset of the first bad
// octet counted from the start of the value (addr-type ";" address). utf8
// lets an rfc822 address decode to UTF-8 (see parseORCPT).
func checkORCPT(o ORCPT, utf8 bool) (int, string, string) {
	if len(o.AddrType) == 0 {
		return 0, "empty addr-type", "RFC 3461 4.2"
	}
	base := len(o.AddrType) + 1
	if len(o.Addr) == 0 {
		return base, "empty original recipient address", "RFC 3461 4.2"
	}
	switch {
	case equalFold(o.AddrType, "rfc822"), equalFold(o.AddrType, "x400"):
		if bad, reason := checkXtext(o.Addr); bad >= 0 {
			return base + bad, reason, "RFC 3461 4"
		}
		var dec [maxORCPT]byte // the decoded address, to check its UTF-8
		n, high := 0, -1
		for i := 0; i < len(o.Addr); {
			c, next := xtextAt(o.Addr, i)
			lenient := utf8 && c >= 0x80 && equalFold(o.AddrType, "rfc822")
			if c != '\t' && (c < 0x20 || c > 0x7e) && !lenient {
				return base + i, "ORCPT must decode to printable US-ASCII", "RFC 3461 4.2"
			}
			if lenient && high < 0 {
				high = i
			}
			if n < len(dec) {
				dec[n] = c
				n++
			}
			i = next
		}
		if high >= 0 && !printableUTF8(dec[:n]) {
			return base + high, "ORCPT must decode to printable US-ASCII or, under SMTPUTF8, printable UTF-8", "RFC 6531 3.3"
		}
	case equalFold(o.AddrType, "utf-8"):
		if _, bad, reason, _ := scanUTF8Addr(nil, o.Addr, false); bad >= 0 {
			return base + bad, reason, "RFC 6533 3"
		}
	default:
		return 0, "addr-type must be rfc822, x400 or utf-8", "RFC 3461 4.2"
	}
	return -1, "", ""
}

// parseRRVS parses date-time [";" ("C" / "R")] (RFC 7293; RFC 3339 section
// 5.6 for date-time). The mode letter may be in either case and is stored
// in upper case.
func parseRRVS(v []byte) (RRVS, int, string) {
	dt, mode := v, []byte(nil)
	if semi := bytes.IndexByte(v, ';'); semi >= 0 {
		dt, mode = v[:semi], v[semi+1:]
	}
	t, bad, reason := parseDateTime(dt)
	if bad >= 0 {
		return RRVS{}, bad, reason
	}
	rr := RRVS{Time: t}
	if mode != nil {
		if len(mode) != 1 || (upper(mode[0]) != 'C' && upper(mode[0]) != 'R') {
			return RRVS{}, len(dt) + 1, `RRVS mode must be "C" or "R"`
		}
		rr.Mode = upper(mode[0])
	}
	return rr, -1, ""
}

// Needs returns the extensions these parameters require. An ORCPT with raw
// UTF-8 (the utf-8-addr-unitext form) also needs ExtSMTPUTF8 (RFC 6533
// section 3).
func (r RcptParams) Needs() ExtSet {
	var s ExtSet
	if r.Notify != 0 || r.ORCPT.AddrType != nil {
		s = s.With(ExtDSN)
	}
	if highORCPT(r.ORCPT) {
		s = s.With(ExtSMTPUTF8)
	}
	if !r.RRVS.Time.IsZero() {
		s = s.With(ExtRRVS)
	}
	if r.ConNeg {
		s = s.With(ExtCONNEG)
	}
	return s
}

// AppendRcptParams appends " KEYWORD=value" to dst for each parameter set
// in r, in the order NOTIFY ORCPT RRVS CONNEG, validating values as
// DecodeRcptParams would. CR, LF or NUL gives ErrForbiddenByte; on error
// dst is returned unchanged. With enough capacity in dst it does not
// allocate.
func AppendRcptParams(dst []byte, r RcptParams) ([]byte, error) {
	out := dst
	if r.Notify != 0 {
		if !r.Notify.Valid() {
			return dst, errAt("NOTIFY", 0, "RFC 3461 4.1", "NEVER combined with other keywords, or unknown bits", ErrBadParamValue)
		}
		out = r.Notify.appendTo(append(out, " NOTIFY="...))
	}
	if r.ORCPT.AddrType != nil || r.ORCPT.Addr != nil {
		if err := checkForbidden("ORCPT", r.ORCPT.AddrType); err != nil {
			return dst, err
		}
		if err := checkForbidden("ORCPT", r.ORCPT.Addr); err != nil {
			return dst, err
		}
		if n := len(r.ORCPT.AddrType) + 1 + len(r.ORCPT.Addr); n > maxORCPT {
			return dst, errAt("ORCPT", maxORCPT, "RFC 3461 4.2", "ORCPT longer than 500 characters", ErrTooLong)
		}
		if bad, reason, rule := checkORCPT(r.ORCPT, true); bad >= 0 {
			return dst, errAt("ORCPT", bad, rule, reason, ErrBadParamValue)
		}
		out = append(out, " ORCPT="...)
		out = append(append(append(out, r.ORCPT.AddrType...), ';'), r.ORCPT.Addr...)
	}
	if !r.RRVS.Time.IsZero() {
		var ok bool
		if out, ok = appendDateTime(append(out, " RRVS="...), r.RRVS.Time); !ok {
			return dst, errAt("RRVS", 0, "RFC 3339 5.6", "date-time not representable", ErrBadParamValue)
		}
		switch r.RRVS.Mode {
		case 0:
		case 'C', 'R':
			out = append(out, ';', r.RRVS.Mode)
		default:
			return dst, errAt("RRVS", 0, "RFC 7293", `RRVS mode must be "C", "R" or 0`, ErrBadParamValue)
		}
	} else if r.RRVS.Mode != 0 {
		return dst, errAt("RRVS", 0, "RFC 7293", "RRVS mode without a time", ErrBadParamValue)
	}
	if r.ConNeg {
		out = append(out, " CONNEG"...)
	}
	return out, nil
}

// parseDateTime parses an RFC 3339 section 5.6 date-time into a UTC instant
// without allocating. It returns the offset of the first bad octet and a
// reason on failure. Instants outside the years 0000-9999 in UTC, and Go's
// zero time (which stands for "absent"), are refused so that every value
// decoded can be written back.
func parseDateTime(b []byte) (time.Time, int, string) {
	// full-date "T" partial-time time-offset, with
	// date-fullyear "-" date-month "-" date-mday and
	// time-hour ":" time-minute ":" time-second [time-secfrac].
	num := func(i, n int) (int, bool) {
		if i+n > len(b) {
			return 0, false
		}
		v := 0
		for _, c := range b[i : i+n] {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	sep := func(i int, c byte) bool { return i < len(b) && b[i] == c }
	year, ok := num(0, 4)
	if !ok {
		return time.Time{}, 0, "date-fullyear must be 4 digits"
	}
	if !sep(4, '-') {
		return time.Time{}, 4, `expected "-" after year`
	}
	month, ok := num(5, 2)
	if !ok || month < 1 || month > 12 {
		return time.Time{}, 5, "date-month must be 01-12"
	}
	if !sep(7, '-') {
		return time.Time{}, 7, `expected "-" after month`
	}
	day, ok := num(8, 2)
	if !ok || day < 1 || day > daysIn(month, year) {
		// RFC 3339 5.7: the day must exist in that month and year.
		return time.Time{}, 8, "date-mday out of range for the month"
	}
	if !(sep(10, 'T') || sep(10, 't')) {
		return time.Time{}, 10, `expected "T" between date and time`
	}
	hour, ok := num(11, 2)
	if !ok || hour > 23 {
		return time.Time{}, 11, "time-hour must be 00-23"
	}
	if !sep(13, ':') {
		return time.Time{}, 13, `expected ":" after hour`
	}
	minute, ok := num(14, 2)
	if !ok || minute > 59 {
		return time.Time{}, 14, "time-minute must be 00-59"
	}
	if !sep(16, ':') {
		return time.Time{}, 16, `expected ":" after minute`
	}
	sec, ok := num(17, 2)
	if !ok || sec > 60 { // 60 is a leap second (RFC 3339 5.6)
		return time.Time{}, 17, "time-second must be 00-60"
	}
	i := 19
	nsec := 0
	if sep(i, '.') {
		i++
		start := i
		scale := 100000000
		for i < len(b) && isDigit(b[i]) {
			nsec += int(b[i]-'0') * scale // digits past the ninth are dropped
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, i, "time-secfrac needs a digit"
		}
	}
	var off int // seconds east of UTC
	switch {
	case sep(i, 'Z') || sep(i, 'z'):
		i++
	case sep(i, '+') || sep(i, '-'):
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || !sep(i+3, ':') || oh > 23 || om > 59 {
			return time.Time{}, i, "time-numoffset must be +HH:MM or -HH:MM"
		}
		off = (oh*60 + om) * 60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return time.Time{}, i, `time-offset must be "Z" or +HH:MM or -HH:MM`
	}
	if i != len(b) {
		return time.Time{}, i, "unexpected octet after date-time"
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-time.Duration(off) * time.Second)
	if y := t.Year(); y < 0 || y > 9999 || t.IsZero() {
		return time.Time{}, 0, "date-time not representable in UTC"
	}
	return t, -1, ""
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendDateTime appends t as an RFC 3339 date-time in UTC, with the
// fractional seconds it has and no trailing zeros. It reports false when t
// is outside the years 0000-9999 in UTC.
func appendDateTime(dst []byte, t time.Time) ([]byte, bool) {
	t = t.UTC()
	year := t.Year()
	if year < 0 || year > 9999 {
		return dst, false
	}
	dst = appendPad(dst, year, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, int(t.Month()), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, t.Day(), 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, t.Hour(), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, t.Minute(), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, t.Second(), 2)
	if ns := t.Nanosecond(); ns != 0 {
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		dst = append(dst, '.')
		dst = appendPad(dst, ns, digits)
	}
	return append(dst, 'Z'), true
}

// appendPad appends the decimal form of a non-negative v, zero-padded to
// width digits.
func appendPad(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v > 0 || width > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(dst, buf[i:]...)
}

// printableUTF8 reports whether p is valid UTF-8 without control
// characters: no C0, DEL or C1 (U+0080 to U+009F), which are as unprintable
// in an address as the C0 ones RFC 3461 section 4.2 excludes.
func printableUTF8(p []byte) bool {
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f {
			return false
		}
		p = p[size:]
	}
	return true
}

// highORCPT reports an ORCPT that needs SMTPUTF8 (RFC 6533 section 3): raw
// UTF-8 (utf-8-addr-unitext), or an rfc822 address whose xtext decodes to
// UTF-8, which only a server offering SMTPUTF8 accepts (parseORCPT).
func highORCPT(o ORCPT) bool {
	for _, c := range o.Addr {
		if c >= 0x80 {
			return true
		}
	}
	if !equalFold(o.AddrType, "rfc822") {
		return false
	}
	// Not xtextAt: Needs may be asked about parameters not yet checked.
	for i := 0; i+2 < len(o.Addr); i++ {
		if o.Addr[i] == '+' && hexVal(o.Addr[i+1]) >= 8 {
			return true
		}
	}
	return false
}
