package tlsmode_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// logBuffer returns a logger that writes text records to the returned
// buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

// discardLogger returns a logger that drops everything.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestClientConfigServerName(t *testing.T) {
	tests := []struct {
		name    string
		arg     string
		base    string
		want    string
		wantErr string
	}{
		{"dns name", "mail.example.com", "", "mail.example.com", ""},
		{"from base", "", "mx.example.net", "mx.example.net", ""},
		{"both agree", "MX.example.net", "mx.example.net", "MX.example.net", ""},
		{"ipv4", "192.0.2.1", "", "192.0.2.1", ""},
		{"ipv4 literal", "[192.0.2.1]", "", "192.0.2.1", ""},
		{"ipv6", "2001:db8::1", "", "2001:db8::1", ""},
		{"ipv6 smtp literal", "[IPv6:2001:db8::1]", "", "2001:db8::1", ""},
		{"none", "", "", "", "needs the server's host name"},
		{"both differ", "a.example", "b.example", "", "differs from base ServerName"},
		{"with port", "mail.example.com:587", "", "", "includes a port"},
		{"bad literal", "[mail]", "", "", "not an IP literal"},
		{"space", "mail example", "", "", "not a host name"},
		{"url", "smtp://mail.example", "", "", "not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base *tls.Config
			if tt.base != "" {
				base = &tls.Config{ServerName: tt.base}
			}
			cfg, err := tlsmode.ClientConfig(tt.arg, base)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, cfg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.ServerName)
			assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
			assert.False(t, cfg.InsecureSkipVerify)
		})
	}
	_, err := tlsmode.ClientConfig("", nil)
	assert.ErrorIs(t, err, tlsmode.ErrNoServerName)
}

func TestClientConfigVersions(t *testing.T) {
	log, buf := logBuffer()
	tests := []struct {
		name    string
		min     uint16
		max     uint16
		opts    []tlsmode.Option
		wantMin uint16
		wantErr bool
		warns   bool
	}{
		{"default", 0, 0, nil, tls.VersionTLS12, false, false},
		{"1.3 kept", tls.VersionTLS13, 0, nil, tls.VersionTLS13, false, false},
		{"1.0 refused", tls.VersionTLS10, 0, nil, 0, true, false},
		{"1.1 refused", tls.VersionTLS11, 0, nil, 0, true, false},
		{"1.0 allowed", tls.VersionTLS10, 0, []tlsmode.Option{tlsmode.AllowLegacyVersion(tls.VersionTLS10)}, tls.VersionTLS10, false, true},
		{"1.0 below allowance", tls.VersionTLS10, 0, []tlsmode.Option{tlsmode.AllowLegacyVersion(tls.VersionTLS11)}, 0, true, false},
		{"max below min", tls.VersionTLS13, tls.VersionTLS12, nil, 0, true, false},
		{"max 1.2", 0, tls.VersionTLS12, nil, tls.VersionTLS12, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			opts := append([]tlsmode.Option{tlsmode.WithLogger(log)}, tt.opts...)
			base := &tls.Config{MinVersion: tt.min, MaxVersion: tt.max}
			cfg, err := tlsmode.ClientConfig("mx.example", base, opts...)
			if tt.wantErr {
				require.ErrorIs(t, err, tlsmode.ErrVersion)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantMin, cfg.MinVersion)
			assert.Equal(t, tt.warns, strings.Contains(buf.String(), "level=WARN"), buf.String())
			assert.Equal(t, tt.min, base.MinVersion, "base is not modified")
		})
	}
}

func TestClientConfigInsecureSkipVerifyIsLogged(t *testing.T) {
	log, buf := logBuffer()
	base := &tls.Config{InsecureSkipVerify: true}
	cfg, err := tlsmode.ClientConfig("mx.example", base, tlsmode.WithLogger(log))
	require.NoError(t, err)
	assert.True(t, cfg.InsecureSkipVerify, "kept because the caller asked")
	assert.Equal(t, 1, strings.Count(buf.String(), "level=WARN"), "logged once per config")
	assert.Contains(t, buf.String(), "verification is disabled")
	assert.Contains(t, buf.String(), "server_name=mx.example")

	buf.Reset()
	cfg, err = tlsmode.ClientConfig("mx.example", &tls.Config{}, tlsmode.WithLogger(log))
	require.NoError(t, err)
	assert.False(t, cfg.InsecureSkipVerify)
	assert.Empty(t, buf.String(), "nothing logged for a safe config")
}

func TestClientConfigClonesBase(t *testing.T) {
	pool := x509.NewCertPool()
	base := &tls.Config{RootCAs: pool, NextProtos: []string{"smtp"}}
	cfg, err := tlsmode.ClientConfig("mx.example", base)
	require.NoError(t, err)
	assert.NotSame(t, base, cfg)
	assert.Same(t, pool, cfg.RootCAs)
	assert.Empty(t, base.ServerName)
	assert.Zero(t, base.MinVersion)
}

func TestServerConfig(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cert, err := ca.IssueServer("mx.test")
	require.NoError(t, err)
	log, buf := logBuffer()

	_, err = tlsmode.ServerConfig(nil)
	assert.ErrorIs(t, err, tlsmode.ErrNoCertificate)
	_, err = tlsmode.ServerConfig(&tls.Config{})
	assert.ErrorIs(t, err, tlsmode.ErrNoCertificate)

	tests := []struct {
		name       string
		base       *tls.Config
		wantAuth   tls.ClientAuthType
		wantWarn   bool
		wantErrVer bool
	}{
		{"certificates", &tls.Config{Certificates: []tls.Certificate{cert}}, tls.NoClientCert, false, false},
		{"get certificate", &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }}, tls.NoClientCert, false, false},
		{"get config", &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }}, tls.NoClientCert, false, false},
		{"client CAs", &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: ca.Pool()}, tls.VerifyClientCertIfGiven, false, false},
		{"client CAs required", &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}, tls.RequireAndVerifyClientCert, false, false},
		{"unverified request", &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}, tls.RequestClientCert, true, false},
		{"old version", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			cfg, err := tlsmode.ServerConfig(tt.base, tlsmode.WithLogger(log))
			if tt.wantErrVer {
				require.ErrorIs(t, err, tlsmode.ErrVersion)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
			assert.Equal(t, tt.wantAuth, cfg.ClientAuth)
			assert.False(t, cfg.SessionTicketsDisabled)
			assert.NotNil(t, cfg.GetConfigForClient, "the certificate capture hook is installed")
			assert.NotSame(t, tt.base, cfg)
			assert.Zero(t, tt.base.MinVersion, "base is not modified")
			assert.Equal(t, tt.wantWarn, strings.Contains(buf.String(), "level=WARN"), buf.String())
		})
	}
}

func TestServerCertificateCapture(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	certA, err := ca.IssueServer("a.test")
	require.NoError(t, err)
	certB, err := ca.IssueServer("b.test")
	require.NoError(t, err)
	certC, err := ca.IssueServer("c.test")
	require.NoError(t, err)

	tests := []struct {
		name string
		base *tls.Config
		host string
		want *x509.Certificate
	}{
		{"list, second by SNI", &tls.Config{Certificates: []tls.Certificate{certA, certB}}, "b.test", certB.Leaf},
		{"list, first by SNI", &tls.Config{Certificates: []tls.Certificate{certA, certB}}, "a.test", certA.Leaf},
		{"GetCertificate", &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &certB, nil }}, "b.test", certB.Leaf},
		{"GetCertificate passes", &tls.Config{Certificates: []tls.Certificate{certA}, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil }}, "a.test", certA.Leaf},
		{"GetConfigForClient", &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return &tls.Config{Certificates: []tls.Certificate{certC}}, nil
		}}, "c.test", certC.Leaf},
		{"GetConfigForClient nil", &tls.Config{Certificates: []tls.Certificate{certA}, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return nil, nil
		}}, "a.test", certA.Leaf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := tlsmode.ServerConfig(tt.base)
			require.NoError(t, err)
			cli, err := tlsmode.ClientConfig(tt.host, ca.ClientConfig(""))
			require.NoError(t, err)
			cf, sf := pairHandshake(t, srv, cli)
			assert.Equal(t, tt.want.Raw, cf.PeerCertificates[0].Raw)
			assert.Equal(t, tlsmode.ServerEndPoint(tt.want), bindingData(t, sf.ChannelBindings, auth.CBTLSServerEndPoint))
			assert.Equal(t, cf.ChannelBindings, sf.ChannelBindings)
		})
	}

	// A config not made by ServerConfig still works; the server side then
	// lacks tls-server-end-point.
	cli, err := tlsmode.ClientConfig("a.test", ca.ClientConfig(""))
	require.NoError(t, err)
	cf, sf := pairHandshake(t, &tls.Config{Certificates: []tls.Certificate{certA}}, cli)
	assert.Equal(t, []string{auth.CBTLSExporter, auth.CBTLSServerEndPoint}, bindingTypes(cf.ChannelBindings))
	assert.Equal(t, []string{auth.CBTLSExporter}, bindingTypes(sf.ChannelBindings))
}
