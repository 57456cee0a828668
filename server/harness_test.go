package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// message is what the recording handler kept of a completed message.
type message struct {
	From string
	To   []string
	Body string
}

// recorder is a Handler that keeps every message whose reader reached
// io.EOF. Hooks let tests refuse or misbehave.
type recorder struct {
	mu       sync.Mutex
	msgs     []message
	aborted  int
	logouts  int
	resets   int
	infos    []ConnInfo
	connect  func(*ConnInfo) error
	rcpt     func(to string) error
	data     func(r io.Reader) error
	lmtp     func(to []string) []error
	dataHold chan struct{} // when set, Data waits for it to close
}

func (h *recorder) Connect(_ context.Context, c *ConnInfo) (Session, error) {
	if h.connect != nil {
		if err := h.connect(c); err != nil {
			return nil, err
		}
	}
	return &recSession{h: h, info: c}, nil
}

func (h *recorder) messages() []message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]message(nil), h.msgs...)
}

type recSession struct {
	h    *recorder
	info *ConnInfo
	from string
	to   []string
}

func (s *recSession) Mail(from string, _ *wire.MailParams) error {
	s.from = from
	return nil
}

func (s *recSession) Rcpt(to string, _ *wire.RcptParams) error {
	if s.h.rcpt != nil {
		if err := s.h.rcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	if s.h.data != nil {
		return s.h.data(r)
	}
	if s.h.dataHold != nil {
		<-s.h.dataHold
	}
	b, err := io.ReadAll(r)
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	if err != nil {
		s.h.aborted++
		return err
	}
	s.h.msgs = append(s.h.msgs, message{From: s.from, To: append([]string(nil), s.to...), Body: string(b)})
	s.h.infos = append(s.h.infos, *s.info)
	return nil
}

func (s *recSession) Reset() {
	s.from, s.to = "", nil
	s.h.mu.Lock()
	s.h.resets++
	s.h.mu.Unlock()
}

func (s *recSession) Logout() error {
	s.h.mu.Lock()
	s.h.logouts++
	s.h.mu.Unlock()
	return nil
}

// lmtpSession adds LMTPData to recSession.
type lmtpSession struct{ *recSession }

func (s lmtpSession) LMTPData(r io.Reader) []error {
	if err := s.Data(r); err != nil {
		return []error{err}
	}
	return s.h.lmtp(s.to)
}

// quietLog discards the server's log.
func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start serves srv on a loopback listener and returns its address.
func start(t testing.TB, srv *Server) string {
	t.Helper()
	if srv.ErrorLog == nil {
		srv.ErrorLog = quietLog()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		err := <-done
		if !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

// client is a raw C:/S: test client.
type client struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: bufio.NewReader(nc)}
}

// send writes s with "\n" turned into CRLF.
func (c *client) send(s string) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Write([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
	require.NoError(c.t, err)
}

// reply reads one whole reply and returns its lines joined by "\n".
func (c *client) reply() string {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		require.NoError(c.t, err, "after %q", lines)
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n")
		}
	}
}

// expect reads one reply per code and checks each starts with it.
func (c *client) expect(prefixes ...string) {
	c.t.Helper()
	for _, p := range prefixes {
		got := c.reply()
		require.True(c.t, strings.HasPrefix(got, p), "want %q, got %q", p, got)
	}
}

// closed checks that the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadByte()
	require.Error(c.t, err)
	var ne net.Error
	require.False(c.t, errors.As(err, &ne) && ne.Timeout(), "the connection stays open: %v", err)
}

// selfSigned returns a server certificate for localhost and 127.0.0.1
// issued by a fresh tlsmode.TestCA, and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	ca := testCA(t)
	cert, err := ca.IssueServer("localhost", "127.0.0.1")
	require.NoError(t, err)
	return cert, ca.Pool()
}

// testCA returns a fresh in-memory certificate authority.
func testCA(t testing.TB) *tlsmode.TestCA {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	return ca
}

// syncWriter serializes writes for a trace read after the test.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type ctxT = context.Context

func newReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// raw writes s as it is.
func (c *client) raw(s string) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Write([]byte(s))
	require.NoError(c.t, err)
}
