package client

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptServer is the server end of a scripted session over net.Pipe, for
// tests that need replies the state.Server does not give (a refused BDAT
// chunk, plaintext after STARTTLS). Replies go out through an asyncWriter,
// so that a client writing a pipelined group cannot deadlock with them.
type scriptServer struct {
	conn net.Conn
	r    *bufio.Reader
	w    *asyncWriter

	mu    sync.Mutex
	lines []string // the command lines read
}

// scripted runs script as the server of a session and returns the client's
// end of the pipe. The session ends when script returns.
func scripted(t testing.TB, script func(s *scriptServer)) net.Conn {
	c, sc := net.Pipe()
	s := &scriptServer{conn: sc, r: bufio.NewReader(sc), w: newAsyncWriter(sc)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.Close()
		defer func() { _ = s.w.flush() }()
		script(s)
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c
}

// say sends reply lines, each ended with CRLF.
func (s *scriptServer) say(lines ...string) {
	s.w.write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

// line reads one command line, without its CRLF; "" at the end of the
// input.
func (s *scriptServer) line() string {
	l, err := s.r.ReadString('\n')
	if err != nil {
		return ""
	}
	l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
	return l
}

// readN reads n octets of chunk data.
func (s *scriptServer) readN(n int) []byte {
	b := make([]byte, n)
	_, _ = io.ReadFull(s.r, b)
	return b
}

// quiet reports whether the client sends nothing for d.
func (s *scriptServer) quiet(d time.Duration) bool {
	_ = s.conn.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = s.conn.SetReadDeadline(time.Time{}) }()
	_, err := s.r.Peek(1)
	return err != nil
}

// open greets, answers EHLO with the keywords, and returns.
func (s *scriptServer) open(keywords ...string) {
	s.say("220 mx.test ESMTP")
	s.line()
	lines := []string{"mx.test"}
	lines = append(lines, keywords...)
	for i := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		lines[i] = "250" + sep + lines[i]
	}
	s.say(lines...)
}

// commands returns the command lines read so far.
func (s *scriptServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}
