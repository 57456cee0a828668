package tlsmode_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestReceivedProtocol(t *testing.T) {
	tests := []struct {
		lmtp, esmtp, tls, auth, utf8 bool
		want                         string
	}{
		{false, false, false, false, false, "SMTP"},
		{false, false, true, true, true, "SMTP"}, // HELO has no extensions to name
		{false, true, false, false, false, "ESMTP"},
		{false, true, false, true, false, "ESMTPA"},
		{false, true, true, false, false, "ESMTPS"},
		{false, true, true, true, false, "ESMTPSA"},
		{true, false, false, false, false, "LMTP"},
		{true, true, false, true, false, "LMTPA"},
		{true, false, true, false, false, "LMTPS"},
		{true, false, true, true, false, "LMTPSA"},
		{false, true, false, false, true, "UTF8SMTP"},
		{false, true, false, true, true, "UTF8SMTPA"},
		{false, true, true, false, true, "UTF8SMTPS"},
		{false, true, true, true, true, "UTF8SMTPSA"},
		{true, false, false, false, true, "UTF8LMTP"},
		{true, false, false, true, true, "UTF8LMTPA"},
		{true, false, true, false, true, "UTF8LMTPS"},
		{true, false, true, true, true, "UTF8LMTPSA"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tlsmode.ReceivedProtocol(tt.lmtp, tt.esmtp, tt.tls, tt.auth, tt.utf8), "%+v", tt)
	}
}

func TestServerEndPoint(t *testing.T) {
	raw := []byte("not really DER, but hashed as is")
	s256 := sha256.Sum256(raw)
	s384 := sha512.Sum384(raw)
	s512 := sha512.Sum512(raw)
	tests := []struct {
		alg  x509.SignatureAlgorithm
		want []byte
	}{
		{x509.MD5WithRSA, s256[:]}, // RFC 5929 section 4.1: MD5 and SHA-1 become SHA-256
		{x509.SHA1WithRSA, s256[:]},
		{x509.ECDSAWithSHA1, s256[:]},
		{x509.SHA256WithRSA, s256[:]},
		{x509.ECDSAWithSHA256, s256[:]},
		{x509.SHA256WithRSAPSS, s256[:]},
		{x509.SHA384WithRSA, s384[:]},
		{x509.ECDSAWithSHA384, s384[:]},
		{x509.SHA512WithRSA, s512[:]},
		{x509.ECDSAWithSHA512, s512[:]},
		{x509.PureEd25519, nil}, // undefined: no single hash
		{x509.UnknownSignatureAlgorithm, nil},
	}
	for _, tt := range tests {
		got := tlsmode.ServerEndPoint(&x509.Certificate{Raw: raw, SignatureAlgorithm: tt.alg})
		assert.Equal(t, tt.want, got, tt.alg.String())
	}
	assert.Nil(t, tlsmode.ServerEndPoint(nil))
	assert.Nil(t, tlsmode.ServerEndPoint(&x509.Certificate{SignatureAlgorithm: x509.SHA256WithRSA}))
}

func TestFactsFromIncompleteHandshake(t *testing.T) {
	f := tlsmode.FactsFrom(tlsmode.SideClient, tls.ConnectionState{Version: tls.VersionTLS13}, nil)
	assert.Nil(t, f.ChannelBindings, "nothing is computed before the handshake completes")
	assert.Equal(t, tlsmode.SideClient, f.Side)
	assert.Equal(t, "TLS 1.3", f.VersionName())
}

func TestFactsAuthConn(t *testing.T) {
	leaf := &x509.Certificate{Raw: []byte{1}}
	cb := []auth.ChannelBinding{{Type: auth.CBTLSExporter, Data: []byte{1, 2}}}
	f := tlsmode.Facts{ServerName: "mx.test", PeerCertificates: []*x509.Certificate{leaf}, ChannelBindings: cb}

	cs := f.AuthConn(465)
	assert.True(t, cs.TLS)
	assert.Equal(t, "mx.test", cs.ServerName)
	assert.Equal(t, 465, cs.Port)
	assert.Empty(t, cs.PeerCertificates, "unverified certificates never reach EXTERNAL")
	got, ok := cs.Binding(auth.CBTLSExporter)
	require.True(t, ok)
	assert.Equal(t, []byte{1, 2}, got.Data)

	f.Verified = true
	cs = f.AuthConn(0)
	assert.Equal(t, []*x509.Certificate{leaf}, cs.PeerCertificates)
}

func TestFactsNames(t *testing.T) {
	f := tlsmode.Facts{Version: tls.VersionTLS12, CipherSuite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	assert.Equal(t, "TLS 1.2", f.VersionName())
	assert.Equal(t, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", f.CipherSuiteName())
	assert.Equal(t, "by mx.test with ESMTPS (tls TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)",
		string(append(f.AppendReceivedClause([]byte("by mx.test with ESMTPS (")), ')')))

	unknown := tlsmode.Facts{CipherSuite: 0xfefe}
	assert.Equal(t, "x", string(unknown.AppendReceivedClause([]byte("x"))), "no clause for an unnamed suite")
}

// pairHandshake runs ServerHandshake and ClientHandshake over loopback,
// then passes one byte so the client processes TLS 1.3 session tickets.
func pairHandshake(t *testing.T, srvCfg, cliCfg *tls.Config) (cli, srv tlsmode.Facts) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type result struct {
		f   tlsmode.Facts
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(dialogDeadline))
		tc, f, err := tlsmode.ServerHandshake(context.Background(), c, srvCfg)
		if err == nil {
			_, err = tc.Write([]byte{'k'})
		}
		ch <- result{f, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(dialogDeadline)))
	tc, cf, err := tlsmode.ClientHandshake(context.Background(), c, cliCfg)
	require.NoError(t, err)
	_, err = io.ReadFull(tc, make([]byte, 1))
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	return cf, r.f
}

func bindingTypes(cbs []auth.ChannelBinding) []string {
	var out []string
	for _, cb := range cbs {
		out = append(out, cb.Type)
	}
	return out
}

func bindingData(t *testing.T, cbs []auth.ChannelBinding, typ string) []byte {
	t.Helper()
	for _, cb := range cbs {
		if cb.Type == typ {
			return cb.Data
		}
	}
	t.Fatalf("no %s binding in %v", typ, bindingTypes(cbs))
	return nil
}

func TestChannelBindings(t *testing.T) {
	tests := []struct {
		name  string
		max   uint16
		types []string
	}{
		{"TLS1.2", tls.VersionTLS12, []string{auth.CBTLSExporter, auth.CBTLSUnique, auth.CBTLSServerEndPoint}},
		{"TLS1.3", tls.VersionTLS13, []string{auth.CBTLSExporter, auth.CBTLSServerEndPoint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKI(t, tt.max)
			p.cli.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			leaf := p.srv.Certificates[0].Leaf
			require.NotNil(t, leaf)

			c1, s1 := pairHandshake(t, p.srv, p.cli)
			assert.Equal(t, tt.max, c1.Version)
			assert.False(t, c1.DidResume)
			assert.Equal(t, tt.types, bindingTypes(c1.ChannelBindings), "preferred first")
			assert.Equal(t, c1.ChannelBindings, s1.ChannelBindings, "equal on both ends")
			assert.Len(t, bindingData(t, c1.ChannelBindings, auth.CBTLSExporter), 32)
			assert.Equal(t, tlsmode.ServerEndPoint(leaf), bindingData(t, c1.ChannelBindings, auth.CBTLSServerEndPoint))

			// A second session (resumed from a ticket) has its own bindings,
			// still equal on both ends; the server end point stays.
			c2, s2 := pairHandshake(t, p.srv, p.cli)
			assert.True(t, c2.DidResume, "session tickets survive ServerConfig's certificate capture")
			assert.True(t, s2.DidResume)
			assert.Equal(t, c2.ChannelBindings, s2.ChannelBindings)
			assert.NotEqual(t, bindingData(t, c1.ChannelBindings, auth.CBTLSExporter), bindingData(t, c2.ChannelBindings, auth.CBTLSExporter))
			if tt.max == tls.VersionTLS12 {
				assert.NotEqual(t, bindingData(t, c1.ChannelBindings, auth.CBTLSUnique), bindingData(t, c2.ChannelBindings, auth.CBTLSUnique))
			}
			assert.Equal(t, bindingData(t, c1.ChannelBindings, auth.CBTLSServerEndPoint), bindingData(t, c2.ChannelBindings, auth.CBTLSServerEndPoint))

			// A fresh session without resumption differs too.
			p.cli.ClientSessionCache = nil
			c3, s3 := pairHandshake(t, p.srv, p.cli)
			assert.False(t, c3.DidResume)
			assert.Equal(t, c3.ChannelBindings, s3.ChannelBindings)
			assert.NotEqual(t, bindingData(t, c1.ChannelBindings, auth.CBTLSExporter), bindingData(t, c3.ChannelBindings, auth.CBTLSExporter))
		})
	}
}

func TestClientCertificateForEXTERNAL(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	clientCert, err := ca.IssueClient("alice", "alice@example.test")
	require.NoError(t, err)
	base, err := ca.ServerConfig("mx.test")
	require.NoError(t, err)

	tests := []struct {
		name     string
		setup    func(*tls.Config)
		verified bool
	}{
		{"verified with ClientCAs", func(c *tls.Config) { c.ClientCAs = ca.Pool() }, true},
		{"requested, unverified", func(c *tls.Config) { c.ClientAuth = tls.RequestClientCert }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base.Clone()
			tt.setup(b)
			srv, err := tlsmode.ServerConfig(b, tlsmode.WithLogger(discardLogger()))
			require.NoError(t, err)
			ccfg := ca.ClientConfig("")
			ccfg.Certificates = []tls.Certificate{clientCert}
			cli, err := tlsmode.ClientConfig("mx.test", ccfg)
			require.NoError(t, err)
			_, sf := pairHandshake(t, srv, cli)
			require.Len(t, sf.PeerCertificates, 2)
			assert.Equal(t, tt.verified, sf.Verified)
			cs := sf.AuthConn(0)
			if tt.verified {
				require.NotEmpty(t, cs.PeerCertificates)
				assert.Equal(t, "alice", cs.PeerCertificates[0].Subject.CommonName)
			} else {
				assert.Empty(t, cs.PeerCertificates, "EXTERNAL never sees an unverified certificate")
			}
		})
	}
}
