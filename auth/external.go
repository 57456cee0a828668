package auth

import (
	"context"
	"crypto/x509"
	"unicode/utf8"
)

// nameExternal is the EXTERNAL mechanism's name (RFC 4422 appendix A).
const nameExternal = "EXTERNAL"

// ExternalClient returns the client side of EXTERNAL (RFC 4422 appendix
// A): the client authenticates outside SASL, in SMTP with its TLS client
// certificate, and sends only the authorization identity it asks for,
// authzid, as the initial response; an empty authzid ("AUTH EXTERNAL =",
// RFC 4954 section 4.1) asks for the identity the certificate maps to.
// authzid must be valid UTF-8 without NUL; NewClient reports a violation.
// Next answers an empty challenge with authzid, for a driver that sends no
// initial response. The result is safe for concurrent use.
func ExternalClient(authzid string) ClientMechanism {
	return &externalClientMech{authzid: authzid}
}

type externalClientMech struct{ authzid string }

func (m *externalClientMech) Name() string { return nameExternal }

func (m *externalClientMech) NewClient(ConnState) (Client, error) {
	if err := checkText(nameExternal, "authorization identity", m.authzid); err != nil {
		return nil, err
	}
	return &singleClient{seq: seq{mech: nameExternal}, msg: []byte(m.authzid)}, nil
}

// ExternalServer returns the server side of EXTERNAL (RFC 4422 appendix
// A) over mapper. It is offered only on a connection whose client
// presented a verified certificate (ConnState.PeerCertificates non-empty).
// The message, the requested authzid, may come as the initial response
// or after an empty challenge (RFC 4954 section 4); it must be valid UTF-8
// without NUL, and a non-empty one is prepared with PrepareUsername. The
// mapper decides who the certificate chain is and whether it may act as
// the authzid. The Identity is the mapper's, with Authzid set to the
// requested one if the mapper left it empty; a mapper that returns no
// user name refuses the exchange. The result is safe for concurrent use if
// mapper is.
func ExternalServer(mapper CertificateMapper) ServerMechanism {
	return &externalServerMech{mapper: mapper}
}

type externalServerMech struct{ mapper CertificateMapper }

func (m *externalServerMech) Name() string { return nameExternal }

// Available reports whether the client presented a certificate.
func (m *externalServerMech) Available(cs ConnState) bool {
	return len(cs.PeerCertificates) > 0
}

func (m *externalServerMech) NewServer(cs ConnState) (Server, error) {
	if m.mapper == nil {
		return nil, errorf(nameExternal, ErrUnsupported, "no CertificateMapper configured")
	}
	if len(cs.PeerCertificates) == 0 {
		return nil, errorf(nameExternal, ErrUnsupported, "no client certificate on this connection")
	}
	return newSingleServer(nameExternal, &externalVerifier{mapper: m.mapper, chain: cs.PeerCertificates}), nil
}

// externalVerifier holds the chain of one connection; it only reads it.
type externalVerifier struct {
	mapper CertificateMapper
	chain  []*x509.Certificate
}

func (v *externalVerifier) verifyMessage(ctx context.Context, msg []byte) (Identity, error) {
	// RFC 4422 appendix A.1: the client's message is the (possibly
	// empty) authorization identity, a UTF-8 string.
	if !utf8.Valid(msg) {
		return Identity{}, errorf(nameExternal, ErrMalformed, "authorization identity is not valid UTF-8 (RFC 4422 appendix A.1)")
	}
	var authzid string
	if len(msg) > 0 {
		var err error
		if authzid, err = PrepareUsername(string(msg)); err != nil {
			return Identity{}, withMechanism(nameExternal, err)
		}
	}
	id, err := v.mapper.MapCertificate(ctx, v.chain, authzid)
	if err != nil {
		return Identity{}, verifierError(nameExternal, err)
	}
	if id.Username == "" {
		return Identity{}, errorf(nameExternal, ErrInvalidCredentials, "certificate maps to no user")
	}
	if id.Authzid == "" {
		id.Authzid = authzid
	}
	return id, nil
}
