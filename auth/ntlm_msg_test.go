package auth

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// MS-NLMP section 4.2.4.3: the CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE
// of the NTLMv2 example (section 4.2.1 common values: user "User", domain
// "Domain", password "Password", workstation "COMPUTER", server challenge
// 0123456789abcdef, client challenge aa…, time 0, random session key 55…).
var (
	specChallengeHex = "" +
		"4e544c4d53535000" + "02000000" + "0c000c0038000000" + "33828ae2" +
		"0123456789abcdef" + "0000000000000000" + "2400240044000000" + "060070170000000f" +
		"530065007200760065007200" + // TargetName "Server"
		"02000c0044006f006d00610069006e00" + // MsvAvNbDomainName "Domain"
		"01000c00530065007200760065007200" + // MsvAvNbComputerName "Server"
		"00000000" // MsvAvEOL
	specAuthenticateHex = "" +
		"4e544c4d53535000" + "03000000" +
		"180018006c000000" + "5400540084000000" + "0c000c0048000000" +
		"0800080054000000" + "100010005c000000" + "10001000d8000000" +
		"358288e2" + "0501280a0000000f" +
		"44006f006d00610069006e00" + // "Domain"
		"5500730065007200" + // "User"
		"43004f004d0050005500540045005200" + // "COMPUTER"
		"86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa" + // LMv2, 4.2.4.2.1
		"68cd0ab851e51c96aabc927bebef6a1c" + // NTProofStr, 4.2.4.2.2
		"0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000" +
		"02000c0044006f006d00610069006e00" + "01000c00530065007200760065007200" + "00000000" +
		"00000000" +
		"c5dad2544fc9799094ce1ce90bc9d03e" // EncryptedRandomSessionKey, 4.2.4.2.3
	specTargetInfoHex = "02000c0044006f006d00610069006e00" + "01000c00530065007200760065007200" + "00000000"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func utf16le(s string) []byte { return appendUTF16LE(nil, s) }

// testChallenge describes a CHALLENGE_MESSAGE for buildTestChallenge.
type testChallenge struct {
	flags           uint32
	serverChallenge [8]byte
	targetName      string
	pairs           []avPair // MsvAvEOL is added
	noTargetInfo    bool
}

// buildTestChallenge encodes c the way Windows does: fixed part, Version,
// TargetName, TargetInfo.
func buildTestChallenge(c testChallenge) []byte {
	name := utf16le(c.targetName)
	var ti []byte
	if !c.noTargetInfo {
		ti = appendAVPairs(nil, c.pairs)
	}
	b := []byte(ntlmSignature)
	b = binary.LittleEndian.AppendUint32(b, ntlmChallenge)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint32(b, 56)
	b = binary.LittleEndian.AppendUint32(b, c.flags)
	b = append(b, c.serverChallenge[:]...)
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ti)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(ti)))
	b = binary.LittleEndian.AppendUint32(b, uint32(56+len(name)))
	b = append(b, 10, 0, 0x61, 0x58, 0, 0, 0, 15) // Version 10.0.22625
	b = append(b, name...)
	return append(b, ti...)
}

func TestParseChallengeSpec(t *testing.T) {
	c, err := parseChallenge(unhex(t, specChallengeHex))
	require.NoError(t, err)
	assert.Equal(t, uint32(0xe28a8233), c.flags)
	assert.Equal(t, [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, c.serverChallenge)
	assert.Equal(t, utf16le("Server"), c.targetName)
	assert.Equal(t, [8]byte{6, 0, 0x70, 0x17, 0, 0, 0, 15}, c.version)
	require.True(t, c.hasTargetInfo)
	require.Len(t, c.targetInfo, 2)
	assert.Equal(t, avPair{avNbDomainName, utf16le("Domain")}, c.targetInfo[0])
	assert.Equal(t, avPair{avNbComputerName, utf16le("Server")}, c.targetInfo[1])
	_, ok := c.timestamp()
	assert.False(t, ok)
	assert.Equal(t, unhex(t, specTargetInfoHex), appendAVPairs(nil, c.targetInfo), "re-encoding gives the spec bytes")
}

func TestParseChallengeTargetInfoFlag(t *testing.T) {
	pairs := []avPair{{avTimestamp, make([]byte, 8)}}
	// Without NTLMSSP_NEGOTIATE_TARGET_INFO the fields are ignored.
	c, err := parseChallenge(buildTestChallenge(testChallenge{flags: flagUnicode, pairs: pairs}))
	require.NoError(t, err)
	assert.False(t, c.hasTargetInfo)
	// With the flag and an empty field there is none either.
	c, err = parseChallenge(buildTestChallenge(testChallenge{flags: flagUnicode | flagTargetInfo, noTargetInfo: true}))
	require.NoError(t, err)
	assert.False(t, c.hasTargetInfo)
	// With both, the timestamp is found.
	ts := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	c, err = parseChallenge(buildTestChallenge(testChallenge{
		flags: flagUnicode | flagTargetInfo,
		pairs: []avPair{{avFlags, []byte{1, 0, 0, 0}}, {avTimestamp, ts}},
	}))
	require.NoError(t, err)
	got, ok := c.timestamp()
	require.True(t, ok)
	assert.Equal(t, [8]byte(ts), got)
}

// TestParseChallengeMalformed feeds broken CHALLENGE_MESSAGEs: each is an
// *Error wrapping the right sentinel, and none panics.
func TestParseChallengeMalformed(t *testing.T) {
	good := unhex(t, specChallengeHex)
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	put16 := func(off int, v uint16) []byte {
		return mut(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b })
	}
	put32 := func(off int, v uint32) []byte {
		return mut(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b })
	}
	withTI := func(ti []byte) []byte {
		return mut(func(b []byte) []byte {
			b = append(b[:68], ti...)
			binary.LittleEndian.PutUint16(b[40:], uint16(len(ti)))
			binary.LittleEndian.PutUint16(b[42:], uint16(len(ti)))
			return b
		})
	}
	tests := []struct {
		name   string
		in     []byte
		want   error
		reason string
	}{
		{"empty", nil, ErrMalformed, "NTLMSSP"},
		{"signature only", []byte(ntlmSignature), ErrMalformed, "NTLMSSP"},
		{"bad signature", mut(func(b []byte) []byte { b[0] = 'n'; return b }), ErrMalformed, "NTLMSSP"},
		{"no NUL in signature", mut(func(b []byte) []byte { b[7] = ' '; return b }), ErrMalformed, "NTLMSSP"},
		{"type 1", put32(8, 1), ErrMalformed, "MessageType 1"},
		{"type 3", put32(8, 3), ErrMalformed, "MessageType 3"},
		{"truncated fixed part", good[:47], ErrMalformed, "48-octet"},
		{"target name past end", put32(16, uint32(len(good))), ErrMalformed, "TargetName"},
		{"target name too long", put16(12, 200), ErrMalformed, "TargetName"},
		{"target name in header", put32(16, 8), ErrMalformed, "TargetName"},
		{"target name offset wraps", put32(16, 0xfffffffe), ErrMalformed, "TargetName"},
		{"target info past end", put16(40, 0x25), ErrMalformed, "TargetInfo"},
		{"target info offset huge", put32(44, 0xffffffff), ErrMalformed, "TargetInfo"},
		{"truncated payload", good[:len(good)-1], ErrMalformed, "TargetInfo"},
		{"no MsvAvEOL", withTI(unhex(t, "02000c0044006f006d00610069006e00")), ErrMalformed, "MsvAvEOL"},
		{"short AV header", withTI([]byte{2, 0}), ErrMalformed, "MsvAvEOL"},
		{"AV pair overruns", withTI(unhex(t, "02002000440000000000")), ErrMalformed, "overruns"},
		{"EOL with value", withTI(unhex(t, "0000020000000000")), ErrMalformed, "MsvAvEOL has a value"},
		{"MsvAvFlags of 2 octets", withTI(unhex(t, "06000200010000000000")), ErrMalformed, "MsvAvFlags"},
		{"MsvAvTimestamp of 4 octets", withTI(unhex(t, "07000400010203040000000000")), ErrMalformed, "MsvAvTimestamp"},
		{"too long", append(append([]byte(nil), good...), make([]byte, MaxResponse)...), ErrTooLong, "exceeds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseChallenge(tc.in)
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e), "%T", err)
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, "NTLM", e.Mechanism)
			assert.Contains(t, e.Reason, tc.reason)
		})
	}
}

func TestParseChallengeIgnoresBytesAfterEOL(t *testing.T) {
	b := buildTestChallenge(testChallenge{flags: flagUnicode | flagTargetInfo, pairs: []avPair{{avNbDomainName, utf16le("D")}}})
	// Grow TargetInfo by four stray octets after MsvAvEOL.
	b = append(b, 0xde, 0xad, 0xbe, 0xef)
	binary.LittleEndian.PutUint16(b[40:], binary.LittleEndian.Uint16(b[40:])+4)
	c, err := parseChallenge(b)
	require.NoError(t, err)
	assert.Equal(t, []avPair{{avNbDomainName, utf16le("D")}}, c.targetInfo)
}

func TestAppendNegotiate(t *testing.T) {
	got := appendNegotiate([]byte("x"), ntlmClientFlags)
	want := "78" + "4e544c4d53535000" + "01000000" + "058208e0" +
		"0000000028000000" + "0000000028000000" + "0000000000000000"
	assert.Equal(t, want, hex.EncodeToString(got))
	assert.Len(t, got[1:], ntlmNegotiateLen)
}

func TestParseAuthenticateSpec(t *testing.T) {
	m, err := parseAuthenticate(unhex(t, specAuthenticateHex))
	require.NoError(t, err)
	assert.Equal(t, uint32(0xe2888235), m.flags)
	assert.Equal(t, utf16le("Domain"), m.domain)
	assert.Equal(t, utf16le("User"), m.user)
	assert.Equal(t, utf16le("COMPUTER"), m.workstation)
	assert.Equal(t, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", hex.EncodeToString(m.lmResponse))
	assert.Equal(t, "68cd0ab851e51c96aabc927bebef6a1c", hex.EncodeToString(m.ntResponse[:16]))
	assert.Len(t, m.ntResponse, 84)
	assert.Equal(t, "c5dad2544fc9799094ce1ce90bc9d03e", hex.EncodeToString(m.encryptedKey))
	assert.Equal(t, [8]byte{5, 1, 0x28, 0x0a, 0, 0, 0, 15}, m.version)
	assert.Nil(t, m.mic, "the payload starts at 72: no MIC field")
}

func TestAuthenticateRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    authenticateMessage
	}{
		{"all fields and a MIC", authenticateMessage{
			lmResponse: make([]byte, 24), ntResponse: []byte("0123456789abcdef-temp"),
			domain: utf16le("Dom"), user: utf16le("u"), workstation: utf16le("WS"),
			encryptedKey: []byte("kkkkkkkkkkkkkkkk"), flags: 0xe0888205,
			version: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, mic: []byte("mmmmmmmmmmmmmmmm"),
		}},
		{"no MIC, empty domain and key", authenticateMessage{
			lmResponse: make([]byte, 24), ntResponse: []byte("0123456789abcdef-temp"),
			user: utf16le("user@example.com"), flags: flagUnicode,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := appendAuthenticate(nil, &tc.m)
			got, err := parseAuthenticate(b)
			require.NoError(t, err)
			for _, f := range []struct{ got, want []byte }{
				{got.lmResponse, tc.m.lmResponse}, {got.ntResponse, tc.m.ntResponse},
				{got.domain, tc.m.domain}, {got.user, tc.m.user},
				{got.workstation, tc.m.workstation}, {got.encryptedKey, tc.m.encryptedKey},
				{got.mic, tc.m.mic},
			} {
				assert.Equal(t, len(f.want), len(f.got))
				assert.Equal(t, string(f.want), string(f.got))
			}
			assert.Equal(t, tc.m.flags, got.flags)
			assert.Equal(t, tc.m.version, got.version)
		})
	}
}

func TestParseAuthenticateMalformed(t *testing.T) {
	good := unhex(t, specAuthenticateHex)
	put32 := func(off int, v uint32) []byte {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[off:], v)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "NTLMSSP"},
		{"type 2", put32(8, 2), "MessageType 2"},
		{"short", good[:63], "64-octet"},
		{"NT response past end", put32(24, 0x00ff0000), "NtChallengeResponse"},
		{"user in header", put32(40, 12), "UserName"},
		{"truncated", good[:len(good)-1], "EncryptedRandomSessionKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAuthenticate(tc.in)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := parseAuthenticate(make([]byte, MaxResponse+1))
	assert.ErrorIs(t, err, ErrTooLong)
}

func TestAVPairs(t *testing.T) {
	pairs := []avPair{{avNbComputerName, utf16le("S")}, {avFlags, []byte{2, 0, 0, 0}}, {0x7777, []byte("unknown ids are kept")}}
	b := appendAVPairs(nil, pairs)
	got, err := parseAVPairs(b)
	require.NoError(t, err)
	assert.Equal(t, pairs, got)
	assert.True(t, strings.HasSuffix(hex.EncodeToString(b), "00000000"))
	empty, err := parseAVPairs([]byte{0, 0, 0, 0})
	require.NoError(t, err)
	assert.Empty(t, empty)
}
