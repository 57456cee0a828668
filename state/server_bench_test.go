package state

import (
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
)

// pipelinedMessage is one pipelined transaction with a 1 KiB body: the
// envelope and DATA in one write, the content after the 354 in another
// (RFC 2920 section 3.1: DATA ends a group).
var pipelinedMessage = [2]string{
	"MAIL FROM:<alice@example.com> SIZE=1100\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
	strings.Repeat(strings.Repeat("x", 62)+"\r\n", 16) + ".\r\n",
}

// runMessage feeds one transaction and answers every decision the way an
// application does, with explicit replies.
func runMessage(s *Server, in [2][]byte) int {
	return runWrite(s, in[0]) + runWrite(s, in[1])
}

func runWrite(s *Server, in []byte) int {
	n := 0
	if err := s.Receive(in); err != nil {
		panic(err)
	}
	for {
		ev := s.Next()
		switch ev.Kind {
		case EventNone:
			s.Consumed(len(s.Output()))
			return n
		case EventBody:
			n += len(ev.Data)
		case EventMail:
			_ = s.Respond(replyMailOK)
		case EventRcpt:
			_ = s.Respond(replyRcptOK)
		case EventData:
			_ = s.Respond(replyGoAhead)
		case EventMessage:
			_ = s.Respond(reply.Reply{Code: reply.CodeOK, Text: "queued"})
		default:
			panic(ev.Kind.String())
		}
	}
}

// BenchmarkServerTransaction measures one pipelined transaction with a
// 1 KiB body through the Server, decisions included.
func BenchmarkServerTransaction(b *testing.B) {
	s, err := NewServer(ServerConfig{Hostname: "mx.example.org", Extensions: DefaultExtensions})
	if err != nil {
		b.Fatal(err)
	}
	feed(b, s, "")
	feed(b, s, "EHLO client.example.com\r\n")
	in := [2][]byte{[]byte(pipelinedMessage[0]), []byte(pipelinedMessage[1])}
	b.SetBytes(int64(len(in[0]) + len(in[1])))
	b.ReportAllocs()
	for b.Loop() {
		runMessage(s, in)
	}
}
