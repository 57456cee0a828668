package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// tlsAuthBugs are the faults a tlsAuthFake can be given; the zero value is
// a server that passes the cases the fake tests run.
type tlsAuthBugs struct {
	injection       bool // runs plaintext buffered after STARTTLS inside TLS (CVE-2011-0411)
	greetAfterTLS   bool // sends a new 220 greeting after the handshake
	starttlsAgain   bool // offers STARTTLS under TLS and answers a second one 220
	keepHelo        bool // remembers the clear EHLO under TLS
	keepTransaction bool // keeps the transaction across STARTTLS
	plainInClear    bool // offers AUTH PLAIN LOGIN before STARTTLS
	authInTx        bool // runs AUTH inside a transaction
	authTwice502    bool // answers a second AUTH 502
	cancelAccepted  bool // answers "*" with 235
	unknownMech500  bool // answers an unknown mechanism 500
	lenientBase64   bool // skips characters outside the base64 alphabet
	emptyIRMissing  bool // takes "AUTH PLAIN =" as no initial response
	shortAuthLine   bool // refuses AUTH response lines over 512 octets with 500
	starttlsArg220  bool // answers STARTTLS with a parameter 220
	mailAuth555     bool // refuses the AUTH parameter of MAIL with 555
	badPassword454  bool // answers wrong credentials 454
	loginTextPrompt bool // sends LOGIN's prompts as text, not base64
	// Two ways of handling plaintext after STARTTLS that the injection
	// cases must tell apart: feeding it to the TLS handshake (which then
	// fails: safe) and answering it in the clear after the 220 (not safe).
	injectionIntoHandshake bool
	injectionClearReply    bool
}

// replayConn is a net.Conn whose reads come from r.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tlsAuthFake is a small ESMTP server with STARTTLS and AUTH PLAIN and
// LOGIN (offered under TLS), written to fail in the ways bugs says.
type tlsAuthFake struct {
	bugs tlsAuthBugs
	tls  *tls.Config
}

// startTLSAuthFake serves a tlsAuthFake on 127.0.0.1 and returns the Config
// that points the suite at it, with its credentials.
func startTLSAuthFake(t *testing.T, bugs tlsAuthBugs) Config {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	sc, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	f := &tlsAuthFake{bugs: bugs, tls: sc}
	return Config{
		Addr: listenTest(t, f.serve), TLSConfig: ca.ClientConfig("localhost"), QuietTime: 200 * time.Millisecond,
		Username: tlsAuthUser, Password: tlsAuthPassword, Timeout: 5 * time.Second,
	}
}

// tlsAuthFakeSession is one connection of the fake.
type tlsAuthFakeSession struct {
	f                            *tlsAuthFake
	conn                         net.Conn
	br                           *bufio.Reader
	helo, secure, authed, inMail bool
}

func (s *tlsAuthFakeSession) reply(text string) { _, _ = io.WriteString(s.conn, text+"\r\n") }

func (s *tlsAuthFakeSession) line() (string, bool) {
	l, err := s.br.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err == nil
}

func (f *tlsAuthFake) serve(c net.Conn) {
	s := &tlsAuthFakeSession{f: f, conn: c, br: bufio.NewReader(c)}
	s.reply("220 fake ESMTP")
	for {
		line, ok := s.line()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			s.helo, s.inMail = true, false
			lines := []string{"fake", "PIPELINING"}
			if !s.secure || f.bugs.starttlsAgain {
				lines = append(lines, "STARTTLS")
			}
			if s.secure || f.bugs.plainInClear {
				lines = append(lines, "AUTH PLAIN LOGIN")
			}
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				s.reply("250" + sep + l)
			}
		case "STARTTLS":
			if !s.startTLS(arg) {
				return
			}
		case "AUTH":
			s.auth(arg)
		case "MAIL":
			switch {
			case !s.helo || s.inMail:
				s.reply("503 bad sequence")
			case s.f.bugs.mailAuth555 && strings.Contains(strings.ToUpper(arg), " AUTH="):
				s.reply("555 unknown parameter")
			default:
				s.inMail = true
				s.reply("250 ok")
			}
		case "RCPT":
			if !s.inMail {
				s.reply("503 need MAIL")
			} else {
				s.reply("250 ok")
			}
		case "RSET":
			s.inMail = false
			s.reply("250 ok")
		case "NOOP":
			s.reply("250 ok")
		case "QUIT":
			s.reply("221 bye")
			return
		default:
			s.reply("500 unknown command")
		}
	}
}

// startTLS answers STARTTLS and runs the handshake; false ends the
// connection.
func (s *tlsAuthFakeSession) startTLS(arg string) bool {
	switch {
	case arg != "" && !s.f.bugs.starttlsArg220:
		s.reply("501 no parameters allowed")
		return true
	case s.secure && !s.f.bugs.starttlsAgain:
		s.reply("503 TLS already active")
		return true
	}
	s.reply("220 ready")
	pending := make([]byte, s.br.Buffered())
	_, _ = io.ReadFull(s.br, pending)
	var raw net.Conn = s.conn
	switch {
	case s.f.bugs.injectionIntoHandshake:
		raw = replayConn{s.conn, io.MultiReader(bytes.NewReader(pending), s.conn)}
	case s.f.bugs.injectionClearReply && len(pending) > 0:
		s.reply("250 ok")
	}
	tc := tls.Server(raw, s.f.tls)
	if tc.HandshakeContext(context.Background()) != nil {
		return false
	}
	s.conn, s.br = tc, bufio.NewReader(tc)
	if s.f.bugs.injection {
		s.br = bufio.NewReader(io.MultiReader(bytes.NewReader(pending), tc))
	}
	s.secure, s.authed = true, false
	if !s.f.bugs.keepHelo {
		s.helo = false
	}
	if !s.f.bugs.keepTransaction {
		s.inMail = false
	}
	if s.f.bugs.greetAfterTLS {
		s.reply("220 fake ESMTP again")
	}
	return true
}

// auth runs AUTH PLAIN or LOGIN.
func (s *tlsAuthFakeSession) auth(arg string) {
	b := s.f.bugs
	mech, ir, hasIR := strings.Cut(arg, " ")
	switch {
	case s.authed && b.authTwice502:
		s.reply("502 not implemented")
		return
	case s.authed:
		s.reply("503 already authenticated")
		return
	case s.inMail && !b.authInTx:
		s.reply("503 not in a transaction")
		return
	}
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if !hasIR || (ir == "=" && b.emptyIRMissing) {
			s.reply("334 ")
			var ok bool
			if ir, ok = s.response(); !ok {
				return
			}
		}
		msg, ok := s.decode(ir)
		if !ok {
			return
		}
		parts := strings.Split(msg, "\x00")
		if len(parts) != 3 {
			s.reply("501 malformed PLAIN message")
			return
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		for i, prompt := range []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} {
			if b.loginTextPrompt {
				p, _ := base64.StdEncoding.DecodeString(prompt)
				prompt = string(p)
			}
			s.reply("334 " + prompt)
			resp, ok := s.response()
			if !ok {
				return
			}
			v, ok := s.decode(resp)
			if !ok {
				return
			}
			if i == 0 {
				user = v
			} else {
				pass = v
			}
		}
	default:
		if b.unknownMech500 {
			s.reply("500 unknown")
		} else {
			s.reply("504 unrecognized authentication type")
		}
		return
	}
	if user == tlsAuthUser && pass == tlsAuthPassword {
		s.authed = true
		s.reply("235 authenticated")
		return
	}
	if b.badPassword454 {
		s.reply("454 temporary failure")
		return
	}
	s.reply("535 authentication failed")
}

// response reads a response line; false means the exchange ended (a
// cancel, a line too long, or the connection gone), with the reply sent.
func (s *tlsAuthFakeSession) response() (string, bool) {
	l, ok := s.line()
	switch {
	case !ok:
		return "", false
	case l == "*" && s.f.bugs.cancelAccepted:
		s.authed = true
		s.reply("235 authenticated")
		return "", false
	case l == "*":
		s.reply("501 cancelled")
		return "", false
	case len(l) > 510 && s.f.bugs.shortAuthLine:
		s.reply("500 line too long")
		return "", false
	}
	return l, true
}

// decode decodes a base64 response strictly (RFC 4954 section 4), or
// leniently under the bug; false means a 501 was sent.
func (s *tlsAuthFakeSession) decode(resp string) (string, bool) {
	if resp == "=" {
		return "", true
	}
	if s.f.bugs.lenientBase64 {
		resp = strings.Map(func(r rune) rune {
			if strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", r) {
				return r
			}
			return -1
		}, resp)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(resp)
	if err != nil {
		s.reply("501 invalid base64")
		return "", false
	}
	return string(b), true
}

// TestTLSAuthCasesCatchBrokenServers runs cases against the fake, first
// faultless (the case must pass: the fake is a fair target) and then with
// one bug (the case must fail).
func TestTLSAuthCasesCatchBrokenServers(t *testing.T) {
	tests := []struct {
		bugs tlsAuthBugs
		ids  []string
	}{
		{tlsAuthBugs{injection: true}, []string{"rfc3207/6/starttls-injection-noop", "rfc3207/6/starttls-injection-mail"}},
		{tlsAuthBugs{greetAfterTLS: true}, []string{"rfc3207/4.2/no-greeting-after-tls"}},
		{tlsAuthBugs{starttlsAgain: true}, []string{"rfc3207/4.2/no-starttls-after-tls", "rfc3207/4.2/starttls-under-tls-refused"}},
		{tlsAuthBugs{keepHelo: true}, []string{"rfc3207/4.2/ehlo-forgotten-after-tls"}},
		{tlsAuthBugs{keepTransaction: true}, []string{"rfc3207/4.2/transaction-forgotten-after-tls"}},
		{tlsAuthBugs{plainInClear: true}, []string{"rfc4954/4/no-password-mechanism-in-clear"}},
		{tlsAuthBugs{authInTx: true}, []string{"rfc4954/4/auth-in-transaction-503"}},
		{tlsAuthBugs{authTwice502: true}, []string{"rfc4954/4/auth-twice-503"}},
		{tlsAuthBugs{cancelAccepted: true}, []string{"rfc4954/4/cancel-501"}},
		{tlsAuthBugs{unknownMech500: true}, []string{"rfc4954/4/unknown-mechanism-504"}},
		{tlsAuthBugs{lenientBase64: true}, []string{
			"rfc4954/4/response-not-base64-501", "rfc4954/4/initial-response-not-base64-501",
		}},
		{tlsAuthBugs{emptyIRMissing: true}, []string{"rfc4954/4/plain-empty-initial-response"}},
		{tlsAuthBugs{shortAuthLine: true}, []string{"rfc4616/2/plain-255-octet-fields"}},
		{tlsAuthBugs{starttlsArg220: true}, []string{"rfc3207/4/starttls-parameter-501"}},
		{tlsAuthBugs{mailAuth555: true}, []string{
			"rfc4954/5/mail-auth-parameter-unauthenticated", "rfc4954/5/mail-auth-empty-authenticated",
		}},
		{tlsAuthBugs{badPassword454: true}, []string{"rfc4954/4/wrong-password-535"}},
		{tlsAuthBugs{loginTextPrompt: true}, []string{"rfc4954/4/challenge-base64-only", "rfc4954/4/login"}},
	}
	for _, tt := range tests {
		for _, id := range tt.ids {
			t.Run(id, func(t *testing.T) {
				c := tlsAuthCase(t, id)
				good := runFakeCase(t, tlsAuthBugs{}, c)
				assert.Equal(t, Pass, good.Status, "faultless fake: %s\n%s", good.Reason, good.Transcript)
				bad := runFakeCase(t, tt.bugs, c)
				assert.Equal(t, Fail, bad.Status, "broken fake %+v: %s\n%s", tt.bugs, bad.Reason, bad.Transcript)
			})
		}
	}
}

// TestTLSAuthInjectionSafeOutcomes checks that the injection cases pass a
// server that feeds the injected octets to its TLS handshake (which fails:
// nothing runs as a command) and fail one that answers them in the clear.
func TestTLSAuthInjectionSafeOutcomes(t *testing.T) {
	for _, id := range []string{"rfc3207/6/starttls-injection-noop", "rfc3207/6/starttls-injection-mail"} {
		c := tlsAuthCase(t, id)
		r := runFakeCase(t, tlsAuthBugs{injectionIntoHandshake: true}, c)
		assert.Equal(t, Pass, r.Status, "%s: %s\n%s", id, r.Reason, r.Transcript)
		r = runFakeCase(t, tlsAuthBugs{injectionClearReply: true}, c)
		assert.Equal(t, Fail, r.Status, "%s: %s\n%s", id, r.Reason, r.Transcript)
	}
}

// tlsAuthCase returns the case with the ID.
func tlsAuthCase(t *testing.T, id string) *Case {
	t.Helper()
	for _, c := range tlsAuthAllCases() {
		if c.ID() == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return nil
}

// runFakeCase runs c against a fake with bugs and returns its result.
func runFakeCase(t *testing.T, bugs tlsAuthBugs, c *Case) Result {
	t.Helper()
	cfg := startTLSAuthFake(t, bugs).withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The probe of RunServer is left out: it skips the TLS cases of a
	// server that breaks after the handshake (a second greeting makes the
	// probe's EHLO fail), and the case itself is what is under test here.
	return runServerCase(ctx, &cfg, &probed{tlsOK: true}, c)
}
