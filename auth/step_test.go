package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errStoreDown is an application failure of a test verifier.
var errStoreDown = errors.New("store down")

// testUsers is the test verifiers' ground truth: user name to password.
var testUsers = map[string]string{
	"tim":  "tanstaaftanstaaf",
	"test": "1234",
	"Kurt": "xipj3plmq",
	"down": "", // the store fails for this user
}

// testAuthz says which authorization identities a user may act as.
var testAuthz = map[string]string{"Kurt": "Ursel", "test": "test"}

// testChecker is a PasswordChecker over testUsers and testAuthz.
var testChecker = PasswordCheckerFunc(func(_ context.Context, authzid, user, pass string) error {
	if user == "down" {
		return errStoreDown
	}
	want, ok := testUsers[user]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		return ErrInvalidCredentials
	}
	if authzid != "" && authzid != user && testAuthz[user] != authzid {
		return ErrAuthzDenied
	}
	return nil
})

// testStore is a SecretStore over testUsers.
var testStore = SecretStoreFunc(func(_ context.Context, user string) ([]byte, error) {
	if user == "down" {
		return nil, errStoreDown
	}
	if p, ok := testUsers[user]; ok {
		return []byte(p), nil
	}
	return nil, ErrInvalidCredentials
})

func TestStepString(t *testing.T) {
	for s, want := range stepNames {
		assert.Equal(t, want, step(s).String())
	}
	assert.Equal(t, "none", step(0).String(), "the zero value means not started")
	assert.Equal(t, "step(200)", step(200).String())
}

func TestSeq(t *testing.T) {
	t.Run("next before start", func(t *testing.T) {
		q := seq{mech: "X"}
		require.ErrorIs(t, q.next(nil), ErrSequence)
		assert.Equal(t, stepFailed, q.step, "an error ends the exchange")
		require.ErrorIs(t, q.begin(nil), ErrSequence)
	})
	t.Run("start twice", func(t *testing.T) {
		q := seq{mech: "X"}
		require.NoError(t, q.begin(nil))
		q.step = stepWait
		require.ErrorIs(t, q.begin(nil), ErrSequence)
	})
	t.Run("size", func(t *testing.T) {
		q := seq{mech: "X"}
		require.NoError(t, q.begin(make([]byte, MaxResponse)))
		q = seq{mech: "X"}
		err := q.begin(make([]byte, MaxResponse+1))
		require.ErrorIs(t, err, ErrTooLong)
		assert.Equal(t, 500, int(Reply(err).Code))
		q = seq{mech: "X", step: stepWait2}
		require.ErrorIs(t, q.next(make([]byte, MaxResponse+1)), ErrTooLong)
	})
	t.Run("after the end", func(t *testing.T) {
		for _, st := range []step{stepDone, stepFailed} {
			q := seq{mech: "X", step: st}
			require.ErrorIs(t, q.next(nil), ErrSequence, st.String())
		}
		q := seq{mech: "X", step: stepSent}
		require.ErrorIs(t, q.next(nil), ErrMalformed, "a challenge after the last response")
	})
	t.Run("a stray call keeps a success", func(t *testing.T) {
		q := seq{mech: "X", step: stepDone}
		require.ErrorIs(t, q.begin(nil), ErrSequence)
		require.ErrorIs(t, q.next(nil), ErrSequence)
		assert.Equal(t, stepDone, q.step)
	})
	t.Run("finish", func(t *testing.T) {
		q := seq{mech: "X"}
		require.ErrorIs(t, q.finish(), ErrSequence, "before Start")
		q.step = stepFailed
		require.NoError(t, q.finish(), "after a client failure the caller still reports the outcome")
		require.ErrorIs(t, q.finish(), ErrSequence, "twice")
	})
}

func TestVerifierError(t *testing.T) {
	tests := []struct {
		err       error
		code      int
		temporary bool
	}{
		{ErrInvalidCredentials, 535, false},
		{ErrAuthzDenied, 535, false},
		{&TokenError{Status: "invalid_token"}, 535, false},
		{errStoreDown, 454, true},
		{context.DeadlineExceeded, 454, true},
		{ErrTemporary, 454, true},
	}
	for _, tc := range tests {
		err := verifierError("PLAIN", tc.err)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "PLAIN", e.Mechanism)
		assert.ErrorIs(t, err, tc.err, "the verifier's error stays visible")
		assert.Equal(t, tc.code, int(Reply(err).Code), tc.err.Error())
		assert.Equal(t, tc.temporary, errors.Is(err, ErrTemporary), tc.err.Error())
	}
}

func TestWithMechanism(t *testing.T) {
	_, perr := PreparePassword("")
	err := withMechanism("LOGIN", perr)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "LOGIN", e.Mechanism)
	assert.ErrorIs(t, err, ErrMalformed)
	other := errors.New("x")
	assert.Same(t, other, withMechanism("LOGIN", other))
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", nil},
		{"user@example.com", nil},
		{"Jürgen", nil},
		{"a\x00b", ErrMalformed},
		{"\xff", ErrMalformed},
		{strings.Repeat("a", MaxResponse+1), ErrTooLong},
	}
	for _, tc := range tests {
		err := checkText("X", "field", tc.in)
		if tc.want == nil {
			assert.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, tc.want)
	}
}

func TestSingleClient(t *testing.T) {
	ctx := context.Background()
	t.Run("initial response", func(t *testing.T) {
		c := &singleClient{seq: seq{mech: "X"}, msg: []byte("m")}
		_, err := c.Next(ctx, nil)
		require.ErrorIs(t, err, ErrSequence, "Next before Start")
	})
	t.Run("answers one empty challenge", func(t *testing.T) {
		c := &singleClient{seq: seq{mech: "X"}, msg: []byte("m")}
		ir, ok, err := c.Start(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "m", string(ir))
		resp, err := c.Next(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, "m", string(resp))
		_, err = c.Next(ctx, nil)
		require.ErrorIs(t, err, ErrMalformed)
		require.NoError(t, c.Finish(false))
		require.ErrorIs(t, c.Finish(true), ErrSequence)
	})
	t.Run("refuses a challenge with content", func(t *testing.T) {
		c := &singleClient{seq: seq{mech: "X"}, msg: []byte("m")}
		_, _, err := c.Start(ctx)
		require.NoError(t, err)
		_, err = c.Next(ctx, []byte("hello"))
		require.ErrorIs(t, err, ErrMalformed)
		_, _, err = c.Start(ctx)
		require.ErrorIs(t, err, ErrSequence)
	})
}
