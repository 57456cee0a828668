package server

import (
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/smtpkit/smtpkit/state"
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
type tracer struct {
	w   io.Writer
	mu  *sync.Mutex
	buf []byte
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
		t.line("C: <redacted SASL response>")
		return
	case state.PhaseData, state.PhaseBDAT:
		// Content, or commands between chunks, which are not told
		// apart here.
		t.octets(len(p))
		return
	}
	for len(p) > 0 {
		line := p
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			line = p[:i+1]
		}
		p = p[len(line):]
		word := line
		if i := bytes.IndexByte(word, ' '); i >= 0 {
			word = word[:i]
		}
		word = bytes.TrimRight(word, "\r\n")
		t.buf = append(t.buf[:0], "C: "...)
		switch {
		case bytes.EqualFold(word, []byte("AUTH")):
			// RFC 4954 section 4: the initial response, and any
			// response that follows, may carry a password.
			t.buf = append(t.buf, "AUTH <redacted>"...)
			t.emit()
			if len(p) > 0 {
				t.line("C: <redacted>")
			}
			return
		case bytes.EqualFold(word, []byte("DATA")), bytes.EqualFold(word, []byte("BDAT")):
			t.buf = appendPrintable(t.buf, bytes.TrimRight(line, "\r\n"))
			t.emit()
			if len(p) > 0 {
				t.octets(len(p))
			}
			return
		}
		t.buf = appendPrintable(t.buf, bytes.TrimRight(line, "\r\n"))
		t.emit()
	}
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
