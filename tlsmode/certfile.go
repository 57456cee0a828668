package tlsmode

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReloadInterval is how often a CertFile looks at its files for a
// change, unless WithReloadInterval says otherwise.
const DefaultReloadInterval = 5 * time.Second

// MaxCertFileSize bounds how much of a certificate or key file a CertFile
// reads. A larger file is refused, not truncated.
const MaxCertFileSize = 1 << 20

// CertFile is a certificate and private key loaded from PEM files and
// reloaded when the files change, so that a server keeps running across a
// certificate renewal without a restart.
//
// A CertFile starts no goroutine. During a handshake (GetCertificate or
// GetClientCertificate) it looks at the files at most once per reload
// interval: if either file's identity, size or modification time differs
// from the last attempt, it reads and parses both. A reload that fails (a
// half-written file, a key that does not match the certificate) keeps the
// previous certificate in service and records the error, reported by Err
// and the WithReloadHook function; the same files are not retried until
// they change again. A CertFile never serves nothing: LoadCertFile fails
// unless the first load succeeds.
//
// All methods are safe for concurrent use. Handshakes read the current
// certificate without a lock; reloads are serialised, and a handshake that
// finds a reload in progress serves the current certificate rather than
// wait.
type CertFile struct {
	certFile, keyFile string
	interval          time.Duration
	now               func() time.Time
	hook              func(error)

	cur       atomic.Pointer[tls.Certificate]
	nextCheck atomic.Int64 // UnixNano of the next look at the files
	lastErr   atomic.Pointer[reloadError]

	mu   sync.Mutex // serialises loads; guards seen
	seen [2]os.FileInfo
}

// reloadError boxes an error for atomic.Pointer.
type reloadError struct{ err error }

// CertFileOption configures LoadCertFile.
type CertFileOption func(*CertFile)

// WithReloadInterval sets how often handshakes look at the files. The
// default is DefaultReloadInterval; d <= 0 looks on every handshake.
func WithReloadInterval(d time.Duration) CertFileOption {
	return func(c *CertFile) { c.interval = max(d, 0) }
}

// WithCertFileClock sets the clock that paces looks at the files. The
// default is time.Now; tests pass a clock they advance by hand.
func WithCertFileClock(now func() time.Time) CertFileOption {
	return func(c *CertFile) {
		if now != nil {
			c.now = now
		}
	}
}

// WithReloadHook sets a function called after every reload attempt other
// than the first load: with nil when a new certificate went into service,
// with the error when the previous one was kept. It runs on the goroutine
// that triggered the reload (a handshake or Reload), after the CertFile's
// lock is released, and may call any CertFile method. Use it to log
// renewals and failures, e.g. with log/slog.
func WithReloadHook(f func(err error)) CertFileOption {
	return func(c *CertFile) { c.hook = f }
}

// LoadCertFile loads a certificate chain (PEM "CERTIFICATE" blocks, leaf
// first) from certFile and its private key (PEM) from keyFile, as
// tls.LoadX509KeyPair does, and returns a CertFile that reloads them on
// change. It fails if either file cannot be read, is larger than
// MaxCertFileSize, or the key does not match the certificate. Errors name
// the files, never their contents.
func LoadCertFile(certFile, keyFile string, opts ...CertFileOption) (*CertFile, error) {
	c := &CertFile{certFile: certFile, keyFile: keyFile, interval: DefaultReloadInterval, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.loadLocked(); err != nil {
		return nil, err
	}
	c.nextCheck.Store(c.now().Add(c.interval).UnixNano())
	return c, nil
}

// GetCertificate returns the current certificate, first reloading it if
// the reload interval has passed and the files changed. It ignores hello
// and never returns an error: a failed reload keeps the previous
// certificate. Its name and signature match tls.Config.GetCertificate, for
// which it is meant:
//
//	cfg.GetCertificate = cf.GetCertificate
//
// The returned certificate is shared; the caller must not modify it.
func (c *CertFile) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.maybeReload()
	return c.cur.Load(), nil
}

// GetClientCertificate is GetCertificate for the client side; its name and
// signature match tls.Config.GetClientCertificate. It returns the
// certificate whatever the server asked for: a client with a CertFile has
// one identity.
func (c *CertFile) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	c.maybeReload()
	return c.cur.Load(), nil
}

// Certificate returns the certificate in service, without looking at the
// files. It is shared; the caller must not modify it.
func (c *CertFile) Certificate() *tls.Certificate { return c.cur.Load() }

// Err returns the error of the last reload attempt, or nil if it
// succeeded (or none was made since LoadCertFile). While Err is not nil the
// previous certificate is still in service.
func (c *CertFile) Err() error {
	if e := c.lastErr.Load(); e != nil {
		return e.err
	}
	return nil
}

// Reload reads and parses both files now, whether or not they changed, for
// example on SIGHUP. On success the new certificate serves the next
// handshake; on failure the previous one stays in service and the error is
// returned (and reported by Err and the reload hook). Reload waits for a
// reload in progress to finish.
func (c *CertFile) Reload() error {
	c.mu.Lock()
	c.nextCheck.Store(c.now().Add(c.interval).UnixNano())
	err := c.loadLocked()
	c.recordLocked(err)
	c.mu.Unlock()
	if c.hook != nil {
		c.hook(err)
	}
	return err
}

// maybeReload reloads the files if the interval has passed and they
// changed since the last attempt. Only one caller reloads at a time; the
// others return at once and serve the current certificate.
func (c *CertFile) maybeReload() {
	now := c.now()
	if now.UnixNano() < c.nextCheck.Load() || !c.mu.TryLock() {
		return
	}
	if now.UnixNano() < c.nextCheck.Load() { // another caller just looked
		c.mu.Unlock()
		return
	}
	c.nextCheck.Store(now.Add(c.interval).UnixNano())
	if !c.changedLocked() {
		c.mu.Unlock()
		return
	}
	err := c.loadLocked()
	c.recordLocked(err)
	c.mu.Unlock()
	if c.hook != nil {
		c.hook(err)
	}
}

// changedLocked reports whether either file differs from the last attempt
// in identity (a rename over it, as WritePEM does, or a symbolic link moved
// to a new target, as certbot does; Stat follows links), size or
// modification time. A file that disappeared counts as changed, so that the
// load reports why; one still missing does not, so that it is reported once.
func (c *CertFile) changedLocked() bool {
	for i, name := range [2]string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		old := c.seen[i]
		if err != nil {
			if old != nil {
				return true // it was there at the last attempt
			}
			continue
		}
		if old == nil || !os.SameFile(fi, old) || fi.Size() != old.Size() || !fi.ModTime().Equal(old.ModTime()) {
			return true
		}
	}
	return false
}

// loadLocked stats, reads and parses both files and, on success, puts the
// new certificate in service. The stat comes first, so that a change made
// during the read is seen at the next look. Whatever the outcome, seen
// holds what was stat'ed, so that unchanged broken files are not retried.
func (c *CertFile) loadLocked() error {
	var certPEM, keyPEM []byte
	var err error
	for i, name := range [2]string{c.certFile, c.keyFile} {
		c.seen[i], _ = os.Stat(name)
		var data []byte
		data, err = readBounded(name)
		if err != nil {
			return err
		}
		if i == 0 {
			certPEM = data
		} else {
			keyPEM = data
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("tlsmode: load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	if cert.Leaf == nil { // GODEBUG x509keypairleaf=0
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("tlsmode: load %s: %w", c.certFile, err)
		}
	}
	c.cur.Store(&cert)
	return nil
}

// recordLocked remembers err as the outcome of the last reload.
func (c *CertFile) recordLocked(err error) {
	if err == nil {
		c.lastErr.Store(nil)
		return
	}
	c.lastErr.Store(&reloadError{err})
}

// ErrCertFileTooLarge is wrapped by the error of a load that found a
// certificate or key file larger than MaxCertFileSize. Test with errors.Is.
var ErrCertFileTooLarge = errors.New("file larger than MaxCertFileSize")

// readBounded reads name, refusing more than MaxCertFileSize bytes.
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("tlsmode: load certificate: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxCertFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("tlsmode: load certificate: read %s: %w", name, err)
	}
	if len(data) > MaxCertFileSize {
		return nil, fmt.Errorf("tlsmode: load certificate: %s: %w", name, ErrCertFileTooLarge)
	}
	return data, nil
}
