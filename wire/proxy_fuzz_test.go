package wire

import (
	"bytes"
	"errors"
	"testing"
)

// proxyFuzzSeeds returns headers built by the serializers, some followed by
// SMTP, plus a few near misses.
func proxyFuzzSeeds(tb testing.TB) [][]byte {
	tl := tlvs(ProxyTLVALPN, "smtp", ProxyTLVAuthority, "mx.example.org", ProxyTLVNoop, "\x00\x00")
	headers := []struct {
		v1 bool
		h  ProxyHeader
	}{
		{true, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("192.0.2.1:40000"), Dst: ap("198.51.100.7:25")}},
		{true, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: ap("[2001:db8::1]:1"), Dst: ap("[::ffff:192.0.2.1]:587")}},
		{true, ProxyHeader{Command: ProxyCommandLocal}},
		{false, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP4, Src: ap("192.0.2.1:40000"), Dst: ap("198.51.100.7:25"), TLVs: tl}},
		{false, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetUDP6, Src: ap("[2001:db8::1]:1"), Dst: ap("[2001:db8::2]:2")}},
		{false, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetUnixStream, TLVs: tl}},
		{false, ProxyHeader{Command: ProxyCommandLocal}},
		{false, ProxyHeader{Command: ProxyCommandLocal, Network: ProxyNetTCP6, TLVs: tl[:5]}},
	}
	var seeds [][]byte
	for _, x := range headers {
		var b []byte
		var err error
		if x.v1 {
			b, err = AppendProxyV1(nil, x.h)
		} else {
			b, err = AppendProxyV2(nil, x.h)
		}
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b, append(bytes.Clone(b), "EHLO client.example\r\n"...), b[:len(b)/2])
	}
	for _, s := range []string{
		"PROXY UNKNOWN ffff::1 ::2 65535 0\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\nQUIT\r\n",
		"PROXY TCP6 1:2:3:4:5:6:7:8 1::8 1 2\r\n",
		"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP6 ::ffff:1.2.3.4 ::1 1 2\r\n",
		"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0b",
		"EHLO x\r\n",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzProxyHeader checks that parsing never panics, never claims more than
// it was given, that every prefix of an accepted header asks for more, that
// an accepted header re-serialized parses to the same value, and that a
// refused input stays refused whatever follows it.
func FuzzProxyHeader(f *testing.F) {
	for _, s := range proxyFuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := ParseProxyHeader(data)
		if err != nil {
			var se *SyntaxError
			if n != 0 || !errors.As(err, &se) || !errors.Is(err, ErrBadProxyHeader) {
				t.Fatalf("error %v with n %d", err, n)
			}
			if se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("offset %d outside %d octets", se.Offset, len(data))
			}
			more := append(bytes.Clone(data), "\r\n\r\n\x00\r\nQUIT\n PROXY\r\n"...)
			if _, _, err := ParseProxyHeader(more); err == nil {
				t.Fatalf("%q refused but %q is not", data, more)
			}
			return
		}
		if n == 0 {
			if !proxyEqual(h, ProxyHeader{}) || len(data) >= MaxProxyV2 {
				t.Fatalf("need-more with %+v after %d octets", h, len(data))
			}
			return
		}
		if n > len(data) {
			t.Fatalf("n %d > %d", n, len(data))
		}
		hdr := data[:n]
		assertPrefixesIncomplete(t, hdr)
		if h2, n2, err := ParseProxyHeader(append(bytes.Clone(hdr), 0xFF)); err != nil || n2 != n || !proxyEqual(h, h2) {
			t.Fatalf("what follows the header changed the result: %v %d %+v", err, n2, h2)
		}
		var out []byte
		if h.Version == ProxyV1 {
			out, err = AppendProxyV1(nil, h)
		} else {
			out, err = AppendProxyV2(nil, h)
		}
		if err != nil {
			t.Fatalf("re-serializing %+v: %v", h, err)
		}
		h2, n2, err := ParseProxyHeader(out)
		if err != nil || n2 != len(out) || !proxyEqual(h, h2) {
			t.Fatalf("round trip of %q via %q: %+v %d %v", hdr, out, h2, n2, err)
		}
	})
}

// proxyEqual compares headers, TLVs by content.
func proxyEqual(a, b ProxyHeader) bool {
	return a.Version == b.Version && a.Command == b.Command && a.Network == b.Network &&
		a.Src == b.Src && a.Dst == b.Dst && bytes.Equal(a.TLVs, b.TLVs) && (a.TLVs == nil) == (b.TLVs == nil)
}
