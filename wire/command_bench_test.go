package wire

import (
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

var benchCommands = []struct{ name, line string }{
	{"EHLO", "EHLO client.example.org"},
	{"MAIL", "MAIL FROM:<sender@example.org>"},
	{"MAIL_SIZE_BODY_SMTPUTF8", "MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME SMTPUTF8"},
	{"RCPT", "RCPT TO:<recipient@example.net>"},
	{"RCPT_NOTIFY_ORCPT", "RCPT TO:<recipient@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;recipient@example.net"},
	{"DATA", "DATA"},
	{"AUTH_PLAIN_IR", "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAc2VjcmV0LXBhc3N3b3Jk"},
	{"BDAT", "BDAT 65536 LAST"},
	{"UNKNOWN", "XYZZY plugh"},
}

func BenchmarkParseCommand(b *testing.B) {
	for _, bc := range benchCommands {
		line := []byte(bc.line)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line) + 2))
			for b.Loop() {
				if _, err := ParseCommand(line, ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseReplyLine(b *testing.B) {
	line := []byte("250 2.0.0 Ok: queued as 4Bx2Zs0Q9Kz1xpm")
	b.ReportAllocs()
	b.SetBytes(int64(len(line) + 2))
	for b.Loop() {
		l, err := ParseReplyLine(line)
		if err != nil {
			b.Fatal(err)
		}
		l.Enhanced()
	}
}

func BenchmarkCapabilities(b *testing.B) {
	raw := [][]byte{
		[]byte("250-mx.example.org at your service"),
		[]byte("250-SIZE 35882577"),
		[]byte("250-8BITMIME"),
		[]byte("250-AUTH LOGIN PLAIN XOAUTH2"),
		[]byte("250-ENHANCEDSTATUSCODES"),
		[]byte("250-PIPELINING"),
		[]byte("250-CHUNKING"),
		[]byte("250 SMTPUTF8"),
	}
	n := 0
	for _, r := range raw {
		n += len(r) + 2
	}
	var c Capabilities
	b.ReportAllocs()
	b.SetBytes(int64(n))
	for b.Loop() {
		c.Reset()
		for _, r := range raw {
			l, err := ParseReplyLine(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.AddLine(l.Text); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAppendCommand(b *testing.B) {
	buf := make([]byte, 0, 256)
	mp := MailParams{Size: 12345, HasSize: true, Body: Body8BitMIME}
	b.ReportAllocs()
	for b.Loop() {
		out, err := AppendMail(buf[:0], []byte("sender@example.org"), mp)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}

func BenchmarkAppendReply(b *testing.B) {
	buf := make([]byte, 0, 256)
	r := reply.Reply{Code: reply.CodeOK, Text: "Ok: queued as 4Bx2Zs0Q9Kz1xpm"}
	b.ReportAllocs()
	for b.Loop() {
		out := AppendReply(buf[:0], r, true)
		b.SetBytes(int64(len(out)))
	}
}
