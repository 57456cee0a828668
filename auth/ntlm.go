package auth

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/smtpkit/smtpkit/auth/internal/md4"
)

// ntlmClientFlags are the NegotiateFlags the client asks for in its
// NEGOTIATE_MESSAGE (MS-NLMP section 2.2.2.5): Unicode strings, the
// server's target information, NTLM (which section 2.2.2.5 says MUST be
// set; it does not mean NTLMv1 responses), extended session security,
// 128- and 56-bit keys and an explicit key exchange. Signing and sealing
// are not requested, since SMTP runs no NTLM security layer over the
// session, and OEM strings are not offered, so a server must speak Unicode.
const ntlmClientFlags = flagUnicode | flagRequestTarget | flagNTLM | flagAlwaysSign |
	flagExtendedSessionSecurity | flag128 | flagKeyExch | flag56

// Bounds on the credentials, in UTF-16LE octets: far above what Windows
// accepts (256 characters), small enough that an AUTHENTICATE_MESSAGE
// stays within MaxResponse with a large TargetInfo.
const (
	ntlmMaxName     = 512
	ntlmMaxPassword = 1024
)

// windowsEpochOffset is the number of seconds from 1601-01-01, the FILETIME
// epoch, to 1970-01-01.
const windowsEpochOffset = 11644473600

// NTLMClient returns the client side of NTLM (MS-NLMP) for SMTP, as
// Microsoft Exchange offers it (MS-SMTPNTLM). It computes only NTLMv2
// responses (MS-NLMP section 3.3.2): it has no NTLMv1 or LM code, so no
// server can talk it down to them.
//
// The password is reduced at once to the NTLMv2 key NTOWFv2 (section
// 3.3.2), which is all the mechanism keeps; that key is
// password-equivalent for this user and domain. Domain may be empty, as
// for a user name in user@example.com form. No workstation name is sent
// unless WithWorkstation names one.
// Names and the password are used as given (NTLM applies no SASLprep); they
// must be valid UTF-8, and the user name must not be empty, or NewClient
// fails with ErrMalformed.
//
// The exchange (MS-SMTPNTLM section 3.1.1.1): the client's Start returns the
// NEGOTIATE_MESSAGE as the initial response of "AUTH NTLM", which
// MS-SMTPNTLM section 3.1.4.1 says it SHOULD carry; the server answers 334
// with a CHALLENGE_MESSAGE; Next returns the AUTHENTICATE_MESSAGE; the
// server ends with 235 or 535. If the caller sends AUTH without the
// initial response, the server answers with a 334 whose text is not
// base64 ("334 NTLM supported", MS-SMTPNTLM section 2.2.1.2); the caller
// hands Next an empty challenge for it, and Next returns the
// NEGOTIATE_MESSAGE then (MS-SMTPNTLM section 3.1.1.1). NTLM does not
// authenticate the server, so Finish always returns nil.
//
// WithRand supplies the client challenge and the exported session key;
// WithClock the NTLMv2 timestamp when the server sends none. The
// mechanism is safe for concurrent use when the WithRand reader is (the
// default, crypto/rand, is).
func NTLMClient(domain, username, password string, opts ...Option) ClientMechanism {
	m := &ntlmMech{opts: newOptions(opts)}
	switch {
	case username == "":
		m.err = ntlmErr(ErrMalformed, "user name is empty")
	case !utf8.ValidString(domain) || !utf8.ValidString(username) || !utf8.ValidString(password) ||
		!utf8.ValidString(m.opts.workstation):
		m.err = ntlmErr(ErrMalformed, "domain, user name, workstation or password is not valid UTF-8")
	default:
		m.workstation = appendUTF16LE(nil, m.opts.workstation)
		m.domain = appendUTF16LE(nil, domain)
		m.user = appendUTF16LE(nil, username)
		pw := appendUTF16LE(nil, password)
		if len(m.domain) > ntlmMaxName || len(m.user) > ntlmMaxName || len(m.workstation) > ntlmMaxName ||
			len(pw) > ntlmMaxPassword {
			m.err = ntlmErr(ErrTooLong, "domain, user name, workstation or password is too long for NTLM")
		} else {
			m.key = ntowfv2(pw, username, domain)
		}
		clear(pw)
	}
	return m
}

// ntlmMech is the ClientMechanism NTLMClient returns. It is not changed
// after construction.
type ntlmMech struct {
	opts        options
	domain      []byte // UTF-16LE
	user        []byte // UTF-16LE
	workstation []byte // UTF-16LE, from WithWorkstation
	key         [16]byte
	err         error // a problem with the credentials, reported by NewClient
}

func (m *ntlmMech) Name() string { return "NTLM" }

// NewClient starts one exchange. NTLM looks at nothing in cs.
func (m *ntlmMech) NewClient(ConnState) (Client, error) {
	if m.err != nil {
		return nil, m.err
	}
	return &ntlmClient{m: m}, nil
}

// States of an ntlmClient.
const (
	ntlmStateInit      uint8 = iota // Start not called
	ntlmStateNegotiate              // NEGOTIATE_MESSAGE sent
	ntlmStateAuth                   // AUTHENTICATE_MESSAGE sent
	ntlmStateDone                   // failed or finished
)

// ntlmClient is one NTLM exchange.
type ntlmClient struct {
	m         *ntlmMech
	state     uint8
	negotiate []byte // the NEGOTIATE_MESSAGE sent, which the MIC covers
	out       []byte // the last message returned
}

func (c *ntlmClient) Name() string { return "NTLM" }

// Start returns the NEGOTIATE_MESSAGE as the initial response
// (MS-SMTPNTLM section 3.1.4.1).
func (c *ntlmClient) Start(context.Context) ([]byte, bool, error) {
	if c.state != ntlmStateInit {
		c.state = ntlmStateDone
		return nil, false, ntlmErr(ErrSequence, "Start called twice")
	}
	c.negotiate = appendNegotiate(nil, ntlmClientFlags)
	c.state = ntlmStateNegotiate
	c.out = append(c.out[:0], c.negotiate...)
	return c.out, true, nil
}

// Next answers the CHALLENGE_MESSAGE with the AUTHENTICATE_MESSAGE. An
// empty challenge before it asks for the NEGOTIATE_MESSAGE again (the
// caller sent AUTH NTLM without an initial response). Any challenge after
// the AUTHENTICATE_MESSAGE is an error: NTLM has no third round.
func (c *ntlmClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	switch c.state {
	case ntlmStateNegotiate:
		if len(challenge) == 0 {
			c.out = append(c.out[:0], c.negotiate...)
			return c.out, nil
		}
		out, err := c.authenticate(challenge)
		if err != nil {
			c.state = ntlmStateDone
			return nil, err
		}
		c.state = ntlmStateAuth
		c.out = out
		return out, nil
	case ntlmStateAuth:
		c.state = ntlmStateDone
		return nil, ntlmErr(ErrMalformed, "server sent a challenge after the AUTHENTICATE_MESSAGE (MS-SMTPNTLM section 3.1.1.1)")
	default:
		c.state = ntlmStateDone
		return nil, ntlmErr(ErrSequence, "Next called before Start or after the end")
	}
}

// Finish ends the exchange. NTLM gives the client nothing to check about
// the server and SMTP carries no error detail for it, so it returns nil
// either way.
func (c *ntlmClient) Finish(bool) error {
	c.state = ntlmStateDone
	return nil
}

// authenticate builds the AUTHENTICATE_MESSAGE for the raw
// CHALLENGE_MESSAGE, following MS-NLMP section 3.1.5.1.2.
func (c *ntlmClient) authenticate(raw []byte) ([]byte, error) {
	ch, err := parseChallenge(raw)
	if err != nil {
		return nil, err
	}
	// MS-NLMP section 2.2.2.5: the client chooses Unicode when the server
	// offers it; an OEM-only server would need the OEM code page of a
	// Windows locale, which this client does not guess.
	if ch.flags&flagUnicode == 0 {
		return nil, ntlmErr(ErrUnsupported, "server offers only OEM strings, not NTLMSSP_NEGOTIATE_UNICODE (MS-NLMP section 2.2.2.5)")
	}
	p := ntlmv2Params{
		// The flags both ends agreed on (MS-NLMP section 3.1.5.1.2).
		flags:           ch.flags & (ntlmClientFlags | flagTargetInfo),
		key:             c.m.key,
		domain:          c.m.domain,
		user:            c.m.user,
		workstation:     c.m.workstation,
		serverChallenge: ch.serverChallenge,
		negotiate:       c.negotiate,
		challenge:       raw,
	}
	defer clear(p.key[:])
	// MS-NLMP section 3.1.5.1.2: the time comes from MsvAvTimestamp when
	// the server sent one, and then the client SHOULD send a MIC, flag it
	// in MsvAvFlags and send Z(24) for the LmChallengeResponse.
	var pairs []avPair
	if ts, ok := ch.timestamp(); ok {
		p.time = ts
		p.mic = true
		p.lmZero = true
		pairs = micFlag(ch.targetInfo, true)
	} else {
		// No MIC is sent, so the client must not pass on a MIC bit the
		// server put in its MsvAvFlags: the pairs it returns are its own
		// claims (MS-NLMP section 2.2.2.1).
		p.time = fileTime(c.m.opts.now())
		pairs = micFlag(ch.targetInfo, false)
	}
	p.targetInfo = appendAVPairs(nil, pairs)
	if err := c.m.opts.readRand(p.clientChallenge[:]); err != nil {
		return nil, ntlmErr(err, "reading the client challenge")
	}
	if p.flags&flagKeyExch != 0 {
		if err := c.m.opts.readRand(p.exportedKey[:]); err != nil {
			return nil, ntlmErr(err, "reading the session key")
		}
		defer clear(p.exportedKey[:])
	}
	return buildNTLMv2Authenticate(&p)
}

// micFlag returns a copy of pairs whose MsvAvFlags has the MIC bit set
// (adding the pair when there is none) when mic is true, and cleared when
// mic is false (MS-NLMP sections 2.2.2.1 and 3.1.5.1.2).
func micFlag(pairs []avPair, mic bool) []avPair {
	out := make([]avPair, 0, len(pairs)+1)
	found := false
	for _, p := range pairs {
		if p.id == avFlags {
			v := binary.LittleEndian.Uint32(p.value) &^ avFlagMIC
			if mic {
				v |= avFlagMIC
			}
			p.value = binary.LittleEndian.AppendUint32(nil, v)
			found = true
		}
		out = append(out, p)
	}
	if !found && mic {
		out = append(out, avPair{id: avFlags, value: binary.LittleEndian.AppendUint32(nil, avFlagMIC)})
	}
	return out
}

// ntlmv2Params is everything one AUTHENTICATE_MESSAGE is computed from.
type ntlmv2Params struct {
	flags       uint32  // NegotiateFlags to send
	version     [8]byte // Version to send; zero without NTLMSSP_NEGOTIATE_VERSION
	key         [16]byte
	domain      []byte // UTF-16LE
	user        []byte // UTF-16LE
	workstation []byte // UTF-16LE

	serverChallenge [8]byte
	clientChallenge [8]byte
	time            [8]byte // FILETIME, little-endian
	// targetInfo is the AV_PAIR list, with MsvAvEOL, that the client
	// returns in its NTLMv2_CLIENT_CHALLENGE (ServerName in section 3.3.2).
	targetInfo []byte
	// lmZero sends Z(24) as LmChallengeResponse instead of the LMv2
	// response.
	lmZero bool
	// exportedKey is the random session key sent encrypted when flags has
	// NTLMSSP_NEGOTIATE_KEY_EXCH.
	exportedKey [16]byte
	// mic adds a MIC over negotiate, challenge and the message.
	mic                  bool
	negotiate, challenge []byte
}

// buildNTLMv2Authenticate computes the NTLMv2 responses and keys (MS-NLMP
// sections 3.3.2 and 3.4.5.1) and encodes the AUTHENTICATE_MESSAGE,
// appending a MIC when p.mic is set (section 3.1.5.1.2).
func buildNTLMv2Authenticate(p *ntlmv2Params) ([]byte, error) {
	// temp = 0x01 0x01 Z(6) Time ClientChallenge Z(4) ServerName Z(4),
	// MS-NLMP section 3.3.2; it is the NTLMv2_CLIENT_CHALLENGE of section
	// 2.2.2.7.
	nt := make([]byte, 16, 16+28+len(p.targetInfo)+4)
	nt = append(nt, 1, 1, 0, 0, 0, 0, 0, 0)
	nt = append(nt, p.time[:]...)
	nt = append(nt, p.clientChallenge[:]...)
	nt = append(nt, 0, 0, 0, 0)
	nt = append(nt, p.targetInfo...)
	nt = append(nt, 0, 0, 0, 0)
	// NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ temp).
	proof := hmacMD5(p.key[:], p.serverChallenge[:], nt[16:])
	copy(nt, proof[:])
	// SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); for NTLMv2
	// the KeyExchangeKey is the SessionBaseKey (section 3.4.5.1).
	baseKey := hmacMD5(p.key[:], proof[:])
	defer clear(baseKey[:])

	lm := make([]byte, 24)
	if !p.lmZero {
		// LMv2 = HMAC_MD5(ResponseKeyLM, ServerChallenge ‖ ClientChallenge)
		// ‖ ClientChallenge, with ResponseKeyLM = ResponseKeyNT.
		r := hmacMD5(p.key[:], p.serverChallenge[:], p.clientChallenge[:])
		copy(lm, r[:])
		copy(lm[16:], p.clientChallenge[:])
	}

	m := authenticateMessage{
		lmResponse:  lm,
		ntResponse:  nt,
		domain:      p.domain,
		user:        p.user,
		workstation: p.workstation,
		flags:       p.flags,
		version:     p.version,
	}
	exported := baseKey
	if p.flags&flagKeyExch != 0 {
		// EncryptedRandomSessionKey = RC4K(KeyExchangeKey,
		// ExportedSessionKey), MS-NLMP section 3.1.5.1.2.
		exported = p.exportedKey
		m.encryptedKey = make([]byte, 16)
		rc, err := rc4.NewCipher(baseKey[:])
		if err != nil {
			return nil, ntlmErr(err, "RC4 key")
		}
		rc.XORKeyStream(m.encryptedKey, exported[:])
	}
	defer clear(exported[:])
	if p.mic {
		m.mic = make([]byte, ntlmMICLen)
	}
	size := ntlmAuthMICEnd + len(m.domain) + len(m.user) + len(m.workstation) + len(lm) + len(nt) + len(m.encryptedKey)
	if size > MaxResponse {
		return nil, ntlmErr(ErrTooLong, "AUTHENTICATE_MESSAGE would exceed "+strconv.Itoa(MaxResponse)+" octets")
	}
	out := appendAuthenticate(make([]byte, 0, size), &m)
	if p.mic {
		// MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE_MESSAGE ‖
		// CHALLENGE_MESSAGE ‖ AUTHENTICATE_MESSAGE) with the MIC field
		// zero, MS-NLMP section 3.1.5.1.2.
		mic := hmacMD5(exported[:], p.negotiate, p.challenge, out)
		copy(out[ntlmAuthVersionEnd:ntlmAuthMICEnd], mic[:])
	}
	return out, nil
}

// ntowfv2 is NTOWFv2 of MS-NLMP section 3.3.2:
// HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Uppercase(User) ‖ UserDom)).
// password is already UTF-16LE.
func ntowfv2(password []byte, user, domain string) [16]byte {
	nt := md4.Sum(password)
	defer clear(nt[:])
	ud := appendUTF16LE(nil, strings.ToUpper(user))
	ud = appendUTF16LE(ud, domain)
	return hmacMD5(nt[:], ud)
}

// hmacMD5 returns HMAC_MD5(key, the concatenation of parts).
func hmacMD5(key []byte, parts ...[]byte) [16]byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// appendUTF16LE appends s as UTF-16, little-endian (UNICODE() of MS-NLMP
// section 6). s must be valid UTF-8.
func appendUTF16LE(dst []byte, s string) []byte {
	for _, r := range s {
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r1))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r2))
			continue
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
	}
	return dst
}

// fileTime returns t as a little-endian FILETIME: 100-nanosecond ticks
// since 1601-01-01 UTC (MS-NLMP section 2.2.2.7, TimeStamp). Times before
// 1601 give zero.
func fileTime(t time.Time) [8]byte {
	var out [8]byte
	secs := t.Unix() + windowsEpochOffset
	if secs < 0 {
		return out
	}
	ticks := uint64(secs)*1e7 + uint64(t.Nanosecond()/100)
	binary.LittleEndian.PutUint64(out[:], ticks)
	return out
}
