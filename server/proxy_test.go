package server

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// proxyHeaders returns real headers of both versions, built by the wire
// serializers.
func proxyHeaders(t testing.TB) (v1, v2 []byte) {
	h := wire.ProxyHeader{Command: wire.ProxyCommandProxy, Network: wire.ProxyNetTCP4,
		Src: netip.MustParseAddrPort("203.0.113.7:40000"), Dst: netip.MustParseAddrPort("198.51.100.1:25")}
	v1, err := wire.AppendProxyV1(nil, h)
	require.NoError(t, err)
	v2, err = wire.AppendProxyV2(nil, h)
	require.NoError(t, err)
	return v1, v2
}

func TestProxyTrusted(t *testing.T) {
	v1, v2 := proxyHeaders(t)
	for name, hdr := range map[string][]byte{"v1": v1, "v2": v2} {
		t.Run(name, func(t *testing.T) {
			h := &recorder{}
			addr := start(t, &Server{Handler: h, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
			c := dial(t, addr)
			c.raw(string(hdr))
			c.expect("220")
			c.send("HELO c\n")
			c.expect("250")
			c.send("MAIL FROM:<a@b.c>\n")
			c.expect("250")
			c.send("RCPT TO:<x@y.z>\n")
			c.expect("250")
			c.send("DATA\n")
			c.expect("354")
			c.send("x\n.\n")
			c.expect("250")
			require.Len(t, h.infos, 1)
			assert.Equal(t, "203.0.113.7:40000", h.infos[0].RemoteAddr.String())
			assert.Equal(t, "198.51.100.1:25", h.infos[0].LocalAddr.String())
			require.NotNil(t, h.infos[0].Proxy)
		})
	}
}

func TestProxyUntrustedIsSMTP(t *testing.T) {
	v1, _ := proxyHeaders(t)
	h := &recorder{}
	addr := start(t, &Server{Handler: h, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	c := dial(t, addr)
	c.expect("220") // no header expected: greeted at once
	c.raw(string(v1))
	c.expect("500") // PROXY is no SMTP command
}

func TestProxyRequiredFromTrusted(t *testing.T) {
	h := &recorder{}
	addr := start(t, &Server{Handler: h, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	c := dial(t, addr)
	c.send("EHLO not-a-proxy-header\n")
	c.closed()
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Empty(t, h.infos)
}

func TestParseProxyFrom(t *testing.T) {
	v1, v2 := proxyHeaders(t)
	tests := []struct {
		name  string
		in    []byte
		n     int
		valid bool
	}{
		{"v1", append(append([]byte{}, v1...), "EHLO x\r\n"...), len(v1), true},
		{"v2", append(append([]byte{}, v2...), "EHLO x\r\n"...), len(v2), true},
		{"v1 unknown", []byte("PROXY UNKNOWN\r\nEHLO"), 15, true},
		{"smtp", []byte("EHLO client.example.com\r\n"), 0, false},
		{"short", []byte("PROXY TCP4"), 0, false},
		{"v1 no CRLF", bytes.Repeat([]byte("PROXY TCP4 1.1.1.1 "), 10), 0, false},
		{"v2 too long", append(append([]byte{}, v2[:14]...), 0xff, 0xff), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bytes.NewReader(tt.in)
			var buf [wire.MaxProxyV2]byte
			_, n, err := parseProxyFrom(r, buf[:])
			if !tt.valid {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, len(tt.in)-tt.n, r.Len(), "nothing past the header is read")
		})
	}
}

// FuzzParseProxyFrom checks that reading a header from a stream never
// panics, never reads past the header it returns, and agrees with
// wire.ParseProxyHeader on the same octets.
func FuzzParseProxyFrom(f *testing.F) {
	v1, v2 := proxyHeaders(f)
	f.Add(append(append([]byte{}, v1...), "EHLO x\r\n"...))
	f.Add(append(append([]byte{}, v2...), "EHLO x\r\n"...))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\nQUIT\r\n"))
	f.Add([]byte("EHLO client.example.com\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		var buf [wire.MaxProxyV2]byte
		h, n, err := parseProxyFrom(r, buf[:])
		consumed := len(in) - r.Len()
		if err != nil {
			return
		}
		require.Equal(t, n, consumed, "read exactly the header")
		h2, n2, err2 := wire.ParseProxyHeader(in[:n])
		require.NoError(t, err2)
		require.Equal(t, n, n2)
		require.Equal(t, h2.Src, h.Src)
		require.Equal(t, h2.Command, h.Command)
	})
}

// TestProxyPerIPLimit: behind a trusted proxy, MaxConnectionsPerIP counts
// the client's address from the PROXY header, not the proxy's, and a
// connection that ends gives its count back under that address.
func TestProxyPerIPLimit(t *testing.T) {
	header := func(src string) string {
		h := wire.ProxyHeader{Command: wire.ProxyCommandProxy, Network: wire.ProxyNetTCP4,
			Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort("198.51.100.1:25")}
		b, err := wire.AppendProxyV2(nil, h)
		require.NoError(t, err)
		return string(b)
	}
	srv := &Server{Handler: &recorder{}, MaxConnectionsPerIP: 1,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	addr := start(t, srv)
	// Two clients through the one proxy address: both served.
	a := dial(t, addr)
	a.raw(header("203.0.113.7:40000"))
	a.expect("220")
	b := dial(t, addr)
	b.raw(header("203.0.113.8:40000"))
	b.expect("220")
	// A second connection of the first client: over its limit.
	c := dial(t, addr)
	c.raw(header("203.0.113.7:40001"))
	c.expect("421")
	a.send("QUIT\n")
	a.expect("221")
	// Its count was given back under its own address.
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.perIP[netip.MustParseAddr("203.0.113.7")] == 0
	}, 5*time.Second, 10*time.Millisecond)
	d := dial(t, addr)
	d.raw(header("203.0.113.7:40002"))
	d.expect("220")
}
