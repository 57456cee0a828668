package state

import (
	"fmt"
	"strconv"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// Defaults of ClientConfig.
const (
	// DefaultMaxOutstanding bounds the commands a Client holds queued and
	// unanswered when ClientConfig.MaxOutstanding is 0.
	DefaultMaxOutstanding = 100
	// MaxClientInput bounds the received octets a Client holds unread. A
	// driver that calls Next until it returns no event after each Receive
	// leaves less than one reply line unread, so the bound is met by any
	// read buffer up to MaxClientInput-wire.MaxReplyLine octets.
	MaxClientInput = 256 << 10
)

// ClientConfig configures a Client. NewClient copies it.
type ClientConfig struct {
	// Protocol is SMTP (the zero value) or LMTP (RFC 2033): LHLO instead
	// of EHLO, and one reply per accepted recipient after the message.
	Protocol Protocol
	// Hostname is the argument of EHLO, HELO or LHLO: a domain or an
	// address literal (RFC 5321 section 4.1.1.1). Required.
	Hostname string
	// TLS says the connection is already under TLS (implicit TLS, port
	// 465, RFC 8314 section 3): STARTTLS is then refused.
	TLS bool
	// Permissive turns off every check of the phase and the advertised
	// extensions, and writes each command at once, without holding it for
	// pipelining: the caller controls the byte stream, as a conformance
	// test that sends illegal sequences needs. Raw and RawBytes work only
	// here. Serializers still refuse CR, LF and NUL inside a command.
	Permissive bool
	// AllowInsecureAuth lets Auth use a mechanism that reveals a reusable
	// secret (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER; auth.Cleartext) on a
	// connection without TLS. Off by default (RFC 4954 section 4).
	AllowInsecureAuth bool
	// MaxOutstanding bounds the commands queued and not yet answered,
	// written or held for pipelining (0: DefaultMaxOutstanding). A command
	// past the bound is refused with ErrBusy.
	MaxOutstanding int
	// Timeouts are the reply timeouts of RFC 5321 section 4.5.3.2; zero
	// fields take their defaults.
	Timeouts Timeouts
	// BareLines says what a bare CR or LF in a reply line means; the zero
	// value makes it a fatal server violation (RFC 5321 section 2.3.8).
	BareLines wire.BarePolicy
	// BareData says what a bare CR or LF in a message body given to Body
	// means; the zero value refuses it, and the session fails rather than
	// end a message it cannot send whole (RFC 5321 section 2.3.8).
	BareData wire.BarePolicy
	// MaxReplyLines bounds the lines of one reply (0:
	// reply.DefaultMaxLines). A longer reply is a fatal violation.
	MaxReplyLines int
}

// check validates c and fills in its defaults.
func (c ClientConfig) check() (ClientConfig, error) {
	if c.Protocol > ProtocolLMTP {
		return c, configError("Protocol", "unknown protocol "+strconv.Itoa(int(c.Protocol)))
	}
	if c.Hostname == "" {
		return c, configError("Hostname", "required (RFC 5321 section 4.1.1.1)")
	}
	if _, err := wire.CheckHost([]byte(c.Hostname), false); err != nil {
		return c, configError("Hostname", err.Error())
	}
	if c.MaxOutstanding < 0 {
		return c, configError("MaxOutstanding", "negative bound")
	}
	if c.MaxReplyLines < 0 {
		return c, configError("MaxReplyLines", "negative bound")
	}
	if err := c.Timeouts.Validate(); err != nil {
		return c, configError("Timeouts", err.Error())
	}
	c.Timeouts = c.Timeouts.WithDefaults()
	if c.MaxOutstanding == 0 {
		c.MaxOutstanding = DefaultMaxOutstanding
	}
	if c.MaxReplyLines == 0 {
		c.MaxReplyLines = reply.DefaultMaxLines
	}
	return c, nil
}

// configError reports a ClientConfig field that cannot work.
func configError(field, reason string) error {
	return &ConfigError{Field: field, Reason: reason}
}

// Client is the sans-I/O client side of an SMTP or LMTP session (RFC 5321,
// RFC 2033). The application queues commands with its methods (Hello, Mail,
// Rcpt, Data, Body, EndData, Bdat, StartTLS, Auth, Quit ...), each checked
// against the phase with the legality table (Lookup; the client judges
// itself by the table the server uses) and against what the server
// advertised. The driver moves bytes: Output and Consumed for what to
// write, Receive and ReceiveEOF for what was read, Advance for the clock,
// and Next for the events that replies cause. The Client never reads a
// socket or a clock.
//
// Replies are matched to commands in order (RFC 5321 section 4.2, RFC 2920
// section 3.1). With PIPELINING advertised, commands queued while others
// are unanswered are written together, up to one that must end a group
// (EndsGroup); without it every command waits for the previous reply.
//
// Buffers: the Client copies what Receive and the command methods are
// given; Output and the Text of an event alias internal buffers, valid
// until the next call that changes the Client. After a fatal error, or
// once the session has ended, every method returns the same error. A
// Client is not safe for concurrent use.
type Client struct {
	cfg  ClientConfig
	host []byte

	// conf is the session as the server's replies established it; proj
	// is the session once every queued command succeeds, against which
	// new commands are checked.
	conf, proj clientSession
	// caps is what the last accepted EHLO or LHLO advertised; next is
	// filled while an EHLO reply arrives and swapped in when it succeeds.
	caps, next *wire.Capabilities
	lim        wire.Limits // caps.Limits(), read once per EHLO reply

	// cmds[head:] are the commands awaiting replies, in order: the first
	// nWritten have been written (barriers of them end a pipelined group),
	// the rest are held, their octets in held[heldPos:].
	cmds     []clientCmd
	head     int
	nWritten int
	barriers int
	held     []byte
	heldPos  int

	out    []byte // octets to write: out[outPos:]
	outPos int
	in     []byte // received octets not yet read: in[inPos:]
	inPos  int
	eof    bool
	split  wire.LineSplitter
	enc    wire.DataEncoder

	// The reply being read: its code, enhanced code, text lines joined by
	// "\n", and the number of lines so far.
	code   reply.Code
	enh    reply.Enhanced
	text   []byte
	lines  int
	chal   []byte  // the decoded AUTH challenge
	rcptOK []int32 // indexes of the accepted RCPTs of the transaction
	mails  int     // MAIL commands queued in the session (LIMITS MAILMAX)
	// rcptSeq is the number of Rcpt calls since the last Mail.
	rcptSeq int32

	now        time.Time // the latest Advance
	clock      bool      // Advance was called
	blockStart time.Time // the latest progress while writing a body
	tlsStart   time.Time // when the STARTTLS 220 arrived

	term   bool        // the session is over
	done   bool        // termEv was returned by Next
	termEv ClientEvent // the event that ended the session
	err    error       // why, or nil after an orderly QUIT
	mirror bool        // run by a Checker: no command of the Client's own
}

// clientSession is what the client knows of the server's state: one phase
// and the orthogonal facts that decide which commands may follow.
type clientSession struct {
	phase      Phase
	ehlo       bool // EHLO or LHLO was accepted: extensions are in effect
	tls        bool // the connection is under TLS
	authed     bool // AUTH succeeded (RFC 4954 section 4: only once)
	rcpts      int  // RCPT commands in the transaction
	bdat       bool // the transaction uses BDAT (RFC 3030 section 2)
	bdatFailed bool // a BDAT chunk failed: no more chunks (RFC 3030 section 2)
	utf8       bool // MAIL carried SMTPUTF8 (RFC 6531 section 3.4)
	binary     bool // MAIL carried BODY=BINARYMIME (RFC 3030 section 3)
}

// resetTxn forgets the mail transaction.
func (s *clientSession) resetTxn() {
	s.rcpts, s.bdat, s.bdatFailed, s.utf8, s.binary = 0, false, false, false, false
}

// endTxn ends the mail transaction: the server is back in its ready state
// whatever the end-of-data reply was (RFC 5321 section 4.1.1.4).
func (s *clientSession) endTxn() {
	if s.phase.InTransaction() {
		s.phase = PhaseReady
	}
	s.resetTxn()
}

// NewClient returns a Client waiting for the server's greeting (RFC 5321
// section 3.1). The greeting's timer starts at the first Advance.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg, err := cfg.check()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		host:   []byte(cfg.Hostname),
		caps:   new(wire.Capabilities),
		next:   new(wire.Capabilities),
		cmds:   make([]clientCmd, 0, cfg.MaxOutstanding+4),
		out:    make([]byte, 0, 1024),
		in:     make([]byte, 0, 1024),
		text:   make([]byte, 0, 256),
		rcptOK: make([]int32, 0, 8),
	}
	c.split = wire.LineSplitter{Max: wire.MaxReplyLine, Policy: cfg.BareLines}
	c.enc.Policy = cfg.BareData
	c.conf = clientSession{phase: PhaseGreeting, tls: cfg.TLS}
	c.push(clientCmd{stage: StageGreeting})
	c.release()
	c.project()
	return c, nil
}

// Phase returns the phase the server's replies have established:
// PhaseGreeting before the greeting, PhaseData after a 354 until the reply
// to the end of the data, PhaseAuth between a 334 and the response,
// PhaseTLS between the 220 to STARTTLS and TLSStarted, PhaseClosed at the
// end. Commands are checked against the phase the session will be in once
// every queued command has succeeded.
func (c *Client) Phase() Phase {
	if c.term {
		return PhaseClosed
	}
	return c.conf.phase
}

// Err returns the error that ended the session, or nil while it runs and
// after an orderly QUIT. It wraps ErrClosed (421 received, connection
// lost), ErrTimeout, ErrBusy or ErrProtocol (a *Violation by the server),
// or is the error of a body that could not be encoded.
func (c *Client) Err() error { return c.err }

// Capabilities returns what the server advertised in its reply to the
// last accepted EHLO or LHLO; it is empty before that, after HELO and after
// STARTTLS (RFC 3207 section 4.2) or XCLIENT reset the session. The value
// belongs to the Client and changes with the next EHLO reply.
func (c *Client) Capabilities() *wire.Capabilities { return c.caps }

// Outstanding returns the number of commands queued and not yet answered,
// the greeting included: while it is above zero the driver reads.
func (c *Client) Outstanding() int { return len(c.cmds) - c.head }

// IsTLS reports whether the session runs under TLS: implicit TLS, or
// after TLSStarted.
func (c *Client) IsTLS() bool { return c.conf.tls }

// IsAuthenticated reports whether AUTH succeeded in this session.
func (c *Client) IsAuthenticated() bool { return c.conf.authed }

// closedErr is what a method returns once the session is over.
func (c *Client) closedErr() error {
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

// seqError reports a command that is not legal in phase p under rule.
func seqError(what string, p Phase, rule string) error {
	return fmt.Errorf("%w: %s in phase %s (%s)", ErrBadSequence, what, p, rule)
}

// notAdvertised reports a command or parameter the server did not offer.
func notAdvertised(what, rule string) error {
	return fmt.Errorf("%w: %s (%s)", ErrNotAdvertised, what, rule)
}
