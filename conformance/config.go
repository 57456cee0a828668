package conformance

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultQuietTime = 500 * time.Millisecond
	DefaultHelo      = "conformance.smtpkit.test"
	DefaultFrom      = "conformance@smtpkit.test"
	DefaultRcpt      = "rcpt1@example.net"
	DefaultRcpt2     = "rcpt2@example.net"
)

// Config says where the target is and what the cases may use.
type Config struct {
	// Addr is the target's HOST:PORT (server suite).
	Addr string
	// ImplicitTLS starts TLS on connect (RFC 8314): the target is an
	// implicit-TLS port such as 465.
	ImplicitTLS bool
	// TLSConfig is used for STARTTLS and implicit TLS. Nil means a config
	// that does not verify the certificate: the suite tests the protocol,
	// and targets under test usually have a test certificate. Set one with
	// RootCAs to verify.
	TLSConfig *tls.Config
	// Username and Password are credentials the target accepts; cases that
	// need AUTH are skipped without them.
	Username, Password string
	// LMTP says the target speaks LMTP (RFC 2033): Hello sends LHLO and
	// SMTP-only cases are skipped.
	LMTP bool
	// Helo is the name sent in EHLO, HELO and LHLO ({helo} in a case).
	Helo string
	// From, Rcpt and Rcpt2 are a sender and two recipients the target
	// accepts ({from}, {rcpt}, {rcpt2} in a case).
	From, Rcpt, Rcpt2 string
	// Timeout bounds a case that sets none (0: DefaultTimeout).
	Timeout time.Duration
	// QuietTime is how long a Quiet step waits for nothing to arrive (0:
	// DefaultQuietTime).
	QuietTime time.Duration
	// Parallel is the number of cases run at once (0: 1). Each case has a
	// connection of its own; servers limit connections per client, so keep
	// it small.
	Parallel int
	// Dial opens connections (nil: a net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// withDefaults returns a copy of c with the zero fields set.
func (c Config) withDefaults() Config {
	if c.Helo == "" {
		c.Helo = DefaultHelo
	}
	if c.From == "" {
		c.From = DefaultFrom
	}
	if c.Rcpt == "" {
		c.Rcpt = DefaultRcpt
	}
	if c.Rcpt2 == "" {
		c.Rcpt2 = DefaultRcpt2
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.QuietTime <= 0 {
		c.QuietTime = DefaultQuietTime
	}
	if c.Parallel <= 0 {
		c.Parallel = 1
	}
	if c.Dial == nil {
		var d net.Dialer
		c.Dial = d.DialContext
	}
	if c.TLSConfig == nil {
		host, _, err := net.SplitHostPort(c.Addr)
		if err != nil {
			host = c.Addr
		}
		c.TLSConfig = &tls.Config{ServerName: host, InsecureSkipVerify: true} //nolint:gosec // documented: the suite tests the protocol
	}
	return c
}

// expand replaces {helo}, {from}, {rcpt}, {rcpt2} and {domain} (the
// domain of {rcpt}) in a case's text.
func (c *Config) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	domain := c.Rcpt
	if i := strings.LastIndexByte(domain, '@'); i >= 0 {
		domain = domain[i+1:]
	}
	return strings.NewReplacer(
		"{helo}", c.Helo, "{from}", c.From, "{rcpt}", c.Rcpt, "{rcpt2}", c.Rcpt2, "{domain}", domain,
	).Replace(s)
}
