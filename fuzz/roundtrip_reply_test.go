package fuzz

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the reply round trip: a reply.Reply written by
// reply.Reply.Append or wire.AppendReply is read back line by line with
// wire.ParseReplyLine, assembled by reply.Builder and, independently, by
// state.Client's reply reader, and compared with the reply that was
// written. reply's FuzzReplyAppend compares visible octets; this target
// holds every line to the documented text rule and the two readers to
// each other.

// rpCode maps any number onto a code the Reply-code grammar allows:
// %x32-35 %x30-35 %x30-39 (RFC 5321 section 4.2).
func rpCode(x uint16) reply.Code {
	return reply.Code(int(2+x%4)*100 + int(x/4%6)*10 + int(x/24%10))
}

// rpWrite writes r with the serializer mode picks (0: Reply.Append, 1:
// AppendReply with ENHANCEDSTATUSCODES, 2: AppendReply without) and returns
// the enhanced code every line must carry, per reply.Reply.Append and
// wire.AppendReply: the code given (or DefaultEnhanced under mode 1) when
// it is valid and of the reply's class (RFC 3463 section 2), else none.
func rpWrite(r reply.Reply, mode uint8) ([]byte, reply.Enhanced) {
	e := r.Enhanced
	var out []byte
	switch mode % 3 {
	case 0:
		out = r.Append(nil)
	case 1:
		out = wire.AppendReply(nil, r, true)
		if e.IsZero() {
			e = reply.DefaultEnhanced(r.Code)
		}
	default:
		out, e = wire.AppendReply(nil, r, false), reply.Enhanced{}
	}
	if !e.Valid() || reply.Class(e.Class) != r.Code.Class() {
		e = reply.Enhanced{}
	}
	return out, e
}

// rpSafe is the text rule of reply.Reply.Append: every control octet but
// HT, and DEL, is written as a space (RFC 5321 section 4.2, textstring).
// It works on octets: invalid UTF-8 is kept as it is.
func rpSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}

// rpLogical splits reply text into its lines as reply.Reply.Lines does:
// at "\n", a "\r" before it belonging to the break.
func rpLogical(text string) []string {
	lines := strings.Split(text, "\n")
	for i := range len(lines) - 1 {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	return lines
}

// rpMatch checks that segs, the text of the written lines without the
// enhanced code, are the logical lines of text in order, made safe and
// wrapped only where a line is longer than budget octets: at a space,
// which is dropped, or anywhere when none fits. It reports whether all of
// the text was written.
func rpMatch(text string, segs []string, budget int) (bool, error) {
	raw := rpLogical(text)
	li, rem := 0, raw[0]
	for i, seg := range segs {
		if li == len(raw) {
			return false, fmt.Errorf("line %d %q has no text left to come from", i, seg)
		}
		if len(seg) > len(rem) || rpSafe(rem[:len(seg)]) != seg {
			return false, fmt.Errorf("line %d %q is not the next text, %q", i, seg, rpSafe(rem))
		}
		full := rem
		if rem = rem[len(seg):]; rem != "" {
			if len(full) <= budget && i < len(segs)-1 {
				return false, fmt.Errorf("line %d %q wraps a line of %d octets that fits in %d", i, seg, len(full), budget)
			}
			rem = strings.TrimPrefix(rem, " ")
		}
		if rem == "" {
			if li++; li < len(raw) {
				rem = raw[li]
			}
		}
	}
	return li == len(raw), nil
}

// rpRead is what a reader made of the octets.
type rpRead struct {
	code reply.Code
	enh  reply.Enhanced
	text string
}

// rpClient reads out as a greeting with state.Client's reply reader.
func rpClient(out []byte) (rpRead, error) {
	c, err := state.NewClient(state.ClientConfig{Hostname: "client.example"})
	if err != nil {
		return rpRead{}, err
	}
	c.Receive(out)
	ev := c.Next()
	if ev.Code == 0 {
		return rpRead{}, fmt.Errorf("state.Client read no reply from %q: %v", out, ev)
	}
	return rpRead{ev.Code, ev.Enhanced, string(ev.Text)}, nil
}

// checkReplyWire checks out, the wire form of r written with enhanced code
// enh: CRLF-terminated lines of at most 512 octets (RFC 5321 section
// 4.5.3.1.5) without CR, LF, NUL or other controls inside, each parsed by
// wire.ParseReplyLine with r's code, "-" on all but the last (RFC 5321
// section 4.2), enh on each (RFC 2034 section 4), the text by the rule of
// reply.Reply.Append; reply.Builder and state.Client read the same reply,
// which is r's code, enh and text lines.
func checkReplyWire(r reply.Reply, enh reply.Enhanced, out []byte) error {
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		return fmt.Errorf("%q does not end in CRLF", out)
	}
	lines := strings.Split(string(out[:len(out)-2]), "\r\n")
	es := enh.String()
	var b reply.Builder
	segs := make([]string, 0, len(lines))
	for i, l := range lines {
		if len(l)+2 > reply.MaxLineLength {
			return fmt.Errorf("line %d is %d octets with its CRLF", i, len(l)+2)
		}
		if rpSafe(l) != l {
			return fmt.Errorf("line %d %q has a control octet", i, l)
		}
		rl, err := wire.ParseReplyLine([]byte(l))
		if err != nil || rl.Code != r.Code || rl.More != (i < len(lines)-1) {
			return fmt.Errorf("line %d %q: code %v more %v (%v)", i, l, rl.Code, rl.More, err)
		}
		seg := string(rl.Text)
		if !enh.IsZero() {
			if seg != es && !strings.HasPrefix(seg, es+" ") {
				return fmt.Errorf("line %d %q lacks %s", i, l, es)
			}
			seg = strings.TrimPrefix(strings.TrimPrefix(seg, es), " ")
		}
		segs = append(segs, seg)
		if done, err := b.Add(rl.Code, rl.More, rl.Text); err != nil || done != !rl.More {
			return fmt.Errorf("reply.Builder line %d: done %v, %v", i, done, err)
		}
	}
	budget := reply.MaxLineLength - len("ddd-\r\n")
	if !enh.IsZero() {
		budget -= len(es) + 1
	}
	all, err := rpMatch(r.Text, segs, budget)
	if err != nil {
		return err
	}
	built := b.Reply()
	if !all && len(lines) < reply.DefaultMaxLines && len(built.Text)+reply.MaxLineLength < reply.DefaultMaxText {
		return fmt.Errorf("text dropped though the reply is within the limits: %q", segs)
	}
	got := rpRead{built.Code, built.Enhanced, built.Text}
	// Without an enhanced code, text that starts like one of the reply's
	// class reads as one: the wire form cannot tell them apart.
	_, _, ambiguous := reply.ParseEnhancedPrefix([]byte(segs[0]))
	want := rpRead{r.Code, enh, strings.Join(segs, "\n")}
	if got != want && (!enh.IsZero() || !ambiguous || got.code != r.Code) {
		return fmt.Errorf("reply.Builder read %+v, want %+v", got, want)
	}
	viaClient, err := rpClient(out)
	if err != nil {
		return err
	}
	if viaClient != got {
		return fmt.Errorf("state.Client read %+v, reply.Builder %+v", viaClient, got)
	}
	return nil
}

// rpReplySeeds returns the replies of the golden sessions, assembled from
// the server's octets, under each serializer, and replies that exercise
// wrapping, controls and the limits.
func rpReplySeeds(t testing.TB) [][]any {
	var replies []reply.Reply
	sessions := goldenSessions(t)
	for _, name := range slices.Sorted(maps.Keys(sessions)) {
		var b reply.Builder
		for _, l := range strings.Split(string(sessions[name].Bytes(state.SideServer)), "\r\n") {
			rl, err := wire.ParseReplyLine([]byte(l))
			if err != nil {
				continue
			}
			if done, err := b.Add(rl.Code, rl.More, rl.Text); err == nil && done {
				replies = append(replies, b.Reply())
			}
		}
	}
	replies = append(replies,
		reply.Reply{Code: 250, Text: strings.Repeat("word ", 200)},
		reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: strings.Repeat("x", 1200) + "\r\nnext\rline\x00\x7f"},
		reply.Reply{Code: 214, Text: strings.Repeat("é中", 300)},
		reply.Reply{Code: 250, Text: strings.Repeat("\n", 600)},
		reply.Reply{Code: 250, Text: "2.1.0 looks enhanced\n2.1.0 again"},
		reply.Reply{Code: 451, Enhanced: reply.E(4, 999, 999), Text: strings.Repeat("a", 499) + " " + strings.Repeat("b", 9)},
	)
	seen := map[string]bool{}
	var seeds [][]any
	for i, r := range replies {
		seed := []any{uint16(r.Code), r.Enhanced.Class, r.Enhanced.Subject, r.Enhanced.Detail, r.Text, uint8(i % 3)}
		if key := fmt.Sprint(seed...); !seen[key] {
			seen[key] = true
			seeds = append(seeds, seed)
		}
	}
	return seeds
}

// rpReply builds the reply a fuzz input describes. A code given as a
// valid one is kept, so seeds keep theirs.
func rpReply(code uint16, class uint8, subject, detail uint16, text string) reply.Reply {
	c := reply.Code(code)
	if _, err := wire.ParseReplyLine([]byte(c.String())); code > 999 || err != nil {
		c = rpCode(code)
	}
	return reply.Reply{Code: c, Enhanced: reply.E(class%7, subject%1001, detail%1001), Text: text}
}

// TestSeedsReplyRoundTrip keeps the checked-in corpus equal to the golden
// replies and checks that rpReply keeps their codes.
func TestSeedsReplyRoundTrip(t *testing.T) {
	seeds := rpReplySeeds(t)
	require.Greater(t, len(seeds), 50)
	syncSeeds(t, "FuzzReplyRoundTrip", seeds)
	for _, s := range seeds {
		r := rpReply(s[0].(uint16), s[1].(uint8), s[2].(uint16), s[3].(uint16), s[4].(string))
		require.Equal(t, reply.Code(s[0].(uint16)), r.Code)
	}
}

// FuzzReplyRoundTrip: a reply written by either serializer reads back
// through wire.ParseReplyLine, reply.Builder and state.Client as the same
// code, enhanced code and text lines, within the line limit and without an
// injected line.
func FuzzReplyRoundTrip(f *testing.F) {
	for _, s := range rpReplySeeds(f) {
		f.Add(s[0].(uint16), s[1].(uint8), s[2].(uint16), s[3].(uint16), s[4].(string), s[5].(uint8))
	}
	f.Fuzz(func(t *testing.T, code uint16, class uint8, subject, detail uint16, text string, mode uint8) {
		r := rpReply(code, class, subject, detail, text)
		out, enh := rpWrite(r, mode)
		require.NoError(t, checkReplyWire(r, enh, out))
	})
}

// TestReplyCheckerFails shows checkReplyWire reporting wrong octets.
func TestReplyCheckerFails(t *testing.T) {
	r := reply.Reply{Code: 250, Enhanced: reply.E(2, 1, 0), Text: "a\nb"}
	out, enh := rpWrite(r, 0)
	require.Equal(t, "250-2.1.0 a\r\n250 2.1.0 b\r\n", string(out))
	require.NoError(t, checkReplyWire(r, enh, out))
	long := reply.Reply{Code: 250, Text: strings.Repeat("a ", 300)}
	longOut, _ := rpWrite(long, 0)
	require.NoError(t, checkReplyWire(long, reply.Enhanced{}, longOut))
	for name, bad := range map[string]string{
		"injected line":  "250-2.1.0 a\r\n250-2.1.0 b\r\n250 2.1.0 RSET\r\n",
		"bare LF":        "250-2.1.0 a\n250 2.1.0 b\r\n",
		"no CRLF":        "250-2.1.0 a\r\n250 2.1.0 b",
		"other code":     "250-2.1.0 a\r\n251 2.1.0 b\r\n",
		"no enhanced":    "250-2.1.0 a\r\n250 b\r\n",
		"text dropped":   "250 2.1.0 a\r\n",
		"text changed":   "250-2.1.0 a\r\n250 2.1.0 c\r\n",
		"control octet":  "250-2.1.0 a\x01\r\n250 2.1.0 b\r\n",
		"line too long":  "250-2.1.0 a" + strings.Repeat(" ", 510) + "\r\n250 2.1.0 b\r\n",
		"needless wrap":  "250-2.1.0 a\r\n250-2.1.0 \r\n250 2.1.0 b\r\n",
		"last line dash": "250-2.1.0 a\r\n250-2.1.0 b\r\n",
	} {
		require.Error(t, checkReplyWire(r, enh, []byte(bad)), name)
	}
	require.Error(t, checkReplyWire(long, reply.Enhanced{}, []byte("250-a\r\n250 "+strings.Repeat("a ", 299)+"a\r\n")), "wrapped too early")
	// The readers are compared: a client that reads a reply differently
	// from the Builder would fail rpClient's comparison.
	got, err := rpClient(out)
	require.NoError(t, err)
	require.Equal(t, rpRead{250, reply.E(2, 1, 0), "a\nb"}, got)
	_, err = rpClient([]byte("250-a\r\n"))
	require.Error(t, err, "an incomplete reply is read as none")
}
