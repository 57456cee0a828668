package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds checkSends, which holds each Send of a FuzzClientSession
// run to what the oracle read: the envelope written is the one given, the
// content decodes to the body given (RFC 5321 section 4.5.2 for DATA, RFC
// 3030 section 2 for BDAT), and the Result claims no delivery the replies
// did not make.

// canonicalBody returns the content a text body must arrive as: every bare CR
// or LF made CRLF (RFC 5321 section 2.3.8) and a CRLF added to a last line
// without one (section 4.1.1.4). A binary body (RFC 3030 section 3)
// arrives as it is.
func canonicalBody(body []byte, binary bool) []byte {
	if binary {
		return body
	}
	var out []byte
	for i := 0; i < len(body); i++ {
		switch {
		case body[i] == '\r' && i+1 < len(body) && body[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case body[i] == '\r' || body[i] == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, body[i])
		}
	}
	if len(out) > 0 && !bytes.HasSuffix(out, lineEnd) {
		out = append(out, '\r', '\n')
	}
	return out
}

// hasBare reports a bare CR or LF in body.
func hasBare(body []byte) bool {
	return bytes.Count(body, []byte{'\r'}) != bytes.Count(body, lineEnd) ||
		bytes.Count(body, []byte{'\n'}) != bytes.Count(body, lineEnd)
}

// hasHigh reports an octet above 127 in body.
func hasHigh(body []byte) bool {
	for _, c := range body {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// sameAddr reports whether the path mailbox got is the address want, with
// its U-label domain written as its A-label when SMTPUTF8 is not used
// (RFC 6531 section 3.2, RFC 5891).
func sameAddr(got []byte, want string) bool {
	return string(got) == want || string(got) == strings.Replace(want, idnaDomain, idnaALabel, 1)
}

// checkSends checks every Send of run against the oracle's reading.
func checkSends(o *clientOracle, run *sessionRun) []string {
	var problems []string
	for _, c := range run.calls {
		if !strings.HasPrefix(c.name, "send") {
			continue
		}
		for _, p := range checkSend(o, run, &c) {
			problems = append(problems, c.name+": "+p)
		}
	}
	return problems
}

// sendView is what the oracle saw of one Send.
type sendView struct {
	mail     *clientUnit
	rcpts    []*clientUnit
	final    *clientUnit // the DATA content or the BDAT LAST chunk
	content  []byte      // what arrived, decoded
	ended    bool        // the content was ended (CRLF "." CRLF or BDAT LAST)
	accepted []int       // the recipients the replies accepted, by index
}

// sendViewOf collects the units the client wrote during the call.
func sendViewOf(o *clientOracle, c *callRecord) (sendView, []string) {
	var v sendView
	var problems []string
	for i := range o.units {
		u := &o.units[i]
		if u.start < c.from || u.start >= c.to {
			continue
		}
		switch {
		case u.kind == unitCommand && u.verb == wire.VerbMAIL:
			if v.mail != nil {
				problems = append(problems, "two MAIL commands in one Send")
			}
			v.mail = u
		case v.mail == nil || u.mail < 0 || &o.units[u.mail] != v.mail:
		case u.kind == unitCommand && u.verb == wire.VerbRCPT:
			v.rcpts = append(v.rcpts, u)
		case u.kind == unitBody:
			v.final, v.content, v.ended = u, u.data, u.ended
		case u.kind == unitCommand && u.verb == wire.VerbBDAT:
			v.content = append(v.content, u.data...)
			if u.cmd.Last {
				v.final, v.ended = u, true
			}
		}
	}
	if v.mail != nil && o.okReply(v.mail) {
		for k, u := range v.rcpts {
			if o.okReply(u) {
				v.accepted = append(v.accepted, k)
			}
		}
	}
	return v, problems
}

// checkSend checks one Send.
func checkSend(o *clientOracle, run *sessionRun, c *callRecord) []string {
	if c.res == nil {
		if c.err == nil {
			return []string{"no Result and no error"}
		}
		if c.to != c.from {
			return []string{"wrote octets and returned no Result: " + c.err.Error()}
		}
		return nil
	}
	v, problems := sendViewOf(o, c)
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	res, env := c.res, &c.env
	if len(res.Recipients) != len(env.To) {
		return append(problems, fmt.Sprintf("%d recipient results for %d recipients", len(res.Recipients), len(env.To)))
	}
	if v.mail != nil && !sameAddr(v.mail.cmd.Path.Mailbox, env.From) {
		add("MAIL names %q, not %q", v.mail.cmd.Path.Mailbox, env.From)
	}
	if len(v.rcpts) > len(env.To) {
		add("%d RCPT commands for %d recipients", len(v.rcpts), len(env.To))
	}
	for k, u := range v.rcpts {
		if k < len(env.To) && !sameAddr(u.cmd.Path.Mailbox, env.To[k]) {
			add("RCPT %d names %q, not %q", k, u.cmd.Path.Mailbox, env.To[k])
		}
	}
	problems = append(problems, checkContent(&v, run, c)...)
	problems = append(problems, checkClaims(o, &v, run, c)...)
	var se *client.SendError
	switch {
	case c.err == nil:
		if res.Delivered() != len(env.To) {
			add("no error, yet %d of %d recipients delivered", res.Delivered(), len(env.To))
		}
	case errors.As(c.err, &se) && se == c.err:
		failed := map[string]bool{}
		for _, f := range se.Failed {
			failed[f.Addr] = true
		}
		for _, r := range res.Recipients {
			if failed[r.Addr] == r.Delivered {
				add("recipient %s: delivered %v, listed as failed %v", r.Addr, r.Delivered, failed[r.Addr])
			}
		}
	}
	return problems
}

// checkContent checks the message content the client wrote.
func checkContent(v *sendView, run *sessionRun, c *callRecord) []string {
	if v.content == nil && !v.ended {
		return nil
	}
	var problems []string
	want := canonicalBody(c.body, c.env.Binary)
	if v.final != nil && v.final.kind == unitBody && len(v.accepted) == 0 {
		// RFC 2920 section 3.1: with no recipient, the 354 gets an empty message.
		want = nil
	}
	switch {
	case v.ended && !bytes.Equal(v.content, want):
		problems = append(problems, fmt.Sprintf("content %q arrived for the body %q", v.content, want))
	case !v.ended && !bytes.HasPrefix(want, v.content):
		problems = append(problems, fmt.Sprintf("content %q is not a start of the body %q", v.content, want))
	}
	if !v.ended || len(want) == 0 || c.env.Binary {
		return problems
	}
	if hasBare(c.body) && run.flags&flagNormalize == 0 {
		problems = append(problems, "a body with a bare CR or LF was sent whole (RFC 5321 section 2.3.8)")
	}
	if p, err := wire.DecodeMailParams(v.mail.cmd.Params, ^wire.ExtSet(0)); hasHigh(c.body) &&
		(err != nil || p.Body != wire.Body8BitMIME) {
		problems = append(problems, "8-bit content without BODY=8BITMIME (RFC 6152 section 3)")
	}
	return problems
}

// checkClaims holds the Result to the replies: a recipient is delivered
// only when its RCPT and its MAIL got 2yz and so did the end of the
// message (RFC 5321 section 4.2.5), under LMTP its own reply to it (RFC
// 2033 section 4.2); in a transaction that ran to its end, a refused
// recipient carries its RCPT reply's code.
func checkClaims(o *clientOracle, v *sendView, run *sessionRun, c *callRecord) []string {
	var problems []string
	res := c.res
	var se *client.SendError
	finished := c.err == nil || errors.As(c.err, &se) && se == c.err // the transaction ran to its end
	for i, r := range res.Recipients {
		if !r.Delivered {
			if finished && v.mail != nil && o.okReply(v.mail) && i < len(v.rcpts) {
				if rr, ok := o.reply(v.rcpts[i], 0); ok && rr.code.IsNegative() && r.Reply.Code != rr.code {
					problems = append(problems, fmt.Sprintf("recipient %s refused with %d, reported %d", r.Addr, rr.code, r.Reply.Code))
				}
			}
			continue
		}
		at := -1
		for k, a := range v.accepted {
			if a == i {
				at = k
			}
		}
		if at < 0 {
			problems = append(problems, fmt.Sprintf("recipient %s reported delivered, but its MAIL or RCPT was not accepted", r.Addr))
			continue
		}
		if v.final == nil || !v.ended {
			problems = append(problems, fmt.Sprintf("recipient %s reported delivered, but the message was never ended", r.Addr))
			continue
		}
		k := 0
		if run.flags&flagLMTP != 0 {
			k = at
		}
		fr, ok := o.reply(v.final, k)
		if !ok || !fr.code.IsPositive() {
			problems = append(problems, fmt.Sprintf("recipient %s reported delivered, but the end of the message got %d", r.Addr, fr.code))
			continue
		}
		if run.flags&flagLMTP == 0 && !r.Reply.Code.IsPositive() {
			problems = append(problems, fmt.Sprintf("recipient %s delivered with the reply %v", r.Addr, r.Reply))
		}
	}
	return problems
}
