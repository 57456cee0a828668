//go:build interop

package postfix

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// startSink starts smtp-sink (no TLS: it has none) with -D, appending every
// transaction to a dump file, and returns its address and the dump file's
// path. The dump's directory is writable by the user smtp-sink drops to,
// and removed when t ends.
func startSink(t *testing.T) (addr, dump string) {
	t.Helper()
	peers.Need(t, "smtp-sink")
	dir, err := os.MkdirTemp("/tmp", "smtpkit-sink-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o777))
	dump = filepath.Join(dir, "dump")
	return peers.Sink(t, "-h", "sink.postfix.test", "-D", dump), dump
}

// waitDump waits up to 10 seconds for the dump file to hold n
// transactions ("X-Client-Addr:" records) and returns it.
func waitDump(t *testing.T, dump string, n int) string {
	t.Helper()
	var got string
	if !waitFor(10*time.Second, func() bool {
		b, _ := os.ReadFile(dump)
		got = string(b)
		return strings.Count(got, "X-Client-Addr: ") >= n
	}) {
		t.Fatalf("smtp-sink's dump %s has not %d transactions within 10s:\n%s", dump, n, got)
	}
	return got
}

// TestSendCommandToSink runs "smtpkit send" without TLS against smtp-sink
// and checks that smtp-sink received the message intact (its dump holds
// the message, dot-stuffing undone, after its own header fields) with the
// envelope sent.
func TestSendCommandToSink(t *testing.T) {
	record(t, "smtp-sink plaintext (smtpkit send)", installedVersion)
	addr, dump := startSink(t)

	const from, to = "alice@smtpkit.test", "bob@example.net"
	msg := testMessage(from, to, "smtpkit send to smtp-sink")
	stdout, stderr, err := runSend(t, "", []byte(msg),
		"--server", addr, "--tls", "off", "--from", from, "--to", to,
		"--helo", "client.smtpkit.test", "--timeout", "30s", "--trace")
	if err != nil || t.Failed() {
		t.Logf("smtpkit send stdout:\n%s\nstderr (transcript):\n%s", stdout, stderr)
	}
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^ok +`+regexp.QuoteMeta(to)+` +250 2\.0\.0 Ok`, stdout)
	assert.Regexp(t, `(?m)^C: DATA$`, stderr, "smtp-sink does not offer CHUNKING")

	got := waitDump(t, dump, 1)
	assert.Contains(t, got, "X-Helo-Args: client.smtpkit.test\n")
	assert.Regexp(t, `(?m)^X-Mail-Args: <`+from+`>.* BODY=8BITMIME`, got)
	assert.Contains(t, got, "X-Rcpt-Args: <"+to+">\n")
	assert.True(t, strings.HasSuffix(got, "(UTC)\n"+msg+"\n"), "the dump ends with the message after smtp-sink's Received field:\n%s", got)
}

// TestClientToSink sends two messages in one session with the client
// package to smtp-sink, with DSN parameters, and checks from smtp-sink's
// dump that the envelopes carried them and that both messages arrived
// intact.
func TestClientToSink(t *testing.T) {
	record(t, "smtp-sink plaintext DSN (client)", installedVersion)
	addr, dump := startSink(t)

	var transcript syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("client transcript:\n%s", transcript.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr,
		client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled),
		client.WithHostname("client.smtpkit.test"),
		client.WithDebug(&transcript))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	const from = "alice@smtpkit.test"
	msgs := []string{
		testMessage(from, "bob@example.net", "client to smtp-sink one"),
		testMessage(from, "carol@example.org", "client to smtp-sink two"),
	}
	envs := []client.Envelope{
		{
			From:   from,
			To:     []string{"bob@example.net"},
			Params: wire.MailParams{Ret: wire.RetFull, EnvID: []byte("smtpkit-sink-1")},
			RcptParams: wire.RcptParams{Notify: wire.NotifySuccess | wire.NotifyFailure,
				ORCPT: wire.ORCPT{AddrType: []byte("rfc822"), Addr: []byte("bob@example.net")}},
		},
		{
			From:       from,
			To:         []string{"carol@example.org", "dave@example.org"},
			RcptParams: wire.RcptParams{Notify: wire.NotifyNever},
		},
	}
	for i, env := range envs {
		res, err := c.Send(ctx, env, strings.NewReader(strings.ReplaceAll(msgs[i], "\n", "\r\n")))
		require.NoError(t, err, "message %d", i+1)
		assert.EqualValues(t, 250, res.Reply.Code)
		assert.Equal(t, len(env.To), res.Delivered())
	}
	require.NoError(t, c.Close())

	got := waitDump(t, dump, 2)
	assert.Regexp(t, `(?m)^X-Mail-Args: <`+from+`> .*RET=FULL ENVID=smtpkit-sink-1$`, got)
	assert.Contains(t, got, "X-Rcpt-Args: <bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\n")
	assert.Contains(t, got, "X-Rcpt-Args: <carol@example.org> NOTIFY=NEVER\n")
	assert.Contains(t, got, "X-Rcpt-Args: <dave@example.org> NOTIFY=NEVER\n")
	_, rest, ok := strings.Cut(got, "X-Client-Addr: ")
	require.True(t, ok)
	first, second, ok := strings.Cut(rest, "X-Client-Addr: ")
	require.True(t, ok, "two transactions in the dump")
	assert.True(t, strings.HasSuffix(first, "(UTC)\n"+msgs[0]+"\n"), "first message intact:\n%s", first)
	assert.True(t, strings.HasSuffix(second, "(UTC)\n"+msgs[1]+"\n"), "second message intact:\n%s", second)
	assert.Regexp(t, `(?m)^C: DATA$`, transcript.String(), "smtp-sink does not offer CHUNKING")
}
