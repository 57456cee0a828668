package tlsmode_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"testing"

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
