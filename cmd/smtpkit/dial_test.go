package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestDialFlagsAddressAndMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    dialFlags
		env  map[string]string
		addr string
		err  string
	}{
		{"flag", dialFlags{server: "mx.example.org:587"}, nil, "mx.example.org:587", ""},
		{"env host and port", dialFlags{}, map[string]string{"SMTP_HOST": "mx.example.org", "SMTP_PORT": "2525"}, "mx.example.org:2525", ""},
		{"flag wins", dialFlags{server: "a.example:25"}, map[string]string{"SMTP_HOST": "b.example"}, "a.example:25", ""},
		{"default port 25", dialFlags{server: "mx.example.org"}, nil, "mx.example.org:25", ""},
		{"implicit 465", dialFlags{server: "mx.example.org", tls: "implicit"}, nil, "mx.example.org:465", ""},
		{"lmtp 24", dialFlags{server: "[::1]", lmtp: true}, nil, "[::1]:24", ""},
		{"no server", dialFlags{}, nil, "", "no server"},
		{"bad port", dialFlags{server: "mx:99999"}, nil, "", "bad port"},
		{"off", dialFlags{server: "mx:2525", tls: "off"}, nil, "mx:2525", ""},
		{"ambiguous word", dialFlags{server: "mx:2525", tls: "secure"}, nil, "", "--tls"},
		{"starttls on 465", dialFlags{server: "mx:465", tls: "starttls"}, nil, "", "465"},
		{"password-env without user", dialFlags{server: "mx:25", passwordEnv: "PW"}, map[string]string{"PW": "x"}, "", "--password-env PW needs --user"},
		{"auth without user", dialFlags{server: "mx:25", mech: "PLAIN"}, nil, "", "--auth PLAIN needs --user"},
		{"user without password", dialFlags{server: "mx:25", user: "alice"}, nil, "", "SMTP_PASS"},
		{"unknown mechanism", dialFlags{server: "mx:25", user: "alice", mech: "KERBEROS"}, map[string]string{"SMTP_PASS": "x"}, "", "unknown mechanism"},
		{"scram plus", dialFlags{server: "mx:25", user: "alice", mech: "scram-sha-256-plus"}, map[string]string{"SMTP_PASS": "x"}, "mx:25", ""},
		{"server name", dialFlags{server: "192.0.2.1:587", serverName: "mx.example.org"}, nil, "192.0.2.1:587", ""},
		{"missing CA file", dialFlags{server: "mx:25", ca: filepath.Join(t.TempDir(), "none.pem")}, nil, "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, opts, err := tc.d.options(envMap(tc.env))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.addr, addr)
			assert.NotEmpty(t, opts)
		})
	}
}

func TestParseModeWord(t *testing.T) {
	for word, want := range map[string]tlsmode.Mode{"off": tlsmode.ModeNone, "OFF ": tlsmode.ModeNone, "starttls": tlsmode.ModeSTARTTLS, "implicit": tlsmode.ModeImplicit} {
		m, err := parseModeWord(word)
		require.NoError(t, err, word)
		assert.Equal(t, want, m, word)
	}
	_, err := parseModeWord("tls")
	assert.Error(t, err)
}
