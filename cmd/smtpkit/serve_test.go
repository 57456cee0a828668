package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

const testMessage = "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nHello, Bob.\r\n"

// maildirFiles returns the contents of the messages in dir/new.
func maildirFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// caConfig trusts the test CA certificate that serve wrote.
func caConfig(t testing.TB, file string) *tls.Config {
	t.Helper()
	pool, err := loadCA(file)
	require.NoError(t, err)
	return &tls.Config{RootCAs: pool}
}

func sendWithClient(t testing.TB, addr string, opts ...client.Option) (*client.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, opts...)
	if err != nil {
		return nil, err
	}
	defer c.Quit(ctx)
	return c.Send(ctx, client.Envelope{From: "alice@example.org", To: []string{"bob@example.net"}}, strings.NewReader(testMessage))
}

// TestBinaryServeMaildir runs the built binary on its defaults (STARTTLS
// with a test CA) with AUTH required, and delivers one message with the
// client package: it lands in the Maildir with Return-Path and Received,
// the binary prints one line for it, and SIGTERM stops it with status 0.
func TestBinaryServeMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s := serveBin(t, nil, "--maildir", dir, "--hostname", "mx.test", "--user", "alice:s3cret", "--require-auth")
	ca := filepath.Join(dir, "smtpkit-ca.pem")
	require.FileExists(t, ca)

	_, err := sendWithClient(t, s.addr, client.WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyRequired),
		client.WithTLSConfig(caConfig(t, ca)), client.WithServerName("localhost"))
	require.Error(t, err, "no credentials: AUTH is required")
	assert.Contains(t, err.Error(), "530")

	res, err := sendWithClient(t, s.addr, client.WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyRequired),
		client.WithTLSConfig(caConfig(t, ca)), client.WithServerName("localhost"), client.WithAuth("alice", "s3cret"))
	require.NoError(t, err)
	require.Equal(t, 1, res.Delivered())

	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 1)
	assert.True(t, strings.HasPrefix(msgs[0], "Return-Path: <alice@example.org>\r\nReceived: from "), msgs[0])
	assert.Contains(t, msgs[0], "by mx.test")
	assert.Contains(t, msgs[0], "with ESMTPSA")
	assert.True(t, strings.HasSuffix(msgs[0], testMessage))

	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "msg=accepted") }, 5*time.Second, 20*time.Millisecond)
	lines := strings.Split(strings.TrimSpace(s.out.String()), "\n")
	require.Len(t, lines, 1, "one line per accepted message")
	assert.Contains(t, lines[0], "from=alice@example.org")
	assert.Contains(t, lines[0], "to=bob@example.net")
	assert.Contains(t, lines[0], "auth=alice")
	assert.Contains(t, lines[0], `tls="TLS 1.3"`)

	require.Equal(t, 0, s.stop(t))
	assert.Contains(t, s.err.String(), "msg=stopped messages=1")
}

func TestServeDiscardAndImplicitTLS(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "implicit", "--ca-out", filepath.Join(t.TempDir(), "ca.pem"))
	_, err := sendWithClient(t, s.addr, client.WithTLS(tlsmode.ModeImplicit, tlsmode.PolicyRequired), client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}))
	require.NoError(t, err)
	require.Equal(t, 0, s.stop())
	assert.Contains(t, s.out.String(), "msg=accepted")
	assert.NotContains(t, s.out.String(), "file=")
}

func TestServeLMTPAndInsecureAuth(t *testing.T) {
	dir := t.TempDir()
	s := serveInProcess(t, "--lmtp", "--tls", "off", "--maildir", dir, "--user", "bob:pw", "--insecure-auth")
	res, err := sendWithClient(t, s.addr, client.WithLMTP(), client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled),
		client.WithAuth("bob", "pw"), client.WithInsecureAuth())
	require.NoError(t, err)
	assert.Equal(t, 1, res.Delivered())
	msgs := maildirFiles(t, dir)
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "with LMTPA")
}

func TestServeLimitsAndBareLF(t *testing.T) {
	s := serveInProcess(t, "--discard", "--tls", "off", "--max-message-size", "100", "--max-recipients", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, s.addr, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	require.NoError(t, err)
	defer c.Quit(ctx)
	_, err = c.Send(ctx, client.Envelope{From: "a@example.org", To: []string{"b@example.org"}}, strings.NewReader(strings.Repeat("x", 200)))
	var se *client.SizeError
	require.ErrorAs(t, err, &se, "SIZE 100 is advertised and checked before sending")
	res, err := c.Send(ctx, client.Envelope{From: "a@example.org", To: []string{"b@example.org", "c@example.org"}}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
	var sendErr *client.SendError
	require.ErrorAs(t, err, &sendErr)
	assert.Equal(t, 1, res.Delivered())
	require.Len(t, sendErr.Failed, 1)
	assert.Equal(t, 452, int(sendErr.Failed[0].Reply.Code))
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--tls", "sometimes"},
		{"serve", "--bare-lf", "maybe"},
		{"serve", "--require-auth"},
		{"serve", "--tls-cert", "x.pem"},
		{"serve", "--user", "nopassword"},
		{"serve", "--proxy-protocol", "not-a-net"},
		{"serve", "--log-format", "xml"},
		{"serve", "--max-recipients", "-1"},
		{"serve", "extra"},
	} {
		code, _, errOut := runCmd(t, nil, "", append(args, "--discard", "--listen", "127.0.0.1:0")...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		assert.Contains(t, errOut, "smtpkit serve: ", args)
	}
	code, _, errOut := runCmd(t, nil, "", "serve", "--discard", "--listen", "256.0.0.1:1")
	assert.Equal(t, exitOffline, code, errOut)
}

func TestParsePrefixes(t *testing.T) {
	p, err := parsePrefixes([]string{"10.0.0.0/8", "192.0.2.7", "2001:db8::1/64"})
	require.NoError(t, err)
	require.Len(t, p, 3)
	assert.Equal(t, "10.0.0.0/8", p[0].String())
	assert.Equal(t, "192.0.2.7/32", p[1].String())
	assert.Equal(t, "2001:db8::/64", p[2].String())
}

// BenchmarkStoreDiscard is serve --discard's handler on one message: under
// --discard no trace header is made (only the queue ID and the log line).
func BenchmarkStoreDiscard(b *testing.B) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := &store{hostname: "bench", log: discard, errs: discard}
	info := &server.ConnInfo{RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2525}, Hostname: "bench"}
	sess, err := st.Connect(context.Background(), info)
	require.NoError(b, err)
	body := []byte(strings.Repeat(strings.Repeat("x", 76)+"\r\n", 13))
	var mail wire.MailParams
	var rcpt wire.RcptParams
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, sess.Mail("a@example.org", &mail))
		require.NoError(b, sess.Rcpt("b@example.net", &rcpt))
		require.NoError(b, sess.Data(bytes.NewReader(body)))
		sess.Reset()
	}
}
