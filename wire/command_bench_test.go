package wire

import (
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

// benchCommands holds one line for every verb form ParseCommand knows:
// each verb of RFC 5321 and its extensions, with and without parameters or
// an initial response where the grammar has both.
var benchCommands = []struct{ name, line string }{
	{"EHLO", "EHLO client.example.org"},
	{"EHLO_literal", "EHLO [IPv6:2001:db8::25]"},
	{"HELO", "HELO client.example.org"},
	{"LHLO", "LHLO client.example.org"},
	{"MAIL", "MAIL FROM:<sender@example.org>"},
	{"MAIL_null", "MAIL FROM:<>"},
	{"MAIL_SIZE_BODY_SMTPUTF8", "MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME SMTPUTF8"},
	{"RCPT", "RCPT TO:<recipient@example.net>"},
	{"RCPT_NOTIFY_ORCPT", "RCPT TO:<recipient@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;recipient@example.net"},
	{"DATA", "DATA"},
	{"BDAT", "BDAT 65536"},
	{"BDAT_LAST", "BDAT 65536 LAST"},
	{"RSET", "RSET"},
	{"NOOP", "NOOP"},
	{"NOOP_arg", "NOOP keepalive"},
	{"QUIT", "QUIT"},
	{"VRFY", "VRFY postmaster"},
	{"EXPN", "EXPN staff-list"},
	{"HELP", "HELP"},
	{"HELP_topic", "HELP MAIL"},
	{"STARTTLS", "STARTTLS"},
	{"AUTH", "AUTH SCRAM-SHA-256"},
	{"AUTH_PLAIN_IR", "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAc2VjcmV0LXBhc3N3b3Jk"},
	{"AUTH_empty_IR", "AUTH EXTERNAL ="},
	{"ETRN", "ETRN @example.org"},
	{"ATRN", "ATRN example.org,example.net"},
	{"BURL", "BURL imap://user@imap.example.org/Drafts;UIDVALIDITY=385759045/;UID=20/;urlauth=submit+user:internal:91354a473744909de610943775f92038 LAST"},
	{"XCLIENT", "XCLIENT NAME=client.example.org ADDR=192.0.2.1 PORT=40000 PROTO=ESMTP HELO=client.example.org LOGIN=[UNAVAILABLE]"},
	{"XFORWARD", "XFORWARD NAME=client.example.org ADDR=192.0.2.1 PROTO=ESMTP HELO=client.example.org SOURCE=REMOTE"},
	{"UNKNOWN", "XYZZY plugh"},
}

// BenchmarkParseCommand parses each verb form of benchCommands; bytes are
// the line and its CRLF.
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

// BenchmarkParseAuthResponse parses and decodes a client's line in an AUTH
// exchange (RFC 4954 section 4): a SASL continuation (a SCRAM client-final
// message) and the "*" that cancels.
func BenchmarkParseAuthResponse(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"continuation", "Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ=="},
		{"cancel", "*"},
	} {
		line := []byte(bc.line)
		dst := make([]byte, 0, len(line))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line) + 2))
			for b.Loop() {
				b64, cancel, err := ParseAuthResponse(line)
				if err != nil {
					b.Fatal(err)
				}
				if cancel {
					continue
				}
				if _, err := DecodeBase64(dst[:0], b64); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseReplyLine parses one reply line and its enhanced code.
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

// BenchmarkCapabilities parses a typical EHLO reply into Capabilities.
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

// BenchmarkAppendCommand serializes a MAIL command with parameters.
func BenchmarkAppendCommand(b *testing.B) {
	buf := make([]byte, 0, 256)
	from := []byte("sender@example.org")
	mp := MailParams{Size: 12345, HasSize: true, Body: Body8BitMIME}
	out, err := AppendMail(buf[:0], from, mp)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := AppendMail(buf[:0], from, mp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendReply serializes a one-line reply with its enhanced code.
func BenchmarkAppendReply(b *testing.B) {
	buf := make([]byte, 0, 256)
	r := reply.Reply{Code: reply.CodeOK, Text: "Ok: queued as 4Bx2Zs0Q9Kz1xpm"}
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendReply(buf[:0], r, true))))
	for b.Loop() {
		buf = AppendReply(buf[:0], r, true)
	}
}
