package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/conformance"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

var checkCommand = &command{
	name:    "check",
	summary: "run the SMTP conformance suite against a server, a client, or smtpkit itself",
	usage:   "[flags] (--self | HOST:PORT)",
	help: `
Runs the conformance suite and says, case by case with its RFC section and
level (MUST, SHOULD, MAY), what the implementation under test gets wrong.
Each case runs on a connection of its own within a time bound; a failure
carries the C:/S: transcript of its session.

The server suite (the default) plays a client against HOST:PORT, or with
--self against in-process smtpkit servers: SMTP with STARTTLS, AUTH, SIZE,
LIMITS and every other extension the server package implements, and LMTP
for the LMTP cases. Give the addresses the target accepts with
--from and --rcpt, and credentials with --user and --password-env for the
AUTH cases (skipped without them).

The client suite (--suite client) plays a scripted server against a client:
smtpkit's own with --self, or any program run from --client-cmd, a template
whose placeholders are {addr} {host} {port} {helo} {from} {to} {to...}
{user} {message-file} {ca-file} (see the conformance package); "swaks" and
"curl" name built-in templates. Exit status 0 means delivered. The password
of AUTH cases reaches the program as $SMTPKIT_PASSWORD, never as an argument.

Exit status: 1 when a MUST case fails; 3 when the target cannot be reached;
2 for a command-line mistake; 0 otherwise.

examples:
  smtpkit check --self
  smtpkit check 127.0.0.1:2525 --rcpt postmaster@example.org
  smtpkit check mx.example.org:25 --level must --format html --out report.html
  smtpkit check 127.0.0.1:4650 --tls implicit --user alice --password-env PW
  smtpkit check --self --suite client
  smtpkit check --suite client --client-cmd swaks
  smtpkit check --suite client --client-cmd 'curl -sS --url smtp://{addr} --mail-from {from} --mail-rcpt {to...} --upload-file {message-file}'
  smtpkit check --self --only 'rfc3030/*' --format json`,
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		var o checkOptions
		o.register(fs)
		return func(ctx context.Context, args []string) int {
			o.given = map[string]bool{}
			fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
			return o.run(ctx, sio, args)
		}
	},
}

// checkOptions are check's flags.
type checkOptions struct {
	self                  bool
	suite, tls, ca        string
	user, passwordEnv     string
	lmtp                  bool
	level, only           string
	format, out           string
	verbose               bool
	clientCmd             string
	clientTLS, clientAuth string
	helo, from, rcpt      string
	rcpt2                 string
	timeout               time.Duration
	parallel              int
	given                 map[string]bool
}

func (o *checkOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.self, "self", false, "test smtpkit itself: an in-process server (server suite) or smtpkit's client (client suite)")
	fs.StringVar(&o.suite, "suite", "server", "`suite` to run: server or client")
	fs.StringVar(&o.tls, "tls", "starttls", "how the server suite reaches TLS: starttls (when offered) or implicit (RFC 8314, e.g. port 465)")
	fs.StringVar(&o.ca, "ca", "", "PEM `file` of the CA to verify the server's certificate with (default: not verified; the suite tests the protocol)")
	fs.StringVar(&o.user, "user", "", "user `name` the server accepts, for the AUTH cases (env SMTP_USER)")
	fs.StringVar(&o.passwordEnv, "password-env", "", "environment `variable` holding the password (default SMTP_PASS)")
	fs.BoolVar(&o.lmtp, "lmtp", false, "the server speaks LMTP (RFC 2033)")
	fs.StringVar(&o.level, "level", "all", "weakest `level` to run: must, should or all")
	fs.StringVar(&o.only, "only", "", "run only the cases whose ID matches one of these comma-separated `patterns` (globs like 'rfc5321/4.1.4/*' or substrings)")
	fs.StringVar(&o.format, "format", "text", "report `format`: text, json, junit or html")
	fs.StringVar(&o.out, "out", "", "write the report to this `file` (default: standard output)")
	fs.BoolVar(&o.verbose, "verbose", false, "text: print each failure's transcript; other formats: keep every transcript")
	fs.StringVar(&o.clientCmd, "client-cmd", "", "client suite: the `template` of the command that sends a message, or swaks or curl")
	fs.StringVar(&o.clientTLS, "client-tls-cmd", "", "client suite: the `template` for cases that require STARTTLS (default: none; those cases are skipped)")
	fs.StringVar(&o.clientAuth, "client-auth-cmd", "", "client suite: the `template` for cases with AUTH (default: none; those cases are skipped)")
	fs.StringVar(&o.helo, "helo", conformance.DefaultHelo, "`name` the suite gives in EHLO")
	fs.StringVar(&o.from, "from", conformance.DefaultFrom, "sender `address` the server accepts")
	fs.StringVar(&o.rcpt, "rcpt", conformance.DefaultRcpt, "recipient `address` the server accepts")
	fs.StringVar(&o.rcpt2, "rcpt2", conformance.DefaultRcpt2, "a second recipient `address` the server accepts")
	fs.DurationVar(&o.timeout, "timeout", conformance.DefaultTimeout, "time bound of one case")
	fs.IntVar(&o.parallel, "parallel", 1, "cases run at once, each on its own connection (--self: 8 unless given)")
}

// checkTarget is one run of the server suite: the configuration, the name
// in the report and the cases.
type checkTarget struct {
	cfg   conformance.Config
	name  string
	cases []*conformance.Case
}

func (o *checkOptions) run(ctx context.Context, sio *stdio, args []string) int {
	filter, format, err := o.parse(args)
	if err != nil {
		return fail(sio, "check", err, exitUsage)
	}
	var reps []*conformance.Report
	switch o.suite {
	case "server":
		reps, err = o.runServer(ctx, sio, args, filter)
	default:
		reps, err = o.runClient(ctx, sio, filter)
	}
	if err != nil {
		code := exitOffline
		var ue *usageError
		if errors.As(err, &ue) {
			code = exitUsage
		}
		return fail(sio, "check", err, code)
	}
	if err := o.write(sio, format, reps); err != nil {
		return fail(sio, "check", err, exitOffline)
	}
	for _, r := range reps {
		if r.Failed(conformance.Must) {
			return exitFailed
		}
	}
	return exitOK
}

// parse checks the flags and arguments together.
func (o *checkOptions) parse(args []string) (conformance.Filter, conformance.Format, error) {
	var f conformance.Filter
	level, err := conformance.ParseLevel(o.level)
	if err != nil {
		return f, 0, usagef("--level: %q is not must, should or all", o.level)
	}
	format, err := conformance.ParseFormat(o.format)
	if err != nil {
		return f, 0, usagef("--format: %q is not text, json, junit or html", o.format)
	}
	f = conformance.Filter{Level: level, Only: o.only}
	switch o.suite {
	case "server":
		switch {
		case o.self && len(args) > 0:
			return f, 0, usagef("give --self or HOST:PORT, not both")
		case !o.self && len(args) != 1:
			return f, 0, usagef("give the server's HOST:PORT, or --self")
		case o.clientCmd != "":
			return f, 0, usagef("--client-cmd is for --suite client")
		}
		if o.tls != "starttls" && o.tls != "implicit" {
			return f, 0, usagef("--tls: %q is not starttls or implicit", o.tls)
		}
	case "client":
		switch {
		case len(args) > 0:
			return f, 0, usagef("the client suite takes no address: it listens on 127.0.0.1 itself")
		case o.self == (o.clientCmd != ""):
			return f, 0, usagef("give --self (smtpkit's client) or --client-cmd TEMPLATE, one of them")
		case o.lmtp:
			return f, 0, usagef("--lmtp is for the server suite")
		}
	default:
		return f, 0, usagef("--suite: %q is not server or client", o.suite)
	}
	if o.parallel < 1 {
		return f, 0, usagef("--parallel must be at least 1")
	}
	return f, format, nil
}

// config is the suite configuration the flags give.
func (o *checkOptions) config() conformance.Config {
	cfg := conformance.Config{
		Helo: o.helo, From: o.from, Rcpt: o.rcpt, Rcpt2: o.rcpt2,
		Timeout: o.timeout, Parallel: o.parallel, LMTP: o.lmtp,
		ImplicitTLS: o.tls == "implicit",
	}
	if o.self && !o.given["parallel"] {
		cfg.Parallel = 8
	}
	return cfg
}

// runServer runs the server suite against HOST:PORT or, under --self,
// against in-process smtpkit servers.
func (o *checkOptions) runServer(ctx context.Context, sio *stdio, args []string, filter conformance.Filter) ([]*conformance.Report, error) {
	cases := filter.Select(conformance.ServerCases())
	var targets []checkTarget
	if o.self {
		var err error
		if targets, err = o.selfTargets(ctx, cases); err != nil {
			return nil, err
		}
	} else {
		cfg := o.config()
		cfg.Addr = args[0]
		if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
			return nil, usagef("%q is not HOST:PORT", cfg.Addr)
		}
		if err := o.credentials(sio, &cfg); err != nil {
			return nil, err
		}
		if o.ca != "" {
			pool, err := loadCA(o.ca)
			if err != nil {
				return nil, err
			}
			host, _, _ := net.SplitHostPort(cfg.Addr)
			cfg.TLSConfig = &tls.Config{RootCAs: pool, ServerName: host}
		}
		targets = []checkTarget{{cfg: cfg, name: cfg.Addr, cases: cases}}
	}
	var reps []*conformance.Report
	for _, t := range targets {
		rep, err := conformance.RunServer(ctx, t.cfg, t.cases)
		if err != nil {
			return nil, err
		}
		rep.Target = t.name
		reps = append(reps, rep)
	}
	return reps, nil
}

// credentials reads --user and the password variable.
func (o *checkOptions) credentials(sio *stdio, cfg *conformance.Config) error {
	user := o.user
	if user == "" {
		user = sio.getenv("SMTP_USER")
	}
	variable := o.passwordEnv
	if variable == "" {
		variable = "SMTP_PASS"
	}
	switch {
	case user == "" && o.passwordEnv != "":
		return usagef("--password-env %s needs --user (or SMTP_USER)", o.passwordEnv)
	case user == "":
		return nil
	}
	pass := sio.getenv(variable)
	if pass == "" {
		return usagef("no password for %s: set the environment variable %s (named by --password-env)", user, variable)
	}
	cfg.Username, cfg.Password = user, pass
	return nil
}

// selfTargets starts the in-process servers of --self: SMTP with STARTTLS
// (a test CA), AUTH for a random user and a SIZE limit, for every case
// but the LMTP ones; LMTP, for those. They stop when ctx ends.
func (o *checkOptions) selfTargets(ctx context.Context, cases []*conformance.Case) ([]checkTarget, error) {
	var smtp, lmtp []*conformance.Case
	for _, c := range cases {
		if c.Needs.Protocol == conformance.LMTPOnly {
			lmtp = append(lmtp, c)
		} else {
			smtp = append(smtp, c)
		}
	}
	secret := make([]byte, 12)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	user, pass := "conformance", hex.EncodeToString(secret)
	var targets []checkTarget
	for _, t := range []struct {
		lmtp  bool
		cases []*conformance.Case
	}{{false, smtp}, {true, lmtp}} {
		if len(t.cases) == 0 {
			continue
		}
		addr, err := startSelf(ctx, t.lmtp, user+":"+pass)
		if err != nil {
			return nil, err
		}
		cfg := o.config()
		cfg.Addr, cfg.LMTP, cfg.ImplicitTLS = addr, t.lmtp, false
		cfg.Username, cfg.Password = user, pass
		name := "smtpkit serve (in process, SMTP, STARTTLS, AUTH) " + addr
		if t.lmtp {
			name = "smtpkit serve --lmtp (in process) " + addr
		}
		targets = append(targets, checkTarget{cfg: cfg, name: name, cases: t.cases})
	}
	return targets, nil
}

// Limits of the --self server, so that the SIZE (RFC 1870) and LIMITS
// (RFC 9422) cases have limits to test; 100 recipients is the least RFC
// 5321 section 4.5.3.1.8 allows.
const (
	selfMaxSize         = 10 << 20
	selfMaxRecipients   = 100
	selfMaxTransactions = 20
)

// startSelf starts an in-process "smtpkit serve --discard" on a free
// loopback port, with the user given, and closes it when ctx ends.
func startSelf(ctx context.Context, lmtp bool, user string) (string, error) {
	o := serveOptions{
		listen: "127.0.0.1:0", discard: true, hostname: "smtpkit.self.test",
		tls: "starttls", users: stringList{user}, lmtp: lmtp,
		maxSize: selfMaxSize, bareLF: "reject", logFormat: "text",
		limits: defaultServeLimits(),
	}
	quiet := &stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard, getenv: os.Getenv}
	srv, _, _, err := o.build(quiet)
	if err != nil {
		return "", err
	}
	// Every extension the server package implements, so that their cases
	// run: MT-PRIORITY (RFC 6710), DELIVERBY (RFC 2852), FUTURERELEASE
	// (RFC 4865), REQUIRETLS (RFC 8689) and LIMITS (RFC 9422).
	srv.Extensions = state.DefaultExtensions.With(wire.ExtMTPRIORITY).With(wire.ExtDELIVERBY).
		With(wire.ExtFUTURERELEASE).With(wire.ExtREQUIRETLS).With(wire.ExtLIMITS)
	srv.MaxTransactions = selfMaxTransactions
	bare := srv.Configure
	srv.Configure = func(c *state.ServerConfig) {
		bare(c)
		c.MTPriority = "MIXER"
		c.DeliverByMin = time.Minute
		c.FutureReleaseMax = 24 * time.Hour
		c.Limits.RcptMax = selfMaxRecipients
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return "", err
	}
	go srv.Serve(l) //nolint:errcheck // ends with ErrServerClosed when ctx ends
	context.AfterFunc(ctx, func() { srv.Close() })
	return l.Addr().String(), nil
}

// runClient runs the client suite against smtpkit's client (--self) or a
// command.
func (o *checkOptions) runClient(ctx context.Context, sio *stdio, filter conformance.Filter) ([]*conformance.Report, error) {
	var cut conformance.ClientUnderTest = conformance.SmtpkitClient{}
	if !o.self {
		cmd := conformance.CommandClient{Template: o.clientCmd, TLSTemplate: o.clientTLS, AuthTemplate: o.clientAuth}
		switch strings.ToLower(strings.TrimSpace(o.clientCmd)) {
		case "swaks":
			cmd = conformance.SwaksClient()
		case "curl":
			cmd = conformance.CurlClient()
		}
		if err := cmd.Validate(); err != nil {
			return nil, usagef("--client-cmd: %v", err)
		}
		cut = cmd
	}
	cfg := o.config()
	cfg.ImplicitTLS = false
	rep, err := conformance.RunClient(ctx, cfg, cut, filter.Select(conformance.ClientCases()))
	if err != nil {
		return nil, err
	}
	return []*conformance.Report{rep}, nil
}

// write writes the reports to --out or standard output.
func (o *checkOptions) write(sio *stdio, format conformance.Format, reps []*conformance.Report) error {
	opts := conformance.ReportOptions{Format: format, Verbose: o.verbose}
	if o.out == "" {
		return opts.Write(sio.out, reps...)
	}
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	if err := opts.Write(f, reps...); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	pass, failed, skip := 0, 0, 0
	for _, r := range reps {
		p, f, s := r.Counts()
		pass, failed, skip = pass+p, failed+f, skip+s
	}
	fmt.Fprintf(sio.err, "smtpkit check: %d passed, %d failed, %d skipped; report in %s\n", pass, failed, skip, o.out)
	return nil
}
