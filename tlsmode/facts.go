package tlsmode

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"

	// Register the hashes tls-server-end-point may need.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/smtpkit/smtpkit/auth"
)

// exporterLabel and exporterLength define the tls-exporter channel binding
// (RFC 9266 section 2): 32 octets exported with this label and no context.
const (
	exporterLabel  = "EXPORTER-Channel-Binding"
	exporterLength = 32
)

// Facts are what the layers above need to know about an established TLS
// session: the Received header, SASL EXTERNAL and SCRAM-PLUS, logs.
//
// A Facts value is built once per handshake and then only read; it is safe
// for concurrent reads. The slices belong to it and must not be modified.
type Facts struct {
	// Side is the end these facts were taken from.
	Side Side
	// Version and CipherSuite are crypto/tls constants (tls.VersionTLS13,
	// tls.TLS_AES_128_GCM_SHA256).
	Version     uint16
	CipherSuite uint16
	// ServerName is the SNI name the client sent (on both sides).
	ServerName string
	// PeerCertificates is the chain the peer sent, leaf first. On the
	// server side it may be empty, and it is unverified unless Verified.
	PeerCertificates []*x509.Certificate
	// Verified reports that PeerCertificates chained to a trusted root:
	// always on a client that verifies, and on a server only when the
	// client sent a certificate that ClientCAs verified.
	Verified bool
	// NegotiatedProtocol is the ALPN protocol, usually empty for SMTP.
	NegotiatedProtocol string
	// DidResume reports a resumed session.
	DidResume bool
	// ChannelBindings lists the channel bindings of this session, preferred
	// first (see FactsFrom). Both ends compute the same list.
	ChannelBindings []auth.ChannelBinding
}

// FactsFrom returns the facts of the session cs, seen from side.
//
// serverCert is the server's leaf certificate. The client side leaves it
// nil: the leaf is cs.PeerCertificates[0]. The server side passes the
// certificate it presented (ServerHandshake does), or nil to go without
// tls-server-end-point.
//
// Channel bindings, preferred first:
//
//   - tls-exporter (RFC 9266 section 2): exported keying material with the
//     label "EXPORTER-Channel-Binding", no context, 32 octets. For TLS 1.3
//     always; for TLS 1.2 only with the extended master secret (RFC 7627),
//     which RFC 9266 section 4.2 requires and which crypto/tls checks by
//     refusing to export without it (since Go 1.22; GODEBUG tlsunsafeekm=1
//     would lift that check and must not be set).
//   - tls-unique (RFC 5929 section 3): the first Finished message, TLS 1.2
//     only. crypto/tls omits it for resumed sessions without the extended
//     master secret; it is also left out here when the exporter shows that
//     the extended master secret was not negotiated, since without it the
//     value can be made equal on two connections (the triple handshake
//     attack, RFC 7627 section 1).
//   - tls-server-end-point (RFC 5929 section 4.1): a hash of the server's
//     leaf certificate (DER) with the hash of its signature algorithm, or
//     SHA-256 when that is MD5 or SHA-1. Left out for algorithms without a
//     single hash (Ed25519), for which RFC 5929 leaves it undefined.
//
// Nothing is computed before the handshake completes.
func FactsFrom(side Side, cs tls.ConnectionState, serverCert *x509.Certificate) Facts {
	f := Facts{
		Side:               side,
		Version:            cs.Version,
		CipherSuite:        cs.CipherSuite,
		ServerName:         cs.ServerName,
		PeerCertificates:   cs.PeerCertificates,
		Verified:           len(cs.VerifiedChains) > 0,
		NegotiatedProtocol: cs.NegotiatedProtocol,
		DidResume:          cs.DidResume,
	}
	if !cs.HandshakeComplete {
		return f
	}
	if side == SideClient && serverCert == nil && len(cs.PeerCertificates) > 0 {
		serverCert = cs.PeerCertificates[0]
	}
	f.ChannelBindings = channelBindings(&cs, serverCert)
	return f
}

// channelBindings computes the bindings of a completed handshake.
func channelBindings(cs *tls.ConnectionState, serverCert *x509.Certificate) []auth.ChannelBinding {
	cbs := make([]auth.ChannelBinding, 0, 3)
	ems := cs.Version >= tls.VersionTLS13
	if cs.Version >= tls.VersionTLS12 {
		// RFC 9266 section 4.2: with TLS 1.2 only under the extended master
		// secret; crypto/tls returns an error otherwise.
		if ekm, err := cs.ExportKeyingMaterial(exporterLabel, nil, exporterLength); err == nil {
			ems = true
			cbs = append(cbs, auth.ChannelBinding{Type: auth.CBTLSExporter, Data: ekm})
		}
	}
	// tls-unique (RFC 5929 section 3) is not defined for TLS 1.3 (RFC 9266
	// section 1), and is unsafe without the extended master secret.
	if cs.Version < tls.VersionTLS13 && ems && len(cs.TLSUnique) > 0 {
		cbs = append(cbs, auth.ChannelBinding{Type: auth.CBTLSUnique, Data: append([]byte(nil), cs.TLSUnique...)})
	}
	if d := ServerEndPoint(serverCert); d != nil {
		cbs = append(cbs, auth.ChannelBinding{Type: auth.CBTLSServerEndPoint, Data: d})
	}
	if len(cbs) == 0 {
		return nil
	}
	return cbs
}

// ServerEndPoint returns the tls-server-end-point channel binding data of
// a server certificate (RFC 5929 section 4.1): the hash of its DER encoding
// with the hash function of its signature algorithm, where MD5 and SHA-1
// are replaced by SHA-256. It returns nil for a nil certificate or a
// signature algorithm that uses no single hash (Ed25519), for which the
// binding is undefined.
func ServerEndPoint(cert *x509.Certificate) []byte {
	if cert == nil || len(cert.Raw) == 0 {
		return nil
	}
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	default:
		return nil
	}
	hh := h.New()
	hh.Write(cert.Raw)
	return hh.Sum(nil)
}

// VersionName returns the TLS version's name ("TLS 1.3").
func (f *Facts) VersionName() string { return tls.VersionName(f.Version) }

// CipherSuiteName returns the IANA name of the cipher suite
// ("TLS_AES_128_GCM_SHA256").
func (f *Facts) CipherSuiteName() string { return tls.CipherSuiteName(f.CipherSuite) }

// AuthConn returns the auth.ConnState for SASL on this session. port is the
// server port the client dialled (OAUTHBEARER's port=, RFC 7628 section
// 3.1), or 0; ServerName is the SNI name. PeerCertificates is the verified
// chain, or empty: EXTERNAL (RFC 4422 appendix A) never sees a certificate
// that was not verified.
func (f *Facts) AuthConn(port int) auth.ConnState {
	cs := auth.ConnState{
		TLS:             true,
		ServerName:      f.ServerName,
		Port:            port,
		ChannelBindings: f.ChannelBindings,
	}
	if f.Verified {
		cs.PeerCertificates = f.PeerCertificates
	}
	return cs
}

// AppendReceivedClause appends the Received header clause that records
// the cipher suite, "tls" followed by its IANA name (RFC 8314 section 4.3),
// e.g. "tls TLS_AES_128_GCM_SHA256". A cipher suite without a name appends
// nothing.
func (f *Facts) AppendReceivedClause(dst []byte) []byte {
	name := tls.CipherSuiteName(f.CipherSuite)
	if len(name) > 0 && name[0] == '0' { // "0x1234": unknown
		return dst
	}
	dst = append(dst, "tls "...)
	return append(dst, name...)
}

// receivedProtocols is indexed by utf8<<3 | lmtp<<2 | tls<<1 | auth: the
// "with" protocol types of RFC 3848 section 1 and RFC 6531 section 4.3.
var receivedProtocols = [16]string{
	0b0000: "ESMTP", 0b0001: "ESMTPA", 0b0010: "ESMTPS", 0b0011: "ESMTPSA",
	0b0100: "LMTP", 0b0101: "LMTPA", 0b0110: "LMTPS", 0b0111: "LMTPSA",
	0b1000: "UTF8SMTP", 0b1001: "UTF8SMTPA", 0b1010: "UTF8SMTPS", 0b1011: "UTF8SMTPSA",
	0b1100: "UTF8LMTP", 0b1101: "UTF8LMTPA", 0b1110: "UTF8LMTPS", 0b1111: "UTF8LMTPSA",
}

// ReceivedProtocol returns the "with" value of a Received header field
// (RFC 5321 section 4.4) for a session: lmtp for LHLO, esmtp for EHLO
// (false for HELO), tls when TLS was in force (STARTTLS or implicit),
// authenticated after a successful AUTH, utf8 when the message used
// SMTPUTF8.
//
// The values are those registered by RFC 3848 section 1 (ESMTPA, ESMTPS,
// ESMTPSA, LMTP, LMTPA, LMTPS, LMTPSA) and RFC 6531 section 4.3 (UTF8SMTP,
// UTF8SMTPA, UTF8SMTPS, UTF8SMTPSA and the UTF8LMTP forms), plus "SMTP" for
// HELO (RFC 5321). There is no registered name for TLS, AUTH or SMTPUTF8
// after HELO (none of those extensions exist without EHLO), so a HELO
// session is "SMTP" whatever the other flags say.
func ReceivedProtocol(lmtp, esmtp, tls, authenticated, utf8 bool) string {
	if !lmtp && !esmtp {
		return "SMTP"
	}
	i := 0
	if authenticated {
		i |= 0b0001
	}
	if tls {
		i |= 0b0010
	}
	if lmtp {
		i |= 0b0100
	}
	if utf8 {
		i |= 0b1000
	}
	return receivedProtocols[i]
}
