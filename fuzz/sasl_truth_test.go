package fuzz

import (
	"bytes"
	"context"
	"crypto/x509"
	"slices"
	"time"

	"github.com/smtpkit/smtpkit/auth"
)

// The ground truth of the SASL targets (sasl_test.go): the connection both
// ends see, and saslTruth, the one account whose verifiers record every
// identity they approve.

// saslIters is the SCRAM iteration count of the tests: few, to keep each
// exec short (RFC 7677 section 4 asks for 4096 in real use).
const saslIters = 16

// saslToken is the only bearer token the validator knows (an RFC 6750
// section 2.1 b64token).
const saslToken = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="

// saslCert stands for the client certificate of the connection; the
// mapper knows it by address.
var saslCert = &x509.Certificate{}

// saslCS is the connection both ends see: TLS with a client certificate
// and a tls-exporter channel binding (RFC 9266).
var saslCS = auth.ConnState{
	TLS: true, ServerName: "mx.example", Port: 587,
	PeerCertificates: []*x509.Certificate{saslCert},
	ChannelBindings:  []auth.ChannelBinding{{Type: auth.CBTLSExporter, Data: bytes.Repeat([]byte{7}, 32)}},
}

// saslRand is a deterministic source of nonces and challenges, so that
// exchanges and seeds repeat: octet i of its output is byte(i).
type saslRand struct{ n byte }

// Read fills p with the next octets of the count.
func (r *saslRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i], r.n = r.n, r.n+1
	}
	return len(p), nil
}

// saslOpts returns the options of every mechanism: a fresh saslRand and a
// fixed clock (CRAM-MD5 challenges carry the time, RFC 2195 section 2).
func saslOpts() []auth.Option {
	return []auth.Option{auth.WithRand(&saslRand{}), auth.WithClock(func() time.Time { return time.Unix(1e9, 0) })}
}

// saslTruth is every verifier at once for one account: user (prepared),
// pass (as given: CRAM-MD5 keys its HMAC with it unprepared, RFC 2195),
// and the authorization identities the user may take. It records each
// identity it approves; the server may establish no other.
type saslTruth struct {
	user, pass string
	authz      []string
	approved   []auth.Identity
}

// newTruth prepares the account, reporting false when the RFC 8265
// profiles refuse part of it (a correct client then need not succeed).
// An account whose name cannot be prepared has user "" and no verifier
// approves anyone.
func newTruth(user, pass, authzid string) (*saslTruth, bool) {
	pu, err1 := auth.PrepareUsername(user)
	_, err2 := auth.PreparePassword(pass)
	pz, err3 := auth.PrepareUsername(authzid)
	if authzid == "" {
		pz, err3 = "", nil
	}
	return &saslTruth{user: pu, pass: pass, authz: []string{"", pu, pz}}, err1 == nil && err2 == nil && err3 == nil
}

// approve records id and returns it.
func (v *saslTruth) approve(id auth.Identity) auth.Identity {
	v.approved = append(v.approved, id)
	return id
}

// authorize checks an authorization identity (RFC 4422 section 2).
func (v *saslTruth) authorize(authzid string) error {
	if !slices.Contains(v.authz, authzid) {
		return auth.ErrAuthzDenied
	}
	return nil
}

// CheckPassword is the PLAIN and LOGIN verifier.
func (v *saslTruth) CheckPassword(_ context.Context, authzid, username, password string) error {
	if pp, err := auth.PreparePassword(v.pass); err != nil || username != v.user || password != pp {
		return auth.ErrInvalidCredentials
	}
	if err := v.authorize(authzid); err != nil {
		return err
	}
	v.approve(auth.Identity{Username: username, Authzid: authzid})
	return nil
}

// Secret is the CRAM-MD5 store; the server checks the digest.
func (v *saslTruth) Secret(_ context.Context, username string) ([]byte, error) {
	if username != v.user {
		return nil, auth.ErrInvalidCredentials
	}
	v.approve(auth.Identity{Username: username})
	return []byte(v.pass), nil
}

// SCRAMCredentials is the SCRAM store (RFC 5802 section 3); the server
// checks the proof. The user may act as itself.
func (v *saslTruth) SCRAMCredentials(_ context.Context, h auth.SCRAMHash, username string) (auth.SCRAMCredentials, error) {
	if username != v.user {
		return auth.SCRAMCredentials{}, auth.ErrInvalidCredentials
	}
	v.approve(auth.Identity{Username: username})
	v.approve(auth.Identity{Username: username, Authzid: username})
	return auth.DeriveSCRAMCredentials(h, v.pass, []byte("salt of the fuzz account"), saslIters)
}

// AuthorizeSCRAM lets the SCRAM user act as another identity.
func (v *saslTruth) AuthorizeSCRAM(_ context.Context, username, authzid string) error {
	if err := v.authorize(authzid); err != nil || username != v.user {
		return auth.ErrAuthzDenied
	}
	v.approve(auth.Identity{Username: username, Authzid: authzid})
	return nil
}

// ValidateToken is the XOAUTH2 and OAUTHBEARER validator (RFC 7628).
func (v *saslTruth) ValidateToken(_ context.Context, req auth.TokenRequest) (auth.Identity, error) {
	if req.Token != saslToken || v.user == "" || (req.Mechanism == "XOAUTH2" && req.Username != v.user) {
		return auth.Identity{}, &auth.TokenError{Status: "invalid_token"}
	}
	if err := v.authorize(req.Authzid); err != nil {
		return auth.Identity{}, err
	}
	v.approve(auth.Identity{Username: v.user, Authzid: req.Authzid})
	return auth.Identity{Username: v.user}, nil
}

// MapCertificate is the EXTERNAL mapper (RFC 4422 appendix A).
func (v *saslTruth) MapCertificate(_ context.Context, chain []*x509.Certificate, authzid string) (auth.Identity, error) {
	if len(chain) != 1 || chain[0] != saslCert || v.user == "" {
		return auth.Identity{}, auth.ErrInvalidCredentials
	}
	if err := v.authorize(authzid); err != nil {
		return auth.Identity{}, err
	}
	return v.approve(auth.Identity{Username: v.user, Authzid: authzid}), nil
}

// registry registers every server mechanism over v.
func (v *saslTruth) registry() *auth.Registry {
	r := &auth.Registry{}
	for _, m := range []auth.ServerMechanism{
		auth.SCRAMServer(auth.SCRAMSHA256, true, v, saslOpts()...), auth.SCRAMServer(auth.SCRAMSHA256, false, v, saslOpts()...),
		auth.SCRAMServer(auth.SCRAMSHA1, true, v, saslOpts()...), auth.SCRAMServer(auth.SCRAMSHA1, false, v, saslOpts()...),
		auth.PlainServer(v), auth.LoginServer(v), auth.CRAMMD5Server(v, "mx.example", saslOpts()...),
		auth.XOAUTH2Server(v), auth.OAuthBearerServer(v), auth.ExternalServer(v),
		auth.AnonymousServer(func(_ context.Context, trace string) error {
			v.approve(auth.Identity{Trace: trace})
			return nil
		}),
	} {
		r.Register(m)
	}
	return r
}
