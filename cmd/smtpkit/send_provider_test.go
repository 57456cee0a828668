package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupProvider(t *testing.T) {
	for _, tc := range []struct {
		spec, host         string
		port, implicitPort int
		user               string
	}{
		{"gmail", "smtp.gmail.com", 587, 465, ""},
		{"GMail", "smtp.gmail.com", 587, 465, ""},
		{"google-workspace", "smtp-relay.gmail.com", 587, 0, ""},
		{"office365", "smtp.office365.com", 587, 0, ""},
		{"sendgrid", "smtp.sendgrid.net", 587, 465, "apikey"},
		{"mailgun", "smtp.mailgun.org", 587, 465, ""},
		{"mailgun:us", "smtp.mailgun.org", 587, 465, ""},
		{"mailgun:EU", "smtp.eu.mailgun.org", 587, 465, ""},
		{"ses:eu-west-1", "email-smtp.eu-west-1.amazonaws.com", 587, 465, ""},
		{"ses:us-gov-west-1", "email-smtp.us-gov-west-1.amazonaws.com", 587, 465, ""},
		{" ses:ap-southeast-2 ", "email-smtp.ap-southeast-2.amazonaws.com", 587, 465, ""},
		{"zeptomail", "smtp.zeptomail.com", 587, 465, "emailapikey"},
	} {
		p, err := lookupProvider(tc.spec)
		require.NoError(t, err, tc.spec)
		assert.Equal(t, tc.host, p.host, tc.spec)
		assert.Equal(t, tc.port, p.port, tc.spec)
		assert.Equal(t, tc.implicitPort, p.implicitPort, tc.spec)
		assert.Equal(t, tc.user, p.user, tc.spec)
		assert.NotEmpty(t, p.notes, tc.spec)
	}
}

func TestLookupProviderErrors(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"hotmail", `unknown provider "hotmail"`},
		{"", "unknown provider"},
		{"ses", "ses needs a region: --provider ses:REGION"},
		{"ses:", "needs a region"},
		{"ses:mars", `"mars" is not an AWS region name`},
		{"ses:eu-west", "is not an AWS region name"},
		{"ses:eu_west_1", "is not an AWS region name"},
		{"ses:eu-west-1.evil.example", "is not an AWS region name"},
		{"gmail:eu", "gmail takes no region"},
		{"mailgun:", "empty region"},
		{"mailgun:asia", `mailgun region "asia" is not us or eu`},
	} {
		_, err := lookupProvider(tc.spec)
		var ue *usageError
		require.ErrorAs(t, err, &ue, tc.spec)
		assert.Contains(t, err.Error(), tc.want, tc.spec)
	}
	_, err := lookupProvider("nope")
	for _, p := range providers {
		assert.Contains(t, err.Error(), p.name, "the error lists the known providers")
	}
}

// TestProviderApply is the resolution table: what the provider fills in,
// and what the command line and the environment keep.
func TestProviderApply(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     string
		d        dialFlags
		env      map[string]string
		server   string
		tls      string
		user     string
		errMatch string
	}{
		{name: "gmail fills server and STARTTLS", spec: "gmail", d: dialFlags{user: "me@gmail.com"},
			server: "smtp.gmail.com:587", tls: "starttls", user: "me@gmail.com"},
		{name: "user from the environment", spec: "gmail", env: map[string]string{"SMTP_USER": "me@gmail.com"},
			server: "smtp.gmail.com:587", tls: "starttls"},
		{name: "implicit TLS picks 465", spec: "gmail", d: dialFlags{user: "u", tls: "implicit"},
			server: "smtp.gmail.com:465", tls: "implicit", user: "u"},
		{name: "ssl is implicit too", spec: "sendgrid", d: dialFlags{tls: "ssl"},
			server: "smtp.sendgrid.net:465", tls: "ssl", user: "apikey"},
		{name: "explicit --server wins", spec: "gmail", d: dialFlags{user: "u", server: "127.0.0.1:2525"},
			server: "127.0.0.1:2525", user: "u"},
		{name: "explicit --tls off is kept", spec: "office365", d: dialFlags{user: "u", tls: "off"},
			server: "smtp.office365.com:587", tls: "off", user: "u"},
		{name: "provider wins over SMTP_HOST and SMTP_SECURE", spec: "zeptomail",
			env:    map[string]string{"SMTP_HOST": "other.example:25", "SMTP_SECURE": "true"},
			server: "smtp.zeptomail.com:587", tls: "starttls", user: "emailapikey"},
		{name: "sendgrid user apikey", spec: "sendgrid",
			server: "smtp.sendgrid.net:587", tls: "starttls", user: "apikey"},
		{name: "--user wins over the provider's user", spec: "sendgrid", d: dialFlags{user: "other"},
			server: "smtp.sendgrid.net:587", tls: "starttls", user: "other"},
		{name: "SMTP_USER wins over the provider's user", spec: "sendgrid", env: map[string]string{"SMTP_USER": "other"},
			server: "smtp.sendgrid.net:587", tls: "starttls"},
		{name: "ses region", spec: "ses:eu-central-1", d: dialFlags{user: "AKIA"},
			server: "email-smtp.eu-central-1.amazonaws.com:587", tls: "starttls", user: "AKIA"},
		{name: "mailgun eu", spec: "mailgun:eu", d: dialFlags{user: "postmaster@mg.example.com"},
			server: "smtp.eu.mailgun.org:587", tls: "starttls", user: "postmaster@mg.example.com"},
		{name: "workspace relay without AUTH", spec: "google-workspace",
			server: "smtp-relay.gmail.com:587", tls: "starttls"},
		{name: "gmail needs a user", spec: "gmail", errMatch: "authentication is required"},
		{name: "office365 has no implicit port", spec: "office365", d: dialFlags{user: "u", tls: "implicit"},
			errMatch: "no implicit TLS port"},
		{name: "bad --tls", spec: "gmail", d: dialFlags{user: "u", tls: "tls"}, errMatch: "--tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := lookupProvider(tc.spec)
			require.NoError(t, err)
			d := tc.d
			err = p.apply(&d, envMap(tc.env))
			if tc.errMatch != "" {
				var ue *usageError
				require.ErrorAs(t, err, &ue)
				assert.Contains(t, err.Error(), tc.errMatch)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.server, d.server)
			assert.Equal(t, tc.tls, d.tls)
			assert.Equal(t, tc.user, d.user)
		})
	}
}

// TestProviderOptions checks that every provider's settings pass the
// client's TLS rules (tlsmode.Resolve) and give the expected address.
func TestProviderOptions(t *testing.T) {
	env := envMap(map[string]string{"SMTP_USER": "user@example.com", "SMTP_PASS": "pw"})
	for _, spec := range []string{"gmail", "google-workspace", "office365", "sendgrid", "mailgun", "mailgun:eu", "ses:us-east-1", "zeptomail"} {
		for _, mode := range []string{"", "implicit"} {
			p, err := lookupProvider(spec)
			require.NoError(t, err)
			d := dialFlags{tls: mode}
			if err := p.apply(&d, env); err != nil {
				require.Equal(t, "implicit", mode, "%s: %v", spec, err)
				require.Zero(t, p.implicitPort, spec)
				continue
			}
			addr, opts, err := d.options(env)
			require.NoError(t, err, "%s %s", spec, mode)
			assert.NotEmpty(t, opts)
			want := p.port
			if mode == "implicit" {
				want = p.implicitPort
			}
			assert.Equal(t, p.host+":"+strconv.Itoa(want), addr)
		}
	}
}

func TestProviderHelpListsEveryProvider(t *testing.T) {
	help := providerHelp()
	flat := strings.Join(strings.Fields(help), " ")
	for _, p := range providers {
		assert.Contains(t, "\n"+help, "\n  "+p.name)
		assert.Contains(t, help, p.host+":"+strconv.Itoa(p.port))
		assert.Contains(t, flat, p.notes)
	}
	for _, l := range strings.Split(help, "\n") {
		assert.LessOrEqual(t, len(l), 78, l)
	}
	assert.Contains(t, help, "  ses:REGION       email-smtp.REGION.amazonaws.com:587 STARTTLS, 465 implicit\n")
	assert.Contains(t, help, "  office365        smtp.office365.com:587 STARTTLS\n")
	assert.Contains(t, help, "mailgun[:REGION]")
	assert.Contains(t, providerNames(), "ses:REGION")
}
