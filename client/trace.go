package client

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/smtpkit/smtpkit/state"
)

// tracer writes the redacted debug transcript of WithDebug: commands and
// replies as "C: " and "S: " lines, AUTH payloads as "<redacted>" (they
// carry passwords, tokens and proofs), message content as its length.
type tracer struct {
	w    io.Writer
	skip int // octets of a BDAT chunk still to leave out
	// data: DATA content is being written, from the 354 to its "." CRLF;
	// ended: that "." CRLF was written, and what follows in the same
	// phase are the next message's commands (SendEach). tail holds the
	// last octets of the content so far (ntail of them), since the end
	// can be split between writes.
	data, ended bool
	tail        [4]byte
	ntail       int
}

// client writes what the client sends; phase is the machine's phase.
func (t *tracer) client(out []byte, phase state.Phase) {
	if t.data || phase == state.PhaseData && !t.ended {
		n := t.content(out)
		fmt.Fprintf(t.w, "C: <%d octets of message content>\n", n)
		out = out[n:]
	}
	for len(out) > 0 {
		if t.skip > 0 {
			n := min(t.skip, len(out))
			t.skip -= n
			out = out[n:]
			fmt.Fprintf(t.w, "C: <%d octets of message content>\n", n)
			continue
		}
		line, rest, _ := bytes.Cut(out, []byte("\r\n"))
		out = rest
		switch {
		case phase == state.PhaseAuth:
			fmt.Fprintln(t.w, "C: <redacted>")
		case hasPrefixFold(line, "AUTH "):
			// AUTH mechanism [initial-response] (RFC 4954 section 4)
			if f := bytes.Fields(line); len(f) > 2 {
				fmt.Fprintf(t.w, "C: AUTH %s <redacted>\n", f[1])
			} else {
				fmt.Fprintf(t.w, "C: %s\n", line)
			}
		case hasPrefixFold(line, "BDAT "):
			if f := bytes.Fields(line); len(f) > 1 {
				n, _ := strconv.Atoi(string(f[1]))
				t.skip = n
			}
			fmt.Fprintf(t.w, "C: %s\n", line)
		default:
			fmt.Fprintf(t.w, "C: %s\n", line)
		}
	}
}

// content returns how many octets of out are message content: up to and
// including the CRLF "." CRLF that ends the data (RFC 5321 section
// 4.1.1.4; dot-stuffing, section 4.5.2, leaves it nowhere else), which
// ends the content, or all of them.
func (t *tracer) content(out []byte) int {
	const end = "\r\n.\r\n"
	if !t.data {
		t.data, t.ntail = true, copy(t.tail[:], "\r\n") // the content starts a line
	}
	seen := append(t.tail[:t.ntail:t.ntail], out...)
	if i := bytes.Index(seen, []byte(end)); i >= 0 {
		t.data, t.ended = false, true
		return i + len(end) - t.ntail
	}
	t.ntail = copy(t.tail[:], seen[max(0, len(seen)-len(t.tail)):])
	return len(out)
}

// server writes a reply.
func (t *tracer) server(ev state.ClientEvent) {
	if ev.Kind == state.ClientEventGoAhead {
		t.data, t.ended = false, false // the content starts with the next write
	}
	if ev.Kind == state.ClientEventChallenge {
		fmt.Fprintln(t.w, "S: 334 <redacted>")
		return
	}
	r := ev.Reply()
	enh := ""
	if !r.Enhanced.IsZero() {
		enh = r.Enhanced.String() + " "
	}
	// RFC 5321 section 4.2.1: "ddd-" on every line but the last.
	var prev string
	n := 0
	for line := range r.Lines() {
		if n > 0 {
			fmt.Fprintf(t.w, "S: %d-%s%s\n", r.Code, enh, prev)
		}
		prev, n = line, n+1
	}
	fmt.Fprintf(t.w, "S: %d %s%s\n", r.Code, enh, prev)
}

// hasPrefixFold reports whether b starts with the ASCII prefix p in any case.
func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && bytes.EqualFold(b[:len(p)], []byte(p))
}
