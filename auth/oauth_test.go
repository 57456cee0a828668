package auth

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// oauthTestValidator accepts only the token valid, for the identity id, and
// refuses any other token with refusal. It counts its calls and remembers
// the last request.
type oauthTestValidator struct {
	valid   string
	id      Identity
	refusal error
	calls   atomic.Int32
	last    TokenRequest
}

func (v *oauthTestValidator) ValidateToken(_ context.Context, req TokenRequest) (Identity, error) {
	v.calls.Add(1)
	v.last = req
	if req.Token == v.valid {
		return v.id, nil
	}
	return Identity{}, v.refusal
}

// oauthTestSource returns "tok-1", "tok-2", ... and counts its calls.
type oauthTestSource struct{ n atomic.Int32 }

func (s *oauthTestSource) Token(context.Context) (string, error) {
	return "tok-" + string(rune('0'+s.n.Add(1))), nil
}

func TestOAuthKVPairs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // key=value
		err  error
	}{
		{"empty list", "\x01", nil, nil},
		{"two pairs", "a=1\x01bc=x y\x01\x01", []string{"a=1", "bc=x y"}, nil},
		{"empty value", "auth=\x01\x01", []string{"auth="}, nil},
		{"value with =", "k=a=b\x01\x01", []string{"k=a=b"}, nil},
		{"no terminator", "a=1\x01", nil, ErrMalformed},
		{"no separator at all", "a=1", nil, ErrMalformed},
		{"empty input", "", nil, ErrMalformed},
		{"trailing data", "a=1\x01\x01x", nil, ErrMalformed},
		{"extra 0x01", "a=1\x01\x01\x01", nil, ErrMalformed},
		{"empty key", "=1\x01\x01", nil, ErrMalformed},
		{"digit in key", "a1=1\x01\x01", nil, ErrMalformed},
		{"no =", "abc\x01\x01", nil, ErrMalformed},
		{"NUL terminator", "a=1\x00\x00", nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := oauthKVPairs("TEST", []byte(tt.in), func(k, v []byte) error {
				got = append(got, string(k)+"="+string(v))
				return nil
			})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOAuthIsValue(t *testing.T) {
	assert.True(t, oauthIsValue([]byte("Bearer abc \t\r\n~!")))
	assert.True(t, oauthIsValue(nil))
	for _, bad := range []string{"\x00", "\x01", "\x7f", "\x80", "é"} {
		assert.False(t, oauthIsValue([]byte(bad)), "%q", bad)
	}
}

func TestOAuthIsB64Token(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"mF_9.B5f-4.1JqM", true},
		{"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", true},
		{"a~+/", true},
		{"", false},
		{"==", false},
		{"ab=c", false},
		{"a b", false},
		{"a\x01", false},
		{"é", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.ok, oauthIsB64Token(tt.in), "%q", tt.in)
		assert.Equal(t, tt.ok, oauthIsB64Token([]byte(tt.in)), "%q", tt.in)
	}
}

func TestOAuthParseBearer(t *testing.T) {
	tests := []struct {
		in, tok string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BeArEr abc==", "abc==", true}, // RFC 7628 section 4: case-insensitive
		{"Bearer   abc", "abc", true},   // RFC 6750 section 2.1: 1*SP
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearerabc", "", false},
		{"Bearer\tabc", "", false},
		{"Bearer abc ", "", false},
		{"Bearer a b", "", false},
		{"OAuth realm=x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		tok, ok := oauthParseBearer([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.tok, string(tok), "%q", tt.in)
	}
}

func TestOAuthParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"143", 143, true},
		{"587", 587, true},
		{"1", 1, true},
		{"65535", 65535, true},
		{"65536", 0, false},
		{"0", 0, false},
		{"0587", 0, false},
		{"", 0, false},
		{"+587", 0, false},
		{"58 7", 0, false},
		{"999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := oauthParsePort([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestOAuthAppendError(t *testing.T) {
	tests := []struct {
		name string
		te   *TokenError
		def  string
		want string
	}{
		{"RFC 7628 section 4.3", &TokenError{Status: "invalid_token", Scope: "example_scope",
			OpenIDConfiguration: "https://example.com/.well-known/openid-configuration"}, "x",
			`{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}`},
		{"Google XOAUTH2", &TokenError{Status: "401", Schemes: "bearer mac", Scope: "https://mail.google.com/"}, "x",
			`{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}`},
		{"default status", &TokenError{Scope: "s"}, "invalid_token", `{"status":"invalid_token","scope":"s"}`},
		{"nil error", nil, "401", `{"status":"401"}`},
		{"no HTML escaping", &TokenError{Status: "a<b>&"}, "x", `{"status":"a<b>&"}`},
		{"quotes escaped", &TokenError{Status: `"}`}, "x", `{"status":"\"}"}`},
		{"too long falls back", &TokenError{Status: "s", Scope: strings.Repeat("x", MaxResponse)}, "401", `{"status":"401"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oauthAppendError([]byte("pre"), tt.te, tt.def)
			assert.Equal(t, "pre"+tt.want, string(got))
		})
	}
}

func TestOAuthParseError(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *TokenError
		err  error
	}{
		{"RFC 7628", `{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}`,
			&TokenError{Status: "invalid_token", Scope: "example_scope", OpenIDConfiguration: "https://example.com/.well-known/openid-configuration"}, nil},
		{"Google", `{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}`,
			&TokenError{Status: "401", Schemes: "bearer mac", Scope: "https://mail.google.com/"}, nil},
		{"numeric status", `{"status":400}`, &TokenError{Status: "400"}, nil},
		{"unknown members and odd types", `{"x":[1],"scope":{"a":1},"status":"s"}`, &TokenError{Status: "s"}, nil},
		{"empty object", `{}`, &TokenError{}, nil},
		{"whitespace", " {\n\"status\" : \"s\" }\n", &TokenError{Status: "s"}, nil},
		{"array", `[]`, nil, ErrMalformed},
		{"null", `null`, nil, ErrMalformed},
		{"string", `"x"`, nil, ErrMalformed},
		{"empty", ``, nil, ErrMalformed},
		{"truncated", `{"status":"s"`, nil, ErrMalformed},
		{"trailing garbage", `{} x`, nil, ErrMalformed},
		{"too long", `{"status":"` + strings.Repeat("x", MaxResponse) + `"}`, nil, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := oauthParseError([]byte(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestOAuthClientSequence checks that the shared client refuses calls out
// of turn, for both mechanisms.
func TestOAuthClientSequence(t *testing.T) {
	ctx := context.Background()
	for _, cm := range []ClientMechanism{XOAUTH2Client("u", StaticToken("t")), OAuthBearerClient("", StaticToken("t"))} {
		t.Run(cm.Name(), func(t *testing.T) {
			c, err := cm.NewClient(ConnState{})
			require.NoError(t, err)
			assert.Equal(t, cm.Name(), c.Name())
			_, err = c.Next(ctx, []byte(`{}`))
			require.ErrorIs(t, err, ErrSequence)
			_, ok, err := c.Start(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			_, _, err = c.Start(ctx)
			require.ErrorIs(t, err, ErrSequence)
			_, err = c.Next(ctx, []byte(`{"status":"401"}`))
			require.NoError(t, err)
			// A second challenge after the error document is the server's
			// fault: the client gives up.
			_, err = c.Next(ctx, []byte(`{"status":"401"}`))
			require.ErrorIs(t, err, ErrMalformed)
			_, err = c.Next(ctx, []byte(`{"status":"401"}`))
			require.ErrorIs(t, err, ErrSequence)
		})
	}
}

// TestOAuthClientWipesToken checks that Finish overwrites the initial
// response, which holds the token.
func TestOAuthClientWipesToken(t *testing.T) {
	c, err := XOAUTH2Client("u", StaticToken("secret")).NewClient(ConnState{})
	require.NoError(t, err)
	ir, _, err := c.Start(context.Background())
	require.NoError(t, err)
	ir = ir[:cap(ir)]
	require.Contains(t, string(ir), "secret")
	require.NoError(t, c.Finish(true))
	assert.NotContains(t, string(ir), "secret")
}

// TestOAuthServerSequence checks the shared server's turn-taking.
func TestOAuthServerSequence(t *testing.T) {
	ctx := context.Background()
	v := &oauthTestValidator{valid: "good", id: Identity{Username: "u"}, refusal: ErrInvalidCredentials}
	for _, sm := range []ServerMechanism{XOAUTH2Server(v), OAuthBearerServer(v)} {
		t.Run(sm.Name(), func(t *testing.T) {
			s, err := sm.NewServer(ConnState{})
			require.NoError(t, err)
			assert.Equal(t, sm.Name(), s.Name())
			_, _, err = s.Next(ctx, nil)
			require.ErrorIs(t, err, ErrSequence)

			s, err = sm.NewServer(ConnState{})
			require.NoError(t, err)
			ch, done, err := s.Start(ctx, nil, false)
			require.NoError(t, err)
			assert.False(t, done)
			assert.Empty(t, ch)
			_, _, err = s.Start(ctx, nil, false)
			require.ErrorIs(t, err, ErrSequence)
			_, _, err = s.Next(ctx, nil)
			require.ErrorIs(t, err, ErrSequence, "a failed exchange stays failed")
		})
	}
}

func TestOAuthServerNoValidator(t *testing.T) {
	for _, sm := range []ServerMechanism{XOAUTH2Server(nil), OAuthBearerServer(nil)} {
		assert.False(t, sm.Available(ConnState{TLS: true}))
		_, err := sm.NewServer(ConnState{})
		require.ErrorIs(t, err, ErrUnsupported)
	}
	for _, sm := range []ServerMechanism{XOAUTH2Server(&oauthTestValidator{}), OAuthBearerServer(&oauthTestValidator{})} {
		assert.True(t, sm.Available(ConnState{}))
		assert.True(t, Cleartext(sm.Name()))
	}
}

func TestOAuthClientNoSource(t *testing.T) {
	for _, cm := range []ClientMechanism{XOAUTH2Client("u", nil), OAuthBearerClient("", nil)} {
		_, err := cm.NewClient(ConnState{})
		require.ErrorIs(t, err, ErrUnsupported)
	}
}

// TestOAuthValidatorOutcomes runs both mechanisms through exchange() with
// each kind of validator answer.
func TestOAuthValidatorOutcomes(t *testing.T) {
	appErr := errors.New("token introspection endpoint down")
	tests := []struct {
		name      string
		refusal   error
		code      reply.Code
		challenge bool // the error document is sent
		status    map[string]string
	}{
		{"TokenError", &TokenError{Status: "invalid_token", Scope: "s"}, 535, true,
			map[string]string{"XOAUTH2": "invalid_token", "OAUTHBEARER": "invalid_token"}},
		{"TokenError without status", &TokenError{Scope: "s"}, 535, true,
			map[string]string{"XOAUTH2": "401", "OAUTHBEARER": "invalid_token"}},
		{"ErrInvalidCredentials", ErrInvalidCredentials, 535, true,
			map[string]string{"XOAUTH2": "401", "OAUTHBEARER": "invalid_token"}},
		{"ErrAuthzDenied", ErrAuthzDenied, 535, false, nil},
		{"application error", appErr, 454, false, nil},
	}
	for _, tt := range tests {
		for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
			t.Run(tt.name+"/"+mech, func(t *testing.T) {
				v := &oauthTestValidator{valid: "good", id: Identity{Username: "u"}, refusal: tt.refusal}
				var cm ClientMechanism
				var sm ServerMechanism
				if mech == "XOAUTH2" {
					cm, sm = XOAUTH2Client("u", StaticToken("bad")), XOAUTH2Server(v)
				} else {
					cm, sm = OAuthBearerClient("", StaticToken("bad")), OAuthBearerServer(v)
				}
				_, err := exchange(context.Background(), cm, sm, ConnState{}, ConnState{})
				require.Error(t, err)
				assert.Equal(t, tt.code, Reply(err).Code)
				assert.ErrorIs(t, err, tt.refusal)
				var te *TokenError
				if tt.challenge {
					// The client saw the document: its Finish error is in
					// err next to the server's.
					require.ErrorAs(t, err, &te)
					assert.Contains(t, err.Error(), "client saw")
					assert.Contains(t, err.Error(), "status "+tt.status[mech])
				} else {
					assert.NotContains(t, err.Error(), "client saw")
				}
				assert.Equal(t, int32(1), v.calls.Load())
			})
		}
	}
}

// TestOAuthValidatorNoUser checks that an accepted token without a user
// does not authenticate anyone.
func TestOAuthValidatorNoUser(t *testing.T) {
	v := &oauthTestValidator{valid: "good"}
	_, err := exchange(context.Background(), OAuthBearerClient("", StaticToken("good")), OAuthBearerServer(v), ConnState{}, ConnState{})
	require.ErrorIs(t, err, ErrTemporary)
	assert.Equal(t, reply.Code(454), Reply(err).Code)
}
