package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// tlvs builds a TLV area from type/value pairs.
func tlvs(pairs ...any) []byte {
	var b []byte
	for i := 0; i < len(pairs); i += 2 {
		v := []byte(pairs[i+1].(string))
		b = append(b, byte(pairs[i].(int)))
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	return b
}

func TestParseProxyV1(t *testing.T) {
	cases := []struct {
		in   string
		want ProxyHeader
	}{
		{"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP4, ap("192.168.0.1:56324"), ap("192.168.0.11:443"), nil}},
		{"PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP4, ap("0.0.0.0:0"), ap("255.255.255.255:65535"), nil}},
		{"PROXY TCP6 2001:db8::1 2001:DB8::2 1 25\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP6, ap("[2001:db8::1]:1"), ap("[2001:db8::2]:25"), nil}},
		{"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 0:0:0:0:0:0:0:1 65535 65535\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP6, ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), ap("[::1]:65535"), nil}},
		{"PROXY TCP6 :: ::ffff:c000:201 10 20\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP6, ap("[::]:10"), ap("[::ffff:192.0.2.1]:20"), nil}},
		{"PROXY TCP6 1:: 1::2 10 20\r\n",
			ProxyHeader{ProxyV1, ProxyCommandProxy, ProxyNetTCP6, ap("[1::]:10"), ap("[1::2]:20"), nil}},
		{"PROXY UNKNOWN\r\n", ProxyHeader{Version: ProxyV1, Command: ProxyCommandProxy}},
		{"PROXY UNKNOWN ffff:f::f:ffff ffff:f::f:ffff 65535 65535\r\n", ProxyHeader{Version: ProxyV1, Command: ProxyCommandProxy}},
		{"PROXY UNKNOWN anything at all\x00\r\n", ProxyHeader{Version: ProxyV1, Command: ProxyCommandProxy}},
		{"PROXY UNKNOWN " + strings.Repeat("x", MaxProxyV1-16) + "\r\n", ProxyHeader{Version: ProxyV1, Command: ProxyCommandProxy}},
	}
	require.Len(t, cases[len(cases)-1].in, MaxProxyV1)
	for _, tc := range cases {
		in := []byte(tc.in + "EHLO x\r\n")
		h, n, err := ParseProxyHeader(in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, len(tc.in), n, tc.in)
		assert.Equal(t, tc.want, h, tc.in)
		assert.Equal(t, tc.want.Network != ProxyNetUnspec, h.HasAddrs(), tc.in)
		assertPrefixesIncomplete(t, in[:n])
	}
}

func TestParseProxyV1Errors(t *testing.T) {
	long := "PROXY UNKNOWN " + strings.Repeat("x", MaxProxyV1-len("PROXY UNKNOWN \r\n")+1) + "\r\n"
	require.Len(t, long, MaxProxyV1+1)
	cases := []struct {
		in      string
		element string
		offset  int
		no      bool // ErrNoProxyHeader: no signature at all
	}{
		{"EHLO client\r\n", "proxy-signature", 0, true},
		{"proxy TCP4", "proxy-signature", 0, true},
		{"PROXYTCP4", "proxy-signature", 5, true},
		{"POST / HTTP/1.1", "proxy-signature", 1, true},
		{"PROXY  TCP4 1.2.3.4 1.2.3.4 1 2\r\n", "proxy-protocol", 6, false},
		{"PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n", "proxy-protocol", 6, false},
		{"PROXY TCP", "", 0, false}, // incomplete, checked below
		{"PROXY TCP4\r\n", "proxy-v1", 10, false},
		{"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n", "proxy-v1", 45, false},
		{"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rX", "proxy-v1", 45, false},
		{"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n", "proxy-v1", 45, false},
		{"PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n", "proxy-address", 23, false},
		{"PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n", "proxy-v1", 41, false},
		{"PROXY TCP4 192.168.00.1 192.168.0.11 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP4 192.168.0.256 192.168.0.11 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP4 192.168.0 192.168.0.11 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP4 ::1 1.2.3.4 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 ::ffff:1.2.3.4 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 1::2::3 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 ::: ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 :1 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 1:2:3:4:5:6:7::8 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP6 12345::1 ::1 1 2\r\n", "proxy-address", 11, false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 0443 25\r\n", "proxy-port", 27, false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 65536 25\r\n", "proxy-port", 27, false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 -1\r\n", "proxy-port", 29, false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 2x\r\n", "proxy-port", 29, false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 00\r\n", "proxy-port", 29, false},
		{"PROXY UNKNOWN\n", "proxy-v1", 13, false},
		{"PROXY UNKNOWNX\r\n", "proxy-protocol", 6, false},
		{"PROXY UNKNOWN a\rb\r\n", "proxy-v1", 15, false},
		{"PROXY UNKNOWN a\nb\r\n", "proxy-v1", 15, false},
		{long, "proxy-v1", MaxProxyV1, false},
		{long[:MaxProxyV1], "proxy-v1", MaxProxyV1, false},
	}
	for _, tc := range cases {
		_, n, err := ParseProxyHeader([]byte(tc.in))
		assert.Zero(t, n, "%q", tc.in)
		if tc.element == "" {
			assert.NoError(t, err, "%q is a prefix", tc.in)
			continue
		}
		var se *SyntaxError
		require.ErrorAs(t, err, &se, "%q", tc.in)
		assert.ErrorIs(t, err, ErrBadProxyHeader, "%q", tc.in)
		assert.Equal(t, tc.no, errors.Is(err, ErrNoProxyHeader), "%q", tc.in)
		assert.Equal(t, tc.element, se.Element, "%q", tc.in)
		assert.Equal(t, tc.offset, se.Offset, "%q", tc.in)
		// Malformed input stays malformed whatever follows it.
		_, _, err = ParseProxyHeader([]byte(tc.in + "\r\n" + strings.Repeat("z", 200)))
		assert.Error(t, err, "%q extended", tc.in)
	}
}

// TestParseProxyPartial checks that a partial header asks for more only
// while it can still become valid, and fails as soon as it cannot.
func TestParseProxyPartial(t *testing.T) {
	cases := []struct {
		in   string
		more bool
	}{
		{"P", true},
		{"PROXY", true},
		{"PROXY UNK", true},
		{"PROXY UNKNOWN", true},
		{"PROXY UNKNOWN whatever", true},
		{"PROXY UNKNOWN\r", true},
		{"PROXY TCP4 ", true},
		{"PROXY TCP4 1.2.3.", true},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 2", true},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r", true},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 65535", true},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 0", true},
		{"PROXY TCP6 :", true},
		{"PROXY TCP6 ::", true},
		{"PROXY TCP6 1::2:3:4:5:6:7", true},
		{"PROXY TCP6 1:2:3:4:5:6:7:", true},
		{"PROXY TCP6 ABCD", true},
		{"PROXY TCP5", false},
		{"PROXY UNKNOWNS", false},
		{"PROXY TCP4 256", false},
		{"PROXY TCP4 01", false},
		{"PROXY TCP4 1.2.3.4.", false},
		{"PROXY TCP4 1..", false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 99999", false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 00", false},
		{"PROXY TCP4 1.2.3.4 1.2.3.4 1 2 ", false},
		{"PROXY TCP6 1:2:3:4:5:6:7:8:", false},
		{"PROXY TCP6 1::2:3:4:5:6:7:", false},
		{"PROXY TCP6 1::2::", false},
		{"PROXY TCP6 12345", false},
		{"PROXY TCP6 1.", false},
		{"PROXY TCP6 :1", false},
		{"PROXY TCP6 fe80::1%", false},
		{"\r\n\r\n\x00\r\nQUIT\n\x21", true},
		{"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00", true},
		{"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\x01", true},
		{"\r\n\r\n\x00\r\nQUIX", false},
		{"\r\n\r\n\x00\r\nQUIT\n\x31", false},
		{"\r\n\r\n\x00\r\nQUIT\n\x21\x14", false},
		{"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0b", false},
	}
	for _, tc := range cases {
		_, n, err := ParseProxyHeader([]byte(tc.in))
		assert.Zero(t, n, "%q", tc.in)
		if tc.more {
			assert.NoError(t, err, "%q", tc.in)
		} else {
			assert.ErrorIs(t, err, ErrBadProxyHeader, "%q", tc.in)
		}
	}
}

// assertPrefixesIncomplete checks that every strict prefix of the header
// hdr asks for more octets and never fails.
func assertPrefixesIncomplete(t testing.TB, hdr []byte) {
	t.Helper()
	for k := range len(hdr) {
		h, n, err := ParseProxyHeader(hdr[:k])
		require.NoError(t, err, "prefix %d of %q", k, hdr)
		require.Zero(t, n, "prefix %d of %q", k, hdr)
		require.Equal(t, ProxyHeader{}, h)
	}
}

func TestParseProxyV2(t *testing.T) {
	tl := tlvs(ProxyTLVALPN, "smtp", ProxyTLVAuthority, "mx.example.org", ProxyTLVNoop, "")
	cases := []struct {
		name string
		h    ProxyHeader
	}{
		{"proxy tcp4", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetTCP4, ap("192.0.2.1:40000"), ap("198.51.100.7:25"), nil}},
		{"proxy tcp4 tlvs", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetTCP4, ap("192.0.2.1:40000"), ap("198.51.100.7:25"), tl}},
		{"proxy tcp6 tlvs", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetTCP6, ap("[2001:db8::1]:1"), ap("[2001:db8::25]:587"), tl}},
		{"proxy tcp6 mapped", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetTCP6, ap("[::ffff:192.0.2.1]:1"), ap("[::1]:25"), nil}},
		{"proxy udp4", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetUDP4, ap("192.0.2.1:53"), ap("192.0.2.2:53"), nil}},
		{"proxy udp6", ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetUDP6, ap("[::2]:53"), ap("[::3]:53"), tl}},
		{"proxy unix stream tlvs", ProxyHeader{Version: ProxyV2, Command: ProxyCommandProxy, Network: ProxyNetUnixStream, TLVs: tl}},
		{"proxy unix dgram", ProxyHeader{Version: ProxyV2, Command: ProxyCommandProxy, Network: ProxyNetUnixDgram}},
		{"proxy unspec tlvs", ProxyHeader{Version: ProxyV2, Command: ProxyCommandProxy, TLVs: tl}},
		{"local unspec", ProxyHeader{Version: ProxyV2, Command: ProxyCommandLocal}},
		{"local tcp4", ProxyHeader{Version: ProxyV2, Command: ProxyCommandLocal, Network: ProxyNetTCP4, TLVs: tl}},
		{"local tcp6", ProxyHeader{Version: ProxyV2, Command: ProxyCommandLocal, Network: ProxyNetTCP6}},
		{"local unix", ProxyHeader{Version: ProxyV2, Command: ProxyCommandLocal, Network: ProxyNetUnixStream, TLVs: tl}},
	}
	for _, tc := range cases {
		hdr, err := AppendProxyV2(nil, tc.h)
		require.NoError(t, err, tc.name)
		want := 16 + proxyAddrLen(tc.h.Network) + len(tc.h.TLVs)
		require.Len(t, hdr, want, tc.name)
		in := append(hdr[:len(hdr):len(hdr)], "EHLO x\r\n"...)
		h, n, err := ParseProxyHeader(in)
		require.NoError(t, err, tc.name)
		assert.Equal(t, want, n, tc.name)
		assert.Equal(t, tc.h, h, tc.name)
		wantAddrs := tc.h.Command == ProxyCommandProxy && tc.h.Network != ProxyNetUnspec && tc.h.Network < ProxyNetUnixStream
		assert.Equal(t, wantAddrs, h.HasAddrs(), tc.name)
		if len(h.TLVs) > 0 {
			assert.Same(t, &in[16+proxyAddrLen(h.Network)], &h.TLVs[0], "TLVs alias the input")
		}
		assertPrefixesIncomplete(t, hdr)
	}
}

// TestParseProxyV2Literal parses a header written out by hand, so the
// parser is not only checked against this package's serializer.
func TestParseProxyV2Literal(t *testing.T) {
	in := []byte("\r\n\r\n\x00\r\nQUIT\n" + // signature
		"\x21\x11\x00\x13" + // v2 PROXY, TCP over IPv4, 19 octets follow
		"\x7f\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x19" + // 127.0.0.1:1234 -> 10.0.0.2:25
		"\x01\x00\x04smtp" + // ALPN "smtp"
		"220 ")
	h, n, err := ParseProxyHeader(in)
	require.NoError(t, err)
	assert.Equal(t, 35, n)
	assert.Equal(t, ProxyHeader{ProxyV2, ProxyCommandProxy, ProxyNetTCP4, ap("127.0.0.1:1234"), ap("10.0.0.2:25"), []byte("\x01\x00\x04smtp")}, h)
}

func TestParseProxyV2Errors(t *testing.T) {
	good, err := AppendProxyV2(nil, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("1.2.3.4:1"), Dst: ap("5.6.7.8:2")})
	require.NoError(t, err)
	with := func(off int, b ...byte) []byte {
		p := bytes.Clone(good)
		copy(p[off:], b)
		return p
	}
	cases := []struct {
		name    string
		in      []byte
		element string
		offset  int
		no      bool
	}{
		{"bad signature first octet", []byte("\rX"), "proxy-signature", 1, true},
		{"bad signature last octet", with(11, 'X'), "proxy-signature", 11, true},
		{"version 1 nibble", with(12, 0x11), "proxy-version", 12, false},
		{"version 3", with(12, 0x31), "proxy-version", 12, false},
		{"command 2", with(12, 0x22), "proxy-command", 12, false},
		{"command 15", with(12, 0x2F), "proxy-command", 12, false},
		{"family 4", with(13, 0x41), "proxy-family", 13, false},
		{"protocol 3", with(13, 0x13), "proxy-family", 13, false},
		{"unspec family with stream", with(13, 0x01), "proxy-family", 13, false},
		{"inet with unspec protocol", with(13, 0x10), "proxy-family", 13, false},
		{"length shorter than ipv4 block", with(14, 0, 11), "proxy-length", 14, false},
		{"length shorter than ipv6 block", with(13, 0x21, 0, 12), "proxy-length", 14, false},
		{"length shorter than unix block", with(13, 0x31, 0, 215), "proxy-length", 14, false},
		{"local with lying length", with(12, 0x20, 0x11, 0, 4), "proxy-length", 14, false},
		{"length over MaxProxyV2", with(14, (MaxProxyV2-15)>>8, (MaxProxyV2-15)&0xFF), "proxy-length", 14, false},
		{"length 65535", with(14, 0xFF, 0xFF), "proxy-length", 14, false},
	}
	for _, tc := range cases {
		_, n, err := ParseProxyHeader(tc.in)
		assert.Zero(t, n, tc.name)
		var se *SyntaxError
		require.ErrorAs(t, err, &se, tc.name)
		assert.ErrorIs(t, err, ErrBadProxyHeader, tc.name)
		assert.Equal(t, tc.no, errors.Is(err, ErrNoProxyHeader), tc.name)
		assert.Equal(t, tc.element, se.Element, tc.name)
		assert.Equal(t, tc.offset, se.Offset, tc.name)
	}

	// The largest header allowed parses; a length that lies about what
	// follows just asks for more.
	big, err := AppendProxyV2(nil, ProxyHeader{Command: ProxyCommandLocal, TLVs: tlvs(ProxyTLVNoop, strings.Repeat("\x00", MaxProxyV2-16-3))})
	require.NoError(t, err)
	require.Len(t, big, MaxProxyV2)
	_, n, err := ParseProxyHeader(big)
	require.NoError(t, err)
	assert.Equal(t, MaxProxyV2, n)
	_, n, err = ParseProxyHeader(big[:MaxProxyV2-1])
	assert.NoError(t, err)
	assert.Zero(t, n)
}

func TestAppendProxyV1(t *testing.T) {
	cases := []struct {
		h    ProxyHeader
		want string
	}{
		{ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("192.168.0.1:56324"), Dst: ap("192.168.0.11:443")},
			"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"},
		{ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: ap("[2001:db8::1]:0"), Dst: ap("[::ffff:192.0.2.1]:65535")},
			"PROXY TCP6 2001:db8::1 ::ffff:c000:201 0 65535\r\n"},
		{ProxyHeader{Command: ProxyCommandProxy}, "PROXY UNKNOWN\r\n"},
		{ProxyHeader{Command: ProxyCommandLocal, Network: ProxyNetTCP4, Src: ap("1.2.3.4:1"), Dst: ap("1.2.3.4:2")}, "PROXY UNKNOWN\r\n"},
	}
	for _, tc := range cases {
		b, err := AppendProxyV1([]byte("x"), tc.h)
		require.NoError(t, err)
		assert.Equal(t, "x"+tc.want, string(b))
		h, n, err := ParseProxyHeader(b[1:])
		require.NoError(t, err)
		assert.Equal(t, len(tc.want), n)
		if tc.h.Command == ProxyCommandProxy {
			tc.h.Version = ProxyV1
			assert.Equal(t, tc.h, h, "round trip")
		}
	}
	// The longest line the spec names fits MaxProxyV1 with room to spare.
	b, err := AppendProxyV1(nil, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP6,
		Src: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), Dst: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")})
	require.NoError(t, err)
	assert.Len(t, b, 104)

	bad := []ProxyHeader{
		{},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("[::1]:1"), Dst: ap("1.2.3.4:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP4},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: ap("1.2.3.4:1"), Dst: ap("[::1]:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth0"), 1), Dst: ap("[::1]:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetUDP4, Src: ap("1.2.3.4:1"), Dst: ap("1.2.3.4:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetUnixStream},
	}
	for _, h := range bad {
		b, err := AppendProxyV1([]byte("x"), h)
		assert.ErrorIs(t, err, ErrBadProxyHeader, "%+v", h)
		assert.Equal(t, "x", string(b), "dst unchanged on error")
	}
}

func TestAppendProxyV2Errors(t *testing.T) {
	bad := []ProxyHeader{
		{},
		{Command: ProxyCommand(3)},
		{Command: ProxyCommandProxy, Network: numProxyNets},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("[::1]:1"), Dst: ap("1.2.3.4:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetUDP4},
		{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: ap("1.2.3.4:1"), Dst: ap("[::1]:2")},
		{Command: ProxyCommandProxy, Network: ProxyNetUDP6, Src: netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth0"), 1), Dst: ap("[::1]:2")},
		{Command: ProxyCommandLocal, Network: ProxyNetTCP6, TLVs: make([]byte, 0xFFFF-35)},
	}
	for _, h := range bad {
		b, err := AppendProxyV2([]byte("x"), h)
		assert.ErrorIs(t, err, ErrBadProxyHeader, "%v %v", h.Command, h.Network)
		assert.Equal(t, "x", string(b))
	}
	// LOCAL ignores addresses, and the largest encodable length works.
	b, err := AppendProxyV2(nil, ProxyHeader{Command: ProxyCommandLocal, Network: ProxyNetTCP6, Src: ap("1.2.3.4:1"), TLVs: make([]byte, 0xFFFF-36)})
	require.NoError(t, err)
	assert.Len(t, b, 16+0xFFFF)
}

func TestProxyTLVReader(t *testing.T) {
	area := tlvs(ProxyTLVALPN, "smtp", ProxyTLVNoop, "", ProxyTLVAuthority, "mx.example.org")
	r := NewProxyTLVReader(area)
	type tlv struct {
		typ uint8
		val string
	}
	var got []tlv
	for typ, val, ok := r.Next(); ok; typ, val, ok = r.Next() {
		got = append(got, tlv{typ, string(val)})
	}
	require.NoError(t, r.Err())
	assert.Equal(t, []tlv{{ProxyTLVALPN, "smtp"}, {ProxyTLVNoop, ""}, {ProxyTLVAuthority, "mx.example.org"}}, got)

	var zero ProxyTLVReader
	_, _, ok := zero.Next()
	assert.False(t, ok)
	assert.NoError(t, zero.Err())

	for _, tc := range []struct {
		area   []byte
		offset int
	}{
		{area[:2], 0},                   // type and half a length
		{area[:len(area)-1], 10},        // last value one short
		{append(tlvs(1, "a"), 0x20), 4}, // a lone type octet
	} {
		r := NewProxyTLVReader(tc.area)
		for _, _, ok := r.Next(); ok; _, _, ok = r.Next() {
		}
		var se *SyntaxError
		require.ErrorAs(t, r.Err(), &se, "%q", tc.area)
		assert.ErrorIs(t, se, ErrBadProxyHeader)
		assert.Equal(t, tc.offset, se.Offset, "%q", tc.area)
		_, _, ok := r.Next()
		assert.False(t, ok, "stays stopped")
	}
}

func TestProxyEnumStrings(t *testing.T) {
	assert.Equal(t, "v2", ProxyV2.String())
	assert.Equal(t, "none", ProxyVersionNone.String())
	assert.Equal(t, "ProxyVersion(7)", ProxyVersion(7).String())
	assert.Equal(t, "LOCAL", ProxyCommandLocal.String())
	assert.Equal(t, "PROXY", ProxyCommandProxy.String())
	assert.Equal(t, "ProxyCommand(9)", ProxyCommand(9).String())
	assert.Equal(t, "UNIX-DGRAM", ProxyNetUnixDgram.String())
	assert.Equal(t, "UNSPEC", ProxyNetUnspec.String())
	assert.Equal(t, "ProxyNetwork(7)", numProxyNets.String())
	assert.True(t, errors.Is(ErrNoProxyHeader, ErrBadProxyHeader))
	assert.False(t, errors.Is(ErrBadProxyHeader, ErrNoProxyHeader))
}

func TestParseProxyHeaderEmpty(t *testing.T) {
	h, n, err := ParseProxyHeader(nil)
	assert.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, ProxyHeader{}, h)
}
