package server

import (
	"crypto/tls"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestAppendReceived(t *testing.T) {
	date := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    Received
		want string
	}{
		{"full", Received{From: "client.example.com", Addr: netip.MustParseAddr("192.0.2.1"), By: "mx.example.org", With: "ESMTPS",
			ID: "abc123", For: "bob@example.org", TLS: &tlsmode.Facts{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}, Date: date},
			"Received: from client.example.com ([192.0.2.1])\r\n\tby mx.example.org with ESMTPS\r\n\t(using TLS 1.3 with cipher TLS_AES_128_GCM_SHA256)\r\n\tid abc123\r\n\tfor <bob@example.org>;\r\n\tFri, 01 Mar 2024 12:30:00 +0000\r\n"},
		{"ipv6 and hostile helo", Received{From: "evil)\r\nX-Injected: 1", Addr: netip.MustParseAddr("2001:db8::1"), By: "mx", With: "SMTP", Date: date},
			"Received: from evil___X-Injected:_1 ([IPv6:2001:db8::1])\r\n\tby mx with SMTP;\r\n\tFri, 01 Mar 2024 12:30:00 +0000\r\n"},
		{"minimal", Received{Date: date}, "Received: from unknown;\r\n\tFri, 01 Mar 2024 12:30:00 +0000\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(AppendReceived(nil, tt.r)))
		})
	}
}

func TestReceivedFor(t *testing.T) {
	date := time.Unix(0, 0).UTC()
	c := &ConnInfo{RemoteAddr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 4000}, Hostname: "mx", Hello: "c.example",
		ESMTP: true, Identity: &auth.Identity{Username: "u"}, Protocol: state.ProtocolSMTP}
	r := c.ReceivedFor("id1", "", false, date)
	assert.Equal(t, Received{From: "c.example", Addr: netip.MustParseAddr("192.0.2.9"), By: "mx", With: "ESMTPA", ID: "id1", Date: date}, r)
}
