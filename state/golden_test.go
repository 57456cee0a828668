package state

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file holds the golden-file helpers for the tests of package state
// (and of package state_test, which sees these exported names). A test
// builds its output, usually a Transcript recorded while a machine ran,
// and compares it with a file under testdata/. After an intended change,
//
//	go test ./state -run TestName -update
//
// rewrites the files; review them with git diff before committing. The
// -update flag is declared here only: other test files use *update.

// update makes CompareGolden rewrite golden files instead of comparing.
var update = flag.Bool("update", false, "rewrite golden files under testdata instead of comparing with them")

// CompareGolden compares got with the contents of the golden file at path
// and fails t with a diff when they differ. With -update it writes got to
// path instead (creating its directory).
func CompareGolden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test with -update to create it")
	assert.Equal(t, string(want), string(got), "golden file %s differs; run go test with -update if the change is intended", path)
}

// CompareGoldenTranscript compares the canonical text of tr with the
// golden file at path (see CompareGolden).
func CompareGoldenTranscript(t testing.TB, path string, tr *Transcript) {
	t.Helper()
	CompareGolden(t, path, tr.Append(nil))
}

// TestRecorderGolden records a session the way a machine test does, one
// Client or Server call per write, and holds its text to a golden file.
func TestRecorderGolden(t *testing.T) {
	var r Recorder
	r.Meta("title", "A recorded session: pipelining, STARTTLS, AUTH, BDAT (Recorder golden file)")
	r.Meta("server", "PIPELINING STARTTLS AUTH=PLAIN CHUNKING SIZE=1000")
	r.Server([]byte("220 mx.example.org ESMTP\r\n"))
	r.Client([]byte("EHLO client.example.com\r\n"))
	r.Server([]byte("250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"))
	r.Client([]byte("STARTTLS\r\n"))
	r.Server([]byte("220 2.0.0 Ready to start TLS\r\n"))
	r.TLS()
	r.Client([]byte("EHLO client.example.com\r\n"))
	r.Server([]byte("250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n"))
	r.Comment("A one-round-trip AUTH may lead a pipelined group (RFC 4954 section 4).")
	r.Client([]byte("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<alice@example.com> SIZE=12\r\nRCPT TO:<bob@example.org>\r\nBDAT 12 LAST\r\nHel"))
	r.Comment("The server answers what it has read when its input runs dry (RFC 2920 section 3.2).")
	r.Server([]byte("235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"))
	r.Client([]byte("lo,\r\n"))
	r.Client([]byte("Bob\r\n"))
	r.Server([]byte("250 2.0.0 Ok: 12 octets\r\n"))
	r.Wait(30 * time.Second)
	r.Client([]byte("QUIT\r\n"))
	r.EOF(SideClient)
	r.Server([]byte("221 2.0.0 Bye\r\n"))
	r.Close(SideServer)

	rec := r.Transcript()
	path := filepath.Join("testdata", "transcripts", "recorded-session.txt")
	CompareGoldenTranscript(t, path, rec)

	text, err := os.ReadFile(path)
	require.NoError(t, err)
	back, err := ParseTranscript(text)
	require.NoError(t, err)
	assert.True(t, sameTranscript(rec, back), "the golden file parses back to the recording")
	assert.Len(t, back.Writes(SideClient), 7)
}
