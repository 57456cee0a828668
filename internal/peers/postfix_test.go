package peers

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/textproto"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
)

// authLine is the AUTH keyword Postfix offers by default.
var authLine = "AUTH " + strings.Join(PostfixMechanisms, " ")

// smtpConn is a client connection for the Postfix tests.
type smtpConn struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

// dialSMTP connects to addr and reads the 220 greeting, which it returns.
func dialSMTP(t *testing.T, addr string) (*smtpConn, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	t.Cleanup(func() { _ = c.Close() })
	s := &smtpConn{t: t, conn: c, tp: textproto.NewConn(c)}
	_, msg, err := s.tp.ReadResponse(220)
	require.NoError(t, err)
	return s, msg
}

// cmd sends line and requires a reply with code want; it returns the
// reply's text, one line per line.
func (s *smtpConn) cmd(want int, line string) string {
	s.t.Helper()
	require.NoError(s.t, s.tp.PrintfLine("%s", line))
	code, msg, err := s.tp.ReadResponse(want)
	require.NoError(s.t, err, "%s: got %d %s", line, code, msg)
	return msg
}

// ehlo sends EHLO and returns the keywords, upper-cased, with their
// parameters.
func (s *smtpConn) ehlo() []string {
	s.t.Helper()
	lines := strings.Split(s.cmd(250, "EHLO client.smtpkit.test"), "\n")
	assert.Equal(s.t, PostfixHostname, lines[0])
	kws := make([]string, 0, len(lines)-1)
	for _, l := range lines[1:] {
		kws = append(kws, strings.ToUpper(l))
	}
	return kws
}

// startTLS runs STARTTLS and the handshake with cfg.
func (s *smtpConn) startTLS(cfg *tls.Config) tls.ConnectionState {
	s.t.Helper()
	s.cmd(220, "STARTTLS")
	tc := tls.Client(s.conn, cfg)
	require.NoError(s.t, tc.Handshake())
	s.conn, s.tp = tc, textproto.NewConn(tc)
	return tc.ConnectionState()
}

// send runs one transaction to rcpt and returns the reply to the end of
// data.
func (s *smtpConn) send(rcpt string) string {
	s.t.Helper()
	s.cmd(250, "MAIL FROM:<sender@smtpkit.test> SIZE=100")
	s.cmd(250, "RCPT TO:<"+rcpt+">")
	s.cmd(354, "DATA")
	return s.cmd(250, "Subject: peers test\r\n\r\nHello, Postfix.\r\n.")
}

// auth authenticates with mech and requires the reply code want.
func (s *smtpConn) auth(mech, user, pass string, want int) {
	s.t.Helper()
	b64 := base64.StdEncoding.EncodeToString
	switch mech {
	case "PLAIN":
		s.cmd(want, "AUTH PLAIN "+b64([]byte("\x00"+user+"\x00"+pass)))
	case "LOGIN":
		s.cmd(334, "AUTH LOGIN")
		s.cmd(334, b64([]byte(user)))
		s.cmd(want, b64([]byte(pass)))
	case "CRAM-MD5":
		challenge, err := base64.StdEncoding.DecodeString(s.cmd(334, "AUTH CRAM-MD5"))
		require.NoError(s.t, err)
		mac := hmac.New(md5.New, []byte(pass))
		mac.Write(challenge)
		s.cmd(want, b64([]byte(user+" "+hex.EncodeToString(mac.Sum(nil)))))
	case "SCRAM-SHA-1", "SCRAM-SHA-256":
		h, _, _ := auth.ParseSCRAMMechanism(mech)
		c, err := auth.SCRAMClient(h, false, "", user, pass).NewClient(auth.ConnState{})
		require.NoError(s.t, err)
		ctx := context.Background()
		ir, _, err := c.Start(ctx)
		require.NoError(s.t, err)
		line := "AUTH " + mech + " " + b64(ir)
		for {
			require.NoError(s.t, s.tp.PrintfLine("%s", line))
			code, msg, err := s.tp.ReadResponse(0)
			if code != 334 {
				require.Equal(s.t, want, code, "%s: %d %s (%v)", mech, code, msg, err)
				if want == 235 {
					require.NoError(s.t, c.Finish(true), "the server's SCRAM signature")
				}
				return
			}
			challenge, err := base64.StdEncoding.DecodeString(msg)
			require.NoError(s.t, err)
			resp, err := c.Next(ctx, challenge)
			if err != nil {
				line = "*"
				continue
			}
			// An empty response is an empty line (RFC 4954 section 4: "="
			// is only for an empty initial response).
			line = b64(resp)
		}
	default:
		s.t.Fatalf("mechanism %s", mech)
	}
}

// waitLog waits up to 10 seconds for text in Postfix's log.
func waitLog(t *testing.T, p *PostfixServer, text string) {
	t.Helper()
	assert.Eventually(t, func() bool { return strings.Contains(p.Log(), text) },
		10*time.Second, 50*time.Millisecond, "%q in Postfix's log", text)
}

func TestPostfix(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{Users: map[string]string{"alice": "alice-secret"}})
	t.Logf("Postfix %s on %s, EHLO %q, after STARTTLS %q", p.Version, p.Addr, p.Keywords, p.TLSKeywords)
	assert.Contains(t, p.Keywords, "STARTTLS")
	assert.NotContains(t, p.TLSKeywords, "STARTTLS")
	assert.Contains(t, p.TLSKeywords, authLine)
	host, port, err := net.SplitHostPort(p.Addr)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host)
	assert.NotEqual(t, "25", port)

	s, greeting := dialSMTP(t, p.Addr)
	assert.True(t, strings.HasPrefix(greeting, PostfixHostname+" ESMTP"), greeting)
	kws := s.ehlo()
	for _, want := range []string{
		"PIPELINING", "SIZE " + strconv.Itoa(PostfixMessageSizeLimit), "VRFY", "ETRN", "STARTTLS",
		"ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", authLine,
	} {
		assert.Contains(t, kws, want)
	}
	assert.Contains(t, s.send("rcpt1@example.net"), "2.0.0 Ok: queued as")

	st := s.startTLS(p.TLSConfig())
	assert.True(t, st.HandshakeComplete)
	kws = s.ehlo()
	assert.NotContains(t, kws, "STARTTLS", "STARTTLS after TLS")
	assert.Contains(t, kws, authLine)
	s.auth("PLAIN", "alice", "alice-secret", 235)
	assert.Contains(t, s.send("someone@elsewhere.invalid"), "2.0.0 Ok: queued as")
	s.cmd(221, "QUIT")

	// Both messages went to the discard transport.
	waitLog(t, p, "to=<rcpt1@example.net>, relay=none")
	waitLog(t, p, "to=<someone@elsewhere.invalid>, relay=none")
	assert.NotContains(t, p.Log(), "relay=smtp")
}

func TestPostfixAuth(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{Users: map[string]string{
		"alice":           "alice-secret",
		"bob@example.com": "bob secret",
	}})
	for _, mech := range PostfixMechanisms {
		t.Run(mech, func(t *testing.T) {
			s, _ := dialSMTP(t, p.Addr)
			s.ehlo()
			s.auth(mech, "alice", "wrong", 535)
			s.auth(mech, "alice", "alice-secret", 235)
			s.cmd(503, "AUTH PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==")
			s.cmd(221, "QUIT")

			s, _ = dialSMTP(t, p.Addr)
			s.ehlo()
			s.auth(mech, "bob@example.com", "bob secret", 235)
			s.cmd(221, "QUIT")
		})
	}
}

func TestPostfixRelayOnlyWithAuth(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{
		Users: map[string]string{"alice": "alice-secret"},
		Main: map[string]string{
			"relay_domains":            "",
			"smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
		},
	})
	s, _ := dialSMTP(t, p.Addr)
	s.ehlo()
	s.cmd(250, "MAIL FROM:<sender@smtpkit.test>")
	assert.Contains(t, s.cmd(554, "RCPT TO:<rcpt1@example.net>"), "Relay access denied")
	s.cmd(250, "RSET")
	s.auth("PLAIN", "alice", "alice-secret", 235)
	assert.Contains(t, s.send("rcpt1@example.net"), "queued as")
	s.cmd(221, "QUIT")
}

func TestPostfixMechanisms(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{Users: map[string]string{"alice": "alice-secret"}, Mechanisms: []string{"CRAM-MD5", "PLAIN"}})
	assert.Contains(t, p.Keywords, "AUTH CRAM-MD5 PLAIN")
	s, _ := dialSMTP(t, p.Addr)
	s.ehlo()
	s.cmd(535, "AUTH LOGIN")
	s.auth("CRAM-MD5", "alice", "alice-secret", 235)
	s.cmd(221, "QUIT")
}

func TestPostfixAuthOnlyAfterTLS(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{
		Users: map[string]string{"alice": "alice-secret"},
		Main:  map[string]string{"smtpd_tls_auth_only": "yes"},
	})
	assert.NotContains(t, strings.Join(p.Keywords, "\n"), "AUTH")
	assert.Contains(t, p.TLSKeywords, authLine)
	s, _ := dialSMTP(t, p.Addr)
	s.ehlo()
	s.startTLS(p.TLSConfig())
	s.ehlo()
	s.auth("LOGIN", "alice", "alice-secret", 235)
	s.cmd(221, "QUIT")
}

func TestPostfixEncrypt(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{TLS: "encrypt", Users: map[string]string{"alice": "alice-secret"}})
	s, _ := dialSMTP(t, p.Addr)
	kws := s.ehlo()
	assert.Contains(t, kws, "STARTTLS")
	assert.NotContains(t, strings.Join(kws, "\n"), "AUTH", "AUTH before TLS under encrypt")
	assert.Contains(t, s.cmd(530, "MAIL FROM:<sender@smtpkit.test>"), "STARTTLS")
	s.startTLS(p.TLSConfig())
	assert.Contains(t, s.ehlo(), authLine)
	assert.Contains(t, s.send("rcpt1@example.net"), "queued as")
	s.cmd(221, "QUIT")
}

func TestPostfixImplicitTLS(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{ImplicitTLS: true})
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", p.Addr, p.TLSConfig())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	s := &smtpConn{t: t, conn: c, tp: textproto.NewConn(c)}
	_, _, err = s.tp.ReadResponse(220)
	require.NoError(t, err)
	kws := s.ehlo()
	assert.NotContains(t, kws, "STARTTLS")
	assert.Equal(t, kws, p.Keywords)
	assert.Nil(t, p.TLSKeywords)
	assert.Contains(t, s.send("rcpt1@example.net"), "queued as")
	s.cmd(221, "QUIT")
}

func TestPostfixNoTLS(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{TLS: "none"})
	s, _ := dialSMTP(t, p.Addr)
	kws := s.ehlo()
	assert.NotContains(t, kws, "STARTTLS")
	assert.NotContains(t, strings.Join(kws, "\n"), "AUTH")
	s.cmd(221, "QUIT")
}

// TestPostfixStop checks that Stop leaves no process behind, even with a
// session open, and that the port is closed.
func TestPostfixStop(t *testing.T) {
	t.Parallel()
	p := Postfix(t, PostfixOptions{})
	pgid := p.master.Process.Pid
	s, _ := dialSMTP(t, p.Addr)
	s.ehlo()
	require.NotEmpty(t, groupMembers(pgid))

	start := time.Now()
	require.NoError(t, p.Stop())
	t.Logf("stopped in %v", time.Since(start))
	require.NoError(t, p.Stop(), "a second Stop")
	assert.Empty(t, groupMembers(pgid))
	if ps, err := exec.LookPath("ps"); err == nil {
		out, err := exec.Command(ps, "-e", "-o", "pid=,pgid=,stat=,args=").Output()
		require.NoError(t, err)
		for line := range strings.Lines(string(out)) {
			f := strings.Fields(line)
			if len(f) >= 3 && f[1] == strconv.Itoa(pgid) && !strings.HasPrefix(f[2], "Z") {
				t.Errorf("left after Stop: %s", strings.TrimSpace(line))
			}
		}
	}
	_, err := net.DialTimeout("tcp", p.Addr, time.Second)
	assert.Error(t, err, "smtpd still listens after Stop")
}

func TestPostfixOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		opts  PostfixOptions
		level string
	}{
		{PostfixOptions{}, "may"},
		{PostfixOptions{TLS: "none"}, "none"},
		{PostfixOptions{TLS: "encrypt"}, "encrypt"},
		{PostfixOptions{ImplicitTLS: true}, "encrypt"},
		{PostfixOptions{Users: map[string]string{"a@b.example": "x y"}}, "may"},
	} {
		level, err := tc.opts.validate()
		require.NoError(t, err, "%+v", tc.opts)
		assert.Equal(t, tc.level, level)
	}
	for _, opts := range []PostfixOptions{
		{TLS: "tls"},
		{TLS: "may", ImplicitTLS: true},
		{Users: map[string]string{"": "x"}},
		{Users: map[string]string{"a b": "x"}},
		{Users: map[string]string{"a@": "x"}},
		{Users: map[string]string{"a": ""}},
		{Users: map[string]string{"a": "x\ny"}},
		{Mechanisms: []string{"plain"}},
		{Mechanisms: []string{""}},
		{Main: map[string]string{"a b": "x"}},
		{Main: map[string]string{"a": "x\ny"}},
	} {
		_, err := opts.validate()
		assert.Error(t, err, "%+v", opts)
	}
}

func TestCompatibilityLevel(t *testing.T) {
	for v, want := range map[string]string{
		"3.7.11": "3.6", "3.6.4": "3.6", "3.10.1": "3.6", "4.0": "3.6",
		"3.5.18": "2", "2.11.3": "2", "": "2", "x": "2",
	} {
		assert.Equal(t, want, compatibilityLevel(v), v)
	}
}

func TestMissingAuth(t *testing.T) {
	assert.Equal(t, "", missingAuth([]string{"SIZE 1", authLine}, "PLAIN", "CRAM-MD5"))
	assert.Equal(t, "LOGIN", missingAuth([]string{"auth plain cram-md5"}, "PLAIN", "LOGIN"))
	assert.Equal(t, "PLAIN", missingAuth(nil, "PLAIN"))
}
