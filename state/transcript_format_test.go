package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dataEvent(side Side, data string, line int) Step {
	return Step{Kind: StepData, Side: side, Data: []byte(data), Line: line}
}

func TestParseTranscriptEvents(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		header []Meta
		events []Step
	}{
		{name: "empty"},
		{
			name:   "header only",
			text:   "# rfc: RFC 5321 D.1\n# empty:\n",
			header: []Meta{{"rfc", "RFC 5321 D.1"}, {"empty", ""}},
		},
		{
			name: "lines of one side are one write",
			text: "S: 220 x\nC: MAIL FROM:<a@b>\nC: RCPT TO:<c@d>\nC: DATA\nS: 250 OK\n",
			events: []Step{
				dataEvent(SideServer, "220 x\r\n", 1),
				dataEvent(SideClient, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 2),
				dataEvent(SideServer, "250 OK\r\n", 5),
			},
		},
		{
			name: "flush splits a write",
			text: "C: NOOP\n-- flush\nC: NOOP\n",
			events: []Step{
				dataEvent(SideClient, "NOOP\r\n", 1),
				dataEvent(SideClient, "NOOP\r\n", 3),
			},
		},
		{
			name: "a line across two writes",
			text: "C+ RCPT TO:<bob@exa\n-- flush\nC: mple.org>\n",
			events: []Step{
				dataEvent(SideClient, "RCPT TO:<bob@exa", 1),
				dataEvent(SideClient, "mple.org>\r\n", 3),
			},
		},
		{
			name:   "C+ joins the next line without CRLF",
			text:   "C+ DATA\\n\nC+ BDAT 1\nC: x\n",
			events: []Step{dataEvent(SideClient, "DATA\nBDAT 1x\r\n", 1)},
		},
		{
			name:   "empty lines and leading spaces",
			text:   "C:\nC: \nC:     05:33:29 -0700\n",
			events: []Step{dataEvent(SideClient, "\r\n\r\n    05:33:29 -0700\r\n", 1)},
		},
		{
			name:   "escapes",
			text:   `C+ a\\b\r\n\t\x00\x7F\xfFz` + "\n",
			events: []Step{dataEvent(SideClient, "a\\b\r\n\t\x00\x7f\xffz", 1)},
		},
		{
			name:   "raw bytes are taken verbatim",
			text:   "S: 250 naïve\ttab \x01\n",
			events: []Step{dataEvent(SideServer, "250 naïve\ttab \x01\r\n", 1)},
		},
		{
			name:   "smuggling sequence",
			text:   `C: \r\n.\r` + "\n",
			events: []Step{dataEvent(SideClient, "\r\n.\r\r\n", 1)},
		},
		{
			name: "markers",
			text: "-- TLS\n-- close C\n-- close S\n-- eof C\n-- eof S\n-- wait 5m\n-- wait 1h0m30s\n-- wait 250ms\n",
			events: []Step{
				{Kind: StepTLS, Line: 1},
				{Kind: StepClose, Side: SideClient, Line: 2},
				{Kind: StepClose, Side: SideServer, Line: 3},
				{Kind: StepEOF, Side: SideClient, Line: 4},
				{Kind: StepEOF, Side: SideServer, Line: 5},
				{Kind: StepWait, Wait: 5 * time.Minute, Line: 6},
				{Kind: StepWait, Wait: time.Hour + 30*time.Second, Line: 7},
				{Kind: StepWait, Wait: 250 * time.Millisecond, Line: 8},
			},
		},
		{
			name:   "comments end the header and a write",
			text:   "# a: 1\n\n# b: 2\nC: NOOP\n# between\nC: NOOP\n#\n",
			header: []Meta{{"a", "1"}},
			events: []Step{
				{Kind: StepComment, Data: []byte{}, Line: 2},
				{Kind: StepComment, Data: []byte("# b: 2"), Line: 3},
				dataEvent(SideClient, "NOOP\r\n", 4),
				{Kind: StepComment, Data: []byte("# between"), Line: 5},
				dataEvent(SideClient, "NOOP\r\n", 6),
				{Kind: StepComment, Data: []byte("#"), Line: 7},
			},
		},
		{
			name:   "header lines that are not key: value are comments",
			text:   "# two words: no\n# key:no-space\n",
			events: []Step{{Kind: StepComment, Data: []byte("# two words: no"), Line: 1}, {Kind: StepComment, Data: []byte("# key:no-space"), Line: 2}},
		},
		{
			name:   "no final newline",
			text:   "S: 220 x",
			events: []Step{dataEvent(SideServer, "220 x\r\n", 1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ParseTranscript([]byte(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.header, tr.Header)
			assert.Equal(t, tt.events, tr.Steps)
		})
	}
}

func TestParseTranscriptErrors(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		line   int
		reason string
	}{
		{"CRLF line endings", "S: 220 x\r\nC: QUIT\r\n", 1, "carriage return"},
		{"unknown escape", "S: 220 x\nC: a\\qb\n", 2, `unknown escape "\\q"`},
		{"trailing backslash", "C: a\\\n", 1, "backslash at the end"},
		{"short hex escape", "C: \\x4\n", 1, "two hex digits"},
		{"bad hex escape", "C: \\xg0\n", 1, "two hex digits"},
		{"missing space", "C:EHLO x\n", 1, "missing space after C:"},
		{"empty C+", "C: a\nS+\n", 2, "S+ line with no bytes"},
		{"C+ of a space only", "C+ \n", 1, "C+ line with no bytes"},
		{"unknown line", "S: 220 x\nX: y\n", 2, "unknown line"},
		{"indented line", "  C: NOOP\n", 1, "unknown line"},
		{"white space line", "C: NOOP\n \t\n", 2, "only white space"},
		{"unknown marker", "-- tls\n", 1, "unknown marker"},
		{"close without side", "-- close\n", 1, "unknown marker"},
		{"bad wait", "C: NOOP\n-- wait soon\n", 2, "-- wait needs"},
		{"zero wait", "-- wait 0s\n", 1, "-- wait needs"},
		{"negative wait", "-- wait -5m\n", 1, "-- wait needs"},
		{"flush first", "-- flush\nC: NOOP\n", 1, "-- flush must"},
		{"flush at end", "C: NOOP\n-- flush\n", 2, "-- flush must"},
		{"flush between sides", "C: NOOP\n-- flush\nS: 250 OK\n", 2, "-- flush must"},
		{"flush before a marker", "C: NOOP\n-- flush\n-- TLS\n", 2, "-- flush must"},
		{"flush twice", "C: NOOP\n-- flush\n-- flush\nC: NOOP\n", 2, "-- flush must"},
		{"flush after comment", "C: NOOP\n# x\n-- flush\nC: NOOP\n", 3, "-- flush must"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := ParseTranscript([]byte(tt.text))
			require.Nil(t, tr)
			var te *TranscriptError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.line, te.Line)
			assert.Contains(t, te.Reason, tt.reason)
		})
	}
}

func TestTranscriptAppend(t *testing.T) {
	tests := []struct {
		name string
		tr   Transcript
		want string
	}{
		{name: "empty", want: ""},
		{
			name: "lines split on CRLF and bare LF",
			tr: Transcript{Steps: []Step{
				dataEvent(SideClient, "DATA\r\nSubject: x\r\n\r\nhi\n.\nMAIL FROM:<>\r\n.\r\n", 0),
			}},
			want: "C: DATA\nC: Subject: x\nC:\nC+ hi\\n\nC+ .\\n\nC: MAIL FROM:<>\nC: .\n",
		},
		{
			name: "bytes after the last line break go on a + line",
			tr:   Transcript{Steps: []Step{dataEvent(SideServer, "250 OK\r\n250 OK\r", 0)}},
			want: "S: 250 OK\nS+ 250 OK\\r\n",
		},
		{
			name: "escapes",
			tr: Transcript{Steps: []Step{
				dataEvent(SideClient, "a\\b\tc\x00\x1f\x7f\xff caf\xc3 naïve \u00a0\u202e\r\n", 0),
			}},
			want: `C: a\\b\tc\x00\x1f\x7f\xff caf\xc3 naïve \xc2\xa0\xe2\x80\xae` + "\n",
		},
		{
			name: "a space that ends a line",
			tr:   Transcript{Steps: []Step{dataEvent(SideServer, "334 \r\n  \r\n ", 0)}},
			want: "S: 334\\x20\nS:  \\x20\nS+ \\x20\n",
		},
		{
			name: "flush only between writes of one side",
			tr: Transcript{Steps: []Step{
				dataEvent(SideClient, "MAIL FROM:<a@b>\r\n", 0),
				dataEvent(SideClient, "RCPT TO:<c@d>\r\n", 0),
				dataEvent(SideServer, "250 OK\r\n", 0),
				{Kind: StepComment, Data: []byte("# x")},
				dataEvent(SideServer, "250 OK\r\n", 0),
			}},
			want: "C: MAIL FROM:<a@b>\n-- flush\nC: RCPT TO:<c@d>\nS: 250 OK\n# x\nS: 250 OK\n",
		},
		{
			name: "markers",
			tr: Transcript{
				Header: []Meta{{"rfc", "RFC 3207"}, {"empty", ""}},
				Steps: []Step{
					{Kind: StepTLS},
					{Kind: StepWait, Wait: 90 * time.Second},
					{Kind: StepEOF, Side: SideClient},
					{Kind: StepClose, Side: SideServer},
				},
			},
			want: "# rfc: RFC 3207\n# empty:\n-- TLS\n-- wait 1m30s\n-- eof C\n-- close S\n",
		},
		{
			name: "events that carry nothing are left out",
			tr: Transcript{Steps: []Step{
				dataEvent(SideClient, "NOOP\r\n", 0),
				{Kind: StepNone},
				dataEvent(SideClient, "", 0),
				dataEvent(SideNone, "x", 0),
				{Kind: StepClose},
				{Kind: StepEOF, Side: Side(9)},
				{Kind: StepWait},
				{Kind: StepKind(99)},
				dataEvent(SideClient, "NOOP\r\n", 0),
			}},
			want: "C: NOOP\n-- flush\nC: NOOP\n",
		},
		{
			name: "line breaks in header and comments become spaces",
			tr: Transcript{
				Header: []Meta{{"k", "a\nC: QUIT"}},
				Steps:  []Step{{Kind: StepComment, Data: []byte("no hash\r\nC: QUIT")}, {Kind: StepComment}},
			},
			want: "# k: a C: QUIT\n# no hash  C: QUIT\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tr.Append(nil)
			assert.Equal(t, tt.want, string(got))
			back, err := ParseTranscript(got)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(back.Append(nil)), "canonical text is a fixed point")
		})
	}
}

func TestTranscriptAppendKeepsDst(t *testing.T) {
	tr := Transcript{Steps: []Step{dataEvent(SideClient, "QUIT\r\n", 0)}}
	assert.Equal(t, "prefix\nC: QUIT\n", string(tr.Append([]byte("prefix\n"))))
	assert.Equal(t, "C: QUIT\n", tr.String())
}

// TestTranscriptFiles checks that every file in testdata/transcripts
// parses and is written in the canonical form, so Append gives it back
// byte for byte.
func TestTranscriptFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			require.NoError(t, err)
			tr, err := ParseTranscript(text)
			require.NoError(t, err)
			assert.Equal(t, string(text), string(tr.Append(nil)))
			assert.NotEmpty(t, tr.Bytes(SideClient))
			assert.NotEmpty(t, tr.Bytes(SideServer))
		})
	}
}

// TestTranscriptRFC5321D1 reproduces RFC 5321 appendix D.1 as bytes.
func TestTranscriptRFC5321D1(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "transcripts", "rfc5321-d1.txt"))
	require.NoError(t, err)
	tr, err := ParseTranscript(text)
	require.NoError(t, err)
	rfc, ok := tr.Meta("rfc")
	assert.True(t, ok)
	assert.Equal(t, "RFC 5321 D.1", rfc)

	client := []string{
		"EHLO bar.com\r\n",
		"MAIL FROM:<Smith@bar.com>\r\n",
		"RCPT TO:<Jones@foo.com>\r\n",
		"RCPT TO:<Green@foo.com>\r\n",
		"RCPT TO:<Brown@foo.com>\r\n",
		"DATA\r\n",
		"Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n",
		"QUIT\r\n",
	}
	server := []string{
		"220 foo.com Simple Mail Transfer Service Ready\r\n",
		"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
		"250 OK\r\n", "250 OK\r\n", "550 No such user here\r\n", "250 OK\r\n",
		"354 Start mail input; end with <CRLF>.<CRLF>\r\n",
		"250 OK\r\n",
		"221 foo.com Service closing transmission channel\r\n",
	}
	assert.Equal(t, client, toStrings(tr.Writes(SideClient)))
	assert.Equal(t, server, toStrings(tr.Writes(SideServer)))
	assert.Equal(t, strings.Join(client, ""), string(tr.Bytes(SideClient)))
	assert.Equal(t, strings.Join(server, ""), string(tr.Bytes(SideServer)))
	// The first server line is line 8, after the header and comments.
	assert.Equal(t, 8, tr.Steps[5].Line)
	assert.Equal(t, StepData, tr.Steps[5].Kind)
}

func TestFormatWait(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5m"},
		{10 * time.Minute, "10m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{time.Hour + 5*time.Second, "1h5s"},
		{time.Hour + 10*time.Minute, "1h10m"},
		{time.Hour + 500*time.Millisecond, "1h0.5s"},
		{59 * time.Second, "59s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{time.Microsecond, "1µs"},
		{time.Nanosecond, "1ns"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, formatWait(tt.d))
			back, err := time.ParseDuration(tt.want)
			require.NoError(t, err)
			assert.Equal(t, tt.d, back)
		})
	}
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
