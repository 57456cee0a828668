package tlsmode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TestCA is an in-memory certificate authority for tests and local use
// only: our own tests, the conformance suite, and `smtpkit serve` when no
// certificate is given. Its root key lives in memory, is never written out,
// and is lost with the value; nothing it issues should be trusted outside
// the process (or the test machine) that made it.
//
// The root is a self-signed ECDSA P-256 certificate valid from one hour
// before its creation to TestCAValidity after it (or the span set with
// WithTestCAValidity). Leaves it issues are valid for the same span, cut to
// the root's.
//
// A TestCA is immutable after NewTestCA returns and safe for concurrent
// use; serial numbers and keys come from crypto/rand.
type TestCA struct {
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	certPEM  []byte
	now      func() time.Time
	validity time.Duration
}

// TestCAValidity is how long a TestCA's root and leaves stay valid after
// they are made, unless WithTestCAValidity says otherwise.
const TestCAValidity = 7 * 24 * time.Hour

// testCABackdate is how long before "now" certificates become valid, so
// that peers whose clocks lag a little still accept them.
const testCABackdate = time.Hour

// TestCAOption configures NewTestCA.
type TestCAOption func(*TestCA)

// WithTestCAClock sets the clock that dates the root and every leaf. The
// default is time.Now. Tests pass a fixed clock to issue certificates that
// are not yet valid or already expired.
func WithTestCAClock(now func() time.Time) TestCAOption {
	return func(ca *TestCA) {
		if now != nil {
			ca.now = now
		}
	}
}

// WithTestCAValidity sets how long the root and leaves stay valid after
// they are made. The default is TestCAValidity; d <= 0 keeps it.
func WithTestCAValidity(d time.Duration) TestCAOption {
	return func(ca *TestCA) {
		if d > 0 {
			ca.validity = d
		}
	}
}

// NewTestCA makes a test CA with a fresh ECDSA P-256 root key and a
// self-signed root certificate (for tests and local use only; see TestCA).
func NewTestCA(opts ...TestCAOption) (*TestCA, error) {
	ca := &TestCA{now: time.Now, validity: TestCAValidity}
	for _, o := range opts {
		if o != nil {
			o(ca)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsmode: test CA: generate key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtpkit test CA " + serial.Text(16)[:8], Organization: []string{"smtpkit test"}},
		NotBefore:             now.Add(-testCABackdate),
		NotAfter:              now.Add(ca.validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tlsmode: test CA: create root: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsmode: test CA: parse root: %w", err)
	}
	ca.cert = cert
	ca.key = key
	ca.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return ca, nil
}

// Certificate returns the root certificate. It is shared: the caller must
// not modify it.
func (ca *TestCA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the root certificate in PEM form, in a new slice the
// caller owns (for a client's trust file, `smtpkit send --ca`).
func (ca *TestCA) CertPEM() []byte { return bytes.Clone(ca.certPEM) }

// Pool returns a new certificate pool holding only the root. Each call
// returns a fresh pool, so adding to it does not change other callers'.
func (ca *TestCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// IssueServer issues a server certificate (ExtKeyUsageServerAuth) for the
// given hosts: each is a DNS name (wildcards such as "*.example.test"
// allowed) or an IP address literal, placed in the subjectAltName
// extension, which is what clients verify (RFC 7817 section 3, RFC 6125
// section 6.4). The first host is also the subject's common name. The
// result carries the leaf then the root in Certificate, has Leaf set, and
// can go straight into tls.Config.Certificates.
func (ca *TestCA) IssueServer(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("tlsmode: test CA: IssueServer needs at least one host name or IP address")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if err := checkTestHost(h); err != nil {
			return tls.Certificate{}, err
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	return ca.issue(tmpl)
}

// IssueClient issues a client certificate (ExtKeyUsageClientAuth) with the
// given subject common name and email addresses in its subjectAltName
// extension, from which a server may derive the SASL EXTERNAL identity
// (RFC 4422 appendix A). Like IssueServer, the result has Leaf set and
// carries the leaf then the root.
func (ca *TestCA) IssueClient(commonName string, emails ...string) (tls.Certificate, error) {
	if commonName == "" && len(emails) == 0 {
		return tls.Certificate{}, errors.New("tlsmode: test CA: IssueClient needs a common name or an email address")
	}
	for _, e := range emails {
		at := strings.LastIndexByte(e, '@')
		if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n\x00") {
			return tls.Certificate{}, fmt.Errorf("tlsmode: test CA: %q is not an email address (local@domain)", e)
		}
	}
	tmpl := &x509.Certificate{
		Subject:        pkix.Name{CommonName: commonName},
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		EmailAddresses: emails,
	}
	return ca.issue(tmpl)
}

// ServerConfig is a test-CA convenience: a minimal server tls.Config with
// one certificate from IssueServer(hosts...) and MinVersion TLS 1.2
// (RFC 8314 section 4.1, RFC 8996). It asks for no client certificate; set
// ClientAuth and ClientCAs (Pool) to test mutual TLS. Production servers
// build their configuration with this package's safe-defaults functions.
func (ca *TestCA) ServerConfig(hosts ...string) (*tls.Config, error) {
	cert, err := ca.IssueServer(hosts...)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// ClientConfig is a test-CA convenience: a minimal client tls.Config that
// trusts only this CA (RootCAs) and verifies that the server's certificate
// names serverName (RFC 7817 section 3), with MinVersion TLS 1.2. It never
// skips verification. Set Certificates to present a client certificate.
func (ca *TestCA) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: ca.Pool(), ServerName: serverName}
}

// issue fills the validity, serial number and key of tmpl, signs it with
// the root and returns the pair.
func (ca *TestCA) issue(tmpl *x509.Certificate) (tls.Certificate, error) {
	now := ca.now()
	notBefore, notAfter := now.Add(-testCABackdate), now.Add(ca.validity)
	if notBefore.Before(ca.cert.NotBefore) {
		notBefore = ca.cert.NotBefore
	}
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	if !notAfter.After(notBefore) {
		return tls.Certificate{}, fmt.Errorf("tlsmode: test CA: the root is not valid at %s (valid %s to %s)",
			now.UTC().Format(time.RFC3339), ca.cert.NotBefore.UTC().Format(time.RFC3339), ca.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	tmpl.BasicConstraintsValid = true
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsmode: test CA: generate key: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsmode: test CA: sign: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsmode: test CA: parse leaf: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// randomSerial returns a positive 128-bit serial number from crypto/rand
// (RFC 5280 section 4.1.2.2: positive, at most 20 octets).
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("tlsmode: test CA: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// checkTestHost rejects host names that cannot be a dNSName SAN: empty,
// too long, or with bytes outside letters, digits, '-', '.', '_' and a
// leading "*." wildcard (RFC 5280 section 4.2.1.6, RFC 1034 section 3.5).
func checkTestHost(h string) error {
	name := strings.TrimPrefix(h, "*.")
	if name == "" || len(h) > 253 {
		return fmt.Errorf("tlsmode: test CA: %q is not a host name or IP address", h)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			continue
		}
		return fmt.Errorf("tlsmode: test CA: %q is not a host name or IP address (byte %#02x at offset %d)", h, c, i+len(h)-len(name))
	}
	return nil
}

// EncodePEM returns cert's chain as PEM "CERTIFICATE" blocks, leaf first,
// and its private key as a PEM "PRIVATE KEY" block (PKCS #8), in new slices
// the caller owns. The key PEM is secret: keep it out of logs.
func EncodePEM(cert tls.Certificate) (certPEM, keyPEM []byte, err error) {
	if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, nil, errors.New("tlsmode: EncodePEM: the certificate has no chain or no private key")
	}
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsmode: EncodePEM: private key: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// WritePEM writes cert's chain to certFile and its private key to keyFile
// (see EncodePEM), for tests and `smtpkit serve`. The key file is created
// with mode 0600, the certificate file 0644. Each file is written to a
// temporary file in the same directory and renamed into place, so a
// concurrent reader such as CertFile sees the old file or the new one,
// never half of one. Write the key first when replacing both: WritePEM
// does.
func WritePEM(cert tls.Certificate, certFile, keyFile string) error {
	certPEM, keyPEM, err := EncodePEM(cert)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, certPEM, 0o644)
}

// writeFileAtomic writes data to a temporary file next to name, then
// renames it over name.
func writeFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("tlsmode: write %s: %w", name, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		return fmt.Errorf("tlsmode: write %s: %w", name, err)
	}
	return nil
}
