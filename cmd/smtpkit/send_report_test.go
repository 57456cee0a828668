package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/reply"
)

// TestReportFill: a delivered SMTP recipient shows the reply to the end of
// data, an LMTP recipient its own reply, a refused one its RCPT reply.
func TestReportFill(t *testing.T) {
	final := reply.Reply{Code: 250, Enhanced: reply.E(2, 0, 0), Text: "queued as Q1"}
	res := &client.Result{Reply: final, Recipients: []client.RcptResult{
		{Addr: "a@example.org", Delivered: true, Reply: reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 5)}},
		{Addr: "b@example.org", Reply: reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "no such user"}},
	}}
	rep := &sendReport{Recipients: []rcptReport{{Addr: "a@example.org"}, {Addr: "b@example.org"}}}
	rep.fill(res, false)
	assert.True(t, rep.sent)
	assert.Equal(t, 1, rep.Delivered)
	assert.Equal(t, &replyReport{Code: 250, Enhanced: "2.0.0", Text: "queued as Q1"}, rep.Reply)
	assert.Equal(t, rcptReport{Addr: "a@example.org", Delivered: true, Code: 250, Enhanced: "2.0.0", Text: "queued as Q1"}, rep.Recipients[0])
	assert.Equal(t, rcptReport{Addr: "b@example.org", Code: 550, Enhanced: "5.1.1", Text: "no such user"}, rep.Recipients[1])

	rep = &sendReport{Recipients: []rcptReport{{Addr: "a@example.org"}, {Addr: "b@example.org"}}}
	rep.fill(res, true)
	assert.Equal(t, "2.1.5", rep.Recipients[0].Enhanced, "under LMTP the recipient's own reply")
}

func TestReportText(t *testing.T) {
	rep := &sendReport{Server: "mx.example:25", Protocol: "smtp", sent: true, Delivered: 1,
		TLS: &tlsReport{Status: "secured", Version: "TLS 1.3"}, Authenticated: true,
		Recipients: []rcptReport{
			{Addr: "a@example.org", Delivered: true, Code: 250, Enhanced: "2.0.0", Text: "queued\nas Q1"},
			{Addr: "long.name@example.org", Code: 550, Enhanced: "5.1.1", Text: "no such user"},
			{Addr: "c@example.org", Code: 250, Enhanced: "2.1.5"},
			{Addr: "d@example.org"},
		},
		Reply: &replyReport{Code: 250, Enhanced: "2.0.0", Text: "queued\nas Q1"},
	}
	var b bytes.Buffer
	rep.writeText(&b)
	assert.Equal(t, strings.Join([]string{
		"ok    a@example.org          250 2.0.0 queued as Q1",
		"FAIL  long.name@example.org  550 5.1.1 no such user",
		"FAIL  c@example.org          250 2.1.5 (accepted at RCPT, but the message was not delivered)",
		"FAIL  d@example.org          (no reply)",
		"delivered to 1 of 4 recipients via mx.example:25 (SMTP, TLS 1.3, authenticated)",
		"reply: 250 2.0.0 queued as Q1",
		"",
	}, "\n"), b.String())

	rep = &sendReport{Protocol: "smtp", Recipients: []rcptReport{{Addr: "a@example.org"}}}
	b.Reset()
	rep.writeText(&b)
	assert.Equal(t, "FAIL  a@example.org  (not sent)\n", b.String(), "no summary when nothing was sent")
}

func TestDescribeError(t *testing.T) {
	e := describeError(&client.Error{Op: "auth", Addr: "h:587", Err: errors.New("535 bad"), Hint: "use an app password"}, "connect")
	assert.Equal(t, "auth", e.Stage)
	assert.Equal(t, "smtp auth h:587: 535 bad", e.Message)
	assert.Equal(t, "use an app password", e.Hint)

	wrapped := fmt.Errorf("outer: %w", &client.Error{Op: "dial", Err: errors.New("refused"), Hint: "try 587"})
	e = describeError(wrapped, "connect")
	assert.Equal(t, "dial", e.Stage)
	assert.Equal(t, "outer: smtp dial: refused", e.Message)

	e = describeError(&client.SizeError{Size: 2000, Max: 1000}, "send")
	assert.Equal(t, "send", e.Stage)
	assert.Contains(t, e.Message, "2000")
	assert.Contains(t, e.Hint, "at most 1000 octets")

	e = describeError(&client.AddressError{Addr: "zoë@example.org", Recipient: 0, Err: client.ErrNeedsSMTPUTF8}, "send")
	assert.Contains(t, e.Hint, "SMTPUTF8")
	e = describeError(&client.AddressError{Addr: "a@-bad-", Recipient: 0, Err: errors.New("idna: invalid label")}, "send")
	assert.Contains(t, e.Hint, "IDNA")

	se := &client.SendError{Reply: &reply.Error{Reply: reply.Reply{Code: 530, Text: "Authentication required"}, Command: "MAIL"}, Hint: "configure credentials"}
	e = describeError(se, "send")
	assert.Equal(t, "configure credentials", e.Hint)
	assert.NotContains(t, e.Message, "hint")
	assert.Contains(t, e.Message, "530")

	e = describeError(&client.Error{Op: "tls", Err: errors.New("x"), Hint: "connect with a name it carries (WithServerName) or trust its issuer (WithTLSConfig RootCAs)"}, "connect")
	assert.Equal(t, "connect with a name it carries (--server with that name) or trust its issuer (--ca FILE)", e.Hint)

	e = describeError(errors.New("plain"), "input")
	assert.Equal(t, &errorReport{Stage: "input", Message: "plain"}, e)
}
