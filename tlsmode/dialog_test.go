package tlsmode_test

// A small scripted SMTP dialogue (greeting, EHLO, STARTTLS, MAIL, QUIT) over
// 127.0.0.1, for handshake tests that follow the rules of this package the
// way the state package and the drivers will. Every connection has a
// deadline, so no test can hang.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// dialogDeadline bounds every connection of the dialogue tests.
const dialogDeadline = 5 * time.Second

// scriptServer is a minimal SMTP server.
type scriptServer struct {
	mode    tlsmode.Mode   // ModeImplicit: handshake first; otherwise plaintext first
	policy  tlsmode.Policy // the TLS gate (Admit)
	cfg     *tls.Config    // nil: no certificate, STARTTLS not advertised
	refuse  bool           // advertise STARTTLS but answer 454
	timeout time.Duration  // handshake timeout; 0 for 2s
}

// serverResult is what the server saw.
type serverResult struct {
	err      error
	facts    tlsmode.Facts
	secured  bool
	commands []string // verbs in order; "tls:" marks those received under TLS
}

// start accepts one connection on a new loopback listener and serves it.
func (s scriptServer) start(t *testing.T) (addr string, done <-chan serverResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan serverResult, 1)
	go func() {
		defer ln.Close()
		conn, err := ln.Accept()
		if err != nil {
			ch <- serverResult{err: err}
			return
		}
		ch <- s.serve(conn)
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), ch
}

func (s scriptServer) handshake(conn net.Conn) (*tls.Conn, tlsmode.Facts, error) {
	d := s.timeout
	if d == 0 {
		d = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return tlsmode.ServerHandshake(ctx, conn, s.cfg)
}

func (s scriptServer) serve(conn net.Conn) (res serverResult) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(dialogDeadline))
	var c net.Conn = conn
	if s.mode == tlsmode.ModeImplicit {
		tc, f, err := s.handshake(conn)
		if err != nil {
			res.err = err
			return res
		}
		c, res.secured, res.facts = tc, true, f
	}
	if _, err := io.WriteString(c, "220 mx.test ESMTP\r\n"); err != nil {
		res.err = err
		return res
	}
	br := bufio.NewReader(c)
	if !res.secured {
		// The first bytes from a client that speaks TLS too early.
		if _, err := br.Peek(1); err == nil {
			if err := tlsmode.CheckPlaintext(tlsmode.SideServer, peekBuffered(br)); err != nil {
				res.err = err
				return res
			}
		}
	}
	greeted := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			return res
		}
		line = strings.TrimRight(line, "\r\n")
		word, arg, _ := strings.Cut(line, " ")
		v := wire.LookupVerb([]byte(word))
		tag := ""
		if res.secured {
			tag = "tls:"
		}
		res.commands = append(res.commands, tag+strings.ToUpper(word))
		out := func(r reply.Reply) bool {
			_, err := c.Write(r.Append(nil))
			if err != nil {
				res.err = err
			}
			return err == nil
		}
		if r, ok := s.policy.Admit(v, res.secured); !ok {
			if !out(r) {
				return res
			}
			continue
		}
		var r reply.Reply
		switch v {
		case wire.VerbEHLO:
			greeted = true
			text := "mx.test"
			if tlsmode.AdvertiseSTARTTLS(res.secured, s.cfg != nil) {
				text += "\nSTARTTLS"
			}
			r = reply.Reply{Code: reply.CodeOK, Text: text + "\n8BITMIME"}
		case wire.VerbSTARTTLS:
			st := tlsmode.ServerSTARTTLS{Active: res.secured, Params: arg != "", Unavailable: s.cfg == nil || s.refuse, Buffered: br.Buffered()}
			ans, start, err := st.Answer()
			if !out(ans) {
				return res
			}
			if err != nil {
				res.err = err
				return res
			}
			if !start {
				continue
			}
			tc, f, err := s.handshake(conn)
			if err != nil {
				res.err = err
				return res
			}
			c, res.secured, res.facts = tc, true, f
			br = bufio.NewReader(tc)
			// RFC 3207 section 4.2: back to the state after the greeting.
			if tlsmode.Forget(tlsmode.SideServer).Has(tlsmode.KnowGreeting) {
				greeted = false
			}
			continue
		case wire.VerbMAIL:
			if !greeted {
				r = reply.Reply{Code: reply.CodeBadSequence, Enhanced: reply.E(5, 5, 1), Text: "EHLO first"}
			} else {
				r = reply.Reply{Code: reply.CodeOK, Enhanced: reply.E(2, 1, 0), Text: "Ok"}
			}
		case wire.VerbQUIT:
			out(reply.Reply{Code: reply.CodeClosing, Text: "bye"})
			return res
		case wire.VerbNOOP, wire.VerbRSET:
			r = reply.Reply{Code: reply.CodeOK, Text: "Ok"}
		default:
			r = reply.Reply{Code: reply.CodeNotImplemented, Text: "no"}
		}
		if !out(r) {
			return res
		}
	}
}

// peekBuffered returns the bytes br holds, without consuming them.
func peekBuffered(br *bufio.Reader) []byte {
	p, _ := br.Peek(br.Buffered())
	return p
}

// scriptClient is a minimal SMTP client that follows a resolved mode and
// policy.
type scriptClient struct {
	port     int // nominal port for Resolve
	mode     tlsmode.Mode
	policy   tlsmode.Policy
	cfg      *tls.Config
	greeting time.Duration // greeting timeout; 0 for 2s
	inject   string        // written with STARTTLS, in the same write
	again    bool          // send STARTTLS again under TLS
}

// clientResult is what the client saw.
type clientResult struct {
	err        error
	status     tlsmode.Status
	facts      tlsmode.Facts
	ehlo       [][]string // keyword lists, one per EHLO
	againReply reply.Reply
	mailReply  reply.Reply
}

// readReply reads one (possibly multi-line) reply.
func readReply(br *bufio.Reader) (reply.Reply, error) {
	var b reply.Builder
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return reply.Reply{}, err
		}
		rl, err := wire.ParseReplyLine(line[:len(line)-2])
		if err != nil {
			return reply.Reply{}, err
		}
		done, err := b.Add(rl.Code, rl.More, rl.Text)
		if err != nil {
			return reply.Reply{}, err
		}
		if done {
			return b.Reply(), nil
		}
	}
}

// ehlo sends EHLO and returns the keywords.
func ehlo(c net.Conn, br *bufio.Reader) ([]string, error) {
	if _, err := io.WriteString(c, "EHLO client.test\r\n"); err != nil {
		return nil, err
	}
	r, err := readReply(br)
	if err != nil {
		return nil, err
	}
	if r.Code != reply.CodeOK {
		return nil, r.Err()
	}
	lines := strings.Split(r.Text, "\n")
	return lines[1:], nil
}

func (s scriptClient) run(addr string) (res clientResult) {
	mode, policy, err := tlsmode.Resolve(s.port, s.mode, s.policy)
	if err != nil {
		res.err = err
		return res
	}
	conn, err := net.DialTimeout("tcp", addr, dialogDeadline)
	if err != nil {
		res.err = err
		return res
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(dialogDeadline))
	handshake := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		tc, f, err := tlsmode.ClientHandshake(ctx, conn, s.cfg)
		if err != nil {
			return err
		}
		res.facts, res.status = f, tlsmode.StatusSecured
		conn = tc
		return nil
	}
	if mode == tlsmode.ModeImplicit {
		if res.err = handshake(); res.err != nil {
			return res
		}
	}
	br := bufio.NewReader(conn)

	// The greeting, bounded by the greeting timeout.
	gt := s.greeting
	if gt == 0 {
		gt = 2 * time.Second
	}
	_ = conn.SetReadDeadline(time.Now().Add(gt))
	if _, err := br.Peek(1); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			res.err = tlsmode.NoGreeting(s.port, err)
		} else {
			res.err = err
		}
		return res
	}
	if mode != tlsmode.ModeImplicit {
		if res.err = tlsmode.CheckPlaintext(tlsmode.SideClient, peekBuffered(br)); res.err != nil {
			return res
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(dialogDeadline))
	if _, err := readReply(br); err != nil {
		res.err = err
		return res
	}

	kws, err := ehlo(conn, br)
	if err != nil {
		res.err = err
		return res
	}
	res.ehlo = append(res.ehlo, kws)
	switch mode {
	case tlsmode.ModeNone:
		res.status = tlsmode.StatusClearByPolicy
	case tlsmode.ModeSTARTTLS:
		start, st, err := policy.Decide(contains(kws, "STARTTLS"))
		if err != nil {
			res.err = err
			return res // no plaintext fallback: the connection closes
		}
		res.status = st
		if start {
			if _, err := io.WriteString(conn, "STARTTLS\r\n"+s.inject); err != nil {
				res.err = err
				return res
			}
			r, err := readReply(br)
			if err != nil {
				res.err = err
				return res
			}
			if r.Code != reply.CodeReady {
				if res.status, res.err = policy.Refused(r); res.err != nil {
					return res
				}
				break
			}
			// The boundary rule: nothing may follow the 220.
			if res.err = tlsmode.CheckBoundary(tlsmode.SideClient, br.Buffered()); res.err != nil {
				return res
			}
			if err := handshake(); err != nil {
				res.err = policy.HandshakeFailed(err)
				return res
			}
			br = bufio.NewReader(conn)
			// RFC 3207 section 4.2: forget the extension list, EHLO again.
			if kws, err = ehlo(conn, br); err != nil {
				res.err = err
				return res
			}
			res.ehlo = append(res.ehlo, kws)
		}
	}
	if s.again {
		if _, err := io.WriteString(conn, "STARTTLS\r\n"); err != nil {
			res.err = err
			return res
		}
		if res.againReply, res.err = readReply(br); res.err != nil {
			return res
		}
	}
	if _, err := io.WriteString(conn, "MAIL FROM:<a@example.test>\r\n"); err != nil {
		res.err = err
		return res
	}
	if res.mailReply, res.err = readReply(br); res.err != nil {
		return res
	}
	if res.err = res.mailReply.Err(); res.err != nil {
		return res
	}
	_, _ = io.WriteString(conn, "QUIT\r\n")
	_, _ = readReply(br)
	return res
}

func contains(list []string, kw string) bool {
	for _, s := range list {
		if strings.EqualFold(s, kw) {
			return true
		}
	}
	return false
}

// waitServer returns the server's result, failing the test if it does not
// arrive in time.
func waitServer(t *testing.T, ch <-chan serverResult) serverResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(2 * dialogDeadline):
		t.Fatal("server did not finish")
		return serverResult{}
	}
}
