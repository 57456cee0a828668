package state

import (
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// EventKind says what a Server event reports. The zero value, EventNone,
// means the machine needs more input (or, after the session ended, has
// nothing more to say).
type EventKind uint8

// Server events. The kinds marked "decision" are pending: the machine waits
// for the application's Respond (or Challenge, for AUTH) before it reads on,
// and Next returns the same event until then. The others are notices.
const (
	EventNone EventKind = iota
	// EventConnect (decision): the session begins; the reply is the
	// greeting. 220 opens the session, 554 refuses it (RFC 5321 section 3.1:
	// the server then answers 503 to all but QUIT), 421 closes it.
	EventConnect
	// EventHello (decision): HELO, EHLO or LHLO (Command.Verb,
	// Command.Domain). A 2yz reply accepts it and the machine writes the
	// reply itself (the EHLO keyword list, RFC 5321 section 4.1.1.1),
	// taking the reply's text, if any, as the greeting text; accepting it
	// ends any open transaction, as RSET does (section 4.1.4). Any other
	// reply leaves the session as it was.
	EventHello
	// EventMail (decision): MAIL (Command.Path, Mail). 2yz opens a
	// transaction.
	EventMail
	// EventRcpt (decision): RCPT (Command.Path, Rcpt). 250 or 251 adds the
	// recipient.
	EventRcpt
	// EventData (decision): DATA, with at least one recipient accepted.
	// 354 starts the message content; anything else refuses it.
	EventData
	// EventBody (notice): a piece of message content, dot-stuffing removed
	// (DATA) or as sent (BDAT), in Data.
	EventBody
	// EventMessage (decision): the message is complete (end of data, or BDAT
	// LAST) and passed every check of the machine; Size is its size. The
	// reply decides who is responsible for it (RFC 5321 section 4.2.5). Under
	// LMTP the event comes once per accepted recipient, in RCPT order, with
	// Recipient and Mailbox set (RFC 2033 section 4.2).
	EventMessage
	// EventAuth (decision): AUTH (Command.Mechanism), with the decoded
	// initial response in Data when Command.HasInitialResponse. Answer
	// with Challenge to continue, 235 to accept, or a 4yz/5yz reply.
	EventAuth
	// EventAuthResponse (decision): the client's decoded answer to the last
	// challenge, in Data.
	EventAuthResponse
	// EventAuthAbort (notice): the client cancelled the exchange with "*"
	// (answered 501, RFC 4954 section 4) or broke it; Err says which.
	EventAuthAbort
	// EventStartTLS (notice): the 220 reply to STARTTLS is in Output. Write
	// it, run the TLS handshake on the raw connection, then call TLSStarted
	// or TLSFailed (RFC 3207 section 4.2).
	EventStartTLS
	// EventReset (notice): the open transaction ended without a message:
	// RSET, a refused or broken message, or a new greeting.
	EventReset
	// EventVrfy, EventExpn (decisions): VRFY and EXPN (Command.Arg).
	EventVrfy
	EventExpn
	// EventHelp (decision): HELP (Command.Arg); the default reply lists the
	// commands.
	EventHelp
	// EventEtrn (decision): ETRN (Command.Domain, Command.NodeOption;
	// RFC 1985).
	EventEtrn
	// EventXclient (decision): XCLIENT (XAttrs). The default 220 reply is a
	// new greeting and resets the session (Postfix XCLIENT_README).
	EventXclient
	// EventXforward (decision): XFORWARD (XAttrs).
	EventXforward
	// EventRejected (notice): the machine refused a command or a message by
	// itself with Reply, because of Err (a *wire.SyntaxError, ErrBadSequence,
	// ErrNotAdvertised, ...).
	EventRejected
	// EventClose (notice): the session is over: QUIT was answered, 421 was
	// sent, the input ended or a fatal error happened (Err; nil after QUIT).
	// Write what Output holds, then close the connection.
	EventClose
	numEventKinds
)

var eventKindNames = [...]string{
	EventNone: "none", EventConnect: "connect", EventHello: "hello",
	EventMail: "mail", EventRcpt: "rcpt", EventData: "data",
	EventBody: "body", EventMessage: "message", EventAuth: "auth",
	EventAuthResponse: "auth-response", EventAuthAbort: "auth-abort",
	EventStartTLS: "starttls", EventReset: "reset", EventVrfy: "vrfy",
	EventExpn: "expn", EventHelp: "help", EventEtrn: "etrn",
	EventXclient: "xclient", EventXforward: "xforward",
	EventRejected: "rejected", EventClose: "close",
}

// String returns the kind's name, such as "mail" or "auth-response".
func (k EventKind) String() string {
	if k < numEventKinds {
		return eventKindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// IsDecision reports whether events of kind k wait for the application's
// answer.
func (k EventKind) IsDecision() bool {
	switch k {
	case EventConnect, EventHello, EventMail, EventRcpt, EventData,
		EventMessage, EventAuth, EventAuthResponse, EventVrfy, EventExpn,
		EventHelp, EventEtrn, EventXclient, EventXforward:
		return true
	}
	return false
}

// Event is what the Server reports from Next. Which fields are set depends
// on Kind. Every slice, those inside Command included, aliases a buffer of
// the Server and is valid until the next call of Next or Receive; copy what
// must live longer. An Event is a plain value.
type Event struct {
	Kind EventKind
	// Command is the parsed command line of command events.
	Command wire.Command
	// Mail and Rcpt are the decoded parameters of MAIL and RCPT.
	Mail wire.MailParams
	Rcpt wire.RcptParams
	// XAttrs are the attributes of XCLIENT and XFORWARD.
	XAttrs wire.XAttrs
	// Data is message content (EventBody) or a decoded SASL message
	// (EventAuth, EventAuthResponse).
	Data []byte
	// Size is the size in octets of a complete message (EventMessage).
	Size int64
	// Recipient is the index, among the accepted recipients, of the one an
	// LMTP EventMessage is for; Mailbox is its forward-path mailbox.
	Recipient int
	Mailbox   []byte
	// Reply is the reply the machine sent by itself (EventRejected, and
	// the 421 of an EventClose).
	Reply reply.Reply
	// Err says why a command was refused (EventRejected), why an exchange
	// was aborted (EventAuthAbort) or why the session ended (EventClose).
	Err error
}
