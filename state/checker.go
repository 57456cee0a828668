package state

import (
	"bytes"
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the Checker: its configuration, its inputs and its
// report. How it reads the two streams is in checker_client.go (the
// client's octets, through a shadow Server) and checker_server.go (the
// server's octets, through a shadow Client).

// CheckerConfig configures a Checker.
type CheckerConfig struct {
	// Protocol is SMTP (the zero value) or LMTP.
	Protocol Protocol
	// TLS says the session ran inside TLS from its first octet (implicit
	// TLS, RFC 8314 section 3.3).
	TLS bool
	// MaxViolations bounds the violations kept (0: DefaultMaxViolations);
	// past it the Checker stops and says so in Report.Stopped.
	MaxViolations int
}

// DefaultMaxViolations is the bound on the violations a Checker keeps when
// CheckerConfig.MaxViolations is 0.
const DefaultMaxViolations = 100

// Report is what a Checker found.
type Report struct {
	// Violations lists the rules each side broke, in the order they were
	// seen.
	Violations []Violation
	// Diverged, when not empty, says where the server did something the
	// RFCs and the Checker's model of the session disagree on (it accepted
	// a command the model refused, or the reverse). From there on the
	// Checker no longer judges sequencing, only each reply and line on
	// its own.
	Diverged string
	// Stopped, when not empty, says why the Checker stopped reading before
	// the end: a reply it could not match to a command, a malformed reply,
	// too many violations.
	Stopped string
}

// Checker judges an SMTP or LMTP session from the octets both sides wrote,
// in the order they wrote them, and reports every rule either side broke
// as a Violation{Side, Rule, Detail}: the conformance use of the engine.
//
// It runs both machines of this package without enforcing anything. A
// shadow Server reads the client's octets: its own answers are what the
// RFCs require (503 to a command out of sequence, 555 to an unknown
// parameter, 501 to bad syntax ...), its refusals are the client's
// violations, and each decision it would hand to an application is taken
// from the real server's reply. A shadow Client reads the server's
// octets: it assembles and matches replies in order (RFC 2920 section
// 3.1), judges each against the codes its command allows (RFC 5321
// section 4.3.2) and learns the EHLO keywords, which the shadow Server
// then offers. Where the real reply differs from what the shadow Server
// answered by itself, the server broke a rule (a second MAIL accepted, 502
// where 503 is required, 500 where 555 is) or the two models part; see
// Report.Diverged.
//
// Timing rules come from the order of the writes: a client that writes
// before the greeting, behind a command that ends a pipelined group
// (RFC 2920 section 3.1), or anything without PIPELINING before the reply
// it waits for, and octets on either side between the 220 to STARTTLS and
// the TLS handshake (RFC 3207 section 4.2). They also excuse a pipelined
// command that only the replies it was written before made illegal: RCPT
// behind a refused MAIL, DATA or BDAT behind refused RCPTs (RFC 2920
// section 3.1).
//
// A Checker never panics on any input; what it cannot follow it reports
// in Report.Stopped. It is not safe for concurrent use.
type Checker struct {
	cfg CheckerConfig
	srv *Server // the shadow server: reads what the client wrote
	cli *Client // the shadow client: reads what the server wrote

	queue   []expect // replies the client awaits, oldest first
	pend    []byte   // client octets the shadow server cannot take yet
	cOff    int64    // client octets written so far
	flagged int64    // client octets already reported as out of turn
	lastOut int      // the queue entry the shadow's last own reply went to

	responding   bool // inside srv.Respond: its writes are the real reply
	serverSpoke  bool
	quitSent     bool
	clientClosed bool
	serverClosed bool
	tlsPending   bool // the 220 to STARTTLS came; the handshake has not
	shadowDone   bool // the shadow Server ended the session

	// For the commands whose legality hangs on replies the client may not
	// have seen yet (RFC 2920 section 3.1): whether the shadow is reading
	// the server's octets, and of the last command line it read, its verb
	// and whether it read it then (so the client wrote it before that
	// reply); whether the transaction's MAIL was sent, and its RCPTs.
	inServer  bool
	lastVerb  wire.Verb
	lastEarly bool
	mailSent  bool
	rcptsSent int

	report Report
}

// expect is one reply the client awaits, with what the shadow Server made
// of the command.
type expect struct {
	stage    Stage
	verb     wire.Verb
	ends     bool       // the command ends a pipelined group (EndsGroup)
	decision bool       // the shadow asks for the real reply
	own      reply.Code // the shadow's own reply; 0 before it has one
	err      error      // why the shadow refused, with own
	line     string     // the command, shortened, for details
}

// checkerHost names the shadow machines; it appears in no report.
const checkerHost = "checker.invalid"

// NewChecker returns a Checker at the start of a session, before the
// server's greeting.
func NewChecker(cfg CheckerConfig) (*Checker, error) {
	if cfg.Protocol > ProtocolLMTP {
		return nil, &ConfigError{Field: "Protocol", Reason: "unknown protocol " + strconv.Itoa(int(cfg.Protocol))}
	}
	if cfg.MaxViolations < 0 {
		return nil, &ConfigError{Field: "MaxViolations", Reason: "negative bound"}
	}
	if cfg.MaxViolations == 0 {
		cfg.MaxViolations = DefaultMaxViolations
	}
	const unbounded = 1 << 30
	srv, err := NewServer(ServerConfig{
		Protocol: cfg.Protocol, Hostname: checkerHost, TLS: cfg.TLS,
		// EXPN is a core command (RFC 5321 section 4.1.1.7): whatever the
		// server answers comes from the server.
		Extensions:      wire.NewExtSet(wire.ExtEXPN),
		Lenient:         true,
		Sync:            SyncAllow,
		MaxRecipients:   unbounded,
		MaxErrors:       unbounded,
		MaxAuthFailures: unbounded,
	})
	if err != nil {
		return nil, err
	}
	cli, err := NewClient(ClientConfig{
		Protocol: cfg.Protocol, Hostname: checkerHost, TLS: cfg.TLS,
		Permissive: true, AllowInsecureAuth: true, MaxOutstanding: maxCheckerQueue,
	})
	if err != nil {
		return nil, err
	}
	k := &Checker{cfg: cfg, srv: srv, cli: cli}
	srv.tap = k
	cli.mirror = true
	k.queue = append(k.queue, expect{stage: StageGreeting, ends: true})
	k.pump()
	return k, nil
}

// maxCheckerQueue bounds the commands a Checker follows at once.
const maxCheckerQueue = 4096

// ClientWrote takes one write of the client, as it went on the wire.
func (k *Checker) ClientWrote(p []byte) {
	if k.report.Stopped != "" || len(p) == 0 {
		return
	}
	start := k.cOff
	k.cOff += int64(len(p))
	if k.clientClosed {
		k.stop("client octets after the client closed its side")
		return
	}
	k.checkTurn(start)
	if k.tlsPending {
		// Held until the handshake, where they are reported and dropped.
		k.pend = append(k.pend, p...)
		return
	}
	k.pend = append(k.pend, p...)
	k.pump()
}

// ServerWrote takes one write of the server, as it went on the wire.
func (k *Checker) ServerWrote(p []byte) {
	if k.report.Stopped != "" || len(p) == 0 {
		return
	}
	k.serverSpoke = true
	if k.cli.term {
		k.server("RFC 5321 3.8", strconv.Itoa(len(p))+" octets after the reply that ended the session", nil)
		k.stop("the server wrote after the session ended")
		return
	}
	if k.tlsPending {
		k.server("RFC 3207 4.2", strconv.Itoa(len(p))+
			" octets after the 220 reply to STARTTLS, before the TLS handshake (response injection)", nil)
	}
	k.cli.Receive(p)
	k.inServer = true
	k.replies()
	k.inServer = false
}

// StartedTLS takes the TLS handshake that follows a 220 reply to STARTTLS
// (the "-- TLS" line of a transcript).
func (k *Checker) StartedTLS() {
	if k.report.Stopped != "" {
		return
	}
	if !k.tlsPending {
		k.stop("a TLS handshake without a 220 reply to STARTTLS")
		return
	}
	k.tlsPending = false
	if n := len(k.pend); n > 0 {
		// RFC 3207 section 4.2: written in clear after STARTTLS and
		// before the handshake; a server must never read them.
		k.client("RFC 3207 4.2", strconv.Itoa(n)+" octets sent after STARTTLS, before the TLS handshake", nil)
		k.pend = k.pend[:0]
	}
	_ = k.srv.TLSStarted()
	_ = k.cli.TLSStarted()
	k.pump()
}

// Closed takes the end of side's stream: a close, or a half-close.
func (k *Checker) Closed(side Side) {
	if k.report.Stopped != "" {
		return
	}
	switch side {
	case SideClient:
		if k.clientClosed {
			return
		}
		k.clientClosed = true
		if !k.quitSent && !k.cli.term {
			// RFC 5321 section 4.1.1.10: the sender MUST NOT close
			// before it sent QUIT.
			k.client("RFC 5321 4.1.1.10", "the client closed the connection without QUIT", nil)
		}
		if !k.tlsPending {
			k.srv.ReceiveEOF()
			k.pump()
		}
	case SideServer:
		if k.serverClosed {
			return
		}
		k.serverClosed = true
		if !k.cli.term && !k.clientClosed {
			// RFC 5321 section 3.8: a server closes only after QUIT or
			// with 421, unless the client went first.
			k.server("RFC 5321 3.8", "the server closed the connection without 221 to QUIT or 421", nil)
		}
	}
}

// Report returns what the Checker found so far. The slice is the
// Checker's; it grows as the Checker reads on.
func (k *Checker) Report() Report { return k.report }

// Check runs a Checker over a transcript and returns its report.
func Check(t *Transcript, cfg CheckerConfig) (Report, error) {
	k, err := NewChecker(cfg)
	if err != nil {
		return Report{}, err
	}
	for _, st := range t.Steps {
		switch st.Kind {
		case StepData:
			if st.Side == SideClient {
				k.ClientWrote(st.Data)
			} else if st.Side == SideServer {
				k.ServerWrote(st.Data)
			}
		case StepTLS:
			k.StartedTLS()
		case StepClose, StepEOF:
			k.Closed(st.Side)
		}
	}
	return k.Report(), nil
}

// client records a violation of the client.
func (k *Checker) client(rule, detail string, err error) { k.add(SideClient, rule, detail, err) }

// server records a violation of the server.
func (k *Checker) server(rule, detail string, err error) { k.add(SideServer, rule, detail, err) }

func (k *Checker) add(side Side, rule, detail string, err error) {
	if k.report.Stopped != "" {
		return
	}
	if len(k.report.Violations) >= k.cfg.MaxViolations {
		k.stop("more than " + strconv.Itoa(k.cfg.MaxViolations) + " violations")
		return
	}
	k.report.Violations = append(k.report.Violations, Violation{Side: side, Rule: rule, Detail: detail, Err: err})
}

// stop ends the checking with why.
func (k *Checker) stop(why string) {
	if k.report.Stopped == "" {
		k.report.Stopped = why
	}
}

// diverge records that the models part, once.
func (k *Checker) diverge(why string) {
	if k.report.Diverged == "" {
		k.report.Diverged = why
	}
}

// shorten returns line as a string of at most 60 octets, for details.
func shorten(line []byte) string {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > 60 {
		return strconv.Quote(string(line[:57]) + "...")
	}
	return strconv.Quote(string(line))
}
