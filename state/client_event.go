package state

import (
	"strconv"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// ClientEventKind says what a Client event reports. The zero value,
// ClientEventNone, means the Client needs more input (or, once the session
// has ended and its last event was returned, has nothing more to say).
type ClientEventKind uint8

// Client events.
const (
	ClientEventNone ClientEventKind = iota
	// ClientEventGreeting: the server's greeting. 220 opens the session;
	// a 4yz or 5yz other than 421 refuses it, and the Client queues QUIT
	// by itself (RFC 5321 section 3.1).
	ClientEventGreeting
	// ClientEventReply: the reply to a command; Judgment says what it
	// means. Under LMTP the end of a message gets one per accepted
	// recipient, with Recipient set (RFC 2033 section 4.2). A 220 to
	// STARTTLS (Verdict VerdictStartTLS) means: write what Output holds,
	// run the TLS handshake, then call TLSStarted.
	ClientEventReply
	// ClientEventChallenge: a 334 during AUTH; Text is the decoded
	// challenge. Answer with AuthRespond or AuthCancel (RFC 4954 section
	// 4). When the challenge is not base64 the Client has cancelled the
	// exchange itself, Text is the raw challenge and Err says why.
	ClientEventChallenge
	// ClientEventGoAhead: the 354 to DATA; send the message with Body and
	// EndData (RFC 5321 section 4.1.1.4).
	ClientEventGoAhead
	// ClientEventClosed: the session is over: QUIT was answered (Err nil),
	// 421 was received, or the connection ended (Err wraps ErrClosed;
	// Judgment is JudgeLost's while a reply was awaited). Close the
	// connection; nothing more is written.
	ClientEventClosed
	// ClientEventError: a fatal error ended the session: the server broke
	// the protocol (Err is a *Violation), a reply timed out (ErrTimeout,
	// with JudgeLost's Judgment: act as if 451 had come, RFC 5321 section
	// 3.8), or a body could not be encoded. Close the connection.
	ClientEventError
	numClientEventKinds
)

var clientEventKindNames = [numClientEventKinds]string{
	ClientEventNone:      "none",
	ClientEventGreeting:  "greeting",
	ClientEventReply:     "reply",
	ClientEventChallenge: "challenge",
	ClientEventGoAhead:   "go-ahead",
	ClientEventClosed:    "closed",
	ClientEventError:     "error",
}

// String returns the kind's lower-case name.
func (k ClientEventKind) String() string {
	if k < numClientEventKinds {
		return clientEventKindNames[k]
	}
	return "ClientEventKind(" + strconv.Itoa(int(k)) + ")"
}

// ClientEvent is what Next reports: a reply and what it means for the
// session, or the end of the session.
type ClientEvent struct {
	Kind ClientEventKind
	// Stage is what the reply answers (StageGreeting, StageEndOfData, a
	// command's stage); Verb is the command's verb (VerbDATA for the end of
	// the data, VerbAUTH for each response line, VerbUnknown for the
	// greeting and for raw commands the wire package does not know).
	Stage Stage
	Verb  wire.Verb
	// Code, Enhanced and Text are the reply. Text holds its lines joined by
	// "\n" without the enhanced code (RFC 2034 section 4); for a challenge
	// it is the decoded octets. Text aliases a buffer of the Client and is
	// valid until the next call to the Client.
	Code     reply.Code
	Enhanced reply.Enhanced
	Text     []byte
	// Judgment is Judge(Stage, Code): the verdict the Client acted on,
	// whether the RFCs list the code, and the hints it carries.
	Judgment Judgment
	// Recipient is the index of the recipient a RCPT reply or an LMTP
	// end-of-data reply is about: 0 for the first Rcpt call after Mail, 1
	// for the next, whether or not the earlier ones were accepted; -1 for
	// every other reply.
	Recipient int
	// Auto reports a reply to a command the Client queued by itself: HELO
	// after EHLO was refused, EHLO after STARTTLS, QUIT after a refused
	// greeting, "*" after an undecodable challenge.
	Auto bool
	// Err is set on ClientEventClosed and ClientEventError, and on a
	// ClientEventChallenge the Client cancelled.
	Err error
}

// Reply returns the event's reply as a reply.Reply. It allocates.
func (e ClientEvent) Reply() reply.Reply {
	return reply.Reply{Code: e.Code, Enhanced: e.Enhanced, Text: string(e.Text)}
}

// String describes the event on one line for logs and examples, such as
// "reply RCPT 550 5.1.1 (permanent failure) #1". Control octets of the
// text are not shown; the text is left out.
func (e ClientEvent) String() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Kind.String()...)
	if e.Stage != StageNone {
		b = append(b, ' ')
		b = append(b, e.Stage.String()...)
	}
	if e.Code != 0 {
		b = append(b, ' ')
		b = e.Code.Append(b)
		if !e.Enhanced.IsZero() {
			b = append(b, ' ')
			b = e.Enhanced.Append(b)
		}
	}
	if e.Judgment.Verdict != VerdictNone {
		b = append(b, " ("...)
		b = append(b, e.Judgment.Verdict.String()...)
		b = append(b, ')')
	}
	if e.Recipient >= 0 && e.Kind != ClientEventNone {
		b = append(b, " #"...)
		b = strconv.AppendInt(b, int64(e.Recipient), 10)
	}
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}
