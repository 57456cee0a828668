package conformance

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// The credentials of the test servers.
const (
	tlsAuthUser     = "alice"
	tlsAuthPassword = "correct horse battery"
)

// tlsAuthUsers is the password table of the test servers: PLAIN and LOGIN
// check it, CRAM-MD5 reads the secret from it.
type tlsAuthUsers map[string]string

func (u tlsAuthUsers) CheckPassword(_ context.Context, authzid, username, password string) error {
	if p, ok := u[username]; !ok || p != password || (authzid != "" && authzid != username) {
		return auth.ErrInvalidCredentials
	}
	return nil
}

func (u tlsAuthUsers) Secret(_ context.Context, username string) ([]byte, error) {
	if p, ok := u[username]; ok {
		return []byte(p), nil
	}
	return nil, auth.ErrInvalidCredentials
}

// tlsAuthSCRAM serves SCRAM credentials derived once per test server.
type tlsAuthSCRAM map[auth.SCRAMHash]auth.SCRAMCredentials

func (m tlsAuthSCRAM) SCRAMCredentials(_ context.Context, h auth.SCRAMHash, username string) (auth.SCRAMCredentials, error) {
	if c, ok := m[h]; ok && username == tlsAuthUser {
		return c, nil
	}
	return auth.SCRAMCredentials{}, auth.ErrInvalidCredentials
}

// tlsAuthRegistry offers every mechanism the suite runs, as
// cmd/smtpkit/serve_store.go does: SCRAM-SHA-256 and SCRAM-SHA-1 with
// their -PLUS forms, CRAM-MD5, PLAIN and LOGIN (the last two only under
// TLS).
func tlsAuthRegistry(t *testing.T) *auth.Registry {
	t.Helper()
	users := tlsAuthUsers{tlsAuthUser: tlsAuthPassword}
	scram := tlsAuthSCRAM{}
	for _, h := range []auth.SCRAMHash{auth.SCRAMSHA1, auth.SCRAMSHA256} {
		c, err := auth.NewSCRAMCredentials(h, tlsAuthPassword, 0)
		require.NoError(t, err)
		scram[h] = c
	}
	reg := &auth.Registry{}
	for _, h := range []auth.SCRAMHash{auth.SCRAMSHA256, auth.SCRAMSHA1} {
		reg.Register(auth.SCRAMServer(h, true, scram))
		reg.Register(auth.SCRAMServer(h, false, scram))
	}
	reg.Register(auth.CRAMMD5Server(users, "mx.test"))
	reg.Register(auth.PlainServer(users))
	reg.Register(auth.LoginServer(users))
	return reg
}

// tlsAuthTarget says how a test server is set up.
type tlsAuthTarget struct {
	tls, implicit, auth, credentials bool
}

// tlsAuthServer starts smtpkit's server as target says and returns the
// Config that points the suite at it.
func tlsAuthServer(t *testing.T, target tlsAuthTarget) Config {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	srv := &server.Server{Handler: sink{}, Hostname: "mx.test"}
	if target.tls {
		srv.TLSConfig, err = ca.ServerConfig("localhost", "127.0.0.1")
		require.NoError(t, err)
	}
	if target.auth {
		srv.Auth = tlsAuthRegistry(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if target.implicit {
		go srv.ServeTLS(l)
	} else {
		go srv.Serve(l)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := Config{Addr: l.Addr().String(), ImplicitTLS: target.implicit, TLSConfig: ca.ClientConfig("localhost"), QuietTime: 300 * time.Millisecond}
	if target.credentials {
		cfg.Username, cfg.Password = tlsAuthUser, tlsAuthPassword
	}
	return cfg
}

// tlsAuthAllCases are the cases of server_starttls.go, server_auth.go and
// server_auth_errors.go.
func tlsAuthAllCases() []*Case {
	return slices.Concat(tlsCases, authCases, authErrorCases)
}

// runTLSAuth runs the cases against cfg and returns each case's result by
// ID, after asserting that none failed.
func runTLSAuth(t *testing.T, cfg Config, cases []*Case) map[string]Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunServer(ctx, cfg, cases)
	require.NoError(t, err)
	pass, fail, skip := rep.Counts()
	t.Logf("%d cases: %d pass, %d fail, %d skip", len(rep.Results), pass, fail, skip)
	out := map[string]Result{}
	for _, r := range rep.Results {
		if r.Status == Skipped {
			t.Logf("skip %s: %s", r.Case.ID(), r.Reason)
		}
		out[r.Case.ID()] = r
		assert.NotEqual(t, Fail, r.Status, "%s: %s at step %d (%s)\n%s", r.Case.ID(), r.Reason, r.Step, r.StepText, r.Transcript)
	}
	return out
}

// assertRan asserts that every case except those in skipped passed, and
// that those in skipped were skipped for a reason containing the text
// given.
func assertRan(t *testing.T, results map[string]Result, skipped map[string]string) {
	t.Helper()
	for id, r := range results {
		if why, ok := skipped[id]; ok {
			if assert.Equal(t, Skipped, r.Status, "%s should be skipped (%s)", id, why) {
				assert.Contains(t, r.Reason, why, id)
			}
			continue
		}
		assert.Equal(t, Pass, r.Status, "%s: %s %s", id, r.Status, r.Reason)
	}
	for id := range skipped {
		assert.Contains(t, results, id, "no case %s", id)
	}
}

func TestTLSAuthCasesRegistered(t *testing.T) {
	cases := tlsAuthAllCases()
	assert.GreaterOrEqual(t, len(cases), 38)
	ids := map[string]bool{}
	for _, c := range cases {
		require.NoError(t, c.Validate())
		assert.False(t, ids[c.ID()], "duplicate %s", c.ID())
		ids[c.ID()] = true
		assert.Contains(t, ServerCases(), c)
	}
}

func TestTLSAuthAgainstSmtpkitSTARTTLS(t *testing.T) {
	cfg := tlsAuthServer(t, tlsAuthTarget{tls: true, auth: true, credentials: true})
	results := runTLSAuth(t, cfg, tlsAuthAllCases())
	// With STARTTLS, AUTH and credentials every case runs (smtpkit answers
	// 503 to MAIL before EHLO, so ehlo-forgotten-after-tls runs too).
	assertRan(t, results, nil)
}

func TestTLSAuthAgainstSmtpkitImplicitTLS(t *testing.T) {
	cfg := tlsAuthServer(t, tlsAuthTarget{tls: true, implicit: true, auth: true, credentials: true})
	results := runTLSAuth(t, cfg, tlsAuthAllCases())
	implicit := "implicit TLS"
	assertRan(t, results, map[string]string{
		"rfc3207/4/starttls-220-handshake":            implicit,
		"rfc3207/4/starttls-parameter-501":            implicit,
		"rfc3207/4.2/no-greeting-after-tls":           implicit,
		"rfc3207/4.2/ehlo-forgotten-after-tls":        implicit,
		"rfc3207/4.2/transaction-forgotten-after-tls": implicit,
		"rfc3207/4.2/auth-forgotten-after-tls":        implicit,
		"rfc3207/6/starttls-injection-noop":           implicit,
		"rfc3207/6/starttls-injection-mail":           implicit,
		"rfc4954/4/no-password-mechanism-in-clear":    implicit,
	})
}

func TestTLSAuthAgainstSmtpkitWithoutTLS(t *testing.T) {
	cfg := tlsAuthServer(t, tlsAuthTarget{auth: true, credentials: true})
	results := runTLSAuth(t, cfg, tlsAuthAllCases())
	noTLS := "needs STARTTLS"
	assertRan(t, results, map[string]string{
		"rfc3207/4/starttls-220-handshake":            noTLS,
		"rfc3207/4/starttls-parameter-501":            noTLS,
		"rfc3207/4.2/no-greeting-after-tls":           noTLS,
		"rfc3207/4.2/no-starttls-after-tls":           noTLS,
		"rfc3207/4.2/starttls-under-tls-refused":      noTLS,
		"rfc3207/4.2/ehlo-forgotten-after-tls":        noTLS,
		"rfc3207/4.2/transaction-forgotten-after-tls": noTLS,
		"rfc3207/4.2/auth-forgotten-after-tls":        noTLS,
		"rfc3207/6/starttls-injection-noop":           noTLS,
		"rfc3207/6/starttls-injection-mail":           noTLS,
		"rfc5802/6/scram-y-flag-refused":              noTLS,
		// Without TLS smtpkit offers SCRAM and CRAM-MD5 only.
		"rfc4616/2/plain":                            "does not offer AUTH PLAIN",
		"rfc4954/4/plain-no-initial-response":        "does not offer AUTH PLAIN",
		"rfc4954/4/login":                            "does not offer AUTH LOGIN",
		"rfc5802/6/scram-sha-1-plus":                 "does not offer AUTH SCRAM-SHA-1-PLUS",
		"rfc7677/3/scram-sha-256-plus":               "does not offer AUTH SCRAM-SHA-256-PLUS",
		"rfc4954/4/initial-response-not-base64-501":  "does not offer AUTH PLAIN",
		"rfc4954/4/initial-response-leading-pad-501": "does not offer AUTH PLAIN",
		"rfc4954/4/plain-empty-initial-response":     "does not offer AUTH PLAIN",
		"rfc4616/2/plain-255-octet-fields":           "does not offer AUTH PLAIN",
		"rfc4954/4/no-password-mechanism-in-clear":   "does not offer STARTTLS",
	})
}

func TestTLSAuthAgainstSmtpkitWithoutCredentials(t *testing.T) {
	cfg := tlsAuthServer(t, tlsAuthTarget{tls: true, auth: true})
	results := runTLSAuth(t, cfg, tlsAuthAllCases())
	noCreds := "needs credentials"
	assertRan(t, results, map[string]string{
		"rfc3207/4.2/auth-forgotten-after-tls":    noCreds,
		"rfc4616/2/plain":                         noCreds,
		"rfc4954/4/plain-no-initial-response":     noCreds,
		"rfc4954/4/login":                         noCreds,
		"rfc2195/2/cram-md5":                      noCreds,
		"rfc5802/5/scram-sha-1":                   noCreds,
		"rfc7677/3/scram-sha-256":                 noCreds,
		"rfc5802/6/scram-sha-1-plus":              noCreds,
		"rfc7677/3/scram-sha-256-plus":            noCreds,
		"rfc5802/6/scram-y-flag-refused":          noCreds,
		"rfc4954/5/mail-auth-empty-authenticated": noCreds,
		"rfc4954/4/retry-after-failure":           noCreds,
		"rfc4954/4/auth-twice-503":                noCreds,
	})
}
