package server

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// Handler accepts connections. Connect is called once per connection,
// after the PROXY header (if any) and the implicit TLS handshake (if any),
// before the greeting: its error refuses the session with the greeting
// (554 for a plain error, or the reply of a *reply.Error, such as 421 to
// say "try later"; RFC 5321 section 3.1). A Handler is called from many
// connection goroutines at once and must be safe for concurrent use.
type Handler interface {
	Connect(ctx context.Context, c *ConnInfo) (Session, error)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, c *ConnInfo) (Session, error)

// Connect calls f(ctx, c).
func (f HandlerFunc) Connect(ctx context.Context, c *ConnInfo) (Session, error) { return f(ctx, c) }

// Session serves one connection. All its methods are called from the
// connection's goroutine, one at a time, so a Session needs no locking of
// its own. Errors become replies (see Reject): a *reply.Error, or any error
// with a Reply() reply.Reply method, gives its reply; any other error gives
// 451 4.3.0 and is logged, never shown to the client.
type Session interface {
	// Mail is called for an accepted-by-the-machine MAIL command with the
	// reverse-path mailbox ("" for the null path <>). p aliases the
	// connection's buffer and is valid only during the call.
	Mail(from string, p *wire.MailParams) error
	// Rcpt is called for each RCPT command ("Postmaster" for
	// <Postmaster>). p is valid only during the call.
	Rcpt(to string, p *wire.RcptParams) error
	// Data receives the message content (dot-stuffing removed for DATA,
	// as sent for BDAT) as a stream: r returns io.EOF only once the whole
	// message arrived and passed the machine's checks (size, bare CR/LF).
	// Any other error from r (ErrMessageAborted) means the message is
	// incomplete and must be discarded. The message is acknowledged with
	// 250 only after Data returns nil; if Data returns before reading r to
	// its end, the rest is read and dropped first. r is valid only during
	// the call. Under LMTP a Session that implements LMTPSession gets
	// LMTPData instead.
	Data(r io.Reader) error
	// Reset is called when a transaction ends, whatever became of it: after
	// the reply to its message, RSET, a new greeting, a refused message.
	Reset()
	// Logout is called once when the connection ends.
	Logout() error
}

// HelloSession is a Session that checks the HELO, EHLO or LHLO domain
// (already checked for syntax); an error refuses the greeting and the
// session stays as it was (RFC 5321 section 4.1.4).
type HelloSession interface {
	Session
	Hello(domain string) error
}

// AuthSession is a Session told of a successful SASL exchange before the
// 235 reply is sent. An error refuses the authentication (a plain error
// gives 454, RFC 4954 section 6). Without it any identity the Server's
// auth.Registry verified is accepted.
type AuthSession interface {
	Session
	Authenticated(id auth.Identity) error
}

// VrfySession answers VRFY (RFC 5321 section 3.5.1). A zero Reply takes
// the machine's default (252); an error gives its reply. Without it every
// VRFY gets the default.
type VrfySession interface {
	Session
	Vrfy(arg string) (reply.Reply, error)
}

// QueueSession is a Session that names the messages it accepts: after Data
// (or an LMTPData entry) returns nil, the 250 reply says "Message accepted,
// queued as" the ID QueueID returns, the way MTAs report their queue IDs so
// that a sender can trace a message in the receiver's logs (the text of a
// reply is the server's choice, RFC 5321 section 4.2). QueueID is called
// once per reply, after Data; an ID that is not 1 to 64 visible ASCII
// characters (empty, or with a space or a line break) keeps the machine's
// default text.
type QueueSession interface {
	Session
	QueueID() string
}

// LMTPSession is a Session that delivers LMTP messages one recipient at a
// time (RFC 2033 section 4.2): LMTPData returns one error per accepted
// recipient, in RCPT order, each answered as Data's would be. A missing
// entry gets 451. Without it, Data's single result answers every recipient.
type LMTPSession interface {
	Session
	LMTPData(r io.Reader) []error
}

// ConnInfo describes a connection to the Handler and its Session. The
// driver updates it on the connection's goroutine between calls to the
// Session (after STARTTLS, HELO, AUTH), so read it only from within those
// calls. Its fields must not be modified.
type ConnInfo struct {
	// RemoteAddr is the client's address: the relayed source when a
	// trusted proxy sent a PROXY header with addresses.
	RemoteAddr net.Addr
	// LocalAddr is the address the client connected to (the relayed
	// destination behind a proxy).
	LocalAddr net.Addr
	// Proxy is the PROXY protocol header received, or nil.
	Proxy *wire.ProxyHeader
	// Protocol is SMTP or LMTP.
	Protocol state.Protocol
	// Hostname is the server's own name, as in the greeting.
	Hostname string
	// TLS holds the TLS session's facts once TLS is in force (implicit or
	// after STARTTLS), or nil.
	TLS *tlsmode.Facts
	// Hello is the domain of the accepted HELO, EHLO or LHLO, and ESMTP
	// says it was EHLO or LHLO.
	Hello string
	ESMTP bool
	// Identity is who authenticated with AUTH, or nil.
	Identity *auth.Identity
	// Mechanism is the SASL mechanism of a successful AUTH.
	Mechanism string
}

// ReceivedProtocol returns the Received header's "with" value for this
// connection (RFC 3848 section 1, via tlsmode.ReceivedProtocol).
func (c *ConnInfo) ReceivedProtocol(utf8 bool) string {
	return tlsmode.ReceivedProtocol(c.Protocol == state.ProtocolLMTP, c.ESMTP || c.Protocol == state.ProtocolLMTP,
		c.TLS != nil, c.Identity != nil, utf8)
}

// Reject returns an error that the driver answers with the given reply,
// for example Reject(550, reply.E(5, 1, 1), "No such user"). It is a
// *reply.Error.
func Reject(code reply.Code, enhanced reply.Enhanced, text string) error {
	return &reply.Error{Reply: reply.Reply{Code: code, Enhanced: enhanced, Text: text}}
}

// ErrMessageAborted is what a message reader returns, wrapped with the
// cause, when the message ends before its end of data: the client went
// away, timed out, sent RSET, or the machine refused the content (too big,
// bare LF). The content read so far must be discarded.
var ErrMessageAborted = errors.New("server: message aborted before its end")

// replier is an error that carries the reply to send, as
// *tlsmode.BoundaryError does.
type replier interface{ Reply() reply.Reply }

// Replies the driver itself gives to plain errors: 451 for a local failure
// of a command or message (RFC 5321 section 4.2.3), 554 for a refused
// connection (section 3.1).
var (
	replyLocalError = reply.Reply{Code: reply.CodeLocalError, Enhanced: reply.E(4, 3, 0), Text: "Local error in processing"}
	replyNoService  = reply.Reply{Code: reply.CodeTransactionFailed, Enhanced: reply.E(5, 3, 0), Text: "No SMTP service here"}
	replyAuthLocal  = reply.Reply{Code: reply.CodeTempAuthFailure, Enhanced: reply.E(4, 7, 0), Text: "Temporary authentication failure"}
	replyTooMany    = reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 7, 0), Text: "Too many connections, try later"}
	replyShutdown   = reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 3, 2), Text: "Server shutting down"}
	replyFault      = reply.Reply{Code: reply.CodeServiceNotAvailable, Enhanced: reply.E(4, 3, 0), Text: "Local error, closing connection"}
)

// replyFor maps a handler's error to its reply: the zero Reply (the
// machine's default) for nil, the error's own reply when it has one, and
// fallback otherwise. plain reports the last case, whose error is logged.
func replyFor(err error, fallback reply.Reply) (r reply.Reply, plain bool) {
	if err == nil {
		return reply.Reply{}, false
	}
	var re *reply.Error
	if errors.As(err, &re) {
		return re.Reply, false
	}
	var rp replier
	if errors.As(err, &rp) {
		return rp.Reply(), false
	}
	return fallback, true
}
