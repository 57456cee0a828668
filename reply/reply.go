package reply

import (
	"iter"
	"strings"
	"unicode/utf8"
)

// MaxLineLength is the maximum length of a reply line including the reply
// code and the CRLF (RFC 5321 section 4.5.3.1.5).
const MaxLineLength = 512

// Reply is one SMTP reply: a code, an optional enhanced status code and its
// text (RFC 5321 section 4.2). Text holds the lines of a multi-line reply
// separated by "\n" (a "\r\n" counts as one separator); it may be empty.
// Text does not repeat the enhanced code: Append writes it on every line.
//
// A Reply is a plain value; its methods do not modify it and are safe for
// concurrent use.
type Reply struct {
	Code     Code
	Enhanced Enhanced
	Text     string
}

// WithDefaultEnhanced returns r with Enhanced set to DefaultEnhanced(r.Code)
// when r has none. A reply that has one is returned unchanged.
func (r Reply) WithDefaultEnhanced() Reply {
	if r.Enhanced.IsZero() {
		r.Enhanced = DefaultEnhanced(r.Code)
	}
	return r
}

// Err returns nil for a 2yz or 3yz reply and an *Error holding r for any
// other code, including invalid ones (RFC 5321 section 4.2: a client
// interprets codes by their first digit, and treats out-of-range ones as
// fatal).
func (r Reply) Err() error {
	switch r.Code.Class() {
	case ClassPositive, ClassIntermediate:
		return nil
	}
	return &Error{Reply: r}
}

// Lines returns an iterator over the lines of r.Text, split on "\n" with a
// "\r\n" counted as one break. Empty text is one empty line. The lines are
// not wrapped; Append wraps long ones.
func (r Reply) Lines() iter.Seq[string] {
	return func(yield func(string) bool) {
		text := r.Text
		for {
			line, rest, more := cutLine(text)
			if !yield(line) || !more {
				return
			}
			text = rest
		}
	}
}

// cutLine returns the first line of text, the text after its line break, and
// whether there was a break. A "\r" just before the "\n" belongs to the
// break.
func cutLine(text string) (line, rest string, more bool) {
	i := strings.IndexByte(text, '\n')
	if i < 0 {
		return text, "", false
	}
	line, rest = text[:i], text[i+1:]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest, true
}

// wireEnhanced returns the enhanced code Append writes: r.Enhanced when it is
// valid and its class is the first digit of r.Code (RFC 3463 section 2: the
// two must agree), else none. So 3yz replies never carry one.
func (r Reply) wireEnhanced() Enhanced {
	if r.Enhanced.Valid() && Class(r.Enhanced.Class) == r.Code.Class() {
		return r.Enhanced
	}
	return Enhanced{}
}

// Append appends r in wire form to dst and returns the extended buffer
// (RFC 5321 section 4.2):
//
//   - every line but the last starts "ddd-", the last "ddd "; a last line
//     with no text at all is "ddd" CRLF, as the Reply-line grammar allows;
//   - when r.Enhanced is set, valid and of the class of r.Code, it follows
//     the code on every line (RFC 2034 section 4); otherwise none is
//     written, so a 3yz reply never carries one;
//   - Text is split into lines on "\n" ("\r\n" is one break); CR, NUL and the
//     other control octets except HT become a space, so the text can never
//     end a line or inject a reply; octets of 128 and above are kept for
//     SMTPUTF8 sessions (RFC 6531);
//   - no line exceeds MaxLineLength octets including the CRLF (RFC 5321
//     section 4.5.3.1.5): a longer line breaks at its last space that fits
//     (the space is dropped), or else is split at the limit, moved back to
//     the start of a UTF-8 sequence;
//   - the reply stops at DefaultMaxLines lines and DefaultMaxText octets of
//     text, what a Builder with default limits accepts, so a reply this
//     package writes is one it can read back; the rest of an over-long text
//     is dropped.
//
// r.Code is written as its three digits; the caller gives a valid code.
// Append allocates only when dst lacks capacity.
func (r Reply) Append(dst []byte) []byte {
	enh := r.wireEnhanced()
	budget := MaxLineLength - len("ddd-\r\n")
	if !enh.IsZero() {
		budget -= enhancedLen(enh) + 1
	}
	text := r.Text
	lines, total := 0, 0 // what a Builder will count on the other end
	for {
		line, rest, more := cutLine(text)
		for {
			n, next := wrapPoint(line, budget)
			last := next == len(line) && !more
			seg := line[:n]
			sep := 0
			if lines > 0 {
				sep = 1
			}
			// Never write more than a Builder with default limits
			// accepts: what we send, we can read.
			if lines+1 >= DefaultMaxLines || total+sep+len(seg) >= DefaultMaxText {
				return appendLine(dst, r.Code, enh, truncateUTF8(seg, DefaultMaxText-total-sep), true)
			}
			dst = appendLine(dst, r.Code, enh, seg, last)
			lines, total = lines+1, total+sep+len(seg)
			if next == len(line) {
				break
			}
			line = line[next:]
		}
		if !more {
			return dst
		}
		text = rest
	}
}

// truncateUTF8 returns s cut to at most n octets, moved back to the start
// of a UTF-8 sequence when that is within three octets.
func truncateUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut := n
	for cut > n-(utf8.UTFMax-1) && cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = n
	}
	return s[:cut]
}

// enhancedLen returns the length of e in text form.
func enhancedLen(e Enhanced) int {
	return 3 + digits(e.Subject) + digits(e.Detail)
}

// digits returns the number of decimal digits of v.
func digits(v uint16) int {
	switch {
	case v < 10:
		return 1
	case v < 100:
		return 2
	case v < 1000:
		return 3
	case v < 10000:
		return 4
	}
	return 5
}

// wrapPoint returns how many octets of line go on one reply line of at most
// budget text octets, and where the rest starts. It prefers the last space
// that fits, which is dropped, and otherwise splits at budget moved back to
// the start of a UTF-8 sequence (up to three octets; invalid UTF-8 is split
// at budget).
func wrapPoint(line string, budget int) (n, next int) {
	if len(line) <= budget {
		return len(line), len(line)
	}
	if i := strings.LastIndexByte(line[:budget+1], ' '); i > 0 {
		return i, i + 1
	}
	cut := budget
	for cut > budget-(utf8.UTFMax-1) && !utf8.RuneStart(line[cut]) {
		cut--
	}
	if !utf8.RuneStart(line[cut]) {
		cut = budget
	}
	return cut, cut
}

// appendLine writes one reply line: code, separator, enhanced code, text.
func appendLine(dst []byte, code Code, enh Enhanced, text string, last bool) []byte {
	dst = code.Append(dst)
	sep := byte('-')
	if last {
		sep = ' '
	}
	switch {
	case !enh.IsZero():
		dst = append(dst, sep)
		dst = enh.Append(dst)
		if len(text) > 0 {
			dst = append(dst, ' ')
		}
	case len(text) > 0 || !last:
		dst = append(dst, sep)
	}
	return append(appendSafe(dst, text), '\r', '\n')
}

// appendSafe appends text with every control octet but HT, and DEL, replaced
// by a space (RFC 5321 section 4.2, textstring).
func appendSafe(dst []byte, text string) []byte {
	start := len(dst)
	dst = append(dst, text...)
	for i := start; i < len(dst); i++ {
		if c := dst[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			dst[i] = ' '
		}
	}
	return dst
}

// String returns r on one line for logs and error messages: the code, the
// enhanced code if set, and the non-empty lines of the text joined by a
// space, with control octets replaced as Append does.
func (r Reply) String() string {
	var buf [128]byte
	return string(r.appendOneLine(buf[:0]))
}

// appendOneLine appends the String form of r to dst.
func (r Reply) appendOneLine(dst []byte) []byte {
	if r.Code >= 100 && r.Code <= 999 {
		dst = r.Code.Append(dst)
	} else {
		dst = append(dst, r.Code.String()...)
	}
	if !r.Enhanced.IsZero() {
		dst = append(dst, ' ')
		dst = r.Enhanced.Append(dst)
	}
	for line := range r.Lines() {
		if line != "" {
			dst = appendSafe(append(dst, ' '), line)
		}
	}
	return dst
}
