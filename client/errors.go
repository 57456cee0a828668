package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// Error is a failure of a Client step, with the server's address and, where
// the cause is a common mistake, a hint saying what to change. It unwraps
// to the cause: a *reply.Error for a refusing reply, a tlsmode error
// (*tlsmode.MismatchError, *tlsmode.VerifyError, *tlsmode.ConfigError), a
// state sentinel (state.ErrTimeout, state.ErrClosed) or a network error.
type Error struct {
	// Op is the step: "dial", "config", "tls", "greeting", "hello",
	// "starttls", "auth", "send", "reset", "noop", "quit", "read", "write".
	Op   string
	Addr string
	Err  error
	Hint string
}

// Error returns "smtp OP ADDR: cause (hint: ...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smtp ")
	b.WriteString(e.Op)
	if e.Addr != "" {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether sending again later may succeed: a 4yz reply
// (RFC 5321 section 4.2.1), a lost connection or 421, a timeout or a
// transient network error. It is false for 5yz replies, configuration and
// TLS errors, refused addresses and content (*BodyError) and a cancelled
// context.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	var re *reply.Error
	if errors.As(err, &re) {
		return re.Temporary()
	}
	var (
		verr *tlsmode.VerifyError
		merr *tlsmode.MismatchError
		cerr *tlsmode.ConfigError
		aerr *AddressError
		zerr *SizeError
		berr *BodyError
	)
	if errors.As(err, &verr) || errors.As(err, &merr) || errors.As(err, &cerr) ||
		errors.As(err, &aerr) || errors.As(err, &zerr) || errors.As(err, &berr) {
		return false
	}
	if errors.Is(err, state.ErrTimeout) || errors.Is(err, state.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) && ne.Timeout() || errors.As(err, &oe)
}

// Hints for the mistakes people make most.
const (
	hintPort25 = "many networks (home ISPs, cloud providers) block outbound port 25; " +
		"to submit mail use port 587 with STARTTLS and AUTH, or 465 with implicit TLS"
	hint535 = "check the user name and password; consumer providers (Gmail, Outlook, iCloud, Yahoo) " +
		"need an app password when two-step verification is on"
	hint534      = "the server wants a stronger mechanism; consumer providers may need an app password or OAuth"
	hint530      = "the server requires authentication (RFC 4954 section 6): configure credentials with WithAuth"
	hint530Clear = "the server requires authentication or TLS first (RFC 4954 section 6, RFC 3207 section 4): " +
		"configure WithAuth and a TLS mode"
	hint454 = "temporary authentication failure on the server; try again later"
)

// replyHint returns the hint for a refusing reply.
func replyHint(re *reply.Error, tls bool) string {
	switch re.Code {
	case 535:
		return hint535
	case 534:
		return hint534
	case 530:
		if !tls {
			return hint530Clear
		}
		return hint530
	case 454:
		return hint454
	}
	return ""
}

// Hints for a failed TLS handshake.
const (
	hintNoTLSAfterStartTLS = "the server accepted STARTTLS but did not start TLS (RFC 3207 section 4): " +
		"its TLS setup is broken (no usable certificate or key, no TLS version or cipher suite in common) " +
		"or a middlebox on the path interferes; nothing more can be sent on this connection"
	hintTLSVersion = "the server and the client share no TLS version: the client offers TLS 1.2 and later " +
		"(RFC 8996 deprecates older ones) unless WithTLSConfig sets MinVersion and MaxVersion; the server may offer only older ones"
	hintTLSCipher = "the server and the client share no cipher suite, group or signature algorithm; " +
		"check the server's TLS settings and any CipherSuites or CurvePreferences given with WithTLSConfig"
)

// tlsFailure returns the hint for a failed TLS handshake and the error to
// report. After STARTTLS the mode is not in question: the server offered
// STARTTLS and said 220, and plaintext or silence where its handshake
// should be is a server or path fault, so tlsmode's mode-mismatch advice
// for implicit TLS (RFC 8314 section 3) is replaced by what happened.
// Otherwise a certificate that was not accepted names what the server
// presented (certHint), and an alert about the protocol version or the
// handshake parameters says what the two sides could not agree on.
func tlsFailure(err error, starttls bool) (string, error) {
	var me *tlsmode.MismatchError
	if starttls && errors.As(err, &me) {
		re := *me
		switch {
		case errors.Is(me, tlsmode.ErrNoHandshake):
			re.Problem = "server did not answer the TLS handshake after its 220 reply to STARTTLS"
		case errors.Is(me, tlsmode.ErrPlaintextGreeting), errors.Is(me, tlsmode.ErrPlaintextPeer):
			re.Problem = "server answered the TLS ClientHello after its 220 reply to STARTTLS with plaintext"
		default:
			return "", err
		}
		re.Fix = ""
		return hintNoTLSAfterStartTLS, &re
	}
	if h := certHint(err); h != "" {
		return h, err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "protocol version"):
		return hintTLSVersion, err
	case strings.Contains(msg, "handshake failure"), strings.Contains(msg, "no cipher suite"),
		strings.Contains(msg, "insufficient security"):
		return hintTLSCipher, err
	}
	return "", err
}

// dialHint returns the hint for a failed connect.
func dialHint(port int, err error) string {
	if port == 25 && (isTimeout(err) || errors.Is(err, context.DeadlineExceeded)) {
		return hintPort25
	}
	return ""
}

// certHint names what the server presented when its certificate was not
// accepted (RFC 7817 section 3).
func certHint(err error) string {
	var verr *tlsmode.VerifyError
	if !errors.As(err, &verr) {
		return ""
	}
	var cert *x509.Certificate
	var (
		he x509.HostnameError
		ue x509.UnknownAuthorityError
		ie x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &he):
		cert = he.Certificate
	case errors.As(err, &ue):
		cert = ue.Cert
	case errors.As(err, &ie):
		cert = ie.Cert
	}
	if cert == nil {
		return "connect with the host name the certificate was issued for"
	}
	names := cert.DNSNames
	for _, ip := range cert.IPAddresses {
		names = append(names[:len(names):len(names)], ip.String())
	}
	if len(names) == 0 {
		names = []string{cert.Subject.CommonName}
	}
	return "wanted " + verr.Host + ", the server presented a certificate for " + strings.Join(names, ", ") +
		" issued by " + strconv.Quote(cert.Issuer.CommonName) +
		"; connect with a name it carries (WithServerName) or trust its issuer (WithTLSConfig RootCAs)"
}

// splitAddr splits "host:port".
func splitAddr(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, &Error{Op: "config", Addr: addr, Err: err, Hint: `the address is "host:port", e.g. "smtp.example.com:587"`}
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, &Error{Op: "config", Addr: addr, Err: errors.New("client: port is not a number from 1 to 65535")}
	}
	return host, port, nil
}

// itoa formats n.
func itoa(n int) string { return strconv.Itoa(n) }
