package state

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

const shutdownLine = "421 4.3.2 mx.example.org Service shutting down\r\n"

func TestServerShutdownIdle(t *testing.T) {
	s := serverIn(t, ProtocolSMTP, PhaseReady)
	s.Shutdown(reply.Reply{})
	assert.Equal(t, shutdownLine, string(s.Output()), "an idle session is told at once")
	ev := s.Next()
	assert.Equal(t, EventClose, ev.Kind)
	assert.ErrorIs(t, ev.Err, ErrShutdown)
	assert.ErrorIs(t, s.Receive([]byte("NOOP\r\n")), ErrShutdown)
	s.Shutdown(reply.Reply{}) // no effect after the end
	s.Terminate(reply.Reply{})
	assert.Equal(t, shutdownLine, string(s.Output()))
}

func TestServerShutdownLetsTheTransactionFinish(t *testing.T) {
	s := serverIn(t, ProtocolSMTP, PhaseMail)
	s.Shutdown(reply.Reply{Code: reply.CodeServiceNotAvailable, Text: "mx.example.org going down"})
	assert.Empty(t, s.Output(), "a transaction is in progress")
	out := feed(t, s, "RCPT TO:<c@d.example>\r\nDATA\r\n")
	assert.Equal(t, "250 2.1.5 Recipient OK\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n", out)
	out = feed(t, s, "hello\r\n.\r\nNOOP\r\n")
	assert.Equal(t, "250 2.0.0 Message accepted\r\n421 4.3.2 mx.example.org going down\r\n", out,
		"the message is answered, then the NOOP gets the 421")
	assert.Equal(t, PhaseClosed, s.Phase())
	assert.ErrorIs(t, s.Err(), ErrShutdown)
}

func TestServerShutdownWaitsForDecision(t *testing.T) {
	s := serverIn(t, ProtocolSMTP, PhaseReady)
	require.NoError(t, s.Receive([]byte("VRFY bob\r\n")))
	require.Equal(t, EventVrfy, s.Next().Kind)
	s.Shutdown(reply.Reply{Code: reply.CodeOK, Text: "not a 421"})
	assert.Empty(t, s.Output(), "the pending decision is answered first")
	require.NoError(t, s.Respond(reply.Reply{}))
	assert.Equal(t, EventClose, s.Next().Kind)
	assert.Equal(t, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"+shutdownLine, string(s.Output()))
}

func TestServerTerminate(t *testing.T) {
	s := serverIn(t, ProtocolSMTP, PhaseRcpt)
	feed(t, s, "DATA\r\n")
	feed(t, s, "half a message\r\n")
	require.Equal(t, PhaseData, s.Phase())
	s.Terminate(reply.Reply{})
	assert.Equal(t, shutdownLine, string(s.Output()), "421 at any time (RFC 5321 3.8)")
	ev := s.Next()
	assert.Equal(t, EventClose, ev.Kind)
	assert.ErrorIs(t, ev.Err, ErrShutdown)

	// Between the 220 to STARTTLS and the handshake nothing goes in clear.
	cfg := walkConfig(ProtocolSMTP)
	s = newTestServer(t, cfg)
	feed(t, s, "")
	feed(t, s, "EHLO c.example\r\n")
	assert.Contains(t, feed(t, s, "STARTTLS\r\n"), "220 ")
	s.Terminate(reply.Reply{})
	assert.Empty(t, s.Output())
	assert.Equal(t, PhaseClosed, s.Phase())
}
