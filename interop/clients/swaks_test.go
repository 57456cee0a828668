//go:build interop

package clients

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Envelope addresses the cases send from and to.
const (
	fromAddr = "sender@example.com"
	toAddr   = "rcpt@example.org"
)

// swaks runs swaks against s with a message whose Subject and body carry
// tok, and extra arguments; it returns swaks's output, which is the whole
// dialogue ("<~" lines are the server's replies under TLS).
func swaks(t *testing.T, s *server, tok string, extra ...string) string {
	t.Helper()
	args := append([]string{"--server", s.Host, "--port", s.Port,
		"--from", fromAddr, "--to", toAddr, "--helo", "client.example.com",
		"--header", "Subject: swaks " + tok, "--body", "body " + tok + "\n",
		"--timeout", "10"}, extra...)
	return runPeer(t, "", "swaks", args...)
}

// swaksTLS are the arguments that make swaks verify serve's certificate
// against the test CA.
func swaksTLS(s *server) []string {
	return []string{"--tls-verify", "--tls-ca-path", s.CA}
}

// TestSwaksPlain sends one message in clear over ESMTP (RFC 5321) and
// finds it in the Maildir with its Subject, body and Return-Path.
func TestSwaksPlain(t *testing.T) {
	record(t, "swaks", "plain ESMTP")
	s := serve(t, "--trace", "--tls", "off")
	tok := token(t)
	swaks(t, s, tok)
	deliveredOne(t, s, tok, fromAddr, "ESMTP")
}

// TestSwaksStartTLS upgrades with STARTTLS (RFC 3207), swaks verifying the
// certificate against serve's test CA; the Received header says ESMTPS
// (RFC 3848).
func TestSwaksStartTLS(t *testing.T) {
	record(t, "swaks", "STARTTLS")
	s := serve(t, "--trace")
	tok := token(t)
	swaks(t, s, tok, append([]string{"--tls"}, swaksTLS(s)...)...)
	deliveredOne(t, s, tok, fromAddr, "ESMTPS")
}

// TestSwaksImplicitTLS connects with TLS from the first byte (RFC 8314
// section 3.3) to serve --tls implicit.
func TestSwaksImplicitTLS(t *testing.T) {
	record(t, "swaks", "implicit TLS")
	s := serve(t, "--trace", "--tls", "implicit")
	tok := token(t)
	swaks(t, s, tok, append([]string{"--tls-on-connect"}, swaksTLS(s)...)...)
	deliveredOne(t, s, tok, fromAddr, "ESMTPS")
}

// swaksAuth authenticates with mechanism mech (RFC 4954) over STARTTLS to a
// server that requires AUTH, and checks the Received header says ESMTPSA
// (RFC 3848) and serve logged the user.
func swaksAuth(t *testing.T, mech string) {
	s := serve(t, "--trace", "--user", testUser+":"+testPass, "--require-auth")
	tok := token(t)
	out := swaks(t, s, tok, append([]string{"--tls", "--auth", mech, "--auth-user", testUser,
		"--auth-password", testPass}, swaksTLS(s)...)...)
	require.Contains(t, out, "AUTH "+mech, "swaks used %s", mech)
	deliveredOne(t, s, tok, fromAddr, "ESMTPSA")
	require.Contains(t, s.Stdout(), "auth="+testUser)
}

// TestSwaksStartTLSAuthPlain authenticates with PLAIN (RFC 4616) over
// STARTTLS.
func TestSwaksStartTLSAuthPlain(t *testing.T) {
	record(t, "swaks", "STARTTLS AUTH PLAIN")
	swaksAuth(t, "PLAIN")
}

// TestSwaksStartTLSAuthLogin authenticates with LOGIN
// (draft-murchison-sasl-login) over STARTTLS.
func TestSwaksStartTLSAuthLogin(t *testing.T) {
	record(t, "swaks", "STARTTLS AUTH LOGIN")
	swaksAuth(t, "LOGIN")
}

// TestSwaksStartTLSAuthCramMD5 authenticates with CRAM-MD5 (RFC 2195) over
// STARTTLS.
func TestSwaksStartTLSAuthCramMD5(t *testing.T) {
	record(t, "swaks", "STARTTLS AUTH CRAM-MD5")
	swaksAuth(t, "CRAM-MD5")
}

// TestSwaksInsecureAuthPlain authenticates with PLAIN in clear against
// serve --tls off --insecure-auth (allowed only because the flag says so;
// RFC 4954 section 4 forbids it otherwise).
func TestSwaksInsecureAuthPlain(t *testing.T) {
	record(t, "swaks", "clear AUTH PLAIN (--insecure-auth)")
	s := serve(t, "--trace", "--tls", "off", "--insecure-auth", "--user", testUser+":"+testPass, "--require-auth")
	tok := token(t)
	swaks(t, s, tok, "--auth", "PLAIN", "--auth-user", testUser, "--auth-password", testPass)
	deliveredOne(t, s, tok, fromAddr, "ESMTPA")
}

// TestSwaksPipelining sends MAIL, RCPT and DATA in one batch (RFC 2920)
// after checking that EHLO offered PIPELINING.
func TestSwaksPipelining(t *testing.T) {
	record(t, "swaks", "PIPELINING")
	s := serve(t, "--trace", "--tls", "off")
	tok := token(t)
	out := swaks(t, s, tok, "--pipeline")
	require.Contains(t, out, "PIPELINING", "EHLO reply")
	deliveredOne(t, s, tok, fromAddr, "ESMTP")
}

// TestSwaksAttachment sends a multipart/mixed message (RFC 2046) with a
// binary attachment in base64 (RFC 2045) and compares the attachment's
// bytes after decoding with what was sent.
func TestSwaksAttachment(t *testing.T) {
	record(t, "swaks", "MIME attachment")
	s := serve(t, "--tls", "off")
	tok := token(t)
	data := make([]byte, 48*1024)
	_, err := rand.Read(data)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "blob.bin")
	require.NoError(t, os.WriteFile(file, data, 0o600))
	swaks(t, s, tok, "--attach-type", "application/octet-stream", "--attach", file)
	m := deliveredOne(t, s, tok, fromAddr, "ESMTP")

	mt, params, err := mime.ParseMediaType(m.Msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", mt)
	mr := multipart.NewReader(strings.NewReader(string(m.Body)), params["boundary"])
	var found bool
	for i := 0; i < 10; i++ { // swaks makes two parts: the body and the file
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "application/octet-stream") {
			continue
		}
		require.Equal(t, "base64", strings.ToLower(p.Header.Get("Content-Transfer-Encoding")))
		got, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		require.NoError(t, err)
		require.Equal(t, data, got, "attachment bytes after base64 decoding")
		found = true
	}
	require.True(t, found, "no application/octet-stream part in:\n%s", m.Raw)
}
