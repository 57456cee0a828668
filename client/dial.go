package client

import (
	"context"

	"golang.org/x/net/proxy"
)

// Dial connects to addr ("host:port") and returns a Client ready for Send:
// greeted, after EHLO, STARTTLS (or implicit TLS on 465) and AUTH as the
// options say. The TLS mode and policy come from the port unless WithTLS
// sets them (tlsmode.Resolve): 465 implicit, 587 and 2525 STARTTLS
// required, 25 STARTTLS opportunistic. ctx bounds the whole opening.
//
// A connect that times out on port 25 says that many networks block it
// and suggests 587; a server that never greets on a STARTTLS port, or
// sends TLS records to a plaintext client, is reported as a TLS mode
// mismatch (tlsmode.ErrNoGreeting, tlsmode.ErrUnexpectedTLS).
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := configure(opts)
	if cfg.optErr != nil {
		return nil, &Error{Op: "config", Addr: addr, Err: cfg.optErr}
	}
	_, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	conn, err := cfg.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Op: "dial", Addr: addr, Err: err, Hint: dialHint(port, err)}
	}
	return start(ctx, conn, addr, cfg)
}

// WithSOCKS5 dials through the SOCKS5 proxy at proxyAddr (RFC 1928), with
// a user name and password (RFC 1929) unless user is empty. The proxy
// resolves the server's name.
func WithSOCKS5(proxyAddr, user, password string) Option {
	return func(c *config) {
		var a *proxy.Auth
		if user != "" {
			a = &proxy.Auth{User: user, Password: password}
		}
		d, err := proxy.SOCKS5("tcp", proxyAddr, a, proxy.Direct)
		if err != nil {
			c.optErr = err
			return
		}
		cd, ok := d.(ContextDialer)
		if !ok {
			c.optErr = errNoContextDialer
			return
		}
		c.dialer = cd
	}
}
