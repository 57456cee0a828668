package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file holds the report writers' API (Format, ReportOptions,
// WriteReport), the JSON format and what the formats share. The text,
// JUnit and HTML formats are in report_text.go, report_junit.go and
// report_html.go.

// Format is the form a report is written in.
type Format uint8

const (
	// FormatText is a table for people, the zero Format: one row per case
	// (status, level, ID and title shortened to ReportOptions.Width), the
	// reason of each failure and skip on an indented line under its row,
	// and a closing line "N passed, N failed, N skipped", followed by
	// " (M MUST failures)" when some MUST case failed. Text that came from
	// the target has its control characters escaped (\x1b, \u202e ...).
	FormatText Format = iota
	// FormatJSON is for programs: one JSON object per report, indented and
	// followed by a newline, so that several reports form a stream that
	// json.Decoder and jq read one value after the other. The schema is
	// stable; fields are added, never renamed or removed:
	//
	//	{
	//	  "suite": "server",               // "server" or "client"
	//	  "target": "127.0.0.1:25",        // address or client command
	//	  "capabilities": ["PIPELINING"],  // EHLO keywords; [] when none
	//	  "tls_capabilities": [],          // EHLO keywords after STARTTLS
	//	  "started": "2026-03-01T12:00:00Z", // RFC 3339, nanoseconds if any
	//	  "duration_ms": 1234.5,           // milliseconds, to the microsecond
	//	  "counts": {"total": 3, "pass": 1, "fail": 1, "skip": 1, "must_fail": 1},
	//	  "results": [{
	//	    "id": "rfc5321/4.1.4/mail-twice",
	//	    "rfc": 5321,
	//	    "section": "4.1.4",
	//	    "name": "mail-twice",
	//	    "reference": "RFC 5321 section 4.1.4",
	//	    "level": "MUST",               // "MUST", "SHOULD" or "MAY"
	//	    "title": "A second MAIL ... gets 503 ...",
	//	    "status": "fail",              // "pass", "fail" or "skip"
	//	    "reason": "want 503, got 250", // "" when passed
	//	    "step": 3,                     // 1-based; 0 when no step failed or skipped
	//	    "step_text": "MAIL FROM:<b@example.org>",
	//	    "duration_ms": 12.5,
	//	    "transcript": "S: 220 ...\nC: ...\n" // RFC 5321 appendix D form
	//	  }]
	//	}
	//
	// Results are in the order of the report. The transcript is present for
	// failures, and for every case with ReportOptions.Verbose; it is left
	// out when there is none. A result without an outcome, which the
	// runner never produces, has status "none".
	FormatJSON
	// FormatJUnit is JUnit XML for CI systems, in the shape Jenkins and
	// Ant read: testsuites > one testsuite per report (name, tests,
	// failures, errors, skipped, time in seconds, timestamp in UTC without
	// a zone, properties suite, target and capabilities) > one testcase
	// per case (classname "conformance.<suite>.rfc<N>", name the case ID,
	// time), with <failure message type> (type is the case's level, the
	// text its citation, title and reason) or <skipped message>, and
	// <system-out> holding the transcript of failures (of every case with
	// ReportOptions.Verbose).
	FormatJUnit
	// FormatHTML is one self-contained HTML page (embedded CSS, no script,
	// nothing loaded from elsewhere): per report a header with the target,
	// date, duration, counts and verdict ("MUST failures: N"), then the
	// cases grouped by RFC, each failure with its reason and its transcript
	// in an open <details> block, each skip with its reason. Every text
	// from the target is escaped.
	FormatHTML
)

var formatNames = [...]string{FormatText: "text", FormatJSON: "json", FormatJUnit: "junit", FormatHTML: "html"}

// String returns "text", "json", "junit" or "html".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat reads a format name: "text", "json", "junit" or "html", in
// any case; "" is text.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "text", "":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "junit":
		return FormatJUnit, nil
	case "html":
		return FormatHTML, nil
	}
	return FormatText, fmt.Errorf("conformance: format %q is not text, json, junit or html", s)
}

// MarshalText returns the format's name, so that a Format can be a flag
// (flag.TextVar) or a configuration field.
func (f Format) MarshalText() ([]byte, error) {
	if int(f) >= len(formatNames) {
		return nil, fmt.Errorf("conformance: unknown %v", f)
	}
	return []byte(f.String()), nil
}

// UnmarshalText sets f from a name ParseFormat reads.
func (f *Format) UnmarshalText(text []byte) error {
	v, err := ParseFormat(string(text))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ReportOptions says how reports are written; the zero value writes the
// text format with the defaults.
type ReportOptions struct {
	// Format is the form written.
	Format Format
	// Verbose adds detail: the text format prints each failure's
	// transcript under its reason; the JSON, JUnit and HTML formats, which
	// always carry the transcripts of failures, carry those of passed and
	// skipped cases too.
	Verbose bool
	// Color marks the text format's statuses with ANSI colour codes; the
	// other formats ignore it.
	Color bool
	// Width is the text format's line width, to which titles are shortened
	// (0: 120; a command can pass the terminal's). A row is longer only when
	// its case ID is very long.
	Width int
}

// WriteReport writes reps to w in format f with the default options.
// Nil reports are left out, so that a caller can pass a server and a
// client report either of which may be missing.
func WriteReport(w io.Writer, f Format, reps ...*Report) error {
	return ReportOptions{Format: f}.Write(w, reps...)
}

// Write writes reps to w in o.Format, in one call to w.Write. Nil reports
// are left out.
func (o ReportOptions) Write(w io.Writer, reps ...*Report) error {
	list := make([]*Report, 0, len(reps))
	for _, r := range reps {
		if r != nil {
			list = append(list, r)
		}
	}
	var buf bytes.Buffer
	var err error
	switch o.Format {
	case FormatText:
		writeText(&buf, o, list)
	case FormatJSON:
		err = writeJSON(&buf, o, list)
	case FormatJUnit:
		err = writeJUnit(&buf, o, list)
	case FormatHTML:
		err = writeHTML(&buf, o, list)
	default:
		err = fmt.Errorf("conformance: unknown %v", o.Format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// reportTally is what the formats count in a report.
type reportTally struct {
	pass, fail, skip, none int
	// mustFail, shouldFail and mayFail split fail by level.
	mustFail, shouldFail, mayFail int
}

// total is the number of results.
func (t reportTally) total() int { return t.pass + t.fail + t.skip + t.none }

// add adds u's counts to t's.
func (t *reportTally) add(u reportTally) {
	t.pass += u.pass
	t.fail += u.fail
	t.skip += u.skip
	t.none += u.none
	t.mustFail += u.mustFail
	t.shouldFail += u.shouldFail
	t.mayFail += u.mayFail
}

// countsLine is the closing line of the text format: "N passed, N failed,
// N skipped" and " (M MUST failures)" when M > 0.
func (t reportTally) countsLine() string {
	s := fmt.Sprintf("%d passed, %d failed, %d skipped", t.pass, t.fail, t.skip)
	switch {
	case t.mustFail == 1:
		s += " (1 MUST failure)"
	case t.mustFail > 1:
		s += fmt.Sprintf(" (%d MUST failures)", t.mustFail)
	}
	return s
}

// tallyReport counts rep's results.
func tallyReport(rep *Report) reportTally {
	var t reportTally
	for i := range rep.Results {
		res := &rep.Results[i]
		switch res.Status {
		case Pass:
			t.pass++
		case Fail:
			t.fail++
			switch reportCase(res).Level {
			case Must:
				t.mustFail++
			case Should:
				t.shouldFail++
			default:
				t.mayFail++
			}
		case Skipped:
			t.skip++
		default:
			t.none++
		}
	}
	return t
}

// reportSuite names rep's suite: "server", "client", or "conformance"
// when the report does not say.
func reportSuite(rep *Report) string {
	if s := rep.Suite.String(); s != "" {
		return s
	}
	return "conformance"
}

// reportNoCase stands in for the Case of a Result that has none.
var reportNoCase = &Case{Name: "unknown", Title: "(no case)"}

// reportCase returns res.Case, or a stand-in when it is nil.
func reportCase(res *Result) *Case {
	if res.Case == nil {
		return reportNoCase
	}
	return res.Case
}

// reportStatus is the status as the formats write it: "pass", "fail",
// "skip", or "none" for a result without an outcome.
func reportStatus(s Status) string {
	if n := s.String(); n != "" {
		return n
	}
	return "none"
}

// showTranscript reports whether the JSON, JUnit and HTML formats carry
// the transcript of res.
func (o ReportOptions) showTranscript(res *Result) bool {
	return res.Transcript != nil && (res.Status == Fail || o.Verbose)
}

// transcriptOf returns the transcript's text, or "".
func transcriptOf(res *Result) string {
	if res.Transcript == nil {
		return ""
	}
	return res.Transcript.String()
}

// reportStep describes where a case failed or was skipped: "step 3 (MAIL
// FROM:<b@example.org>)", or "" when no step is known.
func reportStep(res *Result) string {
	if res.Step <= 0 {
		return ""
	}
	if res.StepText == "" {
		return "step " + strconv.Itoa(res.Step)
	}
	return "step " + strconv.Itoa(res.Step) + " (" + res.StepText + ")"
}

// reportOutcome is the one-line explanation of a failure or skip: the step
// and the reason.
func reportOutcome(res *Result) string {
	step, reason := reportStep(res), res.Reason
	switch {
	case res.Status == Skipped && reason != "":
		reason = "skipped: " + reason
	case res.Status == Skipped:
		reason = "skipped"
	case reason == "" && res.Status == Fail:
		reason = "failed"
	case reason == "" && res.Status != Pass:
		reason = "no outcome"
	}
	if step == "" {
		return reason
	}
	return step + ": " + reason
}

// reportDuration writes d rounded to the millisecond ("12ms", "1.234s").
func reportDuration(d time.Duration) string {
	if d > 0 && d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

// reportMS is d in milliseconds to the microsecond.
func reportMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// textSafe makes text from the target safe to print on a terminal: every
// rune that is not printable (control characters, invalid UTF-8, format
// characters such as U+202E) is written as an escape, tabs as a space.
func textSafe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r != ' ' && !unicode.IsPrint(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// jsonReport is a report in the JSON schema documented on FormatJSON.
type jsonReport struct {
	Suite           string       `json:"suite"`
	Target          string       `json:"target"`
	Capabilities    []string     `json:"capabilities"`
	TLSCapabilities []string     `json:"tls_capabilities"`
	Started         string       `json:"started"`
	DurationMS      float64      `json:"duration_ms"`
	Counts          jsonCounts   `json:"counts"`
	Results         []jsonResult `json:"results"`
}

// jsonCounts is the "counts" object of a JSON report.
type jsonCounts struct {
	Total    int `json:"total"`
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Skip     int `json:"skip"`
	MustFail int `json:"must_fail"`
}

// jsonResult is one element of a JSON report's "results".
type jsonResult struct {
	ID         string  `json:"id"`
	RFC        int     `json:"rfc"`
	Section    string  `json:"section"`
	Name       string  `json:"name"`
	Reference  string  `json:"reference"`
	Level      string  `json:"level"`
	Title      string  `json:"title"`
	Status     string  `json:"status"`
	Reason     string  `json:"reason"`
	Step       int     `json:"step"`
	StepText   string  `json:"step_text"`
	DurationMS float64 `json:"duration_ms"`
	Transcript string  `json:"transcript,omitempty"`
}

// jsonStrings returns s, or an empty slice for nil, so that JSON has [] rather
// than null.
func jsonStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeJSON writes the JSON format (FormatJSON).
func writeJSON(w io.Writer, o ReportOptions, reps []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	for _, rep := range reps {
		t := tallyReport(rep)
		jr := jsonReport{
			Suite:           rep.Suite.String(),
			Target:          rep.Target,
			Capabilities:    jsonStrings(rep.Capabilities),
			TLSCapabilities: jsonStrings(rep.TLSCapabilities),
			Started:         rep.Started.Format(time.RFC3339Nano),
			DurationMS:      reportMS(rep.Duration),
			Counts:          jsonCounts{Total: t.total(), Pass: t.pass, Fail: t.fail, Skip: t.skip, MustFail: t.mustFail},
			Results:         make([]jsonResult, len(rep.Results)),
		}
		for i := range rep.Results {
			res := &rep.Results[i]
			c := reportCase(res)
			r := jsonResult{
				ID: c.ID(), RFC: c.RFC, Section: c.Section, Name: c.Name, Reference: c.Reference(),
				Level: c.Level.String(), Title: c.Title, Status: reportStatus(res.Status),
				Reason: res.Reason, Step: res.Step, StepText: res.StepText,
				DurationMS: reportMS(res.Duration),
			}
			if o.showTranscript(res) {
				r.Transcript = transcriptOf(res)
			}
			jr.Results[i] = r
		}
		if err := enc.Encode(&jr); err != nil {
			return err
		}
	}
	return nil
}
