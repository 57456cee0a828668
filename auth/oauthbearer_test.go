package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// RFC 7628 section 4 vectors (SPEC 4.3).
const (
	oauthBearerRFCToken = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
	// oauthBearerRFCError is the error challenge of RFC 7628 section 4.3
	// (second example) and curl test 949.
	oauthBearerRFCError    = `{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}`
	oauthBearerRFCErrorB64 = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0="
)

var oauthBearerVectors = []struct {
	name string
	port int
	b64  string
}{
	{"RFC 7628 section 4.1 IMAP", 143, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"},
	{"RFC 7628 section 4.1 SMTP", 587, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"},
}

func TestOAuthBearerClientVectors(t *testing.T) {
	for _, tt := range oauthBearerVectors {
		t.Run(tt.name, func(t *testing.T) {
			c, err := OAuthBearerClient("user@example.com", StaticToken(oauthBearerRFCToken)).
				NewClient(ConnState{TLS: true, ServerName: "server.example.com", Port: tt.port})
			require.NoError(t, err)
			assert.Equal(t, "OAUTHBEARER", c.Name())
			ir, ok, err := c.Start(context.Background())
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, tt.b64, base64.StdEncoding.EncodeToString(ir))
		})
	}
}

func TestOAuthBearerClientForms(t *testing.T) {
	tests := []struct {
		name, authzid string
		cs            ConnState
		want          string
	}{
		{"curl 946", "user", ConnState{ServerName: "127.0.0.1", Port: 2525},
			"n,a=user,\x01host=127.0.0.1\x01port=2525\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"},
		{"no authzid, host or port", "", ConnState{}, "n,,\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"},
		{"host only", "", ConnState{ServerName: "mx.example"}, "n,,\x01host=mx.example\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"},
		{"saslname escapes", "a,b=c", ConnState{Port: 465}, "n,a=a=2Cb=3Dc,\x01port=465\x01auth=Bearer mF_9.B5f-4.1JqM\x01\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := OAuthBearerClient(tt.authzid, StaticToken("mF_9.B5f-4.1JqM")).NewClient(tt.cs)
			require.NoError(t, err)
			ir, _, err := c.Start(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(ir))
		})
	}
}

func TestOAuthBearerClientBadConfig(t *testing.T) {
	tests := []struct {
		name, authzid string
		cs            ConnState
	}{
		{"authzid with control", "a\x01b", ConnState{}},
		{"host with space", "", ConnState{ServerName: "a b"}},
		{"host with 0x01", "", ConnState{ServerName: "a\x01b"}},
		{"negative port", "", ConnState{Port: -1}},
		{"port too big", "", ConnState{Port: 65536}},
	}
	for _, tt := range tests {
		_, err := OAuthBearerClient(tt.authzid, StaticToken("t")).NewClient(tt.cs)
		require.ErrorIs(t, err, ErrMalformed, tt.name)
	}
}

func TestOAuthBearerServerVectors(t *testing.T) {
	for _, tt := range oauthBearerVectors {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := base64.StdEncoding.DecodeString(tt.b64)
			require.NoError(t, err)
			v := &oauthTestValidator{valid: oauthBearerRFCToken, id: Identity{Username: "user"}}
			s, err := OAuthBearerServer(v).NewServer(ConnState{TLS: true})
			require.NoError(t, err)
			_, done, err := s.Start(context.Background(), msg, true)
			require.NoError(t, err)
			assert.True(t, done)
			assert.Equal(t, TokenRequest{Mechanism: "OAUTHBEARER", Authzid: "user@example.com",
				Host: "server.example.com", Port: tt.port, Token: oauthBearerRFCToken}, v.last)
			assert.Equal(t, Identity{Username: "user", Authzid: "user@example.com"}, s.Identity())
		})
	}
}

// TestOAuthBearerErrorChallenge walks RFC 7628 section 4.3 and curl test
// 949: the exact error challenge, the AQ== answer, the failure.
func TestOAuthBearerErrorChallenge(t *testing.T) {
	ctx := context.Background()
	refusal := &TokenError{Status: "invalid_token", Scope: "example_scope",
		OpenIDConfiguration: "https://example.com/.well-known/openid-configuration"}
	v := &oauthTestValidator{valid: "good", refusal: refusal}
	c, err := OAuthBearerClient("user", StaticToken("mF_9.B5f-4.1JqM")).NewClient(ConnState{ServerName: "127.0.0.1", Port: 587})
	require.NoError(t, err)
	s, err := OAuthBearerServer(v).NewServer(ConnState{})
	require.NoError(t, err)

	ir, _, err := c.Start(ctx)
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, ir, true)
	require.NoError(t, err)
	require.False(t, done)
	assert.Equal(t, oauthBearerRFCErrorB64, base64.StdEncoding.EncodeToString(ch))
	assert.Equal(t, oauthBearerRFCError, string(ch))

	resp, err := c.Next(ctx, ch)
	require.NoError(t, err)
	assert.Equal(t, "AQ==", base64.StdEncoding.EncodeToString(resp), "RFC 7628 section 3.2.3")

	_, done, err = s.Next(ctx, resp)
	require.ErrorIs(t, err, refusal)
	assert.False(t, done)
	assert.Equal(t, reply.Code(535), Reply(err).Code)

	var te *TokenError
	require.ErrorAs(t, c.Finish(false), &te)
	assert.Equal(t, refusal, te)
}

// TestOAuthBearerClientRFCChallenges feeds the client both error
// challenges printed in RFC 7628 section 4.3 (the first one's URL ends in
// "openid-config").
func TestOAuthBearerClientRFCChallenges(t *testing.T) {
	for _, b64 := range []string{
		"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWcifQ==",
		oauthBearerRFCErrorB64,
		// RFC 7628 section 4.4 (SMTP), with Google's "schemes".
		"eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==",
	} {
		ch, err := base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err)
		c, err := OAuthBearerClient("user@example.com", StaticToken("t")).NewClient(ConnState{})
		require.NoError(t, err)
		_, _, err = c.Start(context.Background())
		require.NoError(t, err)
		resp, err := c.Next(context.Background(), ch)
		require.NoError(t, err)
		assert.Equal(t, []byte{0x01}, resp)
		var te *TokenError
		require.ErrorAs(t, c.Finish(false), &te)
		assert.Equal(t, "invalid_token", te.Status)
		assert.NotEmpty(t, te.Scope)
	}
}

// TestOAuthBearerDiscovery follows RFC 7628 section 4.3: an empty auth=
// asks for the scope and gets the error challenge without reaching the
// validator.
func TestOAuthBearerDiscovery(t *testing.T) {
	ctx := context.Background()
	ir, err := base64.StdEncoding.DecodeString("bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9AQE=")
	require.NoError(t, err)
	require.Equal(t, "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01", string(ir))
	for _, auth := range []string{"", "OAuth realm=\"Example\"", "Bearer a b"} {
		msg := "n,,\x01auth=" + auth + "\x01\x01"
		if auth == "" {
			msg = string(ir)
		}
		v := &oauthTestValidator{}
		s, err := OAuthBearerServer(v).NewServer(ConnState{})
		require.NoError(t, err)
		ch, done, err := s.Start(ctx, []byte(msg), true)
		require.NoError(t, err, "%q", auth)
		assert.False(t, done)
		assert.Equal(t, `{"status":"invalid_request"}`, string(ch))
		_, _, err = s.Next(ctx, []byte{oauthKVSep})
		require.ErrorIs(t, err, ErrInvalidCredentials)
		assert.Equal(t, reply.Code(535), Reply(err).Code)
		assert.Equal(t, int32(0), v.calls.Load())
	}
}

func TestOAuthBearerExchange(t *testing.T) {
	ccs := ConnState{TLS: true, ServerName: "mx.example.com", Port: 587}
	v := &oauthTestValidator{valid: "good", id: Identity{Username: "alice"}, refusal: &TokenError{Status: "invalid_token", Scope: "mail"}}
	id, err := exchange(context.Background(), OAuthBearerClient("a,b=c", StaticToken("good")), OAuthBearerServer(v), ccs, ConnState{TLS: true})
	require.NoError(t, err)
	assert.Equal(t, Identity{Username: "alice", Authzid: "a,b=c"}, id)
	assert.Equal(t, TokenRequest{Mechanism: "OAUTHBEARER", Authzid: "a,b=c", Host: "mx.example.com", Port: 587, Token: "good"}, v.last)

	_, err = exchange(context.Background(), OAuthBearerClient("", StaticToken("stale")), OAuthBearerServer(v), ccs, ConnState{TLS: true})
	require.ErrorIs(t, err, ErrInvalidCredentials)
	assert.Equal(t, reply.Code(535), Reply(err).Code)
	var te *TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "mail", te.Scope)
	assert.NotContains(t, err.Error(), "stale")
}

func TestOAuthBearerFreshToken(t *testing.T) {
	src := &oauthTestSource{}
	cm := OAuthBearerClient("", src)
	for i := 1; i <= 3; i++ {
		v := &oauthTestValidator{valid: "tok-" + string(rune('0'+i)), id: Identity{Username: "u"}}
		_, err := exchange(context.Background(), cm, OAuthBearerServer(v), ConnState{}, ConnState{})
		require.NoError(t, err, "exchange %d", i)
		assert.Equal(t, int32(i), src.n.Load())
	}
}

func TestOAuthBearerServerAccepts(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want TokenRequest
	}{
		{"y flag", "y,,\x01auth=Bearer t\x01\x01", TokenRequest{Token: "t"}},
		{"unknown keys ignored", "n,,\x01mthd=POST\x01auth=Bearer t\x01qs=\x01\x01", TokenRequest{Token: "t"}},
		{"escaped authzid", "n,a=x=2Cy=3Dz,\x01auth=Bearer t\x01\x01", TokenRequest{Authzid: "x,y=z", Token: "t"}},
		{"UTF-8 authzid", "n,a=j\xc3\xbcrgen,\x01auth=Bearer t\x01\x01", TokenRequest{Authzid: "jürgen", Token: "t"}},
		{"scheme case", "n,,\x01auth=bEaReR t\x01\x01", TokenRequest{Token: "t"}},
		{"auth first", "n,,\x01auth=Bearer t\x01host=h\x01port=1\x01\x01", TokenRequest{Host: "h", Port: 1, Token: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &oauthTestValidator{valid: "t", id: Identity{Username: "u"}}
			s, err := OAuthBearerServer(v).NewServer(ConnState{})
			require.NoError(t, err)
			_, done, err := s.Start(context.Background(), []byte(tt.msg), true)
			require.NoError(t, err)
			assert.True(t, done)
			tt.want.Mechanism = "OAUTHBEARER"
			assert.Equal(t, tt.want, v.last)
		})
	}
}

func TestOAuthBearerServerMalformed(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		is   error
		code reply.Code
	}{
		{"empty response", "", ErrMalformed, 501},
		{"lone kvsep first", "\x01", ErrInvalidCredentials, 535},
		{"missing auth", "n,,\x01host=h\x01\x01", ErrMalformed, 501},
		{"no kvpairs", "n,,\x01\x01", ErrMalformed, 501},
		{"old curl form without gs2 header", "user=user\x01host=127.0.0.1\x01port=587\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"RFC 7628 section 4.4 n,user=", "n,user=someuser@example.com,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"channel binding p=", "p=tls-exporter,,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"nonstandard F flag", "F,n,,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"unknown flag", "x,,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"gs2 header not ended", "n,a=user", ErrMalformed, 501},
		{"empty a=", "n,a=,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"bad escape", "n,a=x=2D,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"lower-case escape", "n,a=x=2c,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"truncated escape", "n,a=x=2,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"invalid UTF-8 authzid", "n,a=\xff,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"control in authzid", "n,a=a\x00b,\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"no kvsep after header", "n,,auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"missing final kvsep", "n,,\x01auth=Bearer t\x01", ErrMalformed, 501},
		{"no kvseps", "n,,\x01auth=Bearer t", ErrMalformed, 501},
		{"NUL terminators", "n,,\x01auth=Bearer t\x00\x00", ErrMalformed, 501},
		{"CRLF terminators", "n,,\r\nauth=Bearer t\r\n\r\n", ErrMalformed, 501},
		{"trailing data", "n,,\x01auth=Bearer t\x01\x01n", ErrMalformed, 501},
		{"duplicate auth", "n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01", ErrMalformed, 501},
		{"duplicate host", "n,,\x01host=a\x01host=b\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"bad key", "n,,\x01au-th=x\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"empty key", "n,,\x01=x\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"non-VCHAR value", "n,,\x01x=\x7f\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"8-bit value", "n,,\x01host=h\xc3\xa9\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"port with leading zero", "n,,\x01port=0587\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"port not a number", "n,,\x01port=smtp\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"port too big", "n,,\x01port=70000\x01auth=Bearer t\x01\x01", ErrMalformed, 501},
		{"huge response", "n,,\x01auth=Bearer " + strings.Repeat("t", MaxResponse) + "\x01\x01", ErrTooLong, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, withIR := range []bool{true, false} {
				v := &oauthTestValidator{valid: "t", id: Identity{Username: "u"}}
				s, err := OAuthBearerServer(v).NewServer(ConnState{})
				require.NoError(t, err)
				var done bool
				if withIR {
					_, done, err = s.Start(context.Background(), []byte(tt.msg), true)
				} else {
					_, _, err = s.Start(context.Background(), nil, false)
					require.NoError(t, err)
					_, done, err = s.Next(context.Background(), []byte(tt.msg))
				}
				require.ErrorIs(t, err, tt.is)
				assert.False(t, done)
				assert.Equal(t, tt.code, Reply(err).Code)
				assert.Equal(t, int32(0), v.calls.Load())
				assert.Equal(t, Identity{}, s.Identity())
				_, _, err = s.Next(context.Background(), []byte{oauthKVSep})
				require.ErrorIs(t, err, ErrSequence)
			}
		})
	}
}

// TestOAuthBearerErrorAnswer checks that anything but 0x01 after the error
// challenge still fails, with the refusal.
func TestOAuthBearerErrorAnswer(t *testing.T) {
	for _, answer := range []string{"\x01", "", "*", "n,,\x01auth=Bearer t\x01\x01"} {
		refusal := &TokenError{Status: "invalid_token"}
		v := &oauthTestValidator{valid: "t", id: Identity{Username: "u"}, refusal: refusal}
		s, err := OAuthBearerServer(v).NewServer(ConnState{})
		require.NoError(t, err)
		_, _, err = s.Start(context.Background(), []byte("n,,\x01auth=Bearer bad\x01\x01"), true)
		require.NoError(t, err)
		_, done, err := s.Next(context.Background(), []byte(answer))
		require.ErrorIs(t, err, refusal, "%q", answer)
		assert.False(t, done)
		assert.Equal(t, int32(1), v.calls.Load())
	}
}
