package fuzz

import (
	"bytes"
	"fmt"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the oracle of FuzzClientSession: an independent reading
// of what a client wrote, paired with the server octets it was fed. It
// assembles the server's replies, cuts the client's octets into the units
// that take replies (commands, BDAT chunks, DATA bodies, AUTH responses),
// gives each unit its replies in order (RFC 5321 section 4.2, RFC 2920
// section 3.1), and judges every unit against what the replies before it
// allowed. It is written apart from state.Client and state.Checker so that
// it can disagree with both.

// lineEnd is CRLF, the end of every command and reply line (RFC 5321
// section 2.3.8).
var lineEnd = []byte("\r\n")

// serverReply is one complete reply the oracle read from the server.
type serverReply struct {
	code  reply.Code
	lines [][]byte // the text of each line, after the code and separator
	end   int      // the offset just past its last CRLF
}

// parseReplies returns the complete, well-formed replies at the start of
// in. It stops at the first octet a client must refuse: a bare CR or LF
// (RFC 5321 section 2.3.8), a line longer than wire.MaxReplyLine (section
// 4.5.3.1.5), a line outside the reply grammar (section 4.2), a code that
// changes inside a reply (section 4.2.1), or more lines than
// reply.DefaultMaxLines. So every reply it returns is one the client read
// as it is, and a reply it does not return never reached the client whole.
func parseReplies(in []byte) []serverReply {
	var out []serverReply
	var cur serverReply
	for pos := 0; ; {
		i := bytes.Index(in[pos:], lineEnd)
		if i < 0 {
			return out
		}
		line := in[pos : pos+i]
		if i+2 > wire.MaxReplyLine || bytes.ContainsAny(line, "\r\n") {
			return out
		}
		rl, err := wire.ParseReplyLine(line)
		if err != nil {
			return out
		}
		if len(cur.lines) == 0 {
			cur.code = rl.Code
		} else if rl.Code != cur.code {
			return out
		}
		cur.lines = append(cur.lines, rl.Text)
		if len(cur.lines) > reply.DefaultMaxLines {
			return out
		}
		pos += i + 2
		if !rl.More {
			cur.end = pos
			out = append(out, cur)
			cur = serverReply{}
		}
	}
}

// unitKind says what a client unit is.
type unitKind uint8

// The kinds of client units.
const (
	unitCommand  unitKind = iota + 1 // a command line (a BDAT line with its chunk)
	unitBody                         // DATA content up to CRLF "." CRLF
	unitAuthLine                     // a line answering a 334 (RFC 4954 section 4)
)

// clientUnit is one thing the client wrote that takes replies.
type clientUnit struct {
	kind  unitKind
	start int // its first octet in the client's stream
	verb  wire.Verb
	cmd   wire.Command // for commands; aliases the client's stream
	data  []byte       // a BDAT chunk, or the decoded DATA content
	ended bool         // the DATA content reached CRLF "." CRLF
	// replies are the indexes of the replies it got, in order; fewer than
	// want when the server's octets ran out or went wrong first.
	replies []int
	want    int
	mail    int // the MAIL unit of its transaction, or -1
}

// clientOracle reads a session; see the file comment.
type clientOracle struct {
	out     []byte
	writes  []writeMark
	replies []serverReply
	lmtp    bool
	creds   bool // credentials were configured
	clear   bool // WithInsecureAuth: PLAIN and LOGIN may run in clear

	units    []clientUnit
	problems []string
	next     int               // the next reply to give out
	caps     wire.Capabilities // the last accepted EHLO (LHLO) reply
	helloOK  bool              // a hello command was accepted
	ehloNo   bool              // the last unit was an EHLO the server refused
	waited   int               // the last unit whose reply the client awaited; -1 the greeting
	mail     int               // the MAIL of the open transaction, or -1
	quit     bool              // QUIT was written
}

// readSession runs the oracle over what the client wrote (out, in writes)
// and the server octets it was fed, and returns it with its units and
// problems.
func readSession(out []byte, writes []writeMark, in []byte, lmtp, creds, clear bool) *clientOracle {
	o := &clientOracle{out: out, writes: writes, replies: parseReplies(in), lmtp: lmtp,
		creds: creds, clear: clear, waited: -1, mail: -1}
	if len(o.replies) > 0 {
		o.next = 1 // the greeting
	}
	o.walk()
	return o
}

// problem records a rule the client broke.
func (o *clientOracle) problem(format string, args ...any) {
	o.problems = append(o.problems, fmt.Sprintf(format, args...))
}

// reply returns reply k of unit u, when it got one.
func (o *clientOracle) reply(u *clientUnit, k int) (serverReply, bool) {
	if k < len(u.replies) {
		return o.replies[u.replies[k]], true
	}
	return serverReply{}, false
}

// okReply reports whether unit u got a 2yz as its first reply.
func (o *clientOracle) okReply(u *clientUnit) bool {
	r, ok := o.reply(u, 0)
	return ok && r.code.IsPositive()
}

// walk cuts the client's stream into units and judges each.
func (o *clientOracle) walk() {
	mode := unitCommand
	for pos := 0; pos < len(o.out); {
		u := clientUnit{kind: mode, start: pos, want: 1, mail: o.mail}
		var ok bool
		switch mode {
		case unitBody:
			var d wire.DataDecoder
			d.Policy, d.AllowNUL = wire.BareAllow, true
			var n int
			u.data, n, u.ended = d.Decode(nil, o.out[pos:])
			pos += n
			u.verb = wire.VerbDATA
			if o.lmtp {
				u.want = max(1, o.accepted(o.mail)) // RFC 2033 section 4.2
			}
		case unitAuthLine:
			var line []byte
			if line, pos, ok = o.line(pos); !ok {
				return
			}
			if _, _, err := wire.ParseAuthResponse(line); err != nil {
				o.problem("AUTH response %q is not base64 or \"*\" (RFC 4954 section 4): %v", line, err)
			}
			u.verb = wire.VerbAUTH
		default:
			if pos, ok = o.command(&u, pos); !ok {
				return
			}
		}
		o.timing(&u)
		if u.kind == unitCommand {
			o.sequence(&u)
		}
		for range u.want {
			if o.next < len(o.replies) {
				u.replies = append(u.replies, o.next)
				o.next++
			}
		}
		o.units = append(o.units, u)
		mode = o.advance(&o.units[len(o.units)-1])
	}
}

// line returns the CRLF-ended line at pos and the offset after it; a line
// with a CR, LF or NUL inside, or no end, is a problem (RFC 5321 sections
// 2.3.8 and 4.1.1).
func (o *clientOracle) line(pos int) ([]byte, int, bool) {
	i := bytes.Index(o.out[pos:], lineEnd)
	if i < 0 {
		o.problem("unterminated line %q at offset %d", o.out[pos:], pos)
		return nil, pos, false
	}
	line := o.out[pos : pos+i]
	if bytes.ContainsAny(line, "\r\n\x00") {
		o.problem("CR, LF or NUL inside the line %q (RFC 5321 section 2.3.8)", line)
	}
	return line, pos + i + 2, true
}

// command reads the command unit at pos: its line, parsed strictly, and
// for BDAT its chunk.
func (o *clientOracle) command(u *clientUnit, pos int) (int, bool) {
	line, pos, ok := o.line(pos)
	if !ok {
		return pos, false
	}
	cmd, err := wire.ParseCommand(line, wire.ParseOptions{UTF8: o.caps.Has(wire.ExtSMTPUTF8)})
	if err != nil {
		o.problem("command %q does not parse (RFC 5321 section 4.1): %v", line, err)
		return pos, false
	}
	u.verb, u.cmd = cmd.Verb, cmd
	if cmd.Verb == wire.VerbBDAT {
		if uint64(len(o.out)-pos) < cmd.ChunkSize {
			o.problem("BDAT chunk of %d octets cut short (RFC 3030 section 2)", cmd.ChunkSize)
			return pos, false
		}
		u.data = o.out[pos : pos+int(cmd.ChunkSize)]
		pos += int(cmd.ChunkSize)
		if o.lmtp && cmd.Last {
			u.want = max(1, o.accepted(o.mail))
		}
	}
	return pos, true
}

// accepted counts the recipients of the transaction opened by MAIL unit
// mail that the server accepted, when it accepted the MAIL too.
func (o *clientOracle) accepted(mail int) int {
	if mail < 0 || !o.okReply(&o.units[mail]) {
		return 0
	}
	n := 0
	for i := mail + 1; i < len(o.units); i++ {
		if u := &o.units[i]; u.mail == mail && u.kind == unitCommand && u.verb == wire.VerbRCPT && o.okReply(u) {
			n++
		}
	}
	return n
}

// mustWait reports whether the unit after u may be written only once u's
// replies came: always without PIPELINING, and after a command that ends
// a pipelined group (RFC 2920 section 3.1), DATA (its 354, RFC 5321 section
// 4.1.1.4) and each step of AUTH (RFC 4954 section 4). idx -1 is the
// greeting, which the client awaits before it writes (RFC 5321 section
// 3.1).
func (o *clientOracle) mustWait(idx int) bool {
	if idx < 0 || !o.caps.Has(wire.ExtPIPELINING) {
		return true
	}
	u := &o.units[idx]
	switch u.kind {
	case unitAuthLine:
		return true
	case unitBody:
		return false
	}
	oneRound := u.cmd.HasInitialResponse && (string(u.cmd.Mechanism) == "PLAIN" || string(u.cmd.Mechanism) == "EXTERNAL")
	return state.EndsGroup(u.verb, oneRound)
}

// timing checks that u was written after the replies it had to wait for
// had been read, and notes what the client knew then.
func (o *clientOracle) timing(u *clientUnit) {
	prev := len(o.units) - 1
	if !o.mustWait(prev) {
		return
	}
	o.waited = prev
	end, name := 0, "the greeting"
	if prev < 0 {
		if len(o.replies) == 0 {
			o.problem("%s written with no greeting (RFC 5321 section 3.1)", o.describe(u))
			return
		}
		end = o.replies[0].end
	} else {
		p := &o.units[prev]
		name = o.describe(p)
		if len(p.replies) < p.want {
			o.problem("%s written without the reply to %s (RFC 2920 section 3.1)", o.describe(u), name)
			return
		}
		end = o.replies[p.replies[len(p.replies)-1]].end
	}
	w, _ := writeAt(o.writes, u.start)
	if w.delivered < end {
		o.problem("%s written before the reply to %s was read (RFC 2920 section 3.1)", o.describe(u), name)
	}
}

// known reports whether the client had read the replies of unit i when
// it wrote the current unit: it had waited for them or for a later one.
func (o *clientOracle) known(i int) bool { return i >= 0 && i <= o.waited }

// sequence checks that command u was legal after the replies the client
// knew (RFC 5321 section 4.1.4 and the rules each check cites).
func (o *clientOracle) sequence(u *clientUnit) {
	name := o.describe(u)
	if o.quit {
		o.problem("%s after QUIT (RFC 5321 section 4.1.1.10)", name)
	}
	switch u.verb {
	case wire.VerbEHLO, wire.VerbLHLO:
		if (u.verb == wire.VerbLHLO) != o.lmtp {
			o.problem("%s in the wrong protocol (RFC 2033 section 4.1)", name)
		}
	case wire.VerbHELO:
		if o.lmtp || !o.ehloNo {
			o.problem("HELO other than after a refused EHLO (RFC 5321 section 3.2)")
		}
	case wire.VerbAUTH:
		mech := string(u.cmd.Mechanism)
		switch {
		case !o.creds:
			o.problem("AUTH without credentials")
		case !o.caps.HasAuth(mech):
			o.problem("AUTH %s, a mechanism the server did not offer (RFC 4954 section 4)", mech)
		case !o.clear && auth.Cleartext(mech):
			o.problem("AUTH %s reveals the password in clear without WithInsecureAuth (RFC 4954 section 4)", mech)
		}
	case wire.VerbMAIL:
		if !o.helloOK {
			o.problem("MAIL before an accepted EHLO or HELO (RFC 5321 section 4.1.4)")
		}
		if _, err := wire.DecodeMailParams(u.cmd.Params, o.caps.Exts()); err != nil {
			o.problem("%s: parameter not advertised or malformed (RFC 5321 section 4.1.1.11): %v", name, err)
		}
	case wire.VerbRCPT, wire.VerbDATA, wire.VerbBDAT:
		o.transaction(u, name)
	case wire.VerbRSET, wire.VerbNOOP, wire.VerbQUIT:
	default:
		o.problem("%s: a command the client never sends", name)
	}
}

// transaction checks RCPT, DATA and BDAT against their transaction.
func (o *clientOracle) transaction(u *clientUnit, name string) {
	if o.mail < 0 {
		o.problem("%s outside a transaction (RFC 5321 section 4.1.4)", name)
		return
	}
	if o.known(o.mail) && !o.okReply(&o.units[o.mail]) {
		// RFC 5321 section 4.2.1: after a refused MAIL the client starts over.
		o.problem("%s after the MAIL of its transaction was refused (RFC 5321 section 4.2.1)", name)
	}
	switch u.verb {
	case wire.VerbRCPT:
		if _, err := wire.DecodeRcptParams(u.cmd.Params, o.caps.Exts()); err != nil {
			o.problem("%s: parameter not advertised or malformed (RFC 5321 section 4.1.1.11): %v", name, err)
		}
		return
	case wire.VerbBDAT:
		if !o.caps.Has(wire.ExtCHUNKING) {
			o.problem("BDAT without CHUNKING (RFC 3030 section 2)")
		}
	}
	rcpts, refused := 0, 0
	for i := o.mail + 1; i < len(o.units); i++ {
		p := &o.units[i]
		switch {
		case p.kind != unitCommand || p.mail != o.mail:
		case p.verb == wire.VerbRCPT:
			rcpts++
			if o.known(i) && !o.okReply(p) {
				refused++
			}
		case p.verb == wire.VerbBDAT && u.verb == wire.VerbBDAT && o.known(i) && !o.okReply(p):
			// "the sender-SMTP MUST NOT send any additional BDAT segments"
			o.problem("%s after a refused BDAT chunk (RFC 3030 section 2)", name)
		case p.verb == wire.VerbBDAT && u.verb == wire.VerbDATA:
			o.problem("DATA in a BDAT transaction (RFC 3030 section 2)")
		}
	}
	if rcpts == 0 {
		o.problem("%s without a RCPT (RFC 5321 section 3.3)", name)
	} else if refused == rcpts {
		o.problem("%s after every RCPT was refused (RFC 5321 section 3.3)", name)
	}
}

// advance updates the session after unit u got its replies and returns
// the kind of the next unit.
func (o *clientOracle) advance(u *clientUnit) unitKind {
	ok := o.okReply(u)
	first, got := o.reply(u, 0)
	o.ehloNo = false
	switch {
	case u.kind == unitBody:
		o.mail = -1
	case u.kind == unitAuthLine || u.verb == wire.VerbAUTH:
		if got && first.code == reply.CodeAuthContinue {
			return unitAuthLine
		}
	case u.verb == wire.VerbEHLO || u.verb == wire.VerbLHLO:
		o.ehloNo = got && !ok
		if ok {
			o.caps.Reset()
			for _, l := range first.lines {
				_ = o.caps.AddLine(l)
			}
			o.helloOK, o.mail = true, -1
		}
	case u.verb == wire.VerbHELO:
		if ok {
			o.caps.Reset()
			o.helloOK, o.mail = true, -1
		}
	case u.verb == wire.VerbMAIL:
		o.mail = len(o.units) - 1
	case u.verb == wire.VerbRSET:
		o.mail = -1
	case u.verb == wire.VerbQUIT:
		o.quit, o.mail = true, -1
	case u.verb == wire.VerbBDAT && u.cmd.Last:
		o.mail = -1
	case u.verb == wire.VerbDATA:
		// 354 is the reply to DATA that asks for the content, and a client
		// judges a code it does not know by its first digit (RFC 5321
		// sections 4.2.1 and 4.3.2): any 3yz lets the content follow.
		if got && first.code.IsIntermediate() {
			return unitBody
		}
	}
	return unitCommand
}

// describe names u for problems.
func (o *clientOracle) describe(u *clientUnit) string {
	switch u.kind {
	case unitBody:
		return "DATA content"
	case unitAuthLine:
		return "AUTH response"
	}
	line := u.cmd.Name
	if len(u.cmd.Arg) > 0 {
		line = append(append(append([]byte(nil), line...), ' '), u.cmd.Arg...)
	}
	if len(line) > 60 {
		line = line[:60]
	}
	return fmt.Sprintf("%q", line)
}
