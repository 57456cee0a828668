//go:build reliability

// This file proves serve is not open to STARTTLS command injection
// (CVE-2011-0411; RFC 3207 section 4.2; SPEC 5.2): plaintext commands sent
// behind STARTTLS in the same write, or between the 220 and the TLS
// handshake, are never executed, neither in clear nor inside the TLS
// session; serve answers 421 4.7.0 and closes (tlsmode.BoundaryError).
// The honest STARTTLS path is run too, as the contrast that proves the
// test would see a command executed under TLS.
package hostile

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// tlsConfig trusts serve's test CA.
func tlsConfig(t *testing.T, s *servetest.Serve) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(s.CA)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem), "serve's CA file %s", s.CA)
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// TestSTARTTLSInjection sends commands behind STARTTLS in one write under
// both pipelining policies: serve must answer 421 4.7.0 instead of 220,
// close, and store nothing.
func TestSTARTTLSInjection(t *testing.T) {
	injections := []string{
		"MAIL FROM:<evil@x>\r\n",
		"NOOP\r\n",
		"MAIL FROM:<evil@x>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: injected\r\n\r\nevil\r\n.\r\n",
		"\r\n", // even an empty line is plaintext behind STARTTLS
	}
	cases := 0
	for _, pipelining := range []string{"strict", "allow"} {
		s := servetest.Start(t, bin, "--tls", "starttls", "--pipelining", pipelining)
		for _, inj := range injections {
			c := dial(t, s.Addr)
			c.greet()
			c.send("STARTTLS\r\n" + inj)
			r := c.expect("421", "4.7.0", "STARTTLS with "+trunc(inj)+" behind it")
			require.Contains(t, r.String(), "Plaintext after STARTTLS")
			require.Empty(t, c.drain(ioWait), "replies after 421 (the injected bytes ran)")
			c.Close()
			cases++
		}
		// Plaintext after the 220, before the ClientHello: serve must not
		// run it; the handshake fails and nothing is stored.
		c := dial(t, s.Addr)
		c.greet()
		c.send("STARTTLS\r\n")
		c.expect("220", "", "STARTTLS")
		c.send("MAIL FROM:<evil@x>\r\n")
		tc := tls.Client(c.nc, tlsConfig(t, s))
		_ = tc.SetDeadline(time.Now().Add(ioWait))
		require.Error(t, tc.Handshake(), "TLS handshake after plaintext injected behind the 220")
		c.Close()
		cases++

		// The contrast: an honest STARTTLS, then the same command under TLS
		// is executed (the checker sees commands that run).
		c = dial(t, s.Addr)
		c.greet()
		c.send("STARTTLS\r\n")
		c.expect("220", "", "STARTTLS")
		tc = tls.Client(c.nc, tlsConfig(t, s))
		_ = tc.SetDeadline(time.Now().Add(ioWait))
		require.NoError(t, tc.Handshake())
		tcn := &conn{t: t, nc: tc, r: bufio.NewReader(tc)}
		// RFC 3207 section 4.2: no new greeting; the first reply is EHLO's
		// and STARTTLS is no longer offered.
		tcn.send("EHLO client.example\r\n")
		r := tcn.expect("250", "", "EHLO under TLS")
		require.NotContains(t, r.String(), "STARTTLS")
		tcn.send("MAIL FROM:<ok@x>\r\n")
		tcn.expect("250", "", "MAIL under TLS")
		tcn.send("QUIT\r\n")
		tcn.expect("221", "", "QUIT")
		c.Close()
		newf, tmpf := s.Stored(t)
		require.Empty(t, newf, "messages stored")
		require.Empty(t, tmpf)
		require.Zero(t, s.Accepted())
	}
	t.Logf("RESULT starttls-injection: %d sessions with plaintext behind STARTTLS (one write, and after the 220) under pipelining strict/allow: all 421 4.7.0 or failed handshake and closed, 0 injected commands executed, 0 messages stored", cases)
}
