package fuzz

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
)

// update rewrites the checked-in seed corpora: go test ./fuzz -run Seeds -update.
var update = flag.Bool("update", false, "rewrite the seed corpora under testdata/fuzz")

// encodeSeed renders one fuzz input in the corpus file format of the go
// command ("go test fuzz v1", one Go literal per argument), the form
// `go test -fuzz` reads from testdata/fuzz/<target>/.
func encodeSeed(args []any) (string, error) {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		case bool:
			fmt.Fprintf(&b, "bool(%t)\n", v)
		case int:
			fmt.Fprintf(&b, "int(%d)\n", v)
		case int64:
			fmt.Fprintf(&b, "int64(%d)\n", v)
		case uint8:
			fmt.Fprintf(&b, "byte(%d)\n", v)
		case uint16:
			fmt.Fprintf(&b, "uint16(%d)\n", v)
		case uint32:
			fmt.Fprintf(&b, "uint32(%d)\n", v)
		case uint64:
			fmt.Fprintf(&b, "uint64(%d)\n", v)
		default:
			return "", fmt.Errorf("seed argument of type %T has no corpus form", a)
		}
	}
	return b.String(), nil
}

// syncSeeds keeps testdata/fuzz/<target>/seed-NNN equal to seeds: with
// -update it rewrites them (removing stale seed files, never the
// reproducers the fuzzer wrote), otherwise it fails when they differ, so a
// change to a serializer or a golden transcript cannot leave the checked-in
// corpus stale. Each seed is one target's argument list.
func syncSeeds(t *testing.T, target string, seeds [][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	want := map[string]string{}
	for i, args := range seeds {
		text, err := encodeSeed(args)
		require.NoError(t, err)
		want[fmt.Sprintf("seed-%03d", i)] = text
	}
	old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	if *update {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, p := range old {
			if _, ok := want[filepath.Base(p)]; !ok {
				require.NoError(t, os.Remove(p))
			}
		}
		for name, text := range want {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
		}
		return
	}
	require.Len(t, old, len(want), "%s: seed corpus out of date; run go test ./fuzz -run Seeds -update", target)
	for name, text := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, "%s: run go test ./fuzz -run Seeds -update", target)
		require.Equal(t, text, string(got), "%s/%s out of date; run go test ./fuzz -run Seeds -update", target, name)
	}
}

// goldenSessions returns every golden session transcript of the state
// package (../state/testdata/sessions), parsed, by file name: the seed
// material for the session targets.
func goldenSessions(t testing.TB) map[string]*state.Transcript {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "state", "testdata", "sessions", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]*state.Transcript{}
	for _, p := range files {
		text, err := os.ReadFile(p)
		require.NoError(t, err)
		tr, err := state.ParseTranscript(text)
		require.NoError(t, err, p)
		out[filepath.Base(p)] = tr
	}
	return out
}

func TestEncodeSeed(t *testing.T) {
	got, err := encodeSeed([]any{[]byte("a\r\n\x00"), "é", true, 7, uint8(3)})
	require.NoError(t, err)
	require.Equal(t, "go test fuzz v1\n[]byte(\"a\\r\\n\\x00\")\nstring(\"é\")\nbool(true)\nint(7)\nbyte(3)\n", got)
	_, err = encodeSeed([]any{1.5})
	require.Error(t, err)
}
