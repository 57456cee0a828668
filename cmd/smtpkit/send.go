package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/wire"
)

// sendCommand is "smtpkit send": one message to one server, with a
// result per recipient.
var sendCommand = &command{
	name:    "send",
	summary: "send one message and show what the server said about each recipient (swaks-like)",
	usage:   "[flags] --to ADDRESS... [--file FILE | --subject TEXT --body TEXT --attach FILE...]",
	help: `
Connects to an SMTP, submission or LMTP server, starts TLS and authenticates
as configured, sends one message, and prints one line per recipient: ok or
FAIL, the address, and the reply that decided (code, enhanced status code,
text), then the server's final reply, which usually names the queue ID.

The message is either a raw RFC 5322 message, from --file FILE or from
standard input (--file -, or when none of --subject, --body and --attach is
given; bare LF line ends are sent as CRLF), or one built from --subject,
--body and --attach: Date, Message-ID, From, To, Subject (RFC 2047 words
when not ASCII), a UTF-8 text/plain body (7bit, 8bit when the server offers
8BITMIME, or quoted-printable) and, with attachments, multipart/mixed with
base64 parts typed by file extension.

Flags win over the environment: SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS
and SMTP_SECURE (true: implicit TLS). A password never goes on the command
line: it is read from SMTP_PASS or from the variable --password-env names.
--from defaults to the login name (--user or SMTP_USER) when that is an
address. --provider fills in the server, port and TLS mode of a common
service (its implicit TLS port under --tls implicit), and the fixed user
name where the service has one; an explicit --server or --tls wins over it,
and it wins over SMTP_HOST, SMTP_PORT and SMTP_SECURE:
` + providerHelp() + `
Exit status: 0 when every recipient got the message; 1 when the server
refused the message or some recipients, or the session broke after the
message was offered; 2 for a command-line mistake; 3 when the message was
never offered: no connection, a TLS, greeting or authentication failure, a
file that cannot be read.

examples:
  # a local "smtpkit serve" (STARTTLS with the test CA it writes)
  smtpkit send --server 127.0.0.1:2525 --ca smtpkit-mail/smtpkit-ca.pem \
      --from alice@example.org --to bob@example.net --subject hi --body hello

  # Gmail with an app password, read without echo into SMTP_PASS
  read -rs SMTP_PASS && export SMTP_PASS
  SMTP_USER=me@gmail.com smtpkit send --provider gmail --to friend@example.net \
      --subject Report --body "See the attachment." --attach report.pdf

  # a raw message through a submission server, with a C:/S: transcript
  smtpkit send --server mail.example.com:587 --user alice --password-env MAIL_PW \
      --from alice@example.com --to bob@example.net --file message.eml --trace

  # LMTP to a local delivery agent, two recipients, a JSON result
  smtpkit send --lmtp --server 127.0.0.1:24 --tls off --from a@example.org \
      --to bob@example.org --to carol@example.org --json < message.eml

  # Amazon SES in eu-west-1 with its SMTP credentials
  SMTP_USER=AKIAEXAMPLE SMTP_PASS=... smtpkit send --provider ses:eu-west-1 \
      --from noreply@example.com --to bob@example.net --subject hi --body hello`,
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		var o sendOptions
		o.register(fs)
		return func(ctx context.Context, args []string) int {
			if len(args) > 0 {
				return fail(sio, "send", usagef("unexpected argument %q (recipients go in --to, the message in --file)", args[0]), exitUsage)
			}
			o.given = map[string]bool{}
			fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
			return o.run(ctx, sio)
		}
	},
}

// sendOptions are send's flags.
type sendOptions struct {
	dial     dialFlags
	provider string
	from     string
	to       stringList
	file     string
	subject  string
	body     string
	attach   stringList
	trace    bool
	json     bool
	timeout  time.Duration
	// given holds the names of the flags set on the command line.
	given map[string]bool
}

// register defines send's flags on fs: the shared connection flags of
// dialFlags and the message's.
func (o *sendOptions) register(fs *flag.FlagSet) {
	o.dial.register(fs)
	fs.StringVar(&o.provider, "provider", "", "fill in server, port and TLS mode for a `service`: "+providerNames()+" (mailgun:eu for Mailgun's EU region)")
	fs.StringVar(&o.from, "from", "", "sender `address` for MAIL FROM and the From header (default: --user or SMTP_USER when it is an address; <> for the null sender with a raw message)")
	fs.Var(&o.to, "to", "recipient `address` (repeatable, or a comma-separated list)")
	fs.StringVar(&o.file, "file", "", "raw RFC 5322 message `file` to send (- for standard input, the default when no --subject, --body or --attach is given)")
	fs.StringVar(&o.subject, "subject", "", "compose a message with this `text` as its Subject")
	fs.StringVar(&o.body, "body", "", "compose a message with this `text` as its body")
	fs.Var(&o.attach, "attach", "attach this `file` to the composed message (repeatable)")
	fs.BoolVar(&o.trace, "trace", false, "write the C:/S: transcript to standard error (AUTH redacted, message content as its length)")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this `duration` in all (0: only the reply timeouts of RFC 5321 section 4.5.3.2 apply)")
}

// sendJob is a send command resolved and its input read, ready to connect.
type sendJob struct {
	addr string
	opts []client.Option
	from string   // the reverse path, "" for the null sender
	to   []string // the forward paths
	// raw is the raw message; nil when comp builds it.
	raw  []byte
	comp *composition
}

// run sends the message and returns the exit code.
func (o *sendOptions) run(ctx context.Context, sio *stdio) int {
	rep := &sendReport{Protocol: "smtp", Recipients: []rcptReport{}}
	if o.dial.lmtp {
		rep.Protocol = "lmtp"
	}
	job, err := o.prepare(sio, rep)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return fail(sio, "send", err, exitUsage)
		}
		return o.finish(sio, rep, err, "input", exitOffline)
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	// Files written with LF line ends are common; the client sends them
	// as CRLF (RFC 5321 section 2.3.8) instead of refusing them.
	opts := append(job.opts, client.WithBareLines(wire.BareNormalize))
	if o.trace {
		opts = append(opts, client.WithDebug(sio.err))
	}
	c, err := client.Dial(ctx, job.addr, opts...)
	if err != nil {
		return o.finish(sio, rep, err, "connect", exitOffline)
	}
	rep.TLS = tlsReportOf(c)
	rep.Authenticated = c.IsAuthenticated()
	msg, params := job.raw, wire.MailParams{}
	eightBit := c.Capabilities().Has(wire.Ext8BITMIME)
	if job.comp != nil {
		var uses8bit bool
		if msg, uses8bit, err = job.comp.build(eightBit); err != nil {
			c.Quit(ctx)
			return o.finish(sio, rep, err, "input", exitOffline)
		}
		eightBit = uses8bit
	} else {
		eightBit = eightBit && hasHighBit(msg)
	}
	if eightBit {
		params.Body = wire.Body8BitMIME // RFC 6152 section 3
	}
	res, err := c.Send(ctx, client.Envelope{From: job.from, To: job.to, Params: params}, bytes.NewReader(msg))
	if qerr := c.Quit(ctx); qerr != nil {
		c.Close()
	}
	if res != nil {
		rep.fill(res, o.dial.lmtp)
	}
	if se := (*client.SendError)(nil); errors.As(err, &se) && se.Reply != nil {
		// The reply that refused the whole message, rather than the
		// refusal of DATA or BDAT that follows it (RFC 2920 section 3.1).
		rep.Reply = &replyReport{Code: int(se.Reply.Code), Enhanced: enhancedText(se.Reply.Enhanced), Text: se.Reply.Text}
	}
	if err != nil {
		return o.finish(sio, rep, err, "send", exitFailed)
	}
	if res.Delivered() != len(res.Recipients) {
		return o.finish(sio, rep, errNotAllDelivered, "send", exitFailed)
	}
	return o.finish(sio, rep, nil, "", exitOK)
}

// errNotAllDelivered reports a transaction that ended without an error but
// not with every recipient delivered; the client reports that as a
// *client.SendError, so this is a safeguard.
var errNotAllDelivered = errors.New("not every recipient got the message")

// prepare resolves the flags and the environment and reads the input.
// Command-line mistakes come back as *usageError; rep gets the server and
// the addresses as soon as they are known.
func (o *sendOptions) prepare(sio *stdio, rep *sendReport) (*sendJob, error) {
	getenv := sio.getenv
	if o.timeout < 0 {
		return nil, usagef("--timeout must not be negative")
	}
	d := o.dial
	if o.provider != "" {
		p, err := lookupProvider(o.provider)
		if err != nil {
			return nil, err
		}
		if err := p.apply(&d, getenv); err != nil {
			return nil, err
		}
	}
	to, err := parseRecipients(o.to)
	if err != nil {
		return nil, err
	}
	from, err := o.sender(&d, getenv)
	if err != nil {
		return nil, err
	}
	job := &sendJob{to: make([]string, len(to))}
	for i, a := range to {
		job.to[i] = a.Address
		rep.Recipients = append(rep.Recipients, rcptReport{Addr: a.Address})
	}
	if from != nil {
		job.from = from.Address
	}
	rep.From = job.from
	compose := o.given["subject"] || o.given["body"] || o.given["attach"]
	if compose {
		if o.given["file"] {
			return nil, usagef("--file and --subject, --body or --attach do not go together: send a raw message or compose one")
		}
		if from == nil {
			return nil, usagef("the null sender <> needs a raw message (--file): a composed message needs a From address")
		}
		if err := checkSubject(o.subject); err != nil {
			return nil, err
		}
	}
	if job.addr, job.opts, err = d.options(getenv); err != nil {
		return nil, err
	}
	rep.Server = job.addr
	if !compose {
		if job.raw, err = readMessage(o.file, sio.in); err != nil {
			return nil, err
		}
		return job, nil
	}
	atts, err := loadAttachments(o.attach)
	if err != nil {
		return nil, err
	}
	job.comp = &composition{
		From: from, To: to, Subject: o.subject, Body: o.body, Attachments: atts,
		Date: time.Now(), MessageID: newMessageID(messageIDDomain(from.Address)),
	}
	// Build once now so a message that cannot be written fails before
	// connecting; run builds it again knowing whether 8bit may be used.
	if _, _, err := job.comp.build(false); err != nil {
		return nil, err
	}
	return job, nil
}

// sender returns the sender's address from --from, or from the login name
// when it is an address; nil for the null reverse path "<>" (RFC 5321
// section 4.5.5).
func (o *sendOptions) sender(d *dialFlags, getenv func(string) string) (*mail.Address, error) {
	from := strings.TrimSpace(o.from)
	if from == "<>" {
		return nil, nil
	}
	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil {
			return nil, usagef("--from %q: %v", from, err)
		}
		return a, nil
	}
	user := d.user
	if user == "" {
		user = getenv("SMTP_USER")
	}
	if user == "" {
		return nil, usagef("no sender: give --from ADDRESS")
	}
	a, err := mail.ParseAddress(user)
	if err != nil {
		return nil, usagef("no sender: give --from ADDRESS (the login name %q is not an address)", user)
	}
	return a, nil
}

// parseRecipients reads the --to values; each may be a comma-separated
// address-list (RFC 5322 section 3.4).
func parseRecipients(values []string) ([]*mail.Address, error) {
	var out []*mail.Address
	for _, v := range values {
		list, err := mail.ParseAddressList(v)
		if err != nil {
			return nil, usagef("--to %q: %v", v, err)
		}
		out = append(out, list...)
	}
	if len(out) == 0 {
		return nil, usagef("no recipient: give --to ADDRESS (repeatable)")
	}
	return out, nil
}

// readMessage reads the raw message from file, or from stdin when file is
// "" or "-". An empty message is a *usageError.
func readMessage(file string, stdin io.Reader) ([]byte, error) {
	var msg []byte
	var err error
	if file == "" || file == "-" {
		if stdin == nil {
			return nil, usagef("no message: give --file FILE, or --subject and --body")
		}
		if msg, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("reading the message from standard input: %w", err)
		}
		if len(msg) == 0 {
			return nil, usagef("no message: standard input is empty (give --file FILE, or --subject and --body)")
		}
		return msg, nil
	}
	if msg, err = os.ReadFile(file); err != nil {
		return nil, fmt.Errorf("--file: %w", err)
	}
	if len(msg) == 0 {
		return nil, usagef("--file %s: the file is empty", file)
	}
	return msg, nil
}

// hasHighBit reports whether msg has an octet above 127, which needs
// BODY=8BITMIME (RFC 6152 section 3).
func hasHighBit(msg []byte) bool {
	for _, c := range msg {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
