//go:build reliability

// This file proves serve treats an HTTP request on the SMTP port as what
// it is: a client that speaks the wrong protocol gets a single 421 and the
// connection is closed right after the request line (RFC 5321 section 7.8
// lets a server end such sessions; section 3.8 for 421), instead of one
// 500 per header line, and serve goes on serving. The request is sent
// before the greeting (an HTTP client talks first), after it, and after
// EHLO, under --pipelining strict and allow.
package hostile

import (
	"fmt"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/stretchr/testify/require"
)

// httpRequests are requests an HTTP client, proxy or scanner sends.
var httpRequests = []struct{ name, req string }{
	{"GET", "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n"},
	{"POST", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\nuser=alice&password=secret\n"},
	{"CONNECT", "CONNECT mail.example.net:25 HTTP/1.1\r\nHost: mail.example.net:25\r\n\r\n"},
	{"HEAD", "HEAD / HTTP/1.0\r\n\r\n"},
	{"OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"},
	{"PRI", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
}

// TestHTTPOnSMTPPort sends each request at three points of a session.
func TestHTTPOnSMTPPort(t *testing.T) {
	sessions := 0
	for _, pipelining := range []string{"strict", "allow"} {
		s := servetest.Start(t, bin, "--pipelining", pipelining, "--tls", "off")
		for _, h := range httpRequests {
			for _, when := range []string{"before-greeting", "after-greeting", "after-ehlo"} {
				what := fmt.Sprintf("%s %s (pipelining %s)", h.name, when, pipelining)
				c := dial(t, s.Addr)
				switch when {
				case "before-greeting":
					c.send(h.req)
					c.expect("220", "", what+": greeting")
				case "after-greeting":
					c.expect("220", "", what+": greeting")
					c.send(h.req)
				case "after-ehlo":
					c.greet()
					c.send(h.req)
				}
				start := time.Now()
				got := c.drain(ioWait)
				require.Equal(t, []string{"421"}, codes(got), "%s: want a single 421 and a close, got %v", what, got)
				if when == "after-ehlo" {
					// Enhanced codes only after EHLO (RFC 2034 section 3).
					require.Equal(t, "4.7.0", got[0].Enh(), "%s: %v", what, got)
				}
				require.Less(t, time.Since(start), 2*time.Second, "%s: closed only after %v", what, time.Since(start))
				c.Close()
				sessions++
			}
		}
		healthy(t, s, 1)
	}
	t.Logf("RESULT http-on-smtp-port: %d requests (%d methods x before greeting/after greeting/after EHLO x pipelining strict/allow): each a single 421 and a close, no reply per header line, serve still serving", sessions, len(httpRequests))
}
