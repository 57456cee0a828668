package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the reverse command round trip: any line ParseCommand
// accepts is written back by the typed serializer of its verb from the
// decoded values (the MAIL and RCPT parameters through DecodeMailParams
// and DecodeRcptParams, the AUTH initial response through DecodeBase64),
// and that must parse to the same values. wire's FuzzParseCommand writes
// back with the generic AppendCommand instead.

// rtReserialize writes c with the typed serializer of its verb from the
// decoded values: the parse -> typed append half of the reverse round
// trip. ok is false for verbs without one, or when the parameters do not
// decode.
type rtReserializer func(c wire.Command, utf8 bool) (out []byte, ok bool, err error)

// rtTyped is the real rtReserializer.
func rtTyped(c wire.Command, utf8 bool) ([]byte, bool, error) {
	switch c.Verb {
	case wire.VerbHELO, wire.VerbEHLO, wire.VerbLHLO:
		out, err := wire.AppendHello(nil, c.Verb, c.Domain)
		return out, true, err
	case wire.VerbMAIL:
		m, err := wire.DecodeMailParams(c.Params, rtAllExts)
		if err != nil {
			return nil, false, nil
		}
		out, err := wire.AppendMail(nil, c.Path.Mailbox, m)
		return out, true, err
	case wire.VerbRCPT:
		r, err := wire.DecodeRcptParams(c.Params, rtAllExts)
		if err != nil {
			return nil, false, nil
		}
		out, err := wire.AppendRcpt(nil, c.Path.Mailbox, r, utf8)
		return out, true, err
	case wire.VerbAUTH:
		ir, err := wire.DecodeBase64(nil, c.InitialResponse)
		if err != nil {
			return nil, false, nil // the alphabet is right but not the padding
		}
		out, err := wire.AppendAuth(nil, string(c.Mechanism), ir, c.HasInitialResponse)
		return out, true, err
	case wire.VerbBDAT:
		return wire.AppendBdat(nil, c.ChunkSize, c.Last), true, nil
	}
	return nil, false, nil
}

// rtValues renders what a typed round trip keeps of c: the summary and the
// decoded parameters.
func rtValues(c wire.Command) string {
	s := rtSummary(c)
	switch c.Verb {
	case wire.VerbMAIL, wire.VerbRCPT:
		s = strings.Replace(s, fmt.Sprintf("params=%q", c.Params.Text), "", 1)
		if m, err := wire.DecodeMailParams(c.Params, rtAllExts); err == nil {
			s += fmt.Sprintf(" mail=%+v until=%s", m, m.HoldUntil.Format(time.RFC3339Nano))
		}
		if r, err := wire.DecodeRcptParams(c.Params, rtAllExts); err == nil {
			s += fmt.Sprintf(" rcpt=%+v rrvs=%s", r, r.RRVS.Time.Format(time.RFC3339Nano))
		}
	case wire.VerbAUTH:
		ir, _ := wire.DecodeBase64(nil, c.InitialResponse)
		s = strings.Replace(s, fmt.Sprintf("ir=%q", c.InitialResponse), fmt.Sprintf("ir=%q", ir), 1)
	}
	return s
}

// checkReparse checks parse -> typed append -> parse on one line: a
// refusal is typed; a line parsed strictly (from octets without CR, LF or
// NUL) whose parameters decode is written by the typed serializer; what it
// writes parses to the same values, and writing it again is a fixed point.
func checkReparse(line []byte, opts wire.ParseOptions, ser rtReserializer) error {
	c, err := wire.ParseCommand(line, opts)
	if err != nil {
		var se *wire.SyntaxError
		if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(line) {
			return fmt.Errorf("%q: refusal %#v is not a *wire.SyntaxError within the line", line, err)
		}
		return nil
	}
	out, ok, err := ser(c, opts.UTF8)
	if !ok {
		return nil
	}
	if err != nil {
		if !opts.Lenient && !bytes.ContainsAny(line, "\r\n\x00") {
			return fmt.Errorf("%q parsed strictly, its typed form is refused: %v", line, err)
		}
		return checkRefusal(err, nil, out)
	}
	c2, err := wire.ParseCommand(out[:len(out)-2], wire.ParseOptions{UTF8: opts.UTF8})
	if err != nil {
		return fmt.Errorf("%q -> %q does not parse: %v", line, out, err)
	}
	if a, b := rtValues(c), rtValues(c2); a != b {
		return fmt.Errorf("%q -> %q:\n%s\nbecame\n%s", line, out, a, b)
	}
	out2, _, err := ser(c2, opts.UTF8)
	if err != nil || !bytes.Equal(out, out2) {
		return fmt.Errorf("%q: not a fixed point: %q then %q (%v)", line, out, out2, err)
	}
	return nil
}

// rtReparseSeeds returns the client command lines of the golden sessions
// (lines whose first word is a verb) and serializer output.
func rtReparseSeeds(t testing.TB) [][]any {
	seen := map[string]bool{}
	var lines []string
	sessions := goldenSessions(t)
	for _, name := range slices.Sorted(maps.Keys(sessions)) {
		for _, l := range strings.Split(string(sessions[name].Bytes(state.SideClient)), "\r\n") {
			w, _, _ := strings.Cut(l, " ")
			if wire.LookupVerb([]byte(w)) != wire.VerbUnknown && len(l) <= wire.MaxCommandLine && !seen[l] {
				seen[l] = true
				lines = append(lines, l)
			}
		}
	}
	mail, err := wire.AppendMail(nil, []byte("a@b.example"), wire.MailParams{HasSize: true, Size: 7, Body: wire.BodyBinaryMIME, Ret: wire.RetHdrs, EnvID: []byte("x+2By"), HasBy: true, By: wire.DeliverBy{Time: 60, Mode: 'R', Trace: true}, HoldUntil: time.Date(2030, 1, 2, 3, 4, 5, 6e8, time.UTC), HasMTPriority: true, MTPriority: -3, RequireTLS: true})
	require.NoError(t, err)
	rcpt, err := wire.AppendRcpt(nil, []byte("é@例え.jp"), wire.RcptParams{Notify: wire.NotifySuccess | wire.NotifyDelay, ORCPT: wire.ORCPT{AddrType: []byte("utf-8"), Addr: []byte("\\x{E9}@x")}, RRVS: wire.RRVS{Time: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC), Mode: 'C'}}, true)
	require.NoError(t, err)
	lines = append(lines, strings.TrimSuffix(string(mail), "\r\n"), strings.TrimSuffix(string(rcpt), "\r\n"))
	var seeds [][]any
	for i, l := range lines {
		seeds = append(seeds, []any{[]byte(l), i%2 == 0, i%3 == 0})
	}
	return seeds
}

// TestSeedsCommandReparse keeps the checked-in corpus equal to the golden
// command lines and serializer output.
func TestSeedsCommandReparse(t *testing.T) {
	seeds := rtReparseSeeds(t)
	require.Greater(t, len(seeds), 50)
	syncSeeds(t, "FuzzCommandReparse", seeds)
}

// FuzzCommandReparse: any line ParseCommand accepts, written back by the
// typed serializer of its verb from the decoded values, parses to the same
// values (parse -> append -> parse is a fixed point).
func FuzzCommandReparse(f *testing.F) {
	for _, s := range rtReparseSeeds(f) {
		f.Add(s[0].([]byte), s[1].(bool), s[2].(bool))
	}
	f.Fuzz(func(t *testing.T, line []byte, utf8, lenient bool) {
		require.NoError(t, checkReparse(line, wire.ParseOptions{UTF8: utf8, Lenient: lenient}, rtTyped))
	})
}

// TestReparseCheckerFails shows checkReparse reporting serializers that
// lose a value or refuse a line they must write.
func TestReparseCheckerFails(t *testing.T) {
	// A serializer that drops SIZE breaks the reverse round trip.
	dropSize := func(c wire.Command, utf8 bool) ([]byte, bool, error) {
		if c.Verb == wire.VerbMAIL {
			out, err := wire.AppendMail(nil, c.Path.Mailbox, wire.MailParams{})
			return out, true, err
		}
		return rtTyped(c, utf8)
	}
	line := []byte("MAIL FROM:<a@b.example> SIZE=10")
	require.NoError(t, checkReparse(line, wire.ParseOptions{}, rtTyped))
	require.Error(t, checkReparse(line, wire.ParseOptions{}, dropSize))
	refuse := func(wire.Command, bool) ([]byte, bool, error) { return nil, true, errors.New("no") }
	require.Error(t, checkReparse(line, wire.ParseOptions{}, refuse))
}
