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

// TestLoginPrompts checks the prompts against SPEC 4.3: "VXNlcm5hbWU6" and
// "UGFzc3dvcmQ6" in the 334 lines.
func TestLoginPrompts(t *testing.T) {
	ctx := context.Background()
	s, err := LoginServer(testChecker).NewServer(ConnState{TLS: true})
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "VXNlcm5hbWU6", base64.StdEncoding.EncodeToString(ch))
	ch, done, err = s.Next(ctx, []byte("tim"))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "UGFzc3dvcmQ6", base64.StdEncoding.EncodeToString(ch))
	assert.Equal(t, Identity{}, s.Identity(), "no identity before success")
	ch, done, err = s.Next(ctx, []byte("tanstaaftanstaaf"))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Empty(t, ch)
	assert.Equal(t, Identity{Username: "tim"}, s.Identity())
	assert.Equal(t, nameLogin, s.Name())
}

// TestLoginInitialResponse covers the form that sends the user name on the
// AUTH command (aiosmtpd's login2): only the password is asked for.
func TestLoginInitialResponse(t *testing.T) {
	ctx := context.Background()
	s, err := LoginServer(testChecker).NewServer(ConnState{TLS: true})
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, []byte("tim"), true)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "Password:", string(ch))
	_, done, err = s.Next(ctx, []byte("tanstaaftanstaaf"))
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, "tim", s.Identity().Username)

	s, err = LoginServer(testChecker).NewServer(ConnState{TLS: true})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, nil, true)
	require.ErrorIs(t, err, ErrMalformed, `"AUTH LOGIN =" names no user`)
}

func TestLoginExchange(t *testing.T) {
	tests := []struct {
		name, user, password string
		code                 reply.Code
		sentinel             error
	}{
		{"good", "tim", "tanstaaftanstaaf", 235, nil},
		{"wrong password", "tim", "hunter2-secret", 535, ErrInvalidCredentials},
		{"unknown user", "nobody", "hunter2-secret", 535, ErrInvalidCredentials},
		{"store down", "down", "hunter2-secret", 454, ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := ConnState{TLS: true}
			id, err := exchange(context.Background(), LoginClient(tc.user, tc.password), LoginServer(testChecker), cs, cs)
			assert.Equal(t, tc.code, Reply(err).Code)
			if tc.sentinel == nil {
				require.NoError(t, err)
				assert.Equal(t, Identity{Username: tc.user}, id)
				return
			}
			require.ErrorIs(t, err, tc.sentinel)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestLoginServerInvalid(t *testing.T) {
	tests := []struct {
		name       string
		user, pass string
		want       error
	}{
		{"empty user", "", "pw", ErrMalformed},
		{"empty password", "tim", "", ErrMalformed},
		{"control in user", "t\x00im", "pw", ErrMalformed},
		{"control in password", "tim", "p\x7fw", ErrMalformed},
		{"invalid UTF-8 user", "t\xffm", "pw", ErrMalformed},
		{"invalid UTF-8 password", "tim", "\xff", ErrMalformed},
		{"long user", strings.Repeat("u", MaxResponse+1), "pw", ErrTooLong},
		{"long password", "tim", strings.Repeat("p", MaxResponse+1), ErrTooLong},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoginServer(testChecker).NewServer(ConnState{TLS: true})
			require.NoError(t, err)
			_, _, err = s.Start(ctx, nil, false)
			require.NoError(t, err)
			_, _, err = s.Next(ctx, []byte(tc.user))
			if err == nil {
				_, _, err = s.Next(ctx, []byte(tc.pass))
			}
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, Identity{}, s.Identity())
			_, _, err = s.Next(ctx, []byte("x"))
			require.ErrorIs(t, err, ErrSequence)
		})
	}
}

func TestLoginSequence(t *testing.T) {
	ctx := context.Background()
	s, err := LoginServer(testChecker).NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Next(ctx, []byte("tim"))
	require.ErrorIs(t, err, ErrSequence)

	_, err = LoginServer(nil).NewServer(ConnState{})
	require.ErrorIs(t, err, ErrUnsupported)

	c, err := LoginClient("tim", "tanstaaftanstaaf").NewClient(ConnState{})
	require.NoError(t, err)
	assert.Equal(t, nameLogin, c.Name())
	_, err = c.Next(ctx, []byte("Username:"))
	require.ErrorIs(t, err, ErrSequence, "Next before Start")
}

// TestLoginClient checks that the client ignores the prompt text, sends no
// initial response, and refuses a third challenge.
func TestLoginClient(t *testing.T) {
	ctx := context.Background()
	c, err := LoginClient("tim", "tanstaaftanstaaf").NewClient(ConnState{TLS: true})
	require.NoError(t, err)
	ir, ok, err := c.Start(ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, ir)
	r, err := c.Next(ctx, []byte("User Name"))
	require.NoError(t, err)
	assert.Equal(t, "tim", string(r))
	r, err = c.Next(ctx, []byte("anything at all"))
	require.NoError(t, err)
	assert.Equal(t, "tanstaaftanstaaf", string(r))
	_, err = c.Next(ctx, []byte("Password:"))
	require.ErrorIs(t, err, ErrMalformed)
	require.NoError(t, c.Finish(false))
	require.ErrorIs(t, c.Finish(false), ErrSequence)

	_, _, err = c.Start(ctx)
	require.ErrorIs(t, err, ErrSequence)

	c, err = LoginClient("tim", "pw").NewClient(ConnState{TLS: true})
	require.NoError(t, err)
	_, _, err = c.Start(ctx)
	require.NoError(t, err)
	_, err = c.Next(ctx, make([]byte, MaxResponse+1))
	require.ErrorIs(t, err, ErrTooLong)

	for _, creds := range [][2]string{{"", "pw"}, {"tim", ""}, {"t\x00m", "pw"}, {"tim", "\xff"}} {
		_, err := LoginClient(creds[0], creds[1]).NewClient(ConnState{})
		require.ErrorIs(t, err, ErrMalformed)
	}
}
