package fuzz

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// svMaxInput bounds the client octets of one FuzzServerSession input,
// so that an execution stays in the millisecond range.
const svMaxInput = 8 << 10

// svSessionOptions maps FuzzServerSession's flags byte to the server's
// configuration. Bit 0 offers STARTTLS, bit 1 AUTH PLAIN and LOGIN (in
// clear, so random sessions reach it), bits 2 and 3 require AUTH and TLS
// (RFC 4954 section 6, RFC 3207 section 4), bit 4 normalizes bare CR and
// LF in command lines, bit 5 is Lenient, bits 6 and 7 set a message size
// and a DATA line limit low enough to be reached.
//
// Sync is always state.SyncAllow: under it the machine handles commands
// sent ahead of their replies as if the client had waited (RFC 2920
// section 3.1 does not apply), so where the input is cut cannot change
// what the server does. Under the default SyncReject it must: a command
// followed in the same read by more octets is refused, so the cuts are
// part of the input's meaning. The one rule that still depends on the
// cuts, octets behind STARTTLS (RFC 3207 section 4.2), is kept out by
// svSplitAtSTARTTLS.
func svSessionOptions(flags uint8) svOptions {
	o := svOptions{
		TLS: flags&1 != 0, Auth: flags&2 != 0,
		RequireAuth: flags&4 != 0, RequireTLS: flags&8 != 0,
		Lenient: flags&32 != 0, Sync: state.SyncAllow,
	}
	if flags&16 != 0 {
		o.BareLines = wire.BareNormalize
	}
	if flags&64 != 0 {
		o.MaxMessageSize = 256
	}
	if flags&128 != 0 {
		o.MaxDataLine = 100
	}
	return o
}

// svSplitAtSTARTTLS cuts the client octets after the end of every line that
// holds "STARTTLS" (in any case, ended by CR, LF or CRLF), so that the
// client can wait there for the 220 reply and go on inside TLS, as RFC
// 3207 section 4.2 requires of it. Cutting where no STARTTLS is accepted
// changes nothing under SyncAllow.
func svSplitAtSTARTTLS(in []byte) [][]byte {
	var segs [][]byte
	start := 0
	for i := 0; ; {
		k := svIndexFold(in, i, "STARTTLS")
		if k < 0 {
			break
		}
		j := bytes.IndexAny(in[k:], "\r\n")
		if j < 0 {
			break
		}
		e := k + j + 1
		if in[e-1] == '\r' && e < len(in) && in[e] == '\n' {
			e++
		}
		segs = append(segs, in[start:e])
		start, i = e, e
	}
	return append(segs, in[start:])
}

// svCutWrites turns segments into harness writes, waiting after each. With
// sizes, each segment is cut into pieces of sizes[k]+1 octets, k cycling
// through sizes across the segments; without, a segment goes in one piece.
func svCutWrites(segs [][]byte, sizes []byte) []svWrite {
	var ws []svWrite
	k := 0
	for _, seg := range segs {
		w := svWrite{wait: true}
		for len(seg) > 0 {
			n := len(seg)
			if len(sizes) > 0 {
				n = min(n, int(sizes[k%len(sizes)])+1)
				k++
			}
			w.pieces = append(w.pieces, seg[:n])
			seg = seg[n:]
		}
		ws = append(ws, w)
	}
	return ws
}

// svCheckSession runs the client octets in through a whole
// server.Server session twice, cut by cuts and uncut, and checks the
// invariants of FuzzServerSession (see there).
func svCheckSession(t *testing.T, in, cuts []byte, flags uint8) {
	o := svSessionOptions(flags)
	segs := svSplitAtSTARTTLS(in)
	if len(cuts) == 0 {
		cuts = []byte{2}
	}
	a := svRun(t, o, svCutWrites(segs, cuts))
	b := svRun(t, o, svCutWrites(segs, nil))

	_, err := svSplitReplies(a.out)
	require.NoError(t, err, "server output %q", a.out)
	require.Equal(t, string(b.out), string(a.out), "the output depends on how the input is cut")
	require.Equal(t, b.events, a.events, "what the Session sees depends on how the input is cut")
	require.Equal(t, b.tls, a.tls)
	require.NoError(t, a.tlsErr, "TLS handshake after the 220 to STARTTLS")
	require.NoError(t, svCheckContract(a.events))
	if svCredsOnlyInAuth(in) {
		for _, w := range svIRPieces() {
			require.NotContains(t, string(a.trace), w, "credentials in the trace")
		}
	}
	require.NoError(t, svMatch(in, a.events, o), "server output %q", a.out)
}

// svPlainIR is the AUTH PLAIN initial response of svUser and svPass (RFC
// 4616), as the golden transcripts send it.
const svPlainIR = "AGFsaWNlAHNlY3JldA=="

// svIRPieces returns every 8-octet piece of svPlainIR.
func svIRPieces() []string {
	var out []string
	for i := 0; i+8 <= len(svPlainIR); i++ {
		out = append(out, svPlainIR[i:i+8])
	}
	return out
}

// svCredsOnlyInAuth reports whether every piece of svPlainIR in the client
// octets in stands in a whole "AUTH PLAIN <response>" at the start of a
// line (after CR, LF or nothing). Then the server's trace, which redacts
// AUTH lines (server.Server.Trace), must show none of them, however the
// octets are cut.
func svCredsOnlyInAuth(in []byte) bool {
	auth := []byte("AUTH PLAIN " + svPlainIR)
	covered := make([]bool, len(in))
	for i := bytes.Index(in, auth); i >= 0; {
		if i == 0 || in[i-1] == '\r' || in[i-1] == '\n' {
			for k := range auth {
				covered[i+k] = true
			}
		}
		j := bytes.Index(in[i+1:], auth)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	for _, w := range svIRPieces() {
		for i := 0; i+len(w) <= len(in); i++ {
			if string(in[i:i+len(w)]) == w && !(covered[i] && covered[i+len(w)-1]) {
				return false
			}
		}
	}
	return true
}

// FuzzServerSession serves one connection with the real server.Server
// driver over an in-memory connection and feeds it random client octets,
// cut into random pieces, with STARTTLS (a real TLS handshake when the
// server answers 220) and AUTH as the flags byte says (svSessionOptions).
// Invariants, beyond "no panic":
//   - the server's output is well-formed replies (RFC 5321 section 4.2;
//     svSplitReplies);
//   - the session ends once the client has sent everything and closed its
//     side, and the Session contract holds (svCheckContract);
//   - the same input cut differently gives the same output octets and the
//     same Session calls (under SyncAllow, see svSessionOptions);
//   - every message delivered (its reader reached io.EOF) is what the
//     reference decoders make of the client octets of its transaction
//     (RFC 5321 sections 4.1.1.4 and 4.5.2 for DATA, RFC 3030 section 2
//     for BDAT), and every MAIL and RCPT the Session saw was sent as such,
//     in order, outside the messages before it (svMatch): nothing
//     after a message's end is delivered as its body, and nothing inside
//     a body runs as a command;
//   - the trace shows no piece of the AUTH PLAIN credentials when they
//     were sent only in AUTH lines (svCredsOnlyInAuth).
func FuzzServerSession(f *testing.F) {
	for _, s := range svSessionSeeds(f) {
		f.Add(s[0].([]byte), s[1].([]byte), s[2].(uint8))
	}
	f.Fuzz(func(t *testing.T, in, cuts []byte, flags uint8) {
		if len(in) > svMaxInput || len(cuts) > 256 {
			return
		}
		svCheckSession(t, in, cuts, flags)
	})
}

// svScript builds client octets with the wire serializers.
type svScript struct {
	t testing.TB
	b []byte
}

// ok keeps what a serializer appended, failing on its error.
func (s *svScript) ok(b []byte, err error) { require.NoError(s.t, err); s.b = b }

// ehlo appends EHLO.
func (s *svScript) ehlo() *svScript {
	s.ok(wire.AppendHello(s.b, wire.VerbEHLO, []byte("client.example.com")))
	return s
}

// verb appends a command without arguments.
func (s *svScript) verb(v wire.Verb) *svScript { s.ok(wire.AppendVerb(s.b, v)); return s }

// mail appends MAIL FROM with a BODY parameter (none for BodyNone).
func (s *svScript) mail(from string, body wire.BodyType) *svScript {
	s.ok(wire.AppendMail(s.b, []byte(from), wire.MailParams{Body: body}))
	return s
}

// rcpt appends RCPT TO.
func (s *svScript) rcpt(to string) *svScript {
	s.ok(wire.AppendRcpt(s.b, []byte(to), wire.RcptParams{}, false))
	return s
}

// authPlain appends AUTH PLAIN with the initial response for user, pass.
func (s *svScript) authPlain(user, pass string) *svScript {
	s.ok(wire.AppendAuth(s.b, "PLAIN", []byte("\x00"+user+"\x00"+pass), true))
	return s
}

// data appends DATA and body dot-stuffed by wire.DataEncoder under policy
// (BareAllow passes bare CR and LF through, as a hostile client would).
func (s *svScript) data(body string, policy wire.BarePolicy) *svScript {
	s.verb(wire.VerbDATA)
	return s.content([]byte(body), policy)
}

// content appends body dot-stuffed by wire.DataEncoder under policy and
// the end of data (RFC 5321 sections 4.5.2 and 4.1.1.4).
func (s *svScript) content(body []byte, policy wire.BarePolicy) *svScript {
	enc := wire.DataEncoder{Policy: policy}
	b, err := enc.Encode(s.b, body)
	require.NoError(s.t, err)
	s.ok(enc.Close(b))
	return s
}

// bdat appends the chunks of a BDAT message, the last one with LAST.
func (s *svScript) bdat(chunks ...string) *svScript {
	for i, c := range chunks {
		s.chunk([]byte(c), i == len(chunks)-1)
	}
	return s
}

// chunk appends one BDAT command and its chunk (RFC 3030 section 2).
func (s *svScript) chunk(p []byte, last bool) *svScript {
	s.b = wire.AppendBdat(s.b, uint64(len(p)), last)
	s.b = append(s.b, p...)
	return s
}

// raw appends octets as they are.
func (s *svScript) raw(p string) *svScript { s.b = append(s.b, p...); return s }

// svSessionSeeds returns FuzzServerSession's seeds: the client side of every
// golden session of the state package (flags from what it uses), and
// sessions written with the serializers that reach DATA, BDAT, STARTTLS,
// AUTH and the smuggling sequences of SPEC section 2.8.
func svSessionSeeds(t testing.TB) [][]any {
	var seeds [][]any
	golden := goldenSessions(t)
	names := make([]string, 0, len(golden))
	for name := range golden {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		in := golden[name].Bytes(state.SideClient)
		var flags uint8
		if svIndexFold(in, 0, "STARTTLS") >= 0 {
			flags |= 1
		}
		if svIndexFold(in, 0, "AUTH") >= 0 {
			flags |= 2
		}
		seeds = append(seeds, []any{in, []byte{7, 100, 3}, flags})
	}
	body := "Subject: seed\r\n\r\n.\r\n..\r\n. \r\nMAIL FROM:<evil@example.net>\r\n"
	s := func() *svScript { return (&svScript{t: t}).ehlo() }
	for _, c := range []struct {
		in    []byte
		flags uint8
	}{
		{s().mail("alice@example.com", 0).rcpt("bob@example.org").rcpt("carol@example.org").
			data(body, wire.BareReject).verb(wire.VerbQUIT).b, 0},
		{s().mail("", wire.BodyBinaryMIME).rcpt("bob@example.org").bdat("BDAT 5 LAST\r\n", "\r\n.\r\n", "\x00\r\n").
			verb(wire.VerbQUIT).b, 0},
		{s().verb(wire.VerbSTARTTLS).ehlo().authPlain(svUser, svPass).mail("alice@example.com", 0).
			rcpt("bob@example.org").data(body, wire.BareReject).verb(wire.VerbQUIT).b, 1 | 2 | 4 | 8},
		{s().mail("alice@example.com", 0).rcpt("bob@example.org").data("a\n.\r\nMAIL FROM:<evil@x.example>\r\n", wire.BareAllow).
			mail("bob@example.org", 0).rcpt("reject@example.org").rcpt("carol@example.org").
			data("\r\n.\r\r\nRSET\r\n\r\r\n.\r\r\n", wire.BareAllow).verb(wire.VerbQUIT).b, 0},
		{(&svScript{t: t}).raw("EHLO c.example\nMAIL FROM:<a@example.com>\nRCPT TO:<b@example.org>\nDATA\n" +
			"line\r\n.\n.\r\nQUIT\n").b, 16},
		{s().mail("alice@example.com", 0).rcpt("bob@example.org").data(strings.Repeat("x", 150)+"\r\n", wire.BareReject).
			mail("alice@example.com", 0).rcpt("bob@example.org").data(strings.Repeat("y\r\n", 100), wire.BareReject).
			b, 64 | 128},
		{s().raw("AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n" +
			"BDAT 3\r\nabcNOOP\r\nBDAT 2 LAST\r\nde").verb(wire.VerbQUIT).b, 2},
	} {
		seeds = append(seeds, []any{c.in, []byte{0, 3, 250}, c.flags})
	}
	return seeds
}

// TestSeedsServerSession keeps FuzzServerSession's checked-in corpus equal
// to svSessionSeeds (FuzzServerSession itself runs them).
func TestSeedsServerSession(t *testing.T) {
	syncSeeds(t, "FuzzServerSession", svSessionSeeds(t))
}
