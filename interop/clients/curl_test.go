//go:build interop

package clients

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// curlMessage writes a message whose Subject and body carry tok to a file
// for curl's --upload-file (curl sends it as is; RFC 5322 with CRLF).
func curlMessage(t *testing.T, tok string) string {
	t.Helper()
	msg := strings.Join([]string{
		"From: <" + fromAddr + ">",
		"To: <" + toAddr + ">",
		"Subject: curl " + tok,
		"",
		"body " + tok,
		".a line starting with a dot (RFC 5321 section 4.5.2)",
		"",
	}, "\r\n")
	file := filepath.Join(t.TempDir(), "msg.eml")
	require.NoError(t, os.WriteFile(file, []byte(msg), 0o600))
	return file
}

// curl sends the message file to url (whose path is the EHLO name) with
// -v, so its output is the dialogue, and extra arguments.
func curl(t *testing.T, url, file string, extra ...string) string {
	t.Helper()
	args := append([]string{"-v", "-sS", "--max-time", "20", url + "/client.example.com",
		"--mail-from", fromAddr, "--mail-rcpt", toAddr, "--upload-file", file}, extra...)
	return runPeer(t, "", "curl", args...)
}

// checkDotLine checks that the dot-stuffed line curl sent (RFC 5321
// section 4.5.2) came out unstuffed.
func checkDotLine(t *testing.T, m stored) {
	t.Helper()
	require.Contains(t, string(m.Body), "\r\n.a line starting with a dot", "transparency")
	require.NotContains(t, string(m.Body), "..a line", "transparency")
}

// TestCurlStartTLS sends with smtp:// and --ssl-reqd, so curl must upgrade
// with STARTTLS (RFC 3207) and verify the certificate with --cacert.
func TestCurlStartTLS(t *testing.T) {
	record(t, "curl", "STARTTLS (--ssl-reqd)")
	s := serve(t, "--trace")
	tok := token(t)
	curl(t, "smtp://"+s.Addr, curlMessage(t, tok), "--ssl-reqd", "--cacert", s.CA)
	checkDotLine(t, deliveredOne(t, s, tok, fromAddr, "ESMTPS"))
}

// TestCurlImplicitTLS sends with smtps:// to serve --tls implicit (RFC
// 8314 section 3.3).
func TestCurlImplicitTLS(t *testing.T) {
	record(t, "curl", "implicit TLS (smtps://)")
	s := serve(t, "--trace", "--tls", "implicit")
	tok := token(t)
	curl(t, "smtps://"+s.Addr, curlMessage(t, tok), "--cacert", s.CA)
	checkDotLine(t, deliveredOne(t, s, tok, fromAddr, "ESMTPS"))
}

// curlAuth authenticates with --user over STARTTLS to a server that
// requires AUTH (RFC 4954), with mechanism mech: curl picks CRAM-MD5 from
// the EHLO list by itself, another one is asked for with --login-options.
func curlAuth(t *testing.T, mech string) {
	s := serve(t, "--trace", "--user", testUser+":"+testPass, "--require-auth")
	tok := token(t)
	args := []string{"--ssl-reqd", "--cacert", s.CA, "--user", testUser + ":" + testPass}
	if mech != "CRAM-MD5" {
		args = append(args, "--login-options", "AUTH="+mech)
	}
	out := curl(t, "smtp://"+s.Addr, curlMessage(t, tok), args...)
	require.Contains(t, out, "> AUTH "+mech, "curl used %s", mech)
	deliveredOne(t, s, tok, fromAddr, "ESMTPSA")
	require.Contains(t, s.Stdout(), "auth="+testUser)
}

// TestCurlStartTLSAuth authenticates with the mechanism curl prefers,
// CRAM-MD5 (RFC 2195), over STARTTLS.
func TestCurlStartTLSAuth(t *testing.T) {
	record(t, "curl", "STARTTLS AUTH CRAM-MD5")
	curlAuth(t, "CRAM-MD5")
}

// TestCurlStartTLSAuthPlain authenticates with PLAIN (RFC 4616), asked
// for with --login-options AUTH=PLAIN, over STARTTLS.
func TestCurlStartTLSAuthPlain(t *testing.T) {
	record(t, "curl", "STARTTLS AUTH PLAIN")
	curlAuth(t, "PLAIN")
}
