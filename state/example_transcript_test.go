package state_test

import (
	"fmt"

	"github.com/smtpkit/smtpkit/state"
)

// A golden transcript reads like RFC 5321 appendix D; each side's bytes
// and writes come out exact.
func ExampleParseTranscript() {
	text := []byte(`# rfc: RFC 2920 section 4
S: 220 innosoft.com SMTP service ready
C: EHLO dbc.mtview.ca.us
S: 250-innosoft.com
S: 250 PIPELINING
C: MAIL FROM:<mrose@dbc.mtview.ca.us>
C: RCPT TO:<ned@innosoft.com>
C: DATA
S: 250 sender <mrose@dbc.mtview.ca.us> OK
S: 250 recipient <ned@innosoft.com> OK
S: 354 enter mail, end with line containing only "."
C+ Subject: bare LF\n
C: .
-- flush
C: QUIT
`)
	tr, err := state.ParseTranscript(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	rfc, _ := tr.Meta("rfc")
	fmt.Println(rfc)
	for _, w := range tr.Writes(state.SideClient) {
		fmt.Printf("%q\n", w)
	}
	// Output:
	// RFC 2920 section 4
	// "EHLO dbc.mtview.ca.us\r\n"
	// "MAIL FROM:<mrose@dbc.mtview.ca.us>\r\nRCPT TO:<ned@innosoft.com>\r\nDATA\r\n"
	// "Subject: bare LF\n.\r\n"
	// "QUIT\r\n"
}

// A test records what a machine wrote, one call per write, and compares
// the text with a golden file.
func ExampleRecorder() {
	var r state.Recorder
	r.Meta("server", "STARTTLS")
	r.Client([]byte("STARTTLS\r\n"))
	r.Server([]byte("220 2.0.0 Ready to start TLS\r\n"))
	r.TLS()
	r.Client([]byte("EHLO client.example.com\r\nMAIL FROM:<a@exa"))
	r.Client([]byte("mple.com>\r\n"))
	r.Server([]byte("334 \r\n"))
	r.Close(state.SideServer)
	fmt.Print(r.Transcript())
	// Output:
	// # server: STARTTLS
	// C: STARTTLS
	// S: 220 2.0.0 Ready to start TLS
	// -- TLS
	// C: EHLO client.example.com
	// C+ MAIL FROM:<a@exa
	// -- flush
	// C: mple.com>
	// S: 334\x20
	// -- close S
}
