package auth

import (
	"encoding/binary"
	"strconv"
)

// This file holds the NTLM message layer (MS-NLMP section 2.2): the
// NEGOTIATE_MESSAGE the client sends, the CHALLENGE_MESSAGE it parses, the
// AUTHENTICATE_MESSAGE it builds, and the AV_PAIR lists inside them. Every
// integer is little-endian. Parsers never panic on peer input: each length
// and offset is checked against the message, and a bad message is an
// *Error wrapping ErrMalformed. Parsed values alias the input buffer.

// ntlmSignature opens every NTLM message (MS-NLMP section 2.2.1).
const ntlmSignature = "NTLMSSP\x00"

// NTLM message types (MS-NLMP section 2.2.1).
const (
	ntlmNegotiate    = 1
	ntlmChallenge    = 2
	ntlmAuthenticate = 3
)

// NegotiateFlags bits (MS-NLMP section 2.2.2.5) that the client sends,
// requires or tests.
const (
	flagUnicode                 uint32 = 0x00000001 // NTLMSSP_NEGOTIATE_UNICODE
	flagOEM                     uint32 = 0x00000002 // NTLM_NEGOTIATE_OEM
	flagRequestTarget           uint32 = 0x00000004 // NTLMSSP_REQUEST_TARGET
	flagNTLM                    uint32 = 0x00000200 // NTLMSSP_NEGOTIATE_NTLM
	flagAlwaysSign              uint32 = 0x00008000 // NTLMSSP_NEGOTIATE_ALWAYS_SIGN
	flagExtendedSessionSecurity uint32 = 0x00080000 // NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY
	flagTargetInfo              uint32 = 0x00800000 // NTLMSSP_NEGOTIATE_TARGET_INFO
	flagVersion                 uint32 = 0x02000000 // NTLMSSP_NEGOTIATE_VERSION
	flag128                     uint32 = 0x20000000 // NTLMSSP_NEGOTIATE_128
	flagKeyExch                 uint32 = 0x40000000 // NTLMSSP_NEGOTIATE_KEY_EXCH
	flag56                      uint32 = 0x80000000 // NTLMSSP_NEGOTIATE_56
)

// AV_PAIR identifiers (MS-NLMP section 2.2.2.1).
const (
	avEOL            uint16 = 0x0000 // MsvAvEOL, ends the list
	avNbComputerName uint16 = 0x0001 // MsvAvNbComputerName
	avNbDomainName   uint16 = 0x0002 // MsvAvNbDomainName
	avFlags          uint16 = 0x0006 // MsvAvFlags, 4 octets
	avTimestamp      uint16 = 0x0007 // MsvAvTimestamp, a FILETIME
)

// avFlagMIC is the MsvAvFlags bit saying that the AUTHENTICATE_MESSAGE
// carries a MIC (MS-NLMP section 2.2.2.1).
const avFlagMIC uint32 = 0x00000002

// Fixed sizes of the messages (MS-NLMP sections 2.2.1.1 to 2.2.1.3).
const (
	ntlmNegotiateLen    = 40 // through Version
	ntlmChallengeMinLen = 48 // through TargetInfoFields
	ntlmAuthFieldsLen   = 64 // through NegotiateFlags
	ntlmAuthVersionEnd  = 72 // through Version
	ntlmAuthMICEnd      = 88 // through MIC
	ntlmMICLen          = 16
)

// ntlmErr builds the *Error every NTLM failure is. reason never holds a
// secret.
func ntlmErr(err error, reason string) *Error {
	return errorf("NTLM", err, reason)
}

// avPair is one AV_PAIR (MS-NLMP section 2.2.2.1). value aliases the
// message it was parsed from.
type avPair struct {
	id    uint16
	value []byte
}

// parseAVPairs parses an AV_PAIR list. The list must end with MsvAvEOL
// (MS-NLMP section 2.2.2.1: "MsvAvEOL ... MUST be the last item"); octets
// after it are ignored. MsvAvFlags must be 4 octets and MsvAvTimestamp 8,
// their sizes in section 2.2.2.1. The returned pairs exclude MsvAvEOL.
func parseAVPairs(b []byte) ([]avPair, error) {
	var pairs []avPair
	for {
		if len(b) < 4 {
			return nil, ntlmErr(ErrMalformed, "AV_PAIR list does not end with MsvAvEOL (MS-NLMP section 2.2.2.1)")
		}
		id := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		b = b[4:]
		if n > len(b) {
			return nil, ntlmErr(ErrMalformed, "AV_PAIR "+strconv.Itoa(int(id))+" overruns TargetInfo (MS-NLMP section 2.2.2.1)")
		}
		v := b[:n:n]
		b = b[n:]
		switch id {
		case avEOL:
			if n != 0 {
				return nil, ntlmErr(ErrMalformed, "MsvAvEOL has a value (MS-NLMP section 2.2.2.1)")
			}
			return pairs, nil
		case avFlags:
			if n != 4 {
				return nil, ntlmErr(ErrMalformed, "MsvAvFlags is not 4 octets (MS-NLMP section 2.2.2.1)")
			}
		case avTimestamp:
			if n != 8 {
				return nil, ntlmErr(ErrMalformed, "MsvAvTimestamp is not 8 octets (MS-NLMP section 2.2.2.1)")
			}
		}
		pairs = append(pairs, avPair{id: id, value: v})
	}
}

// appendAVPair appends one AV_PAIR. value must be shorter than 64 KiB.
func appendAVPair(dst []byte, id uint16, value []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, id)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(value)))
	return append(dst, value...)
}

// appendAVPairs appends pairs and the closing MsvAvEOL.
func appendAVPairs(dst []byte, pairs []avPair) []byte {
	for _, p := range pairs {
		dst = appendAVPair(dst, p.id, p.value)
	}
	return appendAVPair(dst, avEOL, nil)
}

// challengeMessage is a parsed CHALLENGE_MESSAGE (MS-NLMP section
// 2.2.1.2). Slices alias the parsed buffer.
type challengeMessage struct {
	flags           uint32
	serverChallenge [8]byte
	targetName      []byte
	// targetInfo is the AV_PAIR list without MsvAvEOL; hasTargetInfo
	// reports whether the server sent one at all.
	targetInfo    []avPair
	hasTargetInfo bool
	version       [8]byte // zero unless NTLMSSP_NEGOTIATE_VERSION
}

// timestamp returns the MsvAvTimestamp value, if the target info has one.
func (c *challengeMessage) timestamp() ([8]byte, bool) {
	for _, p := range c.targetInfo {
		if p.id == avTimestamp {
			return [8]byte(p.value), true
		}
	}
	return [8]byte{}, false
}

// checkHeader checks the signature and message type shared by all NTLM
// messages (MS-NLMP section 2.2.1).
func checkHeader(b []byte, typ uint32, name string) error {
	if len(b) < 12 || string(b[:8]) != ntlmSignature {
		return ntlmErr(ErrMalformed, name+` does not start with "NTLMSSP\0" (MS-NLMP section 2.2.1)`)
	}
	if t := binary.LittleEndian.Uint32(b[8:]); t != typ {
		return ntlmErr(ErrMalformed, name+" has MessageType "+strconv.FormatUint(uint64(t), 10)+
			", want "+strconv.Itoa(int(typ))+" (MS-NLMP section 2.2.1)")
	}
	return nil
}

// ntlmField returns the payload that the Len/MaxLen/BufferOffset triple at
// b[at:] names (MS-NLMP section 2.2.1). A non-empty field must lie inside
// b and after the fixed part, which ends at minOff; an empty field's
// offset is not looked at. MaxLen is ignored.
func ntlmField(b []byte, at, minOff int, name string) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(b[at:]))
	off := binary.LittleEndian.Uint32(b[at+4:])
	if n == 0 {
		return nil, nil
	}
	if uint64(off) < uint64(minOff) || uint64(off)+uint64(n) > uint64(len(b)) {
		return nil, ntlmErr(ErrMalformed, name+" lies outside the message payload (MS-NLMP section 2.2.1)")
	}
	return b[off : int(off)+n : int(off)+n], nil
}

// parseChallenge parses a CHALLENGE_MESSAGE (MS-NLMP section 2.2.1.2). It
// requires the 48-octet form with TargetInfoFields, which every server
// able to check an NTLMv2 response sends. TargetInfo is read only when
// NTLMSSP_NEGOTIATE_TARGET_INFO is set, as section 2.2.1.2 says. The result
// aliases b.
func parseChallenge(b []byte) (challengeMessage, error) {
	var c challengeMessage
	if len(b) > MaxResponse {
		return c, ntlmErr(ErrTooLong, "CHALLENGE_MESSAGE exceeds "+strconv.Itoa(MaxResponse)+" octets")
	}
	if err := checkHeader(b, ntlmChallenge, "CHALLENGE_MESSAGE"); err != nil {
		return c, err
	}
	if len(b) < ntlmChallengeMinLen {
		return c, ntlmErr(ErrMalformed, "CHALLENGE_MESSAGE is shorter than its 48-octet fixed part (MS-NLMP section 2.2.1.2)")
	}
	c.flags = binary.LittleEndian.Uint32(b[20:])
	c.serverChallenge = [8]byte(b[24:32])
	if c.flags&flagVersion != 0 && len(b) >= ntlmChallengeMinLen+8 {
		c.version = [8]byte(b[48:56])
	}
	var err error
	if c.targetName, err = ntlmField(b, 12, ntlmChallengeMinLen, "TargetName"); err != nil {
		return c, err
	}
	if c.flags&flagTargetInfo == 0 {
		return c, nil
	}
	ti, err := ntlmField(b, 40, ntlmChallengeMinLen, "TargetInfo")
	if err != nil {
		return c, err
	}
	if ti == nil {
		return c, nil
	}
	if c.targetInfo, err = parseAVPairs(ti); err != nil {
		return c, err
	}
	c.hasTargetInfo = true
	return c, nil
}

// appendNegotiate appends a NEGOTIATE_MESSAGE (MS-NLMP section 2.2.1.1)
// with no domain or workstation (the OEM_*_SUPPLIED flags are clear, so
// their fields are empty and point at the end of the fixed part) and a zero
// Version (NTLMSSP_NEGOTIATE_VERSION is clear).
func appendNegotiate(dst []byte, flags uint32) []byte {
	dst = append(dst, ntlmSignature...)
	dst = binary.LittleEndian.AppendUint32(dst, ntlmNegotiate)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	for range 2 { // DomainNameFields, WorkstationFields
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		dst = binary.LittleEndian.AppendUint32(dst, ntlmNegotiateLen)
	}
	return append(dst, make([]byte, 8)...) // Version
}

// authenticateMessage is an AUTHENTICATE_MESSAGE (MS-NLMP section
// 2.2.1.3). Strings are UTF-16LE (NTLMSSP_NEGOTIATE_UNICODE). A parsed
// message aliases its buffer.
type authenticateMessage struct {
	lmResponse   []byte
	ntResponse   []byte
	domain       []byte
	user         []byte
	workstation  []byte
	encryptedKey []byte // EncryptedRandomSessionKey
	flags        uint32
	version      [8]byte
	// mic is the 16-octet MIC, or nil when the message has no MIC field.
	mic []byte
}

// appendAuthenticate appends m in the layout of MS-NLMP section 2.2.1.3:
// the fixed part with Version, then the MIC field only when m.mic is set,
// then DomainName, UserName, Workstation, LmChallengeResponse,
// NtChallengeResponse and EncryptedRandomSessionKey, as in the example of
// section 4.2.4.3. Every field must be shorter than 64 KiB and the whole
// shorter than 4 GiB; the caller bounds them.
func appendAuthenticate(dst []byte, m *authenticateMessage) []byte {
	hdr := ntlmAuthVersionEnd
	if m.mic != nil {
		hdr = ntlmAuthMICEnd
	}
	dst = append(dst, ntlmSignature...)
	dst = binary.LittleEndian.AppendUint32(dst, ntlmAuthenticate)
	// The header lists fields in a different order from the payload.
	payload := [...][]byte{m.domain, m.user, m.workstation, m.lmResponse, m.ntResponse, m.encryptedKey}
	var offs [len(payload)]int
	off := hdr
	for i, f := range payload {
		offs[i] = off
		off += len(f)
	}
	for _, i := range [...]int{3, 4, 0, 1, 2, 5} { // Lm, Nt, Domain, User, Workstation, Key
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(payload[i])))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(payload[i])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(offs[i]))
	}
	dst = binary.LittleEndian.AppendUint32(dst, m.flags)
	dst = append(dst, m.version[:]...)
	if m.mic != nil {
		dst = append(dst, make([]byte, ntlmMICLen)...)
		copy(dst[len(dst)-ntlmMICLen:], m.mic)
	}
	for _, f := range payload {
		dst = append(dst, f...)
	}
	return dst
}

// parseAuthenticate parses an AUTHENTICATE_MESSAGE (MS-NLMP section
// 2.2.1.3). The message has no explicit marker for its optional Version
// and MIC fields: like Windows, it takes them as present when the payload
// starts after them. The result aliases b.
func parseAuthenticate(b []byte) (authenticateMessage, error) {
	var m authenticateMessage
	if len(b) > MaxResponse {
		return m, ntlmErr(ErrTooLong, "AUTHENTICATE_MESSAGE exceeds "+strconv.Itoa(MaxResponse)+" octets")
	}
	if err := checkHeader(b, ntlmAuthenticate, "AUTHENTICATE_MESSAGE"); err != nil {
		return m, err
	}
	if len(b) < ntlmAuthFieldsLen {
		return m, ntlmErr(ErrMalformed, "AUTHENTICATE_MESSAGE is shorter than its 64-octet fixed part (MS-NLMP section 2.2.1.3)")
	}
	dst := [...]*[]byte{&m.lmResponse, &m.ntResponse, &m.domain, &m.user, &m.workstation, &m.encryptedKey}
	names := [...]string{"LmChallengeResponse", "NtChallengeResponse", "DomainName", "UserName", "Workstation", "EncryptedRandomSessionKey"}
	payloadStart := len(b)
	for i := range dst {
		f, err := ntlmField(b, 12+8*i, ntlmAuthFieldsLen, names[i])
		if err != nil {
			return m, err
		}
		*dst[i] = f
		if f != nil {
			payloadStart = min(payloadStart, int(binary.LittleEndian.Uint32(b[12+8*i+4:])))
		}
	}
	m.flags = binary.LittleEndian.Uint32(b[60:])
	if payloadStart >= ntlmAuthVersionEnd {
		m.version = [8]byte(b[64:72])
	}
	if payloadStart >= ntlmAuthMICEnd {
		m.mic = b[72:88:88]
	}
	return m, nil
}
