package reply_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// wireLines splits Append output into lines without their CRLF, failing
// when it does not end in CRLF.
func wireLines(t *testing.T, out []byte) []string {
	t.Helper()
	s := string(out)
	require.True(t, strings.HasSuffix(s, "\r\n"), "output %q must end in CRLF", s)
	return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
}

func TestReplyAppend(t *testing.T) {
	tests := []struct {
		name string
		r    reply.Reply
		want string
	}{
		{"single", reply.Reply{Code: 250, Text: "OK"}, "250 OK\r\n"},
		{"single enhanced", reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 0), Text: "Sender OK"}, "250 2.1.0 Sender OK\r\n"},
		{"empty text", reply.Reply{Code: 250}, "250\r\n"},
		{"empty text enhanced", reply.Reply{Code: 250, Enhanced: reply.E(2, 0, 0)}, "250 2.0.0\r\n"},
		{"multi", reply.Reply{Code: 250, Text: "First line\nSecond line\n234 Text beginning with numbers\nThe last line"},
			"250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The last line\r\n"},
		{"multi enhanced every line", reply.Reply{Code: 550, Enhanced: reply.E(5, 7, 1), Text: "Relaying denied\nSee policy"},
			"550-5.7.1 Relaying denied\r\n550 5.7.1 See policy\r\n"},
		{"crlf is one break", reply.Reply{Code: 214, Text: "a\r\nb\nc"}, "214-a\r\n214-b\r\n214 c\r\n"},
		{"empty last line", reply.Reply{Code: 250, Text: "a\n"}, "250-a\r\n250\r\n"},
		{"empty middle line", reply.Reply{Code: 250, Text: "a\n\nb"}, "250-a\r\n250-\r\n250 b\r\n"},
		{"empty lines enhanced", reply.Reply{Code: 451, Enhanced: reply.E(4, 3, 0), Text: "\n"}, "451-4.3.0\r\n451 4.3.0\r\n"},
		{"3yz without enhanced", reply.Reply{Code: 354, Enhanced: reply.E(2, 0, 0), Text: "Go ahead"}, "354 Go ahead\r\n"},
		{"334 empty challenge", reply.Reply{Code: 334}, "334\r\n"},
		{"class mismatch dropped", reply.Reply{Code: 550, Enhanced: reply.E(4, 2, 2), Text: "x"}, "550 x\r\n"},
		{"invalid enhanced dropped", reply.Reply{Code: 550, Enhanced: reply.E(5, 1000, 1), Text: "x"}, "550 x\r\n"},
		{"220 with explicit enhanced", reply.Reply{Code: 220, Enhanced: reply.E(2, 0, 0), Text: "Ready to start TLS"}, "220 2.0.0 Ready to start TLS\r\n"},
		{"lone CR", reply.Reply{Code: 250, Text: "a\rb"}, "250 a b\r\n"},
		{"CR before CRLF", reply.Reply{Code: 250, Text: "a\r\r\nb"}, "250-a \r\n250 b\r\n"},
		{"NUL", reply.Reply{Code: 250, Text: "a\x00b"}, "250 a b\r\n"},
		{"controls", reply.Reply{Code: 250, Text: "a\x01\x1b[0m\x7fb"}, "250 a  [0m b\r\n"},
		{"HT kept", reply.Reply{Code: 250, Text: "a\tb"}, "250 a\tb\r\n"},
		{"8-bit kept", reply.Reply{Code: 250, Text: "Grüße \xff"}, "250 Grüße \xff\r\n"},
		{"injection", reply.Reply{Code: 250, Text: "ok\r\n\x00221 bye"}, "250-ok\r\n250  221 bye\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(tt.r.Append(nil)))
			assert.Equal(t, "prefix"+tt.want, string(tt.r.Append([]byte("prefix"))))
		})
	}
}

func TestReplyAppendWrapExact(t *testing.T) {
	// Without an enhanced code a line holds 512-len("250 \r\n") = 506 text octets.
	tests := []struct {
		name  string
		r     reply.Reply
		lines []int // lengths of the wire lines without CRLF
	}{
		{"505", reply.Reply{Code: 250, Text: strings.Repeat("a", 505)}, []int{509}},
		{"506 fills the line", reply.Reply{Code: 250, Text: strings.Repeat("a", 506)}, []int{510}},
		{"507 splits", reply.Reply{Code: 250, Text: strings.Repeat("a", 507)}, []int{510, 5}},
		{"510", reply.Reply{Code: 250, Text: strings.Repeat("a", 510)}, []int{510, 8}},
		{"511", reply.Reply{Code: 250, Text: strings.Repeat("a", 511)}, []int{510, 9}},
		{"1012 two full lines", reply.Reply{Code: 250, Text: strings.Repeat("a", 1012)}, []int{510, 510}},
		// "5.1.1 " takes 6 octets: 500 text octets per line.
		{"enhanced 500", reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: strings.Repeat("a", 500)}, []int{510}},
		{"enhanced 501", reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: strings.Repeat("a", 501)}, []int{510, 11}},
		{"long enhanced", reply.Reply{Code: 550, Enhanced: reply.E(5, 999, 999), Text: strings.Repeat("a", 497)}, []int{510, 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := wireLines(t, tt.r.Append(nil))
			var got []int
			for _, l := range lines {
				got = append(got, len(l))
			}
			assert.Equal(t, tt.lines, got)
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				assert.True(t, strings.HasPrefix(l, tt.r.Code.String()+sep), "line %d: %q", i, l)
			}
		})
	}
}

func TestReplyAppendWrapAtSpace(t *testing.T) {
	word := strings.Repeat("w", 99) // 100 octets with its space
	text := strings.TrimSuffix(strings.Repeat(word+" ", 12), " ")
	lines := wireLines(t, reply.Reply{Code: 214, Text: text}.Append(nil))
	require.Len(t, lines, 3)
	// Five words and four spaces fit in 506 octets; the breaking space is dropped.
	assert.Equal(t, "214-"+strings.TrimSuffix(strings.Repeat(word+" ", 5), " "), lines[0])
	assert.Equal(t, "214-"+strings.TrimSuffix(strings.Repeat(word+" ", 5), " "), lines[1])
	assert.Equal(t, "214 "+word+" "+word, lines[2])

	// A space exactly at the limit is a clean break.
	text = strings.Repeat("a", 506) + " b"
	lines = wireLines(t, reply.Reply{Code: 250, Text: text}.Append(nil))
	assert.Equal(t, []string{"250-" + strings.Repeat("a", 506), "250 b"}, lines)

	// A long word with no space is hard-split.
	text = "x " + strings.Repeat("y", 600)
	lines = wireLines(t, reply.Reply{Code: 250, Text: text}.Append(nil))
	assert.Equal(t, []string{"250-x", "250-" + strings.Repeat("y", 506), "250 " + strings.Repeat("y", 94)}, lines)
}

func TestReplyAppendWrapUTF8(t *testing.T) {
	for _, r := range []string{"é", "€", "😀"} {
		for pad := 0; pad < 4; pad++ {
			text := strings.Repeat("a", pad) + strings.Repeat(r, 600)
			lines := wireLines(t, reply.Reply{Code: 250, Text: text}.Append(nil))
			var joined strings.Builder
			for i, l := range lines {
				assert.LessOrEqual(t, len(l)+2, reply.MaxLineLength)
				body := l[4:]
				assert.True(t, utf8.ValidString(body), "line split inside a UTF-8 sequence: rune %q pad %d", r, pad)
				if i < len(lines)-1 {
					// A split moves back at most to the start of the rune.
					assert.Greater(t, len(l)+2, reply.MaxLineLength-utf8.UTFMax, "line %d could hold more", i)
				}
				joined.WriteString(body)
			}
			assert.Equal(t, text, joined.String())
		}
	}
}

func TestReplyAppendNeverOverLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", " ", " ", "\n", "\r\n", "\r", "\x00", "\t", "é", "€", "😀", "\xff", "5.1.1 "}
	enh := []reply.Enhanced{{}, reply.E(2, 0, 0), reply.E(4, 7, 12), reply.E(5, 999, 999), reply.E(5, 1, 1)}
	codes := []reply.Code{220, 250, 354, 421, 550, 554}
	var buf []byte
	for iter := 0; iter < 2000; iter++ {
		var sb strings.Builder
		n := rng.IntN(3000)
		for sb.Len() < n {
			if rng.IntN(4) == 0 {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			} else {
				sb.WriteString(strings.Repeat("z", rng.IntN(40)))
			}
		}
		r := reply.Reply{Code: codes[rng.IntN(len(codes))], Enhanced: enh[rng.IntN(len(enh))], Text: sb.String()}
		buf = r.Append(buf[:0])
		lines := wireLines(t, buf)
		for i, l := range lines {
			require.LessOrEqual(t, len(l)+2, reply.MaxLineLength, "iteration %d line %d", iter, i)
			require.True(t, strings.HasPrefix(l, r.Code.String()), "iteration %d line %d", iter, i)
			require.NotContains(t, l, "\r")
			require.NotContains(t, l, "\n")
			require.NotContains(t, l, "\x00")
			if i < len(lines)-1 {
				require.Equal(t, byte('-'), l[3])
			} else if len(l) > 3 {
				require.Equal(t, byte(' '), l[3])
			}
		}
	}
}

func TestReplyLines(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a\nb", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b", ""}},
		{"a\rb", []string{"a\rb"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, slices.Collect(reply.Reply{Text: tt.text}.Lines()), "%q", tt.text)
	}
	// Stopping early must work.
	for range (reply.Reply{Text: "a\nb"}).Lines() {
		break
	}
}

func TestReplyString(t *testing.T) {
	tests := []struct {
		r    reply.Reply
		want string
	}{
		{reply.Reply{Code: 250, Text: "OK"}, "250 OK"},
		{reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "No such user"}, "550 5.1.1 No such user"},
		{reply.Reply{Code: 250, Text: "mx.example\nPIPELINING\n\nSIZE 1000"}, "250 mx.example PIPELINING SIZE 1000"},
		{reply.Reply{Code: 250}, "250"},
		{reply.Reply{Code: 250, Text: "a\x00b\rc"}, "250 a b c"},
		{reply.Reply{Code: 0, Text: "x"}, "Code(0) x"},
		{reply.Reply{Code: 354, Enhanced: reply.E(2, 0, 0)}, "354 2.0.0"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.r.String())
	}
}

func TestReplyWithDefaultEnhanced(t *testing.T) {
	assert.Equal(t, reply.E(2, 0, 0), reply.Reply{Code: 250}.WithDefaultEnhanced().Enhanced)
	assert.Equal(t, reply.E(2, 1, 5), reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 5)}.WithDefaultEnhanced().Enhanced)
	assert.True(t, reply.Reply{Code: 354}.WithDefaultEnhanced().Enhanced.IsZero())
	assert.True(t, reply.Reply{Code: 220}.WithDefaultEnhanced().Enhanced.IsZero())
	r := reply.Reply{Code: 535, Text: "bad"}
	assert.Equal(t, "535 5.7.8 bad\r\n", string(r.WithDefaultEnhanced().Append(nil)))
	assert.True(t, r.Enhanced.IsZero(), "the receiver is not modified")
}

// TestReplyAppendBounded checks that Append never writes more than a
// Builder with default limits accepts, however long the text: what we send,
// we can read back (a fuzzing find: a text of a thousand "\n").
func TestReplyAppendBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
	}{
		{"many empty lines", "x" + strings.Repeat("\n", 2000)},
		{"many short lines", strings.Repeat("line\n", 1000)},
		{"huge text wrapped", strings.Repeat("word ", 40000)},
		{"huge UTF-8 text without spaces", strings.Repeat("é", 100000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reply.Reply{Code: 250, Enhanced: reply.E(2, 0, 0), Text: tc.text}
			out := r.Append(nil)
			lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
			require.LessOrEqual(t, len(lines), reply.DefaultMaxLines)
			var b reply.Builder
			for i, l := range lines {
				require.GreaterOrEqual(t, len(l), 3)
				more := len(l) > 3 && l[3] == '-'
				require.Equal(t, i < len(lines)-1, more, "line %d", i)
				text := ""
				if len(l) > 4 {
					text = l[4:]
				}
				done, err := b.Add(250, more, []byte(text))
				require.NoError(t, err, "line %d", i)
				require.Equal(t, !more, done)
			}
			got := b.Reply()
			assert.True(t, utf8.ValidString(got.Text))
			assert.True(t, strings.HasPrefix(tc.text, got.Text[:min(len(got.Text), 10)]))
		})
	}
}
