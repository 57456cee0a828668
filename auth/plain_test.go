package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	require.NoError(t, err)
	return b
}

// TestPlainVectors runs the examples of RFC 4954 section 4.1 and RFC 4616
// section 4 (SPEC 4.3) through both sides.
func TestPlainVectors(t *testing.T) {
	tests := []struct {
		name                    string
		b64                     string
		authzid, user, password string
		want                    Identity
	}{
		{"RFC 4954 4.1", "dGVzdAB0ZXN0ADEyMzQ=", "test", "test", "1234", Identity{Username: "test", Authzid: "test"}},
		{"RFC 4616 4 tim", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "", "tim", "tanstaaftanstaaf", Identity{Username: "tim"}},
		{"RFC 4616 4 Ursel", "VXJzZWwAS3VydAB4aXBqM3BsbXE=", "Ursel", "Kurt", "xipj3plmq", Identity{Username: "Kurt", Authzid: "Ursel"}},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := PlainClient(tc.authzid, tc.user, tc.password).NewClient(ConnState{TLS: true})
			require.NoError(t, err)
			ir, ok, err := c.Start(ctx)
			require.NoError(t, err)
			require.True(t, ok, "PLAIN sends an initial response")
			assert.Equal(t, tc.b64, base64.StdEncoding.EncodeToString(ir))

			// With the initial response: one step.
			s, err := PlainServer(testChecker).NewServer(ConnState{TLS: true})
			require.NoError(t, err)
			ch, done, err := s.Start(ctx, b64(t, tc.b64), true)
			require.NoError(t, err)
			assert.True(t, done)
			assert.Empty(t, ch)
			assert.Equal(t, tc.want, s.Identity())

			// Without: an empty 334 first (RFC 4954 section 4).
			s, err = PlainServer(testChecker).NewServer(ConnState{TLS: true})
			require.NoError(t, err)
			ch, done, err = s.Start(ctx, nil, false)
			require.NoError(t, err)
			assert.False(t, done)
			assert.Empty(t, ch, "the challenge is empty")
			assert.Equal(t, Identity{}, s.Identity(), "no identity before success")
			_, done, err = s.Next(ctx, b64(t, tc.b64))
			require.NoError(t, err)
			assert.True(t, done)
			assert.Equal(t, tc.want, s.Identity())
		})
	}
}

func TestPlainExchange(t *testing.T) {
	tests := []struct {
		name                    string
		authzid, user, password string
		code                    reply.Code
		sentinel                error
	}{
		{"good", "", "tim", "tanstaaftanstaaf", 235, nil},
		{"good with authzid", "Ursel", "Kurt", "xipj3plmq", 235, nil},
		{"wrong password", "", "tim", "hunter2-secret", 535, ErrInvalidCredentials},
		{"unknown user", "", "nobody", "hunter2-secret", 535, ErrInvalidCredentials},
		{"authzid denied", "root", "tim", "tanstaaftanstaaf", 535, ErrAuthzDenied},
		{"store down", "", "down", "hunter2-secret", 454, ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := ConnState{TLS: true}
			id, err := exchange(context.Background(), PlainClient(tc.authzid, tc.user, tc.password), PlainServer(testChecker), cs, cs)
			assert.Equal(t, tc.code, Reply(err).Code)
			if tc.sentinel == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.user, id.Username)
				return
			}
			require.ErrorIs(t, err, tc.sentinel)
			assert.NotContains(t, err.Error(), "hunter2", "no secret in error text")
		})
	}
}

func TestPlainServerMalformed(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want error
	}{
		{"no NUL", "timtanstaaftanstaaf", ErrMalformed},
		{"one NUL", "tim\x00tanstaaftanstaaf", ErrMalformed},
		{"three NULs", "\x00tim\x00tanstaaf\x00tanstaaf", ErrMalformed},
		{"empty authcid", "tim\x00\x00tanstaaftanstaaf", ErrMalformed},
		{"empty password", "\x00tim\x00", ErrMalformed},
		{"empty message", "", ErrMalformed},
		{"only NULs", "\x00\x00", ErrMalformed},
		{"invalid UTF-8", "\x00tim\x00tanstaaf\xfftanstaaf", ErrMalformed},
		{"control in password", "\x00tim\x00tanstaaf\x07", ErrMalformed},
		{"control in user", "\x00t\x01im\x00tanstaaftanstaaf", ErrMalformed},
		{"control in authzid", "a\x1bz\x00tim\x00tanstaaftanstaaf", ErrMalformed},
		{"too long", "\x00tim\x00" + strings.Repeat("p", MaxResponse), ErrTooLong},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := PlainServer(testChecker).NewServer(ConnState{TLS: true})
			require.NoError(t, err)
			_, done, err := s.Start(ctx, []byte(tc.msg), true)
			require.ErrorIs(t, err, tc.want)
			assert.False(t, done)
			assert.Equal(t, Identity{}, s.Identity())
			if tc.want == ErrMalformed {
				assert.Equal(t, reply.E(5, 5, 2), Reply(err).Enhanced)
				assert.Equal(t, reply.Code(501), Reply(err).Code)
			}
			assert.NotContains(t, err.Error(), "tanstaaf")
			_, _, err = s.Next(ctx, []byte("\x00tim\x00tanstaaftanstaaf"))
			require.ErrorIs(t, err, ErrSequence, "a failed exchange takes nothing more")
		})
	}
}

func TestPlainLongFields(t *testing.T) {
	// RFC 4616 section 2: servers accept at least 255 octets in each field.
	z, u, p := strings.Repeat("z", 300), strings.Repeat("u", 300), strings.Repeat("p", 300)
	check := PasswordCheckerFunc(func(_ context.Context, authzid, user, pass string) error {
		if authzid == z && user == u && pass == p {
			return nil
		}
		return ErrInvalidCredentials
	})
	cs := ConnState{TLS: true}
	id, err := exchange(context.Background(), PlainClient(z, u, p), PlainServer(check), cs, cs)
	require.NoError(t, err)
	assert.Equal(t, Identity{Username: u, Authzid: z}, id)
}

func TestPlainPreparation(t *testing.T) {
	// RFC 8265 section 4.2: a non-ASCII space becomes U+0020, and the
	// result is NFC, before the checker compares.
	var got [3]string
	check := PasswordCheckerFunc(func(_ context.Context, authzid, user, pass string) error {
		got = [3]string{authzid, user, pass}
		return nil
	})
	cs := ConnState{TLS: true}
	_, err := exchange(context.Background(), PlainClient("", "J\u0075\u0308rgen", "a\u00a0b"), PlainServer(check), cs, cs)
	require.NoError(t, err)
	assert.Equal(t, [3]string{"", "J\u00fcrgen", "a b"}, got)
}

func TestPlainSequence(t *testing.T) {
	ctx := context.Background()
	msg := []byte("\x00tim\x00tanstaaftanstaaf")
	s, err := PlainServer(testChecker).NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Next(ctx, msg)
	require.ErrorIs(t, err, ErrSequence, "Next before Start")
	assert.Equal(t, reply.Code(503), Reply(err).Code)

	s, err = PlainServer(testChecker).NewServer(ConnState{})
	require.NoError(t, err)
	_, done, err := s.Start(ctx, msg, true)
	require.NoError(t, err)
	require.True(t, done)
	_, _, err = s.Next(ctx, msg)
	require.ErrorIs(t, err, ErrSequence, "Next after success")
	_, _, err = s.Start(ctx, msg, true)
	require.ErrorIs(t, err, ErrSequence, "Start after the end")
	assert.Equal(t, namePlain, s.Name())

	_, err = PlainServer(nil).NewServer(ConnState{})
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestPlainClientInvalid(t *testing.T) {
	tests := []struct {
		name                    string
		authzid, user, password string
		want                    error
	}{
		{"NUL in authzid", "a\x00", "tim", "pw", ErrMalformed},
		{"NUL in user", "", "t\x00im", "pw", ErrMalformed},
		{"NUL in password", "", "tim", "p\x00w", ErrMalformed},
		{"empty user", "", "", "pw", ErrMalformed},
		{"empty password", "", "tim", "", ErrMalformed},
		{"invalid UTF-8", "", "tim", "\xc3", ErrMalformed},
		{"too long", "", "tim", strings.Repeat("p", MaxResponse), ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := PlainClient(tc.authzid, tc.user, tc.password)
			assert.Equal(t, namePlain, m.Name())
			c, err := m.NewClient(ConnState{TLS: true})
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, c)
		})
	}
}

func BenchmarkPlainServer(b *testing.B) {
	ctx := context.Background()
	msg := b64(b, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
	m := PlainServer(testChecker)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		s, err := m.NewServer(ConnState{TLS: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, done, err := s.Start(ctx, msg, true); err != nil || !done {
			b.Fatal(done, err)
		}
	}
}
