//go:build interop

package clients

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// Load of TestSmtpSourceLoad: sourceSessions parallel sessions sending
// sourceMessages messages in all (1,000 each) of sourceLength bytes.
const (
	sourceSessions = 20
	sourceMessages = 20000
	sourceLength   = 1024
)

// TestSmtpSourceLoad has Postfix's smtp-source send 20,000 messages over 20
// parallel sessions that stay connected (-d: one session, many
// transactions, RFC 5321 section 3.3) and checks that the Maildir holds
// exactly 20,000 messages in new/ and nothing in tmp/, that serve printed
// one line per message, and that a sample of the messages has the
// payload's length.
func TestSmtpSourceLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 messages: not in -short")
	}
	record(t, "smtp-source", "load: 20 sessions x 1000 messages")
	peers.Need(t, "smtp-source")
	s := serve(t, "--tls", "off")
	start := time.Now()
	out := runPeerTimeout(t, 150*time.Second, "smtp-source",
		"-d", "-s", strconv.Itoa(sourceSessions), "-m", strconv.Itoa(sourceMessages),
		"-l", strconv.Itoa(sourceLength), "-f", fromAddr, "-t", toAddr, "-M", "client.example.com",
		s.Addr)
	t.Logf("smtp-source: %d messages in %v%s", sourceMessages, time.Since(start).Round(time.Millisecond), out)

	names := maildirNew(t, s.Maildir, "new")
	require.Len(t, names, sourceMessages, "messages in new/")
	require.Empty(t, maildirNew(t, s.Maildir, "tmp"), "stray files in tmp/")
	lines := 0
	for _, b := range []byte(s.Stdout()) {
		if b == '\n' {
			lines++
		}
	}
	require.Equal(t, sourceMessages, lines, "accepted lines on serve's stdout")
	for _, n := range names[:10] {
		st, err := os.Stat(s.Maildir + "/new/" + n)
		require.NoError(t, err)
		require.Greater(t, st.Size(), int64(sourceLength), "%s holds the payload", n)
	}
}
