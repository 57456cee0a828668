package tlsmode

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
)

// MinVersion is the lowest TLS version ClientConfig and ServerConfig
// allow by default: TLS 1.2. RFC 8996 deprecates TLS 1.0 and 1.1, RFC 9325
// section 3.1.1 requires TLS 1.2 support.
const MinVersion = tls.VersionTLS12

// Option adjusts ClientConfig and ServerConfig.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	allowVersion uint16
}

// WithLogger sets the logger for the warnings ClientConfig and ServerConfig
// emit (certificate verification disabled, a TLS version below 1.2, client
// certificates requested without verification). By default they go to
// slog.Default(). Each warning is logged once, when the config is built.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// AllowLegacyVersion lets base.MinVersion go down to v (tls.VersionTLS10 or
// tls.VersionTLS11), for talking to old peers. RFC 8996 forbids it; the
// config logs a warning. Without this option a MinVersion below TLS 1.2 is
// an error.
func AllowLegacyVersion(v uint16) Option {
	return func(o *options) { o.allowVersion = v }
}

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	return o
}

// Configuration errors from ClientConfig and ServerConfig.
var (
	// ErrNoServerName: the client config has no server name to verify the
	// certificate against (RFC 7817 section 3).
	ErrNoServerName = errors.New("tlsmode: client TLS config needs the server's host name to verify its certificate")
	// ErrNoCertificate: the server config has no certificate source.
	ErrNoCertificate = errors.New("tlsmode: server TLS config has no certificate: set Certificates, GetCertificate or GetConfigForClient (NewTestCA makes one for tests)")
	// ErrVersion: MinVersion below TLS 1.2 without AllowLegacyVersion, or
	// MaxVersion below MinVersion.
	ErrVersion = errors.New("tlsmode: TLS version out of range")
)

// ClientConfig returns a copy of base (nil for defaults) made safe for an
// SMTP client talking to serverName:
//
//   - ServerName is set, so the certificate is verified against the host the
//     client meant (RFC 7817 section 3) and SNI is
//     sent. serverName may be a DNS name or an IP literal (with or without
//     brackets); it must not carry a port. If serverName is empty,
//     base.ServerName is used; if both are set they must agree.
//   - MinVersion is at least TLS 1.2 (RFC 8996); a lower base.MinVersion is
//     an error unless AllowLegacyVersion allows it, and then it is logged.
//   - InsecureSkipVerify is never turned on. If base has it, it is kept
//     (the caller asked) and a warning is logged once, since certificate
//     validation should never be disabled: for a private CA, put the CA in
//     RootCAs instead.
//
// Cipher suites and curves are left to crypto/tls, whose defaults follow
// RFC 9325. base is not modified. The result is safe for concurrent use
// once returned, as any tls.Config.
func ClientConfig(serverName string, base *tls.Config, opts ...Option) (*tls.Config, error) {
	o := buildOptions(opts)
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	name, err := clientServerName(serverName, cfg.ServerName)
	if err != nil {
		return nil, err
	}
	cfg.ServerName = name
	if err := checkVersions(cfg, o, "client"); err != nil {
		return nil, err
	}
	if cfg.InsecureSkipVerify {
		o.logger.Warn("tlsmode: TLS certificate verification is disabled (InsecureSkipVerify); the connection is open to interception",
			slog.String("server_name", name),
			slog.Bool("custom_verify", cfg.VerifyConnection != nil || cfg.VerifyPeerCertificate != nil))
	}
	return cfg, nil
}

// clientServerName picks and checks the name to verify.
func clientServerName(arg, base string) (string, error) {
	name := strings.TrimSpace(arg)
	if name == "" {
		name = base
	} else if base != "" && !strings.EqualFold(strings.Trim(name, "[]"), base) {
		return "", errors.New("tlsmode: server name " + quote(arg) + " differs from base ServerName " + quote(base) + "; set one of them")
	}
	if name == "" {
		return "", ErrNoServerName
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		// An address literal as written in SMTP ([192.0.2.1]) or a URL.
		name = name[1 : len(name)-1]
		if net.ParseIP(strings.TrimPrefix(name, "IPv6:")) == nil {
			return "", errors.New("tlsmode: server name " + quote(arg) + " is not an IP literal")
		}
		name = strings.TrimPrefix(name, "IPv6:")
	}
	if net.ParseIP(name) != nil {
		return name, nil
	}
	if _, port, err := net.SplitHostPort(name); err == nil && port != "" && strings.Trim(port, "0123456789") == "" {
		return "", errors.New("tlsmode: server name " + quote(arg) + " includes a port: pass the host only")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '@' {
			return "", errors.New("tlsmode: server name " + quote(arg) + " is not a host name (use its A-label form for IDNs)")
		}
	}
	return name, nil
}

// checkVersions enforces the TLS 1.2 floor on cfg.
func checkVersions(cfg *tls.Config, o options, side string) error {
	switch {
	case cfg.MinVersion == 0:
		cfg.MinVersion = MinVersion
	case cfg.MinVersion < MinVersion:
		if o.allowVersion == 0 || cfg.MinVersion < o.allowVersion {
			return fmt.Errorf("%w: %s MinVersion %s is below TLS 1.2 (RFC 8996); raise it, or pass AllowLegacyVersion to accept the risk",
				ErrVersion, side, tls.VersionName(cfg.MinVersion))
		}
		o.logger.Warn("tlsmode: TLS versions below 1.2 are enabled (RFC 8996 deprecates them)",
			slog.String("side", side), slog.String("min_version", tls.VersionName(cfg.MinVersion)))
	}
	if cfg.MaxVersion != 0 && cfg.MaxVersion < cfg.MinVersion {
		return fmt.Errorf("%w: %s MaxVersion %s is below MinVersion %s",
			ErrVersion, side, tls.VersionName(cfg.MaxVersion), tls.VersionName(cfg.MinVersion))
	}
	return nil
}

// ServerConfig returns a copy of base made safe for an SMTP server:
//
//   - base must name a certificate source: Certificates, GetCertificate or
//     GetConfigForClient (ErrNoCertificate). A server without one must not
//     advertise STARTTLS.
//   - MinVersion is at least TLS 1.2, as in ClientConfig.
//   - When ClientCAs is set and ClientAuth is left at NoClientCert, client
//     certificates are requested and verified if given
//     (VerifyClientCertIfGiven), so SASL EXTERNAL (RFC 4422 appendix A) can
//     use them while clients without one still connect. RequestClientCert
//     and RequireAnyClientCert, which do not verify, are logged: Facts never
//     hands unverified certificates to EXTERNAL.
//   - Session tickets keep crypto/tls's default (on, with rotating keys).
//
// The result also records, for ServerHandshake, which certificate the
// handshake presented, so the server side can compute the
// tls-server-end-point channel binding (RFC 5929 section 4). base is not
// modified.
func ServerConfig(base *tls.Config, opts ...Option) (*tls.Config, error) {
	o := buildOptions(opts)
	if base == nil || (len(base.Certificates) == 0 && base.GetCertificate == nil && base.GetConfigForClient == nil) {
		return nil, ErrNoCertificate
	}
	cfg := base.Clone()
	if err := checkVersions(cfg, o, "server"); err != nil {
		return nil, err
	}
	if cfg.ClientCAs != nil && cfg.ClientAuth == tls.NoClientCert {
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if cfg.ClientAuth == tls.RequestClientCert || cfg.ClientAuth == tls.RequireAnyClientCert {
		o.logger.Warn("tlsmode: client certificates are requested but not verified; they will not be used for SASL EXTERNAL",
			slog.String("client_auth", cfg.ClientAuth.String()))
	}
	installCertCapture(cfg)
	return cfg, nil
}
