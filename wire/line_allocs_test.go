//go:build !race

package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLineSplitterAllocs(t *testing.T) {
	buf := []byte(pipelined)
	long := []byte(strings.Repeat("x", 2*MaxCommandLine))
	for _, policy := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
		s := LineSplitter{Policy: policy}
		allocs := testing.AllocsPerRun(200, func() {
			p := buf
			for lines := 0; len(p) > 0; lines++ {
				adv, line, err := s.Split(p)
				if adv == 0 || err != nil || line == nil {
					t.Fatalf("%v: line %d: %d %q %v", policy, lines, adv, line, err)
				}
				p = p[adv:]
			}
			// A partial line trickling in, then an over-long one being
			// discarded: neither allocates.
			for k := 1; k < 20; k++ {
				if adv, _, _ := s.Split(buf[:k]); adv != 0 {
					t.Fatalf("%v: prefix %d: advance %d", policy, k, adv)
				}
			}
			if adv, _, err := s.Split(long); adv == 0 || err != nil {
				t.Fatalf("%v: discard: %d %v", policy, adv, err)
			}
			s.Reset()
		})
		assert.Zero(t, allocs, policy.String())
	}
}

func TestProxyHeaderAllocs(t *testing.T) {
	v1 := []byte("PROXY TCP6 2001:db8::1 2001:db8::25 40000 25\r\nEHLO x\r\n")
	v1u := []byte("PROXY UNKNOWN\r\n")
	h2 := ProxyHeader{Command: ProxyCommandProxy, Network: ProxyNetTCP6, Src: ap("[2001:db8::1]:40000"),
		Dst: ap("[2001:db8::25]:25"), TLVs: tlvs(ProxyTLVALPN, "smtp", ProxyTLVAuthority, "mx.example.org")}
	v2, err := AppendProxyV2(nil, h2)
	require.NoError(t, err)
	out := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(200, func() {
		for _, in := range [][]byte{v1, v1u, v2} {
			h, n, err := ParseProxyHeader(in)
			if n == 0 || err != nil {
				t.Fatalf("%q: %d %v", in, n, err)
			}
			r := NewProxyTLVReader(h.TLVs)
			for _, _, ok := r.Next(); ok; _, _, ok = r.Next() {
			}
			if r.Err() != nil {
				t.Fatal(r.Err())
			}
			if h.Version == ProxyV1 {
				out, err = AppendProxyV1(out[:0], h)
			} else {
				out, err = AppendProxyV2(out[:0], h)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, n, _ := ParseProxyHeader(v2[:20]); n != 0 {
			t.Fatal("prefix parsed")
		}
	})
	assert.Zero(t, allocs)
}
