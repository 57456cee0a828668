package wire

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
)

// PROXY protocol (HAProxy, doc/proxy-protocol.txt) rules cited by errors.
const (
	ruleProxyV1 = "PROXY protocol 2.1"
	ruleProxyV2 = "PROXY protocol 2.2"
)

// ErrBadProxyHeader reports input that is not a valid PROXY protocol
// header: a wrong signature, a malformed or over-long header. The receiver
// must then abort the connection (PROXY protocol section 2.1).
var ErrBadProxyHeader = errors.New("wire: bad PROXY protocol header")

// ErrNoProxyHeader reports input that does not start with either PROXY
// signature at all, for example a client that speaks SMTP directly.
// errors.Is(err, ErrBadProxyHeader) also holds for it.
var ErrNoProxyHeader error = noProxyHeader{}

type noProxyHeader struct{}

func (noProxyHeader) Error() string        { return "wire: not a PROXY protocol header" }
func (noProxyHeader) Is(target error) bool { return target == ErrBadProxyHeader }

const (
	// MaxProxyV1 is the longest version 1 header, CRLF included (PROXY
	// protocol section 2.1: "PROXY UNKNOWN" with two IPv6 addresses and two
	// ports is 107 octets).
	MaxProxyV1 = 107
	// MaxProxyV2 is the longest version 2 header this package accepts: the
	// 16-octet fixed part plus at most 4080 octets of addresses and TLVs.
	// The length field allows 65535, but a UNIX address block (216) and
	// the TLVs deployed proxies send (ALPN, authority, SSL details, cloud
	// endpoint IDs) fit easily; the bound keeps the read buffer small.
	MaxProxyV2 = 4096
)

// proxyV2Sig is the 12-octet version 2 signature (PROXY protocol 2.2).
var proxyV2Sig = [12]byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

// proxyV1Sig opens every version 1 header.
const proxyV1Sig = "PROXY "

// ProxyVersion is the PROXY protocol version of a header; zero means none.
type ProxyVersion uint8

// PROXY protocol versions.
const (
	ProxyVersionNone ProxyVersion = iota
	ProxyV1                       // human-readable line (section 2.1)
	ProxyV2                       // binary header (section 2.2)
)

// String returns "none", "v1" or "v2".
func (v ProxyVersion) String() string {
	return enumName("ProxyVersion", int(v), "none", "v1", "v2")
}

// ProxyCommand says whether a header relays another connection's addresses.
// Version 1 headers are always ProxyCommandProxy; "PROXY UNKNOWN" carries
// no addresses, so, like LOCAL, the receiver keeps the real connection's.
type ProxyCommand uint8

// PROXY protocol commands (section 2.2, the low nibble of the 13th octet).
const (
	ProxyCommandUnknown ProxyCommand = iota
	ProxyCommandLocal                // the proxy's own connection (health checks)
	ProxyCommandProxy                // a relayed connection
)

// String returns "unknown", "LOCAL" or "PROXY".
func (c ProxyCommand) String() string {
	return enumName("ProxyCommand", int(c), "unknown", "LOCAL", "PROXY")
}

// ProxyNetwork is the transport and address family a header announces.
type ProxyNetwork uint8

// PROXY protocol networks (section 2.2, the 14th octet; TCP4 and TCP6 in
// version 1). ProxyNetUnspec is version 1 "UNKNOWN" and version 2 0x00.
const (
	ProxyNetUnspec ProxyNetwork = iota
	ProxyNetTCP4
	ProxyNetTCP6
	ProxyNetUDP4
	ProxyNetUDP6
	ProxyNetUnixStream
	ProxyNetUnixDgram
	numProxyNets
)

// String returns "UNSPEC", "TCP4", "TCP6", "UDP4", "UDP6", "UNIX-STREAM" or
// "UNIX-DGRAM".
func (n ProxyNetwork) String() string {
	return enumName("ProxyNetwork", int(n), "UNSPEC", "TCP4", "TCP6", "UDP4", "UDP6", "UNIX-STREAM", "UNIX-DGRAM")
}

// proxyFam maps each network to its version 2 family and protocol octet and
// address block length (section 2.2, "the following protocol bytes are
// expected"). No other octet is accepted.
var proxyFam = [numProxyNets]struct{ octet, addrLen uint8 }{
	ProxyNetUnspec:     {0x00, 0},
	ProxyNetTCP4:       {0x11, 12},
	ProxyNetTCP6:       {0x21, 36},
	ProxyNetUDP4:       {0x12, 12},
	ProxyNetUDP6:       {0x22, 36},
	ProxyNetUnixStream: {0x31, 216},
	ProxyNetUnixDgram:  {0x32, 216},
}

// proxyAddrLen returns the address block length of n: 2*4+2*2, 2*16+2*2 or
// 2*108 octets (section 2.2).
func proxyAddrLen(n ProxyNetwork) int { return int(proxyFam[n].addrLen) }

// lookupProxyFam returns the network whose version 2 octet is b.
func lookupProxyFam(b byte) (ProxyNetwork, bool) {
	for n := range proxyFam {
		if proxyFam[n].octet == b {
			return ProxyNetwork(n), true
		}
	}
	return ProxyNetUnspec, false
}

// ProxyHeader is a parsed PROXY protocol header.
type ProxyHeader struct {
	Version ProxyVersion
	Command ProxyCommand
	Network ProxyNetwork
	// Src and Dst are the relayed connection's source and destination.
	// They are zero when the header carries none: LOCAL, UNSPEC/UNKNOWN,
	// and UNIX (whose paths this package does not keep).
	Src, Dst netip.AddrPort
	// TLVs is the version 2 TLV area after the addresses, aliasing the
	// input; nil when empty. ParseProxyHeader does not check its structure;
	// ProxyTLVReader does.
	TLVs []byte
}

// HasAddrs reports whether h carries the relayed connection's addresses in
// Src and Dst. When it does not, the receiver uses the real connection's
// endpoints (PROXY protocol sections 2.1 "UNKNOWN" and 2.2 LOCAL/UNSPEC).
func (h *ProxyHeader) HasAddrs() bool {
	return h.Command == ProxyCommandProxy && h.Network >= ProxyNetTCP4 && h.Network <= ProxyNetUDP6
}

// ParseProxyHeader parses a PROXY protocol header of either version at the
// start of p. It returns:
//
//   - (h, n, nil) with n > 0: a header; p[n:] is the start of the SMTP
//     stream. h.TLVs aliases p.
//   - (_, 0, nil): p is a strict prefix of a valid header; call again with
//     more octets. The receiver must not speak first until then (section 2).
//   - (_, 0, err): p is not a PROXY header (ErrNoProxyHeader) or a malformed
//     one (ErrBadProxyHeader), as a *SyntaxError whose Offset is where in p
//     the problem is. A version 1 line must end in CRLF within MaxProxyV1
//     octets; a version 2 header may not exceed MaxProxyV2.
//
// It does not allocate except to build the error it returns.
func ParseProxyHeader(p []byte) (h ProxyHeader, n int, err error) {
	if len(p) == 0 {
		return h, 0, nil
	}
	switch p[0] {
	case proxyV1Sig[0]:
		return parseProxyV1(p)
	case proxyV2Sig[0]:
		return parseProxyV2(p)
	}
	return h, 0, errAt("proxy-signature", 0, ruleProxyV2, "not a PROXY protocol header", ErrNoProxyHeader)
}

// badV1 builds a version 1 error.
func badV1(element string, offset int, reason string) error {
	return errAt(element, offset, ruleProxyV1, reason, ErrBadProxyHeader)
}

// parseProxyV1 parses "PROXY" SP proto [SP src SP dst SP sport SP dport]
// CRLF (section 2.1), checking each field, even a partial one, as it goes.
func parseProxyV1(p []byte) (h ProxyHeader, n int, err error) {
	full := len(p) >= MaxProxyV1
	if full {
		p = p[:MaxProxyV1] // the line must end within 107 octets
	}
	// needMore is the answer when p ends inside a valid prefix.
	needMore := func() (ProxyHeader, int, error) {
		if full {
			return ProxyHeader{}, 0, badV1("proxy-v1", MaxProxyV1, "no CRLF within 107 octets")
		}
		return ProxyHeader{}, 0, nil
	}
	for i := 0; i < len(proxyV1Sig); i++ {
		if i == len(p) {
			return needMore()
		}
		if p[i] != proxyV1Sig[i] {
			return h, 0, errAt("proxy-signature", i, ruleProxyV1, "not a PROXY protocol header", ErrNoProxyHeader)
		}
	}
	i := len(proxyV1Sig)
	j := v1FieldEnd(p, i)
	proto := p[i:j]
	if j == len(p) {
		if hasPrefix("TCP4", proto) || hasPrefix("TCP6", proto) || hasPrefix("UNKNOWN", proto) {
			return needMore()
		}
		return h, 0, badV1("proxy-protocol", i, "unknown protocol")
	}
	h.Version, h.Command = ProxyV1, ProxyCommandProxy
	switch string(proto) {
	case "UNKNOWN":
		// The rest of the line is ignored, but it must still end in CRLF:
		// no lone CR or LF (section 2.1).
		for k := j; k < len(p); k++ {
			switch p[k] {
			case '\n':
				return h, 0, badV1("proxy-v1", k, "bare LF")
			case '\r':
				if k+1 == len(p) {
					return needMore()
				}
				if p[k+1] != '\n' {
					return h, 0, badV1("proxy-v1", k, "bare CR")
				}
				return h, k + 2, nil
			}
		}
		return needMore()
	case "TCP4":
		h.Network = ProxyNetTCP4
	case "TCP6":
		h.Network = ProxyNetTCP6
	default:
		return h, 0, badV1("proxy-protocol", i, "unknown protocol")
	}
	if p[j] != ' ' {
		return h, 0, badV1("proxy-v1", j, "missing addresses")
	}
	i = j + 1
	var addrs [2]netip.Addr
	var ports [2]uint16
	for f := 0; f < 4; f++ {
		j = v1FieldEnd(p, i)
		var complete, prefix bool
		switch {
		case f >= 2:
			ports[f-2], complete, prefix = scanPort(p[i:j])
		case h.Network == ProxyNetTCP4:
			addrs[f], complete, prefix = scanIPv4(p[i:j])
		default:
			addrs[f], complete, prefix = scanIPv6(p[i:j])
		}
		switch {
		case j == len(p) && prefix:
			return needMore()
		case !complete:
			return h, 0, v1FieldErr(f, i)
		case f < 3 && p[j] != ' ', f == 3 && p[j] != '\r':
			// Exactly one space between fields, CRLF after the last one.
			return h, 0, badV1("proxy-v1", j, "expected one space between fields and CRLF after them")
		}
		i = j + 1
	}
	if i == len(p) {
		return needMore()
	}
	if p[i] != '\n' {
		return h, 0, badV1("proxy-v1", i-1, "bare CR")
	}
	h.Src = netip.AddrPortFrom(addrs[0], ports[0])
	h.Dst = netip.AddrPortFrom(addrs[1], ports[1])
	return h, i + 1, nil
}

// v1FieldEnd returns the index of the first SP, CR or LF at or after i, or
// len(p).
func v1FieldEnd(p []byte, i int) int {
	for ; i < len(p); i++ {
		if c := p[i]; c == ' ' || c == '\r' || c == '\n' {
			return i
		}
	}
	return i
}

// v1FieldErr names the field f (0 src, 1 dst, 2 sport, 3 dport) at offset.
func v1FieldErr(f, offset int) error {
	if f < 2 {
		// Section 2.1: the address "in its canonical format" for the family.
		return badV1("proxy-address", offset, "address not in its family's format")
	}
	// Section 2.1: ports are decimal 0..65535 without heading zeroes.
	return badV1("proxy-port", offset, "port not decimal 0-65535 without leading zeros")
}

// parseProxyV2 parses the binary header (section 2.2).
func parseProxyV2(p []byte) (h ProxyHeader, n int, err error) {
	for i := range proxyV2Sig {
		if i == len(p) {
			return h, 0, nil
		}
		if p[i] != proxyV2Sig[i] {
			return h, 0, errAt("proxy-signature", i, ruleProxyV2, "not a PROXY protocol header", ErrNoProxyHeader)
		}
	}
	if len(p) < 13 {
		return h, 0, nil
	}
	// The 13th octet: version 2 in the high nibble, and the command.
	if p[12]>>4 != 2 {
		return h, 0, errAt("proxy-version", 12, ruleProxyV2, "version is not 2", ErrBadProxyHeader)
	}
	cmd := ProxyCommandLocal
	switch p[12] & 0x0F {
	case 0x0:
	case 0x1:
		cmd = ProxyCommandProxy
	default:
		return h, 0, errAt("proxy-command", 12, ruleProxyV2, "command is neither LOCAL nor PROXY", ErrBadProxyHeader)
	}
	if len(p) < 14 {
		return h, 0, nil
	}
	net, ok := lookupProxyFam(p[13])
	if !ok {
		return h, 0, errAt("proxy-family", 13, ruleProxyV2, "unknown family and protocol", ErrBadProxyHeader)
	}
	if len(p) < 16 {
		return h, 0, nil
	}
	length := int(binary.BigEndian.Uint16(p[14:16]))
	if 16+length > MaxProxyV2 {
		return h, 0, errAt("proxy-length", 14, ruleProxyV2, "header longer than MaxProxyV2", ErrBadProxyHeader)
	}
	alen := proxyAddrLen(net)
	if length < alen {
		// The length must cover the family's address block, even for LOCAL.
		return h, 0, errAt("proxy-length", 14, ruleProxyV2, "length shorter than the address block", ErrBadProxyHeader)
	}
	if len(p) < 16+length {
		return h, 0, nil
	}
	h.Version, h.Command, h.Network = ProxyV2, cmd, net
	// Source and destination addresses, then ports, in network byte order.
	// LOCAL addresses are ignored; UNIX paths are not kept.
	switch a := p[16 : 16+alen]; {
	case !h.HasAddrs():
	case alen == 12:
		h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), binary.BigEndian.Uint16(a[8:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), binary.BigEndian.Uint16(a[10:]))
	default:
		h.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), binary.BigEndian.Uint16(a[32:]))
		h.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), binary.BigEndian.Uint16(a[34:]))
	}
	if length > alen {
		h.TLVs = p[16+alen : 16+length]
	}
	return h, 16 + length, nil
}

// AppendProxyV1 appends h as a version 1 line to dst. A PROXY header over
// TCP4 or TCP6 is written with its addresses (TCP6 in hex groups, never a
// dotted quad); a LOCAL or UNSPEC header is written "PROXY UNKNOWN". Other
// networks, a zero Command and addresses of the wrong family are errors,
// and dst is then returned unchanged. h.Version is ignored.
func AppendProxyV1(dst []byte, h ProxyHeader) ([]byte, error) {
	switch {
	case h.Command != ProxyCommandLocal && h.Command != ProxyCommandProxy:
		return dst, badV1("proxy-command", 0, "command is neither LOCAL nor PROXY")
	case h.Command == ProxyCommandLocal || h.Network == ProxyNetUnspec:
		return append(dst, "PROXY UNKNOWN\r\n"...), nil
	case h.Network != ProxyNetTCP4 && h.Network != ProxyNetTCP6:
		return dst, badV1("proxy-protocol", 0, "version 1 carries only TCP4, TCP6 and UNKNOWN")
	case !addrsFit(h, h.Network == ProxyNetTCP4):
		return dst, badV1("proxy-address", 0, "addresses do not match the family")
	}
	dst = append(dst, "PROXY "...)
	dst = append(dst, h.Network.String()...)
	for _, x := range [2]netip.AddrPort{h.Src, h.Dst} {
		dst = append(dst, ' ')
		if a := x.Addr(); a.Is4In6() {
			// Section 2.1 allows only hex groups for TCP6.
			b := a.As16()
			dst = append(dst, "::ffff:"...)
			dst = strconv.AppendUint(dst, uint64(b[12])<<8|uint64(b[13]), 16)
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, uint64(b[14])<<8|uint64(b[15]), 16)
		} else {
			dst = a.AppendTo(dst)
		}
	}
	for _, x := range [2]netip.AddrPort{h.Src, h.Dst} {
		dst = append(dst, ' ')
		dst = strconv.AppendUint(dst, uint64(x.Port()), 10)
	}
	return append(dst, '\r', '\n'), nil
}

// addrsFit reports whether h.Src and h.Dst are both IPv4 (v4) or both IPv6
// without a zone.
func addrsFit(h ProxyHeader, v4 bool) bool {
	s, d := h.Src.Addr(), h.Dst.Addr()
	if v4 {
		return s.Is4() && d.Is4()
	}
	return s.Is6() && d.Is6() && s.Zone() == "" && d.Zone() == ""
}

// AppendProxyV2 appends h as a version 2 header to dst: the signature, the
// command, the family octet, the length, the address block and h.TLVs as
// given (not checked, so tests can send malformed TLVs). LOCAL, UNSPEC and
// UNIX headers get a zero address block of the family's length. It fails,
// returning dst unchanged, for a zero Command, an unknown Network, PROXY
// addresses of the wrong family, or a header over 16+65535 octets.
// h.Version is ignored.
func AppendProxyV2(dst []byte, h ProxyHeader) ([]byte, error) {
	fail := func(element string, offset int, reason string) ([]byte, error) {
		return dst, errAt(element, offset, ruleProxyV2, reason, ErrBadProxyHeader)
	}
	if h.Command != ProxyCommandLocal && h.Command != ProxyCommandProxy {
		return fail("proxy-command", 12, "command is neither LOCAL nor PROXY")
	}
	if h.Network >= numProxyNets {
		return fail("proxy-family", 13, "unknown network")
	}
	alen := proxyAddrLen(h.Network)
	length := alen + len(h.TLVs)
	if length > 0xFFFF {
		return fail("proxy-length", 14, "header longer than 16+65535 octets")
	}
	if h.HasAddrs() && !addrsFit(h, alen == 12) {
		return fail("proxy-address", 16, "addresses do not match the family")
	}
	dst = append(dst, proxyV2Sig[:]...)
	// Version 2 in the high nibble; command 0 LOCAL or 1 PROXY.
	dst = append(dst, 0x20|byte(h.Command-ProxyCommandLocal), proxyFam[h.Network].octet)
	dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	switch {
	case !h.HasAddrs():
		dst = append(dst, make([]byte, alen)...)
	case alen == 12:
		s, d := h.Src.Addr().As4(), h.Dst.Addr().As4()
		dst = append(append(dst, s[:]...), d[:]...)
	default:
		s, d := h.Src.Addr().As16(), h.Dst.Addr().As16()
		dst = append(append(dst, s[:]...), d[:]...)
	}
	if h.HasAddrs() {
		dst = binary.BigEndian.AppendUint16(dst, h.Src.Port())
		dst = binary.BigEndian.AppendUint16(dst, h.Dst.Port())
	}
	return append(dst, h.TLVs...), nil
}

// Version 2 TLV types (PROXY protocol section 2.2.1 onwards).
const (
	ProxyTLVALPN      = 0x01 // application-layer protocol
	ProxyTLVAuthority = 0x02 // host name the client asked for (SNI)
	ProxyTLVCRC32C    = 0x03 // CRC-32C of the header
	ProxyTLVNoop      = 0x04 // padding
	ProxyTLVUniqueID  = 0x05 // connection identifier, at most 128 octets
	ProxyTLVSSL       = 0x20 // TLS details, with sub-TLVs
	ProxyTLVNetNS     = 0x30 // network namespace name
)

// ProxyTLVReader iterates over a version 2 TLV area: one octet of type, two
// of length in network byte order, then the value (section 2.2). The zero
// value reads nothing. It does not allocate; values alias the area.
type ProxyTLVReader struct {
	b   []byte
	off int
	err error
}

// NewProxyTLVReader returns a reader over tlvs, such as ProxyHeader.TLVs or
// the sub-TLVs of a ProxyTLVSSL value after its 5-octet prefix.
func NewProxyTLVReader(tlvs []byte) ProxyTLVReader { return ProxyTLVReader{b: tlvs} }

// Next returns the next TLV. ok is false at the end of the area or when the
// next TLV is truncated; Err tells the two apart.
func (r *ProxyTLVReader) Next() (typ uint8, value []byte, ok bool) {
	if r.err != nil || r.off >= len(r.b) {
		return 0, nil, false
	}
	rest := r.b[r.off:]
	if len(rest) < 3 {
		r.err = errAt("proxy-tlv", r.off, ruleProxyV2, "truncated TLV header", ErrBadProxyHeader)
		return 0, nil, false
	}
	n := int(binary.BigEndian.Uint16(rest[1:3]))
	if len(rest) < 3+n {
		r.err = errAt("proxy-tlv", r.off, ruleProxyV2, "TLV value runs past the header", ErrBadProxyHeader)
		return 0, nil, false
	}
	r.off += 3 + n
	return rest[0], rest[3 : 3+n : 3+n], true
}

// Err returns the error that stopped Next, or nil at a clean end. Its
// Offset counts from the start of the TLV area.
func (r *ProxyTLVReader) Err() error { return r.err }
