package main

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// sendJSON is the --json output as a test reads it.
type sendJSON struct {
	Server   string `json:"server"`
	Protocol string `json:"protocol"`
	TLS      *struct {
		Status  string `json:"status"`
		Version string `json:"version"`
		Cipher  string `json:"cipher"`
	} `json:"tls"`
	Authenticated bool   `json:"authenticated"`
	From          string `json:"from"`
	Recipients    []struct {
		Addr      string `json:"addr"`
		Delivered bool   `json:"delivered"`
		Code      int    `json:"code"`
		Enhanced  string `json:"enhanced"`
		Text      string `json:"text"`
	} `json:"recipients"`
	Delivered int `json:"delivered"`
	Reply     *struct {
		Code     int    `json:"code"`
		Enhanced string `json:"enhanced"`
		Text     string `json:"text"`
	} `json:"reply"`
	Error *struct {
		Stage   string `json:"stage"`
		Message string `json:"message"`
		Hint    string `json:"hint"`
	} `json:"error"`
}

func parseSendJSON(t *testing.T, out string) sendJSON {
	t.Helper()
	var r sendJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r), out)
	require.False(t, dec.More(), "one JSON object: %s", out)
	return r
}

// recipientLine returns the output line naming addr.
func recipientLine(t *testing.T, out, addr string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[1] == addr {
			return l
		}
	}
	t.Fatalf("no line for %s in:\n%s", addr, out)
	return ""
}

// TestBinarySendSTARTTLSAuth runs the built binary twice, as a user would:
// "smtpkit serve" with STARTTLS (its default) and AUTH required, and
// "smtpkit send" trusting the CA serve wrote, with the password in a
// variable named by --password-env. The message lands in the Maildir.
func TestBinarySendSTARTTLSAuth(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s := serveBin(t, nil, "--user", "alice:s3cret", "--require-auth", "--maildir", dir, "--hostname", "mx.test")
	code, out, errOut := runBin(t, map[string]string{"PW": "s3cret"}, "",
		"send", "--server", s.addr, "--ca", filepath.Join(dir, "smtpkit-ca.pem"),
		"--user", "alice", "--password-env", "PW",
		"--from", "alice@example.org", "--to", "bob@example.net",
		"--subject", "Binary test", "--body", "Hello from the built binary.")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	line := recipientLine(t, out, "bob@example.net")
	assert.True(t, strings.HasPrefix(line, "ok "), line)
	assert.Contains(t, line, "250 2.0.0")
	assert.Contains(t, out, "delivered to 1 of 1 recipients via "+s.addr+" (SMTP, TLS 1.3, authenticated)")
	assert.Contains(t, out, "reply: 250 ")
	assert.Empty(t, errOut)

	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "\r\nReceived: from ")
	assert.Contains(t, msgs[0], "by mx.test")
	assert.Contains(t, msgs[0], "with ESMTPSA")
	assert.Contains(t, msgs[0], "\r\nSubject: Binary test\r\n")
	assert.Contains(t, msgs[0], "\r\n\r\nHello from the built binary.\r\n")
	assert.Contains(t, msgs[0], "\r\nFrom: alice@example.org\r\n")
	assert.Contains(t, msgs[0], "\r\nMessage-ID: <")
}

// TestBinarySendLMTP sends to two recipients over LMTP without TLS; each
// recipient gets its own reply (RFC 2033 section 4.2).
func TestBinarySendLMTP(t *testing.T) {
	dir := t.TempDir()
	s := serveBin(t, nil, "--lmtp", "--tls", "off", "--maildir", dir)
	code, out, errOut := runBin(t, nil, "",
		"send", "--lmtp", "--tls", "off", "--server", s.addr,
		"--from", "alice@example.org", "--to", "bob@example.org", "--to", "carol@example.org",
		"--subject", "LMTP", "--body", "two recipients")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, rcpt := range []string{"bob@example.org", "carol@example.org"} {
		line := recipientLine(t, out, rcpt)
		assert.True(t, strings.HasPrefix(line, "ok "), line)
		assert.Contains(t, line, " 250 ")
	}
	assert.Contains(t, out, "delivered to 2 of 2 recipients via "+s.addr+" (LMTP, no TLS: clear (by policy))")
	msgs := maildirFiles(t, dir)
	require.NotEmpty(t, msgs)
	assert.Contains(t, msgs[0], "with LMTP")
	assert.Contains(t, msgs[0], "Subject: LMTP")
}

// TestSendRefusedRecipient: the server takes one recipient of two (452,
// RFC 5321 section 4.5.3.1.10); the job ran and failed, exit status 1.
func TestSendRefusedRecipient(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off", "--max-recipients", "1")
	args := []string{"send", "--server", s.addr, "--tls", "off", "--from", "a@example.org",
		"--to", "b@example.org", "--to", "c@example.org", "--subject", "x", "--body", "y"}

	code, out, errOut := runCmd(t, nil, "", args...)
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	ok := recipientLine(t, out, "b@example.org")
	assert.True(t, strings.HasPrefix(ok, "ok "), ok)
	bad := recipientLine(t, out, "c@example.org")
	assert.True(t, strings.HasPrefix(bad, "FAIL "), bad)
	assert.Contains(t, bad, "452 4.5.3")
	assert.Contains(t, out, "delivered to 1 of 2 recipients")
	assert.Contains(t, errOut, "smtpkit send: smtp send: 1 recipient(s) failed; c@example.org: 452")

	code, out, _ = runCmd(t, nil, "", append(args, "--json")...)
	require.Equal(t, exitFailed, code)
	r := parseSendJSON(t, out)
	assert.Equal(t, s.addr, r.Server)
	assert.Equal(t, "smtp", r.Protocol)
	require.NotNil(t, r.TLS)
	assert.Equal(t, "clear (by policy)", r.TLS.Status)
	assert.Empty(t, r.TLS.Version)
	assert.False(t, r.Authenticated)
	assert.Equal(t, "a@example.org", r.From)
	assert.Equal(t, 1, r.Delivered)
	require.Len(t, r.Recipients, 2)
	assert.Equal(t, "b@example.org", r.Recipients[0].Addr)
	assert.True(t, r.Recipients[0].Delivered)
	assert.Equal(t, 250, r.Recipients[0].Code)
	assert.Equal(t, "2.0.0", r.Recipients[0].Enhanced)
	assert.Equal(t, "c@example.org", r.Recipients[1].Addr)
	assert.False(t, r.Recipients[1].Delivered)
	assert.Equal(t, 452, r.Recipients[1].Code)
	assert.Equal(t, "4.5.3", r.Recipients[1].Enhanced)
	assert.NotEmpty(t, r.Recipients[1].Text)
	require.NotNil(t, r.Reply)
	assert.Equal(t, 250, r.Reply.Code)
	require.NotNil(t, r.Error)
	assert.Equal(t, "send", r.Error.Stage)
	assert.Contains(t, r.Error.Message, "c@example.org")
}

// TestSendJSONSuccess checks the JSON of a delivered message over STARTTLS.
func TestSendJSONSuccess(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir)
	code, out, errOut := runCmd(t, nil, "", "send", "--server", s.addr, "--ca", filepath.Join(dir, "smtpkit-ca.pem"),
		"--from", "a@example.org", "--to", "b@example.org", "--body", "hi", "--json")
	require.Equal(t, exitOK, code, errOut)
	r := parseSendJSON(t, out)
	require.NotNil(t, r.TLS)
	assert.Equal(t, "secured", r.TLS.Status)
	assert.Equal(t, "TLS 1.3", r.TLS.Version)
	assert.NotEmpty(t, r.TLS.Cipher)
	assert.Nil(t, r.Error)
	assert.Equal(t, 1, r.Delivered)
	require.NotNil(t, r.Reply)
	assert.Equal(t, 250, r.Reply.Code)
	assert.NotEmpty(t, r.Reply.Text, "the final reply carries the queue ID")
	assert.Equal(t, r.Reply.Text, r.Recipients[0].Text, "a delivered SMTP recipient shows the reply to the end of data")
}

func TestSendUsageErrors(t *testing.T) {
	dir := t.TempDir()
	msgFile := filepath.Join(dir, "m.eml")
	require.NoError(t, os.WriteFile(msgFile, []byte(testMessage), 0o600))
	base := []string{"send", "--server", "127.0.0.1:1", "--tls", "off"}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"--from", "a@example.org", "--body", "x"}, want: "no recipient: give --to ADDRESS"},
		{args: []string{"--to", "b@example.org", "--body", "x"}, want: "no sender: give --from ADDRESS"},
		{args: []string{"--to", "b@example.org", "--body", "x", "--user", "bob"}, env: map[string]string{"SMTP_PASS": "pw"},
			want: `the login name "bob" is not an address`},
		{args: []string{"--from", "not an address", "--to", "b@example.org", "--body", "x"}, want: `--from "not an address"`},
		{args: []string{"--from", "a@example.org", "--to", "b@", "--body", "x"}, want: `--to "b@"`},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--provider", "hotmail"}, want: `unknown provider "hotmail"`},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--provider", "ses"}, want: "ses needs a region"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--provider", "ses:moon-base"}, want: "is not an AWS region name"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--provider", "gmail"}, want: "authentication is required"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--file", msgFile, "--body", "x"}, want: "do not go together"},
		{args: []string{"--from", "<>", "--to", "b@example.org", "--body", "x"}, want: "the null sender <> needs a raw message"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--subject", "two\nlines"}, want: "--subject: control character"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--tls", "sometimes"}, want: "--tls"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--user", "a"}, want: "no password: set the environment variable SMTP_PASS"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--user", "a", "--password-env", "MY_PW"}, want: "variable MY_PW"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--auth", "NTLM", "--user", "a"}, env: map[string]string{"SMTP_PASS": "pw"}, want: `unknown mechanism "NTLM"`},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org"}, want: "no message: standard input is empty"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--timeout", "-1s"}, want: "--timeout must not be negative"},
		{args: []string{"--from", "a@example.org", "--to", "b@example.org", "b@example.net"}, want: `unexpected argument "b@example.net"`},
	} {
		code, out, errOut := runCmd(t, tc.env, "", append(base, tc.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, "smtpkit send: ", tc.args)
		assert.Contains(t, errOut, tc.want, tc.args)
		assert.Contains(t, errOut, `run "smtpkit help send" for usage`, tc.args)
		assert.Empty(t, out, "nothing on standard output for a usage error: %v", tc.args)
	}

	// No server at all: neither --server nor SMTP_HOST.
	code, _, errOut := runCmd(t, nil, "", "send", "--from", "a@example.org", "--to", "b@example.org", "--body", "x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no server: give --server HOST:PORT or set SMTP_HOST")

	// The flag package's own errors.
	code, _, errOut = runCmd(t, nil, "", "send", "--server", "127.0.0.1:1", "--to", "b@example.org", "--timeout", "soon")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `invalid value "soon" for flag -timeout`)

	// There is no flag that takes a password: the flag package refuses it.
	for _, flagName := range []string{"--password", "--pass", "-p"} {
		code, _, errOut = runCmd(t, nil, "", "send", "--server", "127.0.0.1:1", flagName, "s3cret", "--to", "b@example.org")
		assert.Equal(t, exitUsage, code, flagName)
		assert.Contains(t, errOut, "flag provided but not defined: -"+strings.TrimLeft(flagName, "-"), flagName)
	}
}

// TestSendCannotRun covers exit status 3: the message was never offered.
func TestSendCannotRun(t *testing.T) {
	dir := t.TempDir()
	common := []string{"send", "--from", "a@example.org", "--to", "b@example.org"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "127.0.0.1:1", "--tls", "off", "--file", filepath.Join(dir, "missing.eml")}, "--file: open "},
		{[]string{"--server", "127.0.0.1:1", "--tls", "off", "--body", "x", "--attach", filepath.Join(dir, "missing.pdf")}, "--attach: open "},
		{[]string{"--server", "127.0.0.1:1", "--ca", filepath.Join(dir, "missing.pem"), "--body", "x"}, "missing.pem: no such file"},
	} {
		code, out, errOut := runCmd(t, nil, "", append(common, tc.args...)...)
		assert.Equal(t, exitOffline, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.want, tc.args)
		assert.Contains(t, out, "FAIL  b@example.org  (not sent)", tc.args)
	}

	// Nothing listens on addr: a dial error with the address, in text and JSON.
	addr := peers.FreeAddr(t)
	code, out, errOut := runCmd(t, nil, "", append(common, "--server", addr, "--tls", "off", "--body", "x")...)
	assert.Equal(t, exitOffline, code, errOut)
	assert.Contains(t, errOut, "smtpkit send: smtp dial "+addr)
	assert.Contains(t, out, "(not sent)")
	code, out, _ = runCmd(t, nil, "", append(common, "--server", addr, "--tls", "off", "--body", "x", "--json")...)
	assert.Equal(t, exitOffline, code)
	r := parseSendJSON(t, out)
	require.NotNil(t, r.Error)
	assert.Equal(t, "dial", r.Error.Stage)
	assert.Contains(t, r.Error.Message, addr)
	assert.Nil(t, r.TLS, "no session, no TLS state")
	assert.Nil(t, r.Reply)
	require.Len(t, r.Recipients, 1)
	assert.False(t, r.Recipients[0].Delivered)
	assert.Zero(t, r.Recipients[0].Code)
}

// TestSendAuthFailure: a wrong password is an authentication failure
// (exit 3) with the client's hint about app passwords.
func TestSendAuthFailure(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--user", "alice:s3cret", "--require-auth")
	code, out, errOut := runCmd(t, map[string]string{"SMTP_PASS": "wrong"}, "", "send", "--server", s.addr,
		"--ca", filepath.Join(dir, "smtpkit-ca.pem"), "--user", "alice", "--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--json")
	require.Equal(t, exitOffline, code, errOut)
	r := parseSendJSON(t, out)
	require.NotNil(t, r.Error)
	assert.Equal(t, "auth", r.Error.Stage)
	assert.Contains(t, r.Error.Message, "535")
	assert.Contains(t, r.Error.Hint, "app password")
	assert.NotContains(t, r.Error.Message, "hint:", "the hint is its own field")
	assert.Contains(t, errOut, "\nhint: check the user name and password")
	assert.NotContains(t, out+errOut, "wrong", "the password is not echoed")
	assert.Empty(t, maildirFiles(t, dir))
}

// TestSendEnvironment: SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS and
// SMTP_SECURE configure send, and flags win over them.
func TestSendEnvironment(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--user", "alice@example.org:s3cret", "--require-auth")
	host, port, err := net.SplitHostPort(s.addr)
	require.NoError(t, err)
	ca := filepath.Join(dir, "smtpkit-ca.pem")
	good := map[string]string{"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_USER": "alice@example.org", "SMTP_PASS": "s3cret", "SMTP_SECURE": "false"}
	with := func(changes map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return env
	}
	closed := peers.FreeAddr(t)
	_, closedPort, _ := net.SplitHostPort(closed)

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"all from the environment, --from from SMTP_USER", good, nil, exitOK},
		{"SMTP_HOST with its port", with(map[string]string{"SMTP_HOST": s.addr, "SMTP_PORT": closedPort}), nil, exitOK},
		{"--server wins over SMTP_HOST and SMTP_PORT", with(map[string]string{"SMTP_PORT": closedPort}), []string{"--server", s.addr}, exitOK},
		{"SMTP_PORT is used", with(map[string]string{"SMTP_PORT": closedPort}), nil, exitOffline},
		{"--user wins over SMTP_USER", with(map[string]string{"SMTP_USER": "mallory@example.org"}), []string{"--user", "alice@example.org"}, exitOK},
		{"SMTP_USER is used", with(map[string]string{"SMTP_USER": "mallory@example.org"}), nil, exitOffline},
		{"--password-env wins over SMTP_PASS", with(map[string]string{"SMTP_PASS": "wrong", "MY_PW": "s3cret"}), []string{"--password-env", "MY_PW"}, exitOK},
		{"SMTP_PASS is used", with(map[string]string{"SMTP_PASS": "wrong"}), nil, exitOffline},
		{"--tls wins over SMTP_SECURE", with(map[string]string{"SMTP_SECURE": "true"}), []string{"--tls", "starttls"}, exitOK},
		{"SMTP_SECURE=true is implicit TLS", with(map[string]string{"SMTP_SECURE": "true"}), nil, exitOffline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"send", "--ca", ca, "--to", "bob@example.net", "--subject", tc.name, "--body", "env"}, tc.args...)
			code, out, errOut := runCmd(t, tc.env, "", args...)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
		})
	}
	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 6, "one message per successful case")
	for _, m := range msgs {
		assert.True(t, strings.HasPrefix(m, "Return-Path: <alice@example.org>\r\n"), "the sender defaults to SMTP_USER: %.60q", m)
		assert.Contains(t, m, "\r\nFrom: alice@example.org\r\n")
	}
	assert.Contains(t, strings.Join(msgs, ""), "Subject: SMTP_HOST with its port")
}

// TestSendTraceRedactsAuth: --trace shows the dialogue but no password, in
// clear or in base64, for the mechanisms that send it (RFC 4616, LOGIN)
// and for the default (SCRAM).
func TestSendTraceRedactsAuth(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--user", "alice:s3cret", "--require-auth")
	secrets := []string{
		"s3cret",
		base64.StdEncoding.EncodeToString([]byte("s3cret")),
		base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret")),
		base64.StdEncoding.EncodeToString([]byte("alice\x00s3cret")),
	}
	for _, mech := range []string{"PLAIN", "LOGIN", ""} {
		t.Run("mech="+mech, func(t *testing.T) {
			args := []string{"send", "--server", s.addr, "--ca", filepath.Join(dir, "smtpkit-ca.pem"), "--user", "alice",
				"--from", "alice@example.org", "--to", "bob@example.net", "--body", "traced", "--trace"}
			if mech != "" {
				args = append(args, "--auth", mech)
			}
			code, out, errOut := runCmd(t, map[string]string{"SMTP_PASS": "s3cret"}, "", args...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, errOut, "S: 220 ")
			assert.Contains(t, errOut, "C: EHLO ")
			assert.Contains(t, errOut, "C: STARTTLS")
			assert.Contains(t, errOut, "C: MAIL FROM:<alice@example.org>")
			assert.Contains(t, errOut, "C: RCPT TO:<bob@example.net>")
			assert.Contains(t, errOut, "octets of message content>")
			assert.Contains(t, errOut, "C: QUIT")
			assert.Contains(t, errOut, "<redacted>")
			if mech != "" {
				assert.Contains(t, errOut, "C: AUTH "+mech)
			}
			for _, secret := range secrets {
				assert.NotContains(t, errOut+out, secret)
			}
			assert.NotContains(t, out, "C: ", "the trace goes to standard error only")
		})
	}
}

// TestSendRawMessage sends raw messages from standard input and from a
// file, with bare LF line ends: the client makes them CRLF, so the strict
// server (bare LF rejected, RFC 5321 section 2.3.8) accepts them.
func TestSendRawMessage(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--tls", "off")
	lf := "From: alice@example.org\nTo: bob@example.net\nSubject: LF only\n\nline one\n.leading dot\nline three\n"
	file := filepath.Join(dir, "lf.eml")
	require.NoError(t, os.WriteFile(file, []byte(lf), 0o600))
	base := []string{"send", "--server", s.addr, "--tls", "off", "--from", "alice@example.org", "--to", "bob@example.net"}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"standard input by default", lf, nil},
		{"--file -", lf, []string{"--file", "-"}},
		{"--file FILE", "", []string{"--file", file}},
	} {
		code, out, errOut := runCmd(t, nil, tc.stdin, append(base, tc.args...)...)
		require.Equal(t, exitOK, code, "%s: %s\n%s", tc.name, out, errOut)
	}
	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 3)
	want := strings.ReplaceAll(lf, "\n", "\r\n")
	for _, m := range msgs {
		assert.True(t, strings.HasSuffix(m, want), "stored with CRLF and the dot line intact: %q", m)
		assert.NotContains(t, strings.ReplaceAll(m, "\r\n", ""), "\n", "no bare LF left")
	}

	// The null reverse path (RFC 5321 section 4.5.5) with a raw message.
	code, _, errOut := runCmd(t, nil, testMessage, "send", "--server", s.addr, "--tls", "off", "--from", "<>", "--to", "bob@example.net")
	require.Equal(t, exitOK, code, errOut)
	msgs = maildirFiles(t, dir)
	require.Len(t, msgs, 4)
	found := false
	for _, m := range msgs {
		found = found || strings.HasPrefix(m, "Return-Path: <>\r\n")
	}
	assert.True(t, found, "one message has the null sender")
}

// TestSendEightBitMIME: a non-ASCII body goes as 8bit with BODY=8BITMIME
// when the server offers 8BITMIME (RFC 6152).
func TestSendEightBitMIME(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--tls", "off")
	code, _, errOut := runCmd(t, nil, "", "send", "--server", s.addr, "--tls", "off", "--trace",
		"--from", "Zoë <zoe@example.org>", "--to", "bob@example.net", "--subject", "Grüße", "--body", "Schöne Grüße\n")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `(?m)^C: MAIL FROM:<zoe@example.org>( SIZE=\d+)? BODY=8BITMIME$`, errOut)
	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "\r\nContent-Transfer-Encoding: 8bit\r\n")
	assert.Contains(t, msgs[0], "\r\n\r\nSchöne Grüße\r\n")
	assert.Contains(t, msgs[0], "\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n")
	assert.Contains(t, msgs[0], "\r\nFrom: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\n")
}

// TestSendAttachment sends a binary attachment through the server and reads
// it back from the Maildir.
func TestSendAttachment(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--tls", "off")
	data := []byte("\x89PNG\r\n\x1a\n\x00\x00binary\n.\r\n")
	file := filepath.Join(t.TempDir(), "pixel.png")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	code, _, errOut := runCmd(t, nil, "", "send", "--server", s.addr, "--tls", "off",
		"--from", "alice@example.org", "--to", "bob@example.net", "--subject", "pic", "--attach", file)
	require.Equal(t, exitOK, code, errOut)
	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "Content-Type: multipart/mixed;")
	assert.Contains(t, msgs[0], "Content-Type: image/png; name=pixel.png")
	assert.Contains(t, msgs[0], "Content-Disposition: attachment; filename=pixel.png")
	assert.Contains(t, msgs[0], base64.StdEncoding.EncodeToString(data))
}

// TestSendUntrustedCertificate: a certificate from an unknown CA fails
// the TLS step (exit 3), and the hint speaks of --ca, not of Go options.
func TestSendUntrustedCertificate(t *testing.T) {
	s := serveInProcess(t, "--discard")
	code, out, errOut := runCmd(t, nil, "", "send", "--server", s.addr, "--from", "a@example.org", "--to", "b@example.org", "--body", "x", "--json")
	require.Equal(t, exitOffline, code, errOut)
	r := parseSendJSON(t, out)
	require.NotNil(t, r.Error)
	assert.Equal(t, "tls", r.Error.Stage)
	assert.Contains(t, r.Error.Message, "certificate")
	assert.Contains(t, r.Error.Message, "give the issuing CA with --ca FILE")
	assert.Contains(t, r.Error.Hint, "trust its issuer (--ca FILE)")
	assert.NotContains(t, errOut, "WithTLSConfig")
	assert.NotContains(t, errOut, "tls.Config")
	assert.Contains(t, errOut, "\nhint: wanted 127.0.0.1")
}

// TestSendAuthRequired: without credentials the server refuses MAIL with
// 530 (RFC 4954 section 6); the message was offered and refused, exit 1.
func TestSendAuthRequired(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--maildir", dir, "--user", "alice:s3cret", "--require-auth")
	code, out, errOut := runCmd(t, nil, "", "send", "--server", s.addr, "--ca", filepath.Join(dir, "smtpkit-ca.pem"),
		"--from", "a@example.org", "--to", "b@example.org", "--body", "x")
	require.Equal(t, exitFailed, code, errOut)
	line := recipientLine(t, out, "b@example.org")
	assert.True(t, strings.HasPrefix(line, "FAIL "), line)
	assert.Contains(t, line, "530 5.7.0")
	assert.Contains(t, out, "\nreply: 530 5.7.0", "the reply that refused the message, not the DATA or BDAT refusal after it")
	assert.Contains(t, errOut, "smtpkit send: smtp send: message refused: ")
	assert.Contains(t, errOut, "\nhint: ")
	assert.Contains(t, errOut, "--user")
	assert.NotContains(t, errOut, "WithAuth")
	assert.Empty(t, maildirFiles(t, dir))
}

func TestSendHelp(t *testing.T) {
	code, out, _ := runCmd(t, nil, "", "help", "send")
	require.Equal(t, exitOK, code)
	for _, want := range []string{
		"usage: smtpkit send ",
		"smtpkit send --server 127.0.0.1:2525 --ca smtpkit-mail/smtpkit-ca.pem",
		"--provider gmail",
		"--lmtp",
		"ses:REGION",
		"Exit status: 0",
		"-password-env",
		"-attach",
		"-trace",
		"-json",
	} {
		assert.Contains(t, out, want)
	}
	code, out, _ = runCmd(t, nil, "", "help")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "send     send one message")
}
