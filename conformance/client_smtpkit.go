package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// SmtpkitClient is smtpkit's own client (package client) as the client
// under test: client.Dial with STARTTLS opportunistic, or required when
// the job asks for TLS, the job's credentials when it asks for AUTH, the
// run's test CA as the only trusted root, then Send and Quit. Delivered
// means Send returned no error: a *client.SendError (some or all
// recipients refused) counts as not delivered.
type SmtpkitClient struct {
	// Options are added after the suite's own (WithBareLines, WithoutBDAT
	// ...).
	Options []client.Option
}

// Name describes the client.
func (SmtpkitClient) Name() string { return "smtpkit client (in process)" }

// Send runs the attempt; the output is the client's debug transcript.
func (c SmtpkitClient) Send(ctx context.Context, a *ClientAttempt) (string, error) {
	var debug bytes.Buffer
	policy := tlsmode.PolicyOpportunistic
	if a.Job.TLS {
		policy = tlsmode.PolicyRequired
	}
	tcfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(a.CAPEM) > 0 {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(a.CAPEM)
		tcfg.RootCAs = pool
	} else {
		tcfg.InsecureSkipVerify = true //nolint:gosec // the caller's own server certificate: the suite tests the protocol
	}
	opts := []client.Option{
		client.WithHostname(a.Helo), client.WithTLS(tlsmode.ModeSTARTTLS, policy),
		client.WithTLSConfig(tcfg), client.WithDebug(&debug),
	}
	if a.Job.Auth {
		opts = append(opts, client.WithAuth(a.Username, a.Password))
	}
	opts = append(opts, c.Options...)
	cl, err := client.Dial(ctx, a.Addr, opts...)
	if err != nil {
		return debug.String(), err
	}
	defer cl.Close()
	_, err = cl.Send(ctx, client.Envelope{From: a.Job.From, To: a.Job.To}, strings.NewReader(a.Job.Message))
	var sendErr *client.SendError
	if err == nil || errors.As(err, &sendErr) {
		_ = cl.Quit(ctx) // the Client stays usable after a *SendError
	}
	return debug.String(), err
}
