package tlsmode_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// certResult is what one side of certHandshake saw.
type certResult struct {
	state tls.ConnectionState
	err   error
}

// certHandshake runs a real crypto/tls handshake over 127.0.0.1 loopback
// between a server with srvCfg and a client with cliCfg, then has the
// server send one byte the client reads, so that TLS 1.3 client-certificate
// failures (reported after the client's Handshake returns) surface on the
// client too. Loopback rather than net.Pipe: the kernel buffers TLS 1.3
// session tickets the client is not reading yet.
func certHandshake(t *testing.T, srvCfg, cliCfg *tls.Config) (srv, cli certResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	deadline := time.Now().Add(10 * time.Second)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			srv.err = err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(deadline)
		tc := tls.Server(c, srvCfg)
		if srv.err = tc.Handshake(); srv.err != nil {
			return
		}
		srv.state = tc.ConnectionState()
		_, srv.err = tc.Write([]byte{'k'})
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(deadline)
	tc := tls.Client(c, cliCfg)
	if cli.err = tc.Handshake(); cli.err == nil {
		cli.state = tc.ConnectionState()
		var b [1]byte
		_, cli.err = tc.Read(b[:])
	}
	_ = c.Close()
	wg.Wait()
	return srv, cli
}

func TestTestCAServerHandshake(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	srvCfg, err := ca.ServerConfig("mail.example.test", "*.mx.example.test", "127.0.0.1", "::1")
	require.NoError(t, err)

	tests := []struct {
		name       string
		serverName string
		version    uint16
		wantErr    string // substring of the client's error; "" for success
	}{
		{"dns name", "mail.example.test", 0, ""},
		{"wildcard", "a.mx.example.test", 0, ""},
		{"ipv4 literal", "127.0.0.1", 0, ""},
		{"ipv6 literal", "::1", 0, ""},
		{"tls 1.2 only", "mail.example.test", tls.VersionTLS12, ""},
		{"wrong host", "other.example.test", 0, "other.example.test"},
		{"wildcard is one label", "a.b.mx.example.test", 0, "a.b.mx.example.test"},
		{"wrong ip", "127.0.0.2", 0, "127.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cliCfg := ca.ClientConfig(tt.serverName)
			if tt.version != 0 {
				cliCfg.MaxVersion = tt.version
			}
			srv, cli := certHandshake(t, srvCfg, cliCfg)
			if tt.wantErr != "" {
				require.Error(t, cli.err)
				var hostErr x509.HostnameError
				require.ErrorAs(t, cli.err, &hostErr)
				assert.Contains(t, cli.err.Error(), tt.wantErr, "the verification error names the host")
				assert.Error(t, srv.err, "the server sees the client's alert")
				return
			}
			require.NoError(t, cli.err)
			require.NoError(t, srv.err)
			assert.True(t, cli.state.HandshakeComplete)
			if tt.version != 0 {
				assert.Equal(t, tt.version, cli.state.Version)
			} else {
				assert.Equal(t, uint16(tls.VersionTLS13), cli.state.Version)
			}
			require.NotEmpty(t, cli.state.VerifiedChains)
			chain := cli.state.VerifiedChains[0]
			assert.True(t, chain[len(chain)-1].Equal(ca.Certificate()), "the chain ends at the test CA")
		})
	}
}

func TestTestCAUntrusted(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	other, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	srvCfg, err := ca.ServerConfig("mail.example.test")
	require.NoError(t, err)

	_, cli := certHandshake(t, srvCfg, other.ClientConfig("mail.example.test"))
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, cli.err, &unknown, "a second CA does not vouch for the first one's leaves")
}

func TestTestCAClientCertificate(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	other, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	good, err := ca.IssueClient("alice", "alice@example.test")
	require.NoError(t, err)
	foreign, err := other.IssueClient("mallory", "mallory@example.test")
	require.NoError(t, err)
	serverLeaf, err := ca.IssueServer("relay.example.test")
	require.NoError(t, err)

	tests := []struct {
		name    string
		cert    *tls.Certificate
		version uint16
		wantOK  bool
	}{
		{"issued by the CA", &good, 0, true},
		{"issued by the CA, tls 1.2", &good, tls.VersionTLS12, true},
		{"issued by another CA", &foreign, 0, false},
		{"no certificate", nil, 0, false},
		{"server certificate used as client", &serverLeaf, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srvCfg, err := ca.ServerConfig("mail.example.test")
			require.NoError(t, err)
			srvCfg.ClientAuth = tls.RequireAndVerifyClientCert
			srvCfg.ClientCAs = ca.Pool()
			cliCfg := ca.ClientConfig("mail.example.test")
			cliCfg.MaxVersion = tt.version
			if tt.cert != nil {
				cliCfg.Certificates = []tls.Certificate{*tt.cert}
			}
			srv, cli := certHandshake(t, srvCfg, cliCfg)
			if !tt.wantOK {
				assert.Error(t, srv.err)
				assert.Error(t, cli.err, "the client learns of the rejection")
				return
			}
			require.NoError(t, srv.err)
			require.NoError(t, cli.err)
			require.NotEmpty(t, srv.state.PeerCertificates)
			peer := srv.state.PeerCertificates[0]
			assert.Equal(t, "alice", peer.Subject.CommonName)
			assert.Equal(t, []string{"alice@example.test"}, peer.EmailAddresses)
			require.NotEmpty(t, srv.state.VerifiedChains)
		})
	}
}

func TestTestCAIssueFields(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ca, err := tlsmode.NewTestCA(tlsmode.WithTestCAClock(func() time.Time { return now }))
	require.NoError(t, err)

	root := ca.Certificate()
	assert.True(t, root.IsCA)
	assert.Equal(t, now.Add(-time.Hour), root.NotBefore)
	assert.Equal(t, now.Add(tlsmode.TestCAValidity), root.NotAfter)
	require.NoError(t, root.CheckSignatureFrom(root), "the root is self-signed")

	srv, err := ca.IssueServer("mail.example.test", "192.0.2.1")
	require.NoError(t, err)
	require.NotNil(t, srv.Leaf)
	assert.Equal(t, []string{"mail.example.test"}, srv.Leaf.DNSNames)
	require.Len(t, srv.Leaf.IPAddresses, 1)
	assert.Equal(t, "192.0.2.1", srv.Leaf.IPAddresses[0].String())
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, srv.Leaf.ExtKeyUsage)
	assert.False(t, srv.Leaf.IsCA)
	require.NoError(t, srv.Leaf.CheckSignatureFrom(root))
	assert.Len(t, srv.Certificate, 2, "leaf then root")

	cli, err := ca.IssueClient("bob", "bob@example.test", "b@example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"bob@example.test", "b@example.test"}, cli.Leaf.EmailAddresses)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cli.Leaf.ExtKeyUsage)

	opts := x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	_, err = cli.Leaf.Verify(opts)
	require.NoError(t, err)
	opts.CurrentTime = now.Add(tlsmode.TestCAValidity + time.Minute)
	_, err = cli.Leaf.Verify(opts)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, err, &invalid, "leaves expire with the root")
	assert.Equal(t, x509.Expired, invalid.Reason)
}

func TestTestCASerialsDiffer(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	const n = 16
	serials := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := ca.IssueServer("mail.example.test")
			if assert.NoError(t, err) {
				serials <- c.Leaf.SerialNumber.String()
			}
		})
	}
	wg.Wait()
	close(serials)
	seen := map[string]bool{}
	for s := range serials {
		assert.False(t, seen[s], "serial %s issued twice", s)
		seen[s] = true
	}
	assert.Len(t, seen, n)
}

func TestTestCAValidityAndClock(t *testing.T) {
	start := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
	now := start
	ca, err := tlsmode.NewTestCA(tlsmode.WithTestCAClock(func() time.Time { return now }),
		tlsmode.WithTestCAValidity(48*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, start.Add(48*time.Hour), ca.Certificate().NotAfter)

	now = start.Add(24 * time.Hour)
	c, err := ca.IssueServer("mail.example.test")
	require.NoError(t, err)
	assert.Equal(t, now.Add(-time.Hour), c.Leaf.NotBefore)
	assert.Equal(t, start.Add(48*time.Hour), c.Leaf.NotAfter, "a leaf never outlives the root")

	now = start.Add(49 * time.Hour)
	_, err = ca.IssueServer("mail.example.test")
	require.Error(t, err, "an expired root issues nothing")
	assert.Contains(t, err.Error(), "not valid")
}

func TestTestCAIssueErrors(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	for _, hosts := range [][]string{nil, {""}, {"*."}, {"mail example.test"}, {"mail.example.test\r\nX"}, {"a/b"}} {
		_, err := ca.IssueServer(hosts...)
		assert.Error(t, err, "hosts %q", hosts)
	}
	_, err = ca.ServerConfig()
	assert.Error(t, err)
	for _, tc := range []struct {
		cn     string
		emails []string
	}{
		{"", nil},
		{"x", []string{"no-at-sign"}},
		{"x", []string{"@example.test"}},
		{"x", []string{"user@"}},
		{"x", []string{"a b@example.test"}},
	} {
		_, err := ca.IssueClient(tc.cn, tc.emails...)
		assert.Error(t, err, "%q %q", tc.cn, tc.emails)
	}
}

func TestTestCAPoolAndPEM(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)

	p1 := ca.Pool()
	other, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	p1.AddCert(other.Certificate())
	c, err := other.IssueServer("x.example.test")
	require.NoError(t, err)
	_, err = c.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "x.example.test"})
	assert.Error(t, err, "changing one returned pool leaves the next one alone")

	pemBytes := ca.CertPEM()
	block, rest := pem.Decode(pemBytes)
	require.NotNil(t, block)
	assert.Empty(t, rest)
	assert.Equal(t, "CERTIFICATE", block.Type)
	assert.Equal(t, ca.Certificate().Raw, block.Bytes)
	pemBytes[0] = 'X'
	assert.NotEqual(t, pemBytes, ca.CertPEM(), "CertPEM returns a copy")
}

func TestWritePEM(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cert, err := ca.IssueServer("mail.example.test")
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, tlsmode.WritePEM(cert, certFile, keyFile))

	loaded, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	assert.Equal(t, cert.Certificate, loaded.Certificate)
	leaf, err := x509.ParseCertificate(loaded.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, cert.Leaf.SerialNumber, leaf.SerialNumber)

	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the key is private")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary file left behind")

	// The loaded pair serves a real handshake.
	srvCfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{loaded}}
	srv, cli := certHandshake(t, srvCfg, ca.ClientConfig("mail.example.test"))
	require.NoError(t, srv.err)
	require.NoError(t, cli.err)

	err = tlsmode.WritePEM(tls.Certificate{}, certFile, keyFile)
	assert.Error(t, err)
	err = tlsmode.WritePEM(cert, filepath.Join(dir, "missing", "c.pem"), filepath.Join(dir, "missing", "k.pem"))
	var pathErr *os.PathError
	assert.True(t, errors.As(err, &pathErr), "a missing directory is reported: %v", err)
}

func TestEncodePEMKeyNotInError(t *testing.T) {
	_, _, err := tlsmode.EncodePEM(tls.Certificate{Certificate: [][]byte{{1}}, PrivateKey: struct{ secret string }{"hunter2"}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}
