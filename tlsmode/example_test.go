package tlsmode_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// A client configured with only a host and a port gets the mode and policy
// of the port's convention; a contradictory configuration fails before any
// connection, saying what to change.
func ExampleResolve() {
	for _, port := range []int{587, 465, 25, 2525} {
		m, p, _ := tlsmode.Resolve(port, tlsmode.ModeAuto, tlsmode.PolicyAuto)
		fmt.Println(port, m, p)
	}
	_, _, err := tlsmode.Resolve(465, tlsmode.ModeSTARTTLS, tlsmode.PolicyAuto)
	fmt.Println(err)
	// Output:
	// 587 starttls required
	// 465 implicit required
	// 25 starttls opportunistic
	// 2525 starttls required
	// tlsmode: port 465 mode starttls policy auto: port 465 expects implicit TLS (RFC 8314 section 3.3): the server waits for a TLS ClientHello and sends no plaintext greeting; use ModeImplicit, or port 587 with ModeSTARTTLS
}

// The words other software uses: "ssl" means implicit TLS everywhere;
// "tls" does not mean the same thing everywhere and is refused.
func ExampleParseMode() {
	m, _ := tlsmode.ParseMode("ssl")
	fmt.Println(m)
	_, err := tlsmode.ParseMode("tls")
	fmt.Println(err)
	// Output:
	// implicit
	// tlsmode: unknown mode "tls": ambiguous: use "starttls" (plaintext greeting, then STARTTLS; port 587, "secure: false") or "implicit" (TLS from the first byte; port 465, "secure: true")
}

// A client decides after EHLO whether to send STARTTLS; under the required
// policy a missing keyword ends the session instead of falling back.
func ExamplePolicy_Decide() {
	for _, p := range []tlsmode.Policy{tlsmode.PolicyRequired, tlsmode.PolicyOpportunistic} {
		start, st, err := p.Decide(false)
		fmt.Println(p, start, st, err)
	}
	// Output:
	// required false unknown tlsmode: server did not offer STARTTLS and the policy requires TLS (no plaintext fallback)
	// opportunistic false clear (STARTTLS not offered) <nil>
}

// The server's answer to STARTTLS, including the boundary rule: a command
// pipelined after STARTTLS (CVE-2011-0411) closes the connection.
func ExampleServerSTARTTLS_Answer() {
	r, start, _ := tlsmode.ServerSTARTTLS{}.Answer()
	fmt.Printf("%q %v\n", r.Append(nil), start)

	// "STARTTLS\r\nRSET\r\n" arrived in one segment: 6 bytes are left over.
	r, start, err := tlsmode.ServerSTARTTLS{Buffered: 6}.Answer()
	fmt.Printf("%q %v\n", r.Append(nil), start)
	fmt.Println(err)
	// Output:
	// "220 2.0.0 Ready to start TLS\r\n" true
	// "421 4.7.0 Plaintext after STARTTLS refused, closing connection\r\n" false
	// tlsmode: server: 6 plaintext bytes followed the STARTTLS command before the TLS handshake; they are discarded, never replayed, and the connection is closed (RFC 3207 section 4.2, CVE-2011-0411)
}

// A server that requires TLS refuses most commands before it.
func ExamplePolicy_Admit() {
	for _, v := range []wire.Verb{wire.VerbEHLO, wire.VerbMAIL} {
		r, ok := tlsmode.PolicyRequired.Admit(v, false)
		if ok {
			fmt.Println(v, "admitted")
			continue
		}
		fmt.Printf("%v refused: %q\n", v, r.Append(nil))
	}
	// Output:
	// EHLO admitted
	// MAIL refused: "530 5.7.0 Must issue a STARTTLS command first\r\n"
}

// The "with" value of a Received header field.
func ExampleReceivedProtocol() {
	fmt.Println(tlsmode.ReceivedProtocol(false, true, true, true, false))
	fmt.Println(tlsmode.ReceivedProtocol(true, false, true, false, true))
	// Output:
	// ESMTPSA
	// UTF8LMTPS
}

// An implicit-TLS handshake with safe configurations from a test CA; both
// ends compute the same channel bindings for SCRAM-PLUS.
func ExampleClientHandshake() {
	ca, _ := tlsmode.NewTestCA()
	base, _ := ca.ServerConfig("mx.test")
	srvCfg, _ := tlsmode.ServerConfig(base)
	cliCfg, _ := tlsmode.ClientConfig("mx.test", ca.ClientConfig(""))

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	srvFacts := make(chan tlsmode.Facts, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(srvFacts)
			return
		}
		defer c.Close()
		tc, f, _ := tlsmode.ServerHandshake(context.Background(), c, srvCfg)
		if tc != nil {
			tc.Write(reply.Reply{Code: reply.CodeReady, Text: "mx.test ESMTP"}.Append(nil))
		}
		srvFacts <- f
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _ := net.Dial("tcp", ln.Addr().String())
	tc, f, err := tlsmode.ClientHandshake(ctx, conn, cliCfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tc.Close()
	greeting := make([]byte, 64)
	n, _ := tc.Read(greeting)
	fmt.Printf("%q\n", greeting[:n])
	fmt.Println(f.VersionName())
	s := <-srvFacts
	for i, cb := range f.ChannelBindings {
		fmt.Println(cb.Type, string(cb.Data) == string(s.ChannelBindings[i].Data))
	}
	// Output:
	// "220 mx.test ESMTP\r\n"
	// TLS 1.3
	// tls-exporter true
	// tls-server-end-point true
}
