package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the JUnit XML format (FormatJUnit), in the shape of
// the schemas Jenkins and Ant read (testdata/junit.xsd is the one the
// tests check it against).

// junitTimestamp is the Ant schema's timestamp: UTC, no zone.
const junitTimestamp = "2006-01-02T15:04:05"

// junitTestsuites is the document: one testsuite per report.
type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

// junitTestsuite is one report.
type junitTestsuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitTestcase `xml:"testcase"`
}

// junitProperty is one of a testsuite's properties.
type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// junitTestcase holds its children in the order the schemas want:
// skipped, error, failure, system-out.
type junitTestcase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Error     *junitMessage `xml:"error"`
	Failure   *junitMessage `xml:"failure"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitMessage is a <skipped>, <error> or <failure> element.
type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// junitText is an element of text: a CDATA section, so that transcripts
// keep their lines; junitSafe has made it valid XML.
type junitText struct {
	Text string `xml:",cdata"`
}

// junitSafe escapes, as \xHH or \uHHHH, the runes XML 1.0 cannot hold
// (control characters, invalid UTF-8) and carriage returns (which XML
// turns into line feeds), so that text from the target can go in CDATA.
func junitSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t' || r == '\n' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000:
			b.WriteString(s[i : i+size])
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// junitSeconds writes d in seconds to the millisecond, as JUnit's time
// attributes are.
func junitSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', 3, 64)
}

// writeJUnit writes the JUnit XML format (FormatJUnit).
func writeJUnit(w io.Writer, o ReportOptions, reps []*Report) error {
	doc := junitTestsuites{Name: "smtpkit conformance"}
	var total time.Duration
	for _, rep := range reps {
		suite := reportSuite(rep)
		t := tallyReport(rep)
		ts := junitTestsuite{
			Name:      suite + " suite: " + rep.Target,
			Tests:     t.total(),
			Failures:  t.fail,
			Errors:    t.none,
			Skipped:   t.skip,
			Time:      junitSeconds(rep.Duration),
			Timestamp: rep.Started.UTC().Format(junitTimestamp),
			Properties: []junitProperty{
				{"suite", suite},
				{"target", rep.Target},
				{"capabilities", strings.Join(rep.Capabilities, " ")},
				{"tls_capabilities", strings.Join(rep.TLSCapabilities, " ")},
			},
			Cases: make([]junitTestcase, len(rep.Results)),
		}
		for i := range rep.Results {
			ts.Cases[i] = junitCase(o, suite, &rep.Results[i])
		}
		doc.Suites = append(doc.Suites, ts)
		doc.Tests += ts.Tests
		doc.Failures += ts.Failures
		doc.Errors += ts.Errors
		total += rep.Duration
	}
	doc.Time = junitSeconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCase is the testcase element of one result.
func junitCase(o ReportOptions, suite string, res *Result) junitTestcase {
	c := reportCase(res)
	tc := junitTestcase{
		Name:      c.ID(),
		Classname: "conformance." + suite + ".rfc" + strconv.Itoa(c.RFC),
		Time:      junitSeconds(res.Duration),
	}
	switch res.Status {
	case Pass:
	case Fail:
		msg := res.Reason
		if msg == "" {
			msg = "failed"
		}
		text := c.Reference() + " (" + c.Level.String() + "): " + c.Title + "\n" + reportOutcome(res) + "\n"
		tc.Failure = &junitMessage{Message: msg, Type: c.Level.String(), Text: junitSafe(text)}
	case Skipped:
		tc.Skipped = &junitMessage{Message: res.Reason}
	default:
		tc.Error = &junitMessage{Message: "the case has no outcome", Type: "none"}
	}
	if o.showTranscript(res) {
		tc.SystemOut = &junitText{junitSafe(transcriptOf(res))}
	}
	return tc
}
