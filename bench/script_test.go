package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the peers of the in-memory benchmarks: server.Server
// with a Handler that keeps nothing, and two scripted peers, rawClient and
// rawServer, that speak just enough SMTP from fixed bytes and allocate
// nothing per message. Run against a scripted peer, a driver's
// allocations and time are its own.

// discard is a server.Handler whose Sessions read every message and keep
// nothing.
type discard struct{}

// Connect returns a discardSession.
func (discard) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return discardSession{}, nil
}

// discardSession accepts every sender and recipient and drops the content.
type discardSession struct{}

// Mail accepts the sender.
func (discardSession) Mail(string, *wire.MailParams) error { return nil }

// Rcpt accepts the recipient.
func (discardSession) Rcpt(string, *wire.RcptParams) error { return nil }

// Data reads the message to its end (RFC 5321 section 4.1.1.4) and drops it.
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// Reset does nothing: there is no transaction state.
func (discardSession) Reset() {}

// Logout does nothing.
func (discardSession) Logout() error { return nil }

// memAddress is the address clients dial: port 25 with TLS disabled by
// clientOpts, so no STARTTLS is attempted.
const memAddress = "memory.invalid:25"

// clientOpts are the options of every client of the suite, dialling l.
func clientOpts(l *memListener, bdat bool) []client.Option {
	opts := []client.Option{client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled), client.WithDialer(l)}
	if !bdat {
		opts = append(opts, client.WithoutBDAT())
	}
	return opts
}

// serveMem runs a server.Server (state.DefaultExtensions: PIPELINING,
// CHUNKING ...) with the discard Handler on a memListener whose
// connections pipe makes, until the test ends.
func serveMem(tb testing.TB, pipe func() (net.Conn, net.Conn)) *memListener {
	tb.Helper()
	srv := &server.Server{Handler: discard{}, Hostname: "mx.example.org", Extensions: state.DefaultExtensions,
		ErrorLog: slog.New(slog.DiscardHandler)}
	l := newMemListener(pipe)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return l
}

// rawClient is a scripted SMTP client: fixed commands, pipelined (RFC 2920),
// and replies read with bufio.Reader.ReadSlice.
type rawClient struct {
	nc net.Conn
	r  *bufio.Reader
}

// dialRaw connects to l and reads the greeting and the reply to EHLO.
func dialRaw(tb testing.TB, l *memListener) *rawClient {
	tb.Helper()
	nc, err := l.DialContext(context.Background(), "tcp", memAddress)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { nc.Close() })
	c := &rawClient{nc: nc, r: bufio.NewReaderSize(nc, 4096)}
	if err := c.replies(1); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.WriteString(nc, "EHLO client.example.org\r\n"); err != nil {
		tb.Fatal(err)
	}
	if err := c.replies(1); err != nil {
		tb.Fatal(err)
	}
	return c
}

// replies reads n replies, failing on anything but 2yz and 3yz.
func (c *rawClient) replies(n int) error {
	for n > 0 {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || (line[0] != '2' && line[0] != '3') {
			return fmt.Errorf("bench: reply %q", line)
		}
		if line[3] == ' ' {
			n--
		}
	}
	return nil
}

// rawEnvelope is the pipelined envelope of rawClient's messages.
var rawEnvelope = []byte("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")

// send sends one message with DATA: the envelope in one write, the body
// (no line starts with a dot) and its end in another after the 354.
func (c *rawClient) send(body []byte) error {
	if _, err := c.nc.Write(rawEnvelope); err != nil {
		return err
	}
	if err := c.replies(3); err != nil {
		return err
	}
	if _, err := c.nc.Write(body); err != nil {
		return err
	}
	if _, err := io.WriteString(c.nc, ".\r\n"); err != nil {
		return err
	}
	return c.replies(1)
}

// rawServer answers from fixed bytes: a greeting, an EHLO keyword list
// (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, and CHUNKING when chunking),
// 250 to MAIL, RCPT, RSET, NOOP, the end of data and every BDAT chunk, 354
// to DATA, 221 to QUIT. Replies are buffered and written when no command is
// waiting (RFC 2920 section 3.2).
type rawServer struct {
	nc       net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	chunking bool
}

// serveRawListener answers every connection of l with a rawServer until l
// is closed.
func serveRawListener(l *memListener, chunking bool) {
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		s := &rawServer{nc: nc, r: bufio.NewReaderSize(nc, 32<<10), w: bufio.NewWriterSize(nc, 4096), chunking: chunking}
		go s.serve()
	}
}

// The rawServer's replies.
const (
	rawGreeting = "220 mx.example.org ESMTP\r\n"
	rawOK       = "250 2.0.0 OK\r\n"
	rawGoAhead  = "354 End data with <CR><LF>.<CR><LF>\r\n"
	rawEHLO     = "250-mx.example.org\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
	rawEHLOBdat = "250-mx.example.org\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250 ENHANCEDSTATUSCODES\r\n"
)

// serve runs the session until QUIT or an error.
func (s *rawServer) serve() {
	defer s.nc.Close()
	s.w.WriteString(rawGreeting)
	for {
		if s.r.Buffered() == 0 && s.w.Flush() != nil {
			return
		}
		line, err := s.r.ReadSlice('\n')
		if err != nil || len(line) < 4 {
			return
		}
		switch string(line[:4]) {
		case "EHLO":
			if s.chunking {
				s.w.WriteString(rawEHLOBdat)
			} else {
				s.w.WriteString(rawEHLO)
			}
		case "DATA":
			s.w.WriteString(rawGoAhead)
			if s.w.Flush() != nil || !s.readData() {
				return
			}
			s.w.WriteString(rawOK)
		case "BDAT":
			n, ok := chunkSize(line[4:])
			if !ok {
				return
			}
			if _, err := s.r.Discard(n); err != nil {
				return
			}
			s.w.WriteString(rawOK)
		case "QUIT":
			s.w.WriteString("221 2.0.0 Bye\r\n")
			s.w.Flush()
			return
		default: // MAIL, RCPT, RSET, NOOP
			s.w.WriteString(rawOK)
		}
	}
}

// readData reads message content up to the line "." (RFC 5321 section
// 4.1.1.4) and reports whether it got there.
func (s *rawServer) readData() bool {
	start := true // at the start of a line
	for {
		line, err := s.r.ReadSlice('\n')
		switch err {
		case nil:
		case bufio.ErrBufferFull: // a line longer than the buffer
			start = false
			continue
		default:
			return false
		}
		if start && len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			return true
		}
		start = true
	}
}

// chunkSize parses " <size>[ LAST]\r\n", the rest of a BDAT command
// (RFC 3030 section 2).
func chunkSize(arg []byte) (int, bool) {
	if len(arg) < 2 || arg[0] != ' ' {
		return 0, false
	}
	n, digits := 0, 0
	for _, c := range arg[1:] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return n, digits > 0 && digits < 10
}
