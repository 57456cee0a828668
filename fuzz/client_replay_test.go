package fuzz

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file holds FuzzClientTranscriptReplay: the server side of each
// golden session transcript (state/testdata/sessions), replayed to the
// client driver whole, one octet at a time and in the fuzzer's pieces.

// replaySeeds are the seeds of FuzzClientTranscriptReplay: each golden
// session (by its index in goldenClientSeeds) cut where its server wrote,
// with the options its client suggests, and again one octet at a time.
func replaySeeds(t testing.TB) [][]any {
	var seeds [][]any
	for i, s := range goldenClientSeeds(t) {
		seeds = append(seeds, []any{uint16(i), s[1], s[3]})
	}
	for i := range 3 {
		seeds = append(seeds, []any{uint16(i), []byte{0}, uint16(flagSecond | flagNoop)})
	}
	return seeds
}

// replayProblems runs one replay and returns what is wrong: a check of
// FuzzClientSession that fails, or a session that differs from the one the
// whole octets give.
func replayProblems(goldens [][]any, which uint16, cuts []byte, flags uint16) []string {
	s := goldens[int(which)%len(goldens)]
	server, body, fl := s[0].([]byte), s[2].([]byte), sessionFlags(flags)
	run := runClientSession(server, cuts, body, fl)
	o := readSession(run.conn.out, run.conn.writes, server, fl&flagLMTP != 0, fl&flagAuth != 0, fl&flagInsecure != 0)
	problems := append(append(checkCalls(run), o.problems...), checkSends(o, run)...)
	want := runClientSession(server, nil, body, fl).summary()
	for _, c := range [][]byte{cuts, {0}} {
		if got := runClientSession(server, c, body, fl).summary(); got != want {
			problems = append(problems, fmt.Sprintf("pieces %v gave another session:\n%s\nwhole:\n%s", c, got, want))
		}
	}
	return problems
}

// FuzzClientTranscriptReplay replays a golden session's server octets
// (which picks the session) to the client driver with the options flags
// picks, cut as cuts says, and requires what FuzzClientSession requires,
// and the same writes and results as the whole octets and as one octet
// at a time give.
func FuzzClientTranscriptReplay(f *testing.F) {
	goldens := goldenClientSeeds(f)
	for _, s := range replaySeeds(f) {
		f.Add(s[0].(uint16), s[1].([]byte), s[2].(uint16))
	}
	f.Fuzz(func(t *testing.T, which uint16, cuts []byte, flags uint16) {
		if len(cuts) > 64 {
			return
		}
		if problems := replayProblems(goldens, which, cuts, flags); len(problems) > 0 {
			t.Fatal(strings.Join(problems, "\n"))
		}
	})
}

// TestSeedsClientTranscriptReplay keeps testdata/fuzz/
// FuzzClientTranscriptReplay in step with replaySeeds and runs them.
func TestSeedsClientTranscriptReplay(t *testing.T) {
	seeds := replaySeeds(t)
	syncSeeds(t, "FuzzClientTranscriptReplay", seeds)
	goldens := goldenClientSeeds(t)
	for i, s := range seeds {
		require.Empty(t, replayProblems(goldens, s[0].(uint16), s[1].([]byte), s[2].(uint16)), "seed %d", i)
	}
}
