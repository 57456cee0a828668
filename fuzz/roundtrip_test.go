package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the command round trips across wire's serializers and
// parser. FuzzCommandRoundTrip decodes the fuzz input into a structured
// command (rtSpec), writes it with the typed serializers (AppendHello,
// AppendMail, AppendRcpt, AppendAuth, AppendBdat, AppendVerbArg,
// AppendCommand) and checks that ParseCommand and the parameter decoders
// give back the very values, and that writing those gives the same octets;
// a refusal must be a *wire.SyntaxError that leaves the caller's buffer as
// it was (command_append.go: "On error they return dst unchanged").
// FuzzCommandReparse (roundtrip_reparse_test.go) goes the other way from
// raw lines. wire's own FuzzParseCommand compares AppendCommand with a
// field summary; these go through the typed serializers and the MAIL/RCPT
// parameter decoders.

// rtIn hands out the fuzz input a piece at a time: a byte for each choice,
// a length byte and then the octets for each field. Once it runs dry it
// yields zeros, so every input decodes to some command.
type rtIn struct{ b []byte }

// u8 returns the next byte, or 0.
func (in *rtIn) u8() (c byte) {
	if len(in.b) > 0 {
		c, in.b = in.b[0], in.b[1:]
	}
	return c
}

// n returns a choice in [0, k).
func (in *rtIn) n(k int) int { return int(in.u8()) % k }

// flag returns a yes/no choice.
func (in *rtIn) flag() bool { return in.u8()&1 == 1 }

// u64 returns eight bytes as a number, then shifts it right by a chosen
// amount so that small values are as likely as large ones.
func (in *rtIn) u64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(in.u8())
	}
	return v >> in.n(64)
}

// raw returns up to max octets of the input as they are.
func (in *rtIn) raw(max int) []byte {
	k := min(in.n(max+1), len(in.b))
	out := bytes.Clone(in.b[:k])
	in.b = in.b[k:]
	return out
}

// tokens concatenates up to max tokens chosen from set.
func (in *rtIn) tokens(set []string, max int) []byte {
	var out []byte
	for k := in.n(max + 1); k > 0; k-- {
		out = append(out, set[in.n(len(set))]...)
	}
	return out
}

// Token sets. They mix what the grammars allow with what they refuse:
// controls, CR, LF, NUL, quoting, non-ASCII (RFC 5321 4.1.2, RFC 6531 3.3).
var (
	rtLocalTokens = []string{"a", "b", "z", "0", "9", ".", "+", "-", "_", "=", "!", "~", " ", `"`, `\`, "é", "中", "@", "\x01", "\r\n", "\x00", ",", "postmaster"}
	rtLabelTokens = []string{"a", "b", "x", "0", "9", "-", "mail", "é", "_"}
	rtArgTokens   = []string{"a", "b", ".", "@", "<", ">", " ", "\t", "SMTPUTF8", "é", "#", "-", ",", "example", "\x00", "\r", "="}
	rtMechs       = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256-PLUS", "XOAUTH2", "x", "TWENTY-ONE-CHARS-LONG", "bad mech", "*"}
)

// rtSpec is one command chosen by the fuzzer: the verb and the values the
// line must parse back to.
type rtSpec struct {
	verb          wire.Verb
	host          []byte // HELO, EHLO, LHLO
	mailbox       []byte // MAIL, RCPT: an RFC 5321 Mailbox, or empty for <>
	local, domain []byte // set when mailbox was built by AppendMailbox
	mail          wire.MailParams
	rcpt          wire.RcptParams
	utf8          bool // RCPT: the transaction has SMTPUTF8
	mech          string
	ir            []byte
	hasIR         bool
	size          uint64
	last          bool
	name, arg     []byte // other verbs; name only for unknown ones
}

// rtVerbs lists the verbs FuzzCommandRoundTrip builds, by choice index.
var rtVerbs = []wire.Verb{
	wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO, wire.VerbMAIL, wire.VerbRCPT, wire.VerbAUTH,
	wire.VerbBDAT, wire.VerbVRFY, wire.VerbEXPN, wire.VerbHELP, wire.VerbNOOP, wire.VerbETRN,
	wire.VerbATRN, wire.VerbDATA, wire.VerbRSET, wire.VerbQUIT, wire.VerbSTARTTLS, wire.VerbUnknown,
}

// rtDomain builds a domain (RFC 5321 4.1.2), an address literal (4.1.3) or
// raw octets.
func rtDomain(in *rtIn) []byte {
	switch in.n(8) {
	case 0:
		return fmt.Appendf(nil, "[%d.%d.%d.%d]", in.u8(), in.u8(), in.u8(), in.u8())
	case 1:
		b := []byte("[IPv6:")
		for k := range 8 {
			if k > 0 {
				b = append(b, ':')
			}
			b = fmt.Appendf(b, "%x", uint16(in.u8())<<8|uint16(in.u8()))
		}
		return append(b, ']')
	case 2:
		return in.raw(20)
	}
	var d []byte
	for k := 1 + in.n(3); k > 0; k-- {
		if len(d) > 0 {
			d = append(d, '.')
		}
		l := in.tokens(rtLabelTokens, 4)
		if len(l) == 0 {
			l = []byte("m")
		}
		d = append(d, l...)
	}
	return d
}

// rtMailbox builds a mailbox with AppendMailbox from a chosen local part
// and domain, or raw "local@domain" octets when it refuses them.
func rtMailbox(in *rtIn, s *rtSpec, utf8 bool) {
	local, domain := in.tokens(rtLocalTokens, 6), rtDomain(in)
	if b, err := wire.AppendMailbox(nil, local, domain, utf8); err == nil {
		s.mailbox, s.local, s.domain = b[1:len(b)-1], local, domain
		return
	}
	s.mailbox = append(append(local, '@'), domain...)
}

// rtXtext returns an xtext value (RFC 3461 section 4) of chosen octets, or
// the octets raw.
func rtXtext(in *rtIn) []byte {
	v := in.tokens(rtLocalTokens, 5)
	if in.n(4) == 0 {
		return v
	}
	return wire.AppendXtext(nil, v)
}

// rtTime returns an instant around the years 0000-9999 that RFC 3339
// section 5.6 date-times (HOLDUNTIL, RRVS) can carry, sometimes outside.
func rtTime(in *rtIn) time.Time {
	sec := int64(in.u64()%320e9) - 63e9
	ns := int64(0)
	if in.flag() {
		ns = int64(in.u64() % 1e9)
	}
	return time.Unix(sec, ns).UTC()
}

// rtMailParams chooses MAIL parameters, some out of range.
func rtMailParams(in *rtIn) wire.MailParams {
	var p wire.MailParams
	if in.flag() {
		p.HasSize, p.Size = true, in.u64()
	}
	p.Body = wire.BodyType(in.n(5)) // 4 is no BodyType
	p.SMTPUTF8 = in.flag()
	p.Ret = wire.DSNReturn(in.n(4)) // 3 is no DSNReturn
	if in.flag() {
		p.EnvID = rtXtext(in)
	}
	if in.flag() {
		p.Auth = rtXtext(in)
	}
	if in.flag() {
		p.HasBy = true
		p.By = wire.DeliverBy{Time: int64(in.u64()%2e9) - 1e9, Mode: "RNX"[in.n(3)], Trace: in.flag()}
	}
	switch in.n(3) {
	case 1:
		p.HasHoldFor, p.HoldFor = true, in.u64()
	case 2:
		p.HoldUntil = rtTime(in)
	}
	if in.flag() {
		p.HasMTPriority, p.MTPriority = true, int8(in.n(25)-12)
	}
	p.RequireTLS = in.flag()
	return p
}

// rtRcptParams chooses RCPT parameters, some out of range.
func rtRcptParams(in *rtIn) wire.RcptParams {
	var r wire.RcptParams
	r.Notify = wire.NotifyFlags(in.n(32)) // 16 is no flag
	if in.flag() {
		r.ORCPT.AddrType = [][]byte{[]byte("rfc822"), []byte("RFC822"), []byte("utf-8"), []byte("x400"), []byte("bogus;")}[in.n(5)]
		switch raw := in.tokens(rtLocalTokens, 5); in.n(3) {
		case 0:
			r.ORCPT.Addr = wire.AppendXtext(nil, raw)
		case 1:
			r.ORCPT.Addr, _ = wire.AppendUTF8AddrXtext(nil, raw)
		default:
			r.ORCPT.Addr = raw
		}
	}
	if in.flag() {
		r.RRVS = wire.RRVS{Time: rtTime(in), Mode: []byte{0, 'C', 'R', 'c'}[in.n(4)]}
	}
	r.ConNeg = in.flag()
	return r
}

// rtGen decodes the fuzz input into a command.
func rtGen(data []byte) *rtSpec {
	in := &rtIn{b: data}
	s := &rtSpec{verb: rtVerbs[in.n(len(rtVerbs))]}
	switch s.verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO:
		s.host = rtDomain(in)
	case wire.VerbMAIL:
		s.mail = rtMailParams(in)
		if !in.flag() {
			rtMailbox(in, s, s.mail.SMTPUTF8)
		}
	case wire.VerbRCPT:
		s.utf8 = in.flag()
		s.rcpt = rtRcptParams(in)
		if rtMailbox(in, s, s.utf8); in.n(8) == 0 {
			s.mailbox, s.local, s.domain = []byte("Postmaster"), nil, nil
		}
	case wire.VerbAUTH:
		if s.mech = rtMechs[in.n(len(rtMechs))]; in.n(4) == 0 {
			s.mech = string(in.raw(22))
		}
		s.hasIR, s.ir = in.flag(), in.raw(60)
	case wire.VerbBDAT:
		s.size, s.last = in.u64(), in.flag()
	case wire.VerbUnknown:
		s.name = in.tokens([]string{"X", "Y", "Z", "-", "A", "1"}, 6)
		s.arg = in.tokens(rtArgTokens, 6)
	default:
		s.arg = in.tokens(rtArgTokens, 6)
	}
	return s
}

// append writes s with the typed serializer for its verb.
func (s *rtSpec) append(dst []byte) ([]byte, error) {
	switch s.verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO:
		return wire.AppendHello(dst, s.verb, s.host)
	case wire.VerbMAIL:
		return wire.AppendMail(dst, s.mailbox, s.mail)
	case wire.VerbRCPT:
		return wire.AppendRcpt(dst, s.mailbox, s.rcpt, s.utf8)
	case wire.VerbAUTH:
		return wire.AppendAuth(dst, s.mech, s.ir, s.hasIR)
	case wire.VerbBDAT:
		return wire.AppendBdat(dst, s.size, s.last), nil
	case wire.VerbUnknown:
		return wire.AppendCommand(dst, wire.Command{Name: s.name, Arg: s.arg})
	}
	return wire.AppendVerbArg(dst, s.verb, s.arg)
}

// rtAllExts enables every extension, so that the decoders judge values
// alone.
var rtAllExts = wire.NewExtSet(wire.Exts()...)

// checkRefusal checks a serializer's refusal: a *wire.SyntaxError with an
// element, a rule and a 4yz/5yz reply, and out equal to the dst it was
// given.
func checkRefusal(err error, dst, out []byte) error {
	var se *wire.SyntaxError
	switch {
	case !errors.As(err, &se):
		return fmt.Errorf("refusal %v (%T) is not a *wire.SyntaxError", err, err)
	case se.Element == "" || se.Rule == "" || se.Err == nil:
		return fmt.Errorf("refusal %#v lacks its element, rule or sentinel", se)
	case !se.Reply().Code.IsNegative():
		return fmt.Errorf("refusal %v replies %v", err, se.Reply().Code)
	case !bytes.Equal(out, dst):
		return fmt.Errorf("refusal changed the buffer: %q became %q", dst, out)
	}
	return nil
}

// rtSummary renders the fields of c that a round trip keeps (not Name,
// whose case is the sender's, nor Arg of verbs with structured fields).
func rtSummary(c wire.Command) string {
	arg := c.Arg
	switch c.Verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO, wire.VerbMAIL, wire.VerbRCPT, wire.VerbAUTH, wire.VerbBDAT, wire.VerbETRN:
		arg = nil
	}
	return fmt.Sprintf("%v arg=%q dom=%q lit=%v mbox=%q null=%v pm=%v params=%q mech=%q ir=%q/%v chunk=%d/%v node=%q",
		c.Verb, arg, c.Domain, c.Literal, c.Path.Mailbox, c.Path.Null, c.Path.Postmaster, c.Params.Text,
		c.Mechanism, c.InitialResponse, c.HasInitialResponse, c.ChunkSize, c.Last, c.NodeOption)
}

// rtCanonicalArg reports whether AppendVerbArg writes arg the way
// AppendCommand writes it back: no white space at either end nor two in a
// row (ParseCommand trims and splits there, RFC 5321 4.1.1).
func rtCanonicalArg(arg []byte) bool {
	ws := func(c byte) bool { return c == ' ' || c == '\t' }
	for i, c := range arg {
		if ws(c) && (i == 0 || i == len(arg)-1 || ws(arg[i-1])) {
			return false
		}
	}
	return true
}

// equalMail compares MAIL parameters, times by instant.
func equalMail(a, b wire.MailParams) bool {
	if !a.HoldUntil.Equal(b.HoldUntil) {
		return false
	}
	a.HoldUntil, b.HoldUntil = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// equalRcpt compares RCPT parameters, times by instant.
func equalRcpt(a, b wire.RcptParams) bool {
	if !a.RRVS.Time.Equal(b.RRVS.Time) {
		return false
	}
	a.RRVS.Time, b.RRVS.Time = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// checkSpecLine checks that line, which the serializer wrote for s, parses
// back to s's values and that writing those values again gives line.
func checkSpecLine(s *rtSpec, line []byte) error {
	if !bytes.HasSuffix(line, []byte("\r\n")) || bytes.ContainsAny(line[:len(line)-2], "\r\n\x00") {
		return fmt.Errorf("%q: not one line ending in CRLF, or CR, LF or NUL inside", line)
	}
	c, err := wire.ParseCommand(line[:len(line)-2], wire.ParseOptions{UTF8: true})
	if err != nil {
		return fmt.Errorf("%q does not parse: %v", line, err)
	}
	if c.Verb != s.verb {
		return fmt.Errorf("%q parses as %v, not %v", line, c.Verb, s.verb)
	}
	again := func(out []byte, err error) error {
		if err != nil || !bytes.Equal(out, line) {
			return fmt.Errorf("%q: the parsed values write %q (%v)", line, out, err)
		}
		return nil
	}
	switch s.verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO:
		kind, _ := wire.CheckHost(s.host, false)
		if !bytes.Equal(c.Domain, s.host) || c.Literal != kind {
			return fmt.Errorf("%q: domain %q (%v), want %q (%v)", line, c.Domain, c.Literal, s.host, kind)
		}
		return again(wire.AppendHello(nil, c.Verb, c.Domain))
	case wire.VerbMAIL, wire.VerbRCPT:
		if !bytes.Equal(c.Path.Mailbox, s.mailbox) || c.Path.Null != (len(s.mailbox) == 0) {
			return fmt.Errorf("%q: mailbox %q, want %q", line, c.Path.Mailbox, s.mailbox)
		}
		if s.local != nil && (!bytes.Equal(c.Path.AppendLocal(nil), s.local) || !bytes.Equal(c.Path.Domain, s.domain)) {
			return fmt.Errorf("%q: local part %q at %q, want %q at %q", line, c.Path.AppendLocal(nil), c.Path.Domain, s.local, s.domain)
		}
		if s.verb == wire.VerbRCPT {
			r, err := wire.DecodeRcptParams(c.Params, rtAllExts)
			if err != nil || !equalRcpt(r, s.rcpt) {
				return fmt.Errorf("%q: RCPT parameters %+v (%v), want %+v", line, r, err, s.rcpt)
			}
			return again(wire.AppendRcpt(nil, c.Path.Mailbox, r, s.utf8))
		}
		m, err := wire.DecodeMailParams(c.Params, rtAllExts)
		if err != nil || !equalMail(m, s.mail) {
			return fmt.Errorf("%q: MAIL parameters %+v (%v), want %+v", line, m, err, s.mail)
		}
		return again(wire.AppendMail(nil, c.Path.Mailbox, m))
	case wire.VerbAUTH:
		ir, err := wire.DecodeBase64(nil, c.InitialResponse)
		if err != nil || string(c.Mechanism) != s.mech || c.HasInitialResponse != s.hasIR || (s.hasIR && !bytes.Equal(ir, s.ir)) {
			return fmt.Errorf("%q: AUTH %q %q/%v (%v), want %q %q/%v", line, c.Mechanism, ir, c.HasInitialResponse, err, s.mech, s.ir, s.hasIR)
		}
		return again(wire.AppendAuth(nil, string(c.Mechanism), ir, c.HasInitialResponse))
	case wire.VerbBDAT:
		if c.ChunkSize != s.size || c.Last != s.last {
			return fmt.Errorf("%q: BDAT %d/%v, want %d/%v", line, c.ChunkSize, c.Last, s.size, s.last)
		}
		return again(wire.AppendBdat(nil, c.ChunkSize, c.Last), nil)
	}
	// Verbs whose argument is text: the line is the verb (or name), SP
	// and the argument; writing the parse is a fixed point, and the same
	// octets when the argument was canonical.
	want := []byte(s.verb.String())
	if s.verb == wire.VerbUnknown {
		want = s.name
	}
	if len(s.arg) > 0 {
		want = append(append(bytes.Clone(want), ' '), s.arg...)
	}
	if !bytes.Equal(line, append(want, '\r', '\n')) {
		return fmt.Errorf("%q written for %q", line, want)
	}
	out, err := wire.AppendCommand(nil, c)
	if err != nil {
		return fmt.Errorf("%q parses but does not write back: %v", line, err)
	}
	c2, err := wire.ParseCommand(out[:len(out)-2], wire.ParseOptions{UTF8: true})
	if err != nil || rtSummary(c2) != rtSummary(c) {
		return fmt.Errorf("%q -> %q: %s became %s (%v)", line, out, rtSummary(c), rtSummary(c2), err)
	}
	if rtCanonicalArg(s.arg) && !bytes.Equal(out, line) {
		return fmt.Errorf("%q written back as %q", line, out)
	}
	return nil
}

// rtCommandSeeds returns inputs that make rtGen choose each verb, with
// five kinds of field material.
func rtCommandSeeds() [][]any {
	var seeds [][]any
	for v := range rtVerbs {
		for _, tail := range []string{"\x01\x03\x05\x02\x07\x01\x09\x04\x01\x06\x03\x01", "example\x01\x02\x03mail\x04", "\xff\x10\x00\x41\x33\x07\x08\x00", "\x01\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
			seeds = append(seeds, []any{append([]byte{byte(v)}, tail...)})
		}
	}
	return seeds
}

// TestSeedsCommandRoundTrip keeps the checked-in corpus equal to
// rtCommandSeeds and checks that every verb has a seed its serializer
// accepts.
func TestSeedsCommandRoundTrip(t *testing.T) {
	seeds := rtCommandSeeds()
	syncSeeds(t, "FuzzCommandRoundTrip", seeds)
	// Each verb has a seed its serializer accepts.
	ok := map[wire.Verb]bool{}
	for _, s := range seeds {
		spec := rtGen(s[0].([]byte))
		if _, err := spec.append(nil); err == nil {
			ok[spec.verb] = true
		}
	}
	require.Len(t, ok, len(rtVerbs))
}

// FuzzCommandRoundTrip: a structured command written by the typed
// serializers parses back to the same values and rewrites to the same
// octets; a refusal is typed and leaves the buffer alone.
func FuzzCommandRoundTrip(f *testing.F) {
	for _, s := range rtCommandSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := rtGen(data)
		dst := []byte("prefix ")
		out, err := s.append(dst[:len(dst):len(dst)])
		if err != nil {
			require.NoError(t, checkRefusal(err, dst, out))
			return
		}
		require.True(t, bytes.HasPrefix(out, dst), "prefix lost")
		require.NoError(t, checkSpecLine(s, out[len(dst):]))
	})
}

// TestCommandCheckersFail shows each checker reporting a wrong input.
func TestCommandCheckersFail(t *testing.T) {
	s := &rtSpec{verb: wire.VerbMAIL, mailbox: []byte("a@b.example"), mail: wire.MailParams{HasSize: true, Size: 10}}
	require.NoError(t, checkSpecLine(s, []byte("MAIL FROM:<a@b.example> SIZE=10\r\n")))
	require.Error(t, checkSpecLine(s, []byte("MAIL FROM:<a@b.example> SIZE=11\r\n")))
	require.Error(t, checkSpecLine(s, []byte("MAIL FROM:<a@b.example> size=10\r\n")), "not what the serializer writes")
	require.Error(t, checkSpecLine(s, []byte("MAIL FROM:<a@b.example>\r\nRSET\r\n")))
	require.Error(t, checkSpecLine(&rtSpec{verb: wire.VerbAUTH, mech: "PLAIN", ir: []byte("x"), hasIR: true}, []byte("AUTH PLAIN eQ==\r\n")))
	require.Error(t, checkSpecLine(&rtSpec{verb: wire.VerbBDAT, size: 5}, []byte("BDAT 5 LAST\r\n")))
	require.Error(t, checkSpecLine(&rtSpec{verb: wire.VerbVRFY, arg: []byte("a")}, []byte("VRFY b\r\n")))

	require.Error(t, checkRefusal(errors.New("plain"), nil, nil))
	_, err := wire.AppendHello(nil, wire.VerbHELO, []byte("bad host"))
	require.NoError(t, checkRefusal(err, []byte("x"), []byte("x")))
	require.Error(t, checkRefusal(err, []byte("x"), []byte("xHELO")), "buffer changed")

}
