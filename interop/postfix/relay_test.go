//go:build interop

package postfix

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// relayWait bounds the wait for Postfix's queue to reach serve's Maildir.
const relayWait = 30 * time.Second

// postfixRelay starts a Postfix that relays every message by smtp(8), with
// STARTTLS required and verified against s's CA (smtp_tls_security_level
// encrypt), to s as its relayhost, and runs pickup(8) for sendmail(1).
func postfixRelay(t *testing.T, s *serve) *peers.PostfixServer {
	t.Helper()
	host, port, err := net.SplitHostPort(s.Addr)
	require.NoError(t, err)
	return peers.Postfix(t, peers.PostfixOptions{
		Main: map[string]string{
			"relayhost":               "[" + host + "]:" + port,
			"default_transport":       "smtp",
			"relay_transport":         "smtp",
			"smtp_tls_security_level": "encrypt",
			"smtp_tls_CAfile":         s.CAFile,
			"smtp_tls_loglevel":       "1",
			"smtputf8_enable":         "yes",
			"queue_run_delay":         "1s",
			"minimal_backoff_time":    "1s",
			"maximal_backoff_time":    "2s",
			"smtp_connect_timeout":    "10s",
		},
		Master: "smtp      unix  - - n -     - smtp\n" +
			"pickup    unix  n - n 60    1 pickup\n",
	})
}

// TestPostfixRelaysToServe submits a message with Postfix's sendmail(1)
// (pickup(8), cleanup(8), qmgr(8)) and checks that Postfix's smtp(8)
// relays it to "smtpkit serve" over verified STARTTLS and that it lands in
// serve's Maildir with its header fields and its body intact, byte for
// byte, after the Return-Path and Received fields added on the way.
func TestPostfixRelaysToServe(t *testing.T) {
	var pf *peers.PostfixServer
	record(t, "relayhost STARTTLS", func() string {
		if pf != nil {
			return pf.Version
		}
		return installedVersion()
	})
	sendmail := peers.Need(t, "sendmail")
	s := startServe(t)
	pf = postfixRelay(t, s)

	const from, to = "alice@postfix.test", "bob@example.net"
	msg := testMessage(from, to, "relay via sendmail")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sendmail, "-C", pf.ConfigDir, "-i", "-f", from, to)
	cmd.Stdin = strings.NewReader(msg)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "sendmail -C %s: %s", pf.ConfigDir, out)

	// Wait for the Maildir, asking Postfix to flush its queue now and then.
	newDir := filepath.Join(s.Maildir, "new")
	var files []os.DirEntry
	flushed := time.Now()
	arrived := waitFor(relayWait, func() bool {
		files, _ = os.ReadDir(newDir)
		if len(files) > 0 {
			return true
		}
		if time.Since(flushed) > 3*time.Second {
			flushed = time.Now()
			if out, err := peers.Run(t, 10*time.Second, "postqueue", "-c", pf.ConfigDir, "-f"); err != nil {
				t.Logf("postqueue -f: %v: %s", err, out)
			}
		}
		return false
	})
	if !arrived {
		q, _ := peers.Run(t, 10*time.Second, "postqueue", "-c", pf.ConfigDir, "-p")
		t.Fatalf("no message in %s within %v; Postfix's queue:\n%s", newDir, relayWait, q)
	}
	require.Len(t, files, 1)
	raw, err := os.ReadFile(filepath.Join(newDir, files[0].Name()))
	require.NoError(t, err)

	got := normalizeLF(string(raw))
	header, body := splitMessage(got)
	assert.Equal(t, testBody, body, "body as stored by serve (CRLF read as LF)")
	assert.Equal(t, bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r\n")), "every line of the stored message ends in CRLF")
	wantHeader, _ := splitMessage(msg)
	for line := range strings.Lines(wantHeader) {
		assert.Contains(t, header, line, "the header field the message was submitted with")
	}
	assert.Contains(t, header, "Return-Path: <"+from+">")
	assert.Contains(t, header, "by "+serveHostname, "serve's Received field")
	assert.Contains(t, header, "by "+peers.PostfixHostname, "Postfix's Received field")
	assert.Regexp(t, `(?m)^Received: .*\n?.*with ESMTPS`, header, "serve's Received field says the relay used TLS")

	// serve printed the message with its TLS version.
	require.True(t, waitFor(5*time.Second, func() bool { return strings.Contains(s.Stdout.String(), "msg=accepted") }))
	line := s.Stdout.String()
	assert.Contains(t, line, "from="+from)
	assert.Contains(t, line, "to="+to)
	assert.Regexp(t, `tls="TLS 1\.[23]"`, line, "serve's stdout line")

	// Postfix verified serve's certificate and logged the delivery.
	var log string
	waitFor(10*time.Second, func() bool {
		log = pf.Log()
		return strings.Contains(log, "status=sent")
	})
	assert.Regexp(t, `postfix/pickup\[\d+\]: [0-9A-F]+: uid=0 from=<`+from+`>`, log, "sendmail's message went through pickup(8)")
	trusted := regexp.MustCompile(`Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23][^\n]*`)
	if assert.Regexp(t, trusted, log) {
		t.Logf("Postfix: %s", trusted.FindString(log))
	}
	assert.Regexp(t, `to=<`+to+`>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 2\.0\.0`, log)
}
