package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
)

// TestBinaryCheckSelf runs the built binary's "check --self", the second
// half of the main job on an embedded default: every case of the server
// suite passes against smtpkit's own servers, or is skipped with a reason.
func TestBinaryCheckSelf(t *testing.T) {
	code, out, errOut := runBin(t, nil, "", "check", "--self")
	require.Equal(t, exitOK, code, "stderr: %s\nstdout: %s", errOut, out)
	assert.Regexp(t, `\n\d{3} passed, 0 failed, \d+ skipped\n$`, out)
	assert.Contains(t, out, "server suite against smtpkit serve --lmtp (in process)")
	assert.NotContains(t, out, "\nFAIL")
}

// yesServer answers 250 to every line, as a server that checks nothing
// would; its session never ends on its own.
func yesServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("220 yes ESMTP\r\n"))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch strings.ToUpper(strings.TrimSpace(line)) {
					case "DATA":
						c.Write([]byte("354 go on\r\n"))
					case "QUIT":
						c.Write([]byte("221 bye\r\n"))
						return
					default:
						c.Write([]byte("250 yes\r\n"))
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestCheckMustFailure(t *testing.T) {
	addr := yesServer(t)
	code, out, errOut := runCmd(t, nil, "", "check", addr, "--only", "rfc5321/4.1.4/mail-twice")
	require.Equal(t, exitFailed, code, errOut)
	assert.Contains(t, out, "FAIL    MUST    rfc5321/4.1.4/mail-twice")
	assert.Contains(t, out, "want 503, got 250 yes")
	assert.True(t, strings.HasSuffix(out, "0 passed, 1 failed, 0 skipped (1 MUST failure)\n"), out)

	// A SHOULD failure alone does not fail the command.
	code, out, _ = runCmd(t, nil, "", "check", addr, "--only", "rfc5321/4.1.1.9/noop-with-argument,rfc5321/4.1.1.8/help", "--level", "should")
	assert.Equal(t, exitOK, code, out)
}

func TestCheckFormats(t *testing.T) {
	addr := yesServer(t)
	dir := t.TempDir()
	args := []string{"check", addr, "--only", "mail-twice,greeting-220"}

	code, _, errOut := runCmd(t, nil, "", append(args, "--format", "json", "--out", filepath.Join(dir, "r.json"))...)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "1 passed, 1 failed, 0 skipped; report in ")
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	require.NoError(t, err)
	var rep struct {
		Suite   string `json:"suite"`
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, "server", rep.Suite)
	require.Len(t, rep.Results, 2)

	code, _, _ = runCmd(t, nil, "", append(args, "--format", "junit", "--out", filepath.Join(dir, "r.xml"))...)
	require.Equal(t, exitFailed, code)
	b, err = os.ReadFile(filepath.Join(dir, "r.xml"))
	require.NoError(t, err)
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &suites))
	require.Len(t, suites.Suites, 1)
	assert.Equal(t, 2, suites.Suites[0].Tests)
	assert.Equal(t, 1, suites.Suites[0].Failures)

	code, out, _ := runCmd(t, nil, "", append(args, "--format", "html")...)
	require.Equal(t, exitFailed, code)
	assert.True(t, strings.HasPrefix(out, "<!DOCTYPE html>"), out[:min(len(out), 80)])
	assert.Contains(t, out, "rfc5321/4.1.4/mail-twice")
}

func TestCheckClientSuite(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "", "check", "--self", "--suite", "client", "--only", "rfc5321/4.5.2/*")
	require.Equal(t, exitOK, code, errOut+out)
	assert.Contains(t, out, "pass    MUST    rfc5321/4.5.2/dot-stuffing")

	peers.Need(t, "swaks")
	code, out, errOut = runCmd(t, nil, "", "check", "--suite", "client", "--client-cmd", "swaks", "--only", "rfc5321/4.5.2/*")
	require.Equal(t, exitOK, code, errOut+out)
	assert.Contains(t, out, "client suite against command: swaks --server")
}

func TestCheckUsageAndOffline(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"check"}, "HOST:PORT, or --self"},
		{[]string{"check", "--self", "127.0.0.1:25"}, "not both"},
		{[]string{"check", "--self", "--level", "often"}, "--level"},
		{[]string{"check", "--self", "--format", "pdf"}, "--format"},
		{[]string{"check", "--self", "--suite", "both"}, "--suite"},
		{[]string{"check", "--self", "--tls", "off"}, "--tls"},
		{[]string{"check", "--suite", "client"}, "--self"},
		{[]string{"check", "--suite", "client", "--self", "--client-cmd", "swaks"}, "one of them"},
		{[]string{"check", "--suite", "client", "--client-cmd", "mailer --password {password}"}, "--client-cmd"},
		{[]string{"check", "127.0.0.1:25", "--user", "alice"}, "SMTP_PASS"},
		{[]string{"check", "127.0.0.1:25", "--password-env", "PW"}, "needs --user"},
		{[]string{"check", "no-port"}, "HOST:PORT"},
		{[]string{"check", "--self", "--parallel", "0"}, "--parallel"},
	} {
		code, _, errOut := runCmd(t, nil, "", tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.msg, tc.args)
	}
	code, _, errOut := runCmd(t, nil, "", "check", peers.FreeAddr(t))
	assert.Equal(t, exitOffline, code)
	assert.Contains(t, errOut, "cannot be reached")
}
