package state

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file holds the text form of a Transcript: ParseTranscript and
// Transcript.Append.

// ParseTranscript parses the text form of a transcript, a C:/S: dialogue
// in the style of RFC 5321 appendix D that is exact to the byte. Lines end
// in LF; the text holds no CR (write \r). Each line is one of:
//
//	# key: value     header: the "# key: value" lines that open the text
//	# any text       a comment (after the header); kept in Steps
//	(blank)          a blank line; kept as a comment
//	C: text          the client sends text followed by CRLF
//	S: text          the server sends text followed by CRLF
//	C+ text          the client sends text with no CRLF added
//	S+ text          the server sends text with no CRLF added
//	-- flush         ends a write: the next line, of the same side, starts another
//	-- TLS           the TLS handshake after STARTTLS 220; both sides switch
//	-- close C       the client (C) or server (S) closes the connection
//	-- eof C         the client (C) or server (S) ends its half of the stream
//	-- wait 5m       time passes (a Go duration, over zero)
//
// "C:" alone is an empty line, CRLF only (a blank line of message content).
// The text of a data line is taken verbatim except for the escapes \\, \r,
// \n, \t and \xHH (two hex digits), so bare CR, bare LF and NUL smuggling
// cases (RFC 5321 section 2.3.8) can be written: "C+ .\n" is a dot and a
// bare LF. Message content is written as it travels, dot-stuffed (RFC 5321
// section 4.5.2).
//
// Consecutive data lines of one side form one write (an StepData): a
// pipelined group (RFC 2920) is written as lines in a row. Any other line,
// comments included, ends the write; "-- flush" ends it and must stand
// between two data lines of the same side, as when the client sends two
// commands in two writes, or one line in two writes:
//
//	C+ RCPT TO:<bob@exa
//	-- flush
//	C: mple.org>
//
// ParseTranscript copies what it keeps; the Transcript does not alias
// text. An error is a *TranscriptError naming the line.
func ParseTranscript(text []byte) (*Transcript, error) {
	p := transcriptParser{t: &Transcript{}, open: -1}
	for n := 1; len(text) > 0; n++ {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if err := p.line(n, line); err != nil {
			return nil, err
		}
	}
	if p.flush != 0 {
		return nil, &TranscriptError{Line: p.flush, Reason: "-- flush must stand between two writes of the same side"}
	}
	return p.t, nil
}

// transcriptParser holds the parse state between lines.
type transcriptParser struct {
	t *Transcript
	// body is set once a line that is not "# key: value" was seen.
	body bool
	// open is the index in t.Steps of the write the next data line of
	// the same side extends, or -1.
	open int
	// flush is the line of a "-- flush" waiting for its next write, and
	// flushSide the side that write must have.
	flush     int
	flushSide Side
}

func (p *transcriptParser) fail(n int, reason string) error {
	return &TranscriptError{Line: n, Reason: reason}
}

// line parses line n (1-based) of the text.
func (p *transcriptParser) line(n int, line []byte) error {
	if bytes.IndexByte(line, '\r') >= 0 {
		return p.fail(n, `carriage return in the text (CRLF line endings?); write \r`)
	}
	if !p.body {
		if key, value, ok := parseMetaLine(line); ok {
			p.t.Header = append(p.t.Header, Meta{Key: key, Value: value})
			return nil
		}
		p.body = true
	}
	if len(line) >= 2 && (line[0] == 'C' || line[0] == 'S') && (line[1] == ':' || line[1] == '+') {
		return p.data(n, line)
	}
	if p.flush != 0 {
		return p.fail(p.flush, "-- flush must stand between two writes of the same side")
	}
	if string(line) == "-- flush" {
		if p.open < 0 {
			return p.fail(n, "-- flush must stand between two writes of the same side")
		}
		p.flush, p.flushSide, p.open = n, p.t.Steps[p.open].Side, -1
		return nil
	}
	p.open = -1
	switch {
	case len(line) == 0 || line[0] == '#':
		p.t.Steps = append(p.t.Steps, Step{Kind: StepComment, Data: bytes.Clone(line), Line: n})
		return nil
	case bytes.HasPrefix(line, []byte("-- ")):
		return p.marker(n, string(line[3:]))
	case len(bytes.Trim(line, " \t")) == 0:
		return p.fail(n, "line of only white space; leave it empty or start it with #")
	}
	return p.fail(n, "unknown line; lines start with C:, S:, C+, S+, --, # or are empty")
}

// data parses a C:, S:, C+ or S+ line and adds its bytes to the open write
// of that side or to a new one.
func (p *transcriptParser) data(n int, line []byte) error {
	side := SideClient
	if line[0] == 'S' {
		side = SideServer
	}
	crlf := line[1] == ':'
	text := line[2:]
	if len(text) > 0 {
		if text[0] != ' ' {
			return p.fail(n, "missing space after "+string(line[:2]))
		}
		text = text[1:]
	}
	if !crlf && len(text) == 0 {
		return p.fail(n, string(line[:2])+" line with no bytes")
	}
	if p.flush != 0 && side != p.flushSide {
		return p.fail(p.flush, "-- flush must stand between two writes of the same side")
	}
	p.flush = 0
	if p.open < 0 || p.t.Steps[p.open].Side != side {
		p.t.Steps = append(p.t.Steps, Step{Kind: StepData, Side: side, Line: n})
		p.open = len(p.t.Steps) - 1
	}
	e := &p.t.Steps[p.open]
	var err error
	if e.Data, err = unescapeTranscript(e.Data, text); err != nil {
		return p.fail(n, err.Error())
	}
	if crlf {
		e.Data = append(e.Data, '\r', '\n')
	}
	return nil
}

// marker parses the word after "-- ".
func (p *transcriptParser) marker(n int, word string) error {
	switch word {
	case "TLS":
		p.t.Steps = append(p.t.Steps, Step{Kind: StepTLS, Line: n})
		return nil
	case "close C", "close S", "eof C", "eof S":
		kind, side := StepClose, SideClient
		if word[0] == 'e' {
			kind = StepEOF
		}
		if word[len(word)-1] == 'S' {
			side = SideServer
		}
		p.t.Steps = append(p.t.Steps, Step{Kind: kind, Side: side, Line: n})
		return nil
	}
	if d, ok := strings.CutPrefix(word, "wait "); ok {
		w, err := time.ParseDuration(d)
		if err != nil || w <= 0 {
			return p.fail(n, "-- wait needs a Go duration over zero, such as 5m or 90s")
		}
		p.t.Steps = append(p.t.Steps, Step{Kind: StepWait, Wait: w, Line: n})
		return nil
	}
	return p.fail(n, "unknown marker; want -- flush, TLS, close C|S, eof C|S or wait <duration>")
}

// parseMetaLine splits "# key: value" (or "# key:") into key and value.
func parseMetaLine(line []byte) (key, value string, ok bool) {
	rest, found := bytes.CutPrefix(line, []byte("# "))
	if !found {
		return "", "", false
	}
	i := 0
	for i < len(rest) && isMetaKeyByte(rest[i]) {
		i++
	}
	if i == 0 || i == len(rest) || rest[i] != ':' {
		return "", "", false
	}
	switch v := rest[i+1:]; {
	case len(v) == 0:
		return string(rest[:i]), "", true
	case v[0] == ' ':
		return string(rest[:i]), string(v[1:]), true
	}
	return "", "", false
}

func isMetaKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// escapeError is the reason an escape was refused; data turns it into a
// TranscriptError.
type escapeError string

func (e escapeError) Error() string { return string(e) }

// unescapeTranscript appends the bytes text stands for to dst.
func unescapeTranscript(dst, text []byte) ([]byte, error) {
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\\')
		if i < 0 {
			return append(dst, text...), nil
		}
		dst = append(dst, text[:i]...)
		text = text[i:]
		if len(text) < 2 {
			return dst, escapeError(`backslash at the end of the line; write \\ for a backslash`)
		}
		switch text[1] {
		case '\\':
			dst = append(dst, '\\')
		case 'r':
			dst = append(dst, '\r')
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'x':
			if len(text) < 4 || unhex(text[2]) < 0 || unhex(text[3]) < 0 {
				return dst, escapeError(`\x needs two hex digits, such as \x00`)
			}
			dst = append(dst, byte(unhex(text[2])<<4|unhex(text[3])))
			text = text[4:]
			continue
		default:
			r, _ := utf8.DecodeRune(text[1:])
			return dst, escapeError("unknown escape " + strconv.Quote(`\`+string(r)) + `; want \\, \r, \n, \t or \xHH`)
		}
		text = text[2:]
	}
	return dst, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// Append appends the canonical text form of t to dst and returns it:
// header lines, then one line per event, each ending in LF. ParseTranscript
// gives t back from it (line numbers aside), and Append of that gives the
// same text again.
//
// A write is cut into lines after each CRLF ("C: ", CRLF not shown) and
// after each bare LF ("C+ " ending in \n); the bytes after the last of
// them go on a "C+ " line. "-- flush" goes between two writes of the same
// side. Printable ASCII and printable UTF-8 are written verbatim; \, CR,
// LF and tab as \\, \r, \n, \t; other bytes, and a space that ends a line
// (which editors strip), as \xHH.
//
// Append leaves out events that carry nothing: an empty write, a write,
// close or end of stream without a side, a wait of zero or less, and
// StepNone or unknown kinds. Line breaks in header values and comments
// become spaces, and a comment that does not start with "#" gets "# ".
func (t *Transcript) Append(dst []byte) []byte {
	for _, m := range t.Header {
		dst = append(dst, "# "...)
		dst = appendOneLine(dst, m.Key)
		dst = append(dst, ':')
		if m.Value != "" {
			dst = append(dst, ' ')
			dst = appendOneLine(dst, m.Value)
		}
		dst = append(dst, '\n')
	}
	lastWrite := SideNone // side of the previous line if it was data
	for _, e := range t.Steps {
		letter := e.Side.letter()
		switch e.Kind {
		case StepData:
			if letter == 0 || len(e.Data) == 0 {
				continue
			}
			if lastWrite == e.Side {
				dst = append(dst, "-- flush\n"...)
			}
			dst = appendWrite(dst, letter, e.Data)
			lastWrite = e.Side
			continue
		case StepTLS:
			dst = append(dst, "-- TLS\n"...)
		case StepClose, StepEOF:
			if letter == 0 {
				continue
			}
			word := "-- close "
			if e.Kind == StepEOF {
				word = "-- eof "
			}
			dst = append(append(dst, word...), letter, '\n')
		case StepWait:
			if e.Wait <= 0 {
				continue
			}
			dst = append(append(dst, "-- wait "...), formatWait(e.Wait)...)
			dst = append(dst, '\n')
		case StepComment:
			if len(e.Data) > 0 && e.Data[0] != '#' {
				dst = append(dst, "# "...)
			}
			dst = appendOneLine(dst, string(e.Data))
			dst = append(dst, '\n')
		default:
			continue
		}
		lastWrite = SideNone
	}
	return dst
}

// appendOneLine appends s with CR and LF turned into spaces.
func appendOneLine(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// appendWrite appends the lines of one write.
func appendWrite(dst []byte, letter byte, data []byte) []byte {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		switch {
		case i < 0:
			dst = appendDataLine(dst, letter, '+', data)
			data = nil
		case i > 0 && data[i-1] == '\r':
			dst = appendDataLine(dst, letter, ':', data[:i-1])
			data = data[i+1:]
		default:
			dst = appendDataLine(dst, letter, '+', data[:i+1])
			data = data[i+1:]
		}
	}
	return dst
}

// appendDataLine appends "C: " or "C+ " and the escaped piece; an empty
// "C:" piece is written without the space.
func appendDataLine(dst []byte, letter, mark byte, piece []byte) []byte {
	dst = append(dst, letter, mark)
	if len(piece) > 0 {
		dst = append(dst, ' ')
		dst = appendEscaped(dst, piece)
	}
	return append(dst, '\n')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends p with the escapes of ParseTranscript.
func appendEscaped(dst, p []byte) []byte {
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == ' ' && i == len(p)-1:
			dst = append(dst, `\x20`...)
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
		case c >= 0x80:
			if r, size := utf8.DecodeRune(p[i:]); size > 1 && unicode.IsPrint(r) {
				dst = append(dst, p[i:i+size]...)
				i += size
				continue
			}
			fallthrough
		default:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		}
		i++
	}
	return dst
}

// formatWait writes d as time.Duration.String does, without zero units:
// "5m" rather than "5m0s", "1h30s" rather than "1h0m30s".
func formatWait(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if i := strings.Index(s, "h0m"); i >= 0 {
		s = s[:i+1] + s[i+3:]
	}
	return s
}
