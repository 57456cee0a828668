package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryVerify runs the built binary on a transcript where the server
// accepts RCPT before MAIL, which RFC 5321 answers with 503: exit 1, and
// both sides' violations named with their rule. A clean transcript, and a
// clean LMTP one (its header sets the protocol), exit 0.
func TestBinaryVerify(t *testing.T) {
	code, out, errOut := runBin(t, nil, "", "verify", "testdata/rcpt-before-mail-250.txt")
	require.Equal(t, exitFailed, code, errOut)
	assert.Contains(t, out, "testdata/rcpt-before-mail-250.txt: 2 violations")
	assert.Regexp(t, `server\s+RFC 5321 3\.3\s+"RCPT TO:<bob@example.org>" accepted with 250; 503 required`, out)
	assert.Regexp(t, `client\s+RFC 5321 3\.3\s+RCPT in phase ready`, out)

	code, out, errOut = runBin(t, nil, "", "verify", "testdata/clean.txt", "testdata/lmtp-clean.txt")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "testdata/clean.txt: no violations\ntestdata/lmtp-clean.txt: no violations\n", out)
}

func TestVerifyJSONAndStdin(t *testing.T) {
	text, err := os.ReadFile("testdata/rcpt-before-mail-250.txt")
	require.NoError(t, err)
	code, out, errOut := runCmd(t, nil, string(text), "verify", "--json", "-")
	require.Equal(t, exitFailed, code, errOut)
	var res []verifyResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res, 1)
	assert.Equal(t, "-", res[0].File)
	require.Len(t, res[0].Violations, 2)
	assert.Equal(t, "server", res[0].Violations[1].Side)
	assert.Equal(t, "RFC 5321 3.3", res[0].Violations[1].Rule)
	assert.NotEmpty(t, res[0].Diverged)
}

func TestVerifyLMTPFlag(t *testing.T) {
	// Without its header the LMTP transcript is read as SMTP, where two
	// replies to one end of data are a violation; --lmtp makes it clean.
	text, err := os.ReadFile("testdata/lmtp-clean.txt")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "lmtp.txt")
	require.NoError(t, os.WriteFile(file, text[len("# protocol: lmtp\n"):], 0o644))
	code, out, _ := runCmd(t, nil, "", "verify", "--lmtp", file)
	assert.Equal(t, exitOK, code, out)
	code, out, _ = runCmd(t, nil, "", "verify", file)
	assert.Equal(t, exitFailed, code, out)
}

func TestVerifyErrors(t *testing.T) {
	code, _, errOut := runCmd(t, nil, "", "verify")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no transcript")

	code, out, _ := runCmd(t, nil, "", "verify", filepath.Join(t.TempDir(), "missing.txt"))
	assert.Equal(t, exitOffline, code)
	assert.Contains(t, out, "error:")

	code, out, _ = runCmd(t, nil, "X: not a transcript line\n", "verify", "-")
	assert.Equal(t, exitOffline, code)
	assert.Contains(t, out, "-: error:")
}
