package wire

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// splitEvents feeds stream to s in chunks of the given sizes (cycled; all
// of it at once when sizes is empty), calling Split until it asks for more,
// the way a reader loop does. It returns one event per line ("L:" content)
// or refused line ("E:" sentinel) and the octets left unconsumed. It fails
// the test if Split breaks its contract or holds Max octets or more of a
// line while asking for more.
func splitEvents(t testing.TB, s *LineSplitter, stream []byte, sizes []int) (events []string, rest string) {
	t.Helper()
	limit := s.limit()
	var buf []byte
	for k := 0; len(stream) > 0; k++ {
		n := len(stream)
		if len(sizes) > 0 {
			n = min(max(sizes[k%len(sizes)], 1), len(stream))
		}
		buf = append(buf, stream[:n]...)
		stream = stream[n:]
		for {
			adv, line, err := s.Split(buf)
			if adv < 0 || adv > len(buf) {
				t.Fatalf("advance %d for %d octets", adv, len(buf))
			}
			if adv == 0 {
				if line != nil || err != nil {
					t.Fatalf("need-more with line %q, err %v", line, err)
				}
				// Memory bound: an incomplete line never reaches Max.
				if len(buf) >= limit {
					t.Fatalf("holding %d octets with Max %d: %q", len(buf), limit, buf)
				}
				break
			}
			switch {
			case err != nil:
				if line != nil {
					t.Fatalf("line %q with error %v", line, err)
				}
				events = append(events, "E:"+sentinelName(err))
			case line != nil:
				if len(line) > limit-2 || !bytes.Equal(buf[:len(line)], line) || (len(line) > 0 && &line[0] != &buf[0]) {
					t.Fatalf("line %q must alias the start of p and fit Max %d", line, limit)
				}
				events = append(events, "L:"+string(line))
			}
			buf = buf[adv:]
		}
	}
	return events, string(buf)
}

// sentinelName names the sentinel err wraps and checks its form.
func sentinelName(err error) string {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return "not a *SyntaxError: " + err.Error()
	}
	for _, s := range []error{ErrLineTooLong, ErrBareLF, ErrBareCR} {
		if errors.Is(err, s) {
			return strings.TrimPrefix(s.Error(), "wire: ")
		}
	}
	return "unexpected: " + err.Error()
}

// pipelined is a pipelined transaction as a client sends it.
const pipelined = "MAIL FROM:<alice@example.org> SIZE=1024 BODY=8BITMIME\r\n" +
	"RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE\r\n" +
	"RCPT TO:<carol@example.net>\r\n" +
	"RCPT TO:<dave@example.net>\r\n" +
	"DATA\r\n"

const (
	tooLong = "E:line too long"
	bareLF  = "E:bare LF"
	bareCR  = "E:bare CR"
)

var splitCases = []struct {
	name   string
	policy BarePolicy
	max    int
	in     string
	want   []string
	rest   string
}{
	// BareReject, the zero value.
	{"crlf", BareReject, 0, "EHLO x\r\n", []string{"L:EHLO x"}, ""},
	{"empty line", BareReject, 0, "\r\n\r\n", []string{"L:", "L:"}, ""},
	{"pipelined", BareReject, 0, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", []string{"L:MAIL FROM:<a@b>", "L:RCPT TO:<c@d>", "L:DATA"}, ""},
	{"incomplete", BareReject, 0, "NOOP\r\nQUI", []string{"L:NOOP"}, "QUI"},
	{"cr at end undecided", BareReject, 0, "NOOP\r", nil, "NOOP\r"},
	{"bare lf middle refuses through crlf", BareReject, 0, "MAIL\nRCPT TO:<x>\r\nNOOP\r\n", []string{bareLF, "L:NOOP"}, ""},
	{"bare lf at end of line", BareReject, 0, "NOOP\nRSET\r\nQUIT\r\n", []string{bareLF, "L:QUIT"}, ""},
	{"bare lf first", BareReject, 0, "\nQUIT\r\nNOOP\r\n", []string{bareLF, "L:NOOP"}, ""},
	{"bare lf waits for crlf", BareReject, 0, "DATA\n.\n", nil, "DATA\n.\n"},
	{"bare cr middle", BareReject, 0, "NO\rOP\r\nQUIT\r\n", []string{bareCR, "L:QUIT"}, ""},
	{"bare cr before crlf", BareReject, 0, "NOOP\r\r\nQUIT\r\n", []string{bareCR, "L:QUIT"}, ""},
	{"bare cr then bare lf reports cr", BareReject, 0, "A\rB\nC\r\n", []string{bareCR}, ""},
	{"exactly max", BareReject, 10, "12345678\r\nQUIT\r\n", []string{"L:12345678", "L:QUIT"}, ""},
	{"max plus one", BareReject, 10, "123456789\r\nQUIT\r\n", []string{tooLong, "L:QUIT"}, ""},
	{"long then good", BareReject, 10, strings.Repeat("x", 100) + "\r\nRSET\r\n", []string{tooLong, "L:RSET"}, ""},
	{"long with bare lf is too long", BareReject, 10, "12\n" + strings.Repeat("x", 20) + "\r\nRSET\r\n", []string{tooLong, "L:RSET"}, ""},
	{"long keeps discarding", BareReject, 10, strings.Repeat("x", 50), nil, ""},
	{"long ending in cr", BareReject, 10, strings.Repeat("x", 50) + "\r", nil, "\r"},
	{"long ends at crlf only", BareReject, 10, strings.Repeat("x", 20) + "\n\r\nQUIT\r\n", []string{tooLong, "L:QUIT"}, ""},
	{"max below 2 acts as 2", BareReject, 1, "\r\nA\r\n\r\n", []string{"L:", tooLong, "L:"}, ""},
	{"unknown policy acts as reject", BarePolicy(9), 0, "A\nB\r\n", []string{bareLF}, ""},

	// BareNormalize: bare CR and LF end lines too.
	{"normalize terminators", BareNormalize, 0, "A\nB\rC\r\nD\r\n", []string{"L:A", "L:B", "L:C", "L:D"}, ""},
	{"normalize empty lines", BareNormalize, 0, "\n\r\r\n", []string{"L:", "L:", "L:"}, ""},
	{"normalize cr at end undecided", BareNormalize, 0, "A\r", nil, "A\r"},
	{"normalize cr cr", BareNormalize, 0, "A\r\rB\n", []string{"L:A", "L:", "L:B"}, ""},
	{"normalize exactly max", BareNormalize, 10, "12345678\n12345678\r12345678\r\nX\n", []string{"L:12345678", "L:12345678", "L:12345678", "L:X"}, ""},
	{"normalize max plus one", BareNormalize, 10, "123456789\nQUIT\n", []string{tooLong, "L:QUIT"}, ""},
	{"normalize long ends at bare cr", BareNormalize, 10, strings.Repeat("x", 30) + "\rQUIT\n", []string{tooLong, "L:QUIT"}, ""},
	{"normalize long ends at crlf", BareNormalize, 10, strings.Repeat("x", 30) + "\r\nQUIT\n", []string{tooLong, "L:QUIT"}, ""},

	// BareAllow: only CRLF ends a line; bare CR and LF are content.
	{"allow content", BareAllow, 0, "A\nB\rC\r\nD\r\n", []string{"L:A\nB\rC", "L:D"}, ""},
	{"allow lf alone never ends", BareAllow, 0, "A\nB\n", nil, "A\nB\n"},
	{"allow cr cr lf", BareAllow, 0, "A\r\r\n", []string{"L:A\r"}, ""},
	{"allow exactly max", BareAllow, 10, "1234\n678\r\nQ\r\n", []string{"L:1234\n678", "L:Q"}, ""},
	{"allow max plus one", BareAllow, 10, "1234\n6789\r\nQ\r\n", []string{tooLong, "L:Q"}, ""},
}

func TestLineSplitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range splitCases {
		t.Run(tc.name, func(t *testing.T) {
			feeds := map[string][]int{"whole": nil, "bytewise": {1}, "pairs": {2}, "threes": {3}}
			for i := range 4 {
				sizes := make([]int, 8)
				for k := range sizes {
					sizes[k] = 1 + rng.IntN(7)
				}
				feeds[fmt.Sprint("random", i)] = sizes
			}
			for feed, sizes := range feeds {
				s := &LineSplitter{Max: tc.max, Policy: tc.policy}
				events, rest := splitEvents(t, s, []byte(tc.in), sizes)
				assert.Equal(t, tc.want, events, feed)
				assert.Equal(t, tc.rest, rest, feed)
			}
		})
	}
}

func TestLineSplitterErrors(t *testing.T) {
	var s LineSplitter
	adv, line, err := s.Split([]byte("NO\nOP\r\n"))
	require.Equal(t, 7, adv)
	require.Nil(t, line)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, ErrBareLF)
	assert.Equal(t, 2, se.Offset)
	assert.Equal(t, ruleLineEnd, se.Rule)
	assert.Equal(t, reply.CodeSyntaxError, se.Reply().Code)

	adv, _, err = s.Split([]byte("A\r\rB\r\n"))
	require.Equal(t, 6, adv)
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, ErrBareCR)
	assert.Equal(t, 1, se.Offset)

	long := []byte(strings.Repeat("x", 600) + "\r\n")
	adv, _, err = s.Split(long)
	require.Equal(t, len(long), adv)
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, ErrLineTooLong)
	assert.Equal(t, MaxCommandLine, se.Offset)
	assert.Equal(t, reply.CodeSyntaxError, se.Reply().Code)
	assert.Equal(t, "line too long", se.Reply().Text)
}

func TestLineSplitterDefaultMax(t *testing.T) {
	var s LineSplitter
	ok := []byte(strings.Repeat("a", MaxCommandLine-2) + "\r\n")
	adv, line, err := s.Split(ok)
	require.NoError(t, err)
	assert.Equal(t, len(ok), adv)
	assert.Len(t, line, MaxCommandLine-2)

	bad := []byte(strings.Repeat("a", MaxCommandLine-1) + "\r\n")
	adv, line, err = s.Split(bad)
	assert.ErrorIs(t, err, ErrLineTooLong)
	assert.Equal(t, len(bad), adv)
	assert.Nil(t, line)
}

// TestLineSplitterTrickledOverlong sends an over-long line in small pieces:
// the splitter discards as it goes, holds little, and reports one error
// when the CRLF arrives, then returns the next line intact.
func TestLineSplitterTrickledOverlong(t *testing.T) {
	s := LineSplitter{Max: 64}
	var buf []byte
	piece := []byte("0123456\r") // a CR ends every piece but is never a CRLF
	for range 1000 {
		buf = append(buf, piece...)
		for {
			adv, line, err := s.Split(buf)
			require.NoError(t, err)
			require.Nil(t, line)
			if adv == 0 {
				break
			}
			buf = buf[adv:]
		}
		require.Less(t, len(buf), 64)
	}
	require.True(t, s.Discarding())
	buf = append(buf, "X\r\nQUIT\r\n"...)
	events, rest := splitEvents(t, &s, buf, nil)
	assert.Equal(t, []string{tooLong, "L:QUIT"}, events, "one error for the whole line")
	assert.Empty(t, rest)
	assert.False(t, s.Discarding())
}

// TestLineSplitterPrefixes checks that every strict prefix of a valid line
// asks for more, under every policy, both from a fresh splitter and from
// one that has seen the shorter prefixes.
func TestLineSplitterPrefixes(t *testing.T) {
	auth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00user\x00pass", 800)))
	require.Less(t, len(auth)+2, MaxAuthLine)
	lines := []struct {
		line string
		max  int
	}{
		{"MAIL FROM:<alice@example.org> SIZE=12345 BODY=8BITMIME", CommandLineLimit(NewExtSet(ExtSIZE, Ext8BITMIME))},
		{"RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net", CommandLineLimit(NewExtSet(ExtDSN))},
		{"EHLO client.example.com", MaxCommandLine},
		{auth, MaxAuthLine},
		{"BDAT 86 LAST", MaxCommandLine},
		{"", MaxCommandLine},
	}
	for _, policy := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
		for _, l := range lines {
			full := []byte(l.line + "\r\n")
			grown := LineSplitter{Max: l.max, Policy: policy}
			for n := range len(full) {
				fresh := LineSplitter{Max: l.max, Policy: policy}
				for _, s := range []*LineSplitter{&fresh, &grown} {
					if adv, line, err := s.Split(full[:n]); adv != 0 || line != nil || err != nil {
						t.Fatalf("%v prefix %d of %.20q: %d %q %v", policy, n, l.line, adv, line, err)
					}
				}
			}
			adv, line, err := grown.Split(full)
			require.NoError(t, err)
			require.Equal(t, len(full), adv)
			require.Equal(t, l.line, string(line))
		}
	}
}

// TestLineSplitterLinearWork feeds lines one octet per call and checks, via
// the work counter, that the splitter never rescans what it has seen: the
// total stays linear, where rescanning would cost n*n/2.
func TestLineSplitterLinearWork(t *testing.T) {
	const n = MaxAuthLine
	cases := []struct {
		name   string
		s      LineSplitter
		stream string
	}{
		{"reject", LineSplitter{Max: n}, strings.Repeat("A", n-2) + "\r\n"},
		{"reject with bare cr", LineSplitter{Max: n}, strings.Repeat("A\r", n/2-1) + "\r\n"},
		{"allow with bare lf", LineSplitter{Max: n, Policy: BareAllow}, strings.Repeat("A\n", n/2-1) + "\r\n"},
		{"normalize", LineSplitter{Max: n, Policy: BareNormalize}, strings.Repeat("A", n-2) + "\n"},
		{"discarding", LineSplitter{Max: 512}, strings.Repeat("A", 4*n) + "\r\n"},
		{"discarding normalize", LineSplitter{Max: 512, Policy: BareNormalize}, strings.Repeat("A", 4*n) + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, _ := splitEvents(t, &tc.s, []byte(tc.stream), []int{1})
			require.Len(t, events, 1)
			assert.LessOrEqual(t, tc.s.work, 2*len(tc.stream), "octets examined for a %d-octet stream", len(tc.stream))
		})
	}
}

func TestLineSplitterReset(t *testing.T) {
	s := LineSplitter{Max: 10}
	adv, _, err := s.Split([]byte(strings.Repeat("x", 30)))
	require.NoError(t, err)
	require.Positive(t, adv)
	require.True(t, s.Discarding())
	s.Reset()
	assert.False(t, s.Discarding())
	assert.Equal(t, 10, s.Max)
	events, _ := splitEvents(t, &s, []byte("QUIT\r\n"), nil)
	assert.Equal(t, []string{"L:QUIT"}, events)

	// A bare LF remembered for a partial line is forgotten too.
	_, _, _ = s.Split([]byte("A\nB"))
	s.Reset()
	events, _ = splitEvents(t, &s, []byte("QUIT\r\n"), nil)
	assert.Equal(t, []string{"L:QUIT"}, events)
}

// TestLineSplitterShorterInput checks that a caller passing fewer octets
// than before (a contract violation) gets a rescan, not a panic.
func TestLineSplitterShorterInput(t *testing.T) {
	for _, policy := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
		s := LineSplitter{Policy: policy}
		adv, _, _ := s.Split([]byte("MAIL FROM:<a@b>"))
		require.Zero(t, adv)
		adv, line, err := s.Split([]byte("QUIT\r\n"))
		require.NoError(t, err)
		assert.Equal(t, 6, adv)
		assert.Equal(t, "QUIT", string(line))
	}
}

// FuzzLineSplitter checks that feeding a stream whole, octet by octet and in
// random chunks yields the same lines and errors and leaves the same octets
// unconsumed; splitEvents checks the memory bound on every call.
func FuzzLineSplitter(f *testing.F) {
	for i, tc := range splitCases {
		f.Add([]byte(tc.in), uint8(tc.policy), uint16(tc.max), uint64(i))
	}
	f.Add([]byte(pipelined), uint8(BareReject), uint16(0), uint64(7))
	f.Add([]byte("A\r\r\nB\n\rC\r"+strings.Repeat("x", 40)+"\r\nD\r\n"), uint8(BareNormalize), uint16(16), uint64(9))
	f.Fuzz(func(t *testing.T, data []byte, policy uint8, maxLen uint16, seed uint64) {
		newSplitter := func() *LineSplitter {
			return &LineSplitter{Max: int(maxLen % 2048), Policy: BarePolicy(policy % 4)}
		}
		whole, wholeRest := splitEvents(t, newSplitter(), data, nil)
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		sizes := make([]int, 1+rng.IntN(16))
		for k := range sizes {
			sizes[k] = 1 + rng.IntN(1+rng.IntN(64))
		}
		for _, feed := range [][]int{{1}, sizes} {
			events, rest := splitEvents(t, newSplitter(), data, feed)
			if !slices.Equal(whole, events) || rest != wholeRest {
				t.Fatalf("chunks %v: %q rest %q; whole: %q rest %q", feed, events, rest, whole, wholeRest)
			}
		}
	})
}
