package state

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// clientCall is one command method, called with valid arguments.
type clientCall struct {
	name string
	call func(c *Client) error
}

// allCalls calls every command method that the legality table judges.
var allCalls = []clientCall{
	{"Hello", func(c *Client) error { return c.Hello() }},
	{"Mail", func(c *Client) error { return c.Mail([]byte("a@example.org"), wire.MailParams{}) }},
	{"Rcpt", func(c *Client) error { return c.Rcpt([]byte("b@example.net"), wire.RcptParams{}) }},
	{"Data", func(c *Client) error { return c.Data() }},
	{"Bdat", func(c *Client) error { return c.Bdat([]byte("x\r\n"), true) }},
	{"Rset", func(c *Client) error { return c.Rset() }},
	{"Noop", func(c *Client) error { return c.Noop() }},
	{"Quit", func(c *Client) error { return c.Quit() }},
	{"Vrfy", func(c *Client) error { return c.Vrfy([]byte("user")) }},
	{"Expn", func(c *Client) error { return c.Expn([]byte("list")) }},
	{"Help", func(c *Client) error { return c.Help(nil) }},
	{"Etrn", func(c *Client) error { return c.Etrn([]byte("example.org")) }},
	{"StartTLS", func(c *Client) error { return c.StartTLS() }},
	{"Auth", func(c *Client) error { return c.Auth("PLAIN", []byte("\x00u\x00p"), true) }},
	{"Xclient", func(c *Client) error { return c.Xclient(wire.XAttrs{Name: []byte("h.example")}) }},
	{"Xforward", func(c *Client) error { return c.Xforward(wire.XAttrs{Name: []byte("h.example")}) }},
}

// setupPhase brings a fresh Client (AllowInsecureAuth, not under TLS) to
// the named projected phase.
func setupPhase(h *harness, phase string) {
	h.t.Helper()
	switch phase {
	case "greeting":
	case "greeted":
		h.one("220 mx.example.com\r\n")
	case "ready":
		h.greet(fullEHLO)
	case "mail":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
	case "rcpt":
		setupPhase(h, "mail")
		require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	case "rcptPlain": // after greet, with any EHLO
		require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
		require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
	case "bdat":
		setupPhase(h, "rcpt")
		require.NoError(h.t, h.c.Bdat([]byte("chunk"), false))
	case "data":
		setupPhase(h, "rcpt")
		require.NoError(h.t, h.c.Data())
		h.out()
		h.recv("250 ok\r\n250 ok\r\n354 go\r\n")
		require.Equal(h.t, PhaseData, h.c.Phase())
	case "data-ending":
		setupPhase(h, "data")
		require.NoError(h.t, h.c.EndData())
		require.NoError(h.t, h.c.Quit()) // projected closed after the QUIT
	case "auth":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Auth("LOGIN", nil, false))
	case "tls":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.StartTLS())
	case "refused":
		h.one("554 no service\r\n")
	case "closed":
		h.greet(fullEHLO)
		require.NoError(h.t, h.c.Quit())
	default:
		h.t.Fatalf("no phase %q", phase)
	}
}

func TestClientSequencing(t *testing.T) {
	const (
		ok  = ""
		seq = "seq"
		adv = "adv"
	)
	// want[phase] lists the calls that do not fail with ErrBadSequence; a
	// call marked adv fails with ErrNotAdvertised (no EHLO yet). The cells
	// follow SPEC 2.2 from the client's side.
	want := map[string]map[string]string{
		"greeting": {},
		"greeted": {"Hello": ok, "Rset": ok, "Noop": ok, "Quit": ok, "Vrfy": ok, "Help": ok,
			"Expn": adv, "StartTLS": adv, "Xclient": adv, "Xforward": adv},
		"ready": {"Hello": ok, "Mail": ok, "Rset": ok, "Noop": ok, "Quit": ok, "Vrfy": ok, "Expn": ok,
			"Help": ok, "Etrn": ok, "StartTLS": ok, "Auth": ok, "Xclient": ok, "Xforward": ok},
		"mail": {"Hello": ok, "Rcpt": ok, "Rset": ok, "Noop": ok, "Quit": ok, "Vrfy": ok, "Expn": ok, "Help": ok},
		"rcpt": {"Hello": ok, "Rcpt": ok, "Data": ok, "Bdat": ok, "Rset": ok, "Noop": ok, "Quit": ok,
			"Vrfy": ok, "Expn": ok, "Help": ok},
		"bdat":        {"Hello": ok, "Bdat": ok, "Rset": ok, "Noop": ok, "Quit": ok, "Vrfy": ok, "Expn": ok, "Help": ok},
		"data":        {},
		"data-ending": {},
		"auth":        {},
		"tls":         {},
		"refused":     {},
		"closed":      {},
	}
	for phase, cells := range want {
		for _, cl := range allCalls {
			t.Run(phase+"/"+cl.name, func(t *testing.T) {
				h := newHarness(t, ClientConfig{AllowInsecureAuth: true})
				setupPhase(h, phase)
				err := cl.call(h.c)
				switch exp, listed := cells[cl.name]; {
				case !listed:
					assert.ErrorIs(t, err, ErrBadSequence)
				case exp == adv:
					assert.ErrorIs(t, err, ErrNotAdvertised)
				default:
					assert.NoError(t, err)
				}
			})
		}
	}
}

func TestClientSequencingRules(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ClientConfig
		setup func(h *harness)
		call  func(c *Client) error
		rule  string
	}{
		{"AUTH twice", ClientConfig{TLS: true}, func(h *harness) {
			h.greet(fullEHLO)
			require.NoError(h.t, h.c.Auth("PLAIN", []byte("\x00u\x00p"), true))
		}, func(c *Client) error { return c.Auth("LOGIN", nil, false) }, "RFC 4954 4"},
		{"AUTH after success", ClientConfig{TLS: true}, func(h *harness) {
			h.greet(fullEHLO)
			require.NoError(h.t, h.c.Auth("PLAIN", []byte("\x00u\x00p"), true))
			h.out()
			h.one("235 ok\r\n")
		}, func(c *Client) error { return c.Auth("LOGIN", nil, false) }, "RFC 4954 4"},
		{"STARTTLS under TLS", ClientConfig{TLS: true}, func(h *harness) { h.greet(fullEHLO) },
			func(c *Client) error { return c.StartTLS() }, "RFC 3207 4.2"},
		{"cleartext AUTH without TLS", ClientConfig{}, func(h *harness) { h.greet(fullEHLO) },
			func(c *Client) error { return c.Auth("plain", []byte("\x00u\x00p"), true) }, "RFC 4954 4"},
		{"DATA after BDAT", ClientConfig{}, func(h *harness) { setupPhase(h, "bdat") },
			func(c *Client) error { return c.Data() }, "RFC 5321 3.3"},
		{"DATA after a failed BDAT", ClientConfig{}, func(h *harness) {
			setupPhase(h, "bdat")
			h.out()
			h.recv("250 ok\r\n250 ok\r\n451 try later\r\n")
		}, func(c *Client) error { return c.Data() }, "RFC 3030 2"},
		{"DATA with BINARYMIME", ClientConfig{}, func(h *harness) {
			h.greet(fullEHLO)
			require.NoError(h.t, h.c.Mail(nil, wire.MailParams{Body: wire.BodyBinaryMIME}))
			require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
		}, func(c *Client) error { return c.Data() }, "RFC 3030 3"},
		{"BDAT after a failed chunk", ClientConfig{}, func(h *harness) {
			setupPhase(h, "bdat")
			h.out()
			h.recv("250 ok\r\n250 ok\r\n552 too big\r\n")
		}, func(c *Client) error { return c.Bdat([]byte("more"), true) }, "RFC 3030 2"},
		{"Body before 354", ClientConfig{}, func(h *harness) { setupPhase(h, "rcpt") },
			func(c *Client) error { return c.Body([]byte("x")) }, "RFC 5321 3.3"},
		{"EndData before 354", ClientConfig{}, func(h *harness) { setupPhase(h, "rcpt") },
			func(c *Client) error { return c.EndData() }, "RFC 5321 3.3"},
		{"Body after EndData", ClientConfig{}, func(h *harness) {
			setupPhase(h, "data")
			require.NoError(h.t, h.c.EndData())
		}, func(c *Client) error { return c.Body([]byte("x")) }, "RFC 5321 3.3"},
		{"AuthRespond without 334", ClientConfig{}, func(h *harness) { h.greet(fullEHLO) },
			func(c *Client) error { return c.AuthRespond([]byte("x")) }, "RFC 4954 4"},
		{"AuthCancel before the 334", ClientConfig{AllowInsecureAuth: true}, func(h *harness) { setupPhase(h, "auth") },
			func(c *Client) error { return c.AuthCancel() }, "RFC 4954 4"},
		{"TLSStarted without 220", ClientConfig{}, func(h *harness) { setupPhase(h, "tls") },
			func(c *Client) error { return c.TLSStarted() }, "RFC 3207 4.2"},
		{"Raw without Permissive", ClientConfig{}, func(h *harness) { h.greet(fullEHLO) },
			func(c *Client) error { return c.Raw([]byte("NOOP")) }, "Permissive"},
		{"RawBytes without Permissive", ClientConfig{}, func(h *harness) { h.greet(fullEHLO) },
			func(c *Client) error { return c.RawBytes([]byte("NOOP\r\n"), StageNoop) }, "Permissive"},
		{"before the greeting", ClientConfig{}, func(h *harness) {},
			func(c *Client) error { return c.Noop() }, "RFC 5321 3.1"},
		{"refused greeting", ClientConfig{}, func(h *harness) { h.one("554 no\r\n") },
			func(c *Client) error { return c.Rset() }, "RFC 5321 4.1.1.10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			tt.setup(h)
			err := tt.call(h.c)
			require.ErrorIs(t, err, ErrBadSequence)
			assert.Contains(t, err.Error(), tt.rule)
			assert.NoError(t, h.c.Err(), "a refused command does not end the session")
		})
	}
}

func TestClientNotAdvertised(t *testing.T) {
	binaryOnly := "250-mx.example.com\r\n250-CHUNKING\r\n250 BINARYMIME\r\n"
	tests := []struct {
		name  string
		ehlo  string
		setup func(h *harness)
		call  func(c *Client) error
		want  error // nil for success
	}{
		{"BDAT without CHUNKING", plainEHLO, func(h *harness) { setupPhase(h, "rcptPlain") },
			func(c *Client) error { return c.Bdat([]byte("x"), true) }, ErrNotAdvertised},
		{"STARTTLS", plainEHLO, nil, func(c *Client) error { return c.StartTLS() }, ErrNotAdvertised},
		{"AUTH", plainEHLO, nil, func(c *Client) error { return c.Auth("CRAM-MD5", nil, false) }, ErrNotAdvertised},
		{"AUTH mechanism", fullEHLO, nil, func(c *Client) error { return c.Auth("XOAUTH2", []byte("t"), true) }, ErrNotAdvertised},
		{"ETRN", plainEHLO, nil, func(c *Client) error { return c.Etrn([]byte("example.org")) }, ErrNotAdvertised},
		{"EXPN", plainEHLO, nil, func(c *Client) error { return c.Expn([]byte("list")) }, ErrNotAdvertised},
		{"XCLIENT", plainEHLO, nil, func(c *Client) error { return c.Xclient(wire.XAttrs{Name: []byte("h")}) }, ErrNotAdvertised},
		{"XFORWARD", plainEHLO, nil, func(c *Client) error { return c.Xforward(wire.XAttrs{Name: []byte("h")}) }, ErrNotAdvertised},
		{"MAIL SIZE", plainEHLO, nil, mailWith(wire.MailParams{Size: 1, HasSize: true}), ErrNotAdvertised},
		{"MAIL RET", plainEHLO, nil, mailWith(wire.MailParams{Ret: wire.RetHdrs}), ErrNotAdvertised},
		{"MAIL SMTPUTF8", plainEHLO, nil, mailWith(wire.MailParams{SMTPUTF8: true}), ErrNotAdvertised},
		{"MAIL REQUIRETLS", fullEHLO, nil, mailWith(wire.MailParams{RequireTLS: true}), ErrNotAdvertised},
		{"MAIL BINARYMIME", plainEHLO, nil, mailWith(wire.MailParams{Body: wire.BodyBinaryMIME}), ErrNotAdvertised},
		{"MAIL 8BITMIME", binaryOnly, nil, mailWith(wire.MailParams{Body: wire.Body8BitMIME}), ErrNotAdvertised},
		{"MAIL 7BIT with BINARYMIME", binaryOnly, nil, mailWith(wire.MailParams{Body: wire.Body7Bit}), nil},
		{"MAIL SIZE above the maximum", fullEHLO, nil, mailWith(wire.MailParams{Size: 1001, HasSize: true}), ErrNotAdvertised},
		{"MAIL SIZE at the maximum", fullEHLO, nil, mailWith(wire.MailParams{Size: 1000, HasSize: true}), nil},
		{"MAILMAX", fullEHLO, func(h *harness) {
			for range 2 {
				require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
				require.NoError(h.t, h.c.Rset())
			}
		}, mailWith(wire.MailParams{}), ErrNotAdvertised},
		{"RCPT NOTIFY", plainEHLO, func(h *harness) { require.NoError(h.t, h.c.Mail(nil, wire.MailParams{})) },
			func(c *Client) error {
				return c.Rcpt([]byte("b@example.net"), wire.RcptParams{Notify: wire.NotifyFailure})
			}, ErrNotAdvertised},
		{"RCPTMAX", fullEHLO, func(h *harness) {
			require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
			for range 3 {
				require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
			}
		}, func(c *Client) error { return c.Rcpt([]byte("b@example.net"), wire.RcptParams{}) }, ErrNotAdvertised},
		{"RCPTMAX is per transaction", fullEHLO, func(h *harness) {
			require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
			for range 3 {
				require.NoError(h.t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{}))
			}
			require.NoError(h.t, h.c.Rset())
			require.NoError(h.t, h.c.Mail(nil, wire.MailParams{}))
		}, func(c *Client) error { return c.Rcpt([]byte("b@example.net"), wire.RcptParams{}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, ClientConfig{AllowInsecureAuth: true})
			h.greet(tt.ehlo)
			if tt.setup != nil {
				tt.setup(h)
			}
			err := tt.call(h.c)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// mailWith returns a call of Mail with p.
func mailWith(p wire.MailParams) func(c *Client) error {
	return func(c *Client) error { return c.Mail([]byte("a@example.org"), p) }
}

func TestClientArgumentErrors(t *testing.T) {
	h := newHarness(t, ClientConfig{})
	h.greet(fullEHLO)
	tests := []struct {
		name string
		call func(c *Client) error
		want error
	}{
		{"MAIL injection", func(c *Client) error {
			return c.Mail([]byte("a@example.org>\r\nRCPT TO:<b@example.net"), wire.MailParams{})
		}, wire.ErrForbiddenByte},
		{"VRFY injection", func(c *Client) error { return c.Vrfy([]byte("x\r\nQUIT")) }, wire.ErrForbiddenByte},
		{"VRFY without argument", func(c *Client) error { return c.Vrfy(nil) }, wire.ErrMissingArgument},
		{"ETRN bad node", func(c *Client) error { return c.Etrn([]byte("bad node")) }, wire.ErrSyntax},
		{"XCLIENT nothing", func(c *Client) error { return c.Xclient(wire.XAttrs{}) }, wire.ErrMissingArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(h.c)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.Empty(t, h.c.Output())
			assert.Equal(t, 0, h.c.Outstanding())
		})
	}
}

func TestClientPermissive(t *testing.T) {
	h := newHarness(t, ClientConfig{Permissive: true})
	// Early talking, RCPT without MAIL, BDAT without CHUNKING, DATA with
	// no recipient: all written at once, in order.
	require.NoError(t, h.c.Raw([]byte("EHLO early.example")))
	require.NoError(t, h.c.Rcpt([]byte("b@example.net"), wire.RcptParams{Notify: wire.NotifyNever}))
	require.NoError(t, h.c.Bdat([]byte("abc"), true))
	require.NoError(t, h.c.Data())
	assert.Equal(t, "EHLO early.example\r\nRCPT TO:<b@example.net> NOTIFY=NEVER\r\nBDAT 3 LAST\r\nabcDATA\r\n", h.out())
	evs := h.recv("554 go away\r\n250 mx\r\n503 5.5.1 need MAIL\r\n503 5.5.1 no\r\n354 go on\r\n")
	require.Equal(t, []ClientEventKind{ClientEventGreeting, ClientEventReply, ClientEventReply, ClientEventReply,
		ClientEventGoAhead}, kinds(evs))
	assert.Equal(t, StageEhlo, evs[1].Stage)
	assert.Equal(t, StageBDATLast, evs[3].Stage)
	assert.Equal(t, "QUIT\r\n", h.out(), "the refused greeting still gets its QUIT")

	// RawBytes smuggles a bare-LF end of data; one reply is expected.
	require.NoError(t, h.c.RawBytes([]byte("x\n.\nMAIL FROM:<x@example.org>\r\n.\r\n"), StageEndOfData))
	require.NoError(t, h.c.RawBytes([]byte("NO"), StageNone))
	require.NoError(t, h.c.Raw([]byte("OP")))
	assert.Equal(t, "x\n.\nMAIL FROM:<x@example.org>\r\n.\r\nNOOP\r\n", h.out())
	assert.Equal(t, 3, h.c.Outstanding())

	err := h.c.Raw([]byte("NOOP\r\nQUIT"))
	assert.ErrorIs(t, err, wire.ErrForbiddenByte)
	assert.ErrorIs(t, h.c.Raw([]byte("NOOP\x00")), wire.ErrForbiddenByte)

	evs = h.recv("221 bye\r\n")
	require.Len(t, evs, 1)
	assert.Equal(t, ClientEventClosed, evs[0].Kind)
}

func TestClientRawStages(t *testing.T) {
	h := newHarness(t, ClientConfig{Permissive: true})
	for _, line := range []string{"bdat 3 last", "BDAT 3", "BURL imap://x LAST", "XYZZY", "MAIL FROM:<>"} {
		require.NoError(t, h.c.Raw([]byte(line)))
	}
	var stages []Stage
	for i := range h.c.Outstanding() {
		stages = append(stages, h.c.at(i).stage)
	}
	assert.Equal(t, []Stage{StageGreeting, StageBDATLast, StageBDAT, StageBurlLast, StageOther, StageMail}, stages)
	assert.Equal(t, wire.VerbBURL, verbOf(StageBurlLast))
	assert.Equal(t, wire.VerbBDAT, verbOf(StageBDATLast))
	assert.Equal(t, wire.VerbDATA, verbOf(StageEndOfData))
	assert.Equal(t, wire.VerbRSET, verbOf(StageRset))
}
