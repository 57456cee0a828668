package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// dialFlags are the connection flags send and load share: where to connect,
// how TLS starts, and how to authenticate. Flags win over the environment
// (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS, SMTP_SECURE).
type dialFlags struct {
	server       string
	tls          string
	tlsPolicy    string
	ca           string
	insecure     bool
	mech         string
	user         string
	passwordEnv  string
	insecureAuth bool
	lmtp         bool
	helo         string
	serverName   string
}

func (d *dialFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.server, "server", "", "`HOST:PORT` of the server (env SMTP_HOST, SMTP_PORT; the port defaults to 25, 465 under --tls implicit, 24 under --lmtp)")
	fs.StringVar(&d.tls, "tls", "", "TLS `mode`: off, starttls or implicit (default: from the port, 465 implicit, others starttls; env SMTP_SECURE=true means implicit)")
	fs.StringVar(&d.tlsPolicy, "tls-policy", "", "`policy`: required or opportunistic (default: from the port, opportunistic on 25 and 24, required elsewhere)")
	fs.StringVar(&d.ca, "ca", "", "PEM `file` of the CA that signed the server's certificate (smtpkit serve writes smtpkit-ca.pem)")
	fs.BoolVar(&d.insecure, "insecure-skip-verify", false, "do not verify the server's certificate (tests only)")
	fs.StringVar(&d.mech, "auth", "", "SASL `mechanism` (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SCRAM-SHA-1, their -PLUS forms, XOAUTH2, OAUTHBEARER); default: the strongest both sides have, when --user is set")
	fs.StringVar(&d.user, "user", "", "user `name` to authenticate as (env SMTP_USER)")
	fs.StringVar(&d.passwordEnv, "password-env", "", "name of the environment `variable` holding the password or token (default SMTP_PASS); never put a password on the command line")
	fs.BoolVar(&d.insecureAuth, "insecure-auth", false, "allow PLAIN and LOGIN without TLS (a local test server)")
	fs.BoolVar(&d.lmtp, "lmtp", false, "speak LMTP (RFC 2033): LHLO, one reply per recipient")
	fs.StringVar(&d.serverName, "server-name", "", "`name` the server's certificate must carry (default: the host of --server)")
	fs.StringVar(&d.helo, "helo", "", "`name` to send in EHLO/LHLO (default: localhost)")
}

// options resolves the flags and the environment into an address and the
// client options. It reports command-line mistakes as *usageError.
func (d *dialFlags) options(getenv func(string) string) (string, []client.Option, error) {
	addr, port, err := d.address(getenv)
	if err != nil {
		return "", nil, err
	}
	mode, policy, err := d.tlsMode(getenv)
	if err != nil {
		return "", nil, err
	}
	if mode, policy, err = tlsmode.Resolve(port, mode, policy); err != nil {
		return "", nil, usagef("%v", err)
	}
	opts := []client.Option{client.WithTLS(mode, policy)}
	if d.helo != "" {
		opts = append(opts, client.WithHostname(d.helo))
	}
	if d.lmtp {
		opts = append(opts, client.WithLMTP())
	}
	if d.serverName != "" {
		opts = append(opts, client.WithServerName(d.serverName))
	}
	if d.ca != "" || d.insecure {
		cfg := &tls.Config{InsecureSkipVerify: d.insecure}
		if d.ca != "" {
			pool, err := loadCA(d.ca)
			if err != nil {
				return "", nil, err
			}
			cfg.RootCAs = pool
		}
		opts = append(opts, client.WithTLSConfig(cfg))
	}
	authOpts, err := d.authOptions(getenv)
	if err != nil {
		return "", nil, err
	}
	return addr, append(opts, authOpts...), nil
}

// address builds HOST:PORT from --server or SMTP_HOST and SMTP_PORT.
func (d *dialFlags) address(getenv func(string) string) (string, int, error) {
	s := d.server
	if s == "" {
		s = getenv("SMTP_HOST")
	}
	if s == "" {
		return "", 0, usagef("no server: give --server HOST:PORT or set SMTP_HOST")
	}
	host, portText, err := net.SplitHostPort(s)
	if err != nil {
		// A host without a port; an IPv6 literal may come bracketed.
		host, portText = strings.Trim(s, "[]"), getenv("SMTP_PORT")
	}
	if portText == "" {
		switch {
		case d.lmtp:
			portText = "24"
		case strings.EqualFold(strings.TrimSpace(d.tls), "implicit"):
			portText = "465"
		default:
			portText = "25"
		}
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, usagef("bad port %q in %q", portText, s)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), port, nil
}

// tlsMode reads --tls, --tls-policy and SMTP_SECURE. SMTP_SECURE follows
// nodemailer: "true" is implicit TLS, "false" is "start in plaintext"
// (STARTTLS still upgrades), see tlsmode's package documentation.
func (d *dialFlags) tlsMode(getenv func(string) string) (tlsmode.Mode, tlsmode.Policy, error) {
	word := d.tls
	if word == "" {
		switch v := strings.ToLower(strings.TrimSpace(getenv("SMTP_SECURE"))); v {
		case "":
		case "true", "1", "yes":
			word = "implicit"
		case "false", "0", "no":
			word = "auto"
		default:
			word = v
		}
	}
	mode, err := parseModeWord(word)
	if err != nil {
		return 0, 0, usagef("--tls: %v", err)
	}
	policy, err := tlsmode.ParsePolicy(d.tlsPolicy)
	if err != nil {
		return 0, 0, usagef("--tls-policy: %v", err)
	}
	return mode, policy, nil
}

// authOptions chooses the SASL mechanisms from --auth, --user and the
// password variable.
func (d *dialFlags) authOptions(getenv func(string) string) ([]client.Option, error) {
	user := d.user
	if user == "" {
		user = getenv("SMTP_USER")
	}
	if user == "" {
		switch {
		case d.mech != "":
			return nil, usagef("--auth %s needs --user (or SMTP_USER)", d.mech)
		case d.passwordEnv != "":
			return nil, usagef("--password-env %s needs --user (or SMTP_USER)", d.passwordEnv)
		}
		return nil, nil
	}
	variable := d.passwordEnv
	if variable == "" {
		variable = "SMTP_PASS"
	}
	pass := getenv(variable)
	if pass == "" {
		return nil, usagef("no password: set the environment variable %s (named by --password-env)", variable)
	}
	var opts []client.Option
	if d.insecureAuth {
		opts = append(opts, client.WithInsecureAuth())
	}
	if d.mech == "" {
		return append(opts, client.WithAuth(user, pass)), nil
	}
	m, err := clientMechanism(d.mech, user, pass)
	if err != nil {
		return nil, err
	}
	return append(opts, client.WithAuthMechanisms(m)), nil
}

// clientMechanism builds the named SASL mechanism (RFC 4954 section 4).
func clientMechanism(name, user, secret string) (auth.ClientMechanism, error) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	switch upper {
	case "PLAIN":
		return auth.PlainClient("", user, secret), nil
	case "LOGIN":
		return auth.LoginClient(user, secret), nil
	case "CRAM-MD5":
		return auth.CRAMMD5Client(user, secret), nil
	case "XOAUTH2":
		return auth.XOAUTH2Client(user, auth.StaticToken(secret)), nil
	case "OAUTHBEARER":
		return auth.OAuthBearerClient(user, auth.StaticToken(secret)), nil
	}
	if h, plus, ok := auth.ParseSCRAMMechanism(upper); ok {
		return auth.SCRAMClient(h, plus, "", user, secret), nil
	}
	return nil, usagef("--auth: unknown mechanism %q (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SCRAM-SHA-1, their -PLUS forms, XOAUTH2, OAUTHBEARER)", name)
}

// loadCA reads a PEM file of CA certificates.
func loadCA(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pemData, err := io.ReadAll(io.LimitReader(f, tlsmode.MaxCertFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(pemData) > tlsmode.MaxCertFileSize {
		return nil, fmt.Errorf("%s: %w", path, tlsmode.ErrCertFileTooLarge)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("%s: no PEM certificate in the file", path)
	}
	return pool, nil
}

// parseModeWord reads a --tls word: the command line's "off" or any word
// of tlsmode.ParseMode.
func parseModeWord(word string) (tlsmode.Mode, error) {
	if strings.EqualFold(strings.TrimSpace(word), "off") {
		return tlsmode.ModeNone, nil
	}
	return tlsmode.ParseMode(word)
}
