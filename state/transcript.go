package state

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the golden transcript values: Side, StepKind, Step,
// Meta, Transcript with its accessors, TranscriptError and the Recorder.
// The text form (ParseTranscript and Transcript.Append) is in
// transcript_format.go.

// Side names the party of an SMTP session that wrote some bytes or ended
// its stream. The zero value, SideNone, names neither.
type Side uint8

// The sides of a session. RFC 5321 appendix D writes them "C:" and "S:".
const (
	SideNone Side = iota
	SideClient
	SideServer
)

var sideNames = [...]string{"none", "client", "server"}

// String returns "client", "server" or "none"; an unknown value gives
// "Side(n)".
func (s Side) String() string {
	if int(s) < len(sideNames) {
		return sideNames[s]
	}
	return "Side(" + strconv.Itoa(int(s)) + ")"
}

// Peer returns the other side: SideServer for SideClient and the reverse;
// SideNone for anything else.
func (s Side) Peer() Side {
	switch s {
	case SideClient:
		return SideServer
	case SideServer:
		return SideClient
	}
	return SideNone
}

// letter returns the transcript letter of s, 'C' or 'S', or 0 when s is
// neither side.
func (s Side) letter() byte {
	switch s {
	case SideClient:
		return 'C'
	case SideServer:
		return 'S'
	}
	return 0
}

// StepKind says what a Step records. The zero value, StepNone, records
// nothing and is left out of the text form.
type StepKind uint8

// The kinds of transcript steps, with their text form.
const (
	StepNone StepKind = iota
	// StepData is one write of Side: Data holds its exact bytes. Text:
	// consecutive "C: " / "C+ " (or "S: " / "S+ ") lines.
	StepData
	// StepTLS is the TLS handshake after a STARTTLS 220 reply (RFC 3207
	// section 4.2): both sides switch from then on. Text: "-- TLS".
	StepTLS
	// StepClose is Side closing the connection. Text: "-- close C".
	StepClose
	// StepEOF is Side ending its half of the stream (a half-close; it
	// may still read). Text: "-- eof C".
	StepEOF
	// StepWait is time passing with nothing said, for timeout tests
	// (RFC 5321 section 4.5.3.2). Wait holds the time. Text: "-- wait 5m".
	StepWait
	// StepComment is a comment line starting with "#" or a blank line;
	// Data holds the line as written, without its line feed.
	StepComment
)

var stepKindNames = [...]string{"none", "data", "tls", "close", "eof", "wait", "comment"}

// String returns the kind's lower-case name, such as "data" or "tls"; an
// unknown value gives "StepKind(n)".
func (k StepKind) String() string {
	if int(k) < len(stepKindNames) {
		return stepKindNames[k]
	}
	return "StepKind(" + strconv.Itoa(int(k)) + ")"
}

// Step is one step of a transcript: a write, the TLS switch, a close, an
// end of stream, a wait or a comment.
type Step struct {
	// Kind says which fields matter.
	Kind StepKind
	// Side is the writer of StepData and the party of StepClose and
	// StepEOF; SideNone for the other kinds.
	Side Side
	// Data holds the exact bytes of one write (StepData), CRLFs
	// included, or the line of an StepComment.
	Data []byte
	// Wait is the time that passes (StepWait).
	Wait time.Duration
	// Line is the 1-based line of the text where the event starts, or 0
	// for an event that was not parsed.
	Line int
}

// Meta is one "# key: value" line of a transcript's header, such as
// "# rfc: RFC 5321 D.1" or "# server: PIPELINING CHUNKING SIZE=1000".
type Meta struct {
	// Key is a token of letters, digits, '-', '_' and '.'; it is
	// compared exactly.
	Key string
	// Value is the rest of the line after ": ", possibly empty.
	Value string
}

// Transcript is a recorded or hand-written SMTP session in the C:/S: style
// of RFC 5321 appendix D, exact to the byte: the header's metadata and the
// events in order. See ParseTranscript for the text form.
//
// A Transcript owns its memory: ParseTranscript copies out of its input
// and the Recorder copies the writes it is given. Methods that only read
// are safe for concurrent use; nothing here is safe to use while the
// Transcript is modified.
type Transcript struct {
	// Header holds the "# key: value" lines that open the text, in order.
	Header []Meta
	// Steps holds the session's events in order.
	Steps []Step
}

// Meta returns the value of the first header entry whose key is key, and
// whether there is one.
func (t *Transcript) Meta(key string) (string, bool) {
	for _, m := range t.Header {
		if m.Key == key {
			return m.Value, true
		}
	}
	return "", false
}

// Bytes returns every byte side wrote, across the TLS switch, in order, in
// a new slice: the stream the peer reads.
func (t *Transcript) Bytes(side Side) []byte {
	var out []byte
	for _, e := range t.Steps {
		if e.Kind == StepData && e.Side == side {
			out = append(out, e.Data...)
		}
	}
	return out
}

// Writes returns the Data of each write of side, in order, so a test can
// feed a machine the same chunks the peer sent (RFC 2920 pipelining and
// RFC 3030 chunking depend on them). The slices alias t.
func (t *Transcript) Writes(side Side) [][]byte {
	var out [][]byte
	for _, e := range t.Steps {
		if e.Kind == StepData && e.Side == side {
			out = append(out, e.Data)
		}
	}
	return out
}

// SplitTLS returns the bytes side wrote before the first StepTLS (in
// clear) and after it (inside TLS), each in a new slice. Bytes after a
// second StepTLS stay in secure. Without an StepTLS, secure is nil.
func (t *Transcript) SplitTLS(side Side) (clear, secure []byte) {
	inTLS := false
	for _, e := range t.Steps {
		switch {
		case e.Kind == StepTLS:
			inTLS = true
		case e.Kind == StepData && e.Side == side && inTLS:
			secure = append(secure, e.Data...)
		case e.Kind == StepData && e.Side == side:
			clear = append(clear, e.Data...)
		}
	}
	return clear, secure
}

// String returns the text form of t (see Append).
func (t *Transcript) String() string { return string(t.Append(nil)) }

// TranscriptError reports transcript text that ParseTranscript refused:
// the 1-based line and why.
type TranscriptError struct {
	// Line is the 1-based line of the text.
	Line int
	// Reason says what is wrong, such as `unknown escape "\q"`.
	Reason string
}

// Error returns a one-line description such as
// `state: transcript line 4: unknown escape "\q"`.
func (e *TranscriptError) Error() string {
	return "state: transcript line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// Recorder builds a Transcript from the byte exchanges of a test: each
// Client or Server call is one write, kept as its own StepData, so the
// text shows every write boundary ("-- flush" between two writes of the
// same side). A zero Recorder is ready to use; it is not safe for
// concurrent use.
type Recorder struct {
	t Transcript
}

// Meta adds a "# key: value" header line. Call it before anything else is
// recorded if the text must parse back with the same header. The key must
// be a token of letters, digits, '-', '_' and '.'.
func (r *Recorder) Meta(key, value string) {
	r.t.Header = append(r.t.Header, Meta{Key: key, Value: value})
}

// Comment adds the comment line "# text" (or "#" for an empty text).
// Line breaks in text become spaces. Before any event, a text of the form
// "key: value" is a header line, as ParseTranscript would read it, and
// joins the header.
func (r *Recorder) Comment(text string) {
	line := "#"
	if text != "" {
		line = "# " + strings.NewReplacer("\r", " ", "\n", " ").Replace(text)
	}
	if key, value, ok := parseMetaLine([]byte(line)); ok && len(r.t.Steps) == 0 {
		r.Meta(key, value)
		return
	}
	r.add(Step{Kind: StepComment, Data: []byte(line)})
}

// Write records one write of side. The Recorder copies p; the caller may
// reuse it. A write of no bytes, or from SideNone, records nothing.
func (r *Recorder) Write(side Side, p []byte) {
	if len(p) == 0 || side.letter() == 0 {
		return
	}
	r.add(Step{Kind: StepData, Side: side, Data: bytes.Clone(p)})
}

// Client records one write of the client (see Write).
func (r *Recorder) Client(p []byte) { r.Write(SideClient, p) }

// Server records one write of the server (see Write).
func (r *Recorder) Server(p []byte) { r.Write(SideServer, p) }

// TLS records the TLS handshake that follows a STARTTLS 220 reply
// (RFC 3207 section 4.2).
func (r *Recorder) TLS() { r.add(Step{Kind: StepTLS}) }

// Close records side closing the connection; SideNone records nothing.
func (r *Recorder) Close(side Side) {
	if side.letter() != 0 {
		r.add(Step{Kind: StepClose, Side: side})
	}
}

// EOF records side ending its half of the stream; SideNone records
// nothing.
func (r *Recorder) EOF(side Side) {
	if side.letter() != 0 {
		r.add(Step{Kind: StepEOF, Side: side})
	}
}

// Wait records d passing with nothing said; a d of zero or less records
// nothing.
func (r *Recorder) Wait(d time.Duration) {
	if d > 0 {
		r.add(Step{Kind: StepWait, Wait: d})
	}
}

func (r *Recorder) add(e Step) { r.t.Steps = append(r.t.Steps, e) }

// Transcript returns what was recorded so far. The Recorder may go on
// recording; what it records later does not show in the returned value.
func (r *Recorder) Transcript() *Transcript {
	return &Transcript{
		Header: slices.Clip(r.t.Header),
		Steps:  slices.Clip(r.t.Steps),
	}
}
