package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// DefaultHostname is the EHLO argument when WithHostname is not given.
// RFC 5321 section 4.1.1.1 wants the client's own name; "localhost" is what
// a client that does not know it sends (RFC 5321 section 4.1.4 lets the
// server accept any name).
const DefaultHostname = "localhost"

// DefaultDialTimeout bounds a TCP connect when the context has no deadline.
const DefaultDialTimeout = 30 * time.Second

// Option configures Dial and NewClient.
type Option func(*config)

// config is what the options set; Dial and NewClient copy it per Client.
type config struct {
	hostname   string
	mode       tlsmode.Mode
	policy     tlsmode.Policy
	tlsBase    *tls.Config
	lmtp       bool
	mechs      []auth.ClientMechanism
	insecure   bool
	timeouts   state.Timeouts
	bareData   wire.BarePolicy
	dialer     ContextDialer
	debug      io.Writer
	bdat       bool
	chunkSize  int
	serverName string
	optErr     error // an option that could not be applied
}

// errNoContextDialer reports a proxy dialer without DialContext.
var errNoContextDialer = errors.New("client: the proxy dialer does not take a context")

// ContextDialer opens connections; *net.Dialer and the SOCKS5 dialer of
// golang.org/x/net/proxy implement it.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// defaultConfig returns the configuration before options.
func defaultConfig() config {
	return config{hostname: DefaultHostname, bdat: true, chunkSize: DefaultChunkSize,
		dialer: &net.Dialer{Timeout: DefaultDialTimeout}}
}

// WithHostname sets the EHLO, HELO or LHLO argument: the client's domain or
// an address literal (RFC 5321 section 4.1.1.1).
func WithHostname(name string) Option { return func(c *config) { c.hostname = name } }

// WithTLS sets the TLS mode and policy. ModeAuto and PolicyAuto (the
// default) take them from the port (tlsmode.Resolve): 465 implicit TLS, 587
// STARTTLS required, 25 STARTTLS opportunistic, other ports STARTTLS
// required. Contradictions (STARTTLS on 465) fail at Dial.
func WithTLS(mode tlsmode.Mode, policy tlsmode.Policy) Option {
	return func(c *config) { c.mode, c.policy = mode, policy }
}

// WithTLSConfig sets the base TLS configuration (RootCAs, client
// certificates). It is made safe with tlsmode.ClientConfig: the server name
// is always set and verified, TLS 1.2 at least. The value is not modified.
func WithTLSConfig(cfg *tls.Config) Option { return func(c *config) { c.tlsBase = cfg } }

// WithServerName sets the name the server's certificate must carry, when it
// differs from the host in the address (a connection to an IP address).
func WithServerName(name string) Option { return func(c *config) { c.serverName = name } }

// WithLMTP speaks LMTP (RFC 2033): LHLO, and one reply per recipient after
// the message.
func WithLMTP() Option { return func(c *config) { c.lmtp = true } }

// WithAuth authenticates with a user name and password, choosing the
// strongest mechanism the server offers of SCRAM-SHA-256-PLUS,
// SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, PLAIN and LOGIN
// (auth.Choose). PLAIN and LOGIN reveal the password and are used only under
// TLS unless WithInsecureAuth (RFC 4954 section 4).
func WithAuth(username, password string) Option {
	return func(c *config) {
		c.mechs = []auth.ClientMechanism{
			auth.SCRAMClient(auth.SCRAMSHA256, true, "", username, password),
			auth.SCRAMClient(auth.SCRAMSHA256, false, "", username, password),
			auth.SCRAMClient(auth.SCRAMSHA1, true, "", username, password),
			auth.SCRAMClient(auth.SCRAMSHA1, false, "", username, password),
			auth.PlainClient("", username, password),
			auth.LoginClient(username, password),
		}
	}
}

// WithAuthMechanisms authenticates with the given mechanisms (OAuth tokens,
// EXTERNAL, NTLM ...), the strongest common one chosen by auth.Choose; a
// single mechanism is used as given.
func WithAuthMechanisms(mechs ...auth.ClientMechanism) Option {
	return func(c *config) { c.mechs = append([]auth.ClientMechanism(nil), mechs...) }
}

// WithInsecureAuth lets a mechanism that reveals the password (PLAIN,
// LOGIN) run without TLS: for a trusted local network or a test server.
func WithInsecureAuth() Option { return func(c *config) { c.insecure = true } }

// WithTimeouts sets the reply timeouts of RFC 5321 section 4.5.3.2; zero
// fields keep their defaults. The context passed to each call bounds it too.
func WithTimeouts(t state.Timeouts) Option { return func(c *config) { c.timeouts = t } }

// WithBareLines says what a bare CR or LF in a message body means (RFC 5321
// section 2.3.8): wire.BareReject (the default) refuses the message,
// wire.BareNormalize sends CRLF in its place.
func WithBareLines(p wire.BarePolicy) Option { return func(c *config) { c.bareData = p } }

// WithDialer sets the dialer Dial connects with.
func WithDialer(d ContextDialer) Option { return func(c *config) { c.dialer = d } }

// WithDebug writes a transcript of the session to w: "C: " lines for what
// the client sends, "S: " lines for what it reads. AUTH payloads are
// replaced by "<redacted>" and message content is left out. w is written
// from the goroutine using the Client.
func WithDebug(w io.Writer) Option { return func(c *config) { c.debug = w } }

// WithoutBDAT sends messages with DATA even when the server offers CHUNKING
// (RFC 3030); BINARYMIME bodies still need BDAT.
func WithoutBDAT() Option { return func(c *config) { c.bdat = false } }

// WithChunkSize sets the size of BDAT chunks and of body reads (default
// DefaultChunkSize).
func WithChunkSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.chunkSize = n
		}
	}
}
