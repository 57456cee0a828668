package wire

import (
	"bytes"
	"testing"
)

func BenchmarkLineSplit(b *testing.B) {
	buf := bytes.Repeat([]byte(pipelined), 16)
	for _, policy := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
		b.Run(policy.String(), func(b *testing.B) {
			s := LineSplitter{Policy: policy}
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				p := buf
				for len(p) > 0 {
					adv, _, err := s.Split(p)
					if adv == 0 || err != nil {
						b.Fatal(adv, err)
					}
					p = p[adv:]
				}
			}
		})
	}
}

func BenchmarkParseProxyHeader(b *testing.B) {
	v2, err := AppendProxyV2(nil, ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP6,
		Src: ap("[2001:db8::1]:40000"), Dst: ap("[2001:db8::25]:25"), TLVs: tlvs(ProxyTLVALPN, "smtp")})
	if err != nil {
		b.Fatal(err)
	}
	inputs := []struct {
		name string
		in   []byte
	}{
		{"v1", []byte("PROXY TCP6 2001:db8::1 2001:db8::25 40000 25\r\n")},
		{"v1-tcp4", []byte("PROXY TCP4 192.168.0.1 192.168.0.11 56324 25\r\n")},
		{"v2", v2},
	}
	for _, tc := range inputs {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.in)))
			for b.Loop() {
				if _, n, err := ParseProxyHeader(tc.in); n == 0 || err != nil {
					b.Fatal(n, err)
				}
			}
		})
	}
}
