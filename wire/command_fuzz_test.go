package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

// FuzzParseCommand checks parse -> append -> parse: a command that parses
// serializes (always, when parsed strictly from a line without CR, LF or
// NUL), the serialized form parses to the same fields, and serializing again
// gives the same octets. Seeds are the table's lines and serializer output.
func FuzzParseCommand(f *testing.F) {
	for _, tt := range validCommands {
		f.Add([]byte(tt.in), tt.opts.UTF8, tt.opts.Lenient)
	}
	for _, tt := range invalidCommands {
		f.Add([]byte(tt.in), tt.opts.UTF8, tt.opts.Lenient)
	}
	if b, err := AppendMail(nil, []byte("a@b.example"), MailParams{Size: 7, HasSize: true, Body: BodyBinaryMIME}); err == nil {
		f.Add(bytes.TrimSuffix(b, []byte("\r\n")), false, false)
	}
	if b, err := AppendAuth(nil, "PLAIN", []byte("\x00u\x00p"), true); err == nil {
		f.Add(bytes.TrimSuffix(b, []byte("\r\n")), false, false)
	}
	f.Fuzz(func(t *testing.T, line []byte, utf8, lenient bool) {
		opts := ParseOptions{UTF8: utf8, Lenient: lenient}
		c, err := ParseCommand(line, opts)
		if err != nil {
			var se *SyntaxError
			if !asSyntax(err, &se) || se.Offset < 0 || se.Offset > len(line) || se.Rule == "" {
				t.Fatalf("%q: bad error %#v", line, err)
			}
			if r := se.Reply(); !r.Code.IsNegative() {
				t.Fatalf("%q: error reply %v is not 4yz/5yz", line, r.Code)
			}
			return
		}
		out, err := AppendCommand(nil, c)
		if err != nil {
			if !lenient && !bytes.ContainsAny(line, "\r\n\x00") {
				t.Fatalf("%q parsed strictly but does not serialize: %v", line, err)
			}
			return
		}
		c2, err := ParseCommand(out[:len(out)-2], ParseOptions{UTF8: true})
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", line, out, err)
		}
		if summary(c) != summary(c2) {
			t.Fatalf("%q -> %q: %s != %s", line, out, summary(c), summary(c2))
		}
		out2, err := AppendCommand(nil, c2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("%q: serialization not stable: %q vs %q (%v)", line, out, out2, err)
		}
	})
}

// FuzzParseReplyLine checks reply lines: parse, assemble, append, parse
// again keeps the code and any enhanced code, and append/parse reaches a
// fixed point after one round. (The first round may add an enhanced code:
// text such as "4.0.0\x10..." is sanitized to "4.0.0 ...", which reads as
// one; the wire form cannot tell them apart. Such a reply then carries the
// code on every line, six octets more per line, so a line near the
// 512-octet limit wraps once more: the fixed point comes one round later.)
func FuzzParseReplyLine(f *testing.F) {
	for _, s := range []string{"250", "250-234 Text beginning with numbers\r\n250 x"} {
		f.Add([]byte(s))
	}
	// Seeds built with the serializers.
	for _, r := range []reply.Reply{
		{Code: reply.CodeOK, Text: "mail.example\nPIPELINING\nSIZE 10\nAUTH PLAIN LOGIN"},
		{Code: reply.CodeMailboxUnavailable, Enhanced: reply.E(5, 1, 1), Text: "No such user"},
		{Code: reply.CodeLocalError, Text: "a\nb"},
		{Code: reply.CodeStartMailInput, Text: "go ahead"},
		{Code: reply.CodeAuthContinue, Text: "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"},
		{Code: reply.CodeOK, Text: strings.Repeat("long text ", 80)},
	} {
		f.Add(bytes.TrimSuffix(AppendReply(nil, r, true), []byte("\r\n")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r1, ok := assemble(data)
		if !ok {
			return
		}
		out1 := r1.Append(nil)
		for _, l := range bytes.SplitAfter(out1, []byte("\r\n")) {
			if len(l) > reply.MaxLineLength {
				t.Fatalf("line over 512 octets: %q", l)
			}
		}
		r2, ok := assemble(bytes.TrimSuffix(out1, []byte("\r\n")))
		if !ok {
			t.Fatalf("%q does not parse back", out1)
		}
		if r2.Code != r1.Code || (!r1.Enhanced.IsZero() && r2.Enhanced != r1.Enhanced) {
			t.Fatalf("%v/%v became %v/%v", r1.Code, r1.Enhanced, r2.Code, r2.Enhanced)
		}
		out2 := r2.Append(nil)
		if r1.Enhanced.IsZero() && !r2.Enhanced.IsZero() {
			// The first round made an enhanced code; round once more.
			if r2, ok = assemble(bytes.TrimSuffix(out2, []byte("\r\n"))); !ok || r2.Enhanced.IsZero() {
				t.Fatalf("%q does not parse back with its enhanced code", out2)
			}
			out2 = r2.Append(nil)
		}
		r3, ok := assemble(bytes.TrimSuffix(out2, []byte("\r\n")))
		if !ok || r3 != r2 {
			t.Fatalf("%q: second round changed the reply: %#v vs %#v", out2, r2, r3)
		}
		if out3 := r3.Append(nil); !bytes.Equal(out2, out3) {
			t.Fatalf("not a fixed point: %q vs %q", out2, out3)
		}
	})
}

// assemble parses CRLF-separated reply lines into one reply.
func assemble(data []byte) (reply.Reply, bool) {
	var b reply.Builder
	lines := bytes.Split(data, []byte("\r\n"))
	for i, raw := range lines {
		l, err := ParseReplyLine(raw)
		if err != nil || l.More != (i < len(lines)-1) {
			return reply.Reply{}, false
		}
		done, err := b.Add(l.Code, l.More, l.Text)
		if err != nil || done != !l.More {
			return reply.Reply{}, false
		}
	}
	return b.Reply(), true
}

func asSyntax(err error, se **SyntaxError) bool { return errors.As(err, se) }
