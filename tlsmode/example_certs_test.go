package tlsmode_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

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

// ExampleLoadCertFile serves a certificate from PEM files and picks up a
// renewal without a restart: on a handshake after the reload interval, or
// at once with Reload (on SIGHUP, say).
func ExampleLoadCertFile() {
	dir, err := os.MkdirTemp("", "smtpkit-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")

	ca, err := tlsmode.NewTestCA()
	if err != nil {
		panic(err)
	}
	old, err := ca.IssueServer("mail.example.test")
	if err != nil {
		panic(err)
	}
	if err := tlsmode.WritePEM(old, certFile, keyFile); err != nil {
		panic(err)
	}

	cf, err := tlsmode.LoadCertFile(certFile, keyFile,
		tlsmode.WithReloadInterval(time.Minute),
		tlsmode.WithReloadHook(func(err error) { fmt.Println("reloaded, error:", err) }))
	if err != nil {
		panic(err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.GetCertificate}
	cert, _ := cfg.GetCertificate(&tls.ClientHelloInfo{})
	fmt.Println(cert.Leaf.DNSNames)

	renewed, err := ca.IssueServer("mail.example.test", "smtp.example.test")
	if err != nil {
		panic(err)
	}
	if err := tlsmode.WritePEM(renewed, certFile, keyFile); err != nil {
		panic(err)
	}
	if err := cf.Reload(); err != nil {
		panic(err)
	}
	cert, _ = cfg.GetCertificate(&tls.ClientHelloInfo{})
	fmt.Println(cert.Leaf.DNSNames)
	// Output:
	// [mail.example.test]
	// reloaded, error: <nil>
	// [mail.example.test smtp.example.test]
}
