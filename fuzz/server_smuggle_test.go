package fuzz

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// svItems is the vocabulary of FuzzServerSmuggle's message bodies: text,
// the dot-stuffing cases of RFC 5321 section 4.5.2, every end-of-data
// look-alike of SPEC section 2.8 (the SMTP smuggling sequences: bare CR
// and LF around a dot, NUL next to it), lines that read as commands,
// NUL, 8-bit octets, and lines at and past the 1000-octet limit of
// section 4.5.3.1.6. Items are concatenated as they are.
var svItems = []string{
	"Subject: smuggle\r\n", "\r\n", "body text\r\n", "no line end", ".", ".\r\n", "..\r\n", ". \r\n",
	"\n", "\r", "\r\n.\n", "\n.\r\n", "\r.\r", "\n.\n", "\r.\n", "\n.\r", "\r.\r\n", "\r\n.\r",
	"\r\n.\r\r\n", "\r\r\n.\r\r\n", "\r\n\x00.\r\n", "\r\n.\x00\r\n", "\r\n.\r\n",
	"MAIL FROM:<evil@x.example>\r\n", "RCPT TO:<victim@y.example>\r\n", "RSET\r\n", "QUIT\r\n",
	"DATA\r\n", "BDAT 5 LAST\r\n", "EHLO evil.example\r\n", "STARTTLS\r\n", "\x00",
	"8-bit \xc3\xa9\xff\x80\r\n", strings.Repeat("x", 998) + "\r\n", strings.Repeat("y", 999) + "\r\n",
	strings.Repeat("z", 1500),
}

// Senders and recipients of FuzzServerSmuggle's transactions.
var (
	svSenders    = []string{"alice@example.com", "", "bob+tag@example.net", "postmaster@example.org"}
	svRecipients = []string{"bob@example.org", "carol@example.net", "Postmaster", "dave@example.com"}
)

// Client modes of FuzzServerSmuggle.
const (
	svLockStep  = iota // wait for the replies of every command (SyncReject)
	svPipelined        // RFC 2920 groups: wait only where a group must end (SyncReject)
	svBlast            // never wait but for STARTTLS (SyncAllow)
)

// Ways of sending a message.
const (
	svDATA   = iota // DATA, dot-stuffed by wire.DataEncoder
	svBDAT          // BDAT chunks (RFC 3030 section 2)
	svBinary        // BDAT chunks with BODY=BINARYMIME (RFC 3030 section 3)
)

// svTxn is one transaction of a FuzzServerSmuggle session.
type svTxn struct {
	from   string
	rcpts  []string
	body   []byte
	method int
	chunks []int // BDAT chunk sizes, the last one sent with LAST
}

// svCase is a decoded FuzzServerSmuggle input.
type svCase struct {
	o                 svOptions
	tls, auth, inject bool
	mode, cut         int
	txns              []svTxn
}

// svBytes reads a fuzz input one octet at a time, zeros after its end.
type svBytes []byte

// next returns the next octet, or 0 after the end.
func (b *svBytes) next() int {
	if len(*b) == 0 {
		return 0
	}
	c := (*b)[0]
	*b = (*b)[1:]
	return int(c)
}

// svDecode turns FuzzServerSmuggle's input into a session. Octet 0 holds
// flags: STARTTLS (bit 0), AUTH PLAIN required (bit 1), the client mode
// (bits 2-3), the server's BareData policy (bits 4-5), AllowNUL (bit 6)
// and a DATA line limit of 1000 (bit 7). Octet 1 is the size of the pieces
// every write is cut into (0: whole). Octet 2 holds the number of
// transactions (bits 0-1) and, with STARTTLS, whether the rest of the
// session is sent behind STARTTLS in the same write (bit 7: the STARTTLS
// command injection of CVE-2011-0411). Then, for each transaction, its
// sender and method, recipients, body items and chunk sizes.
func svDecode(in []byte) svCase {
	b := svBytes(in)
	f := b.next()
	c := svCase{tls: f&1 != 0, auth: f&2 != 0, mode: f >> 2 & 3 % 3, cut: b.next()}
	c.o = svOptions{
		TLS: c.tls, RequireTLS: c.tls, Auth: c.auth, RequireAuth: c.auth,
		BareData: wire.BarePolicy(f >> 4 & 3 % 3), AllowNUL: f&64 != 0, Sync: state.SyncReject,
	}
	if c.mode == svBlast {
		c.o.Sync = state.SyncAllow
	}
	if f&128 != 0 {
		c.o.MaxDataLine = 1000
	}
	n := b.next()
	c.inject = c.tls && n&0x80 != 0
	for n = 1 + n%4; n > 0; n-- {
		x := b.next()
		t := svTxn{from: svSenders[x%len(svSenders)], method: x >> 2 % 3}
		for r := 1 + x>>4%3; r > 0; r-- {
			t.rcpts = append(t.rcpts, svRecipients[b.next()%len(svRecipients)])
		}
		for k := b.next() % 16; k > 0; k-- {
			t.body = append(t.body, svItems[b.next()%len(svItems)]...)
		}
		if t.method != svDATA {
			rest := len(t.body)
			for rest > 0 && len(t.chunks) < 15 {
				n := min(b.next()%64, rest)
				t.chunks = append(t.chunks, n)
				rest -= n
			}
			t.chunks = append(t.chunks, rest)
		}
		c.txns = append(c.txns, t)
	}
	return c
}

// svHasBare reports a bare CR or bare LF in p (RFC 5321 section 2.3.8).
func svHasBare(p []byte) bool {
	for i, c := range p {
		if c == '\r' && (i+1 == len(p) || p[i+1] != '\n') || c == '\n' && (i == 0 || p[i-1] != '\r') {
			return true
		}
	}
	return false
}

// svNormalize writes every bare CR and bare LF of p as CRLF
// (wire.BareNormalize).
func svNormalize(p []byte) []byte {
	var out []byte
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n':
			out = append(out, svCRLF...)
			i++
		case p[i] == '\r' || p[i] == '\n':
			out = append(out, svCRLF...)
		default:
			out = append(out, p[i])
		}
	}
	return out
}

// svExpect is what the server must make of one message: the content
// delivered, or a refusal, and for BDAT the chunk whose reply refuses it.
type svExpect struct {
	body      []byte
	refused   bool
	failChunk int
}

// expect derives the outcome of t's message under the options o, from
// the rules alone: DATA content is the body with a final CRLF added when
// it lacks one (RFC 5321 section 4.1.1.4), BDAT content is the body as
// sent; a bare CR or LF refuses it under BareReject and becomes CRLF under
// BareNormalize, NUL refuses it unless allowed, BODY=BINARYMIME takes
// everything as sent (RFC 3030 section 3), and a DATA line longer than
// MaxDataLine refuses it. A BDAT message is refused by the reply to the
// chunk that holds the octet deciding its first violation: the NUL or
// bare LF itself, the octet after a bare CR, the LAST chunk for a CR that
// ends the message (wire.ChunkDecoder).
func (t svTxn) expect(o svOptions) svExpect {
	sent := t.body
	policy, nul := o.BareData, o.AllowNUL
	switch {
	case t.method == svDATA && len(sent) > 0 && !bytes.HasSuffix(sent, svCRLF):
		sent = append(bytes.Clone(sent), svCRLF...)
	case t.method == svBinary:
		policy, nul = wire.BareAllow, true
	}
	e := svExpect{body: sent, failChunk: -1}
	if policy == wire.BareNormalize {
		e.body = svNormalize(sent)
	}
	if policy == wire.BareReject && svHasBare(sent) || !nul && bytes.IndexByte(sent, 0) >= 0 {
		e.refused = true
	}
	if t.method == svDATA && o.MaxDataLine > 0 {
		for _, line := range bytes.SplitAfter(e.body, svCRLF) {
			if len(line) > o.MaxDataLine {
				e.refused = true
			}
		}
	}
	if !e.refused || t.method == svDATA {
		return e
	}
	decide := len(sent)
	for i := len(sent) - 1; i >= 0; i-- {
		c := sent[i]
		switch {
		case c == 0 && !nul, policy == wire.BareReject && c == '\n' && (i == 0 || sent[i-1] != '\r'):
			decide = i
		case policy == wire.BareReject && c == '\r' && (i+1 == len(sent) || sent[i+1] != '\n'):
			decide = i + 1
		}
	}
	e.failChunk = len(t.chunks) - 1
	for k, start := 0, 0; k < len(t.chunks); k++ {
		if decide < start+t.chunks[k] {
			e.failChunk = k
			break
		}
		start += t.chunks[k]
	}
	return e
}

// svPlan is the client side of a FuzzServerSmuggle session and what the
// server must answer.
type svPlan struct {
	writes []svWrite
	codes  []int    // the code of every reply, in order
	events []string // the Session calls, as svRecorder writes them
}

// plan writes c's session with the wire serializers and derives the
// replies and Session calls the server owes it.
func (c svCase) plan(t testing.TB) svPlan {
	p := svPlan{codes: []int{220}}
	s := &svScript{t: t}
	injected := -1 // with c.inject, where the octets sent behind STARTTLS start
	cmd := func(ends bool, codes ...int) {
		if injected >= 0 {
			return
		}
		p.codes = append(p.codes, codes...)
		wait := c.mode == svLockStep || c.mode == svPipelined && ends
		if wait && len(s.b) > 0 {
			p.writes = append(p.writes, svWrite{pieces: [][]byte{s.b}, wait: true})
			s.b = nil
		}
	}
	if c.mode != svBlast {
		p.writes = append(p.writes, svWrite{wait: true}) // the greeting
	}
	s.ehlo()
	cmd(true, 250)
	if c.tls {
		s.verb(wire.VerbSTARTTLS)
		if c.inject {
			injected = len(s.b)
		} else {
			p.codes = append(p.codes, 220)
			p.writes = append(p.writes, svWrite{pieces: [][]byte{s.b}, wait: true})
			s.b = nil
		}
		s.ehlo()
		cmd(true, 250)
	}
	if c.auth {
		s.authPlain(svUser, svPass)
		cmd(true, 235)
		p.events = append(p.events, "AUTH "+svUser)
	}
	for _, tx := range c.txns {
		body := wire.BodyNone
		if tx.method == svBinary {
			body = wire.BodyBinaryMIME
		}
		s.mail(tx.from, body)
		cmd(false, 250)
		p.events = append(p.events, "MAIL "+tx.from+" tls="+map[bool]string{false: "false", true: "true"}[c.tls])
		for _, r := range tx.rcpts {
			s.rcpt(r)
			cmd(false, 250)
			p.events = append(p.events, "RCPT "+r)
		}
		e := tx.expect(c.o)
		result := 250
		if e.refused {
			result = 554
		}
		if tx.method == svDATA {
			s.verb(wire.VerbDATA)
			cmd(true, 354)
			s.content(tx.body, wire.BareAllow)
			cmd(false, result)
		} else {
			off := 0
			for k, n := range tx.chunks {
				s.chunk(tx.body[off:off+n], k == len(tx.chunks)-1)
				off += n
				switch {
				case k == e.failChunk:
					cmd(false, 554)
				case e.failChunk >= 0 && k > e.failChunk:
					cmd(false, 503)
				default:
					cmd(false, 250)
				}
			}
		}
		if e.refused {
			p.events = append(p.events, "ABORT", "RESET")
		} else {
			p.events = append(p.events, "BODY "+string(e.body), "RESET")
		}
	}
	s.verb(wire.VerbQUIT)
	p.codes = append(p.codes, 221)
	p.writes = append(p.writes, svWrite{pieces: [][]byte{s.b}, wait: true})
	p.events = append(p.events, "LOGOUT")
	if injected >= 0 {
		// RFC 3207 section 4.2: nothing sent behind STARTTLS may run.
		// Read with it, it is refused with 421 (tlsmode.BoundaryError);
		// read after the 220, it is no TLS handshake and the session
		// ends. Either way nothing of it reaches the Session.
		code := 421
		if c.cut > 0 && injected%c.cut == 0 {
			code = 220
		}
		p.codes, p.events = append(p.codes[:2], code), []string{"LOGOUT"}
	}
	if c.cut > 0 {
		for i, w := range p.writes {
			var pieces [][]byte
			for _, piece := range w.pieces {
				for len(piece) > c.cut {
					pieces = append(pieces, piece[:c.cut])
					piece = piece[c.cut:]
				}
				pieces = append(pieces, piece)
			}
			p.writes[i].pieces = pieces
		}
	}
	return p
}

// svSecrets are strings that must never reach the Server's trace: pieces
// of the AUTH PLAIN initial response (RFC 4954 section 4; the trace
// redacts AUTH exchanges) and text that occurs only inside svItems
// bodies (the trace summarizes message content).
var svSecrets = func() []string {
	ir := "AGFsaWNlAHNlY3JldA==" // "\x00alice\x00secret"
	out := []string{"smuggle", "body text", "evil@x.example", "victim@y.example", "evil.example", "8-bit", "xxxxxxxx", "yyyyyyyy", "zzzzzzzz"}
	for i := 0; i+8 <= len(ir); i++ {
		out = append(out, ir[i:i+8])
	}
	return out
}()

// svVerdict compares what the server did with the plan: the reply codes,
// the Session calls and the TLS handshake (none after an injection), and
// that nothing of svSecrets is in the trace.
func svVerdict(c svCase, p svPlan, res svResult) error {
	codes, err := svReplyCodes(res.out)
	switch {
	case err != nil:
		return fmt.Errorf("malformed output: %w\n%q", err, res.out)
	case res.tls != (c.tls && !c.inject) || res.tlsErr != nil && !c.inject:
		return fmt.Errorf("TLS handshake %v (%v), want %v", res.tls, res.tlsErr, c.tls && !c.inject)
	case !slices.Equal(codes, p.codes):
		return fmt.Errorf("reply codes %v, want %v; output %q", codes, p.codes, res.out)
	case !slices.Equal(res.events, p.events):
		return fmt.Errorf("Session calls\n%q, want\n%q; output %q", res.events, p.events, res.out)
	}
	for _, s := range svSecrets {
		if bytes.Contains(res.trace, []byte(s)) {
			return fmt.Errorf("%q in the trace:\n%s", s, res.trace)
		}
	}
	return nil
}

// svCheckSmuggle runs the session in describes and checks it with
// svVerdict.
func svCheckSmuggle(t *testing.T, in []byte) {
	c := svDecode(in)
	p := c.plan(t)
	require.NoError(t, svVerdict(c, p, svRun(t, c.o, p.writes)))
}

// FuzzServerSmuggle sends whole transactions built from the fuzz input
// (svDecode) to the real server.Server driver: MAIL, one to three RCPT,
// and a body made of svItems, hostile material included, sent with DATA
// (dot-stuffed by wire.DataEncoder, bare CR and LF passed through as a
// broken or hostile relay would) or with BDAT in random chunks, lock-step,
// pipelined or all at once, optionally inside STARTTLS and after AUTH,
// under each BareData policy. Invariants: exactly the transactions sent
// are delivered, each with exactly the envelope sent and exactly the body
// sent after the server's canonicalization (svTxn.expect), or refused
// whole with 554 and never delivered altered or split (RFC 5321 sections
// 2.3.8 and 4.1.1.4; SPEC section 2.8); no body line ever reaches the
// Session as a command; every reply has the code the plan predicts, so
// nothing after a message's end is taken as its content and nothing in it
// is answered as a command.
func FuzzServerSmuggle(f *testing.F) {
	for _, s := range svSmuggleSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 512 {
			return
		}
		svCheckSmuggle(t, in)
	})
}

// svSmuggleSeeds returns FuzzServerSmuggle's seeds: each item of the
// vocabulary alone in a DATA body and in a chunked BDAT body, under each
// mode and policy in turn, and sessions with STARTTLS and AUTH.
func svSmuggleSeeds() [][]any {
	var seeds [][]any
	for i := range svItems {
		mode, policy := i%3, i/3%3
		flags := byte(mode<<2 | policy<<4)
		// One DATA and one BDAT (method 1) transaction, the BDAT one
		// cut into chunks of 1 and 3 octets.
		seeds = append(seeds, []any{[]byte{flags, 0, 1, 0, 0, 1, byte(i)}},
			[]any{[]byte{flags, byte(i % 5), 0, 1 << 2, 1, 1, byte(i), 1, 3}})
	}
	seeds = append(seeds,
		[]any{[]byte{1 | 2 | 1<<2, 7, 2, 0x10, 0, 1, 4, 0, 7, 23, 10, 2 << 2, 2, 3, 32, 20, 21, 5, 0, 2}},
		[]any{[]byte{1 | 2<<2 | 1<<4 | 64 | 128, 0, 3, 1, 3, 3, 33, 34, 35, 0x14, 2, 4, 18, 19, 8, 9, 1, 2, 0, 63, 1, 2, 0, 0}},
		// STARTTLS with the rest of the session behind it, read with it
		// (421) or just after its 220 (a failed handshake).
		[]any{[]byte{1 | 2, 0, 0x80, 0, 0, 1, 23}},
		[]any{[]byte{1 | 2, 10, 0x80, 0, 0, 1, 23}},
		[]any{[]byte{1 | svBlast<<2, 5, 0x81, 0, 0, 1, 23, 4, 0, 0}},
	)
	return seeds
}

// TestSeedsServerSmuggle keeps FuzzServerSmuggle's checked-in corpus
// equal to svSmuggleSeeds (FuzzServerSmuggle itself runs them).
func TestSeedsServerSmuggle(t *testing.T) {
	syncSeeds(t, "FuzzServerSmuggle", svSmuggleSeeds())
}
