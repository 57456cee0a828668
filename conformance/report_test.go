package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/conformance"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/state"
)

// repTranscript parses a C:/S: transcript, panicking on a mistake in the
// test's text.
func repTranscript(text string) *state.Transcript {
	tr, err := state.ParseTranscript([]byte(text))
	if err != nil {
		panic(err)
	}
	return tr
}

// repStarted is when every sample report started.
var repStarted = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// repSamples returns a server and a client report with passes, MUST and
// SHOULD failures with transcripts, and skips.
func repSamples() (server, client *conformance.Report) {
	greeting := &conformance.Case{RFC: 5321, Section: "4.3.1", Name: "greeting-220", Level: conformance.Must,
		Title: "The server opens the session with a 220 greeting."}
	mailTwice := &conformance.Case{RFC: 5321, Section: "4.1.4", Name: "mail-twice", Level: conformance.Must,
		Title: "A second MAIL inside a transaction gets 503 and the first transaction stays open."}
	longLine := &conformance.Case{RFC: 5321, Section: "4.5.3.1.6", Name: "line-too-long", Level: conformance.Should,
		Title: "A command line longer than 512 octets gets 500."}
	bdat := &conformance.Case{RFC: 3030, Section: "2", Name: "bdat-last", Level: conformance.Must,
		Title: "BDAT LAST ends the message and gets one reply."}
	starttls := &conformance.Case{RFC: 3207, Section: "4.2", Name: "starttls-reset", Level: conformance.Must,
		Title: "After STARTTLS the server forgets what the client said in the clear."}
	server = &conformance.Report{
		Suite: conformance.SuiteServer, Target: "127.0.0.1:2525",
		Capabilities:    []string{"PIPELINING", "8BITMIME", "SIZE=10240000", "STARTTLS"},
		TLSCapabilities: []string{"PIPELINING", "8BITMIME", "AUTH=PLAIN"},
		Started:         repStarted, Duration: 1234 * time.Millisecond,
		Results: []conformance.Result{
			{Case: bdat, Status: conformance.Skipped, Reason: "the server does not offer CHUNKING", Duration: time.Millisecond},
			{Case: starttls, Status: conformance.Pass, Duration: 48 * time.Millisecond},
			{Case: greeting, Status: conformance.Pass, Duration: 3 * time.Millisecond},
			{Case: mailTwice, Status: conformance.Fail, Reason: "want 503, got 250", Step: 4,
				StepText: "MAIL FROM:<b@example.org>", Duration: 12 * time.Millisecond,
				Transcript: repTranscript("S: 220 mx.example.org ESMTP\nC: EHLO tester.example\nS: 250 mx.example.org\n" +
					"C: MAIL FROM:<a@example.org>\nS: 250 OK\nC: MAIL FROM:<b@example.org>\nS: 250 OK\n")},
			{Case: longLine, Status: conformance.Fail, Reason: "want 500, got 250", Step: 3,
				StepText: "a 600-octet NOOP", Duration: 7 * time.Millisecond,
				Transcript: repTranscript("S: 220 mx.example.org ESMTP\nC: EHLO tester.example\nS: 250 mx.example.org\n" +
					"C: NOOP " + strings.Repeat("x", 594) + "\nS: 250 OK\n")},
		},
	}
	clientEHLO := &conformance.Case{RFC: 5321, Section: "4.1.1.1", Name: "client-ehlo", Level: conformance.Must,
		Title: "The client opens with EHLO and a domain."}
	dots := &conformance.Case{RFC: 5321, Section: "4.5.2", Name: "dot-stuffing", Level: conformance.Must,
		Title: "The client doubles a dot that starts a line of the message."}
	auth := &conformance.Case{RFC: 4954, Section: "4", Name: "auth-plain", Level: conformance.May,
		Title: "The client authenticates with PLAIN when asked to."}
	client = &conformance.Report{
		Suite: conformance.SuiteClient, Target: "./send.sh <b>",
		Started: repStarted.Add(2 * time.Second), Duration: 456 * time.Millisecond,
		Results: []conformance.Result{
			{Case: auth, Status: conformance.Skipped, Reason: "no credentials configured"},
			{Case: clientEHLO, Status: conformance.Pass, Duration: 20 * time.Millisecond,
				Transcript: repTranscript("S: 220 tester ESMTP\nC: EHLO client.example\nS: 250 tester\nC: QUIT\nS: 221 bye\n")},
			{Case: dots, Status: conformance.Fail, Reason: "line 2 of the message starts with a lone dot <script>", Step: 5,
				StepText: "read the message", Duration: 30 * time.Millisecond,
				Transcript: repTranscript("S: 220 tester ESMTP\nC: EHLO client.example\nS: 250 tester\nC: DATA\n" +
					"S: 354 go on\nC: <script>alert('x')</script>\nC: .\n")},
		},
	}
	return server, client
}

// repWrite writes reps with o and returns the output.
func repWrite(t *testing.T, o conformance.ReportOptions, reps ...*conformance.Report) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, o.Write(&b, reps...))
	return b.String()
}

func TestFormatNames(t *testing.T) {
	for _, f := range []conformance.Format{conformance.FormatText, conformance.FormatJSON, conformance.FormatJUnit, conformance.FormatHTML} {
		got, err := conformance.ParseFormat(strings.ToUpper(f.String()))
		require.NoError(t, err)
		assert.Equal(t, f, got)
		text, err := f.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, f.String(), string(text))
	}
	f, err := conformance.ParseFormat("")
	require.NoError(t, err)
	assert.Equal(t, conformance.FormatText, f)
	_, err = conformance.ParseFormat("yaml")
	assert.ErrorContains(t, err, `"yaml"`)
	_, err = conformance.Format(9).MarshalText()
	assert.Error(t, err)
	assert.Equal(t, "Format(9)", conformance.Format(9).String())
	assert.Error(t, conformance.WriteReport(io.Discard, conformance.Format(9)))

	// A Format is a flag.
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ff conformance.Format
	fs.TextVar(&ff, "format", conformance.FormatText, "report format")
	require.NoError(t, fs.Parse([]string{"-format", "junit"}))
	assert.Equal(t, conformance.FormatJUnit, ff)
	assert.Error(t, fs.Parse([]string{"-format", "pdf"}))
}

// repFailWriter is a writer that fails.
type repFailWriter struct{}

func (repFailWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Every format writes no reports, and reports the writer's error.
func TestWriteReportEdges(t *testing.T) {
	server, _ := repSamples()
	for _, f := range []conformance.Format{conformance.FormatText, conformance.FormatJSON, conformance.FormatJUnit, conformance.FormatHTML} {
		var b bytes.Buffer
		require.NoError(t, conformance.WriteReport(&b, f), f)
		require.NoError(t, conformance.WriteReport(&b, f, nil), f)
		assert.ErrorContains(t, conformance.WriteReport(repFailWriter{}, f, server), "disk full", f)
	}
	var b bytes.Buffer
	require.NoError(t, conformance.WriteReport(&b, conformance.FormatJUnit))
	var doc repJUnitSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	assert.Empty(t, doc.Suites)
	assert.Equal(t, "0", repAttrs(doc.Attrs)["tests"])
	b.Reset()
	require.NoError(t, conformance.WriteReport(&b, conformance.FormatJSON))
	assert.Empty(t, b.String(), "no reports, no JSON values")
}

// repCounts matches the text format's closing line.
var repCounts = regexp.MustCompile(`^(\d+) passed, (\d+) failed, (\d+) skipped( \((\d+) MUST failures?\))?$`)

func TestTextReport(t *testing.T) {
	server, _ := repSamples()
	out := repWrite(t, conformance.ReportOptions{Width: 90}, server)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")

	assert.Equal(t, "server suite against 127.0.0.1:2525", lines[0])
	assert.Equal(t, "started 2026-03-01 12:00:00 UTC, took 1.234s, 5 cases", lines[1])
	assert.Equal(t, "capabilities: PIPELINING 8BITMIME SIZE=10240000 STARTTLS", lines[2])
	assert.Equal(t, "after STARTTLS: PIPELINING 8BITMIME AUTH=PLAIN", lines[3])
	assert.Equal(t, "2 passed, 2 failed, 1 skipped (1 MUST failure)", lines[len(lines)-1])
	assert.Regexp(t, repCounts, lines[len(lines)-1])

	// The table: a heading and one row per case, the ID and title columns
	// aligned; the reason of failures and skips on an indented line.
	head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "STATUS") })
	require.Positive(t, head)
	idCol, titleCol := strings.Index(lines[head], "CASE"), strings.Index(lines[head], "TITLE")
	assert.Equal(t, 16, idCol)
	rows := 0
	for _, l := range lines[head+1 : len(lines)-2] {
		assert.LessOrEqual(t, len([]rune(l)), 90, "line %q is wider than 90", l)
		if strings.HasPrefix(l, "  ") {
			assert.True(t, strings.HasPrefix(l, strings.Repeat(" ", idCol)) && l[idCol] != ' ', "detail %q not under the ID", l)
			continue
		}
		rows++
		assert.Regexp(t, `^(pass|FAIL|skip) {4}(MUST|SHOULD|MAY) +rfc`, l)
		assert.Equal(t, byte(' '), l[titleCol-1], "title column of %q", l)
		assert.NotEqual(t, byte(' '), l[titleCol], "title column of %q", l)
	}
	assert.Equal(t, 5, rows)
	assert.Contains(t, out, "\n                skipped: the server does not offer CHUNKING\n")
	assert.Contains(t, out, "\n                step 4 (MAIL FROM:<b@example.org>): want 503, got 250\n")
	mail := lines[slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "mail-twice") })]
	assert.True(t, strings.HasSuffix(mail, " gets…"), "a long title is shortened to the width: %q", mail)
	assert.InDelta(t, 90, len([]rune(mail)), 1, "cut at the width, less a trailing space")
	assert.NotContains(t, out, "S: 220 mx.example.org", "transcripts only when verbose")
	assert.NotContains(t, out, "\x1b[")

	verbose := repWrite(t, conformance.ReportOptions{Verbose: true}, server)
	assert.Contains(t, verbose, "got 250\n                  S: 220 mx.example.org ESMTP\n                  C: EHLO tester.example\n")
	assert.Equal(t, 2, strings.Count(verbose, "S: 220 mx.example.org ESMTP"), "the transcripts of both failures")
	for _, l := range strings.Split(verbose, "\n") {
		if strings.HasPrefix(l, "FAIL") && strings.Contains(l, "mail-twice") {
			assert.True(t, strings.HasSuffix(l, "…"), "shortened: %q", l)
			assert.InDelta(t, 120, len([]rune(l)), 1, "the default width is 120: %q", l)
		}
	}
	assert.Contains(t, verbose, "  The server opens the session with a 220 greeting.\n")

	color := repWrite(t, conformance.ReportOptions{Color: true}, server)
	assert.Contains(t, color, "\x1b[1;31mFAIL\x1b[0m    MUST")
	assert.Contains(t, color, "\x1b[32mpass\x1b[0m")
	assert.Contains(t, color, "\x1b[33mskip\x1b[0m")
	assert.Regexp(t, repCounts, repLastLine(color))
}

// repLastLine returns the last line of s.
func repLastLine(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func TestTextReportSeveral(t *testing.T) {
	server, client := repSamples()
	out := repWrite(t, conformance.ReportOptions{}, server, nil, client)
	assert.Contains(t, out, "\nserver suite: 2 passed, 2 failed, 1 skipped (1 MUST failure)\n\nclient suite against ./send.sh <b>\n")
	assert.Contains(t, out, "\nclient suite: 1 passed, 1 failed, 1 skipped (1 MUST failure)\n\n3 passed, 3 failed, 2 skipped (2 MUST failures)\n")
	assert.True(t, strings.HasSuffix(out, "\n\n3 passed, 3 failed, 2 skipped (2 MUST failures)\n"))

	empty := repWrite(t, conformance.ReportOptions{})
	assert.Equal(t, "0 passed, 0 failed, 0 skipped\n", empty)
}

// Text from the target cannot drive the terminal: control and format
// characters come out escaped.
func TestTextReportEscapes(t *testing.T) {
	c := &conformance.Case{RFC: 5321, Section: "4.2", Name: "reply", Level: conformance.Must, Title: "Replies\tare lines."}
	rep := &conformance.Report{Suite: conformance.SuiteServer, Target: "evil\x1b]0;x\x07", Started: repStarted,
		Results: []conformance.Result{{Case: c, Status: conformance.Fail, Reason: "got \"250 \x1b[2J\u202eok\xff\r\n\"",
			Transcript: repTranscript("# note: \x1b[31m\nS: 250 \\x1b[2J\n")}}}
	out := repWrite(t, conformance.ReportOptions{Verbose: true}, rep)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\u202e")
	assert.NotContains(t, out, "\r")
	assert.Contains(t, out, `got "250 \x1b[2J\u202eok\xff\r\n"`)
	assert.Contains(t, out, `against evil\x1b]0;x\x07`)
	assert.Contains(t, out, "Replies are lines.")
	assert.Contains(t, out, `S: 250 \x1b[2J`)
}

// ExampleWriteReport writes a report in the text format; a CLI picks the
// format with ParseFormat and writes a server and a client report at once.
func ExampleWriteReport() {
	tr, _ := state.ParseTranscript([]byte("S: 220 mx.example.org\nC: MAIL FROM:<a@example.org>\nS: 250 OK\n"))
	rep := &conformance.Report{
		Suite:    conformance.SuiteServer,
		Target:   "mx.example.org:25",
		Started:  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Duration: 1500 * time.Millisecond,
		Results: []conformance.Result{
			{Case: &conformance.Case{RFC: 5321, Section: "4.3.1", Name: "greeting-220", Level: conformance.Must,
				Title: "The server opens the session with a 220 greeting."}, Status: conformance.Pass},
			{Case: &conformance.Case{RFC: 5321, Section: "4.1.4", Name: "mail-twice", Level: conformance.Must,
				Title: "A second MAIL inside a transaction gets 503."}, Status: conformance.Fail,
				Reason: "want 503, got 250", Step: 3, StepText: "MAIL FROM:<b@example.org>", Transcript: tr},
			{Case: &conformance.Case{RFC: 3030, Section: "2", Name: "bdat", Level: conformance.Should,
				Title: "BDAT carries the message in chunks."}, Status: conformance.Skipped,
				Reason: "the server does not offer CHUNKING"},
		},
	}
	f, err := conformance.ParseFormat("text")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := conformance.WriteReport(os.Stdout, f, rep); err != nil {
		fmt.Println(err)
	}
	// Output:
	// server suite against mx.example.org:25
	// started 2026-03-01 12:00:00 UTC, took 1.5s, 3 cases
	//
	// STATUS  LEVEL   CASE                        TITLE
	// pass    MUST    rfc5321/4.3.1/greeting-220  The server opens the session with a 220 greeting.
	// FAIL    MUST    rfc5321/4.1.4/mail-twice    A second MAIL inside a transaction gets 503.
	//                 step 3 (MAIL FROM:<b@example.org>): want 503, got 250
	// skip    SHOULD  rfc3030/2/bdat              BDAT carries the message in chunks.
	//                 skipped: the server does not offer CHUNKING
	//
	// 1 passed, 1 failed, 1 skipped (1 MUST failure)
}

// repJSONReportKeys and repJSONResultKeys are the fields of the JSON
// schema, sorted.
var (
	repJSONReportKeys = []string{"capabilities", "counts", "duration_ms", "results", "started", "suite", "target", "tls_capabilities"}
	repJSONResultKeys = []string{"duration_ms", "id", "level", "name", "reason", "reference", "rfc", "section", "status", "step", "step_text", "title"}
)

// repKeys returns m's keys, sorted.
func repKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestJSONReport(t *testing.T) {
	server, client := repSamples()
	client.Capabilities = nil
	out := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJSON}, server, client)

	// Two reports are two JSON values in a row.
	dec := json.NewDecoder(strings.NewReader(out))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		docs = append(docs, m)
	}
	require.Len(t, docs, 2)
	for _, d := range docs {
		assert.Equal(t, repJSONReportKeys, repKeys(d), "the report's fields")
		for _, r := range d["results"].([]any) {
			r := r.(map[string]any)
			keys := repKeys(r)
			if r["status"] == "fail" {
				assert.Contains(t, keys, "transcript", "a failure carries its transcript")
				keys = slices.DeleteFunc(keys, func(k string) bool { return k == "transcript" })
			}
			assert.Equal(t, repJSONResultKeys, keys, "the fields of %v", r["id"])
		}
	}
	assert.Equal(t, []any{}, docs[1]["capabilities"], "no capabilities is [], not null")

	var rep struct {
		Suite, Target, Started string
		DurationMS             float64 `json:"duration_ms"`
		Capabilities           []string
		Counts                 struct {
			Total, Pass, Fail, Skip int
			MustFail                int `json:"must_fail"`
		}
		Results []struct {
			ID, Section, Name, Reference, Level, Title, Status, Reason, Transcript string
			RFC, Step                                                              int
			StepText                                                               string  `json:"step_text"`
			DurationMS                                                             float64 `json:"duration_ms"`
		}
	}
	require.NoError(t, json.NewDecoder(strings.NewReader(out)).Decode(&rep))
	assert.Equal(t, "server", rep.Suite)
	assert.Equal(t, "127.0.0.1:2525", rep.Target)
	started, err := time.Parse(time.RFC3339, rep.Started)
	require.NoError(t, err)
	assert.True(t, started.Equal(repStarted))
	assert.Equal(t, 1234.0, rep.DurationMS)
	assert.Equal(t, []string{"PIPELINING", "8BITMIME", "SIZE=10240000", "STARTTLS"}, rep.Capabilities)
	p, f, s := server.Counts()
	assert.Equal(t, []int{5, p, f, s, 1}, []int{rep.Counts.Total, rep.Counts.Pass, rep.Counts.Fail, rep.Counts.Skip, rep.Counts.MustFail})
	require.Len(t, rep.Results, 5)
	r := rep.Results[3]
	assert.Equal(t, "rfc5321/4.1.4/mail-twice", r.ID)
	assert.Equal(t, 5321, r.RFC)
	assert.Equal(t, "4.1.4", r.Section)
	assert.Equal(t, "mail-twice", r.Name)
	assert.Equal(t, "RFC 5321 section 4.1.4", r.Reference)
	assert.Equal(t, "MUST", r.Level)
	assert.Equal(t, "fail", r.Status)
	assert.Equal(t, "want 503, got 250", r.Reason)
	assert.Equal(t, 4, r.Step)
	assert.Equal(t, "MAIL FROM:<b@example.org>", r.StepText)
	assert.Equal(t, 12.0, r.DurationMS)
	assert.Equal(t, server.Results[3].Transcript.String(), r.Transcript)
	assert.Equal(t, "skip", rep.Results[0].Status)
	assert.Equal(t, "the server does not offer CHUNKING", rep.Results[0].Reason)
	assert.Empty(t, rep.Results[1].Transcript)
	assert.Contains(t, out, `"must_fail": 1`)
	assert.Contains(t, out, `<script>`, "JSON is not HTML-escaped")

	// Verbose: every transcript there is.
	verbose := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJSON, Verbose: true}, client)
	assert.Contains(t, verbose, `"transcript": "S: 220 tester ESMTP\nC: EHLO client.example\nS: 250 tester\nC: QUIT\nS: 221 bye\n"`)
}

// The JUnit XML read back into structs that mirror the schema.
type (
	repJUnitSuites struct {
		XMLName xml.Name        `xml:"testsuites"`
		Attrs   []xml.Attr      `xml:",any,attr"`
		Suites  []repJUnitSuite `xml:"testsuite"`
	}
	repJUnitSuite struct {
		Attrs      []xml.Attr `xml:",any,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []repJUnitCase `xml:"testcase"`
	}
	repJUnitCase struct {
		Attrs   []xml.Attr `xml:",any,attr"`
		Skipped *struct {
			Message *string `xml:"message,attr"`
		} `xml:"skipped"`
		Error   *struct{} `xml:"error"`
		Failure *struct {
			Message *string `xml:"message,attr"`
			Type    string  `xml:"type,attr"`
			Text    string  `xml:",chardata"`
		} `xml:"failure"`
		SystemOut *string `xml:"system-out"`
	}
)

// repAttrs maps attributes by name.
func repAttrs(attrs []xml.Attr) map[string]string {
	m := map[string]string{}
	for _, a := range attrs {
		m[a.Name.Local] = a.Value
	}
	return m
}

// repAttrInt reads a required count attribute.
func repAttrInt(t *testing.T, attrs map[string]string, name string) int {
	t.Helper()
	v, ok := attrs[name]
	require.True(t, ok, "attribute %s is required", name)
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "attribute %s=%q", name, v)
	require.GreaterOrEqual(t, n, 0)
	return n
}

// repAttrTime reads a time attribute: seconds, a decimal at least 0.
func repAttrTime(t *testing.T, attrs map[string]string) float64 {
	t.Helper()
	v, ok := attrs["time"]
	require.True(t, ok, "attribute time is required")
	require.Regexp(t, `^[0-9]+(\.[0-9]+)?$`, v)
	f, err := strconv.ParseFloat(v, 64)
	require.NoError(t, err)
	return f
}

func TestJUnitReport(t *testing.T) {
	server, client := repSamples()
	out := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit}, server, client)
	require.True(t, strings.HasPrefix(out, xml.Header))

	var doc repJUnitSuites
	require.NoError(t, xml.Unmarshal([]byte(out), &doc))
	top := repAttrs(doc.Attrs)
	require.Len(t, doc.Suites, 2)
	var tests, failures, errs int
	var seconds float64
	for i, rep := range []*conformance.Report{server, client} {
		s := doc.Suites[i]
		a := repAttrs(s.Attrs)
		// The attributes the JUnit schemas require of a testsuite, and the
		// ones this format promises.
		assert.NotEmpty(t, a["name"])
		n := repAttrInt(t, a, "tests")
		nf, ne, ns := repAttrInt(t, a, "failures"), repAttrInt(t, a, "errors"), repAttrInt(t, a, "skipped")
		assert.InDelta(t, rep.Duration.Seconds(), repAttrTime(t, a), 0.0005)
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`, a["timestamp"], "Ant's timestamp: no zone")
		assert.Equal(t, rep.Started.UTC().Format("2006-01-02T15:04:05"), a["timestamp"])

		p, f, sk := rep.Counts()
		assert.Equal(t, len(s.Cases), n, "tests = len(testcase)")
		assert.Equal(t, []int{len(rep.Results), f, 0, sk}, []int{n, nf, ne, ns}, "numbers consistent with Counts")
		var gotFail, gotSkip, gotPass int
		for j, c := range s.Cases {
			res := rep.Results[j]
			ca := repAttrs(c.Attrs)
			assert.Equal(t, res.Case.ID(), ca["name"])
			assert.Equal(t, "conformance."+rep.Suite.String()+".rfc"+strconv.Itoa(res.Case.RFC), ca["classname"])
			assert.InDelta(t, res.Duration.Seconds(), repAttrTime(t, ca), 0.0005)
			assert.Nil(t, c.Error)
			switch {
			case c.Failure != nil:
				gotFail++
				assert.Nil(t, c.Skipped)
				require.NotNil(t, c.Failure.Message, "failure message")
				assert.Equal(t, res.Reason, *c.Failure.Message)
				assert.Equal(t, res.Case.Level.String(), c.Failure.Type)
				assert.Contains(t, c.Failure.Text, res.Case.Reference())
				assert.Contains(t, c.Failure.Text, res.Case.Title)
				require.NotNil(t, c.SystemOut, "a failure's transcript is in system-out")
				assert.Equal(t, res.Transcript.String(), *c.SystemOut)
			case c.Skipped != nil:
				gotSkip++
				require.NotNil(t, c.Skipped.Message, "skipped message")
				assert.Equal(t, res.Reason, *c.Skipped.Message)
				assert.Nil(t, c.SystemOut)
			default:
				gotPass++
				assert.Nil(t, c.SystemOut, "no transcript for passes unless verbose")
			}
		}
		assert.Equal(t, []int{p, f, sk}, []int{gotPass, gotFail, gotSkip})
		props := map[string]string{}
		for _, pr := range s.Properties {
			props[pr.Name] = pr.Value
		}
		assert.Equal(t, rep.Target, props["target"])
		assert.Equal(t, rep.Suite.String(), props["suite"])
		tests, failures, errs = tests+n, failures+nf, errs+ne
		seconds += rep.Duration.Seconds()
	}
	assert.Equal(t, "smtpkit conformance", top["name"])
	assert.Equal(t, []int{tests, failures, errs}, []int{repAttrInt(t, top, "tests"), repAttrInt(t, top, "failures"), repAttrInt(t, top, "errors")})
	assert.InDelta(t, seconds, repAttrTime(t, top), 0.0005)
	assert.Contains(t, out, "&lt;script&gt;", "markup from the peer is escaped")

	// Verbose puts every transcript in system-out.
	verbose := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit, Verbose: true}, client)
	doc = repJUnitSuites{}
	require.NoError(t, xml.Unmarshal([]byte(verbose), &doc))
	require.NotNil(t, doc.Suites[0].Cases[1].SystemOut)
	assert.Contains(t, *doc.Suites[0].Cases[1].SystemOut, "C: QUIT")
}

// A result without an outcome is a JUnit error, so that the numbers add
// up.
func TestJUnitReportNoOutcome(t *testing.T) {
	rep := &conformance.Report{Suite: conformance.SuiteServer, Target: "x", Started: repStarted,
		Results: []conformance.Result{{Case: &conformance.Case{RFC: 5321, Section: "1", Name: "a", Level: conformance.Must, Title: "t"}}, {}}}
	out := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit}, rep)
	var doc repJUnitSuites
	require.NoError(t, xml.Unmarshal([]byte(out), &doc))
	a := repAttrs(doc.Suites[0].Attrs)
	assert.Equal(t, "2", a["tests"])
	assert.Equal(t, "2", a["errors"])
	assert.NotNil(t, doc.Suites[0].Cases[0].Error)
	assert.Equal(t, "2", repAttrs(doc.Attrs)["errors"])
}

// Text from the target that XML cannot hold is escaped, and CDATA's end
// marker in a transcript is split, so that the document still parses and
// reads back as written.
func TestJUnitReportHostileText(t *testing.T) {
	out := repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit}, repHostile())
	var doc repJUnitSuites
	require.NoError(t, xml.Unmarshal([]byte(out), &doc))
	c := doc.Suites[0].Cases[0]
	require.NotNil(t, c.Failure)
	require.NotNil(t, c.SystemOut)
	assert.Contains(t, c.Failure.Text, `got "250 \x1b[2J\x00]]> ok\r"`)
	assert.Equal(t, "# note: \\x1b[31m\nS: 250 ]]> <![CDATA[ \\x00\n", *c.SystemOut)
	assert.Contains(t, out, "S: 250 ]]", "the transcript keeps its lines in CDATA")
}

// repHostile is a report whose peer wrote control characters and markup.
func repHostile() *conformance.Report {
	c := &conformance.Case{RFC: 5321, Section: "4.2", Name: "reply", Level: conformance.Must, Title: "Replies are lines."}
	return &conformance.Report{Suite: conformance.SuiteServer, Target: "mx\x00", Started: repStarted,
		Results: []conformance.Result{{Case: c, Status: conformance.Fail, Reason: "got \"250 \x1b[2J\x00]]> ok\r\"",
			Transcript: repTranscript("# note: \x1b[31m\nS: 250 ]]> <![CDATA[ \\x00\n")}}}
}

// TestJUnitXSD validates the JUnit XML against testdata/junit.xsd (the
// Jenkins and Ant shape) with xmllint, and checks that the schema refuses
// a document that breaks it.
func TestJUnitXSD(t *testing.T) {
	xmllint := peers.Need(t, "xmllint")
	dir := t.TempDir()
	server, client := repSamples()
	good := filepath.Join(dir, "report.xml")
	require.NoError(t, os.WriteFile(good, []byte(repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit, Verbose: true}, server, client)), 0o600))
	empty := filepath.Join(dir, "empty.xml")
	require.NoError(t, os.WriteFile(empty, []byte(repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit})), 0o600))
	hostile := filepath.Join(dir, "hostile.xml")
	require.NoError(t, os.WriteFile(hostile, []byte(repWrite(t, conformance.ReportOptions{Format: conformance.FormatJUnit}, repHostile())), 0o600))
	bad := filepath.Join(dir, "bad.xml")
	require.NoError(t, os.WriteFile(bad, []byte(`<testsuites><testsuite name="x" failures="0" errors="0" skipped="0" time="0" timestamp="2026-03-01T12:00:00Z"><testcase name="a" classname="b" time="0"/></testsuite></testsuites>`), 0o600))

	lint := func(file string) (string, error) {
		out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), file).CombinedOutput()
		return string(out), err
	}
	for _, f := range []string{good, empty, hostile} {
		out, err := lint(f)
		assert.NoError(t, err, "%s", out)
	}
	out, err := lint(bad)
	assert.Error(t, err, "a testsuite without tests and with a zoned timestamp must fail: %s", out)
	assert.Contains(t, out, "tests")
}
