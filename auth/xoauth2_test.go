package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// XOAUTH2 vectors (SPEC 4.3): Google's documented example, and curl tests
// 908 and 922 (with and without the initial response).
var xoauth2Vectors = []struct {
	name, user, token, b64 string
}{
	{"Google", "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
		"dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="},
	{"curl 908/922", "user", "mF_9.B5f-4.1JqM", "dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB"},
}

// xoauth2GoogleError is the error challenge of Google's XOAUTH2 page.
const xoauth2GoogleError = `{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}`

func TestXOAUTH2ClientVectors(t *testing.T) {
	for _, tt := range xoauth2Vectors {
		t.Run(tt.name, func(t *testing.T) {
			c, err := XOAUTH2Client(tt.user, StaticToken(tt.token)).NewClient(ConnState{TLS: true})
			require.NoError(t, err)
			assert.Equal(t, "XOAUTH2", c.Name())
			ir, ok, err := c.Start(context.Background())
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, tt.b64, base64.StdEncoding.EncodeToString(ir))
		})
	}
}

func TestXOAUTH2ServerVectors(t *testing.T) {
	for _, tt := range xoauth2Vectors {
		for _, withIR := range []bool{true, false} {
			name := tt.name + "/initial response"
			if !withIR {
				name = tt.name + "/after empty challenge"
			}
			t.Run(name, func(t *testing.T) {
				msg, err := base64.StdEncoding.DecodeString(tt.b64)
				require.NoError(t, err)
				v := &oauthTestValidator{valid: tt.token, id: Identity{Username: tt.user}}
				s, err := XOAUTH2Server(v).NewServer(ConnState{TLS: true})
				require.NoError(t, err)
				var done bool
				if withIR {
					_, done, err = s.Start(context.Background(), msg, true)
				} else {
					var ch []byte
					ch, done, err = s.Start(context.Background(), nil, false)
					require.NoError(t, err)
					require.False(t, done)
					require.Empty(t, ch, "RFC 4954 section 4: empty 334 for a client-first mechanism")
					_, done, err = s.Next(context.Background(), msg)
				}
				require.NoError(t, err)
				assert.True(t, done)
				assert.Equal(t, TokenRequest{Mechanism: "XOAUTH2", Username: tt.user, Token: tt.token}, v.last)
				assert.Equal(t, Identity{Username: tt.user}, s.Identity())
			})
		}
	}
}

func TestXOAUTH2Exchange(t *testing.T) {
	v := &oauthTestValidator{valid: "mF_9.B5f-4.1JqM", refusal: &TokenError{Status: "401", Schemes: "bearer", Scope: "https://mail.google.com/"}}
	id, err := exchange(context.Background(), XOAUTH2Client("user", StaticToken("mF_9.B5f-4.1JqM")), XOAUTH2Server(v), ConnState{TLS: true}, ConnState{TLS: true})
	require.NoError(t, err)
	assert.Equal(t, Identity{Username: "user"}, id, "Username defaults to the request's")
	assert.Equal(t, reply.Code(235), Reply(err).Code)

	_, err = exchange(context.Background(), XOAUTH2Client("user", StaticToken("expired")), XOAUTH2Server(v), ConnState{TLS: true}, ConnState{TLS: true})
	require.ErrorIs(t, err, ErrInvalidCredentials)
	assert.Equal(t, reply.Code(535), Reply(err).Code)
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "https://mail.google.com/", te.Scope)
	assert.NotContains(t, err.Error(), "expired", "the token never appears in an error")
}

// TestXOAUTH2ErrorChallenge walks the failure exchange message by message:
// the server's JSON challenge, the client's empty answer, the 535.
func TestXOAUTH2ErrorChallenge(t *testing.T) {
	ctx := context.Background()
	v := &oauthTestValidator{valid: "good", refusal: &TokenError{Status: "401", Schemes: "bearer mac", Scope: "https://mail.google.com/"}}
	c, err := XOAUTH2Client("someuser@example.com", StaticToken("ya29.old")).NewClient(ConnState{})
	require.NoError(t, err)
	s, err := XOAUTH2Server(v).NewServer(ConnState{})
	require.NoError(t, err)

	ir, _, err := c.Start(ctx)
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, ir, true)
	require.NoError(t, err)
	require.False(t, done)
	assert.Equal(t, xoauth2GoogleError, string(ch))

	resp, err := c.Next(ctx, ch)
	require.NoError(t, err)
	assert.Empty(t, resp, "Google: the client answers the error challenge with an empty line")

	_, done, err = s.Next(ctx, resp)
	require.Error(t, err)
	assert.False(t, done)
	assert.Equal(t, reply.Code(535), Reply(err).Code)
	assert.Equal(t, reply.E(5, 7, 8), Reply(err).Enhanced)

	ferr := c.Finish(false)
	var te *TokenError
	require.ErrorAs(t, ferr, &te)
	assert.Equal(t, &TokenError{Status: "401", Schemes: "bearer mac", Scope: "https://mail.google.com/"}, te)
	assert.ErrorIs(t, ferr, ErrInvalidCredentials)
}

// TestXOAUTH2ErrorAnswerIgnored checks that a non-empty answer to the error
// challenge still ends in the same failure, not a second chance.
func TestXOAUTH2ErrorAnswerIgnored(t *testing.T) {
	ctx := context.Background()
	good, err := base64.StdEncoding.DecodeString(xoauth2Vectors[1].b64)
	require.NoError(t, err)
	for _, answer := range [][]byte{[]byte("x"), good, {oauthKVSep}, []byte(strings.Repeat("a", MaxResponse+1))} {
		v := &oauthTestValidator{valid: "mF_9.B5f-4.1JqM", refusal: &TokenError{Status: "401"}}
		s, err := XOAUTH2Server(v).NewServer(ConnState{})
		require.NoError(t, err)
		_, _, err = s.Start(ctx, []byte("user=user\x01auth=Bearer bad\x01\x01"), true)
		require.NoError(t, err)
		_, done, err := s.Next(ctx, answer)
		require.Error(t, err)
		assert.False(t, done)
		assert.Equal(t, int32(1), v.calls.Load(), "the answer is never validated")
		if len(answer) > MaxResponse {
			assert.ErrorIs(t, err, ErrTooLong)
		} else {
			assert.Equal(t, reply.Code(535), Reply(err).Code)
		}
	}
}

// TestXOAUTH2FreshToken checks that the token source is asked once per
// exchange and that each connection presents the new token.
func TestXOAUTH2FreshToken(t *testing.T) {
	src := &oauthTestSource{}
	cm := XOAUTH2Client("user", src)
	for i := 1; i <= 3; i++ {
		v := &oauthTestValidator{valid: "tok-" + string(rune('0'+i))}
		_, err := exchange(context.Background(), cm, XOAUTH2Server(v), ConnState{}, ConnState{})
		require.NoError(t, err, "exchange %d", i)
		assert.Equal(t, int32(i), src.n.Load())
	}
}

func TestXOAUTH2TokenSourceErrors(t *testing.T) {
	srcErr := errors.New("oauth2: token expired and refresh token is not set")
	tests := []struct {
		name string
		ts   TokenSource
		is   error
	}{
		{"source error", TokenSourceFunc(func(context.Context) (string, error) { return "", srcErr }), srcErr},
		{"empty token", StaticToken(""), ErrMalformed},
		{"token with 0x01", StaticToken("zq9\x01k"), ErrMalformed},
		{"token with space", StaticToken("zq9 k"), ErrMalformed},
		{"huge token", StaticToken("zq9" + strings.Repeat("s", MaxResponse)), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := XOAUTH2Client("user", tt.ts).NewClient(ConnState{})
			require.NoError(t, err)
			ir, ok, err := c.Start(context.Background())
			require.ErrorIs(t, err, tt.is)
			assert.False(t, ok)
			assert.Nil(t, ir)
			assert.NotContains(t, err.Error(), "zq9")
			_, err = c.Next(context.Background(), nil)
			require.ErrorIs(t, err, ErrSequence)
		})
	}
}

func TestXOAUTH2ClientUsername(t *testing.T) {
	for _, bad := range []string{"", "a\x01b", "a\x00b"} {
		_, err := XOAUTH2Client(bad, StaticToken("t")).NewClient(ConnState{})
		require.ErrorIs(t, err, ErrMalformed, "%q", bad)
	}
}

// TestXOAUTH2ClientResendsIR checks that an empty challenge before the
// error document gets the initial response (a driver that did not send it
// with AUTH), once.
func TestXOAUTH2ClientResendsIR(t *testing.T) {
	ctx := context.Background()
	c, err := XOAUTH2Client("user", StaticToken("mF_9.B5f-4.1JqM")).NewClient(ConnState{})
	require.NoError(t, err)
	ir, _, err := c.Start(ctx)
	require.NoError(t, err)
	want := string(ir)
	resp, err := c.Next(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, want, string(resp))
	_, err = c.Next(ctx, nil)
	require.ErrorIs(t, err, ErrMalformed, "a second empty challenge is not JSON")
}

func TestXOAUTH2ClientBadChallenge(t *testing.T) {
	c, err := XOAUTH2Client("user", StaticToken("t")).NewClient(ConnState{})
	require.NoError(t, err)
	_, _, err = c.Start(context.Background())
	require.NoError(t, err)
	_, err = c.Next(context.Background(), []byte("not json"))
	require.ErrorIs(t, err, ErrMalformed)
	assert.NoError(t, c.Finish(false), "no details without an error document")
}

func TestXOAUTH2ServerMalformed(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		present bool
		is      error
		code    reply.Code
	}{
		{"empty initial response", "", true, ErrMalformed, 501},
		{"missing auth", "user=user\x01\x01", true, ErrMalformed, 501},
		{"missing user", "auth=Bearer t\x01\x01", true, ErrMalformed, 501},
		{"auth before user", "auth=Bearer t\x01user=user\x01\x01", true, ErrMalformed, 501},
		{"extra pair", "user=user\x01auth=Bearer t\x01x=y\x01\x01", true, ErrMalformed, 501},
		{"empty user", "user=\x01auth=Bearer t\x01\x01", true, ErrMalformed, 501},
		{"user with NUL", "user=a\x00b\x01auth=Bearer t\x01\x01", true, ErrMalformed, 501},
		{"not Bearer", "user=user\x01auth=Basic dTpw\x01\x01", true, ErrMalformed, 501},
		{"empty token", "user=user\x01auth=Bearer \x01\x01", true, ErrMalformed, 501},
		{"token with space", "user=user\x01auth=Bearer a b\x01\x01", true, ErrMalformed, 501},
		{"one terminator", "user=user\x01auth=Bearer t\x01", true, ErrMalformed, 501},
		{"no terminators", "user=user\x01auth=Bearer t", true, ErrMalformed, 501},
		{"NUL terminators", "user=user\x00auth=Bearer t\x00\x00", true, ErrMalformed, 501},
		{"CRLF terminators", "user=user\r\nauth=Bearer t\r\n\r\n", true, ErrMalformed, 501},
		{"trailing data", "user=user\x01auth=Bearer t\x01\x01x", true, ErrMalformed, 501},
		{"OAUTHBEARER message", "n,,\x01auth=Bearer t\x01\x01", true, ErrMalformed, 501},
		{"huge", "user=user\x01auth=Bearer " + strings.Repeat("t", MaxResponse) + "\x01\x01", true, ErrTooLong, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &oauthTestValidator{valid: "t", id: Identity{Username: "user"}}
			s, err := XOAUTH2Server(v).NewServer(ConnState{})
			require.NoError(t, err)
			_, done, err := s.Start(context.Background(), []byte(tt.msg), tt.present)
			require.ErrorIs(t, err, tt.is)
			assert.False(t, done)
			assert.Equal(t, tt.code, Reply(err).Code)
			assert.Equal(t, int32(0), v.calls.Load())
			assert.Equal(t, Identity{}, s.Identity())
		})
	}
}

// TestXOAUTH2ServerLenient lists the variations the parser accepts.
func TestXOAUTH2ServerLenient(t *testing.T) {
	for _, msg := range []string{
		"user=user\x01auth=bearer t\x01\x01",
		"user=user\x01auth=BEARER   t\x01\x01",
	} {
		v := &oauthTestValidator{valid: "t"}
		s, err := XOAUTH2Server(v).NewServer(ConnState{})
		require.NoError(t, err)
		_, done, err := s.Start(context.Background(), []byte(msg), true)
		require.NoError(t, err, "%q", msg)
		assert.True(t, done)
	}
}
