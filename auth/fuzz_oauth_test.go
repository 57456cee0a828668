package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// oauthFuzzToken is the only token the fuzz validator accepts.
const oauthFuzzToken = "valid-token"

// oauthFuzzPerms lists the six orders of three responses.
var oauthFuzzPerms = [6][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}

// oauthFuzzServer runs one server exchange over the fuzzer's initial
// response and three responses in the order sel picks, with a validator
// that accepts only oauthFuzzToken, and checks the properties every token
// mechanism must keep: no panic, success only after the validator accepted
// the valid token, bounded challenges that are JSON error documents, the
// token never in an error string, a defined reply for every failure, and
// no call accepted after the end.
func oauthFuzzServer(t *testing.T, sm func(TokenValidator) ServerMechanism, ir []byte, present bool, r1, r2, r3 []byte, sel uint8) {
	refusals := []error{&TokenError{Status: "invalid_token", Scope: "mail"}, ErrInvalidCredentials, errors.New("store down")}
	refusal := refusals[int(sel/6)%len(refusals)]
	var accepted int
	v := TokenValidatorFunc(func(_ context.Context, req TokenRequest) (Identity, error) {
		if req.Token != oauthFuzzToken {
			return Identity{}, refusal
		}
		accepted++
		return Identity{Username: "fuzz-user"}, nil
	})
	s, err := sm(v).NewServer(ConnState{TLS: true})
	require.NoError(t, err)
	ctx := context.Background()
	msgs := [3][]byte{r1, r2, r3}
	perm := oauthFuzzPerms[sel%6]

	ch, done, err := s.Start(ctx, ir, present)
	for i := 0; err == nil && !done && i < len(perm); i++ {
		require.LessOrEqual(t, len(ch), MaxResponse)
		if len(ch) > 0 {
			_, perr := oauthParseError(ch)
			require.NoError(t, perr, "a non-empty challenge is a JSON error document")
		}
		ch, done, err = s.Next(ctx, msgs[perm[i]])
	}
	switch {
	case err == nil && done:
		require.Equal(t, 1, accepted, "success without the validator accepting the token")
		assert.Equal(t, "fuzz-user", s.Identity().Username)
	case err != nil:
		require.False(t, done)
		assert.Equal(t, Identity{}, s.Identity())
		assert.NotContains(t, err.Error(), oauthFuzzToken, "a token in an error string")
		code := Reply(err).Code
		require.Contains(t, []reply.Code{454, 500, 501, 535}, code, "error %v", err)
		_, _, err = s.Next(ctx, nil)
		require.ErrorIs(t, err, ErrSequence, "a call after the end")
	}
}

// FuzzXOAUTH2Server feeds the XOAUTH2 server random responses in random
// order.
func FuzzXOAUTH2Server(f *testing.F) {
	good := xoauth2Append(nil, "someuser@example.com", oauthFuzzToken)
	bad := xoauth2Append(nil, "someuser@example.com", "expired")
	for _, v := range xoauth2Vectors {
		msg, _ := base64.StdEncoding.DecodeString(v.b64)
		f.Add(msg, true, []byte{}, []byte{}, []byte{}, uint8(0))
	}
	f.Add(good, true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add([]byte{}, false, good, []byte{}, []byte{}, uint8(0))
	f.Add(bad, true, []byte{}, good, []byte{0x01}, uint8(1))
	f.Add(bad, true, good, []byte{}, []byte{}, uint8(7))
	f.Add([]byte{}, false, bad, []byte{}, good, uint8(14))
	f.Add([]byte("user=u\x01auth=Bearer "), true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, ir []byte, present bool, r1, r2, r3 []byte, sel uint8) {
		oauthFuzzServer(t, func(v TokenValidator) ServerMechanism { return XOAUTH2Server(v) }, ir, present, r1, r2, r3, sel)
	})
}

// FuzzOAuthBearerServer feeds the OAUTHBEARER server random responses in
// random order; the go-sasl server panics on some of them.
func FuzzOAuthBearerServer(f *testing.F) {
	good := oauthBearerAppend(nil, "user@example.com", "server.example.com", 587, oauthFuzzToken)
	bad := oauthBearerAppend(nil, "a,b=c", "", 0, "expired")
	for _, v := range oauthBearerVectors {
		msg, _ := base64.StdEncoding.DecodeString(v.b64)
		f.Add(msg, true, []byte{0x01}, []byte{}, []byte{}, uint8(0))
	}
	f.Add(good, true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add([]byte{}, false, good, []byte{0x01}, []byte{}, uint8(0))
	f.Add([]byte{}, true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add(bad, true, []byte{0x01}, good, []byte{}, uint8(2))
	f.Add(bad, true, good, []byte{0x01}, []byte{}, uint8(9))
	f.Add([]byte{}, false, []byte{0x01}, good, bad, uint8(16))
	f.Add([]byte("n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=\x01\x01"), true, []byte{0x01}, []byte{}, []byte{}, uint8(0))
	f.Add([]byte("user=user\x01host=127.0.0.1\x01port=587\x01auth=Bearer valid-token\x01\x01"), true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add([]byte("y,a=x=2Cy,\x01mthd=POST\x01auth=bearer  valid-token\x01\x01"), true, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, ir []byte, present bool, r1, r2, r3 []byte, sel uint8) {
		oauthFuzzServer(t, func(v TokenValidator) ServerMechanism { return OAuthBearerServer(v) }, ir, present, r1, r2, r3, sel)
	})
}

// FuzzOAuthClient feeds both token clients random challenges. It checks
// that they never panic, that an answer is the initial response (to an
// empty first challenge) or the fixed error acknowledgement (to a JSON
// error document), and that Finish reports the server's details exactly
// when an error document was acknowledged.
func FuzzOAuthClient(f *testing.F) {
	f.Add(false, []byte(xoauth2GoogleError), []byte{}, false)
	f.Add(true, []byte(oauthBearerRFCError), []byte{}, false)
	f.Add(true, []byte{}, []byte(oauthBearerRFCError), false)
	f.Add(false, []byte{}, []byte{}, true)
	f.Add(true, []byte(`{"status":401}`), []byte(`{}`), false)
	f.Add(false, []byte("not json"), []byte{}, false)
	f.Fuzz(func(t *testing.T, bearer bool, c1, c2 []byte, ok bool) {
		cm, ack := XOAUTH2Client("user", StaticToken("tok")), []byte{}
		if bearer {
			cm, ack = OAuthBearerClient("user", StaticToken("tok")), []byte{0x01}
		}
		c, err := cm.NewClient(ConnState{ServerName: "mx.example", Port: 587})
		require.NoError(t, err)
		ctx := context.Background()
		ir, _, err := c.Start(ctx)
		require.NoError(t, err)
		ir = bytes.Clone(ir)
		acked := false
		for i, ch := range [][]byte{c1, c2} {
			resp, err := c.Next(ctx, ch)
			if err != nil {
				break
			}
			switch {
			case len(ch) == 0 && i == 0:
				require.Equal(t, ir, resp)
			default:
				_, perr := oauthParseError(ch)
				require.NoError(t, perr, "answered a challenge that is no JSON error document")
				require.Equal(t, ack, resp)
				acked = true
			}
		}
		ferr := c.Finish(ok)
		var te *TokenError
		if !ok && acked {
			require.ErrorAs(t, ferr, &te)
		} else {
			require.NoError(t, ferr)
		}
	})
}
