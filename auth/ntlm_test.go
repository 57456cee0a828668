package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/smtpkit/smtpkit/auth/internal/md4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specRand yields the MS-NLMP section 4.2.1 client challenge (aa…) and
// then the random session key (55…), in the order the client reads them.
func specRand() io.Reader {
	return bytes.NewReader(append(bytes.Repeat([]byte{0xaa}, 8), bytes.Repeat([]byte{0x55}, 16)...))
}

// specEpoch is FILETIME 0, the Time of MS-NLMP section 4.2.1.
var specEpoch = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)

func specClock() time.Time { return specEpoch }

// ntlmVerified is what verifyNTLMv2 learned from a valid
// AUTHENTICATE_MESSAGE.
type ntlmVerified struct {
	msg            authenticateMessage
	user, domain   string
	sessionBaseKey []byte
	exportedKey    []byte
	time           []byte
	clientPairs    []avPair // the AV pairs the client echoed in temp
	micChecked     bool
}

func decodeUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func testHMACMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// verifyNTLMv2 is a server's check of an AUTHENTICATE_MESSAGE, written
// from MS-NLMP sections 3.2.5.1.2 and 3.3.2 for the tests: it recomputes
// NTOWFv2 from password and the names in the message, checks NTProofStr
// over the server challenge and the client's temp, derives the session
// keys, and checks the MIC when MsvAvFlags announces one. A wrong password
// gives ErrInvalidCredentials.
func verifyNTLMv2(negotiate, challenge, authenticate []byte, password string) (ntlmVerified, error) {
	var v ntlmVerified
	ch, err := parseChallenge(challenge)
	if err != nil {
		return v, err
	}
	m, err := parseAuthenticate(authenticate)
	if err != nil {
		return v, err
	}
	v.msg, v.user, v.domain = m, decodeUTF16LE(m.user), decodeUTF16LE(m.domain)
	if len(m.ntResponse) < 16+28+4 || m.ntResponse[16] != 1 || m.ntResponse[17] != 1 {
		return v, errors.New("NtChallengeResponse is not an NTLMv2_RESPONSE")
	}
	nt := md4.Sum(utf16le(password))
	key := testHMACMD5(nt[:], utf16le(strings.ToUpper(v.user)+v.domain))
	proof, temp := m.ntResponse[:16], m.ntResponse[16:]
	if !hmac.Equal(proof, testHMACMD5(key, ch.serverChallenge[:], temp)) {
		return v, ErrInvalidCredentials
	}
	v.time = temp[8:16]
	if v.clientPairs, err = parseAVPairs(temp[28:]); err != nil {
		return v, err
	}
	v.sessionBaseKey = testHMACMD5(key, proof)
	v.exportedKey = v.sessionBaseKey
	if m.flags&flagKeyExch != 0 {
		if len(m.encryptedKey) != 16 {
			return v, errors.New("key exchange without a 16-octet EncryptedRandomSessionKey")
		}
		rc, err := rc4.NewCipher(v.sessionBaseKey)
		if err != nil {
			return v, err
		}
		v.exportedKey = make([]byte, 16)
		rc.XORKeyStream(v.exportedKey, m.encryptedKey)
	}
	for _, p := range v.clientPairs {
		if p.id != avFlags || binary.LittleEndian.Uint32(p.value)&avFlagMIC == 0 {
			continue
		}
		if m.mic == nil {
			return v, errors.New("MsvAvFlags announces a MIC the message lacks")
		}
		zeroed := append([]byte(nil), authenticate...)
		clear(zeroed[ntlmAuthVersionEnd:ntlmAuthMICEnd])
		if !hmac.Equal(m.mic, testHMACMD5(v.exportedKey, negotiate, challenge, zeroed)) {
			return v, errors.New("MIC does not verify")
		}
		v.micChecked = true
	}
	return v, nil
}

// ntlmRun runs one client through Start and Next against challenge.
func ntlmRun(t *testing.T, mech ClientMechanism, challenge []byte) (negotiate, authenticate []byte, err error) {
	t.Helper()
	c, err := mech.NewClient(ConnState{TLS: true})
	require.NoError(t, err)
	ir, ok, err := c.Start(context.Background())
	require.NoError(t, err)
	require.True(t, ok, "NTLM sends the NEGOTIATE_MESSAGE as initial response")
	negotiate = append([]byte(nil), ir...)
	authenticate, err = c.Next(context.Background(), challenge)
	return negotiate, authenticate, err
}

func TestNTOWFv2Spec(t *testing.T) {
	// MS-NLMP section 4.2.4.1.1.
	key := ntowfv2(utf16le("Password"), "User", "Domain")
	assert.Equal(t, "0c868a403bfd7a93a3001ef22ef02e3f", hex.EncodeToString(key[:]))
	// The user name is upper-cased, the domain is not.
	assert.Equal(t, key, ntowfv2(utf16le("Password"), "USER", "Domain"))
	assert.NotEqual(t, key, ntowfv2(utf16le("Password"), "User", "DOMAIN"))
}

// TestNTLMv2SpecAuthenticateMessage rebuilds the AUTHENTICATE_MESSAGE of
// MS-NLMP section 4.2.4.3 octet for octet from the section 4.2.1 inputs and
// that example's flags, version and workstation.
func TestNTLMv2SpecAuthenticateMessage(t *testing.T) {
	challenge := unhex(t, specChallengeHex)
	ch, err := parseChallenge(challenge)
	require.NoError(t, err)
	p := ntlmv2Params{
		flags:           0xe2888235,
		version:         [8]byte{5, 1, 0x28, 0x0a, 0, 0, 0, 15},
		key:             ntowfv2(utf16le("Password"), "User", "Domain"),
		domain:          utf16le("Domain"),
		user:            utf16le("User"),
		workstation:     utf16le("COMPUTER"),
		serverChallenge: ch.serverChallenge,
		clientChallenge: [8]byte(bytes.Repeat([]byte{0xaa}, 8)),
		targetInfo:      appendAVPairs(nil, ch.targetInfo),
		exportedKey:     [16]byte(bytes.Repeat([]byte{0x55}, 16)),
	}
	got, err := buildNTLMv2Authenticate(&p)
	require.NoError(t, err)
	assert.Equal(t, specAuthenticateHex, hex.EncodeToString(got))

	// The section 4.2.4 intermediate values, recomputed by the verifier.
	v, err := verifyNTLMv2(nil, challenge, got, "Password")
	require.NoError(t, err)
	assert.Equal(t, "8de40ccadbc14a82f15cb0ad0de95ca3", hex.EncodeToString(v.sessionBaseKey), "4.2.4.1.2 session base key")
	assert.Equal(t, strings.Repeat("55", 16), hex.EncodeToString(v.exportedKey), "RC4 round trip of 4.2.4.2.3")
	_, err = verifyNTLMv2(nil, challenge, got, "password")
	assert.ErrorIs(t, err, ErrInvalidCredentials)
}

// TestNTLMClientSpecChallenge runs the client on the section 4.2.4.3
// CHALLENGE_MESSAGE with the section 4.2.1 random values: its responses
// are the published ones; only its flags and workstation differ from the
// example.
func TestNTLMClientSpecChallenge(t *testing.T) {
	challenge := unhex(t, specChallengeHex)
	mech := NTLMClient("Domain", "User", "Password", WithRand(specRand()), WithClock(specClock))
	neg, out, err := ntlmRun(t, mech, challenge)
	require.NoError(t, err)
	m, err := parseAuthenticate(out)
	require.NoError(t, err)
	assert.Equal(t, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", hex.EncodeToString(m.lmResponse), "4.2.4.2.1 LMv2")
	assert.Equal(t, "68cd0ab851e51c96aabc927bebef6a1c", hex.EncodeToString(m.ntResponse[:16]), "4.2.4.2.2 NTProofStr")
	assert.Equal(t, "c5dad2544fc9799094ce1ce90bc9d03e", hex.EncodeToString(m.encryptedKey), "4.2.4.2.3")
	spec, err := parseAuthenticate(unhex(t, specAuthenticateHex))
	require.NoError(t, err)
	assert.Equal(t, spec.ntResponse, m.ntResponse, "the whole NTLMv2_RESPONSE")
	// 0xe28a8233 from the server, intersected with what the client asked.
	assert.Equal(t, uint32(0xe0888201), m.flags)
	assert.Empty(t, m.workstation)
	assert.Nil(t, m.mic, "no MsvAvTimestamp, no MIC")
	v, err := verifyNTLMv2(neg, challenge, out, "Password")
	require.NoError(t, err)
	assert.Equal(t, "User", v.user)
	assert.Equal(t, "Domain", v.domain)
}

func TestNTLMClientTimestampAndMIC(t *testing.T) {
	ts := []byte{0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01}
	base := []avPair{{avNbDomainName, utf16le("CONTOSO")}, {avNbComputerName, utf16le("EXCH01")}}
	tests := []struct {
		name      string
		flags     uint32
		pairs     []avPair
		wantFlags uint32 // MsvAvFlags the client echoes
	}{
		{"MsvAvFlags added", 0xe28a8215, append(base[:2:2], avPair{avTimestamp, ts}), avFlagMIC},
		{"MsvAvFlags kept and extended", 0xe28a8215, append(base[:2:2], avPair{avFlags, []byte{1, 0, 0, 0}}, avPair{avTimestamp, ts}), avFlagMIC | 1},
		{"no key exchange", 0xa28a8215, append(base[:2:2], avPair{avTimestamp, ts}), avFlagMIC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			challenge := buildTestChallenge(testChallenge{flags: tc.flags, serverChallenge: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, targetName: "CONTOSO", pairs: tc.pairs})
			mech := NTLMClient("CONTOSO", "relay", "s3cret", WithRand(specRand()), WithClock(specClock))
			neg, out, err := ntlmRun(t, mech, challenge)
			require.NoError(t, err)
			v, err := verifyNTLMv2(neg, challenge, out, "s3cret")
			require.NoError(t, err)
			assert.True(t, v.micChecked, "MIC present and valid")
			assert.Equal(t, ts, v.time, "Time is the server's MsvAvTimestamp")
			assert.Equal(t, make([]byte, 24), v.msg.lmResponse, "Z(24) with MsvAvTimestamp")
			// The server's pairs come back in order, with MsvAvFlags set.
			var flags uint32
			var others []avPair
			for _, p := range v.clientPairs {
				if p.id == avFlags {
					flags = binary.LittleEndian.Uint32(p.value)
					continue
				}
				others = append(others, p)
			}
			assert.Equal(t, tc.wantFlags, flags)
			var serverOthers []avPair
			for _, p := range tc.pairs {
				if p.id != avFlags {
					serverOthers = append(serverOthers, p)
				}
			}
			assert.Equal(t, serverOthers, others)
			if tc.flags&flagKeyExch == 0 {
				assert.Empty(t, v.msg.encryptedKey)
				assert.Equal(t, v.sessionBaseKey, v.exportedKey)
			} else {
				assert.Equal(t, bytes.Repeat([]byte{0x55}, 16), v.exportedKey)
			}
			// A wrong password fails, and so does a MIC over other messages.
			_, err = verifyNTLMv2(neg, challenge, out, "s3creT")
			assert.ErrorIs(t, err, ErrInvalidCredentials)
			_, err = verifyNTLMv2(append(neg[:len(neg):len(neg)], 0), challenge, out, "s3cret")
			assert.ErrorContains(t, err, "MIC")
		})
	}
}

func TestNTLMClientCredentials(t *testing.T) {
	challenge := buildTestChallenge(testChallenge{flags: 0xe28a8215, serverChallenge: [8]byte{9, 9, 9}, pairs: []avPair{{avNbDomainName, utf16le("EXAMPLE")}}})
	tests := []struct {
		name, domain, user, password string
	}{
		{"domain account", "EXAMPLE", "alice", "correct horse"},
		{"UPN, empty domain", "", "alice@example.com", "correct horse"},
		{"non-ASCII", "BÜRO", "jürgen", "pässwörd€𝄞"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			neg, out, err := ntlmRun(t, NTLMClient(tc.domain, tc.user, tc.password), challenge)
			require.NoError(t, err)
			v, err := verifyNTLMv2(neg, challenge, out, tc.password)
			require.NoError(t, err)
			assert.Equal(t, tc.user, v.user)
			assert.Equal(t, tc.domain, v.domain)
			_, err = verifyNTLMv2(neg, challenge, out, tc.password+"x")
			assert.ErrorIs(t, err, ErrInvalidCredentials)
		})
	}
}

func TestNTLMClientUsesClockWithoutTimestamp(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	challenge := buildTestChallenge(testChallenge{flags: 0xe28a8215, pairs: []avPair{{avNbDomainName, utf16le("D")}}})
	mech := NTLMClient("D", "u", "p", WithClock(func() time.Time { return now }))
	neg, out, err := ntlmRun(t, mech, challenge)
	require.NoError(t, err)
	v, err := verifyNTLMv2(neg, challenge, out, "p")
	require.NoError(t, err)
	want := fileTime(now)
	assert.Equal(t, want[:], v.time)
	assert.False(t, v.micChecked)
	assert.NotEqual(t, make([]byte, 24), v.msg.lmResponse, "LMv2 sent without MsvAvTimestamp")
}

func TestNTLMClientNoTargetInfo(t *testing.T) {
	challenge := buildTestChallenge(testChallenge{flags: flagUnicode | flagNTLM, serverChallenge: [8]byte{7}, noTargetInfo: true})
	neg, out, err := ntlmRun(t, NTLMClient("D", "u", "p"), challenge)
	require.NoError(t, err)
	v, err := verifyNTLMv2(neg, challenge, out, "p")
	require.NoError(t, err)
	assert.Empty(t, v.clientPairs, "an empty AV_PAIR list: MsvAvEOL alone")
	assert.Equal(t, flagUnicode|flagNTLM, v.msg.flags)
}

func TestFileTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{specEpoch, 0},
		{specEpoch.Add(-time.Second), 0},
		{time.Unix(0, 0), 116444736000000000},
		{time.Unix(1, 250), 116444736010000002},
	}
	for _, tc := range tests {
		got := fileTime(tc.t)
		assert.Equal(t, tc.want, binary.LittleEndian.Uint64(got[:]), "%v", tc.t)
	}
}

func TestNTLMClientRefusals(t *testing.T) {
	const password = "Hunter2-secret"
	ti := []avPair{{avNbDomainName, utf16le("D")}}
	tests := []struct {
		name      string
		challenge []byte
		want      error
		reason    string
	}{
		{"OEM-only server", buildTestChallenge(testChallenge{flags: flagOEM | flagNTLM | flagTargetInfo, pairs: ti}), ErrUnsupported, "NTLMSSP_NEGOTIATE_UNICODE"},
		{"no string flag at all", buildTestChallenge(testChallenge{flags: flagNTLM, pairs: ti}), ErrUnsupported, "OEM"},
		{"not NTLM", []byte("hello, this is not NTLM at all, but long enough..."), ErrMalformed, "NTLMSSP"},
		{"NEGOTIATE reflected", appendNegotiate(nil, ntlmClientFlags), ErrMalformed, "MessageType 1"},
		{"too long", append(buildTestChallenge(testChallenge{flags: 0xe28a8215}), make([]byte, MaxResponse)...), ErrTooLong, "exceeds"},
		{"AUTHENTICATE too long", buildTestChallenge(testChallenge{flags: 0xe28a8215, pairs: []avPair{{avDNSTreeNameForTest, make([]byte, MaxResponse-120)}}}), ErrTooLong, "AUTHENTICATE_MESSAGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mech := NTLMClient("D", "u", password)
			c, err := mech.NewClient(ConnState{})
			require.NoError(t, err)
			_, _, err = c.Start(context.Background())
			require.NoError(t, err)
			out, err := c.Next(context.Background(), tc.challenge)
			assert.Nil(t, out)
			var e *Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, e.Reason, tc.reason)
			assert.NotContains(t, err.Error(), password)
			// The exchange is over.
			_, err = c.Next(context.Background(), unhex(t, specChallengeHex))
			assert.ErrorIs(t, err, ErrSequence)
		})
	}
}

// avDNSTreeNameForTest is MsvAvDnsTreeName, used only to pad a TargetInfo.
const avDNSTreeNameForTest uint16 = 0x0005

func TestNTLMClientSequence(t *testing.T) {
	ctx := context.Background()
	challenge := unhex(t, specChallengeHex)
	mech := NTLMClient("Domain", "User", "Password")
	assert.Equal(t, "NTLM", mech.Name())

	c, err := mech.NewClient(ConnState{})
	require.NoError(t, err)
	assert.Equal(t, "NTLM", c.Name())
	_, err = c.Next(ctx, challenge)
	assert.ErrorIs(t, err, ErrSequence, "Next before Start")

	c, _ = mech.NewClient(ConnState{})
	ir, ok, err := c.Start(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	neg := append([]byte(nil), ir...)
	// An empty 334 (AUTH was sent without the initial response) gets the
	// NEGOTIATE_MESSAGE again.
	again, err := c.Next(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, neg, again)
	out, err := c.Next(ctx, challenge)
	require.NoError(t, err)
	_, err = verifyNTLMv2(neg, challenge, out, "Password")
	require.NoError(t, err)
	// NTLM has no third round.
	_, err = c.Next(ctx, challenge)
	assert.ErrorIs(t, err, ErrMalformed)
	assert.NoError(t, c.Finish(true))
	assert.NoError(t, c.Finish(false))

	c, _ = mech.NewClient(ConnState{})
	_, _, err = c.Start(ctx)
	require.NoError(t, err)
	_, _, err = c.Start(ctx)
	assert.ErrorIs(t, err, ErrSequence, "Start twice")

	c, _ = mech.NewClient(ConnState{})
	_, _, _ = c.Start(ctx)
	assert.NoError(t, c.Finish(false), "failure carries no server detail")
}

func TestNTLMClientBadCredentials(t *testing.T) {
	const password = "pa55word"
	long := strings.Repeat("x", ntlmMaxName/2+1)
	tests := []struct {
		name, domain, user, password string
		want                         error
	}{
		{"empty user", "D", "", password, ErrMalformed},
		{"invalid UTF-8 user", "D", "u\xff", password, ErrMalformed},
		{"invalid UTF-8 password", "D", "u", "pa55word\xc3", ErrMalformed},
		{"long domain", long, "u", password, ErrTooLong},
		{"long user", "D", long, password, ErrTooLong},
		{"long password", "D", "u", password + strings.Repeat("y", ntlmMaxPassword), ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NTLMClient(tc.domain, tc.user, tc.password).NewClient(ConnState{})
			assert.Nil(t, c)
			assert.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), password)
		})
	}
	_, err := NTLMClient("", "u", "").NewClient(ConnState{})
	assert.NoError(t, err, "an empty password is the user's business")
}

func TestNTLMClientRandFailure(t *testing.T) {
	challenge := unhex(t, specChallengeHex)
	for _, n := range []int{0, 8} { // no client challenge; no session key
		mech := NTLMClient("D", "u", "p", WithRand(bytes.NewReader(make([]byte, n))))
		_, _, err := ntlmRun(t, mech, challenge)
		assert.ErrorIs(t, err, io.EOF, "short read at %d", n)
	}
}
