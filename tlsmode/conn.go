package tlsmode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// DefaultHandshakeTimeout bounds ClientHandshake and ServerHandshake when
// their context has no deadline, so a peer that never answers cannot hold
// a connection forever.
const DefaultHandshakeTimeout = 30 * time.Second

// Mismatch sentinels, wrapped by *MismatchError. Each names a mode mismatch
// between the two ends that would otherwise show up as a hang or an opaque
// TLS error.
var (
	// ErrPlaintextGreeting: an implicit-TLS client received a plaintext SMTP
	// reply ("220 ...") instead of a TLS ServerHello: the port speaks
	// plaintext first, then STARTTLS.
	ErrPlaintextGreeting = errors.New("tlsmode: server sent a plaintext SMTP greeting")
	// ErrPlaintextCommand: an implicit-TLS server received a plaintext SMTP
	// command instead of a TLS ClientHello.
	ErrPlaintextCommand = errors.New("tlsmode: client sent a plaintext SMTP command")
	// ErrPlaintextPeer: the peer sent other plaintext where a TLS handshake
	// was expected.
	ErrPlaintextPeer = errors.New("tlsmode: peer sent plaintext instead of a TLS handshake")
	// ErrUnexpectedTLS: a side expecting plaintext SMTP received a TLS record.
	ErrUnexpectedTLS = errors.New("tlsmode: peer started a TLS handshake")
	// ErrNoGreeting: a client waited for the 220 greeting in vain; an
	// implicit-TLS server (port 465) waits for the client's ClientHello and
	// never greets in plaintext. The client driver returns it, through
	// NoGreeting, after its greeting timeout.
	ErrNoGreeting = errors.New("tlsmode: no SMTP greeting from the server: port 465 expects implicit TLS (use ModeImplicit there, or port 587 with ModeSTARTTLS)")
	// ErrNoHandshake: the peer did not complete the TLS handshake before
	// the deadline.
	ErrNoHandshake = errors.New("tlsmode: no TLS handshake from the peer before the deadline")
)

// MismatchError reports that the two ends disagree about the TLS mode. Got
// is a sanitized copy of the first bytes received, when there were any.
type MismatchError struct {
	// Side is the end that detected the mismatch.
	Side    Side
	Problem string
	Got     []byte
	Fix     string
	// Err is one of the sentinels above; Cause the underlying error (a
	// tls.RecordHeaderError, a context error), or nil.
	Err   error
	Cause error
}

func (e *MismatchError) Error() string {
	s := "tlsmode: " + e.Side.String() + ": " + e.Problem
	if len(e.Got) > 0 {
		s += " " + quote(string(e.Got))
	}
	if e.Fix != "" {
		s += ": " + e.Fix
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *MismatchError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// isTLSRecord reports whether p starts like a TLS record of type handshake
// (0x16) or alert (0x15) with major version 3 (SSL 3.0 to TLS 1.3 all use
// it). One byte suffices: 0x15 and 0x16 never start an SMTP line.
func isTLSRecord(p []byte) bool {
	if len(p) == 0 || (p[0] != 0x16 && p[0] != 0x15) {
		return false
	}
	return len(p) < 2 || p[1] == 0x03
}

// CheckPlaintext is the check a side that expects plaintext SMTP (ModeNone
// or ModeSTARTTLS before the upgrade) applies to the first bytes it reads
// from the peer. It returns a *MismatchError wrapping ErrUnexpectedTLS when
// they are a TLS record, so the mismatch fails at once with advice instead
// of as a syntax error or a hang, and nil otherwise.
//
//   - server: a client configured for implicit TLS sent a ClientHello
//     instead of waiting for the 220 greeting. Close the connection: the
//     client cannot read a plaintext reply.
//   - client: the server answered with TLS records (an alert); it expects
//     implicit TLS.
func CheckPlaintext(side Side, p []byte) error {
	if !isTLSRecord(p) {
		return nil
	}
	e := &MismatchError{Side: side, Err: ErrUnexpectedTLS}
	if side == SideServer {
		e.Problem = "client started a TLS handshake where a plaintext SMTP command was expected"
		e.Fix = "this port expects plaintext SMTP and STARTTLS; configure the client for STARTTLS (ModeSTARTTLS, port 587), or serve implicit TLS (ModeImplicit, port 465)"
	} else {
		e.Problem = "server sent a TLS record where a plaintext SMTP reply was expected"
		e.Fix = "the port expects implicit TLS; use ModeImplicit (port 465)"
	}
	return e
}

// NoGreeting returns the error a client driver reports when its greeting
// timeout expires without a 220 on a plaintext or STARTTLS connection to
// port. It wraps ErrNoGreeting and says what to change: on port 465 the
// server waits for a TLS ClientHello (RFC 8314 section 3.3).
func NoGreeting(port int, cause error) error {
	e := &MismatchError{Side: SideClient, Problem: "no SMTP greeting from the server before the greeting timeout", Err: ErrNoGreeting, Cause: cause}
	if c, ok := LookupPort(port); ok && c.Mode == ModeImplicit {
		e.Fix = "port 465 expects implicit TLS (RFC 8314 section 3.3): use ModeImplicit, or port 587 with ModeSTARTTLS"
	} else {
		e.Fix = "if the server expects implicit TLS, use ModeImplicit (port 465); otherwise it is slow or overloaded"
	}
	return e
}

// sanitize returns a copy of the first bytes of p, for an error message.
func sanitize(p []byte) []byte {
	const maxLen = 16
	if len(p) > maxLen {
		p = p[:maxLen]
	}
	return append([]byte(nil), p...)
}

// classifyRecordHeader turns the first bytes of a handshake that were not
// TLS into a *MismatchError, or returns nil.
func classifyRecordHeader(side Side, hdr []byte, cause error) error {
	if len(hdr) == 0 || isTLSRecord(hdr) {
		return nil
	}
	e := &MismatchError{Side: side, Got: sanitize(hdr), Cause: cause}
	digits := len(hdr) >= 3 && isDigit(hdr[0]) && isDigit(hdr[1]) && isDigit(hdr[2])
	letters := len(hdr) >= 4 && isLetter(hdr[0]) && isLetter(hdr[1]) && isLetter(hdr[2]) && isLetter(hdr[3])
	switch {
	case side == SideClient && digits:
		e.Err = ErrPlaintextGreeting
		e.Problem = "server sent a plaintext SMTP greeting"
		e.Fix = "use STARTTLS (ModeSTARTTLS, port 587) instead of implicit TLS"
	case side == SideServer && letters:
		e.Err = ErrPlaintextCommand
		e.Problem = "client sent a plaintext SMTP command instead of a TLS ClientHello"
		e.Fix = "this port expects implicit TLS; configure the client for implicit TLS (ModeImplicit, port 465), or serve STARTTLS (port 587)"
	default:
		e.Err = ErrPlaintextPeer
		e.Problem = "peer sent plaintext instead of a TLS handshake"
		e.Fix = "check that both ends use the same port and TLS mode"
	}
	return e
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// VerifyError reports that the peer's certificate was not accepted: on the
// client, it does not chain to a trusted root or does not name Host (RFC
// 7817 section 3). It unwraps to crypto/tls's error, and through it to the
// x509 error (x509.HostnameError, x509.UnknownAuthorityError,
// x509.CertificateInvalidError).
type VerifyError struct {
	Host string
	Err  error
}

func (e *VerifyError) Error() string {
	s := "tlsmode: certificate of " + quote(e.Host) + " not accepted: " + e.Err.Error()
	var he x509.HostnameError
	var ue x509.UnknownAuthorityError
	switch {
	case errors.As(e.Err, &he):
		s += " (connect with a name the certificate lists; do not disable verification)"
	case errors.As(e.Err, &ue):
		s += " (add the issuing CA to tls.Config.RootCAs; do not disable verification)"
	}
	return s
}

// Unwrap returns the handshake error.
func (e *VerifyError) Unwrap() error { return e.Err }

// isVerifyError reports whether err is a certificate verification failure.
func isVerifyError(err error) bool {
	var cve *tls.CertificateVerificationError
	var he x509.HostnameError
	var ue x509.UnknownAuthorityError
	var ie x509.CertificateInvalidError
	return errors.As(err, &cve) || errors.As(err, &he) || errors.As(err, &ue) || errors.As(err, &ie)
}

// handshakeContext applies DefaultHandshakeTimeout when ctx has no deadline.
func handshakeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultHandshakeTimeout)
}

// ClientHandshake runs the client side of a TLS handshake on conn: right
// after connecting for implicit TLS, or right after the 220 reply to
// STARTTLS (after CheckBoundary). cfg should come from ClientConfig; it
// must name the server (ServerName), unless the caller disabled
// verification. ctx bounds the handshake (DefaultHandshakeTimeout if it
// has no deadline).
//
// Errors are made specific:
//   - a certificate that is not accepted gives a *VerifyError naming the
//     host;
//   - plaintext where the ServerHello should be gives a *MismatchError: a
//     "220 ..." greeting wraps ErrPlaintextGreeting (the port wants
//     STARTTLS), which fails at once rather than at a timeout.
//
// On error conn is closed: after a failed handshake the connection is in
// an undefined state (RFC 3207 section 4). The returned *tls.Conn is owned
// by the caller; Facts describe the session.
func ClientHandshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, Facts, error) {
	if cfg == nil || (cfg.ServerName == "" && !cfg.InsecureSkipVerify) {
		conn.Close()
		return nil, Facts{}, ErrNoServerName
	}
	ctx, cancel := handshakeContext(ctx)
	defer cancel()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil, Facts{}, clientHandshakeError(cfg.ServerName, err)
	}
	return tc, FactsFrom(SideClient, tc.ConnectionState(), nil), nil
}

// clientHandshakeError classifies a failed client handshake.
func clientHandshakeError(host string, err error) error {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		if m := classifyRecordHeader(SideClient, rh.RecordHeader[:], err); m != nil {
			return m
		}
	}
	if isVerifyError(err) {
		return &VerifyError{Host: host, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &MismatchError{Side: SideClient, Problem: "no TLS handshake from the server before the deadline",
			Fix: "check the port and TLS mode (465: ModeImplicit; 587 and 25: ModeSTARTTLS)", Err: ErrNoHandshake, Cause: err}
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: server closed the connection during the TLS handshake: %w", ErrHandshake, err)
	}
	return fmt.Errorf("%w: %w", ErrHandshake, err)
}

// ServerHandshake runs the server side of a TLS handshake on conn: right
// after accepting an implicit-TLS connection, or right after sending 220 to
// STARTTLS (after CheckBoundary). cfg should come from ServerConfig, which
// lets Facts include tls-server-end-point. ctx bounds the handshake
// (DefaultHandshakeTimeout if it has no deadline).
//
// A plaintext SMTP command where the ClientHello should be is a
// *MismatchError wrapping ErrPlaintextCommand; a client that sends nothing
// until the deadline (it waits for a greeting, so it is configured for
// STARTTLS) gives one wrapping ErrNoHandshake and the context error. On
// error conn is closed.
func ServerHandshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, Facts, error) {
	if cfg == nil {
		conn.Close()
		return nil, Facts{}, ErrNoCertificate
	}
	ctx, cancel := handshakeContext(ctx)
	defer cancel()
	slot := &certCapture{cfg: cfg}
	ctx = context.WithValue(ctx, captureKey{}, slot)
	tc := tls.Server(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return nil, Facts{}, serverHandshakeError(err)
	}
	return tc, FactsFrom(SideServer, tc.ConnectionState(), slot.leaf()), nil
}

// serverHandshakeError classifies a failed server handshake.
func serverHandshakeError(err error) error {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		if m := classifyRecordHeader(SideServer, rh.RecordHeader[:], err); m != nil {
			return m
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &MismatchError{Side: SideServer, Problem: "no TLS handshake from the client before the deadline",
			Fix: "a client that waits for a plaintext greeting is configured for STARTTLS; configure it for implicit TLS (ModeImplicit, port 465), or serve STARTTLS (port 587)",
			Err: ErrNoHandshake, Cause: err}
	}
	return fmt.Errorf("%w: %w", ErrHandshake, err)
}

// captureKey is the context key under which ServerHandshake passes its
// certCapture to the hook installCertCapture sets.
type captureKey struct{}

// certCapture records the certificate a server handshake presented. It is
// written and read only by the goroutine running the handshake.
type certCapture struct {
	cfg  *tls.Config
	cert *tls.Certificate
}

// leaf returns the parsed leaf of the captured certificate, or nil.
func (c *certCapture) leaf() *x509.Certificate {
	if c.cert == nil {
		return nil
	}
	if c.cert.Leaf != nil {
		return c.cert.Leaf
	}
	if len(c.cert.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(c.cert.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// installCertCapture wraps cfg.GetConfigForClient so that, inside
// ServerHandshake, the certificate is chosen once from the ClientHello
// (as crypto/tls would choose it), recorded, and served by a
// per-connection clone of the config. Outside ServerHandshake the hook only
// calls the original callback. Session tickets keep working across
// connections: crypto/tls takes ticket keys from the original config unless
// the clone has explicit ones, which it then shares. On a resumed session
// the recorded certificate is the one the server would present now; it
// differs from the client's view only if the certificate changed since the
// session began.
func installCertCapture(cfg *tls.Config) {
	user := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var sub *tls.Config
		if user != nil {
			var err error
			if sub, err = user(hello); err != nil {
				return nil, err
			}
		}
		slot, _ := hello.Context().Value(captureKey{}).(*certCapture)
		if slot == nil {
			return sub, nil
		}
		target := sub
		if target == nil {
			target = slot.cfg
		}
		//lint:ignore SA1019 a config that still uses the deprecated NameToCertificate is left as it is.
		if target.NameToCertificate != nil {
			return sub, nil
		}
		// Select now, once: a resumed handshake never asks for a
		// certificate, yet its tls-server-end-point needs one.
		cert, err := selectCertificate(target.GetCertificate, target.Certificates, hello)
		if err == nil {
			slot.cert = cert
		}
		c := target.Clone()
		c.GetConfigForClient = nil
		c.Certificates = nil
		c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert, err }
		return c, nil
	}
}

// errNoCertificates mirrors crypto/tls's error for a config without one.
var errNoCertificates = errors.New("tls: no certificates configured")

// selectCertificate picks a certificate the way crypto/tls does for a
// config with Certificates and GetCertificate (minus the deprecated
// NameToCertificate): GetCertificate for SNI or when there is no list,
// the only certificate, the first one the client supports, the first one.
func selectCertificate(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), certs []tls.Certificate, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if get != nil && (len(certs) == 0 || hello.ServerName != "") {
		cert, err := get(hello)
		if cert != nil || err != nil {
			return cert, err
		}
	}
	switch len(certs) {
	case 0:
		return nil, errNoCertificates
	case 1:
		return &certs[0], nil
	}
	for i := range certs {
		if hello.SupportsCertificate(&certs[i]) == nil {
			return &certs[i], nil
		}
	}
	return &certs[0], nil
}
