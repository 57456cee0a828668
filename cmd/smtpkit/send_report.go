package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/reply"
)

// sendReport is the outcome of a send, printed as text or, with --json, as
// one JSON object.
type sendReport struct {
	// Server is the address connected to, HOST:PORT.
	Server   string `json:"server,omitempty"`
	Protocol string `json:"protocol"`
	// TLS is what protected the session; absent when it did not open.
	TLS           *tlsReport   `json:"tls,omitempty"`
	Authenticated bool         `json:"authenticated"`
	From          string       `json:"from"`
	Recipients    []rcptReport `json:"recipients"`
	Delivered     int          `json:"delivered"`
	// Reply is the server's final reply: to the end of data (under LMTP
	// the last recipient's), or the reply that refused the whole message;
	// absent when nothing was sent.
	Reply *replyReport `json:"reply,omitempty"`
	Error *errorReport `json:"error,omitempty"`
	// sent reports that the transaction ran.
	sent bool
}

// tlsReport describes the session's protection.
type tlsReport struct {
	// Status is tlsmode.Status in words: "secured", "clear (by policy)",
	// "clear (STARTTLS not offered)", ...
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Cipher  string `json:"cipher,omitempty"`
}

// rcptReport is one recipient's outcome.
type rcptReport struct {
	Addr      string `json:"addr"`
	Delivered bool   `json:"delivered"`
	// Code, Enhanced and Text are the reply that decided (0 and empty when
	// the recipient was never offered).
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
}

// replyReport is one reply.
type replyReport struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
}

// errorReport is why the job did not fully succeed.
type errorReport struct {
	// Stage is where it failed: "input", "connect" or the client step
	// ("dial", "tls", "greeting", "hello", "starttls", "auth"), or "send".
	Stage   string `json:"stage"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// tlsReportOf reads the client's TLS state.
func tlsReportOf(c *client.Client) *tlsReport {
	t := &tlsReport{Status: c.TLSStatus().String()}
	if f := c.TLSFacts(); f != nil {
		t.Version, t.Cipher = f.VersionName(), f.CipherSuiteName()
	}
	return t
}

// fill records the transaction's result. Under SMTP the reply that
// delivers is the one to the end of data (RFC 5321 section 4.2.5), so a
// delivered recipient shows it; under LMTP each recipient has its own
// (RFC 2033 section 4.2).
func (r *sendReport) fill(res *client.Result, lmtp bool) {
	r.sent = true
	if res.Reply.Code != 0 {
		r.Reply = &replyReport{Code: int(res.Reply.Code), Enhanced: enhancedText(res.Reply.Enhanced), Text: res.Reply.Text}
	}
	r.Delivered = res.Delivered()
	for i, rr := range res.Recipients {
		if i >= len(r.Recipients) {
			break
		}
		rep := rr.Reply
		if rr.Delivered && !lmtp {
			rep = res.Reply
		}
		r.Recipients[i] = rcptReport{Addr: rr.Addr, Delivered: rr.Delivered,
			Code: int(rep.Code), Enhanced: enhancedText(rep.Enhanced), Text: rep.Text}
	}
}

// enhancedText writes an enhanced status code, "" when absent.
func enhancedText(e reply.Enhanced) string {
	if e.IsZero() {
		return ""
	}
	return e.String()
}

// writeText prints the report for people: one line per recipient, then the
// summary and the final reply.
func (r *sendReport) writeText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, rc := range r.Recipients {
		status := "FAIL"
		if rc.Delivered {
			status = "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", status, rc.Addr, rc.replyText(r.sent))
	}
	tw.Flush()
	if !r.sent {
		return
	}
	via := []string{strings.ToUpper(r.Protocol)}
	if r.TLS != nil {
		if r.TLS.Version != "" {
			via = append(via, r.TLS.Version)
		} else {
			via = append(via, "no TLS: "+r.TLS.Status)
		}
	}
	if r.Authenticated {
		via = append(via, "authenticated")
	}
	fmt.Fprintf(w, "delivered to %d of %d recipients via %s (%s)\n", r.Delivered, len(r.Recipients), r.Server, strings.Join(via, ", "))
	if r.Reply != nil {
		fmt.Fprintf(w, "reply: %s\n", joinReply(r.Reply.Code, r.Reply.Enhanced, r.Reply.Text))
	}
}

// replyText is the reply column of a recipient's line.
func (rc rcptReport) replyText(sent bool) string {
	switch {
	case rc.Code == 0 && sent:
		return "(no reply)"
	case rc.Code == 0:
		return "(not sent)"
	case !rc.Delivered && rc.Code < 400:
		return joinReply(rc.Code, rc.Enhanced, rc.Text) + " (accepted at RCPT, but the message was not delivered)"
	}
	return joinReply(rc.Code, rc.Enhanced, rc.Text)
}

// joinReply writes a reply on one line: code, enhanced code, text.
func joinReply(code int, enhanced, text string) string {
	parts := []string{fmt.Sprint(code)}
	if enhanced != "" {
		parts = append(parts, enhanced)
	}
	if text != "" {
		parts = append(parts, strings.Join(strings.Fields(text), " "))
	}
	return strings.Join(parts, " ")
}

// finish prints the report, and the error with its hint on standard error,
// and returns code.
func (o *sendOptions) finish(sio *stdio, rep *sendReport, err error, stage string, code int) int {
	if err != nil {
		rep.Error = describeError(err, stage)
	}
	if o.json {
		enc := json.NewEncoder(sio.out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			fmt.Fprintf(sio.err, "smtpkit send: writing the result: %v\n", jerr)
		}
	} else {
		rep.writeText(sio.out)
	}
	if rep.Error != nil {
		fmt.Fprintf(sio.err, "smtpkit send: %s\n", rep.Error.Message)
		if rep.Error.Hint != "" {
			fmt.Fprintf(sio.err, "hint: %s\n", rep.Error.Hint)
		}
	}
	return code
}

// describeError splits err into a message and a hint saying what to
// change, for the client's errors: *client.SendError and *client.Error
// carry their own hints, *client.SizeError and *client.AddressError get
// one here.
func describeError(err error, stage string) *errorReport {
	e := &errorReport{Stage: stage, Message: err.Error()}
	var (
		se *client.SendError
		ce *client.Error
		ze *client.SizeError
		ae *client.AddressError
	)
	switch {
	case errors.As(err, &se):
		e.Hint = se.Hint
	case errors.As(err, &ce):
		e.Hint = ce.Hint
		if stage == "connect" {
			e.Stage = ce.Op
		}
	case errors.As(err, &ze):
		e.Hint = fmt.Sprintf("the server takes messages of at most %d octets (SIZE, RFC 1870): send a smaller message or fewer attachments", ze.Max)
	case errors.As(err, &ae):
		if errors.Is(err, client.ErrNeedsSMTPUTF8) {
			e.Hint = "the server does not offer SMTPUTF8 (RFC 6531): use an ASCII address"
		} else {
			e.Hint = "the domain is not a valid internationalized domain name (IDNA, RFC 5891)"
		}
	}
	if e.Hint != "" {
		e.Message = strings.Replace(e.Message, " (hint: "+e.Hint+")", "", 1)
	}
	e.Message, e.Hint = cliWords.Replace(e.Message), cliWords.Replace(e.Hint)
	return e
}

// cliWords rewrites the advice of the client and tlsmode packages, written
// for Go programs (WithAuth, tls.Config.RootCAs), in terms of send's flags.
var cliWords = strings.NewReplacer(
	"configure credentials with WithAuth", "give --user and the password in SMTP_PASS (or the variable --password-env names)",
	"configure WithAuth and a TLS mode", "give --user with a password, and --tls starttls or implicit",
	"(WithServerName)", "(--server with that name)",
	"(WithTLSConfig RootCAs)", "(--ca FILE)",
	"(WithInsecureAuth allows them in clear)", "(--insecure-auth allows them in clear)",
	"add the issuing CA to tls.Config.RootCAs", "give the issuing CA with --ca FILE",
)
