//go:build !race

package wire

import (
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseCommandAllocs holds every valid form of the table, among them
// MAIL with SIZE+BODY+SMTPUTF8, RCPT with NOTIFY+ORCPT, EHLO, AUTH with an
// initial response and BDAT, to zero allocations.
func TestParseCommandAllocs(t *testing.T) {
	for _, tt := range validCommands {
		line := []byte(tt.in)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := ParseCommand(line, tt.opts); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "%q", tt.in)
	}
}

func TestParseReplyLineAllocs(t *testing.T) {
	line := []byte("550-5.1.1 <nobody@example.com>: Recipient address rejected")
	allocs := testing.AllocsPerRun(100, func() {
		l, err := ParseReplyLine(line)
		if err != nil || l.Code != 550 {
			t.Fatal(err)
		}
		if e, _ := l.Enhanced(); e != reply.E(5, 1, 1) {
			t.Fatal(e)
		}
	})
	assert.Zero(t, allocs)
}

func TestCapabilitiesAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("250-mx.example.org at your service, [192.0.2.1]"),
		[]byte("250-SIZE 35882577"),
		[]byte("250-8BITMIME"),
		[]byte("250-AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER"),
		[]byte("250-ENHANCEDSTATUSCODES"),
		[]byte("250-PIPELINING"),
		[]byte("250-CHUNKING"),
		[]byte("250 SMTPUTF8"),
	}
	var c Capabilities
	parse := func() {
		c.Reset()
		for _, raw := range lines {
			l, err := ParseReplyLine(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.AddLine(l.Text); err != nil {
				t.Fatal(err)
			}
		}
		if !c.HasAuth("XOAUTH2") || !c.Has(ExtCHUNKING) {
			t.Fatal("capabilities lost")
		}
		if max, _ := c.Size(); max != 35882577 {
			t.Fatal(max)
		}
	}
	parse() // grow the buffers once
	assert.Zero(t, testing.AllocsPerRun(100, parse))
}

func TestAppendCommandAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	mail, err := ParseCommand([]byte("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8"), strict)
	require.NoError(t, err)
	mp := MailParams{Size: 1000, HasSize: true, Body: Body8BitMIME}
	rp := RcptParams{Notify: NotifySuccess | NotifyFailure}
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		b := buf[:0]
		if b, err = AppendCommand(b, mail); err != nil {
			t.Fatal(err)
		}
		if b, err = AppendMail(b, []byte("a@b.example"), mp); err != nil {
			t.Fatal(err)
		}
		if b, err = AppendRcpt(b, []byte("c@d.example"), rp, false); err != nil {
			t.Fatal(err)
		}
		if b, err = AppendVerb(b, VerbDATA); err != nil {
			t.Fatal(err)
		}
		if b, err = AppendAuth(b, "PLAIN", []byte("\x00user\x00pass"), true); err != nil {
			t.Fatal(err)
		}
		b = AppendBdat(b, 4096, true)
		_ = b
	})
	assert.Zero(t, allocs)
}

func TestAppendReplyAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	r := reply.Reply{Code: reply.CodeOK, Text: "mail.example\nPIPELINING\nSIZE 10485760\n8BITMIME\nCHUNKING"}
	r2 := reply.Reply{Code: reply.CodeMailboxUnavailable, Enhanced: reply.E(5, 1, 1), Text: "No such user"}
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendReply(buf[:0], r, false)
		b = AppendReply(b, r2, true)
		_ = AppendReply(b, reply.Reply{Code: reply.CodeOK, Text: "Ok"}, true)
	})
	assert.Zero(t, allocs)
}
