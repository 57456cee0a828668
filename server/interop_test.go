package server

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/state"
)

// Real clients against the Server: swaks, curl and Python's smtplib, on
// 127.0.0.1 (internal/peers; bash .ci/run installs them). Sessions in
// clear also pass through a recording proxy and the Checker, which must
// find no violation on either side.

const peerTimeout = 30 * time.Second

// interopCert returns a certificate for localhost and 127.0.0.1 and the
// path of the PEM file of the CA that issued it, for the peers' CA option.
func interopCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	ca := testCA(t)
	cert, err := ca.IssueServer("localhost", "127.0.0.1")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, ca.CertPEM(), 0o600))
	return cert, path
}

// interopServer serves h with cert for STARTTLS (or implicit TLS when
// implicit), AUTH PLAIN, LOGIN and CRAM-MD5 (password "secret" for every
// user), and returns its address.
func interopServer(t *testing.T, h Handler, cert tls.Certificate, implicit bool, mutate func(*Server)) string {
	t.Helper()
	var reg auth.Registry
	check := auth.PasswordCheckerFunc(func(_ context.Context, _, _, pass string) error {
		if pass != "secret" {
			return auth.ErrInvalidCredentials
		}
		return nil
	})
	reg.Register(auth.PlainServer(check))
	reg.Register(auth.LoginServer(check))
	reg.Register(auth.CRAMMD5Server(auth.SecretStoreFunc(func(context.Context, string) ([]byte, error) {
		return []byte("secret"), nil
	}), "localhost"))
	srv := &Server{Handler: h, Hostname: "localhost", Auth: &reg, ErrorLog: quietLog(),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	if mutate != nil {
		mutate(srv)
	}
	if !implicit {
		return start(t, srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return l.Addr().String()
}

func TestInteropSwaks(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		record bool // in clear: checked by the Checker too
	}{
		{"plain", nil, true},
		{"pipelining", []string{"--pipeline"}, true},
		{"helo", []string{"--protocol", "SMTP"}, true},
		{"8bit-body", []string{"--body", "caf\u00e9 au lait"}, true},
		{"starttls", []string{"-tls"}, false},
		{"starttls-auth-plain", []string{"-tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret"}, false},
		{"starttls-auth-login", []string{"-tls", "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "secret"}, false},
		{"starttls-auth-cram-md5", []string{"-tls", "--auth", "CRAM-MD5", "--auth-user", "alice", "--auth-password", "secret"}, false},
		{"starttls-pipelining-auth", []string{"-tls", "--pipeline", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &recorder{}
			cert, _ := interopCert(t)
			addr := interopServer(t, h, cert, false, nil)
			var rec *peers.Recording
			if tt.record {
				rec = peers.Record(t, addr)
				addr = rec.Addr
			}
			args := append([]string{"--server", addr, "--from", "alice@example.com", "--to", "bob@example.org",
				"--timeout", "10"}, tt.args...)
			out, err := peers.Run(t, peerTimeout, "swaks", args...)
			require.NoError(t, err, "%s", out)
			msgs := h.messages()
			require.Len(t, msgs, 1, "%s", out)
			assert.Equal(t, "alice@example.com", msgs[0].From)
			assert.Equal(t, []string{"bob@example.org"}, msgs[0].To)
			assert.Contains(t, msgs[0].Body, "Subject: test")
			if strings.Contains(tt.name, "auth") {
				assert.Contains(t, string(out), "235 ")
			}
			if rec != nil {
				rec.Check(t, 1, state.CheckerConfig{})
			}
		})
	}
}

func TestInteropSwaksWrongPassword(t *testing.T) {
	h := &recorder{}
	cert, _ := interopCert(t)
	addr := interopServer(t, h, cert, false, nil)
	out, err := peers.Run(t, peerTimeout, "swaks", "--server", addr, "-tls", "--auth", "PLAIN",
		"--auth-user", "alice", "--auth-password", "wrong", "--timeout", "10", "--to", "bob@example.org")
	require.Error(t, err, "swaks reports the failed AUTH")
	assert.Contains(t, string(out), "535 ")
	assert.Empty(t, h.messages())
}

func TestInteropCurl(t *testing.T) {
	h, h2 := &recorder{}, &recorder{}
	cert, certPEM := interopCert(t)
	addr := interopServer(t, h, cert, false, nil)
	addr2 := interopServer(t, h2, cert, true, nil) // implicit TLS, RFC 8314
	rec := peers.Record(t, addr)
	body := "Subject: via curl\r\n\r\nhello\r\n.leading dot\r\n"
	send := func(url string, extra ...string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "msg.eml")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		args := append([]string{"-sS", "--max-time", "10", url, "--mail-from", "alice@example.com",
			"--mail-rcpt", "bob@example.org", "--mail-rcpt", "carol@example.org", "-T", path}, extra...)
		out, err := peers.Run(t, peerTimeout, "curl", args...)
		require.NoError(t, err, "%s", out)
	}
	send("smtp://" + rec.Addr)
	rec.Check(t, 1, state.CheckerConfig{})
	send("smtp://"+addr, "--ssl-reqd", "--cacert", certPEM, "--user", "alice:secret")
	send("smtps://"+addr2, "--cacert", certPEM, "--user", "alice:secret")

	msgs := append(h.messages(), h2.messages()...)
	require.Len(t, msgs, 3)
	for _, m := range msgs {
		assert.Equal(t, []string{"bob@example.org", "carol@example.org"}, m.To)
		assert.Equal(t, body, m.Body, "dot-stuffing undone")
	}
}

func TestInteropSmtplib(t *testing.T) {
	h := &recorder{}
	cert, certPEM := interopCert(t)
	addr := interopServer(t, h, cert, false, nil)
	rec := peers.Record(t, addr)
	host, p, _ := net.SplitHostPort(rec.Addr)
	_, realPort, _ := net.SplitHostPort(addr)
	script := `import smtplib, ssl, sys
host, port, real, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
msg = "Subject: smtplib\r\n\r\nhello\r\n.dot\r\n"
with smtplib.SMTP(host, port, timeout=10) as s:
    s.ehlo("client.example.com")
    s.sendmail("alice@example.com", ["bob@example.org"], msg)
    s.sendmail("alice@example.com", ["carol@example.org"], msg)
ctx = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP("127.0.0.1", real, timeout=10) as s:
    s.starttls(context=ctx)
    s.login("alice", "secret")
    s.sendmail("alice@example.com", ["dave@example.org"], msg)
with smtplib.SMTP("127.0.0.1", real, timeout=10) as s:
    s.ehlo()
    s.sendmail("j\u00f6rg@example.com", ["r\u00e9ception@example.org"], msg.encode(), mail_options=["SMTPUTF8"])
`
	out, err := peers.Run(t, peerTimeout, "python3", "-c", script, host, p, realPort, certPEM)
	require.NoError(t, err, "%s", out)
	rec.Check(t, 1, state.CheckerConfig{})
	msgs := h.messages()
	require.Len(t, msgs, 4)
	assert.Equal(t, []string{"dave@example.org"}, msgs[2].To)
	assert.Equal(t, "jörg@example.com", msgs[3].From)
	assert.Equal(t, []string{"réception@example.org"}, msgs[3].To)
}

func TestInteropSmtplibSSLAndLMTP(t *testing.T) {
	h, lh := &recorder{}, &recorder{}
	cert, certPEM := interopCert(t)
	addr := interopServer(t, h, cert, true, nil)
	_, p, _ := net.SplitHostPort(addr)
	laddr := interopServer(t, lh, cert, false, func(s *Server) { s.Protocol = state.ProtocolLMTP })
	lhost, lport, _ := net.SplitHostPort(laddr)
	script := `import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10) as s:
    s.login("alice", "secret")
    s.sendmail("alice@example.com", ["bob@example.org"], "Subject: ssl\r\n\r\nhi\r\n")
l = smtplib.LMTP(sys.argv[3], int(sys.argv[4]))
refused = l.sendmail("alice@example.com", ["bob@example.org", "carol@example.org"], "Subject: lmtp\r\n\r\nhi\r\n")
l.quit()
assert refused == {}, refused
`
	out, err := peers.Run(t, peerTimeout, "python3", "-c", script, p, certPEM, lhost, lport)
	require.NoError(t, err, "%s", out)
	require.Len(t, h.messages(), 1)
	require.Len(t, lh.messages(), 1)
	assert.Equal(t, []string{"bob@example.org", "carol@example.org"}, lh.messages()[0].To)
}
