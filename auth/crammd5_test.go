package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedChallenge returns options that make a CRAM-MD5 server send
// "<rnd.unix@host>".
func fixedChallenge(rnd uint64, unix int64) []Option {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], rnd)
	return []Option{
		WithRand(bytes.NewReader(b[:])),
		WithClock(func() time.Time { return time.Unix(unix, 0) }),
	}
}

// TestCRAMMD5Vector runs RFC 2195 section 2's example (SPEC 4.3).
func TestCRAMMD5Vector(t *testing.T) {
	ctx := context.Background()
	s, err := CRAMMD5Server(testStore, "postoffice.reston.mci.net", fixedChallenge(1896, 697170952)...).NewServer(ConnState{})
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "<1896.697170952@postoffice.reston.mci.net>", string(ch))
	assert.Equal(t, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", base64.StdEncoding.EncodeToString(ch))

	c, err := CRAMMD5Client("tim", "tanstaaftanstaaf").NewClient(ConnState{})
	require.NoError(t, err)
	ir, ok, err := c.Start(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "CRAM-MD5 has no initial response")
	assert.Nil(t, ir)
	resp, err := c.Next(ctx, ch)
	require.NoError(t, err)
	assert.Equal(t, "tim b913a602c7eda7a495b4e6e7334d3890", string(resp))
	assert.Equal(t, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", base64.StdEncoding.EncodeToString(resp))

	_, done, err = s.Next(ctx, resp)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, Identity{Username: "tim"}, s.Identity())
	require.NoError(t, c.Finish(true))
}

// TestCRAMMD5RFC4954Framing replays RFC 4954 section 4.1's CRAM-MD5
// example. Its secret is not published, so the exchange must reach the
// digest comparison and fail there.
func TestCRAMMD5RFC4954Framing(t *testing.T) {
	ctx := context.Background()
	store := SecretStoreFunc(func(_ context.Context, user string) ([]byte, error) {
		require.Equal(t, "rjs3", user)
		return []byte("not the secret"), nil
	})
	s, err := CRAMMD5Server(store, "sourcefour.andrew.cmu.edu", fixedChallenge(4192942341, 12828472)...).NewServer(ConnState{})
	require.NoError(t, err)
	ch, _, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.Equal(t, "PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=", base64.StdEncoding.EncodeToString(ch))
	_, _, err = s.Next(ctx, b64(t, "cmpzMyBlYzNhNTlmZWQzOTVhYmExZWM2MzY3YzRmNGI0MWFjMA=="))
	require.ErrorIs(t, err, ErrInvalidCredentials)
	assert.Equal(t, reply.E(5, 7, 8), Reply(err).Enhanced)
}

func TestCRAMMD5Exchange(t *testing.T) {
	tests := []struct {
		name, user, secret string
		code               reply.Code
		sentinel           error
	}{
		{"good", "tim", "tanstaaftanstaaf", 235, nil},
		{"wrong secret", "tim", "hunter2-secret", 535, ErrInvalidCredentials},
		{"unknown user", "nobody", "hunter2-secret", 535, ErrInvalidCredentials},
		{"store down", "down", "x", 454, ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := exchange(context.Background(), CRAMMD5Client(tc.user, tc.secret), CRAMMD5Server(testStore, "mx.example.com"), ConnState{}, ConnState{})
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

func TestCRAMMD5UserWithSpace(t *testing.T) {
	store := SecretStoreFunc(func(_ context.Context, user string) ([]byte, error) {
		if user == "tim smith" {
			return []byte("s"), nil
		}
		return nil, ErrInvalidCredentials
	})
	id, err := exchange(context.Background(), CRAMMD5Client("tim smith", "s"), CRAMMD5Server(store, ""), ConnState{}, ConnState{})
	require.NoError(t, err)
	assert.Equal(t, "tim smith", id.Username, "the digest follows the last space")
}

func TestCRAMMD5InitialResponse(t *testing.T) {
	ctx := context.Background()
	for _, ir := range [][]byte{nil, []byte("tim b913a602c7eda7a495b4e6e7334d3890")} {
		s, err := CRAMMD5Server(testStore, "").NewServer(ConnState{})
		require.NoError(t, err)
		_, _, err = s.Start(ctx, ir, true)
		require.ErrorIs(t, err, ErrUnexpectedResponse, "RFC 4954 section 4")
		assert.Equal(t, reply.Code(501), Reply(err).Code)
		assert.Equal(t, reply.E(5, 7, 0), Reply(err).Enhanced)
	}
}

func TestCRAMMD5ServerMalformed(t *testing.T) {
	const digest = "b913a602c7eda7a495b4e6e7334d3890"
	tests := []struct {
		name, resp string
		want       error
	}{
		{"no space", "tim" + digest, ErrMalformed},
		{"empty", "", ErrMalformed},
		{"empty user", " " + digest, ErrMalformed},
		{"short digest", "tim " + digest[1:], ErrMalformed},
		{"long digest", "tim " + digest + "0", ErrMalformed},
		{"upper-case hex", "tim " + strings.ToUpper(digest), ErrMalformed},
		{"not hex", "tim " + strings.Repeat("g", 32), ErrMalformed},
		{"invalid UTF-8 user", "t\xffm " + digest, ErrMalformed},
		{"control in user", "t\x01m " + digest, ErrMalformed},
		{"too long", strings.Repeat("u", MaxResponse) + " " + digest, ErrTooLong},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := CRAMMD5Server(testStore, "postoffice.reston.mci.net", fixedChallenge(1896, 697170952)...).NewServer(ConnState{})
			require.NoError(t, err)
			_, _, err = s.Start(ctx, nil, false)
			require.NoError(t, err)
			_, done, err := s.Next(ctx, []byte(tc.resp))
			require.ErrorIs(t, err, tc.want)
			assert.False(t, done)
			assert.Equal(t, Identity{}, s.Identity())
			_, _, err = s.Next(ctx, []byte("tim "+digest))
			require.ErrorIs(t, err, ErrSequence)
		})
	}
}

func TestCRAMMD5ServerConfig(t *testing.T) {
	ctx := context.Background()
	for _, host := range []string{"a b", "a<b", "a>b", "a@b", "h\u00f6st", "a\x00"} {
		_, err := CRAMMD5Server(testStore, host).NewServer(ConnState{})
		require.Error(t, err, host)
	}
	_, err := CRAMMD5Server(nil, "").NewServer(ConnState{})
	require.ErrorIs(t, err, ErrUnsupported)

	s, err := CRAMMD5Server(testStore, "", fixedChallenge(1, 2)...).NewServer(ConnState{})
	require.NoError(t, err)
	ch, _, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.Equal(t, "<1.2@localhost>", string(ch), "an empty hostname is localhost")
	assert.Equal(t, nameCRAMMD5, s.Name())

	s, err = CRAMMD5Server(testStore, "", WithRand(iotest.ErrReader(errors.New("no entropy")))).NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, nil, false)
	require.ErrorIs(t, err, ErrTemporary)
	assert.Equal(t, reply.Code(454), Reply(err).Code)

	// The default source gives a fresh challenge to every exchange.
	m := CRAMMD5Server(testStore, "mx.example")
	seen := map[string]bool{}
	for range 8 {
		s, err := m.NewServer(ConnState{})
		require.NoError(t, err)
		ch, _, err := s.Start(ctx, nil, false)
		require.NoError(t, err)
		assert.False(t, seen[string(ch)], "challenge repeated")
		seen[string(ch)] = true
	}
}

func TestCRAMMD5Sequence(t *testing.T) {
	ctx := context.Background()
	s, err := CRAMMD5Server(testStore, "").NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Next(ctx, []byte("tim b913a602c7eda7a495b4e6e7334d3890"))
	require.ErrorIs(t, err, ErrSequence)
	_, _, err = s.Start(ctx, nil, false)
	require.ErrorIs(t, err, ErrSequence, "after an error, nothing")

	c, err := CRAMMD5Client("tim", "x").NewClient(ConnState{})
	require.NoError(t, err)
	assert.Equal(t, nameCRAMMD5, c.Name())
	_, err = c.Next(ctx, []byte("<1.2@h>"))
	require.ErrorIs(t, err, ErrSequence, "Next before Start")

	c, err = CRAMMD5Client("tim", "x").NewClient(ConnState{})
	require.NoError(t, err)
	_, _, err = c.Start(ctx)
	require.NoError(t, err)
	_, err = c.Next(ctx, nil)
	require.ErrorIs(t, err, ErrMalformed, "empty challenge")

	c, err = CRAMMD5Client("tim", "x").NewClient(ConnState{})
	require.NoError(t, err)
	_, _, err = c.Start(ctx)
	require.NoError(t, err)
	_, err = c.Next(ctx, []byte("<1.2@h>"))
	require.NoError(t, err)
	_, err = c.Next(ctx, []byte("<1.2@h>"))
	require.ErrorIs(t, err, ErrMalformed, "a second challenge")

	for _, user := range []string{"", "t\x00m", "\xff"} {
		_, err := CRAMMD5Client(user, "x").NewClient(ConnState{})
		require.ErrorIs(t, err, ErrMalformed)
	}
	_, err = CRAMMD5Client("tim", strings.Repeat("s", MaxResponse+1)).NewClient(ConnState{})
	require.ErrorIs(t, err, ErrTooLong)
}
