package main

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// provider is a mail service whose submission settings --provider fills in:
// its host, its STARTTLS submission port (RFC 6409 section 3.1, port 587)
// and, where it has one, its implicit TLS port (RFC 8314 section 3.3, port
// 465). The table is read only; lookupProvider returns a copy with the
// region resolved.
type provider struct {
	name string
	// host is the server's name; for a provider with regions, the default
	// region's, or the pattern help shows when the region is required.
	host string
	// port is the STARTTLS submission port; implicitPort the implicit TLS
	// port, 0 when the provider has none.
	port, implicitPort int
	// user is the fixed login name the provider documents (SendGrid's
	// "apikey"), used when neither --user nor SMTP_USER is set.
	user string
	// auth reports that the provider always wants SMTP AUTH (RFC 4954);
	// false where it can also authorise by the client's IP address.
	auth bool
	// region says whether NAME:REGION is refused, optional or required.
	region regionRule
	// regionHost builds the host name for a region ("" when optional and
	// absent); nil for providers without regions.
	regionHost func(region string) (string, error)
	// notes is the one-line advice of the provider table (help, README).
	notes string
}

// regionRule says whether a provider takes a region after a colon.
type regionRule uint8

const (
	regionNone regionRule = iota
	regionOptional
	regionRequired
)

// providers is the table behind --provider, in the order help lists it.
// Hosts, ports and login names follow each provider's own documentation:
// Google's Gmail and SMTP relay service help pages, Microsoft Learn's "How
// to set up a multifunction device or application to send email using
// Microsoft 365", Twilio SendGrid's "Integrating with the SMTP API",
// Mailgun's "Send via SMTP", the Amazon SES guide's "Connecting to an
// Amazon SES SMTP endpoint" and Zoho ZeptoMail's "Email sending with SMTP".
var providers = []provider{
	{name: "gmail", host: "smtp.gmail.com", port: 587, implicitPort: 465, auth: true,
		notes: "user: the full Gmail address; password: an app password (2-Step Verification on) or, with --auth XOAUTH2, an OAuth token"},
	{name: "google-workspace", host: "smtp-relay.gmail.com", port: 587,
		notes: "SMTP relay service; the admin console allows the client by IP address or by SMTP AUTH with a Workspace account"},
	{name: "office365", host: "smtp.office365.com", port: 587, auth: true,
		notes: "SMTP AUTH client submission must be enabled for the mailbox; Microsoft is retiring basic authentication (use --auth XOAUTH2 with a token)"},
	{name: "sendgrid", host: "smtp.sendgrid.net", port: 587, implicitPort: 465, user: "apikey", auth: true,
		notes: `user: the literal "apikey" (the default); password: the API key`},
	{name: "mailgun", host: "smtp.mailgun.org", port: 587, implicitPort: 465, auth: true,
		region: regionOptional, regionHost: mailgunHost,
		notes: "mailgun:eu for the EU region (smtp.eu.mailgun.org); user and password: the domain's SMTP credentials"},
	{name: "ses", host: "email-smtp.REGION.amazonaws.com", port: 587, implicitPort: 465, auth: true,
		region: regionRequired, regionHost: sesHost,
		notes: "ses:eu-west-1 for Europe (Ireland); user and password: the SES SMTP credentials of that region, not the AWS access key"},
	{name: "zeptomail", host: "smtp.zeptomail.com", port: 587, implicitPort: 465, user: "emailapikey", auth: true,
		notes: `user: "emailapikey" (the default); password: the Mail Agent's SMTP password (send mail token)`},
}

// lookupProvider resolves a --provider value: NAME, or NAME:REGION for the
// providers that have regions. Mistakes are *usageError values.
func lookupProvider(spec string) (provider, error) {
	name, region, hasRegion := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.ToLower(name)
	var p provider
	found := false
	for _, q := range providers {
		if q.name == name {
			p, found = q, true
			break
		}
	}
	if !found {
		return provider{}, usagef("--provider: unknown provider %q (%s)", name, providerNames())
	}
	region = strings.ToLower(strings.TrimSpace(region))
	switch {
	case p.region == regionNone && hasRegion:
		return provider{}, usagef("--provider: %s takes no region (%q)", p.name, spec)
	case p.region == regionRequired && region == "":
		return provider{}, usagef("--provider: %s needs a region: --provider %s:REGION, such as %s:eu-west-1", p.name, p.name, p.name)
	case hasRegion && region == "":
		return provider{}, usagef("--provider: empty region after %q", p.name+":")
	}
	if p.regionHost != nil && region != "" {
		host, err := p.regionHost(region)
		if err != nil {
			return provider{}, err
		}
		p.host = host
	}
	return p, nil
}

// providerNames lists the names for messages and help.
func providerNames() string {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.name
		if p.region == regionRequired {
			names[i] += ":REGION"
		}
	}
	return strings.Join(names, ", ")
}

// mailgunHost returns Mailgun's host for a region: us (the default) or eu;
// the two regions are separate systems with separate credentials.
func mailgunHost(region string) (string, error) {
	switch region {
	case "us":
		return "smtp.mailgun.org", nil
	case "eu":
		return "smtp.eu.mailgun.org", nil
	}
	return "", usagef("--provider: mailgun region %q is not us or eu", region)
}

// awsRegion is the shape of an AWS region name: a two-letter area, one or
// more words, and a number (eu-west-1, us-gov-west-1, ap-southeast-2).
var awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// sesHost returns the Amazon SES SMTP endpoint of a region. Only the shape
// of the name is checked, so regions opened later work too; a region
// without SES fails when its host name does not resolve.
func sesHost(region string) (string, error) {
	if !awsRegion.MatchString(region) {
		return "", usagef("--provider: %q is not an AWS region name (such as eu-west-1 or us-east-1)", region)
	}
	return "email-smtp." + region + ".amazonaws.com", nil
}

// apply puts the provider's settings into d where the command line left
// them empty: flags win over the provider (an explicit --server or --tls),
// and the provider, a flag itself, wins over SMTP_HOST, SMTP_PORT and
// SMTP_SECURE. With --server given, only the login name comes from the
// provider. It reports a provider that needs AUTH and has no user as a
// *usageError.
func (p provider) apply(d *dialFlags, getenv func(string) string) error {
	if d.user == "" && getenv("SMTP_USER") == "" {
		d.user = p.user
	}
	if p.auth && d.user == "" && getenv("SMTP_USER") == "" {
		return usagef("--provider %s: authentication is required: give --user (or SMTP_USER) and the password in SMTP_PASS (or the variable --password-env names)", p.name)
	}
	if d.server != "" {
		return nil
	}
	mode := tlsmode.ModeSTARTTLS
	if d.tls != "" {
		m, err := parseModeWord(d.tls)
		if err != nil {
			return usagef("--tls: %v", err)
		}
		mode = m
	}
	port := p.port
	if mode == tlsmode.ModeImplicit {
		if p.implicitPort == 0 {
			return usagef("--provider %s: no implicit TLS port; use --tls starttls (port %d)", p.name, p.port)
		}
		port = p.implicitPort
	}
	d.server = net.JoinHostPort(p.host, strconv.Itoa(port))
	if d.tls == "" {
		d.tls = "starttls"
	}
	return nil
}

// providerHelp lists the providers for the help text: name, host, ports,
// and the notes wrapped under them.
func providerHelp() string {
	var b strings.Builder
	for _, p := range providers {
		name := p.name
		switch p.region {
		case regionRequired:
			name += ":REGION"
		case regionOptional:
			name += "[:REGION]"
		}
		ports := "STARTTLS"
		if p.implicitPort != 0 {
			ports += ", " + strconv.Itoa(p.implicitPort) + " implicit"
		}
		fmt.Fprintf(&b, "  %-16s %s:%d %s\n", name, p.host, p.port, ports)
		line := "     "
		for _, w := range strings.Fields(p.notes) {
			if len(line)+1+len(w) > 78 {
				b.WriteString(line + "\n")
				line = "     "
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
