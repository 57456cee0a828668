package auth

import (
	"crypto/rand"
	"io"
	"time"
)

// Option configures a mechanism made by one of this package's
// constructors. Options that a mechanism has no use for are ignored.
type Option func(*options)

type options struct {
	rand        io.Reader
	now         func() time.Time
	workstation string
}

// WithRand sets the source of nonces and challenges. The default is
// crypto/rand; tests pass a fixed reader to reproduce published vectors.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

// WithClock sets the clock read for timestamps (CRAM-MD5 challenges, NTLMv2
// responses). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithWorkstation sets the workstation name NTLM sends in its
// AUTHENTICATE_MESSAGE (MS-NLMP section 2.2.1.3). The default is none;
// other mechanisms ignore it.
func WithWorkstation(name string) Option { return func(o *options) { o.workstation = name } }

func newOptions(opts []Option) options {
	o := options{rand: rand.Reader, now: time.Now}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// readRand fills p from o.rand.
func (o *options) readRand(p []byte) error {
	_, err := io.ReadFull(o.rand, p)
	return err
}
