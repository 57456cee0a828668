package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

var serveCommand = &command{
	name:    "serve",
	summary: "run a local SMTP, submission or LMTP server that keeps every message in a Maildir",
	usage:   "[flags]",
	help: `
Listens on 127.0.0.1:2525 and stores every message it accepts in the Maildir
./smtpkit-mail (tmp/new/cur; one file per message, with Return-Path and
Received headers), printing one line per message on standard output. With
no certificate given it offers STARTTLS with a certificate from an in-memory
test CA made at start, and writes that CA's certificate next to the Maildir
(smtpkit-ca.pem) for clients to trust. SIGINT or SIGTERM shut it down
gracefully: idle sessions get 421 at once, a transaction under way finishes.

The defaults are the strict ones: bare LF or CR rejected (SMTP smuggling),
clear-text AUTH only under TLS, commands pipelined only as RFC 2920 allows,
421 after 10 refused commands or 3 failed AUTH exchanges, 421 to an HTTP
request, messages up to 10240000 octets, and a floor of 500 octets a second
under a command line or message after 30 s. docs/RELIABILITY.md lists each
with the flag that relaxes it.

examples:
  smtpkit serve
  smtpkit serve --listen 127.0.0.1:2587 --user alice:secret --require-auth
  smtpkit serve --tls implicit --listen 127.0.0.1:4650 --tls-cert cert.pem --tls-key key.pem
  smtpkit serve --lmtp --listen 127.0.0.1:2424 --maildir /var/mail/test
  smtpkit serve --discard --log-format json`,
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		var o serveOptions
		o.register(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return fail(sio, "serve", usagef("unexpected argument %q", args[0]), exitUsage)
			}
			return o.run(ctx, sio)
		}
	},
}

// serveOptions are serve's flags.
type serveOptions struct {
	listen, maildir, hostname   string
	discard                     bool
	tls, tlsCert, tlsKey, caOut string
	users                       stringList
	requireAuth, insecureAuth   bool
	lmtp                        bool
	maxSize                     int64
	maxRcpts                    int
	bareLF, logFormat           string
	proxies                     stringList
	trace                       bool
	shutdownTimeout             time.Duration
	limits                      serveLimits
}

func (o *serveOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "listen", "127.0.0.1:2525", "`address` to listen on")
	fs.StringVar(&o.maildir, "maildir", "smtpkit-mail", "Maildir `directory` to store messages in (created when missing)")
	fs.BoolVar(&o.discard, "discard", false, "accept and discard messages instead of storing them")
	fs.StringVar(&o.hostname, "hostname", "", "`name` in the greeting and Received headers (default: the machine's host name)")
	fs.StringVar(&o.tls, "tls", "starttls", "TLS `mode`: off, starttls (RFC 3207) or implicit (RFC 8314)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "certificate chain PEM `file` (reloaded when it changes; default: a certificate from an in-memory test CA)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key PEM `file` for --tls-cert")
	fs.StringVar(&o.caOut, "ca-out", "", "where to write the test CA's certificate `file` (default: smtpkit-ca.pem beside the Maildir's new/, nowhere with --discard)")
	fs.Var(&o.users, "user", "`NAME:PASSWORD` of a user AUTH accepts (repeatable); enables PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-1/256(-PLUS)")
	fs.BoolVar(&o.requireAuth, "require-auth", false, "refuse mail before AUTH (530, RFC 4954 section 6)")
	fs.BoolVar(&o.insecureAuth, "insecure-auth", false, "offer PLAIN and LOGIN without TLS (a local test setup only)")
	fs.BoolVar(&o.lmtp, "lmtp", false, "speak LMTP (RFC 2033): LHLO, one reply per recipient")
	fs.Int64Var(&o.maxSize, "max-message-size", defaultMaxMessageSize, "largest message in `bytes`, advertised with SIZE (RFC 1870; larger ones get 552 5.3.4); 0: no limit")
	fs.IntVar(&o.maxRcpts, "max-recipients", 0, "most recipients per message (`N`; 0: 100, the RFC 5321 section 4.5.3.1.8 minimum)")
	fs.StringVar(&o.bareLF, "bare-lf", "reject", "bare CR or LF in commands and content: reject, normalize or allow (RFC 5321 section 2.3.8)")
	fs.Var(&o.proxies, "proxy-protocol", "`CIDR` of a trusted proxy that sends a PROXY v1/v2 header (repeatable)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.BoolVar(&o.trace, "trace", false, "write a C:/S: trace of every session to standard error (AUTH redacted)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown waits for transactions under way")
	o.limits.register(fs)
}

func (o *serveOptions) run(ctx context.Context, sio *stdio) int {
	srv, mode, store, err := o.build(sio)
	if err != nil {
		return fail(sio, "serve", err, exitOffline)
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(sio, "serve", err, exitOffline)
	}
	logs := srv.ErrorLog
	logs.Info("listening", o.banner(l.Addr().String(), mode, store)...)
	done := make(chan error, 1)
	go func() {
		if mode == tlsmode.ModeImplicit {
			done <- srv.ServeTLS(l)
			return
		}
		done <- srv.Serve(l)
	}()
	select {
	case err := <-done:
		return fail(sio, "serve", err, exitOffline)
	case <-ctx.Done():
	}
	logs.Info("shutting down", slog.Duration("timeout", o.shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logs.Warn("shutdown cut short; closing", slog.Any("err", err))
		srv.Close()
	}
	<-done
	logs.Info("stopped", slog.Int64("messages", store.count.Load()))
	return exitOK
}

// banner describes what the server does, for the "listening" log line.
func (o *serveOptions) banner(addr string, mode tlsmode.Mode, st *store) []any {
	proto := "smtp"
	if o.lmtp {
		proto = "lmtp"
	}
	attrs := []any{slog.String("addr", addr), slog.String("protocol", proto), slog.String("tls", modeWord(mode))}
	if st.dir != "" {
		attrs = append(attrs, slog.String("maildir", st.dir))
	} else {
		attrs = append(attrs, slog.Bool("discard", true))
	}
	if st.caFile != "" {
		attrs = append(attrs, slog.String("ca", st.caFile))
	}
	if len(o.users) > 0 {
		attrs = append(attrs, slog.Int("users", len(o.users)))
	}
	return attrs
}

func modeWord(m tlsmode.Mode) string {
	switch m {
	case tlsmode.ModeNone:
		return "off"
	case tlsmode.ModeImplicit:
		return "implicit"
	}
	return "starttls"
}

// build turns the flags into a server.Server and its message store.
func (o *serveOptions) build(sio *stdio) (*server.Server, tlsmode.Mode, *store, error) {
	logs, err := newLogger(sio.err, o.logFormat)
	if err != nil {
		return nil, 0, nil, err
	}
	events, _ := newLogger(sio.out, o.logFormat)
	mode, err := parseServeMode(o.tls)
	if err != nil {
		return nil, 0, nil, err
	}
	bare, ok := wire.ParseBarePolicy(o.bareLF)
	if !ok {
		return nil, 0, nil, usagef("--bare-lf: %q is not reject, normalize or allow", o.bareLF)
	}
	if o.maxSize < 0 || o.maxRcpts < 0 {
		return nil, 0, nil, usagef("--max-message-size and --max-recipients must not be negative")
	}
	if o.requireAuth && len(o.users) == 0 {
		return nil, 0, nil, usagef("--require-auth needs at least one --user")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, 0, nil, usagef("--tls-cert and --tls-key go together")
	}
	proxies, err := parsePrefixes(o.proxies)
	if err != nil {
		return nil, 0, nil, err
	}
	hostname := o.hostname
	if hostname == "" {
		if hostname, _ = os.Hostname(); hostname == "" {
			hostname = "localhost"
		}
	}
	st := &store{hostname: hostname, log: events, errs: logs}
	if !o.discard {
		if st.dir, err = filepath.Abs(o.maildir); err != nil {
			return nil, 0, nil, err
		}
		if err := (server.Maildir{Path: st.dir}).Init(); err != nil {
			return nil, 0, nil, fmt.Errorf("maildir: %w", err)
		}
	}
	srv := &server.Server{
		Handler:           st,
		Hostname:          hostname,
		MaxMessageSize:    o.maxSize,
		MaxRecipients:     o.maxRcpts,
		RequireAuth:       o.requireAuth,
		AllowInsecureAuth: o.insecureAuth,
		TrustedProxies:    proxies,
		ErrorLog:          logs,
		Configure: func(c *state.ServerConfig) {
			c.BareLines, c.BareData = bare, bare
		},
	}
	if err := o.limits.apply(srv); err != nil {
		return nil, 0, nil, err
	}
	if o.lmtp {
		srv.Protocol = state.ProtocolLMTP
	}
	if o.trace {
		srv.Trace = sio.err
	}
	if len(o.users) > 0 {
		if srv.Auth, err = userRegistry(o.users, hostname, o.insecureAuth); err != nil {
			return nil, 0, nil, err
		}
	}
	if mode != tlsmode.ModeNone {
		if srv.TLSConfig, st.caFile, err = o.tlsConfig(hostname, st.dir); err != nil {
			return nil, 0, nil, err
		}
	}
	return srv, mode, st, nil
}

// parseServeMode reads --tls: off, starttls or implicit (tlsmode.ParseMode
// words too, except auto: a server has no port convention to follow).
func parseServeMode(word string) (tlsmode.Mode, error) {
	m, err := parseModeWord(word)
	if err != nil || m == tlsmode.ModeAuto {
		return 0, usagef("--tls: %q is not off, starttls or implicit", word)
	}
	return m, nil
}

// tlsConfig loads --tls-cert and --tls-key, or issues a certificate from a
// fresh in-memory test CA for the host name and loopback, and writes the
// CA's certificate where clients can find it.
func (o *serveOptions) tlsConfig(hostname, maildir string) (*tls.Config, string, error) {
	if o.tlsCert != "" {
		cf, err := tlsmode.LoadCertFile(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, "", err
		}
		cfg, err := tlsmode.ServerConfig(&tls.Config{GetCertificate: cf.GetCertificate})
		return cfg, "", err
	}
	ca, err := tlsmode.NewTestCA()
	if err != nil {
		return nil, "", err
	}
	hosts := []string{hostname, "localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(o.listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	cfg, err := ca.ServerConfig(hosts...)
	if err != nil {
		return nil, "", err
	}
	caFile := o.caOut
	if caFile == "" && maildir != "" {
		caFile = filepath.Join(maildir, "smtpkit-ca.pem")
	}
	if caFile != "" {
		if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
			return nil, "", fmt.Errorf("writing the test CA certificate: %w", err)
		}
	}
	return cfg, caFile, nil
}

// parsePrefixes reads --proxy-protocol networks; a bare address is a /32
// or /128.
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, usagef("--proxy-protocol: %q is not a CIDR or an address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// newLogger makes the slog logger of --log-format.
func newLogger(w interface{ Write([]byte) (int, error) }, format string) (*slog.Logger, error) {
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usagef("--log-format: %q is not text or json", format)
}

var errNoColon = errors.New("want NAME:PASSWORD")
