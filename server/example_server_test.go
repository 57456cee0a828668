package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/smtp"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/wire"
)

// session prints what it receives and refuses one recipient.
type session struct{ from string }

func (s *session) Mail(from string, _ *wire.MailParams) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *wire.RcptParams) error {
	if to == "nobody@example.org" {
		return server.Reject(reply.CodeMailboxUnavailable, reply.E(5, 1, 1), "No such user")
	}
	return nil
}

func (s *session) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err // ErrMessageAborted: discard the partial message
	}
	fmt.Printf("message from %s: %q\n", s.from, body)
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// ExampleServer receives one message over loopback from Go's net/smtp.
func ExampleServer() {
	srv := &server.Server{
		Hostname: "mx.example.org",
		Handler: server.HandlerFunc(func(_ context.Context, c *server.ConnInfo) (server.Session, error) {
			return &session{}, nil
		}),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())

	err = smtp.SendMail(l.Addr().String(), nil, "alice@example.com",
		[]string{"bob@example.org"}, []byte("Subject: hi\r\n\r\nHello Bob.\r\n"))
	fmt.Println("sent:", err)
	err = smtp.SendMail(l.Addr().String(), nil, "alice@example.com",
		[]string{"nobody@example.org"}, []byte("Subject: hi\r\n\r\nHello?\r\n"))
	fmt.Println("refused:", err)
	// Output:
	// message from alice@example.com: "Subject: hi\r\n\r\nHello Bob.\r\n"
	// sent: <nil>
	// refused: 550 "5.1.1 No such user"
}
