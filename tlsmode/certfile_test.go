package tlsmode_test

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// certClock is a clock the test advances by hand; safe for concurrent use.
type certClock struct{ ns atomic.Int64 }

func newCertClock() *certClock {
	c := &certClock{}
	c.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *certClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *certClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// certFiles is a certificate and key file pair in a temporary directory.
type certFiles struct {
	ca        *tlsmode.TestCA
	cert, key string
	mtime     time.Time
}

func newCertFiles(t *testing.T) *certFiles {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	dir := t.TempDir()
	return &certFiles{ca: ca, cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"),
		mtime: time.Now().Add(-time.Hour)}
}

// issue writes a new server certificate for host with WritePEM (rename
// into place) and returns its serial number.
func (f *certFiles) issue(t *testing.T, host string) string {
	t.Helper()
	c, err := f.ca.IssueServer(host)
	require.NoError(t, err)
	require.NoError(t, tlsmode.WritePEM(c, f.cert, f.key))
	return c.Leaf.SerialNumber.String()
}

// overwrite writes data over name in place (no rename), as a careless
// renewal script does, and gives it a new modification time so that the
// change is visible even on a file system with coarse timestamps.
func (f *certFiles) overwrite(t *testing.T, name string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, data, 0o600))
	f.mtime = f.mtime.Add(time.Second)
	require.NoError(t, os.Chtimes(name, f.mtime, f.mtime))
}

func (f *certFiles) read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// servedSerial runs a real handshake against cfg and returns the serial
// number of the certificate the client verified.
func servedSerial(t *testing.T, ca *tlsmode.TestCA, srvCfg *tls.Config, host string) string {
	t.Helper()
	srv, cli := certHandshake(t, srvCfg, ca.ClientConfig(host))
	require.NoError(t, srv.err)
	require.NoError(t, cli.err)
	require.NotEmpty(t, cli.state.VerifiedChains)
	return cli.state.PeerCertificates[0].SerialNumber.String()
}

func TestCertFileReloadOnChange(t *testing.T) {
	f := newCertFiles(t)
	serialA := f.issue(t, "mail.example.test")
	clock := newCertClock()
	var hooked []error
	cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithCertFileClock(clock.Now),
		tlsmode.WithReloadInterval(5*time.Second), tlsmode.WithReloadHook(func(err error) { hooked = append(hooked, err) }))
	require.NoError(t, err)
	srvCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.GetCertificate}

	assert.Equal(t, serialA, servedSerial(t, f.ca, srvCfg, "mail.example.test"))

	serialB := f.issue(t, "mail.example.test")
	require.NotEqual(t, serialA, serialB)
	clock.Advance(4 * time.Second)
	assert.Equal(t, serialA, servedSerial(t, f.ca, srvCfg, "mail.example.test"), "files are not looked at before the interval")
	assert.Empty(t, hooked)

	clock.Advance(2 * time.Second)
	assert.Equal(t, serialB, servedSerial(t, f.ca, srvCfg, "mail.example.test"), "the same tls.Config serves the renewed certificate")
	assert.Equal(t, []error{nil}, hooked)
	require.NoError(t, cf.Err())
	assert.Equal(t, serialB, cf.Certificate().Leaf.SerialNumber.String())

	// Unchanged files are not read again.
	clock.Advance(time.Minute)
	assert.Equal(t, serialB, servedSerial(t, f.ca, srvCfg, "mail.example.test"))
	assert.Len(t, hooked, 1)

	// A new host name is served too.
	serialC := f.issue(t, "smtp.example.test")
	clock.Advance(time.Minute)
	assert.Equal(t, serialC, servedSerial(t, f.ca, srvCfg, "smtp.example.test"))
}

func TestCertFileFailedReloadKeepsServing(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, f *certFiles)
		wantErr string
	}{
		{"half-written certificate", func(t *testing.T, f *certFiles) {
			c := f.read(t, f.cert)
			f.overwrite(t, f.cert, c[:len(c)/2])
		}, "tlsmode: load"},
		{"garbage key", func(t *testing.T, f *certFiles) {
			f.overwrite(t, f.key, []byte("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"))
		}, "tlsmode: load"},
		{"key of another certificate", func(t *testing.T, f *certFiles) {
			other, err := f.ca.IssueServer("mail.example.test")
			require.NoError(t, err)
			certPEM, _, err := tlsmode.EncodePEM(other)
			require.NoError(t, err)
			f.overwrite(t, f.cert, certPEM)
		}, "private key does not match public key"},
		{"empty certificate file", func(t *testing.T, f *certFiles) {
			f.overwrite(t, f.cert, nil)
		}, "tlsmode: load"},
		{"certificate file removed", func(t *testing.T, f *certFiles) {
			require.NoError(t, os.Remove(f.cert))
		}, "cert.pem"},
		{"oversized key file", func(t *testing.T, f *certFiles) {
			k := f.read(t, f.key)
			f.overwrite(t, f.key, append(k, make([]byte, tlsmode.MaxCertFileSize)...))
		}, tlsmode.ErrCertFileTooLarge.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCertFiles(t)
			serialA := f.issue(t, "mail.example.test")
			keyPEM := f.read(t, f.key)
			clock := newCertClock()
			var hooked []error
			cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithCertFileClock(clock.Now),
				tlsmode.WithReloadHook(func(err error) { hooked = append(hooked, err) }))
			require.NoError(t, err)
			srvCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.GetCertificate}

			tt.breakIt(t, f)
			clock.Advance(tlsmode.DefaultReloadInterval)
			assert.Equal(t, serialA, servedSerial(t, f.ca, srvCfg, "mail.example.test"), "the previous certificate stays in service")
			err = cf.Err()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), strings.TrimSpace(string(keyPEM[30:60])), "no key material in the error")
			require.Len(t, hooked, 1)
			assert.Equal(t, err, hooked[0])

			// Broken files that do not change are not retried.
			clock.Advance(time.Minute)
			assert.Equal(t, serialA, servedSerial(t, f.ca, srvCfg, "mail.example.test"))
			assert.Len(t, hooked, 1)
			// Reload retries at once and reports the same failure.
			require.Error(t, cf.Reload())
			assert.Len(t, hooked, 2)

			// A good renewal recovers.
			serialB := f.issue(t, "mail.example.test")
			clock.Advance(time.Minute)
			assert.Equal(t, serialB, servedSerial(t, f.ca, srvCfg, "mail.example.test"))
			require.NoError(t, cf.Err())
			require.Len(t, hooked, 3)
			assert.NoError(t, hooked[2])
		})
	}
}

func TestCertFileReloadExplicit(t *testing.T) {
	f := newCertFiles(t)
	serialA := f.issue(t, "mail.example.test")
	clock := newCertClock()
	cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithCertFileClock(clock.Now))
	require.NoError(t, err)
	assert.Equal(t, serialA, cf.Certificate().Leaf.SerialNumber.String())

	serialB := f.issue(t, "mail.example.test")
	require.NoError(t, cf.Reload(), "Reload does not wait for the interval")
	got, err := cf.GetCertificate(&tls.ClientHelloInfo{ServerName: "mail.example.test"})
	require.NoError(t, err)
	assert.Equal(t, serialB, got.Leaf.SerialNumber.String())

	// A half-finished non-atomic renewal: new certificate, old key.
	other, err := f.ca.IssueServer("mail.example.test")
	require.NoError(t, err)
	certPEM, keyPEM, err := tlsmode.EncodePEM(other)
	require.NoError(t, err)
	f.overwrite(t, f.cert, certPEM)
	require.Error(t, cf.Reload())
	assert.Equal(t, serialB, cf.Certificate().Leaf.SerialNumber.String())
	// The key follows; the next look after the interval picks up the pair.
	f.overwrite(t, f.key, keyPEM)
	clock.Advance(tlsmode.DefaultReloadInterval)
	got, err = cf.GetCertificate(nil)
	require.NoError(t, err)
	assert.Equal(t, other.Leaf.SerialNumber, got.Leaf.SerialNumber)
	assert.NoError(t, cf.Err())
}

func TestCertFileIntervalZero(t *testing.T) {
	f := newCertFiles(t)
	f.issue(t, "mail.example.test")
	cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithReloadInterval(0),
		tlsmode.WithCertFileClock(newCertClock().Now))
	require.NoError(t, err)
	serialB := f.issue(t, "mail.example.test")
	got, err := cf.GetCertificate(nil)
	require.NoError(t, err)
	assert.Equal(t, serialB, got.Leaf.SerialNumber.String(), "interval 0 looks on every handshake without the clock moving")
}

func TestLoadCertFileErrors(t *testing.T) {
	f := newCertFiles(t)
	f.issue(t, "mail.example.test")
	keyPEM := f.read(t, f.key)
	dir := filepath.Dir(f.cert)
	other, err := f.ca.IssueServer("x.example.test")
	require.NoError(t, err)
	otherCert, _, err := tlsmode.EncodePEM(other)
	require.NoError(t, err)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	big := write("big.pem", make([]byte, tlsmode.MaxCertFileSize+1))
	mismatched := write("other.pem", otherCert)
	swapped := f.key

	tests := []struct {
		name      string
		cert, key string
		wantErr   string
		wantIs    error
	}{
		{"missing certificate", filepath.Join(dir, "nope.pem"), f.key, "nope.pem", os.ErrNotExist},
		{"missing key", f.cert, filepath.Join(dir, "nokey.pem"), "nokey.pem", os.ErrNotExist},
		{"oversized certificate", big, f.key, "big.pem", tlsmode.ErrCertFileTooLarge},
		{"key does not match", mismatched, f.key, "does not match", nil},
		{"key given as certificate", swapped, f.cert, "tlsmode: load", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf, err := tlsmode.LoadCertFile(tt.cert, tt.key)
			require.Error(t, err)
			assert.Nil(t, cf)
			assert.Contains(t, err.Error(), tt.wantErr)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.NotContains(t, err.Error(), string(keyPEM[30:60]), "no key material in the error")
		})
	}
}

func TestCertFileClientCertificate(t *testing.T) {
	f := newCertFiles(t)
	alice, err := f.ca.IssueClient("alice", "alice@example.test")
	require.NoError(t, err)
	require.NoError(t, tlsmode.WritePEM(alice, f.cert, f.key))
	clock := newCertClock()
	cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithCertFileClock(clock.Now))
	require.NoError(t, err)

	srvCfg, err := f.ca.ServerConfig("mail.example.test")
	require.NoError(t, err)
	srvCfg.ClientAuth = tls.RequireAndVerifyClientCert
	srvCfg.ClientCAs = f.ca.Pool()
	cliCfg := f.ca.ClientConfig("mail.example.test")
	cliCfg.GetClientCertificate = cf.GetClientCertificate

	for _, who := range []string{"alice", "bob"} {
		if who == "bob" {
			bob, err := f.ca.IssueClient("bob", "bob@example.test")
			require.NoError(t, err)
			require.NoError(t, tlsmode.WritePEM(bob, f.cert, f.key))
			clock.Advance(tlsmode.DefaultReloadInterval)
		}
		srv, cli := certHandshake(t, srvCfg, cliCfg)
		require.NoError(t, srv.err)
		require.NoError(t, cli.err)
		require.NotEmpty(t, srv.state.VerifiedChains)
		assert.Equal(t, []string{who + "@example.test"}, srv.state.PeerCertificates[0].EmailAddresses)
	}
}

func TestCertFileConcurrentReload(t *testing.T) {
	f := newCertFiles(t)
	f.issue(t, "mail.example.test")
	clock := newCertClock()
	cf, err := tlsmode.LoadCertFile(f.cert, f.key, tlsmode.WithCertFileClock(clock.Now),
		tlsmode.WithReloadInterval(time.Second))
	require.NoError(t, err)
	srvCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.GetCertificate}

	var mu sync.Mutex
	issued := map[string]bool{}
	record := func(s string) { mu.Lock(); issued[s] = true; mu.Unlock() }
	record(cf.Certificate().Leaf.SerialNumber.String())

	const rounds = 20
	var last string // the serial written last; read after wg.Wait
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := range rounds {
			c, err := f.ca.IssueServer("mail.example.test")
			if !assert.NoError(t, err) {
				return
			}
			last = c.Leaf.SerialNumber.String()
			record(last)
			if i%2 == 0 {
				assert.NoError(t, tlsmode.WritePEM(c, f.cert, f.key))
			} else {
				// A non-atomic rewrite: readers may see half a file.
				certPEM, keyPEM, err := tlsmode.EncodePEM(c)
				assert.NoError(t, err)
				assert.NoError(t, os.WriteFile(f.key, keyPEM, 0o600))
				assert.NoError(t, os.WriteFile(f.cert, certPEM, 0o600))
			}
			clock.Advance(time.Second)
			if i%5 == 0 {
				_ = cf.Reload()
			}
		}
	})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := cf.GetCertificate(nil)
				if !assert.NoError(t, err) || !assert.NotNil(t, got, "never serve nothing") {
					return
				}
				s := got.Leaf.SerialNumber.String()
				mu.Lock()
				ok := issued[s]
				mu.Unlock()
				assert.True(t, ok, "served serial %s was issued", s)
				_ = cf.Err()
			}
		})
	}
	for i := range 4 {
		wg.Go(func() {
			for j := 0; ; j++ {
				select {
				case <-done:
					return
				default:
				}
				srv, cli := certHandshake(t, srvCfg, f.ca.ClientConfig("mail.example.test"))
				assert.NoError(t, srv.err, "handshake %d/%d", i, j)
				assert.NoError(t, cli.err, "handshake %d/%d", i, j)
			}
		})
	}
	wg.Wait()

	// After the last write settles, a forced reload serves it.
	require.NoError(t, cf.Reload())
	assert.Equal(t, last, cf.Certificate().Leaf.SerialNumber.String())
	assert.Equal(t, last, servedSerial(t, f.ca, srvCfg, "mail.example.test"))
}

func TestCertFileSymlinkRenewal(t *testing.T) {
	// certbot keeps live/*.pem as symbolic links into archive/ and moves
	// them to new targets on renewal.
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	dir := t.TempDir()
	link := func(name, target string) {
		tmp := name + ".new"
		require.NoError(t, os.Symlink(target, tmp))
		require.NoError(t, os.Rename(tmp, name))
	}
	serials := make([]string, 2)
	for i := range serials {
		c, err := ca.IssueServer("mail.example.test")
		require.NoError(t, err)
		serials[i] = c.Leaf.SerialNumber.String()
		require.NoError(t, tlsmode.WritePEM(c, filepath.Join(dir, fmt.Sprintf("cert%d.pem", i)), filepath.Join(dir, fmt.Sprintf("key%d.pem", i))))
	}
	certLink, keyLink := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	link(certLink, "cert0.pem")
	link(keyLink, "key0.pem")

	clock := newCertClock()
	cf, err := tlsmode.LoadCertFile(certLink, keyLink, tlsmode.WithCertFileClock(clock.Now))
	require.NoError(t, err)
	srvCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cf.GetCertificate}
	assert.Equal(t, serials[0], servedSerial(t, ca, srvCfg, "mail.example.test"))

	link(keyLink, "key1.pem")
	link(certLink, "cert1.pem")
	clock.Advance(tlsmode.DefaultReloadInterval)
	assert.Equal(t, serials[1], servedSerial(t, ca, srvCfg, "mail.example.test"))
	assert.NoError(t, cf.Err())
}
