package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnonymousVector is RFC 4505's trace "sirhc" (SPEC 4.3): c2lyaGM=.
func TestAnonymousVector(t *testing.T) {
	ctx := context.Background()
	c, err := AnonymousClient("sirhc").NewClient(ConnState{})
	require.NoError(t, err)
	ir, ok, err := c.Start(ctx)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "c2lyaGM=", base64.StdEncoding.EncodeToString(ir))

	s, err := AnonymousServer(nil).NewServer(ConnState{})
	require.NoError(t, err)
	_, done, err := s.Start(ctx, b64(t, "c2lyaGM="), true)
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, Identity{Trace: "sirhc"}, s.Identity())
}

func TestAnonymousExchange(t *testing.T) {
	accept := func(_ context.Context, trace string) error {
		switch trace {
		case "spammer@example.com":
			return ErrInvalidCredentials
		case "down":
			return errStoreDown
		}
		return nil
	}
	tests := []struct {
		trace    string
		code     reply.Code
		sentinel error
	}{
		{"sirhc", 235, nil},
		{"", 235, nil},
		{"chris@example.com", 235, nil},
		{"\u00e9t\u00e9", 235, nil},
		{strings.Repeat("\u00e9", 255), 235, nil},
		{"spammer@example.com", 535, ErrInvalidCredentials},
		{"down", 454, ErrTemporary},
	}
	for _, tc := range tests {
		id, err := exchange(context.Background(), AnonymousClient(tc.trace), AnonymousServer(accept), ConnState{}, ConnState{})
		assert.Equal(t, tc.code, Reply(err).Code, tc.trace)
		if tc.sentinel != nil {
			require.ErrorIs(t, err, tc.sentinel)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, Identity{Trace: tc.trace}, id)
	}
}

func TestAnonymousTraceRules(t *testing.T) {
	tests := []struct {
		name, trace string
		ok          bool
	}{
		{"255 ASCII", strings.Repeat("a", 255), true},
		{"256 ASCII", strings.Repeat("a", 256), false},
		{"255 four-octet characters", strings.Repeat("\U0001F600", 255), true},
		{"256 four-octet characters", strings.Repeat("\U0001F600", 256), false},
		{"over 1020 octets", strings.Repeat("a", 1021), false},
		{"invalid UTF-8", "a\xffb", false},
		{"surrogate", "\xed\xa0\x80", false},
		{"NUL", "a\x00b", false},
		{"CR LF", "a\r\nb", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"U+FFFD itself", "\ufffd", true},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, cerr := AnonymousClient(tc.trace).NewClient(ConnState{})
			s, err := AnonymousServer(nil).NewServer(ConnState{})
			require.NoError(t, err)
			_, done, serr := s.Start(ctx, []byte(tc.trace), true)
			if tc.ok {
				require.NoError(t, cerr)
				require.NoError(t, serr)
				assert.True(t, done)
				return
			}
			require.ErrorIs(t, cerr, ErrMalformed)
			require.ErrorIs(t, serr, ErrMalformed)
			assert.Equal(t, reply.Code(501), Reply(serr).Code)
		})
	}
}

func TestAnonymousSequence(t *testing.T) {
	ctx := context.Background()
	m := AnonymousServer(nil)
	assert.Equal(t, nameAnonymous, m.Name())
	assert.True(t, m.Available(ConnState{}))
	s, err := m.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Next(ctx, []byte("sirhc"))
	require.ErrorIs(t, err, ErrSequence)

	s, err = m.NewServer(ConnState{})
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Empty(t, ch)
	_, done, err = s.Next(ctx, []byte("sirhc"))
	require.NoError(t, err)
	assert.True(t, done)
	_, _, err = s.Next(ctx, []byte("sirhc"))
	require.ErrorIs(t, err, ErrSequence)

	called := false
	s, err = AnonymousServer(func(context.Context, string) error {
		called = true
		return errors.New("x")
	}).NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, []byte("a\x00"), true)
	require.ErrorIs(t, err, ErrMalformed)
	assert.False(t, called, "accept never sees an invalid trace")
	assert.Equal(t, nameAnonymous, AnonymousClient("").Name())
}
