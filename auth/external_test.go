package auth

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test certificates: the mapper reads only the subject.
var (
	aliceCert = &x509.Certificate{Subject: pkix.Name{CommonName: "alice"}}
	eveCert   = &x509.Certificate{Subject: pkix.Name{CommonName: "eve"}}
	aliceTLS  = ConnState{TLS: true, PeerCertificates: []*x509.Certificate{aliceCert}}
)

// testMapper knows alice, who may also act as "shared"; "down" makes it
// fail.
var testMapper = CertificateMapperFunc(func(_ context.Context, chain []*x509.Certificate, authzid string) (Identity, error) {
	if authzid == "down" {
		return Identity{}, errStoreDown
	}
	if len(chain) == 0 || chain[0].Subject.CommonName != "alice" {
		return Identity{}, ErrInvalidCredentials
	}
	switch authzid {
	case "", "alice":
		return Identity{Username: "alice"}, nil
	case "shared":
		return Identity{Username: "alice", Authzid: "shared"}, nil
	}
	return Identity{}, ErrAuthzDenied
})

// TestExternalVector is RFC 4954 section 4.1's "AUTH EXTERNAL =" (SPEC
// 4.3): an empty initial response, then 235.
func TestExternalVector(t *testing.T) {
	ctx := context.Background()
	c, err := ExternalClient("").NewClient(ConnState{TLS: true})
	require.NoError(t, err)
	ir, ok, err := c.Start(ctx)
	require.NoError(t, err)
	assert.True(t, ok, `the initial response is present: "="`)
	assert.Empty(t, ir)

	s, err := ExternalServer(testMapper).NewServer(aliceTLS)
	require.NoError(t, err)
	_, done, err := s.Start(ctx, ir, ok)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, Identity{Username: "alice"}, s.Identity())
	assert.Equal(t, reply.Code(235), Reply(err).Code)
}

func TestExternalWithoutInitialResponse(t *testing.T) {
	ctx := context.Background()
	s, err := ExternalServer(testMapper).NewServer(aliceTLS)
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Empty(t, ch, "an empty 334 (RFC 4954 section 4)")
	_, done, err = s.Next(ctx, []byte("shared"))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, Identity{Username: "alice", Authzid: "shared"}, s.Identity())
}

func TestExternalExchange(t *testing.T) {
	eveTLS := ConnState{TLS: true, PeerCertificates: []*x509.Certificate{eveCert}}
	tests := []struct {
		name     string
		authzid  string
		cs       ConnState
		want     Identity
		code     reply.Code
		sentinel error
	}{
		{"own identity", "", aliceTLS, Identity{Username: "alice"}, 235, nil},
		{"named self", "alice", aliceTLS, Identity{Username: "alice", Authzid: "alice"}, 235, nil},
		{"permitted authzid", "shared", aliceTLS, Identity{Username: "alice", Authzid: "shared"}, 235, nil},
		{"refused authzid", "root", aliceTLS, Identity{}, 535, ErrAuthzDenied},
		{"unknown certificate", "", eveTLS, Identity{}, 535, ErrInvalidCredentials},
		{"mapper down", "down", aliceTLS, Identity{}, 454, ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := exchange(context.Background(), ExternalClient(tc.authzid), ExternalServer(testMapper), ConnState{TLS: true}, tc.cs)
			assert.Equal(t, tc.code, Reply(err).Code)
			if tc.sentinel != nil {
				require.ErrorIs(t, err, tc.sentinel)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, id)
		})
	}
}

func TestExternalServerRules(t *testing.T) {
	ctx := context.Background()
	m := ExternalServer(testMapper)
	assert.Equal(t, nameExternal, m.Name())
	assert.False(t, m.Available(ConnState{TLS: true}), "no client certificate, no EXTERNAL")
	assert.True(t, m.Available(aliceTLS))
	_, err := m.NewServer(ConnState{TLS: true})
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = ExternalServer(nil).NewServer(aliceTLS)
	require.ErrorIs(t, err, ErrUnsupported)

	noName := CertificateMapperFunc(func(context.Context, []*x509.Certificate, string) (Identity, error) {
		return Identity{}, nil
	})
	_, err = exchange(ctx, ExternalClient(""), ExternalServer(noName), ConnState{}, aliceTLS)
	require.ErrorIs(t, err, ErrInvalidCredentials, "a mapper that names no user refuses")

	for _, msg := range []string{"a\x00b", "\xff", "a\x1bb"} {
		s, err := m.NewServer(aliceTLS)
		require.NoError(t, err)
		_, _, err = s.Start(ctx, []byte(msg), true)
		require.ErrorIs(t, err, ErrMalformed)
		assert.Equal(t, Identity{}, s.Identity())
	}
	s, err := m.NewServer(aliceTLS)
	require.NoError(t, err)
	_, _, err = s.Start(ctx, []byte(strings.Repeat("a", MaxResponse+1)), true)
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = s.Next(ctx, nil)
	require.ErrorIs(t, err, ErrSequence)
}

func TestExternalClientInvalid(t *testing.T) {
	for _, authzid := range []string{"a\x00", "\xc3"} {
		_, err := ExternalClient(authzid).NewClient(ConnState{})
		require.ErrorIs(t, err, ErrMalformed)
	}
	assert.Equal(t, nameExternal, ExternalClient("").Name())
}
