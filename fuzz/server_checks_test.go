package fuzz

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file proves that each checker of the FuzzServer* targets can fail:
// every one is fed deliberately wrong input and must report it.

// TestSvCheckContractFails feeds the Session contract checker good and
// broken call sequences.
func TestSvCheckContractFails(t *testing.T) {
	good := []string{"AUTH alice", "MAIL a tls=false", "RCPT b", "BODY x", "RESET", "MAIL  tls=false", "RCPT c", "ABORT", "RESET", "LOGOUT"}
	require.NoError(t, svCheckContract(good))
	for name, events := range map[string][]string{
		"nested MAIL":       {"MAIL a tls=false", "MAIL b tls=false", "RESET", "LOGOUT"},
		"RCPT without MAIL": {"RCPT b", "LOGOUT"},
		"body without RCPT": {"MAIL a tls=false", "BODY x", "RESET", "LOGOUT"},
		"body outside":      {"BODY x", "LOGOUT"},
		"RESET twice":       {"MAIL a tls=false", "RESET", "RESET", "LOGOUT"},
		"wrong identity":    {"AUTH mallory", "LOGOUT"},
		"no LOGOUT":         {"MAIL a tls=false", "RESET"},
		"LOGOUT not last":   {"LOGOUT", "MAIL a tls=false"},
		"unknown call":      {"VRFY x", "LOGOUT"},
	} {
		require.Error(t, svCheckContract(events), name)
	}
}

// TestSvMatchFails lays right and wrong Session calls over client octets:
// a message run past its end, cut short at a smuggled end, left stuffed,
// with a bare LF, or a command taken from inside a message must not match.
func TestSvMatchFails(t *testing.T) {
	o := svOptions{}
	in := []byte("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhello\r\n..dot\r\n" +
		"MAIL FROM:<evil@x.example>\r\n.\r\nMAIL FROM:<e@f.example>\r\nRCPT TO:<postmaster>\r\nBDAT 3\r\nabcNOOP\r\nBDAT 2 LAST\r\nde")
	env := []string{"MAIL a@b.example tls=false", "RCPT c@d.example"}
	body := "BODY hello\r\n.dot\r\nMAIL FROM:<evil@x.example>\r\n"
	tail := []string{"RESET", "MAIL e@f.example tls=false", "RCPT Postmaster", "BODY abcde", "RESET", "LOGOUT"}
	with := func(events ...string) []string {
		return append(append(append([]string(nil), env...), events...), tail...)
	}
	require.NoError(t, svMatch(in, with(body), o))
	for name, events := range map[string][]string{
		"past the end":     with(body + ".\r\nMAIL FROM:<e@f.example>\r\n"),
		"cut short":        with("BODY hello\r\n"),
		"left stuffed":     with("BODY hello\r\n..dot\r\nMAIL FROM:<evil@x.example>\r\n"),
		"command in body":  with("BODY hello\r\n.dot\r\n", "MAIL evil@x.example tls=false"),
		"after its body":   append(with(body), "MAIL evil@x.example tls=false"),
		"never sent":       with(body, "RCPT nobody@example.org"),
		"chunk too long":   append(with(body)[:len(with(body))-3], "BODY abcdeN", "RESET", "LOGOUT"),
		"chunks reordered": append(with(body)[:len(with(body))-3], "BODY deabc", "RESET", "LOGOUT"),
	} {
		require.Error(t, svMatch(in, events, o), name)
	}
	smuggled := []byte("DATA\r\na\n.\r\nMAIL FROM:<evil@x.example>\r\n.\r\n")
	require.Error(t, svMatch(smuggled, []string{"BODY a\n"}, o), "end at a bare LF")
	require.Error(t, svMatch(smuggled, []string{"BODY a\n.\r\nMAIL FROM:<evil@x.example>\r\n"}, o), "bare LF accepted")
	require.Error(t, svMatch([]byte("DATA\r\n"+string(bytes.Repeat([]byte("x"), 120))+"\r\n.\r\n"),
		[]string{"BODY " + string(bytes.Repeat([]byte("x"), 120)) + "\r\n"}, svOptions{MaxDataLine: 100}), "line over the limit")
}

// TestSvRefData checks the reference DATA decoder on the RFC 5321 section
// 4.5.2 vectors of SPEC section 2.8 and on smuggling sequences, which must
// never end the content.
func TestSvRefData(t *testing.T) {
	for _, c := range []struct{ wire, body string }{
		{".\r\n", ""},
		{"..foo\r\n.\r\n", ".foo\r\n"},
		{"..\r\n...\r\n.\r\n", ".\r\n..\r\n"},
		{"a\r\n.\n\r\n.\r\n", "a\r\n\n\r\n"}, // ".\n" is a stuffed line holding a bare LF
		{"a\n.\nb\r\n.\r\n", "a\n.\nb\r\n"},
	} {
		body, end, ok, _ := svRefData([]byte(c.wire+"TAIL"), 0, svOptions{})
		require.True(t, ok, "%q", c.wire)
		require.Equal(t, c.body, string(body), "%q", c.wire)
		require.Equal(t, len(c.wire), end, "%q", c.wire)
	}
	_, _, ok, _ := svRefData([]byte("a\r\n.\n\r.\r"), 0, svOptions{})
	require.False(t, ok, "no end of data")
	_, _, _, acceptable := svRefData([]byte("a\rb\r\n.\r\n"), 0, svOptions{})
	require.False(t, acceptable, "bare CR")
	body, _, ok := svRefBdat([]byte("BDAT 2\r\nabRSET\r\nbdat 3 last\r\ncde"), 0, svOptions{})
	require.True(t, ok)
	require.Equal(t, "abcde", string(body))
}

// TestSvExpect checks the oracle of FuzzServerSmuggle on hand-made cases:
// the final CRLF of DATA, each BareData policy, NUL, BINARYMIME, the line
// limit, and which BDAT chunk's reply refuses the message.
func TestSvExpect(t *testing.T) {
	data := func(body string) svTxn { return svTxn{body: []byte(body), method: svDATA} }
	bdat := func(body string, chunks ...int) svTxn {
		return svTxn{body: []byte(body), method: svBDAT, chunks: chunks}
	}
	reject, normalize := svOptions{}, svOptions{BareData: wire.BareNormalize}
	for name, c := range map[string]struct {
		t       svTxn
		o       svOptions
		body    string
		refused bool
		chunk   int
	}{
		"final CRLF added":  {data("a"), reject, "a\r\n", false, -1},
		"empty":             {data(""), reject, "", false, -1},
		"bare LF refused":   {data("a\n.\r\n"), reject, "a\n.\r\n", true, -1},
		"bare LF normal":    {data("a\n.\r\n"), normalize, "a\r\n.\r\n", false, -1},
		"bare CR allowed":   {data("a\rb"), svOptions{BareData: wire.BareAllow}, "a\rb\r\n", false, -1},
		"NUL refused":       {data("\x00"), normalize, "\x00\r\n", true, -1},
		"NUL allowed":       {data("\x00"), svOptions{AllowNUL: true}, "\x00\r\n", false, -1},
		"line at limit":     {data(string(bytes.Repeat([]byte("x"), 998))), svOptions{MaxDataLine: 1000}, string(bytes.Repeat([]byte("x"), 998)) + "\r\n", false, -1},
		"line over limit":   {data(string(bytes.Repeat([]byte("x"), 999))), svOptions{MaxDataLine: 1000}, string(bytes.Repeat([]byte("x"), 999)) + "\r\n", true, -1},
		"BDAT as sent":      {bdat("a\r", 1, 1), reject, "a\r", true, 1},
		"CR then LF":        {bdat("a\r\nb", 2, 0, 2), reject, "a\r\nb", false, -1},
		"bare CR decided":   {bdat("a\rb", 2, 0, 1), reject, "a\rb", true, 2},
		"bare LF in chunk":  {bdat("ab\nc", 1, 2, 1), reject, "ab\nc", true, 1},
		"NUL in last chunk": {bdat("ab\x00", 2, 1), normalize, "ab\x00", true, 1},
		"binary":            {svTxn{body: []byte("\n\x00\r"), method: svBinary, chunks: []int{3}}, reject, "\n\x00\r", false, -1},
	} {
		e := c.t.expect(c.o)
		require.Equal(t, c.body, string(e.body), name)
		require.Equal(t, c.refused, e.refused, name)
		require.Equal(t, c.chunk, e.failChunk, name)
	}
}

// TestSvVerdictFails runs real sessions whose plan is wrong, the way a
// broken client or a broken server would make them: a body sent without
// dot-stuffing (its "." line ends the message early and the rest runs as
// commands), and a trace holding a secret.
func TestSvVerdictFails(t *testing.T) {
	// All at once, one DATA transaction whose body is "\r\n.\r\n" and
	// "MAIL FROM:<evil@x.example>\r\n".
	c := svDecode([]byte{svBlast << 2, 0, 0, 0, 0, 2, 22, 23})
	p := c.plan(t)
	res := svRun(t, c.o, p.writes)
	require.NoError(t, svVerdict(c, p, res))
	res.trace = append(res.trace, "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"...)
	require.Error(t, svVerdict(c, p, res), "credentials in the trace")

	raw := svPlan{codes: p.codes, events: p.events}
	s := &svScript{t: t}
	s.ehlo().mail(c.txns[0].from, 0).rcpt(c.txns[0].rcpts[0]).verb(wire.VerbDATA)
	raw.writes = []svWrite{{wait: true}, {pieces: [][]byte{s.b}, wait: true},
		{pieces: [][]byte{append(bytes.Clone(c.txns[0].body), ".\r\nQUIT\r\n"...)}, wait: true}}
	require.Error(t, svVerdict(c, raw, svRun(t, c.o, raw.writes)), "unstuffed body")
}

// TestSvLinkHang checks that the harness gives up on a session that
// hangs instead of blocking forever.
func TestSvLinkHang(t *testing.T) {
	l := newSvLink()
	defer l.timer.Stop()
	l.mu.Lock()
	l.expired = true
	l.mu.Unlock()
	require.ErrorIs(t, l.quiesce(), errSvHung)
	require.ErrorIs(t, l.awaitClose(), errSvHung)
	_, err := svServerEnd{l}.Read(make([]byte, 1))
	require.Error(t, err)
}

// TestSvSessionCutInvariance checks the premise of FuzzServerSession's
// comparison: under SyncAllow the server's output does not depend on the
// cuts, while under the default SyncReject it does, so the comparison
// would find a server that let the cuts matter.
func TestSvSessionCutInvariance(t *testing.T) {
	in := []byte("EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n")
	segs := svSplitAtSTARTTLS(in)
	o := svSessionOptions(0)
	require.Equal(t, svRun(t, o, svCutWrites(segs, nil)).out, svRun(t, o, svCutWrites(segs, []byte{0})).out)
	o.Sync = state.SyncReject
	require.NotEqual(t, svRun(t, o, svCutWrites(segs, nil)).out, svRun(t, o, svCutWrites(segs, []byte{0})).out)
}
