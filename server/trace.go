package server

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// Counter names what a Metrics hook is told about.
type Counter uint8

// Counters.
const (
	CounterNone         Counter = iota
	CounterConnections          // a connection was accepted
	CounterRefused              // a connection was greeted with a refusal
	CounterMessages             // a message was accepted (2yz after its data)
	CounterMessageBytes         // octets of accepted messages
	CounterRejected             // a command or message refused by the machine
	CounterAuthFailures         // a failed or cancelled AUTH exchange
	CounterTimeouts             // a read deadline passed
	CounterPanics               // a handler panicked
	numCounters
)

var counterNames = [numCounters]string{
	"none", "connections", "refused", "messages", "message_bytes",
	"rejected", "auth_failures", "timeouts", "panics",
}

// String returns the counter's name, such as "messages".
func (c Counter) String() string {
	if c < numCounters {
		return counterNames[c]
	}
	return "Counter(" + strconv.Itoa(int(c)) + ")"
}

// Metrics is told what the Server does: Count(c, n) adds n to counter c.
// It is called from every connection goroutine and must be safe for
// concurrent use and quick.
type Metrics interface {
	Count(c Counter, n int64)
}

// tracer writes a connection's C:/S: protocol trace. Client input read in
// an AUTH exchange, and everything after an AUTH command line, is
// redacted; message content is summarized as its length. Lines from
// several connections are kept whole by mu.
//
// A read may end anywhere (TCP keeps no line boundaries), and a client may
// send commands and content in one read, so the tracer frames the client's
// octets itself, across reads, the way the machine does: command lines
// split by the machine's rules (a wire.LineSplitter with its BareLines
// policy; a line is traced once it is whole), DATA content up to CRLF "."
// CRLF (RFC 5321 section 4.1.1.4, found with a wire.DataDecoder) and BDAT
// chunks (RFC 3030 section 2), whose octets are content even when the
// machine refuses the command and drops them. Otherwise "AU" in one read
// and "TH PLAIN <credentials>" in the next would put the credentials in
// the trace, and a message in pieces would put its content there.
type tracer struct {
	w       io.Writer
	mu      *sync.Mutex
	buf     []byte
	lines   wire.LineSplitter
	head    []byte           // client octets of a line not yet whole
	chunk   uint64           // octets of the current BDAT chunk not yet read
	inData  bool             // DATA content is being read
	data    wire.DataDecoder // finds the end of DATA content
	scratch []byte           // the traced form of a refused line
}

// newTracer returns the tracer of a connection whose machine splits lines
// under policy.
func newTracer(w io.Writer, mu *sync.Mutex, policy wire.BarePolicy) tracer {
	return tracer{w: w, mu: mu, lines: wire.LineSplitter{Max: wire.MaxAuthLine, Policy: policy}}
}

// note writes a "-- what" line.
func (t *tracer) note(what string) {
	if t.w == nil {
		return
	}
	t.buf = append(append(t.buf[:0], "-- "...), what...)
	t.emit()
}

// server traces octets written to the client. 334 challenges are redacted.
func (t *tracer) server(p []byte) {
	if t.w == nil {
		return
	}
	for line := range bytes.Lines(p) {
		line = bytes.TrimRight(line, "\r\n")
		t.buf = append(t.buf[:0], "S: "...)
		if bytes.HasPrefix(line, []byte("334")) {
			t.buf = append(t.buf, "334 <redacted>"...)
		} else {
			t.buf = appendPrintable(t.buf, line)
		}
		t.emit()
	}
}

// client traces octets read from the client while the machine was in
// phase.
func (t *tracer) client(p []byte, phase state.Phase) {
	if t.w == nil {
		return
	}
	switch phase {
	case state.PhaseAuth:
		// SASL responses, framed as lines like commands (they never
		// look like DATA or BDAT with a size) but never shown.
		t.line("C: <redacted SASL response>")
		t.frame(p, false)
	case state.PhaseBDAT:
		// Chunks, and commands between them, which are not told apart
		// here; the octets are still framed, so that later reads are.
		t.octets(len(p))
		t.frame(p, false)
	case state.PhaseData:
		if !t.inData { // the DATA line went unseen: frame from here
			t.head, t.chunk, t.inData = t.head[:0], 0, true
			t.data = wire.DataDecoder{Discard: true}
			t.lines.Reset()
		}
		t.frame(p, true)
	default:
		// The machine reads commands: a DATA line taken for the start of
		// content was refused, and what follows it is commands.
		t.inData = false
		t.frame(p, true)
	}
}

// frame reads client octets as command lines, DATA content and BDAT
// chunks, tracing them when emit is set. After an AUTH line nothing more
// of the read is shown (RFC 4954 section 4: the initial response, and any
// response that follows, may carry a password).
func (t *tracer) frame(p []byte, emit bool) {
	if len(t.head) > 0 {
		t.head = append(t.head, p...)
		p = t.head
	}
	for len(p) > 0 {
		var n int
		switch {
		case t.inData:
			_, n, _ = t.data.Decode(nil, p)
			t.inData = !t.data.Done()
		case t.chunk > 0:
			n = int(min(t.chunk, uint64(len(p))))
			t.chunk -= uint64(n)
		}
		if n > 0 || t.inData {
			if emit && n > 0 {
				t.octets(n)
			}
			p = p[n:]
			continue
		}
		adv, line, err := t.lines.Split(p)
		if adv == 0 {
			break // the line is not whole yet
		}
		raw := bytes.TrimRight(p[:adv], "\r\n")
		p = p[adv:]
		switch {
		case err == nil && line == nil: // octets of an over-long line, dropped
			continue
		case errors.Is(err, wire.ErrLineTooLong):
			line = []byte("<line too long>")
		case err != nil:
			// Refused for a bare CR or LF: traced up to it, since what
			// follows may be anything, an AUTH line included.
			if i := bytes.IndexAny(raw, "\r\n"); i >= 0 {
				raw = raw[:i]
			}
			line = append(append(t.scratch[:0], raw...), " <bare CR or LF, rest not shown>"...)
			t.scratch = line
		}
		word := line
		if i := bytes.IndexByte(word, ' '); i >= 0 {
			word = word[:i]
		}
		if bytes.EqualFold(word, []byte("AUTH")) {
			if emit {
				t.line("C: AUTH <redacted>")
				if len(p) > 0 {
					t.line("C: <redacted>")
				}
			}
			emit = false
			continue
		}
		if emit {
			t.buf = appendPrintable(append(t.buf[:0], "C: "...), line)
			t.emit()
		}
		switch {
		case err != nil:
		case bytes.EqualFold(word, []byte("DATA")):
			t.inData = true
			t.data = wire.DataDecoder{Discard: true}
		case bytes.EqualFold(word, []byte("BDAT")):
			t.chunk = chunkSize(line)
		}
	}
	t.head = append(t.head[:0], p...)
}

// chunkSize reads the chunk size of a BDAT command line: the digits after
// its first space (0 when there are none).
func chunkSize(line []byte) uint64 {
	_, arg, _ := bytes.Cut(line, []byte(" "))
	var n uint64
	for i := 0; i < len(arg) && i < 19 && '0' <= arg[i] && arg[i] <= '9'; i++ {
		n = n*10 + uint64(arg[i]-'0')
	}
	return n
}

func (t *tracer) octets(n int) {
	t.buf = append(t.buf[:0], "C: <"...)
	t.buf = strconv.AppendInt(t.buf, int64(n), 10)
	t.buf = append(t.buf, " octets of content>"...)
	t.emit()
}

func (t *tracer) line(s string) {
	t.buf = append(t.buf[:0], s...)
	t.emit()
}

func (t *tracer) emit() {
	t.buf = append(t.buf, '\n')
	t.mu.Lock()
	_, _ = t.w.Write(t.buf)
	t.mu.Unlock()
}

// appendPrintable appends p with control octets as \xHH, so that client
// input cannot forge trace lines.
func appendPrintable(dst, p []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
