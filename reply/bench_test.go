package reply_test

import (
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

func BenchmarkReplyAppend(b *testing.B) {
	benches := []struct {
		name string
		r    reply.Reply
	}{
		{"single", reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 5), Text: "Recipient OK"}},
		{"ehlo", reply.Reply{Code: 250, Text: "mx.example.org greets client.example.net\nPIPELINING\nSIZE 35882577\n8BITMIME\nENHANCEDSTATUSCODES\nCHUNKING\nSMTPUTF8\nAUTH PLAIN LOGIN"}},
		{"wrapped", reply.Reply{Code: 550, Enhanced: reply.E(5, 7, 1), Text: strings.Repeat("policy text ", 200)}},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			buf := bb.r.Append(nil)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = bb.r.Append(buf[:0])
			}
		})
	}
}

func BenchmarkBuilder(b *testing.B) {
	r := reply.Reply{Code: 250, Enhanced: reply.E(2, 0, 0), Text: "mx.example.org greets client.example.net\nPIPELINING\nSIZE 35882577\n8BITMIME\nENHANCEDSTATUSCODES\nCHUNKING\nSMTPUTF8\nAUTH PLAIN LOGIN"}
	wire := r.Append(nil)
	var lines [][]byte
	for _, l := range strings.Split(strings.TrimSuffix(string(wire), "\r\n"), "\r\n") {
		lines = append(lines, []byte(l))
	}
	var bld reply.Builder
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		for i, l := range lines {
			var text []byte
			if len(l) > 4 {
				text = l[4:]
			}
			if _, err := bld.Add(250, i < len(lines)-1, text); err != nil {
				b.Fatal(err)
			}
		}
	}
}
