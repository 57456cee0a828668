package peers

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/state"
)

func TestInteropCheckerSmtpSource(t *testing.T) {
	sink := Sink(t, "-c")
	rec := Record(t, sink)
	// Lock-step SMTP: 3 messages of 2 recipients, one session each.
	out, err := Run(t, 30*time.Second, "smtp-source", "-m", "3", "-r", "2", "-l", "2000", rec.Addr)
	require.NoError(t, err, "%s", out)
	rec.Check(t, 3, state.CheckerConfig{})
}

func TestInteropCheckerSmtpSourceLMTP(t *testing.T) {
	sink := Sink(t, "-L")
	rec := Record(t, sink)
	out, err := Run(t, 30*time.Second, "smtp-source", "-L", "-m", "1", "-r", "3", rec.Addr)
	require.NoError(t, err, "%s", out)
	rec.Check(t, 1, state.CheckerConfig{Protocol: state.ProtocolLMTP})
}

func TestInteropCheckerSwaks(t *testing.T) {
	sink := Sink(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"plain", nil},
		{"pipelining", []string{"--pipeline"}},
		{"helo", []string{"--protocol", "SMTP"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := Record(t, sink)
			args := append([]string{"--server", rec.Addr, "--from", "alice@example.com",
				"--to", "bob@example.org", "--timeout", "10"}, tt.args...)
			out, err := Run(t, 30*time.Second, "swaks", args...)
			require.NoError(t, err, "%s", out)
			rec.Check(t, 1, state.CheckerConfig{})
		})
	}
}

func TestInteropCheckerCurl(t *testing.T) {
	sink := Sink(t)
	rec := Record(t, sink)
	out, err := Run(t, 30*time.Second, "curl", "-sS", "--max-time", "10", "smtp://"+rec.Addr,
		"--mail-from", "alice@example.com", "--mail-rcpt", "bob@example.org", "-T", "-")
	require.NoError(t, err, "%s", out)
	rec.Check(t, 1, state.CheckerConfig{})
}

func TestInteropCheckerSmtplib(t *testing.T) {
	sink := Sink(t)
	rec := Record(t, sink)
	host, port, _ := strings.Cut(rec.Addr, ":")
	script := `import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    s.ehlo("client.example.com")
    s.sendmail("alice@example.com", ["bob@example.org", "carol@example.org"], "Subject: hi\r\n\r\nhello\r\n.dot\r\n")
`
	out, err := Run(t, 30*time.Second, "python3", "-c", script, host, port)
	require.NoError(t, err, "%s", out)
	rec.Check(t, 1, state.CheckerConfig{})
}
