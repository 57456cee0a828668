package server

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/smtpkit/smtpkit/wire"
)

// DefaultProxyTimeout bounds the arrival of a PROXY protocol header when
// Server.ProxyTimeout is 0.
const DefaultProxyTimeout = 5 * time.Second

// proxyMin is the shortest header of either version: "PROXY UNKNOWN\r\n"
// (PROXY protocol section 2.1) is 15 octets, the version 2 fixed part 16.
const proxyMin = 15

// trusted reports whether ip may send a PROXY header.
func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) proxyTimeout() time.Duration {
	if s.ProxyTimeout > 0 {
		return s.ProxyTimeout
	}
	return DefaultProxyTimeout
}

// readProxy reads the PROXY protocol header that must open a connection
// from a trusted proxy, within timeout (PROXY protocol section 2: the
// receiver waits for the whole header before it speaks). Headers are
// parsed by wire.ParseProxyHeader.
func readProxy(nc net.Conn, timeout time.Duration) (wire.ProxyHeader, error) {
	_ = nc.SetReadDeadline(time.Now().Add(timeout))
	defer nc.SetReadDeadline(time.Time{})
	var buf [wire.MaxProxyV2]byte
	h, _, err := parseProxyFrom(nc, buf[:])
	if err == nil {
		// TLVs alias buf; the header keeps no TLVs past this call.
		h.TLVs = append([]byte(nil), h.TLVs...)
	}
	return h, err
}

// errProxyShort reports a connection that ended inside the header.
var errProxyShort = errors.New("server: connection ended inside the PROXY header")

// parseProxyFrom reads one header from r into buf and returns it with its
// length. It never reads past the header, so the SMTP stream that follows
// stays unread: version 2 headers by their length field, version 1 lines
// octet by octet up to CRLF (at most wire.MaxProxyV1). h.TLVs aliases buf.
func parseProxyFrom(r io.Reader, buf []byte) (h wire.ProxyHeader, n int, err error) {
	if _, err := io.ReadFull(r, buf[:proxyMin]); err != nil {
		return h, 0, errors.Join(errProxyShort, err)
	}
	n = proxyMin
	if h, k, err := wire.ParseProxyHeader(buf[:n]); k > 0 || err != nil {
		return h, k, err
	}
	if buf[0] != 'P' {
		// Version 2: the 16th octet completes the length field (PROXY
		// protocol section 2.2).
		if _, err := io.ReadFull(r, buf[n:16]); err != nil {
			return h, n, errors.Join(errProxyShort, err)
		}
		n = 16
		total := 16 + (int(buf[14])<<8 | int(buf[15]))
		if total > len(buf) {
			_, _, err := wire.ParseProxyHeader(buf[:n])
			if err == nil {
				err = wire.ErrBadProxyHeader
			}
			return h, n, err
		}
		if _, err := io.ReadFull(r, buf[n:total]); err != nil {
			return h, n, errors.Join(errProxyShort, err)
		}
		n = total
		h, k, err := wire.ParseProxyHeader(buf[:n])
		if err == nil && k == 0 {
			err = wire.ErrBadProxyHeader
		}
		return h, k, err
	}
	for n < wire.MaxProxyV1 {
		if _, err := io.ReadFull(r, buf[n:n+1]); err != nil {
			return h, n, errors.Join(errProxyShort, err)
		}
		n++
		if h, k, err := wire.ParseProxyHeader(buf[:n]); k > 0 || err != nil {
			return h, k, err
		}
	}
	return h, n, wire.ErrBadProxyHeader
}
