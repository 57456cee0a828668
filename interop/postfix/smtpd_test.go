//go:build interop

package postfix

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// The SASL account the smtpd tests authenticate with.
const (
	saslUser = "alice"
	saslPass = "alice-secret"
)

// postfixSubmission starts a Postfix whose smtpd offers STARTTLS, AUTH for
// saslUser, SMTPUTF8, DSN and CHUNKING, and requires STARTTLS before mail
// and authentication before relaying; messages go to the discard
// transport. It writes Postfix's CA to a file and returns its path too.
func postfixSubmission(t *testing.T) (*peers.PostfixServer, string) {
	t.Helper()
	pf := peers.Postfix(t, peers.PostfixOptions{
		TLS:   "encrypt",
		Users: map[string]string{saslUser: saslPass},
		Main: map[string]string{
			"relay_domains":            "",
			"smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
			"smtputf8_enable":          "yes",
		},
	})
	for _, kw := range []string{"SMTPUTF8", "DSN", "CHUNKING", "8BITMIME"} {
		require.Contains(t, pf.TLSKeywords, kw, "Postfix's EHLO after STARTTLS")
	}
	ca := filepath.Join(t.TempDir(), "postfix-ca.pem")
	require.NoError(t, os.WriteFile(ca, pf.CA.CertPEM(), 0o644))
	return pf, ca
}

// waitDelivered waits up to 15 seconds for Postfix to log the delivery of
// queue ID qid to rcpt by the discard transport ("relay=none ...
// status=sent"), and returns the log.
func waitDelivered(t *testing.T, pf *peers.PostfixServer, qid, rcpt string) string {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(qid+": to=<"+rcpt+">") + `, relay=none, .*status=sent \(`)
	var log string
	if !waitFor(15*time.Second, func() bool {
		log = pf.Log()
		return re.MatchString(log)
	}) {
		t.Errorf("Postfix did not log %s within 15s", re)
	}
	return log
}

// TestSendCommandToPostfix runs "smtpkit send" against Postfix's smtpd
// with STARTTLS verified against Postfix's CA, AUTH and an SMTPUTF8
// recipient, and checks from its output, its --trace transcript and
// Postfix's log that STARTTLS, AUTH and BDAT were used and that Postfix
// queued and delivered the message.
func TestSendCommandToPostfix(t *testing.T) {
	var pf *peers.PostfixServer
	record(t, "smtpd STARTTLS AUTH (smtpkit send)", func() string {
		if pf != nil {
			return pf.Version
		}
		return installedVersion()
	})
	pf, ca := postfixSubmission(t)

	const from, to = "alice@smtpkit.test", "bøb@example.net"
	stdout, stderr, err := runSend(t, saslPass, []byte(testMessage(from, to, "smtpkit send to postfix")),
		"--server", pf.Addr, "--server-name", "localhost", "--tls", "starttls", "--ca", ca,
		"--user", saslUser, "--from", from, "--to", to, "--helo", "client.smtpkit.test",
		"--timeout", "60s", "--trace")
	if err != nil || t.Failed() {
		t.Logf("smtpkit send stdout:\n%s\nstderr (transcript):\n%s", stdout, stderr)
	}
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^ok +`+regexp.QuoteMeta(to)+` +250 `, stdout)
	assert.Contains(t, stdout, "TLS 1.")
	m := queuedAs.FindStringSubmatch(stdout)
	require.NotNil(t, m, "queue ID in %q", stdout)

	assert.Contains(t, stderr, "C: STARTTLS")
	assert.Regexp(t, `(?m)^C: AUTH SCRAM-SHA-256`, stderr, "the strongest mechanism both offer")
	assert.Regexp(t, `(?m)^S: 235 `, stderr)
	assert.Regexp(t, `(?m)^C: MAIL FROM:<`+from+`>.* SMTPUTF8`, stderr)
	assert.Regexp(t, `(?m)^C: BDAT \d+ LAST$`, stderr)
	assert.Regexp(t, `(?m)^S: 250 2\.0\.0 Ok: (\d+ bytes )?queued as `+m[1], stderr)
	assert.NotContains(t, stderr, "C: DATA")

	log := waitDelivered(t, pf, m[1], to)
	assert.Regexp(t, `TLS connection established from [^\n]*127\.0\.0\.1`, log)
	assert.Regexp(t, `client=[^,]*\[127\.0\.0\.1\], sasl_method=SCRAM-SHA-256, sasl_username=`+saslUser+`@`+regexp.QuoteMeta(peers.PostfixHostname), log)
}

// TestClientToPostfix sends with the client package to Postfix's smtpd:
// STARTTLS required and verified, AUTH, an SMTPUTF8 sender and recipient,
// DSN parameters (RET=HDRS, ENVID, NOTIFY=SUCCESS,FAILURE, ORCPT) and
// CHUNKING. It checks the replies (250 to every command, BDAT included,
// from the debug transcript) and Postfix's log: the delivery to both
// recipients and the success notification NOTIFY=SUCCESS asks for.
func TestClientToPostfix(t *testing.T) {
	var pf *peers.PostfixServer
	record(t, "smtpd STARTTLS AUTH DSN SMTPUTF8 CHUNKING (client)", func() string {
		if pf != nil {
			return pf.Version
		}
		return installedVersion()
	})
	pf, _ = postfixSubmission(t)

	var transcript syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("client transcript:\n%s", transcript.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, pf.Addr,
		client.WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyRequired),
		client.WithTLSConfig(pf.TLSConfig()),
		client.WithServerName("localhost"),
		client.WithHostname("client.smtpkit.test"),
		client.WithAuth(saslUser, saslPass),
		client.WithDebug(&transcript))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.True(t, c.IsAuthenticated())
	require.Equal(t, tlsmode.StatusSecured, c.TLSStatus())

	const from = "ålice@smtpkit.test"
	to := []string{"bob@example.net", "bøb@example.net"}
	env := client.Envelope{
		From: from,
		To:   to,
		Params: wire.MailParams{
			Ret:   wire.RetHdrs,
			EnvID: []byte("smtpkit-interop-1"),
		},
		PerRcpt: []wire.RcptParams{
			{Notify: wire.NotifySuccess | wire.NotifyFailure,
				ORCPT: wire.ORCPT{AddrType: []byte("rfc822"), Addr: []byte("bob@example.net")}},
			{Notify: wire.NotifySuccess | wire.NotifyFailure},
		},
	}
	msg := strings.ReplaceAll(testMessage(from, strings.Join(to, ", "), "client to postfix"), "\n", "\r\n")
	res, err := c.Send(ctx, env, strings.NewReader(msg))
	require.NoError(t, err)
	assert.EqualValues(t, 250, res.Reply.Code)
	require.Len(t, res.Recipients, 2)
	for _, r := range res.Recipients {
		assert.True(t, r.Delivered, r.Addr)
		assert.EqualValues(t, 250, r.Reply.Code, r.Addr)
	}
	m := queuedAs.FindStringSubmatch(res.Reply.Text)
	require.NotNil(t, m, "queue ID in %q", res.Reply.Text)
	require.NoError(t, c.Close())

	tr := transcript.String()
	assert.Regexp(t, `(?m)^C: MAIL FROM:<`+from+`>.* RET=HDRS`, tr)
	assert.Regexp(t, `(?m)^C: MAIL FROM:.* ENVID=smtpkit-interop-1`, tr)
	assert.Regexp(t, `(?m)^C: MAIL FROM:.* SMTPUTF8`, tr)
	assert.Regexp(t, `(?m)^C: RCPT TO:<bob@example\.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example\.net$`, tr)
	assert.Regexp(t, `(?m)^C: RCPT TO:<bøb@example\.net> NOTIFY=SUCCESS,FAILURE$`, tr)
	assert.Regexp(t, `(?m)^C: BDAT \d+ LAST$`, tr)
	assert.NotContains(t, tr, "C: DATA")
	assert.Regexp(t, `(?m)^S: 250 2\.1\.0 Ok$`, tr, "MAIL accepted")
	assert.Equal(t, 2, strings.Count(tr, "S: 250 2.1.5 Ok"), "both RCPTs accepted")
	assert.Regexp(t, `(?m)^S: 250 2\.0\.0 Ok: (\d+ bytes )?queued as `+m[1]+`$`, tr, "BDAT LAST accepted")

	waitDelivered(t, pf, m[1], to[0])
	log := waitDelivered(t, pf, m[1], to[1])
	assert.Regexp(t, regexp.QuoteMeta(m[1]+": from=<"+from+">")+`.*nrcpt=2`, log)
	// The bounce daemon logs the success notification after the deliveries:
	// wait for it rather than read the log once.
	dsn := regexp.MustCompile(regexp.QuoteMeta(m[1] + ": sender delivery status notification: "))
	if !waitFor(15*time.Second, func() bool { return dsn.MatchString(pf.Log()) }) {
		t.Errorf("NOTIFY=SUCCESS: Postfix did not log %s within 15s", dsn)
	}
}
