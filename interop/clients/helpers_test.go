//go:build interop

package clients

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// peerTimeout bounds every run of a client program.
const peerTimeout = 30 * time.Second

// runPeer runs the client program name with args (and stdin, when not
// empty) under peerTimeout and returns its combined output, which holds
// its protocol trace. The test fails when the program fails or times out,
// and the output is printed whenever the test fails. A missing program
// skips the test, or fails it under SMTPKIT_PEERS=require (peers.Need).
func runPeer(t *testing.T, stdin, name string, args ...string) string {
	t.Helper()
	return runPeerStdin(t, peerTimeout, stdin, name, args...)
}

// runPeerTimeout is runPeer without stdin and with its own timeout.
func runPeerTimeout(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	return runPeerStdin(t, timeout, "", name, args...)
}

// runPeerStdin runs name with args and stdin under timeout; see runPeer.
func runPeerStdin(t *testing.T, timeout time.Duration, stdin, name string, args ...string) string {
	t.Helper()
	path := peers.Need(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- %s %s ---\n%s", name, strings.Join(args, " "), out)
		}
	})
	require.NoError(t, ctx.Err(), "%s did not end within %v", name, timeout)
	require.NoError(t, err, "%s failed", name)
	return string(out)
}

// token returns a fresh unique word that marks one test's message, so the
// Maildir check cannot match another message.
func token(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return "tok" + hex.EncodeToString(b[:])
}

// stored is one message read back from the Maildir's new/.
type stored struct {
	Name string        // the file name in new/
	Raw  []byte        // the file as stored
	Msg  *mail.Message // the file parsed (RFC 5322)
	Body []byte        // the body
}

// maildirNew lists the files in dir's sub-directory sub ("new" or "tmp").
func maildirNew(t *testing.T, dir, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	require.NoError(t, err)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// delivered reads every message in the Maildir's new/ and checks that
// there are exactly want of them and that tmp/ holds no leftovers.
func delivered(t *testing.T, s *server, want int) []stored {
	t.Helper()
	names := maildirNew(t, s.Maildir, "new")
	require.Len(t, names, want, "messages in %s/new", s.Maildir)
	require.Empty(t, maildirNew(t, s.Maildir, "tmp"), "stray files in %s/tmp", s.Maildir)
	out := make([]stored, 0, len(names))
	for _, n := range names {
		raw, err := os.ReadFile(filepath.Join(s.Maildir, "new", n))
		require.NoError(t, err)
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		require.NoError(t, err, "parsing %s", n)
		var body bytes.Buffer
		_, err = body.ReadFrom(msg.Body)
		require.NoError(t, err)
		out = append(out, stored{Name: n, Raw: raw, Msg: msg, Body: body.Bytes()})
	}
	return out
}

// deliveredOne reads the one message the Maildir must hold and checks
// that it carries tok in its Subject and body, and that serve added a
// Return-Path naming from (RFC 5321 section 4.4) and a Received header
// whose protocol is with (RFC 3848: ESMTP, ESMTPS, ESMTPSA, LMTP...).
func deliveredOne(t *testing.T, s *server, tok, from, with string) stored {
	t.Helper()
	msgs := delivered(t, s, 1)
	m := msgs[0]
	require.Contains(t, m.Msg.Header.Get("Subject"), tok, "Subject")
	require.Contains(t, string(m.Body), tok, "body")
	require.Equal(t, "<"+from+">", m.Msg.Header.Get("Return-Path"), "Return-Path")
	if with != "" {
		require.Regexp(t, `\bwith `+with+`\b`, m.Msg.Header.Get("Received"), "Received protocol")
	}
	return m
}
