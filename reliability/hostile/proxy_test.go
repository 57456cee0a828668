//go:build reliability

// This file proves a PROXY protocol header (HAProxy PROXY protocol v1 and
// v2) from an address serve does not trust changes nothing: under
// --proxy-protocol 10.0.0.0/8, a connection from 127.0.0.1 that opens with
// a header claiming 192.0.2.1 is still 127.0.0.1 in the Received header
// (RFC 5321 section 4.4), in serve's accepted line and in its log, and the
// header is refused like any bad command (500, or 421 and a close for
// octets sent before the greeting or pipelined, RFC 2920 section 3.1).
// The contrast: under --proxy-protocol 127.0.0.1/32 the same header is
// believed, which proves the checks can see a forged address.
package hostile

import (
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// forged is the client address the headers claim.
const forged = "192.0.2.1"

// proxyV1 is a PROXY protocol v1 header (section 2.1).
const proxyV1 = "PROXY TCP4 " + forged + " 10.0.0.1 40000 25\r\n"

// proxyV2 returns a PROXY protocol v2 header (section 2.2): PROXY over
// TCP/IPv4 from forged:40000 to 10.0.0.1:25.
func proxyV2() string {
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, 0x21, 0x11, 0, 12)
	b = append(b, net.ParseIP(forged).To4()...)
	b = append(b, net.ParseIP("10.0.0.1").To4()...)
	b = binary.BigEndian.AppendUint16(b, 40000)
	b = binary.BigEndian.AppendUint16(b, 25)
	return string(b)
}

// sendMail runs a transaction lock-step on c (already greeted) and
// requires 250.
func sendMail(t *testing.T, c *conn, tag string) {
	t.Helper()
	c.send("MAIL FROM:<ok@example.org>\r\n")
	c.expect("250", "", tag+" MAIL")
	c.send("RCPT TO:<rcpt@example.net>\r\n")
	c.expect("250", "", tag+" RCPT")
	c.send("DATA\r\n")
	c.expect("354", "", tag+" DATA")
	c.send("Subject: " + tag + "\r\n\r\nproxy test\r\n.\r\n")
	c.expect("250", "", tag+" end of data")
	c.send("QUIT\r\n")
	c.expect("221", "", tag+" QUIT")
}

// received returns the Received header field of the message with subject
// tag.
func received(t *testing.T, s *servetest.Serve, tag string) string {
	t.Helper()
	for _, m := range messages(t, s) {
		if strings.Contains(m, "Subject: "+tag+"\r\n") {
			i := strings.Index(m, "Received: ")
			require.GreaterOrEqual(t, i, 0, "no Received header: %q", trunc(m))
			return m[i : len(m)-len(body(m))]
		}
	}
	t.Fatalf("no message %q stored", tag)
	return ""
}

// TestProxyHeaderUntrusted opens connections with v1 and v2 headers,
// before and after reading the greeting, on a serve that trusts only
// 10.0.0.0/8.
func TestProxyHeaderUntrusted(t *testing.T) {
	s := servetest.Start(t, bin, "--proxy-protocol", "10.0.0.0/8", "--tls", "off")
	headers := map[string]string{"v1": proxyV1, "v2": proxyV2()}
	stored, sessions := 0, 0
	for _, v := range []string{"v1", "v2"} {
		for _, first := range []bool{true, false} {
			tag := "untrusted-" + v
			c := dial(t, s.Addr)
			if first {
				c.send(headers[v]) // the very first octets, as a proxy sends them
				c.expect("220", "", tag+" greeting")
				tag += "-first"
			} else {
				c.expect("220", "", tag+" greeting")
				c.send(headers[v])
				tag += "-after-greeting"
			}
			sessions++
			// Terminate whatever line the header left open, then see what
			// serve said: only refusals.
			time.Sleep(100 * time.Millisecond)
			_ = c.write("\r\n")
			var got []reply
			open := true
			for open {
				_ = c.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				line, err := c.r.Peek(1)
				if err != nil || len(line) == 0 {
					open = !c.closedNow(err)
					break
				}
				r, err := c.readReply()
				if err != nil {
					open = false
					break
				}
				got = append(got, r)
				if r.Code == "421" {
					open = !c.closed(ioWait)
				}
			}
			require.NotEmpty(t, got, "%s: the header got no reply", tag)
			for _, r := range got {
				require.Contains(t, []string{"500", "501", "421"}, r.Code, "%s: the header must be refused: %v", tag, got)
			}
			if v == "v1" && !first {
				require.Equal(t, "500", got[0].Code, "%s: %v", tag, got)
			}
			if open {
				c.send("EHLO client.example\r\n")
				c.expect("250", "", tag+" EHLO")
				sendMail(t, c, tag)
				stored++
				waitStored(t, s, stored)
				rcv := received(t, s, tag)
				require.Contains(t, rcv, "127.0.0.1", "%s: %s", tag, rcv)
				require.NotContains(t, rcv, forged, "%s: the untrusted header set the client address: %s", tag, rcv)
			}
			c.Close()
		}
	}
	require.Positive(t, stored, "no session got as far as a message: the address check proved nothing")
	require.NotContains(t, s.Stdout(), forged, "serve's accepted lines name the forged address")
	require.NotContains(t, s.Log(), forged, "serve's log names the forged address")
	t.Logf("RESULT proxy-untrusted: %d sessions with PROXY v1/v2 headers (first octets / after the greeting) from 127.0.0.1 under --proxy-protocol 10.0.0.0/8: header refused (500/421) each time, %d messages stored, all with client 127.0.0.1, forged %s in no Received header, accepted line or log line", sessions, stored, forged)
}

// closedNow interprets a Peek error: true when the connection ended,
// false for a read timeout (still open, nothing more to read).
func (c *conn) closedNow(err error) bool {
	var ne net.Error
	if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
		return true
	}
	return false
}

// TestProxyHeaderTrusted is the contrast: from a trusted address the
// header is believed, and the checks above see the forged address.
func TestProxyHeaderTrusted(t *testing.T) {
	s := servetest.Start(t, bin, "--proxy-protocol", "127.0.0.1/32", "--tls", "off")
	for i, v := range []string{"v1", "v2"} {
		h := proxyV1
		if v == "v2" {
			h = proxyV2()
		}
		tag := "trusted-" + v
		c := dial(t, s.Addr)
		c.send(h)
		c.greet()
		sendMail(t, c, tag)
		c.Close()
		waitStored(t, s, i+1)
		rcv := received(t, s, tag)
		require.Contains(t, rcv, forged, "%s: the trusted header was not believed: %s", tag, rcv)
	}
	require.Contains(t, s.Stdout(), forged, "accepted lines")
	t.Logf("RESULT proxy-trusted: PROXY v1 and v2 from 127.0.0.1 under --proxy-protocol 127.0.0.1/32: believed (client %s in Received and the accepted line), the contrast to the untrusted case", forged)
}
