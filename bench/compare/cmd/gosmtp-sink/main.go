package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// main parses the flags, serves until a signal and prints the count.
func main() {
	listen := flag.String("listen", "127.0.0.1:2526", "`address` to listen on")
	maxSize := flag.Int64("max-size", 0, "largest message in `bytes`, advertised with SIZE (0: no limit)")
	idle := flag.Duration("timeout", time.Minute, "read and write `timeout` of each command and reply")
	shutdown := flag.Duration("shutdown", 5*time.Second, "how long a shutdown waits for sessions under way")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gosmtp-sink: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	n, err := run(*listen, *maxSize, *idle, *shutdown)
	fmt.Printf("accepted %d\n", n)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gosmtp-sink: %v\n", err)
		os.Exit(1)
	}
}

// run serves on addr until SIGINT or SIGTERM and returns the number of
// messages accepted.
func run(addr string, maxSize int64, idle, shutdown time.Duration) (int64, error) {
	be := &backend{}
	s := smtp.NewServer(be)
	s.Domain = "gosmtp-sink"
	s.MaxMessageBytes = maxSize
	s.ReadTimeout, s.WriteTimeout = idle, idle
	s.EnableSMTPUTF8 = true
	s.EnableBINARYMIME = true
	s.EnableDSN = true
	s.ErrorLog = log.New(os.Stderr, "gosmtp-sink: ", 0)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(os.Stderr, "listening %s\n", l.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	select {
	case err := <-done:
		return be.accepted.Load(), err
	case <-sig:
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdown)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		_ = s.Close()
	}
	<-done
	return be.accepted.Load(), nil
}

// backend is the go-smtp Backend: one session per connection, one counter
// for all of them. It is safe for concurrent use.
type backend struct {
	accepted atomic.Int64
}

// NewSession implements smtp.Backend.
func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{b: b}, nil
}

// session accepts any sender and recipient and discards the content. It is
// used by one connection's goroutine only.
type session struct {
	b *backend
}

// Mail implements smtp.Session: any sender.
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

// Rcpt implements smtp.Session: any recipient.
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }

// Data implements smtp.Session: the body is read to its end and dropped;
// only a body read to its end is counted.
func (s *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.b.accepted.Add(1)
	return nil
}

// Reset implements smtp.Session: there is no transaction state to drop.
func (s *session) Reset() {}

// Logout implements smtp.Session: there is nothing to free.
func (s *session) Logout() error { return nil }
