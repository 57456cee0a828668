package auth

import (
	"context"
	"crypto/x509"
)

// The verifiers below are what a server application implements. Each is
// called from Server.Start or Server.Next on the goroutine that drives the
// exchange; ctx is the one passed there. Return ErrInvalidCredentials (or
// an error wrapping it) for wrong or unknown credentials, ErrAuthzDenied
// for a refused authorization identity, and any other error for a failure
// of your own (reported to the client as temporary, 454).

// PasswordChecker verifies a user name and password: PLAIN (RFC 4616) and
// LOGIN. Username and password arrive prepared (PrepareUsername,
// PreparePassword); authzid is empty when the client asked for none.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, authzid, username, password string) error
}

// PasswordCheckerFunc adapts a function to PasswordChecker.
type PasswordCheckerFunc func(ctx context.Context, authzid, username, password string) error

// CheckPassword calls f.
func (f PasswordCheckerFunc) CheckPassword(ctx context.Context, authzid, username, password string) error {
	return f(ctx, authzid, username, password)
}

// SecretStore returns the shared secret of a user for CRAM-MD5 (RFC 2195),
// which needs the secret itself on the server. Prefer SCRAM where clients
// support it.
type SecretStore interface {
	Secret(ctx context.Context, username string) ([]byte, error)
}

// SecretStoreFunc adapts a function to SecretStore.
type SecretStoreFunc func(ctx context.Context, username string) ([]byte, error)

// Secret calls f.
func (f SecretStoreFunc) Secret(ctx context.Context, username string) ([]byte, error) {
	return f(ctx, username)
}

// TokenRequest is what a client presented to XOAUTH2 or OAUTHBEARER.
type TokenRequest struct {
	Mechanism string // "XOAUTH2" or "OAUTHBEARER"
	Username  string // XOAUTH2 user=
	Authzid   string // OAUTHBEARER gs2 a=
	Host      string // OAUTHBEARER host=, may be empty
	Port      int    // OAUTHBEARER port=, 0 when absent
	Token     string // the bearer token
}

// TokenValidator verifies an OAuth 2.0 bearer token (RFC 6750) and says who
// it belongs to. To refuse a token with the details RFC 7628 section 3.2.2
// sends back to the client, return a *TokenError.
type TokenValidator interface {
	ValidateToken(ctx context.Context, req TokenRequest) (Identity, error)
}

// TokenValidatorFunc adapts a function to TokenValidator.
type TokenValidatorFunc func(ctx context.Context, req TokenRequest) (Identity, error)

// ValidateToken calls f.
func (f TokenValidatorFunc) ValidateToken(ctx context.Context, req TokenRequest) (Identity, error) {
	return f(ctx, req)
}

// TokenError is a refused token with the OAuth error details the server
// sends in its error challenge (RFC 7628 section 3.2.2; Google's XOAUTH2
// uses the same JSON). It unwraps to ErrInvalidCredentials.
type TokenError struct {
	Status              string // "invalid_token", or an HTTP status such as "401"
	Scope               string // space-separated scopes that would be accepted
	Schemes             string // XOAUTH2 "schemes", e.g. "bearer"
	OpenIDConfiguration string // URL of the discovery document
}

func (e *TokenError) Error() string {
	s := "token refused"
	if e.Status != "" {
		s += ": status " + e.Status
	}
	return s
}

func (e *TokenError) Unwrap() error { return ErrInvalidCredentials }

// CertificateMapper maps a verified TLS client certificate chain (leaf
// first) to a user for EXTERNAL (RFC 4422 appendix A). authzid is the
// identity the client asked for, or empty to take the certificate's own.
type CertificateMapper interface {
	MapCertificate(ctx context.Context, chain []*x509.Certificate, authzid string) (Identity, error)
}

// CertificateMapperFunc adapts a function to CertificateMapper.
type CertificateMapperFunc func(ctx context.Context, chain []*x509.Certificate, authzid string) (Identity, error)

// MapCertificate calls f.
func (f CertificateMapperFunc) MapCertificate(ctx context.Context, chain []*x509.Certificate, authzid string) (Identity, error) {
	return f(ctx, chain, authzid)
}

// TokenSource supplies OAuth 2.0 access tokens to the client side of
// XOAUTH2 and OAUTHBEARER. Access tokens expire (often hourly), so the
// client asks for one at the start of every exchange; an implementation
// caches and refreshes. An oauth2.TokenSource adapts in one line:
//
//	auth.TokenSourceFunc(func(context.Context) (string, error) {
//		t, err := ts.Token()
//		if err != nil {
//			return "", err
//		}
//		return t.AccessToken, nil
//	})
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a TokenSource that always returns the same token: for
// tests and short-lived programs.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }
