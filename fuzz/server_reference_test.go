package fuzz

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the reference models FuzzServerSession judges the
// server's deliveries with: a DATA decoder and a BDAT framer written from
// the RFC text, line by line and octet by octet, with no attempt at speed,
// and the matcher that lays the recorded Session calls over the client's
// octets in order.

// svCRLF is the only line terminator of SMTP (RFC 5321 section 2.3.8).
var svCRLF = []byte("\r\n")

// svNextLine returns the end of the line that starts at i (the offset of its
// terminator) and the offset after the terminator. Only CRLF ends a line,
// unless normalize is set (wire.BareNormalize for command lines), where a
// bare CR or bare LF ends it too. ok is false when the line has no end.
func svNextLine(in []byte, i int, normalize bool) (end, next int, ok bool) {
	if !normalize {
		j := bytes.Index(in[i:], svCRLF)
		if j < 0 {
			return 0, 0, false
		}
		return i + j, i + j + 2, true
	}
	j := bytes.IndexAny(in[i:], "\r\n")
	switch {
	case j < 0:
		return 0, 0, false
	case in[i+j] == '\n':
		return i + j, i + j + 1, true
	case i+j+1 == len(in):
		return 0, 0, false // a final CR: the next octet decides
	case in[i+j+1] == '\n':
		return i + j, i + j + 2, true
	}
	return i + j, i + j + 1, true
}

// svRefData decodes DATA content that starts at in[q] (just after the CRLF
// of the DATA command) the way RFC 5321 says a server must: the content is
// CRLF-terminated lines (section 2.3.8: nothing else ends a line); a line
// that is exactly "." ends it (section 4.1.1.4); any other line that
// starts with "." loses that dot (section 4.5.2). It returns the decoded
// message and the offset after the final ".\r\n"; ok is false when the
// content does not end in in. acceptable says whether a server with the
// options o must accept it: the strict default refuses a bare CR or LF
// (section 2.3.8) and NUL, and o's limits apply (section 4.5.3.1).
func svRefData(in []byte, q int, o svOptions) (body []byte, end int, ok, acceptable bool) {
	acceptable = true
	i := q
	for {
		j := bytes.Index(in[i:], svCRLF)
		if j < 0 {
			return nil, 0, false, false
		}
		line := in[i : i+j]
		i += j + 2
		if string(line) == "." {
			break
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:]
		}
		if bytes.ContainsAny(line, "\r\n\x00") || o.MaxDataLine > 0 && len(line)+2 > o.MaxDataLine {
			acceptable = false
		}
		body = append(body, line...)
		body = append(body, svCRLF...)
	}
	if o.MaxMessageSize > 0 && int64(len(body)) > o.MaxMessageSize {
		acceptable = false
	}
	return body, i, true, acceptable
}

// svRefBdat frames a BDAT message whose first command line starts at in[q]
// (RFC 3030 section 2): each "BDAT <size> [LAST]" line is followed by
// exactly size octets of content, taken as they are, until the LAST
// chunk. Other command lines may come between chunks (NOOP, HELP ...).
// A BDAT line the server refuses still has its chunk consumed, as the
// server does so that no chunk octet runs as a command (state.Server's
// bdat and skipChunk): one too long for a command line (RFC 5321 section
// 4.5.3.1.4) or one whose parameters do not parse but whose size does.
// ok is false when in holds no such whole message from q.
func svRefBdat(in []byte, q int, o svOptions) (body []byte, end int, ok bool) {
	normalize := o.BareLines == wire.BareNormalize
	for i, first := q, true; ; first = false {
		lineEnd, next, found := svNextLine(in, i, normalize)
		if !found {
			return nil, 0, false
		}
		line := in[i:lineEnd]
		verb, _, _ := bytes.Cut(line, []byte(" "))
		if wire.LookupVerb(verb) != wire.VerbBDAT || bytes.ContainsAny(line, "\r\n") {
			if first {
				return nil, 0, false
			}
			i = next // another command between chunks
			continue
		}
		cmd, err := wire.ParseCommand(line, wire.ParseOptions{Lenient: o.Lenient})
		take := err == nil && len(line)+2 <= wire.MaxCommandLine
		size, last := cmd.ChunkSize, cmd.Last
		if err != nil {
			var sized bool
			if size, sized = svLeadingSize(line); !sized {
				return nil, 0, false // the server closes: it cannot find the chunk
			}
		}
		if first && !take || uint64(len(in)-next) < size {
			return nil, 0, false
		}
		i = next + int(size)
		if take {
			body = append(body, in[next:i]...)
			if last {
				return body, i, true
			}
		}
	}
}

// svLeadingSize reads the chunk size of a BDAT line: the decimal number
// after its first space.
func svLeadingSize(line []byte) (uint64, bool) {
	_, arg, found := bytes.Cut(line, []byte(" "))
	arg, _, _ = bytes.Cut(arg, []byte(" "))
	if !found || len(arg) == 0 || len(arg) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range arg {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// svIndexFold returns the offset of the first s in in at or after i,
// ignoring ASCII case, or -1.
func svIndexFold(in []byte, i int, s string) int {
	for ; i+len(s) <= len(in); i++ {
		if strings.EqualFold(string(in[i:i+len(s)]), s) {
			return i
		}
	}
	return -1
}

// svLineRest returns in from i to the next CR or LF.
func svLineRest(in []byte, i int) []byte {
	rest := in[i:]
	if j := bytes.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// svEndsWithDATA reports whether the command line that ends just before
// in[q] (q follows its terminator) ends in the verb DATA, trailing spaces
// aside: where DATA content can start.
func svEndsWithDATA(in []byte, q int) bool {
	e := q - 1
	if e >= 0 && in[e] == '\n' && e > 0 && in[e-1] == '\r' {
		e--
	}
	if e < 0 || in[e] != '\n' && in[e] != '\r' {
		return false
	}
	line := bytes.TrimRight(in[:e], " \t")
	return len(line) >= 4 && strings.EqualFold(string(line[len(line)-4:]), "DATA")
}

// svMatch lays the svRecorder's events over the client octets in,
// in order: each MAIL and RCPT the Session saw must be a "MAIL FROM:" or
// "RCPT TO:" naming it, after everything matched before; each message
// delivered must be what svRefData (for DATA content after a DATA line) or
// svRefBdat (for chunks from a BDAT line) make of the octets from some
// later point, and matching goes on after its end. So a message cut short
// or run past its end, or a command taken from inside one, fails to match.
// Matching is greedy (earliest position), which finds an assignment
// whenever one exists.
func svMatch(in []byte, events []string, o svOptions) error {
	cur := 0
	for k, ev := range events {
		kind, arg, _ := strings.Cut(ev, " ")
		switch kind {
		case "MAIL", "RCPT":
			prefix := "MAIL FROM:"
			if kind == "RCPT" {
				prefix = "RCPT TO:"
			} else {
				arg = arg[:strings.LastIndex(arg, " tls=")]
			}
			at := -1
			for i := svIndexFold(in, cur, prefix); i >= 0; i = svIndexFold(in, i+1, prefix) {
				if svIndexFold(svLineRest(in, i+len(prefix)), 0, arg) >= 0 {
					at = i
					break
				}
			}
			if at < 0 {
				return fmt.Errorf("event %d %q: no such command after offset %d", k, ev, cur)
			}
			cur = at + len(prefix)
		case "BODY":
			end, ok := svMatchBody(in, cur, []byte(arg), o)
			if !ok {
				return fmt.Errorf("event %d: delivered message %q is no DATA or BDAT content after offset %d", k, arg, cur)
			}
			cur = end
		}
	}
	return nil
}

// svMatchBody finds the first position at or after cur where the reference
// decoders give body, and returns the end of that message.
func svMatchBody(in []byte, cur int, body []byte, o svOptions) (int, bool) {
	for q := cur; q <= len(in); q++ {
		if svEndsWithDATA(in, q) {
			if got, end, ok, acceptable := svRefData(in, q, o); ok && acceptable && bytes.Equal(got, body) {
				return end, true
			}
		}
		if q+4 <= len(in) && strings.EqualFold(string(in[q:q+4]), "BDAT") {
			if got, end, ok := svRefBdat(in, q, o); ok && bytes.Equal(got, body) {
				return end, true
			}
		}
	}
	return 0, false
}

// svCheckContract checks the Session calls against the server.Session
// contract: MAIL opens a transaction (only when none is open), RCPT and
// the message come inside one, the message only after a recipient, Reset
// ends each transaction once, the AUTH identity is one the verifier
// accepts, and Logout comes once, last.
func svCheckContract(events []string) error {
	open, rcpts := false, 0
	for k, ev := range events {
		kind, arg, _ := strings.Cut(ev, " ")
		bad := false
		switch kind {
		case "MAIL":
			bad, open, rcpts = open, true, 0
		case "RCPT":
			bad = !open
			rcpts++
		case "BODY", "ABORT":
			bad = !open || rcpts == 0
		case "RESET":
			bad, open = !open, false
		case "AUTH":
			bad = arg != svUser
		case "LOGOUT":
			bad = k != len(events)-1
		default:
			bad = true
		}
		if bad {
			return fmt.Errorf("event %d %q breaks the Session contract: %q", k, ev, events)
		}
	}
	if len(events) == 0 || events[len(events)-1] != "LOGOUT" {
		return fmt.Errorf("no Logout at the end: %q", events)
	}
	return nil
}
