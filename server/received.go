package server

import (
	"net"
	"net/netip"
	"time"

	"github.com/smtpkit/smtpkit/tlsmode"

	"crypto/tls"
)

// Received holds the clauses of a Received trace header field (RFC 5321
// section 4.4). Empty fields are left out.
type Received struct {
	// From is the domain the client gave in HELO, EHLO or LHLO; Addr is
	// the client's IP address (the TCP-info address-literal).
	From string
	Addr netip.Addr
	// By is the receiving server's name.
	By string
	// With is the protocol ("ESMTPS", see ConnInfo.ReceivedProtocol).
	With string
	// ID is the message's queue identifier.
	ID string
	// For is the single recipient of the copy, if there is one (RFC 5321
	// section 4.4 says to use it only then).
	For string
	// TLS, when set, adds a comment naming the TLS version and cipher.
	TLS *tlsmode.Facts
	// Date is when the message was received.
	Date time.Time
}

// ReceivedFor returns the Received clauses for a message of this
// connection, received at now.
func (c *ConnInfo) ReceivedFor(id, rcpt string, utf8 bool, now time.Time) Received {
	r := Received{From: c.Hello, By: c.Hostname, With: c.ReceivedProtocol(utf8), ID: id, For: rcpt, TLS: c.TLS, Date: now}
	if ta, ok := c.RemoteAddr.(*net.TCPAddr); ok {
		r.Addr = ta.AddrPort().Addr().Unmap()
	}
	return r
}

// AppendReceived appends the header field, "Received: " to the final
// CRLF, with each clause on its own folded line (RFC 5322 section 2.2.3).
// Peer-supplied text (From, For) is cleaned of characters that could end
// the field or a comment.
func AppendReceived(dst []byte, r Received) []byte {
	dst = append(dst, "Received: from "...)
	from := r.From
	if from == "" {
		from = "unknown"
	}
	dst = appendClean(dst, from)
	if r.Addr.IsValid() {
		// TCP-info: the address-literal of the connection (RFC 5321 4.4).
		dst = append(dst, " (["...)
		if r.Addr.Is6() {
			dst = append(dst, "IPv6:"...)
		}
		dst = r.Addr.AppendTo(dst)
		dst = append(dst, "])"...)
	}
	if r.By != "" {
		dst = append(dst, "\r\n\tby "...)
		dst = appendClean(dst, r.By)
	}
	if r.With != "" {
		dst = append(dst, " with "...)
		dst = appendClean(dst, r.With)
	}
	if r.TLS != nil {
		dst = append(dst, "\r\n\t(using "...)
		dst = append(dst, tls.VersionName(r.TLS.Version)...)
		dst = append(dst, " with cipher "...)
		dst = append(dst, tls.CipherSuiteName(r.TLS.CipherSuite)...)
		dst = append(dst, ')')
	}
	if r.ID != "" {
		dst = append(dst, "\r\n\tid "...)
		dst = appendClean(dst, r.ID)
	}
	if r.For != "" {
		dst = append(dst, "\r\n\tfor <"...)
		dst = appendClean(dst, r.For)
		dst = append(dst, '>')
	}
	dst = append(dst, ";\r\n\t"...)
	dst = r.Date.AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 -0700")
	return append(dst, "\r\n"...)
}

// appendClean appends s without controls, spaces, parentheses, angle
// brackets and semicolons, which would end a clause or the field.
func appendClean(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c == 0x7f || c == '(' || c == ')' || c == '<' || c == '>' || c == ';' || c == '\\':
			dst = append(dst, '_')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
