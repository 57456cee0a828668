package client

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeLog is a net.Conn that records each Write the client makes.
type writeLog struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

// Write implements net.Conn, keeping a copy of p.
func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, bytes.Clone(p))
	w.mu.Unlock()
	return w.Conn.Write(p)
}

// TestSendBodyAndEndOneWrite checks that a body read whole before MAIL goes
// out in the same write as its "." CRLF: a separate write of three octets
// costs a syscall and, with TCP_NODELAY, a packet and a server wake-up per
// message (seen under smtpkit load against Postfix's smtp-sink).
func TestSendBodyAndEndOneWrite(t *testing.T) {
	body := "Subject: one write\r\nX-Line: no empty line, so that \"\" is the end\r\n"
	conn := &writeLog{Conn: scripted(t, func(s *scriptServer) {
		s.open("PIPELINING")
		for range 3 { // MAIL, RCPT, DATA
			s.line()
		}
		s.say("250 2.1.0 ok", "250 2.1.5 ok", "354 go ahead")
		// Up to the end of data, or the end of the input ("").
		for l := s.line(); l != "." && l != ""; l = s.line() {
		}
		s.say("250 2.0.0 queued")
		s.line()
		s.say("221 bye")
	})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewClient(ctx, conn, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, c.Quit(ctx))
	conn.mu.Lock()
	defer conn.mu.Unlock()
	var ends []string
	for _, w := range conn.writes {
		if bytes.HasSuffix(w, []byte("\r\n.\r\n")) {
			ends = append(ends, string(w))
		}
	}
	require.Len(t, ends, 1)
	assert.Equal(t, body+".\r\n", ends[0], "the body and its end in one write")
}
