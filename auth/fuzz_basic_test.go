package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets below read their input as one exchange: whether the
// AUTH command carried an initial response, that response, and up to two
// client lines that follow, fed in order until the exchange ends. Each
// asserts that the server never panics, never returns a challenge over
// MaxResponse, fails with an *Error whose reply is one RFC 4954 assigns,
// refuses every call after the end, and succeeds only when the
// credentials in the input are ones the test's verifier (the ground
// truth) knows, which the target checks again by decoding the input
// itself.

// fuzzRun is the outcome of one driven exchange.
type fuzzRun struct {
	ok   bool
	msgs [][]byte // the messages the server consumed, in order
	err  error
}

// driveServer feeds s the fuzz input and checks the properties every
// mechanism shares.
func driveServer(t *testing.T, s Server, present bool, ir []byte, resps ...[]byte) fuzzRun {
	t.Helper()
	ctx := context.Background()
	var run fuzzRun
	ch, done, err := s.Start(ctx, ir, present)
	if present {
		run.msgs = append(run.msgs, ir)
	}
	for _, r := range resps {
		if err != nil || done {
			break
		}
		require.LessOrEqual(t, len(ch), MaxResponse)
		run.msgs = append(run.msgs, r)
		ch, done, err = s.Next(ctx, r)
	}
	if err == nil && !done {
		return run // the input ended mid-exchange
	}
	run.ok, run.err = done && err == nil, err
	if err != nil {
		var e *Error
		require.ErrorAs(t, err, &e)
		switch code := Reply(err).Code; code {
		case 500, 501, 504, 535, 454:
		default:
			t.Fatalf("reply %d for %v", code, err)
		}
		assert.Equal(t, Identity{}, s.Identity(), "no identity after a failure")
	}
	_, _, err = s.Next(ctx, []byte("x"))
	require.ErrorIs(t, err, ErrSequence, "nothing after the end")
	return run
}

// validTrace is RFC 4505's rule, restated for the ANONYMOUS target.
func validTrace(b []byte) bool {
	if !utf8.Valid(b) || utf8.RuneCount(b) > 255 {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// recordingChecker is testChecker that remembers what it was asked and
// what it answered.
type recordingChecker struct {
	calls               int
	authzid, user, pass string
	err                 error
}

func (c *recordingChecker) CheckPassword(ctx context.Context, authzid, user, pass string) error {
	c.calls++
	c.authzid, c.user, c.pass = authzid, user, pass
	c.err = testChecker(ctx, authzid, user, pass)
	return c.err
}

// knownPassword reports whether user and pass, decoded from the input and
// prepared by the target, are a pair of testUsers.
func knownPassword(user, pass []byte) bool {
	u, err := PrepareUsername(string(user))
	if err != nil || !utf8.Valid(user) {
		return false
	}
	p, err := PreparePassword(string(pass))
	if err != nil || !utf8.Valid(pass) {
		return false
	}
	want, ok := testUsers[u]
	return ok && want != "" && want == p
}

func FuzzPlainServer(f *testing.F) {
	for _, s := range []string{"dGVzdAB0ZXN0ADEyMzQ=", "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "VXJzZWwAS3VydAB4aXBqM3BsbXE="} {
		msg := b64(f, s)
		f.Add(true, msg, []byte(nil), []byte(nil))
		f.Add(false, []byte(nil), msg, msg)
	}
	f.Add(true, []byte("\x00tim\x00wrong"), []byte(nil), []byte(nil))
	f.Add(true, []byte("\x00tim\x00tanstaaf\x00tanstaaf"), []byte(nil), []byte(nil))
	f.Add(true, []byte("root\x00tim\x00tanstaaftanstaaf"), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, present bool, ir, r1, r2 []byte) {
		check := &recordingChecker{}
		s, err := PlainServer(check).NewServer(ConnState{TLS: true})
		require.NoError(t, err)
		run := driveServer(t, s, present, ir, r1, r2)
		if !run.ok {
			return
		}
		require.Equal(t, 1, check.calls, "success only through the checker")
		require.NoError(t, check.err)
		assert.Equal(t, Identity{Username: check.user, Authzid: check.authzid}, s.Identity())
		msg := run.msgs[len(run.msgs)-1]
		parts := bytes.Split(msg, []byte{0})
		require.Len(t, parts, 3, "exactly two NULs")
		require.True(t, knownPassword(parts[1], parts[2]), "success with credentials the verifier does not know")
	})
}

func FuzzLoginServer(f *testing.F) {
	f.Add(false, []byte(nil), []byte("tim"), []byte("tanstaaftanstaaf"))
	f.Add(true, []byte("tim"), []byte("tanstaaftanstaaf"), []byte(nil))
	f.Add(true, []byte("Kurt"), []byte("xipj3plmq"), []byte("extra"))
	f.Add(false, []byte(nil), []byte("tim"), []byte("wrong"))
	f.Add(true, []byte(""), []byte("tim"), []byte("tanstaaftanstaaf"))
	f.Fuzz(func(t *testing.T, present bool, ir, r1, r2 []byte) {
		check := &recordingChecker{}
		s, err := LoginServer(check).NewServer(ConnState{TLS: true})
		require.NoError(t, err)
		run := driveServer(t, s, present, ir, r1, r2)
		if !run.ok {
			return
		}
		require.Equal(t, 1, check.calls)
		require.NoError(t, check.err)
		require.Len(t, run.msgs, 2, "a user name and a password")
		assert.Equal(t, Identity{Username: check.user}, s.Identity())
		require.True(t, knownPassword(run.msgs[0], run.msgs[1]), "success with credentials the verifier does not know")
	})
}

func FuzzCRAMMD5Server(f *testing.F) {
	const challenge = "<1896.697170952@postoffice.reston.mci.net>"
	f.Add(false, []byte(nil), []byte("tim b913a602c7eda7a495b4e6e7334d3890"), []byte(nil))
	f.Add(false, []byte(nil), []byte("tim b913a602c7eda7a495b4e6e7334d3891"), []byte("again"))
	f.Add(true, []byte("tim b913a602c7eda7a495b4e6e7334d3890"), []byte(nil), []byte(nil))
	f.Add(false, []byte(nil), []byte("tim B913A602C7EDA7A495B4E6E7334D3890"), []byte(nil))
	f.Fuzz(func(t *testing.T, present bool, ir, r1, r2 []byte) {
		s, err := CRAMMD5Server(testStore, "postoffice.reston.mci.net", fixedChallenge(1896, 697170952)...).NewServer(ConnState{})
		require.NoError(t, err)
		run := driveServer(t, s, present, ir, r1, r2)
		if present {
			require.ErrorIs(t, run.err, ErrUnexpectedResponse, "RFC 4954 section 4")
		}
		if !run.ok {
			return
		}
		require.Len(t, run.msgs, 1)
		resp := run.msgs[0]
		i := bytes.LastIndexByte(resp, ' ')
		require.Positive(t, i)
		user := string(resp[:i])
		secret, ok := testUsers[user]
		require.True(t, ok, "success for a user the store does not know")
		h := hmac.New(md5.New, []byte(secret))
		h.Write([]byte(challenge))
		require.Equal(t, user+" "+hex.EncodeToString(h.Sum(nil)), string(resp), "success with a wrong digest")
		assert.Equal(t, Identity{Username: user}, s.Identity())
	})
}

func FuzzExternalServer(f *testing.F) {
	f.Add(true, []byte(""), []byte(nil), []byte(nil))
	f.Add(false, []byte(nil), []byte("shared"), []byte(nil))
	f.Add(true, []byte("alice"), []byte("more"), []byte(nil))
	f.Add(true, []byte("root"), []byte(nil), []byte(nil))
	f.Add(true, []byte("down"), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, present bool, ir, r1, r2 []byte) {
		var asked []string
		mapper := CertificateMapperFunc(func(ctx context.Context, chain []*x509.Certificate, authzid string) (Identity, error) {
			asked = append(asked, authzid)
			return testMapper(ctx, chain, authzid)
		})
		s, err := ExternalServer(mapper).NewServer(aliceTLS)
		require.NoError(t, err)
		run := driveServer(t, s, present, ir, r1, r2)
		if !run.ok {
			return
		}
		require.Len(t, asked, 1, "success only through the mapper")
		msg := run.msgs[len(run.msgs)-1]
		var authzid string
		if len(msg) > 0 {
			require.True(t, utf8.Valid(msg))
			authzid, err = PrepareUsername(string(msg))
			require.NoError(t, err)
		}
		require.Equal(t, asked[0], authzid)
		require.Contains(t, []string{"", "alice", "shared"}, authzid, "success for an authzid the mapper refuses")
		assert.Equal(t, "alice", s.Identity().Username)
	})
}

func FuzzAnonymousServer(f *testing.F) {
	f.Add(true, b64(f, "c2lyaGM="), []byte(nil), []byte(nil))
	f.Add(false, []byte(nil), []byte("sirhc"), []byte(nil))
	f.Add(true, []byte("chris@example.com"), []byte("x"), []byte(nil))
	f.Add(true, []byte("deny"), []byte(nil), []byte(nil))
	f.Add(true, []byte("a\x00b"), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, present bool, ir, r1, r2 []byte) {
		var seen []string
		accept := func(_ context.Context, trace string) error {
			seen = append(seen, trace)
			if trace == "deny" {
				return errors.New("policy")
			}
			return nil
		}
		s, err := AnonymousServer(accept).NewServer(ConnState{})
		require.NoError(t, err)
		run := driveServer(t, s, present, ir, r1, r2)
		if !run.ok {
			return
		}
		msg := run.msgs[len(run.msgs)-1]
		require.True(t, validTrace(msg), "success with a trace RFC 4505 forbids")
		require.Equal(t, []string{string(msg)}, seen, "success only through accept")
		require.NotEqual(t, "deny", string(msg))
		assert.Equal(t, Identity{Trace: string(msg)}, s.Identity())
	})
}
