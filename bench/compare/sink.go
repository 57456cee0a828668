package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// The envelope every workload uses.
const (
	mailFrom = "alice@example.com"
	rcptTo   = "bob@example.org"
	hostname = "mx.example.org"
	heloName = "bench.example.com"
)

// message is one test message in the two forms the workloads need.
type message struct {
	// raw is the content a session must receive: CRLF lines, some starting
	// with a dot.
	raw []byte
	// wire is raw dot-stuffed and ended with "." CRLF (RFC 5321 section
	// 4.5.2), built here without either library's encoder.
	wire []byte
}

// newMessage builds a message of exactly size content octets: a few header
// fields, then 76-octet lines of base64-like text, every 10th starting with
// a dot so that the unstuffing path is exercised.
func newMessage(size int) *message {
	const text = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJ"
	raw := make([]byte, 0, size)
	raw = append(raw, "From: <"+mailFrom+">\r\nTo: <"+rcptTo+">\r\nSubject: bench\r\n\r\n"...)
	for line := 0; len(raw) < size; line++ {
		n := min(len(text)+2, size-len(raw))
		if rest := size - len(raw) - n; rest > 0 && rest < 2 {
			n-- // never leave room for less than a CRLF
		}
		start := len(raw)
		raw = append(raw, text[:n-2]...)
		if line%10 == 4 && n > 2 {
			raw[start] = '.'
		}
		raw = append(raw, '\r', '\n')
	}
	stuffed := make([]byte, 0, len(raw)+len(raw)/50+8)
	for rest := raw; len(rest) > 0; {
		i := bytes.Index(rest, []byte("\r\n")) + 2
		if rest[0] == '.' {
			stuffed = append(stuffed, '.')
		}
		stuffed = append(stuffed, rest[:i]...)
		rest = rest[i:]
	}
	return &message{raw: raw, wire: append(stuffed, ".\r\n"...)}
}

// sink receives messages for both servers: it reads every body to its end
// and counts messages and octets; in record mode it keeps the last body,
// so that a check can compare it with what was sent.
type sink struct {
	msgs, octets atomic.Int64
	record       atomic.Bool

	mu   sync.Mutex
	last []byte

	// done, when set, is told of every message delivered (the in-memory
	// workloads wait on it).
	done chan struct{}
}

// deliver reads one message body to its end.
func (s *sink) deliver(r io.Reader) error {
	var n int64
	var err error
	if s.record.Load() {
		var buf bytes.Buffer
		n, err = io.Copy(&buf, r)
		s.mu.Lock()
		s.last = buf.Bytes()
		s.mu.Unlock()
	} else {
		n, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return err
	}
	s.msgs.Add(1)
	s.octets.Add(n)
	if s.done != nil {
		s.done <- struct{}{}
	}
	return nil
}

// lastBody returns the body recorded last.
func (s *sink) lastBody() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// expect checks that the sink holds msgs messages of size octets each.
func (s *sink) expect(msgs int64, size int) error {
	if got := s.msgs.Load(); got != msgs {
		return fmt.Errorf("the server received %d messages, %d were sent", got, msgs)
	}
	if got := s.octets.Load(); got != msgs*int64(size) {
		return fmt.Errorf("the server received %d octets, %d were sent", got, msgs*int64(size))
	}
	return nil
}

// recordOne turns recording on, runs send (one message), turns it off and
// checks that exactly that message arrived intact.
func (s *sink) recordOne(m *message, send func() error) error {
	before := s.msgs.Load()
	s.record.Store(true)
	err := send()
	s.record.Store(false)
	if err != nil {
		return err
	}
	if got := s.msgs.Load() - before; got != 1 {
		return fmt.Errorf("the server received %d messages for one sent", got)
	}
	if got := s.lastBody(); !bytes.Equal(got, m.raw) {
		return fmt.Errorf("the body received (%d octets) differs from the body sent (%d octets)", len(got), len(m.raw))
	}
	return nil
}

// kitHandler is the smtpkit server.Handler of the sink.
type kitHandler struct{ s *sink }

// Connect gives every connection a session of the sink.
func (h kitHandler) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return kitSession(h), nil
}

// kitSession is the smtpkit server.Session of the sink: every sender and
// recipient is accepted and every body is read to io.Discard.
type kitSession struct{ s *sink }

// Mail accepts any sender.
func (kitSession) Mail(string, *wire.MailParams) error { return nil }

// Rcpt accepts any recipient.
func (kitSession) Rcpt(string, *wire.RcptParams) error { return nil }

// Data reads the message to its end.
func (k kitSession) Data(r io.Reader) error { return k.s.deliver(r) }

// Reset has nothing to forget.
func (kitSession) Reset() {}

// Logout has nothing to release.
func (kitSession) Logout() error { return nil }

// goSession is the go-smtp smtp.Session of the sink, the twin of
// kitSession.
type goSession struct{ s *sink }

// Mail accepts any sender.
func (goSession) Mail(string, *gosmtp.MailOptions) error { return nil }

// Rcpt accepts any recipient.
func (goSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }

// Data reads the message to its end.
func (g goSession) Data(r io.Reader) error { return g.s.deliver(r) }

// Reset has nothing to forget.
func (goSession) Reset() {}

// Logout has nothing to release.
func (goSession) Logout() error { return nil }

// serveKit runs an smtpkit server.Server of s on l, with its defaults and
// the default extensions (PIPELINING, CHUNKING, 8BITMIME ...). The returned
// function stops it.
func serveKit(l net.Listener, s *sink) func() {
	srv := &server.Server{Handler: kitHandler{s}, Hostname: hostname, Extensions: state.DefaultExtensions,
		ErrorLog: slog.New(slog.DiscardHandler),
		// The command workloads send RSET for ever on one connection,
		// which the default junk-command limit would close; go-smtp has
		// no such limit, so the same work is measured without it.
		Configure: func(c *state.ServerConfig) { c.MaxJunk = -1 }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return func() {
		_ = srv.Close()
		<-done
	}
}

// serveGo runs a go-smtp smtp.Server of s on l with its defaults (it
// offers PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES and CHUNKING). The
// returned function stops it.
func serveGo(l net.Listener, s *sink) func() {
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return goSession{s}, nil
	}))
	srv.Domain = hostname
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	return func() {
		_ = srv.Close()
		<-done
	}
}

// serveTCP starts the family's server for s on a loopback port and returns
// its address.
func serveTCP(fam family, s *sink) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	switch fam {
	case famSmtpkit:
		return l.Addr().String(), serveKit(l, s), nil
	case famGoSMTP:
		return l.Addr().String(), serveGo(l, s), nil
	}
	l.Close()
	return "", nil, errors.New("no server in " + fam.String())
}
