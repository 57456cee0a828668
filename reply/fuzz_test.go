package reply_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

// fuzzCode maps any number onto a valid reply code (RFC 5321 section 4.2).
func fuzzCode(x uint16) reply.Code {
	return reply.Code(int(2+x%4)*100 + int(x/4%6)*10 + int(x/24%10))
}

// visible drops what Append may turn into or use as line structure (spaces,
// control octets, DEL), keeping the octets that must all survive.
// It works on octets, so invalid UTF-8 split across lines compares equal.
func visible(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c > ' ' && c != 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}

// FuzzReplyAppend checks that any Reply, appended, yields lines of at most
// 512 octets with the reply's code, "-" on all lines but the last, no CR,
// LF or NUL inside, the same visible text, and that Builder reassembles the
// same code and enhanced code.
func FuzzReplyAppend(f *testing.F) {
	seeds := []reply.Reply{
		{Code: 250, Text: "OK"},
		{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "No such user\r\nsecond"},
		{Code: 354, Text: "Start mail input; end with <CRLF>.<CRLF>"},
		{Code: 421, Enhanced: reply.E(4, 999, 999), Text: strings.Repeat("x", 700)},
		{Code: 250, Text: "a\x00b\rc\n\n\x7f"},
		{Code: 214, Text: strings.Repeat("é😀 ", 200)},
		{Code: 250, Enhanced: reply.E(2, 0, 0)},
	}
	for _, r := range seeds {
		// Seeds are built by the serializer's own inputs: code, enhanced, text.
		f.Add(uint16(r.Code), r.Enhanced.Class, r.Enhanced.Subject, r.Enhanced.Detail, r.Text)
	}
	f.Fuzz(func(t *testing.T, code uint16, class uint8, subject, detail uint16, text string) {
		r := reply.Reply{Code: fuzzCode(code), Enhanced: reply.E(class%7, subject%1001, detail%1001), Text: text}
		out := r.Append(nil)
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("output %q does not end in CRLF", out)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
		wantEnh := reply.Enhanced{}
		if r.Enhanced.Valid() && reply.Class(r.Enhanced.Class) == r.Code.Class() {
			wantEnh = r.Enhanced
		}
		var b reply.Builder
		b.MaxLines, b.MaxText = 1<<30, 1<<30
		var got strings.Builder
		for i, l := range lines {
			if len(l)+2 > reply.MaxLineLength {
				t.Fatalf("line %d is %d octets with CRLF: %q", i, len(l)+2, l)
			}
			if !strings.HasPrefix(l, r.Code.String()) {
				t.Fatalf("line %d %q does not start with %s", i, l, r.Code)
			}
			if strings.ContainsAny(l, "\r\n\x00") {
				t.Fatalf("line %d %q holds CR, LF or NUL", i, l)
			}
			last := i == len(lines)-1
			body := ""
			switch {
			case len(l) == 3:
				if !last {
					t.Fatalf("bare code on line %d of %d", i, len(lines))
				}
			case last && l[3] != ' ', !last && l[3] != '-':
				t.Fatalf("line %d %q has the wrong separator", i, l)
			default:
				body = l[4:]
			}
			if !wantEnh.IsZero() {
				es := wantEnh.String()
				if body != es && !strings.HasPrefix(body, es+" ") {
					t.Fatalf("line %d %q lacks enhanced code %s", i, l, es)
				}
				body = strings.TrimPrefix(strings.TrimPrefix(body, es), " ")
			}
			got.WriteString(body)
			var lt []byte
			if len(l) > 4 {
				lt = []byte(l[4:])
			}
			done, err := b.Add(r.Code, !last, lt)
			if err != nil {
				t.Fatalf("Builder.Add line %d: %v", i, err)
			}
			if done != last {
				t.Fatalf("Builder done=%v on line %d of %d", done, i, len(lines))
			}
		}
		if visible(got.String()) != visible(r.Text) {
			t.Fatalf("text changed:\n got %q\nwant %q", visible(got.String()), visible(r.Text))
		}
		back := b.Reply()
		if back.Code != r.Code {
			t.Fatalf("Builder code %v, want %v", back.Code, r.Code)
		}
		// Without an enhanced code, text that itself starts like one of the
		// reply's class is read as one: the wire form cannot tell them apart.
		ambiguous := false
		if wantEnh.IsZero() && len(lines[0]) > 4 {
			if e, _, ok := reply.ParseEnhancedPrefix([]byte(lines[0][4:])); ok && reply.Class(e.Class) == r.Code.Class() {
				ambiguous = true
			}
		}
		if !ambiguous && back.Enhanced != wantEnh {
			t.Fatalf("Builder enhanced %v, want %v", back.Enhanced, wantEnh)
		}
	})
}
