package conformance

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/wire"
)

// sink is a Handler that accepts every message.
type sink struct{}

func (sink) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return sinkSession{}, nil
}

type sinkSession struct{}

func (sinkSession) Mail(string, *wire.MailParams) error { return nil }
func (sinkSession) Rcpt(string, *wire.RcptParams) error { return nil }
func (sinkSession) Data(r io.Reader) error              { _, err := io.Copy(io.Discard, r); return err }
func (sinkSession) Reset()                              {}
func (sinkSession) Logout() error                       { return nil }

// smtpkitServer starts a server.Server on 127.0.0.1 and returns its address.
func smtpkitServer(t *testing.T, configure func(*server.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &server.Server{Handler: sink{}, Hostname: "mx.test"}
	if configure != nil {
		configure(srv)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestServerSuiteAgainstSmtpkit(t *testing.T) {
	addr := smtpkitServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := RunServer(ctx, Config{Addr: addr}, ServerCases())
	require.NoError(t, err)
	for _, r := range rep.Results {
		assert.NotEqual(t, Fail, r.Status, "%s: %s at step %d (%s)\n%s", r.Case.ID(), r.Reason, r.Step, r.StepText, r.Transcript)
	}
}

func codeOf(n int) reply.Code { return reply.Code(n) }
