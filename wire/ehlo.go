package wire

import (
	"bytes"
	"strconv"
)

// Capabilities is what a server offered in its reply to EHLO or LHLO (RFC
// 5321 section 4.1.1.1): the domain and greeting of the first line and one
// keyword with parameters per following line.
//
// Capabilities owns a copy of what it was given, so the caller may reuse its
// read buffer at once. Reusing a Capabilities (Reset, then AddLine) does not
// allocate once its buffers have grown. It is not safe for concurrent use.
type Capabilities struct {
	buf     []byte // domain, greeting and every line, copied
	domain  span
	greet   span
	entries []capEntry
	exts    ExtSet
	lines   int
}

type span struct{ off, end int32 }

type capEntry struct {
	ext     Ext
	keyword span
	params  span
}

// Limits are the server limits of the LIMITS extension (RFC 9422 section 4).
// A zero field means the server did not state that limit.
type Limits struct {
	MailMax       int // MAILMAX: transactions per session
	RcptMax       int // RCPTMAX: recipients per transaction
	RcptDomainMax int // RCPTDOMAINMAX: distinct recipient domains per transaction
}

// Reset empties c for a new EHLO reply, keeping its buffers.
func (c *Capabilities) Reset() {
	c.buf = c.buf[:0]
	c.entries = c.entries[:0]
	c.domain, c.greet = span{}, span{}
	c.exts = 0
	c.lines = 0
}

// AddLine adds the text of the next line of a 250 reply to EHLO or LHLO,
// that is the ReplyLine.Text after "250-" or "250 ".
//
// The first line is "Domain [SP ehlo-greet]"; each later line is
// "ehlo-keyword *(SP ehlo-param)" (RFC 5321 section 4.1.1.1). Keywords are
// matched ignoring case (RFC 5321 section 2.4). The parser is tolerant of odd
// but harmless forms that real servers send: an empty last line, repeated
// spaces, a keyword given twice (the first wins), and the pre-RFC 2554
// "AUTH=LOGIN PLAIN" form, read as AUTH. A line whose keyword breaks the
// grammar (RFC 5321 section 4.1.1.1: ALPHA / DIGIT then ALPHA / DIGIT / "-")
// is an error; the lines before it stay.
func (c *Capabilities) AddLine(text []byte) error {
	line := c.lines
	c.lines++
	base := int32(len(c.buf))
	c.buf = append(c.buf, text...)
	text = c.buf[base:]
	at := func(s, e int) span { return span{base + int32(s), base + int32(e)} }
	ks, ke, next := fieldAt(text, 0)
	if line == 0 {
		c.domain = at(ks, ke)
		if next < len(text) {
			c.greet = at(next, len(text))
		}
		return nil
	}
	if ks == ke {
		return nil // an empty line, such as a bare "250" last line
	}
	kw := text[ks:ke]
	if i := bytes.IndexByte(kw, '='); i > 0 && LookupExt(kw[:i]) == ExtAUTH {
		// Old servers wrote "AUTH=LOGIN PLAIN" for Outlook clients; the
		// mechanism after "=" is the first parameter.
		next = ks + i + 1
		ke = ks + i
		kw = kw[:i]
	}
	for i, ch := range kw {
		if !isAlnum(ch) && (i == 0 || ch != '-') {
			return errAt("ehlo-keyword", ks+i, "RFC 5321 4.1.1.1", "bad character in EHLO keyword", ErrSyntax)
		}
	}
	e := LookupExt(kw)
	if e != ExtUnknown && c.exts.Has(e) {
		return nil
	}
	c.exts = c.exts.With(e)
	c.entries = append(c.entries, capEntry{ext: e, keyword: at(ks, ke), params: at(next, len(text))})
	return nil
}

// Domain returns the domain the server named in the first line.
func (c *Capabilities) Domain() []byte { return c.get(c.domain) }

// Greeting returns the text after the domain in the first line.
func (c *Capabilities) Greeting() []byte { return c.get(c.greet) }

// Exts returns the set of known extensions offered.
func (c *Capabilities) Exts() ExtSet { return c.exts }

// Has reports whether the server offered e.
func (c *Capabilities) Has(e Ext) bool { return c.exts.Has(e) }

// Params returns the parameters after e's keyword, such as "PLAIN LOGIN" for
// AUTH, and whether e was offered. The slice is owned by c.
func (c *Capabilities) Params(e Ext) ([]byte, bool) {
	if !c.exts.Has(e) {
		return nil, false
	}
	for _, en := range c.entries {
		if en.ext == e {
			return c.get(en.params), true
		}
	}
	return nil, false
}

// Keyword returns the parameters of the keyword name, known or not (for
// private "X" keywords), ignoring case.
func (c *Capabilities) Keyword(name string) ([]byte, bool) {
	for _, en := range c.entries {
		if equalFold(c.get(en.keyword), name) {
			return c.get(en.params), true
		}
	}
	return nil, false
}

// Keywords returns every keyword offered, in order, as the server spelled
// them. It allocates.
func (c *Capabilities) Keywords() []string {
	out := make([]string, 0, len(c.entries))
	for _, en := range c.entries {
		out = append(out, string(c.get(en.keyword)))
	}
	return out
}

// Size returns the SIZE extension's fixed maximum message size (RFC 1870
// section 4) and whether SIZE was offered. A maximum of 0 means no fixed
// limit was stated; a parameter that is not a number reads as 0.
func (c *Capabilities) Size() (max uint64, ok bool) {
	p, ok := c.Params(ExtSIZE)
	if !ok {
		return 0, false
	}
	f, _ := nextField(p)
	// Parsed by hand: strconv would allocate an error for the common bare
	// "SIZE", and this runs for every MAIL.
	if len(f) == 0 || len(f) > 19 {
		return 0, true
	}
	for _, c := range f {
		if c < '0' || c > '9' {
			return 0, true
		}
		max = max*10 + uint64(c-'0')
	}
	return max, true
}

// HasAuth reports whether mech is among the AUTH mechanisms offered (RFC
// 4954 section 3), ignoring case. It does not allocate.
func (c *Capabilities) HasAuth(mech string) bool {
	p, ok := c.Params(ExtAUTH)
	for ok {
		var f []byte
		if f, p = nextField(p); len(f) == 0 {
			return false
		}
		if equalFold(f, mech) {
			return true
		}
	}
	return false
}

// AuthMechanisms returns the AUTH mechanisms offered, upper-cased, in the
// server's order. It allocates.
func (c *Capabilities) AuthMechanisms() []string {
	p, _ := c.Params(ExtAUTH)
	var out []string
	for {
		var f []byte
		if f, p = nextField(p); len(f) == 0 {
			return out
		}
		out = append(out, string(bytes.ToUpper(f)))
	}
}

// Limits returns the LIMITS extension's values (RFC 9422 section 4). Unknown
// limit names are ignored, as RFC 9422 section 4 requires; a value that is
// not a decimal number leaves that limit at zero.
func (c *Capabilities) Limits() Limits {
	var l Limits
	p, _ := c.Params(ExtLIMITS)
	for {
		var f []byte
		if f, p = nextField(p); len(f) == 0 {
			return l
		}
		name, value, _ := bytes.Cut(f, []byte{'='})
		n, err := strconv.Atoi(string(value))
		if err != nil || n < 0 {
			continue
		}
		switch {
		case equalFold(name, "MAILMAX"):
			l.MailMax = n
		case equalFold(name, "RCPTMAX"):
			l.RcptMax = n
		case equalFold(name, "RCPTDOMAINMAX"):
			l.RcptDomainMax = n
		}
	}
}

func (c *Capabilities) get(s span) []byte { return c.buf[s.off:s.end:s.end] }

// fieldAt skips spaces from b[i] and returns the bounds of the next
// space-delimited field and the index of what follows it (spaces skipped).
func fieldAt(b []byte, i int) (start, end, next int) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	start = i
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	end = i
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return start, end, i
}

// nextField returns the next space-delimited field of b and what follows.
func nextField(b []byte) (field, rest []byte) {
	s, e, n := fieldAt(b, 0)
	return b[s:e], b[n:]
}
