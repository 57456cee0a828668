package tlsmode_test

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// ExampleNewTestCA runs a TLS handshake between a server holding a
// certificate from a test CA and a client that trusts only that CA, then
// prints what the client verified.
func ExampleNewTestCA() {
	ca, err := tlsmode.NewTestCA()
	if err != nil {
		panic(err)
	}
	srvCfg, err := ca.ServerConfig("mail.example.test")
	if err != nil {
		panic(err)
	}
	cliCfg := ca.ClientConfig("mail.example.test")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // the listener is closed
			}
			s := tls.Server(c, srvCfg)
			if s.Handshake() == nil {
				_, _ = s.Write([]byte("220 mail.example.test ESMTP\r\n"))
			}
			_ = s.Close()
		}
	}()

	conn, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	fmt.Println(tls.VersionName(st.Version))
	fmt.Println(st.VerifiedChains[0][0].DNSNames[0])

	// A client that expects another host name refuses the certificate.
	_, err = tls.Dial("tcp", ln.Addr().String(), ca.ClientConfig("evil.example.test"))
	fmt.Println(err != nil)
	// Output:
	// TLS 1.3
	// mail.example.test
	// true
}

// ExampleTestCA_IssueClient issues a client certificate whose email address
// a server can map to a SASL EXTERNAL identity.
func ExampleTestCA_IssueClient() {
	ca, err := tlsmode.NewTestCA()
	if err != nil {
		panic(err)
	}
	cert, err := ca.IssueClient("alice", "alice@example.test")
	if err != nil {
		panic(err)
	}
	fmt.Println(cert.Leaf.Subject.CommonName, cert.Leaf.EmailAddresses)
	// Output: alice [alice@example.test]
}
