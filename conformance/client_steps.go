package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Server-side steps of the client suite: the tester is a scripted server
// that says replies and checks what the client under test sends.

// Say sends lines as one write, each followed by CRLF; placeholders are
// replaced. A multi-line reply is Say("250-first", "250 last").
func Say(lines ...string) Step {
	desc := "reply " + quoteLine(strings.Join(lines, " / "))
	return step{desc, func(s *Session) error {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(s.Expand(l))
			b.WriteString("\r\n")
		}
		return s.Send([]byte(b.String()))
	}}
}

// Greet sends the 220 greeting (RFC 5321 section 4.3.1).
func Greet() Step { return Say("220 " + ScriptedServerName + " ESMTP conformance suite") }

// HangUp closes the connection from the server's side and ends the
// case's steps: the outcome decides the rest.
func HangUp() Step {
	return step{"close the connection", func(s *Session) error {
		s.rec.Close(s.side)
		_ = s.conn.Close()
		return &clStop{"the server closed the connection"}
	}}
}

// clPattern compiles a command pattern: a regular expression matched
// against the whole line, ignoring case (RFC 5321 section 2.4: verbs are
// not case sensitive), in which {from}, {rcpt}, {rcpt2}, {helo} and
// {domain} stand for the configured values, quoted.
func clPattern(cfg *Config, pattern string) *regexp.Regexp {
	q := func(v string) string { return regexp.QuoteMeta(v) }
	domain := cfg.Rcpt[strings.LastIndexByte(cfg.Rcpt, '@')+1:]
	p := strings.NewReplacer("{helo}", q(cfg.Helo), "{from}", q(cfg.From), "{rcpt}", q(cfg.Rcpt),
		"{rcpt2}", q(cfg.Rcpt2), "{domain}", q(domain)).Replace(pattern)
	return regexp.MustCompile(`^(?i:` + p + `)$`)
}

// ExpectCommand reads one command line from the client and requires it to
// match pattern (see clPattern), for example `MAIL FROM:<{from}>.*`.
func ExpectCommand(pattern string) Step {
	return step{"expect " + quoteLine(pattern), func(s *Session) error {
		line, err := s.ReadCommand()
		if err != nil {
			return clWant(err, pattern)
		}
		if !clPattern(s.cfg, pattern).MatchString(line) {
			return &Failure{Want: "a command matching " + quoteLine(pattern), Got: quoteLine(line)}
		}
		return nil
	}}
}

// On expects a command matching pattern and answers it with the reply
// lines.
func On(pattern string, reply ...string) Step {
	e, r := ExpectCommand(pattern), Say(reply...)
	return step{e.String() + ", " + r.String(), func(s *Session) error {
		if err := e.Run(s); err != nil {
			return err
		}
		return r.Run(s)
	}}
}

// clWant fills in what was wanted in a read failure.
func clWant(err error, want string) error {
	var f *Failure
	if errors.As(err, &f) && f.Want == "" {
		f.Want = "a command matching " + quoteLine(want)
	}
	return err
}

// SayEHLO sends the 250 reply to EHLO with the given keyword lines and
// remembers them as what the server offers (Capabilities), so that later
// steps know whether, say, CHUNKING or SIZE was offered.
func SayEHLO(keywords ...string) Step {
	return step{"reply 250 to EHLO offering " + strings.Join(keywords, ", "), func(s *Session) error {
		lines := append([]string{ScriptedServerName + " greets you"}, keywords...)
		var b strings.Builder
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			b.WriteString("250" + sep + l + "\r\n")
		}
		s.caps.Reset()
		for _, l := range lines {
			_ = s.caps.AddLine([]byte(l))
		}
		s.hasCaps = true
		return s.Send([]byte(b.String()))
	}}
}

// AnswerEHLO expects EHLO with a domain or address literal (RFC 5321
// section 4.1.1.1) and answers with SayEHLO(keywords...).
func AnswerEHLO(keywords ...string) Step {
	e, r := ExpectCommand(`EHLO \S+`), SayEHLO(keywords...)
	return step{e.String() + ", " + r.String(), func(s *Session) error {
		if err := e.Run(s); err != nil {
			return err
		}
		return r.Run(s)
	}}
}

// clOffered reports whether the last SayEHLO offered keyword.
func clOffered(s *Session, keyword string) bool {
	if !s.hasCaps {
		return false
	}
	_, ok := s.caps.Keyword(keyword)
	return ok
}

// Received is a message as the scripted server received it.
type Received struct {
	// Wire is what travelled: the DATA content dot-stuffed, without the
	// final ".\r\n", or the BDAT chunks joined.
	Wire []byte
	// Content is the message: Wire unstuffed (RFC 5321 section 4.5.2), or
	// the chunks joined.
	Content []byte
	// BDAT reports the message came in BDAT chunks (RFC 3030) of Chunks
	// octets each.
	BDAT   bool
	Chunks []int
	// Aborted reports the client closed the connection in the middle of
	// the content.
	Aborted bool
}

// ContentCheck judges a received message.
type ContentCheck func(s *Session, m *Received) error

// clReceiveOpts say what ReceiveMessage also accepts.
type clReceiveOpts struct {
	quiet   bool // wait in silence before 354: no content before it
	mayEnd  bool // the client may end the transaction instead (RSET, QUIT, a close)
	mayStop bool // the client may close in the middle of the content
}

// ReceiveMessage expects DATA, answers 354 and reads the content (RFC 5321
// section 4.1.1.4), or, when the last EHLO reply offered CHUNKING, also
// accepts BDAT chunks (RFC 3030 section 2), answering every chunk but the
// LAST one. check judges the message. The reply to the end of the data is
// the next step's.
func ReceiveMessage(check ContentCheck) Step {
	return clReceiveStep("expect DATA (or BDAT), 354, the message", check, clReceiveOpts{})
}

// ReceiveMessageWaiting is ReceiveMessage that first waits in silence
// after DATA: the client must not send content before the 354 (RFC 5321
// section 3.3, RFC 2920 section 3.1).
func ReceiveMessageWaiting(check ContentCheck) Step {
	return clReceiveStep("expect DATA, nothing until 354, the message", check, clReceiveOpts{quiet: true})
}

// ReceiveMessageOrEnd is ReceiveMessage that also accepts the client
// ending the transaction instead (RSET, NOOP, QUIT or a close; the case's
// steps end then) or closing in the middle of the content (checked as far
// as it came).
func ReceiveMessageOrEnd(check ContentCheck) Step {
	return clReceiveStep("expect the message, or the client ending the transaction", check, clReceiveOpts{mayEnd: true, mayStop: true})
}

func clReceiveStep(desc string, check ContentCheck, o clReceiveOpts) Step {
	return step{desc, func(s *Session) error {
		for {
			line, err := s.ReadCommand()
			if err != nil {
				if o.mayEnd && PeerClosed(err) {
					return &clStop{"the client closed the connection instead of sending the message"}
				}
				return clWant(err, "DATA")
			}
			verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
			switch {
			case verb == "DATA":
				if line != "DATA" && !strings.EqualFold(line, "DATA") {
					return &Failure{Rule: "RFC 5321 section 4.1.1.4", Want: "DATA without parameters", Got: quoteLine(line)}
				}
				return clReceiveData(s, check, o)
			case verb == "BDAT" && clOffered(s, "CHUNKING"):
				return clReceiveChunks(s, line, check)
			case o.mayEnd && (verb == "RSET" || verb == "NOOP"):
				if err := s.Send([]byte("250 2.0.0 OK\r\n")); err != nil {
					return err
				}
			case o.mayEnd && verb == "QUIT":
				if err := s.Send([]byte("221 2.0.0 Bye\r\n")); err != nil {
					return err
				}
				return &clStop{"the client sent QUIT instead of the message"}
			default:
				f := &Failure{Want: "DATA", Got: quoteLine(line)}
				if verb == "BDAT" {
					f.Rule = "RFC 3030 section 2: BDAT needs CHUNKING, which the server did not offer"
				}
				return f
			}
		}
	}}
}

// clReceiveData answers DATA and reads the content.
func clReceiveData(s *Session, check ContentCheck, o clReceiveOpts) error {
	if o.quiet {
		if err := s.Quiet(0); err != nil {
			var f *Failure
			if errors.As(err, &f) {
				f.Rule = "RFC 5321 section 3.3: no message data before the 354 reply"
			}
			return err
		}
	}
	if err := s.Send([]byte("354 Start mail input; end with <CRLF>.<CRLF>\r\n")); err != nil {
		return err
	}
	data, err := s.ReadData(0)
	m := &Received{Wire: data, Content: clUnstuff(data)}
	if err != nil {
		if !o.mayStop || !PeerClosed(err) {
			return err
		}
		m.Aborted = true
	}
	if check != nil {
		if err := check(s, m); err != nil {
			return err
		}
	}
	if m.Aborted {
		return &clStop{"the client closed the connection in the middle of the content"}
	}
	return nil
}

// clBDATRE is the BDAT command of RFC 3030 section 2.
var clBDATRE = regexp.MustCompile(`^(?i:BDAT) ([0-9]{1,18})( (?i:LAST))?$`)

// clReceiveChunks reads BDAT chunks up to the LAST one, answering the
// others with 250.
func clReceiveChunks(s *Session, line string, check ContentCheck) error {
	m := &Received{BDAT: true}
	for {
		sm := clBDATRE.FindStringSubmatch(line)
		if sm == nil {
			return &Failure{Rule: "RFC 3030 section 2", Want: "BDAT <size> [LAST]", Got: quoteLine(line)}
		}
		n, _ := strconv.Atoi(sm[1])
		chunk, err := s.ReadN(n)
		if err != nil {
			return err
		}
		m.Wire = append(m.Wire, chunk...)
		m.Chunks = append(m.Chunks, n)
		if sm[2] != "" {
			break
		}
		if err := s.Send([]byte(fmt.Sprintf("250 2.0.0 %d octets received\r\n", n))); err != nil {
			return err
		}
		if line, err = s.ReadCommand(); err != nil {
			return clWant(err, "BDAT")
		}
	}
	m.Content = m.Wire
	if check != nil {
		return check(s, m)
	}
	return nil
}

// ExpectData reads message content up to CRLF.CRLF (after a 354 the case
// said itself) and judges it with check.
func ExpectData(check ContentCheck) Step {
	return step{"expect the message content", func(s *Session) error {
		data, err := s.ReadData(0)
		if err != nil {
			return err
		}
		if check == nil {
			return nil
		}
		return check(s, &Received{Wire: data, Content: clUnstuff(data)})
	}}
}

// clUnstuff removes the transparency dot of every line that begins with one
// (RFC 5321 section 4.5.2); lines end at CRLF only.
func clUnstuff(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for start := true; len(data) > 0; {
		if start && data[0] == '.' {
			data = data[1:]
			if len(data) == 0 {
				break
			}
		}
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			out = append(out, data...)
			break
		}
		out = append(out, data[:i+2]...)
		data = data[i+2:]
		start = true
	}
	return out
}

// clEndStep is Ends and ExpectQuit.
type clEndStep struct {
	desc      string
	needQuit  bool              // a close without QUIT fails (RFC 5321 section 4.1.1.10)
	answers   map[string]string // replies to other verbs allowed at the end (DATA: 554)
	rules     map[string]string // the rule a verb breaks at the end, for the failure
	waitQuiet bool              // after QUIT, the client must wait for the 221
}

func (e clEndStep) String() string { return e.desc }

func (e clEndStep) Run(s *Session) error {
	for {
		line, err := s.ReadCommand()
		if err := e.handle(s, line, err); err != nil {
			return err
		}
	}
}

// handle answers one line read at the end of a session (or its read
// error); it returns a clStop when the session is over.
func (e clEndStep) handle(s *Session, line string, err error) error {
	if err != nil {
		if !PeerClosed(err) {
			return clWant(err, "QUIT")
		}
		if e.needQuit {
			return &Failure{Rule: "RFC 5321 section 4.1.1.10", Want: "QUIT before the close", Got: "the client closed the connection without QUIT"}
		}
		return &clStop{"the client closed the connection"}
	}
	verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
	reply, ok := e.answers[verb]
	switch {
	case verb == "RSET" || verb == "NOOP":
		reply = "250 2.0.0 OK"
	case verb == "QUIT":
		if e.waitQuiet {
			if err := s.Quiet(0); err != nil {
				var f *Failure
				if errors.As(err, &f) {
					f.Rule = "RFC 5321 section 4.1.1.10: the client SHOULD wait for the reply to QUIT"
				}
				return err
			}
		}
		if err := s.Send([]byte("221 2.0.0 Bye\r\n")); err != nil {
			return err
		}
		return &clStop{"the client sent QUIT"}
	case !ok:
		want := "RSET, NOOP, QUIT or a close"
		if e.needQuit {
			want = "RSET, NOOP or QUIT"
		}
		return &Failure{Want: want, Got: quoteLine(line), Rule: e.rules[verb]}
	}
	return s.Send([]byte(reply + "\r\n"))
}

// Ends expects the client to end the session: RSET or NOOP (answered
// 250), then QUIT (answered 221) or a close. Any other command fails. The
// case's steps end here.
func Ends() Step {
	return clEndStep{desc: "expect the client to end: RSET/NOOP, then QUIT or a close"}
}

// EndsRefusing is Ends that also answers some verbs instead of failing:
// pairs are a verb and its reply, such as "DATA", "554 5.5.1 No valid
// recipients". The client may still send them, but nothing that follows
// from acceptance.
func EndsRefusing(pairs ...string) Step {
	e := clEndStep{answers: clAnswers(pairs)}
	e.desc = fmt.Sprintf("expect the client to end (answering %s)", strings.Join(pairs, " "))
	return e
}

// clAnswers turns verb, reply pairs into a map by upper-case verb.
func clAnswers(pairs []string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[strings.ToUpper(pairs[i])] = pairs[i+1]
	}
	return m
}

// EndsWithoutCleartextAuth is Ends for a server that offered AUTH PLAIN
// and LOGIN without TLS: the client may go on without AUTH (RFC 4954
// section 4: MAIL is answered 530 then) but must not send AUTH, which would
// reveal the password (RFC 4616 section 5).
func EndsWithoutCleartextAuth() Step {
	return clEndStep{desc: "expect the client to end without AUTH (MAIL answered 530)",
		answers: map[string]string{"MAIL": "530 5.7.0 Authentication required"},
		rules:   map[string]string{"AUTH": "RFC 4616 section 5: no password mechanism without TLS"}}
}

// ExpectQuit expects QUIT (RSET and NOOP answered 250 first, and the
// verbs of the verb, reply pairs answered so) and answers 221; a close
// without QUIT fails (RFC 5321 section 4.1.1.10).
func ExpectQuit(pairs ...string) Step {
	return clEndStep{desc: "expect QUIT before the close", needQuit: true, answers: clAnswers(pairs)}
}

// ExpectQuitWaiting is ExpectQuit that waits in silence after QUIT before
// the 221: the client should wait for the reply (RFC 5321 section
// 4.1.1.10).
func ExpectQuitWaiting() Step {
	return clEndStep{desc: "expect QUIT, then the client waiting for 221", needQuit: true, waitQuiet: true}
}

// clParamExt maps the MAIL and RCPT parameters a client may send to the
// EHLO keyword that must have offered them.
var clParamExt = map[string]string{
	"SIZE": "SIZE", "SMTPUTF8": "SMTPUTF8", "AUTH": "AUTH", "RET": "DSN", "ENVID": "DSN",
	"NOTIFY": "DSN", "ORCPT": "DSN", "REQUIRETLS": "REQUIRETLS", "MT-PRIORITY": "MT-PRIORITY",
	"BY": "DELIVERBY", "HOLDFOR": "FUTURERELEASE", "HOLDUNTIL": "FUTURERELEASE", "RRVS": "RRVS",
	"MTRK": "MTRK", "TRANSID": "CHECKPOINT", "SOLICIT": "NO-SOLICITING",
}

// clUnofferedParams returns the parameters of a MAIL or RCPT line whose
// extension the last EHLO reply did not offer.
func clUnofferedParams(s *Session, line string) []string {
	end := strings.IndexByte(line, '>')
	if end < 0 {
		return nil
	}
	var bad []string
	for _, p := range strings.Fields(line[end+1:]) {
		kw, val, _ := strings.Cut(strings.ToUpper(p), "=")
		ext, known := clParamExt[kw]
		switch {
		case kw == "BODY" && val == "BINARYMIME":
			ext, known = "BINARYMIME", true
		case kw == "BODY":
			ext, known = "8BITMIME", true
		}
		if !known || !clOffered(s, ext) {
			bad = append(bad, p)
		}
	}
	return bad
}

// ExpectEnvelope expects MAIL FROM:<{from}>, answered with mailReply,
// then one RCPT per reply in rcptReplies, to {rcpt}, {rcpt2} and so on in
// the job's order, each answered in turn. Parameters are not checked.
func ExpectEnvelope(mailReply string, rcptReplies ...string) Step {
	return clEnvelopeStep(clEnvelope{}, mailReply, rcptReplies)
}

// ExpectEnvelopeOrRefusal is ExpectEnvelope for a message the client may
// refuse to send (content it must not transmit as it is): the client may
// end the session (QUIT, or RSET/NOOP then QUIT, or a close) instead of
// sending MAIL, which ends the case's steps.
func ExpectEnvelopeOrRefusal(mailReply string, rcptReplies ...string) Step {
	return clEnvelopeStep(clEnvelope{endBeforeMail: true}, mailReply, rcptReplies)
}

// ExpectEnvelopeOrEnd is ExpectEnvelope in which, once an RCPT has been
// refused, the client may end the transaction instead of sending the
// remaining RCPTs: RSET or NOOP (answered 250), then QUIT or a close end
// the case's steps.
func ExpectEnvelopeOrEnd(mailReply string, rcptReplies ...string) Step {
	return clEnvelopeStep(clEnvelope{endAfterRefusal: true}, mailReply, rcptReplies)
}

// ExpectEnvelopeParams is ExpectEnvelope that also requires the MAIL and
// RCPT parameters to belong to extensions the last EHLO reply offered
// (RFC 5321 sections 4.1.1.2 and 4.1.1.3).
func ExpectEnvelopeParams(mailReply string, rcptReplies ...string) Step {
	return clEnvelopeStep(clEnvelope{params: true}, mailReply, rcptReplies)
}

// clEnvelope says what an envelope step allows besides MAIL and the RCPTs.
type clEnvelope struct {
	params          bool // parameters only of offered extensions
	endAfterRefusal bool // the client may end once an RCPT was refused
	endBeforeMail   bool // the client may end instead of sending MAIL
}

func clEnvelopeStep(o clEnvelope, mailReply string, rcptReplies []string) Step {
	desc := fmt.Sprintf("expect MAIL (reply %s) and %d RCPT (reply %s)", mailReply, len(rcptReplies), strings.Join(rcptReplies, ", "))
	if o.endBeforeMail {
		desc += ", or the client ending instead"
	}
	params := o.params
	return step{desc, func(s *Session) error {
		line, err := s.ReadCommand()
		if verb, _, _ := strings.Cut(strings.ToUpper(line), " "); o.endBeforeMail && (err != nil || verb != "MAIL") {
			return clEndAll(s, line, err)
		}
		if err := clEnvelopeCommand(s, line, err, `MAIL FROM:<{from}>( .*)?`, params, "RFC 5321 section 4.1.1.2"); err != nil {
			return err
		}
		if err := s.Send([]byte(s.Expand(mailReply) + "\r\n")); err != nil {
			return err
		}
		refused := false
		for i, r := range rcptReplies {
			line, err := s.ReadCommand()
			if verb, _, _ := strings.Cut(strings.ToUpper(line), " "); o.endAfterRefusal && refused && (err != nil || verb != "RCPT") {
				return clEndAll(s, line, err)
			}
			if err := clEnvelopeCommand(s, line, err, `RCPT TO:<`+clRcpt(i)+`>( .*)?`, params, "RFC 5321 section 4.1.1.3"); err != nil {
				return err
			}
			refused = refused || !strings.HasPrefix(r, "2")
			if err := s.Send([]byte(s.Expand(r) + "\r\n")); err != nil {
				return err
			}
		}
		return nil
	}}
}

// clEndAll takes line (or its read error) and what follows as the end of
// the session: RSET and NOOP answered, then QUIT or a close, which stop
// the case's steps.
func clEndAll(s *Session, line string, err error) error {
	end := clEndStep{}
	for {
		if err := end.handle(s, line, err); err != nil {
			return err
		}
		line, err = s.ReadCommand()
	}
}

// ExpectMail expects MAIL FROM:<{from}> with parameters only of
// extensions the last EHLO reply offered, and does not answer it.
func ExpectMail() Step {
	return step{"expect MAIL with parameters only of offered extensions", func(s *Session) error {
		line, err := s.ReadCommand()
		return clEnvelopeCommand(s, line, err, `MAIL FROM:<{from}>( .*)?`, true, "RFC 5321 section 4.1.1.2")
	}}
}

// clRcpt names the i-th recipient of a job: {rcpt}, {rcpt2}, then
// rcpt3@{domain} and so on.
func clRcpt(i int) string {
	switch i {
	case 0:
		return "{rcpt}"
	case 1:
		return "{rcpt2}"
	}
	return fmt.Sprintf("rcpt%d@{domain}", i+1)
}

// clEnvelopeCommand takes a MAIL or RCPT line just read, matches it and, when
// params is set, checks its parameters against the offered extensions.
func clEnvelopeCommand(s *Session, line string, err error, pattern string, params bool, rule string) error {
	if err != nil {
		return clWant(err, pattern)
	}
	if !clPattern(s.cfg, pattern).MatchString(line) {
		return &Failure{Want: "a command matching " + quoteLine(pattern), Got: quoteLine(line)}
	}
	if bad := clUnofferedParams(s, line); params && len(bad) > 0 {
		return &Failure{Rule: rule, Want: "parameters only of extensions the server offered", Got: fmt.Sprintf("%s in %q", strings.Join(bad, " "), line)}
	}
	return nil
}
