//go:build interop

package clients

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// smtplibScript is the Python program the smtplib cases run: argv is
// mode, host, port, CA file, token, user, password. Every mode turns on
// set_debuglevel(1), so its output (stderr) is the dialogue.
const smtplibScript = `import smtplib, ssl, sys
from email.message import EmailMessage
from email import policy

mode, host, port, cafile, tok, user, password = sys.argv[1:8]
port = int(port)
def tls():
    return ssl.create_default_context(cafile=cafile)

def message(frm, to):
    m = EmailMessage(policy=policy.SMTP)
    m["From"] = frm
    m["To"] = to
    m["Subject"] = "smtplib " + tok
    m.set_content("body " + tok + "\n")
    return m

if mode == "starttls":
    with smtplib.SMTP(host, port, local_hostname="client.example.com", timeout=10) as s:
        s.set_debuglevel(1)
        s.ehlo()
        s.starttls(context=tls())
        s.ehlo()
        s.login(user, password)
        s.send_message(message("sender@example.com", "rcpt@example.org"))
elif mode == "ssl":
    with smtplib.SMTP_SSL(host, port, local_hostname="client.example.com", timeout=10, context=tls()) as s:
        s.set_debuglevel(1)
        s.send_message(message("sender@example.com", "rcpt@example.org"))
elif mode == "lmtp":
    s = smtplib.LMTP(host, port, local_hostname="client.example.com", timeout=10)
    s.set_debuglevel(1)
    refused = s.send_message(message("sender@example.com", "rcpt@example.org"))
    assert refused == {}, refused
    s.quit()
elif mode == "lmtp2":
    # smtplib's sendmail reads one reply after the data; RFC 2033 section
    # 4.2 has one per accepted recipient, so read the second one here.
    s = smtplib.LMTP(host, port, local_hostname="client.example.com", timeout=10)
    s.set_debuglevel(1)
    s.ehlo()
    assert s.mail("sender@example.com")[0] == 250
    assert s.rcpt("rcpt@example.org")[0] == 250
    assert s.rcpt("other@example.org")[0] == 250
    first = s.data(message("sender@example.com", "rcpt@example.org").as_bytes())
    second = s.getreply()
    assert first[0] == 250 and second[0] == 250, (first, second)
    s.quit()
elif mode == "smtputf8":
    with smtplib.SMTP(host, port, local_hostname="client.example.com", timeout=10) as s:
        s.set_debuglevel(1)
        s.ehlo()
        assert s.has_extn("smtputf8"), "no SMTPUTF8 in EHLO"
        m = message("jörg@example.com", "zoë@example.org")
        s.send_message(m, from_addr="jörg@example.com", to_addrs=["zoë@example.org"])  # smtplib adds SMTPUTF8 itself: the addresses are not ASCII
else:
    sys.exit("unknown mode " + mode)
`

// smtplib runs smtplibScript in mode against s with tok.
func smtplib(t *testing.T, s *server, mode, tok string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "send.py")
	require.NoError(t, os.WriteFile(script, []byte(smtplibScript), 0o600))
	return runPeer(t, "", "python3", script, mode, s.Host, s.Port, s.CA, tok, testUser, testPass)
}

// TestSmtplibStartTLSLogin upgrades with starttls() (RFC 3207), verifying
// the certificate against the test CA, and authenticates with login()
// (RFC 4954; smtplib picks CRAM-MD5, PLAIN or LOGIN).
func TestSmtplibStartTLSLogin(t *testing.T) {
	record(t, "python3", "smtplib STARTTLS login()")
	s := serve(t, "--trace", "--user", testUser+":"+testPass, "--require-auth")
	tok := token(t)
	smtplib(t, s, "starttls", tok)
	deliveredOne(t, s, tok, fromAddr, "ESMTPSA")
	require.Contains(t, s.Stdout(), "auth="+testUser)
}

// TestSmtplibSSL sends with SMTP_SSL to serve --tls implicit (RFC 8314).
func TestSmtplibSSL(t *testing.T) {
	record(t, "python3", "smtplib SMTP_SSL (implicit TLS)")
	s := serve(t, "--trace", "--tls", "implicit")
	tok := token(t)
	smtplib(t, s, "ssl", tok)
	deliveredOne(t, s, tok, fromAddr, "ESMTPS")
}

// TestSmtplibLMTP sends with smtplib.LMTP (LHLO, RFC 2033) to serve
// --lmtp. One recipient: smtplib's sendmail reads one reply after the
// data, not one per recipient as RFC 2033 section 4.2 has the server send.
func TestSmtplibLMTP(t *testing.T) {
	record(t, "python3", "smtplib LMTP")
	s := serve(t, "--trace", "--lmtp", "--tls", "off")
	tok := token(t)
	out := smtplib(t, s, "lmtp", tok)
	require.Contains(t, out, "lhlo", "smtplib spoke LMTP")
	deliveredOne(t, s, tok, fromAddr, "LMTP")
}

// TestSmtplibLMTPTwoRecipients gives one LMTP transaction two recipients
// and reads, with smtplib's low-level calls, the two replies to the data
// (one per recipient, RFC 2033 section 4.2). Both recipients share one
// stored message in this Maildir.
func TestSmtplibLMTPTwoRecipients(t *testing.T) {
	record(t, "python3", "smtplib LMTP, two recipients")
	s := serve(t, "--trace", "--lmtp", "--tls", "off")
	tok := token(t)
	smtplib(t, s, "lmtp2", tok)
	deliveredOne(t, s, tok, fromAddr, "LMTP")
	require.Contains(t, s.Stdout(), "to="+toAddr+",other@example.org")
}

// TestSmtplibSMTPUTF8 sends from and to UTF-8 local parts with MAIL FROM
// ... SMTPUTF8 (RFC 6531) and checks that the envelope sender arrives
// intact in the Return-Path and the Received protocol is UTF8SMTP.
func TestSmtplibSMTPUTF8(t *testing.T) {
	record(t, "python3", "smtplib SMTPUTF8")
	s := serve(t, "--trace", "--tls", "off")
	tok := token(t)
	out := smtplib(t, s, "smtputf8", tok)
	require.Regexp(t, `mail FROM:<jörg@example.com>.* SMTPUTF8`, out, "MAIL FROM with SMTPUTF8")
	m := deliveredOne(t, s, tok, "jörg@example.com", "UTF8SMTP")
	require.Contains(t, string(m.Raw), "zoë@example.org", "UTF-8 recipient in the header")
	require.Contains(t, s.Stdout(), "jörg@example.com")
}
