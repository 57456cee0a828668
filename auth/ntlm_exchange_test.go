package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The NTLM client through the package's exchange harness, against a
// test-only server over verifyNTLMv2 (ntlm_test.go).

// ntlmTestServer is a test-only NTLM server mechanism over verifyNTLMv2,
// so that the client runs through the package's exchange harness.
type ntlmTestServer struct {
	passwords map[string]string // "DOMAIN\USER" (user upper-cased) to password
	timestamp bool              // send MsvAvTimestamp, which asks for a MIC
}

func (*ntlmTestServer) Name() string             { return "NTLM" }
func (*ntlmTestServer) Available(ConnState) bool { return true }
func (s *ntlmTestServer) NewServer(ConnState) (Server, error) {
	return &ntlmTestSession{mech: s}, nil
}

type ntlmTestSession struct {
	mech                 *ntlmTestServer
	negotiate, challenge []byte
	id                   Identity
}

func (*ntlmTestSession) Name() string { return "NTLM" }

func (s *ntlmTestSession) Start(_ context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if !present {
		return nil, false, nil // "334 NTLM supported"
	}
	return s.onNegotiate(ir)
}

func (s *ntlmTestSession) onNegotiate(b []byte) ([]byte, bool, error) {
	if err := checkHeader(b, ntlmNegotiate, "NEGOTIATE_MESSAGE"); err != nil {
		return nil, false, err
	}
	s.negotiate = append([]byte(nil), b...)
	pairs := []avPair{{avNbDomainName, utf16le("EXAMPLE")}, {avNbComputerName, utf16le("MX1")}}
	if s.mech.timestamp {
		pairs = append(pairs, avPair{avTimestamp, []byte{1, 2, 3, 4, 5, 6, 7, 1}})
	}
	s.challenge = buildTestChallenge(testChallenge{flags: 0xe28a8215, serverChallenge: [8]byte{0xfe, 1, 2, 3, 4, 5, 6, 7}, targetName: "EXAMPLE", pairs: pairs})
	return s.challenge, false, nil
}

func (s *ntlmTestSession) Next(_ context.Context, resp []byte) ([]byte, bool, error) {
	if s.negotiate == nil {
		return s.onNegotiate(resp)
	}
	m, err := parseAuthenticate(resp)
	if err != nil {
		return nil, false, err
	}
	user, domain := decodeUTF16LE(m.user), decodeUTF16LE(m.domain)
	pw, ok := s.mech.passwords[domain+`\`+strings.ToUpper(user)]
	if !ok {
		return nil, false, ErrInvalidCredentials
	}
	v, err := verifyNTLMv2(s.negotiate, s.challenge, resp, pw)
	if err != nil {
		return nil, false, err
	}
	if s.mech.timestamp && !v.micChecked {
		return nil, false, errors.New("no MIC")
	}
	s.id = Identity{Username: user}
	return nil, true, nil
}

func (s *ntlmTestSession) Identity() Identity { return s.id }

func TestNTLMExchange(t *testing.T) {
	ctx := context.Background()
	for _, ts := range []bool{false, true} {
		server := &ntlmTestServer{passwords: map[string]string{`EXAMPLE\RELAY`: "good"}, timestamp: ts}
		id, err := exchange(ctx, NTLMClient("EXAMPLE", "relay", "good"), server, ConnState{TLS: true}, ConnState{TLS: true})
		require.NoError(t, err, "timestamp %v", ts)
		assert.Equal(t, "relay", id.Username)

		_, err = exchange(ctx, NTLMClient("EXAMPLE", "relay", "bad"), server, ConnState{}, ConnState{})
		assert.ErrorIs(t, err, ErrInvalidCredentials)
		_, err = exchange(ctx, NTLMClient("OTHER", "relay", "good"), server, ConnState{}, ConnState{})
		assert.ErrorIs(t, err, ErrInvalidCredentials)
	}
}

// TestNTLMExchangeWithoutInitialResponse plays a caller that sends AUTH
// NTLM alone: the server's "334 NTLM supported" reaches Next as an empty
// challenge.
func TestNTLMExchangeWithoutInitialResponse(t *testing.T) {
	ctx := context.Background()
	server := &ntlmTestServer{passwords: map[string]string{`EXAMPLE\RELAY`: "good"}, timestamp: true}
	s, _ := server.NewServer(ConnState{})
	c, err := NTLMClient("EXAMPLE", "relay", "good").NewClient(ConnState{})
	require.NoError(t, err)
	_, _, err = c.Start(ctx) // the caller drops the initial response
	require.NoError(t, err)
	ch, done, err := s.Start(ctx, nil, false)
	require.NoError(t, err)
	require.False(t, done)
	for !done {
		resp, err := c.Next(ctx, ch)
		require.NoError(t, err)
		ch, done, err = s.Next(ctx, resp)
		require.NoError(t, err)
	}
	assert.Equal(t, "relay", s.Identity().Username)
	assert.NoError(t, c.Finish(true))
}

// TestNTLMMechanismConcurrent shares one mechanism between goroutines, as
// a connection pool does; run with -race.
func TestNTLMMechanismConcurrent(t *testing.T) {
	mech := NTLMClient("EXAMPLE", "relay", "good")
	server := &ntlmTestServer{passwords: map[string]string{`EXAMPLE\RELAY`: "good"}, timestamp: true}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = exchange(context.Background(), mech, server, ConnState{}, ConnState{})
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}

func BenchmarkNTLMClient(b *testing.B) {
	challenge := buildTestChallenge(testChallenge{flags: 0xe28a8215, pairs: []avPair{{avNbDomainName, utf16le("EXAMPLE")}, {avTimestamp, make([]byte, 8)}}})
	mech := NTLMClient("EXAMPLE", "relay", "good")
	ctx := context.Background()
	c, _ := mech.NewClient(ConnState{})
	neg, _, _ := c.Start(ctx)
	auth, err := c.Next(ctx, challenge)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(neg) + len(challenge) + len(auth)))
	for b.Loop() {
		c, _ := mech.NewClient(ConnState{})
		_, _, _ = c.Start(ctx)
		if _, err := c.Next(ctx, challenge); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNTLMClientWorkstation checks that WithWorkstation puts the name, in
// UTF-16LE, into the AUTHENTICATE_MESSAGE (MS-NLMP section 2.2.1.3) and
// that the response still verifies.
func TestNTLMClientWorkstation(t *testing.T) {
	challenge := unhex(t, specChallengeHex)
	mech := NTLMClient("Domain", "User", "Password", WithRand(specRand()), WithClock(specClock),
		WithWorkstation("COMPUTER"))
	neg, out, err := ntlmRun(t, mech, challenge)
	require.NoError(t, err)
	m, err := parseAuthenticate(out)
	require.NoError(t, err)
	assert.Equal(t, utf16le("COMPUTER"), m.workstation)
	_, err = verifyNTLMv2(neg, challenge, out, "Password")
	require.NoError(t, err)

	_, err = NTLMClient("Domain", "User", "Password", WithWorkstation("\xff")).NewClient(ConnState{})
	require.ErrorIs(t, err, ErrMalformed)
}
