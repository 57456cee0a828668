package peers

// Postfix's configuration: main.cf, master.cf, the certificate and the
// Cyrus SASL files of a PostfixServer.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// PostfixOptions says how Postfix's smtpd is configured. The zero value
// offers PIPELINING, SIZE, VRFY, ETRN, STARTTLS, ENHANCEDSTATUSCODES,
// 8BITMIME, DSN, SMTPUTF8 and CHUNKING, and no AUTH.
//
// Postfix has no LMTP server (its lmtp(8) is a client), so there is no
// LMTP variant.
type PostfixOptions struct {
	// TLS is smtpd_tls_security_level: "may" (the default when empty:
	// STARTTLS is offered), "encrypt" (STARTTLS is required before mail
	// is accepted, and AUTH is offered only after it) or "none" (no
	// STARTTLS).
	TLS string
	// ImplicitTLS makes the port an implicit-TLS port (RFC 8314, as on
	// 465: smtpd_tls_wrappermode), on which TLS starts on connect. TLS
	// must then be empty or "encrypt".
	ImplicitTLS bool
	// CA issues the server certificate, for the names "localhost" and
	// "127.0.0.1" (nil: a new tlsmode.NewTestCA).
	CA *tlsmode.TestCA
	// Users are SASL accounts, name to password. When there are any,
	// Postfix offers AUTH with Mechanisms through Cyrus SASL with a sasldb
	// of these users (this needs saslpasswd2 from sasl2-bin, and the
	// plugins of libsasl2-modules). A name without "@" is in the realm
	// PostfixHostname.
	Users map[string]string
	// Mechanisms are the SASL mechanisms offered with Users, in order
	// (nil: PostfixMechanisms). Cyrus SASL has others, such as
	// DIGEST-MD5 and SCRAM-SHA-512.
	Mechanisms []string
	// Main are main.cf parameters that replace or add to the ones set
	// here, such as "smtpd_tls_auth_only": "yes", or
	// "smtpd_relay_restrictions": "permit_sasl_authenticated,
	// reject_unauth_destination" with "relay_domains": "" to refuse relaying
	// to clients that have not authenticated.
	Main map[string]string
	// Master are lines added at the end of master.cf, such as the smtp(8)
	// client ("smtp unix - - n - - smtp") with Main's "default_transport"
	// set to "smtp", or the pickup(8) service ("pickup unix n - n 60 1
	// pickup") for sendmail(1). Empty: none, and nothing can leave.
	Master string
}

// validate checks o and returns the TLS level it means.
func (o *PostfixOptions) validate() (level string, err error) {
	level = o.TLS
	switch level {
	case "":
		level = "may"
		if o.ImplicitTLS {
			level = "encrypt"
		}
	case "may", "encrypt", "none":
	default:
		return "", fmt.Errorf("TLS is %q; want \"may\", \"encrypt\" or \"none\"", o.TLS)
	}
	if o.ImplicitTLS && level != "encrypt" {
		return "", fmt.Errorf("ImplicitTLS with TLS %q; want \"encrypt\" or empty", o.TLS)
	}
	for name, pass := range o.Users {
		local, realm := splitUser(name)
		if local == "" || realm == "" || strings.ContainsAny(name, " \t\r\n\x00:") {
			return "", fmt.Errorf("user %q: not a user name", name)
		}
		if pass == "" || strings.ContainsAny(pass, "\r\n\x00") {
			return "", fmt.Errorf("user %q: the password is empty or has CR, LF or NUL", name)
		}
	}
	for _, m := range o.Mechanisms {
		if m == "" || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return "", fmt.Errorf("mechanism %q: not an upper-case SASL mechanism name", m)
		}
	}
	for k, v := range o.Main {
		if k == "" || strings.ContainsAny(k, " \t\r\n=#") || strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("main.cf parameter %q = %q: bad name or value", k, v)
		}
	}
	return level, nil
}

// mechanisms returns o.Mechanisms, or PostfixMechanisms.
func (o *PostfixOptions) mechanisms() []string {
	if len(o.Mechanisms) > 0 {
		return o.Mechanisms
	}
	return PostfixMechanisms
}

// splitUser splits a SASL user name into the user and the realm.
func splitUser(name string) (local, realm string) {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i], name[i+1:]
	}
	return name, PostfixHostname
}

// writeConfig writes main.cf, the certificate and the SASL files.
func (p *PostfixServer) writeConfig(opts PostfixOptions, level string, owner *user.User, saslpasswd string) error {
	etc := p.ConfigDir
	for _, dir := range []string{etc, filepath.Join(p.base, "spool")} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
	}
	main := [][2]string{
		{"compatibility_level", compatibilityLevel(p.Version)},
		{"queue_directory", filepath.Join(p.base, "spool")},
		{"data_directory", filepath.Join(p.base, "data")},
		{"maillog_file", p.maillog},
		{"maillog_file_prefixes", p.base},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"myhostname", PostfixHostname},
		{"mydomain", "postfix.test"},
		{"myorigin", "$myhostname"},
		{"mydestination", "$myhostname, localhost"},
		{"mynetworks", "127.0.0.0/8"},
		{"relay_domains", strings.Join(PostfixRelayDomains, ", ")},
		{"smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"},
		// Every message, bounces included, is thrown away.
		{"default_transport", "discard"},
		{"relay_transport", "discard"},
		{"local_transport", "discard"},
		{"virtual_transport", "discard"},
		{"alias_maps", ""},
		{"alias_database", ""},
		{"local_recipient_maps", ""},
		// No DNS: no client name lookup, no MX lookups.
		{"disable_dns_lookups", "yes"},
		{"smtp_dns_support_level", "disabled"},
		{"lmtp_dns_support_level", "disabled"},
		{"smtpd_peername_lookup", "no"},
		{"biff", "no"},
		{"append_dot_mydomain", "no"},
		{"message_size_limit", strconv.Itoa(PostfixMessageSizeLimit)},
		{"smtputf8_enable", "yes"},
		{"smtpd_tls_security_level", level},
		{"smtpd_tls_loglevel", "1"},
	}
	if level != "none" {
		cert, err := p.CA.IssueServer("localhost", "127.0.0.1")
		if err != nil {
			return err
		}
		certFile, keyFile := filepath.Join(etc, "cert.pem"), filepath.Join(etc, "key.pem")
		// smtpd reads the key as root, before it drops privileges.
		if err := tlsmode.WritePEM(cert, certFile, keyFile); err != nil {
			return err
		}
		main = append(main, [2]string{"smtpd_tls_cert_file", certFile}, [2]string{"smtpd_tls_key_file", keyFile})
	}
	if len(opts.Users) > 0 {
		if err := p.writeSASL(opts.Users, opts.mechanisms(), owner, saslpasswd); err != nil {
			return err
		}
		main = append(main,
			[2]string{"smtpd_sasl_auth_enable", "yes"},
			[2]string{"smtpd_sasl_type", "cyrus"},
			[2]string{"smtpd_sasl_path", "smtpd"},
			[2]string{"cyrus_sasl_config_path", filepath.Join(etc, "sasl")},
			[2]string{"smtpd_sasl_local_domain", PostfixHostname},
		)
	}
	extra := make([]string, 0, len(opts.Main))
	for k := range opts.Main {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	for _, k := range extra {
		replaced := false
		for i := range main {
			if main[i][0] == k {
				main[i][1], replaced = opts.Main[k], true
			}
		}
		if !replaced {
			main = append(main, [2]string{k, opts.Main[k]})
		}
	}
	var b strings.Builder
	b.WriteString("# Written by smtpkit's internal/peers for one test.\n")
	for _, kv := range main {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	return os.WriteFile(filepath.Join(etc, "main.cf"), []byte(b.String()), 0o644)
}

// writeSASL writes a Cyrus SASL smtpd.conf and a sasldb with users that
// only mail_owner (smtpd's user) can read.
func (p *PostfixServer) writeSASL(users map[string]string, mechs []string, owner *user.User, saslpasswd string) error {
	dir := filepath.Join(p.ConfigDir, "sasl")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	db := filepath.Join(dir, "sasldb2")
	conf := "pwcheck_method: auxprop\n" +
		"auxprop_plugin: sasldb\n" +
		"sasldb_path: " + db + "\n" +
		"mech_list: " + strings.Join(mechs, " ") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "smtpd.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	names := make([]string, 0, len(users))
	for name := range users {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		local, realm := splitUser(name)
		ctx, cancel := context.WithTimeout(context.Background(), postfixCmdTimeout)
		cmd := exec.CommandContext(ctx, saslpasswd, "-p", "-c", "-f", db, "-u", realm, local)
		cmd.Stdin = strings.NewReader(users[name])
		cmd.WaitDelay = time.Second
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("saslpasswd2 %s: %v\n%s", name, err, out)
		}
	}
	uid, err1 := strconv.Atoi(owner.Uid)
	gid, err2 := strconv.Atoi(owner.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("mail_owner %s: %w", owner.Username, err)
	}
	if err := os.Chown(db, uid, gid); err != nil {
		return err
	}
	return os.Chmod(db, 0o600)
}

// writeMasterCf writes master.cf with smtpd on p.Addr and the daemons it
// needs, none of them chrooted, and the extra lines (PostfixOptions.Master).
// Without extra lines there is no smtp(8) or local(8): no message can leave
// by them.
func (p *PostfixServer) writeMasterCf(implicitTLS bool, extra string) error {
	smtpd := p.Addr + " inet n - n - - smtpd"
	if implicitTLS {
		smtpd += "\n  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt"
	}
	conf := "# Written by smtpkit's internal/peers for one test.\n" + smtpd + `
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
proxywrite unix - - n -     1 proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`
	if extra != "" {
		conf += strings.TrimRight(extra, "\n") + "\n"
	}
	return os.WriteFile(filepath.Join(p.ConfigDir, "master.cf"), []byte(conf), 0o644)
}
