package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// Bounds on what a Session reads from the peer under test.
const (
	// MaxLine bounds one reply or command line, CRLF included. RFC 5321
	// section 4.5.3.1.5 and 4.5.3.1.4 set 512; a peer may go beyond, and
	// the cases that test the limit send their own lines.
	MaxLine = 4096
	// MaxReplyLines bounds the lines of one reply.
	MaxReplyLines = 200
)

// Session is the tester's end of one case's connection: it sends, reads
// replies or commands, runs TLS and records everything in a transcript
// (state.Recorder, the C:/S: form of RFC 5321 appendix D). Steps run on a
// Session; a Session is used by one goroutine.
type Session struct {
	cfg  *Config
	side state.Side // the side the tester plays
	conn net.Conn
	br   *bufio.Reader
	rec  state.Recorder
	end  time.Time // the case's deadline

	caps    wire.Capabilities
	hasCaps bool
	tls     bool
	// Last is the last reply read (server suite).
	Last reply.Reply
	// LastLine is the last command line read, without CRLF (client suite).
	LastLine string
}

func newSession(cfg *Config, side state.Side, conn net.Conn, end time.Time) *Session {
	s := &Session{cfg: cfg, side: side, conn: conn, br: bufio.NewReaderSize(conn, MaxLine), end: end}
	s.rec.Meta("tester", side.String())
	return s
}

// Config returns the configuration the session runs under.
func (s *Session) Config() *Config { return s.cfg }

// Expand replaces the placeholders {helo}, {from}, {rcpt}, {rcpt2} and
// {domain} with the configured values.
func (s *Session) Expand(text string) string { return s.cfg.expand(text) }

// Capabilities returns what the last EHLO or LHLO reply offered, and
// whether there was one since the session (or TLS) started.
func (s *Session) Capabilities() (*wire.Capabilities, bool) { return &s.caps, s.hasCaps }

// TLS reports whether the session runs over TLS.
func (s *Session) TLS() bool { return s.tls }

// Comment adds a comment line to the transcript.
func (s *Session) Comment(format string, a ...any) { s.rec.Comment(fmt.Sprintf(format, a...)) }

// Transcript returns the session so far.
func (s *Session) Transcript() *state.Transcript { return s.rec.Transcript() }

// Send writes p to the peer as one write and records it.
func (s *Session) Send(p []byte) error {
	s.rec.Write(s.side, p)
	if err := s.conn.SetWriteDeadline(s.end); err != nil {
		return s.ioError("sending", err)
	}
	if _, err := s.conn.Write(p); err != nil {
		return s.ioError("sending", err)
	}
	return nil
}

// peer is the side under test.
func (s *Session) peer() state.Side {
	if s.side == state.SideClient {
		return state.SideServer
	}
	return state.SideClient
}

// readLine reads one line up to and including LF, bounded by MaxLine and
// by d (0: the case's deadline). A line cut by the bound or by the end of
// the stream is returned with the error.
func (s *Session) readLine(d time.Duration) ([]byte, error) {
	end := s.end
	if d > 0 && time.Now().Add(d).Before(end) {
		end = time.Now().Add(d)
	}
	if err := s.conn.SetReadDeadline(end); err != nil {
		return nil, s.ioError("reading", err)
	}
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return line, &Failure{Got: fmt.Sprintf("a line longer than %d octets", MaxLine)}
	}
	return line, err
}

// ReadReply reads one whole reply (every line of a multi-line reply),
// records it as one write of the server, and keeps it in Last. A reply
// that breaks the grammar of RFC 5321 section 4.2 (a bad code, lines with
// different codes, a bare LF) is a *Failure.
func (s *Session) ReadReply() (reply.Reply, error) {
	var raw []byte
	var b reply.Builder
	defer func() {
		if len(raw) > 0 {
			s.rec.Write(state.SideServer, raw)
		}
	}()
	for n := 0; ; n++ {
		line, err := s.readLine(0)
		raw = append(raw, line...)
		if err != nil {
			if len(raw) > 0 && errors.Is(err, io.EOF) {
				return reply.Reply{}, &Failure{Got: fmt.Sprintf("the connection closed in the middle of a reply (%q)", raw)}
			}
			return reply.Reply{}, s.ioError("waiting for a reply", err)
		}
		text, ok := bytes.CutSuffix(line, []byte("\r\n"))
		if !ok {
			return reply.Reply{}, &Failure{Rule: "RFC 5321 section 2.3.8", Got: fmt.Sprintf("a reply line ended by a bare LF: %q", line)}
		}
		l, err := wire.ParseReplyLine(text)
		if err != nil {
			return reply.Reply{}, &Failure{Rule: "RFC 5321 section 4.2", Got: fmt.Sprintf("a malformed reply line %q: %v", text, err)}
		}
		done, err := b.Add(l.Code, l.More, l.Text)
		if err != nil {
			return reply.Reply{}, &Failure{Rule: "RFC 5321 section 4.2.1", Got: fmt.Sprintf("%v (line %q)", err, text)}
		}
		if done {
			r := b.Reply()
			s.Last = r
			return r, nil
		}
		if n >= MaxReplyLines {
			return reply.Reply{}, &Failure{Got: fmt.Sprintf("a reply of more than %d lines", MaxReplyLines)}
		}
	}
}

// ReadCommand reads one command line from the client under test, records
// it, and returns it without its CRLF. A line ended by a bare LF is a
// *Failure (RFC 5321 section 2.3.8).
func (s *Session) ReadCommand() (string, error) {
	line, err := s.readLine(0)
	if len(line) > 0 {
		s.rec.Write(state.SideClient, line)
	}
	if err != nil {
		if len(line) > 0 && errors.Is(err, io.EOF) {
			return "", &Failure{Got: fmt.Sprintf("the connection closed in the middle of a line (%q)", line)}
		}
		return "", s.ioError("waiting for a command", err)
	}
	text, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return "", &Failure{Rule: "RFC 5321 section 2.3.8", Got: fmt.Sprintf("a command line ended by a bare LF: %q", line)}
	}
	s.LastLine = string(text)
	return s.LastLine, nil
}

// ReadData reads message content up to and including the line "." (RFC
// 5321 section 4.5.2: CRLF "." CRLF ends it; a "." after a bare LF does
// not), records it, and returns it as it travelled, dot-stuffed, without
// the final ".\r\n". At most max octets are read (0: 10 MiB).
func (s *Session) ReadData(max int) ([]byte, error) {
	if max <= 0 {
		max = 10 << 20
	}
	if err := s.conn.SetReadDeadline(s.end); err != nil {
		return nil, s.ioError("reading", err)
	}
	var data []byte
	defer func() {
		if len(data) > 0 {
			s.rec.Write(state.SideClient, data)
		}
	}()
	lineStart := 0 // where the line being read began in data
	for {
		chunk, err := s.br.ReadSlice('\n')
		data = append(data, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// A long content line: read on.
		case err != nil:
			return data, s.ioError("reading message content", err)
		default:
			line := data[lineStart:]
			if string(line) == ".\r\n" && (lineStart == 0 || bytes.HasSuffix(data[:lineStart], []byte("\r\n"))) {
				return data[:lineStart], nil
			}
			lineStart = len(data)
		}
		if len(data) > max {
			return data, &Failure{Got: fmt.Sprintf("more than %d octets of message content", max)}
		}
	}
}

// ReadN reads exactly n octets (a BDAT chunk, RFC 3030 section 2) and
// records them.
func (s *Session) ReadN(n int) ([]byte, error) {
	if err := s.conn.SetReadDeadline(s.end); err != nil {
		return nil, s.ioError("reading", err)
	}
	buf := make([]byte, n)
	got, err := io.ReadFull(s.br, buf)
	if got > 0 {
		s.rec.Write(state.SideClient, buf[:got])
	}
	if err != nil {
		return buf[:got], s.ioError(fmt.Sprintf("reading %d octets of a chunk", n), err)
	}
	return buf, nil
}

// Quiet waits d (0: Config.QuietTime) and fails if the peer sends anything
// or closes in that time.
func (s *Session) Quiet(d time.Duration) error {
	if d <= 0 {
		d = s.cfg.QuietTime
	}
	if err := s.conn.SetReadDeadline(time.Now().Add(d)); err != nil {
		return s.ioError("waiting in silence", err)
	}
	b, err := s.br.Peek(1)
	if isTimeout(err) {
		return nil
	}
	if err != nil {
		return s.ioError("waiting in silence", err)
	}
	line, _ := s.readLine(50 * time.Millisecond)
	if len(line) == 0 {
		line = b
	}
	s.rec.Write(s.peer(), line)
	return &Failure{Got: fmt.Sprintf("%s sent %q where nothing was due", s.peer(), line)}
}

// ExpectClose waits for the peer to close the connection (within the
// case's deadline); anything it sends first is a *Failure.
func (s *Session) ExpectClose() error {
	if err := s.conn.SetReadDeadline(s.end); err != nil {
		return s.ioError("waiting for the close", err)
	}
	var buf [512]byte
	n, err := s.br.Read(buf[:])
	if n > 0 {
		s.rec.Write(s.peer(), buf[:n])
		return &Failure{Want: "the connection closed", Got: fmt.Sprintf("%q", buf[:n])}
	}
	if errors.Is(err, io.EOF) || isReset(err) {
		s.rec.Close(s.peer())
		return nil
	}
	return s.ioError("waiting for the close", err)
}

// StartTLS runs the TLS handshake on the connection, as a client in the
// server suite and as a server in the client suite, and forgets what the
// clear session learned (RFC 3207 section 4.2). Octets the peer sent
// before the handshake are a *Failure: they would be read as if they came
// inside TLS (CVE-2011-0411).
func (s *Session) StartTLS(cfg *tls.Config) error {
	if n := s.br.Buffered(); n > 0 {
		extra, _ := s.br.Peek(n)
		s.rec.Write(s.peer(), extra)
		return &Failure{Rule: "RFC 3207 section 4.2", Got: fmt.Sprintf("%s sent %q after the STARTTLS exchange, before the handshake", s.peer(), extra)}
	}
	s.rec.TLS()
	var tc *tls.Conn
	if s.side == state.SideClient {
		tc = tls.Client(s.conn, cfg)
	} else {
		tc = tls.Server(s.conn, cfg)
	}
	ctx, cancel := context.WithDeadline(context.Background(), s.end)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return &Failure{Want: "a TLS handshake", Got: err.Error()}
	}
	s.conn, s.br, s.tls = tc, bufio.NewReaderSize(tc, MaxLine), true
	s.caps.Reset()
	s.hasCaps = false
	return nil
}

// ioError turns a read or write error into a *Failure that says what was
// going on: the peer closed, reset, or did not answer in time.
func (s *Session) ioError(doing string, err error) error {
	var f *Failure
	switch {
	case errors.As(err, &f):
		return f
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed):
		s.rec.Close(s.peer())
		return &Failure{Got: fmt.Sprintf("the %s closed the connection (%s)", s.peer(), doing), closed: true}
	case isReset(err):
		s.rec.Close(s.peer())
		return &Failure{Got: fmt.Sprintf("the %s reset the connection (%s)", s.peer(), doing), closed: true}
	case isTimeout(err):
		return &Failure{Got: fmt.Sprintf("nothing from the %s before the case's time bound (%s)", s.peer(), doing), timeout: true}
	}
	return &Failure{Got: fmt.Sprintf("%s: %v", doing, err)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}
