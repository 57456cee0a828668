package conformance_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/smtpkit/smtpkit/conformance"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/wire"
)

// accept is a server.Handler that takes every message.
type accept struct{}

func (accept) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return acceptSession{}, nil
}

type acceptSession struct{}

func (acceptSession) Mail(string, *wire.MailParams) error { return nil }
func (acceptSession) Rcpt(string, *wire.RcptParams) error { return nil }
func (acceptSession) Data(r io.Reader) error              { _, err := io.Copy(io.Discard, r); return err }
func (acceptSession) Reset()                              {}
func (acceptSession) Logout() error                       { return nil }

// ExampleRunServer runs the sequencing cases of RFC 5321 section 4.1.4
// against a server (here smtpkit's own, on 127.0.0.1) and prints each
// outcome.
func ExampleRunServer() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &server.Server{Handler: accept{}, Hostname: "mx.example"}
	go srv.Serve(l)
	defer srv.Close()

	cases := conformance.Filter{Level: conformance.Must, Only: "rfc5321/4.1.4/mail-twice,rfc5321/4.1.4/ehlo-again-resets"}.
		Select(conformance.ServerCases())
	rep, err := conformance.RunServer(context.Background(), conformance.Config{Addr: l.Addr().String()}, cases)
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Println(r.Status, r.Case.Level, r.Case.ID())
	}
	fmt.Println("MUST failures:", rep.Failed(conformance.Must))
	// Output:
	// pass MUST rfc5321/4.1.4/ehlo-again-resets
	// pass MUST rfc5321/4.1.4/mail-twice
	// MUST failures: false
}

// ExampleRunClient runs the client suite's dot-stuffing cases against
// smtpkit's own client; CommandClient runs any other program the same way.
func ExampleRunClient() {
	cases := conformance.Filter{Only: "rfc5321/4.5.2/*"}.Select(conformance.ClientCases())
	rep, err := conformance.RunClient(context.Background(), conformance.Config{}, conformance.SmtpkitClient{}, cases)
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Println(r.Status, r.Case.ID())
	}
	// Output:
	// pass rfc5321/4.5.2/dot-stuffing
	// pass rfc5321/4.5.2/lone-dot-line
}
