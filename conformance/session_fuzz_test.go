package conformance

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
)

// FuzzSessionReads feeds arbitrary octets from a peer under test to the
// Session's readers, as either side: they never panic, stop within the
// bound, return only replies of the RFC 5321 section 4.2 grammar, and the
// transcript they record reads back with state.ParseTranscript holding
// exactly the octets received.
func FuzzSessionReads(f *testing.F) {
	for _, seed := range []string{
		"220 mx ESMTP\r\n250-mx\r\n250 PIPELINING\r\n",
		"250-a\r\n251 b\r\n",
		"250 ok\n",
		"999 bad\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nDATA\r\nline\r\n..dot\r\n.\r\n",
		"354 go\r\n\x00\xff\r\n",
		"BDAT 5 LAST\r\nabcde",
		"250-" + string(bytes.Repeat([]byte("x"), 5000)) + "\r\n",
		"\r\n.\r\n\n.\n\r.\r",
	} {
		f.Add([]byte(seed), uint8(0))
		f.Add([]byte(seed), uint8(1))
	}
	f.Fuzz(fuzzSessionReads)
}

// fuzzSessionReads plays in as the peer's octets: mode's low bit picks the
// side the tester plays (client: replies are read; server: commands or
// message content, by the next bit).
func fuzzSessionReads(t *testing.T, in []byte, mode uint8) {
	ours, theirs := net.Pipe()
	defer ours.Close()
	go func() {
		theirs.Write(in)
		theirs.Close()
	}()
	side, peer := state.SideClient, state.SideServer
	if mode&1 == 1 {
		side, peer = state.SideServer, state.SideClient
	}
	cfg := Config{}.withDefaults()
	s := newSession(&cfg, side, ours, time.Now().Add(5*time.Second))
	for n := 0; n < len(in)+2; n++ {
		var err error
		switch {
		case side == state.SideClient:
			var r reply.Reply
			if r, err = s.ReadReply(); err == nil && (r.Code < 200 || r.Code > 599) {
				t.Fatalf("reply %v outside the grammar", r)
			}
		case mode&2 == 2:
			_, err = s.ReadCommand()
		default:
			_, err = s.ReadData(0)
		}
		if err != nil {
			if _, ok := err.(*Failure); !ok {
				t.Fatalf("error %T %v is not a *Failure", err, err)
			}
			break
		}
	}
	text := s.Transcript().String()
	tr, err := state.ParseTranscript([]byte(text))
	if err != nil {
		t.Fatalf("the transcript does not read back: %v\n%s", err, text)
	}
	if got := tr.Bytes(peer); !bytes.HasPrefix(in, got) {
		t.Fatalf("the transcript holds %q, not a prefix of what the peer sent %q", got, in)
	}
}
