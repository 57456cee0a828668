package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// basicCases are the cases of server_sequence.go, server_syntax.go,
// server_paths.go, server_commands.go and server_lines.go.
func basicCases() []*Case {
	return slices.Concat(basicSequenceCases, basicSyntaxCases, basicPathCases, basicCommandCases, basicLineCases)
}

// basicCase returns the basic case with id.
func basicCase(t *testing.T, id string) *Case {
	t.Helper()
	for _, c := range basicCases() {
		if c.ID() == id {
			return c
		}
	}
	require.FailNow(t, "no basic case "+id)
	return nil
}

// runBasic runs cases against addr, eight at a time, with a short quiet
// time, and returns the report.
func runBasic(t *testing.T, addr string, cfg Config, cases []*Case) *Report {
	t.Helper()
	cfg.Addr = addr
	if cfg.Parallel == 0 {
		cfg.Parallel = 8
	}
	if cfg.QuietTime == 0 {
		cfg.QuietTime = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := RunServer(ctx, cfg, cases)
	require.NoError(t, err)
	require.Len(t, rep.Results, len(cases))
	return rep
}

func basicDescribe(r Result) string {
	return fmt.Sprintf("%s: %s: %s at step %d (%s)\n%s", r.Case.ID(), r.Status, r.Reason, r.Step, r.StepText, r.Transcript)
}

func TestBasicCasesValid(t *testing.T) {
	cases := basicCases()
	assert.GreaterOrEqual(t, len(cases), 70)
	ids := map[string]bool{}
	for _, c := range ServerCases() {
		assert.False(t, ids[c.ID()], "%s is registered twice", c.ID())
		ids[c.ID()] = true
	}
	for _, c := range cases {
		assert.NoError(t, c.Validate())
		assert.True(t, strings.HasSuffix(c.Title, "."), "%s: the title is not a sentence", c.ID())
	}
}

// TestBasicCasesAgainstSmtpkit runs every basic case against smtpkit's
// server with default settings: each must run (none skipped) and pass.
func TestBasicCasesAgainstSmtpkit(t *testing.T) {
	rep := runBasic(t, smtpkitServer(t, nil), Config{}, basicCases())
	pass, fail, skip := rep.Counts()
	t.Logf("%d cases: %d pass, %d fail, %d skip", len(rep.Results), pass, fail, skip)
	for _, r := range rep.Results {
		assert.Equal(t, Pass, r.Status, basicDescribe(r))
	}
}

// TestBasicCasesAgainstSmtpkitLMTP runs them against smtpkit's LMTP
// server: the SMTP-only cases are skipped, the others pass.
func TestBasicCasesAgainstSmtpkitLMTP(t *testing.T) {
	addr := smtpkitServer(t, func(s *server.Server) { s.Protocol = state.ProtocolLMTP })
	rep := runBasic(t, addr, Config{LMTP: true}, basicCases())
	ran := 0
	for _, r := range rep.Results {
		if r.Case.Needs.Protocol == SMTPOnly {
			assert.Equal(t, Skipped, r.Status, basicDescribe(r))
			continue
		}
		ran++
		assert.Equal(t, Pass, r.Status, basicDescribe(r))
	}
	assert.Greater(t, ran, 50)
}

// TestBasicExpnOffered takes the other branch of the EXPN cases: a server
// that lists EXPN.
func TestBasicExpnOffered(t *testing.T) {
	addr := smtpkitServer(t, func(s *server.Server) { s.Extensions = state.DefaultExtensions.With(wire.ExtEXPN) })
	cases := Filter{Only: "expn-,/offered-commands-implemented"}.Select(basicCases())
	require.Len(t, cases, 3)
	rep := runBasic(t, addr, Config{}, cases)
	for _, r := range rep.Results {
		assert.Equal(t, Pass, r.Status, basicDescribe(r))
		assert.Contains(t, r.Transcript.String(), "EXPN postmaster", r.Case.ID())
	}
}

// basicBreak is a broken scripted server and the case that must catch it.
type basicBreak struct {
	id       string
	ext      []string
	override func(m *scriptSMTP, line string) (string, bool)
	// noReference: the reference scriptSMTP cannot play the case (BDAT).
	noReference bool
}

var basicBreaks = []basicBreak{
	{id: "rfc5321/3.3/rcpt-before-mail", override: func(m *scriptSMTP, line string) (string, bool) {
		// go-smtp's answer: 502 where 503 is due.
		return "502 5.5.1 Missing MAIL FROM command", strings.HasPrefix(line, "RCPT") && !m.Mail
	}},
	{id: "rfc5321/4.1.1.5/rset-clears-transaction", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "250 2.0.0 ok", line == "RSET" // but keeps the transaction
	}},
	{id: "rfc5321/4.3.2/data-with-argument", override: func(m *scriptSMTP, line string) (string, bool) {
		if line != "DATA now" {
			return "", false
		}
		m.Data = true
		return "354 go ahead", true
	}},
	{id: "rfc5321/4.2/long-line-one-reply", override: func(m *scriptSMTP, line string) (string, bool) {
		// Reads 510 octets at a time and runs the rest as more commands.
		if len(line) <= 510 {
			return "", false
		}
		answers := []string{"500 5.5.2 line too long"}
		for rest := line[510:]; rest != ""; rest = rest[min(510, len(rest)):] {
			answers = append(answers, m.Base(rest[:min(510, len(rest))]))
		}
		return strings.Join(answers, "\r\n"), true
	}},
	{id: "rfc5321/4.2.4/unknown-command-500", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "502 5.5.2 Error: command not recognized", line == "XYZZY"
	}},
	{id: "rfc5321/3.8/unknown-command-no-close", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "500 5.5.2 go away" + scriptClose, line == "XYZZY"
	}},
	{id: "rfc5321/4.1.1.10/quit-221-close", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "221 2.0.0 bye", line == "QUIT" // and stays open
	}},
	{id: "rfc5321/4.5.1/rcpt-postmaster", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "501 5.1.3 a domain is needed", line == "RCPT TO:<Postmaster>"
	}},
	{id: "rfc5321/4.5.3.1.4/command-line-512", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "500 5.5.2 line too long", len(line) >= 510 // off by two
	}},
	{id: "rfc5321/4.1.1.9/noop-with-argument", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "501 5.5.4 syntax: NOOP", strings.HasPrefix(line, "NOOP ")
	}},
	{id: "rfc5321/4.1.4/bdat-before-rcpt", ext: []string{"CHUNKING"}, noReference: true, override: func(_ *scriptSMTP, line string) (string, bool) {
		// Refuses BDAT without reading its chunk: the chunk runs as a command.
		return "503 5.5.1 no recipients", strings.HasPrefix(line, "BDAT ")
	}},
	{id: "rfc5321/3.2/helo-no-extension-list", ext: []string{"PIPELINING", "8BITMIME"}, override: func(m *scriptSMTP, line string) (string, bool) {
		if !strings.HasPrefix(line, "HELO ") {
			return "", false
		}
		m.Greeted = true
		return scriptReply("250", "scripted.test", "PIPELINING", "8BITMIME"), true
	}},
	{id: "rfc5321/4.1.4/ehlo-refused-keeps-transaction", override: func(m *scriptSMTP, line string) (string, bool) {
		if line != "EHLO" {
			return "", false
		}
		m.Mail, m.Rcpt = false, false // refuses, but forgets the transaction
		return "501 5.5.4 a domain is needed", true
	}},
	{id: "rfc5321/4.1.1.4/message-clears-transaction", override: func(m *scriptSMTP, line string) (string, bool) {
		if !m.Data || line != "." {
			return "", false
		}
		m.Data = false // but keeps the sender and recipients
		return "250 2.0.0 accepted", true
	}},
	{id: "rfc5321/4.2.4/unoffered-commands-refused", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "250 2.0.0 turning", line == "TURN"
	}},
	{id: "rfc5321/4.1.1.1/ehlo-reply-syntax", override: func(m *scriptSMTP, line string) (string, bool) {
		if !strings.HasPrefix(line, "EHLO ") {
			return "", false
		}
		m.Greeted = true
		return scriptReply("250", "scripted.test", "AUTH=PLAIN LOGIN", "8BITMIME"), true
	}},
	{id: "rfc5321/4.1.4/mail-missing-brackets", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "553 5.1.7 bad sender address syntax", strings.HasPrefix(line, "MAIL FROM:") && !strings.Contains(line, "<")
	}},
	{id: "rfc5321/4.5.3.1.5/reply-line-512", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "500 5.5.2 unrecognized command: " + line, strings.HasPrefix(line, "XYZZY")
	}},
	{id: "rfc5321/4.1.4/mail-before-ehlo", override: func(m *scriptSMTP, line string) (string, bool) {
		return "250 2.1.0 ok", strings.HasPrefix(line, "MAIL") && !m.Greeted
	}},
	{id: "rfc5321/4.1.1.3/rcpt-source-route", override: func(_ *scriptSMTP, line string) (string, bool) {
		return "501 5.1.3 bad recipient address syntax", strings.HasPrefix(line, "RCPT TO:<@")
	}},
}

// TestBasicCasesCanFail shows that the cases catch broken servers: each
// passes against the reference scripted server and fails against the same
// server broken in the way the case is about.
func TestBasicCasesCanFail(t *testing.T) {
	cfg := Config{Timeout: 3 * time.Second}
	for _, b := range basicBreaks {
		t.Run(strings.ReplaceAll(b.id, "/", "_"), func(t *testing.T) {
			t.Parallel()
			c := basicCase(t, b.id)
			if !b.noReference {
				good := runBasic(t, scriptedServerConns(t, scriptConns(b.ext, nil)), cfg, []*Case{c}).Results[0]
				assert.Equal(t, Pass, good.Status, "reference server: %s", basicDescribe(good))
			}
			bad := runBasic(t, scriptedServerConns(t, scriptConns(b.ext, b.override)), cfg, []*Case{c}).Results[0]
			assert.Equal(t, Fail, bad.Status, "broken server: %s", basicDescribe(bad))
		})
	}
}

func TestBasicHelpers(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 127, 189, 200, 255} {
		d := basicLongDomain(n, "example.net")
		assert.Len(t, d, n)
		if n >= 13 {
			assert.True(t, strings.HasSuffix(d, ".example.net"), d)
		}
		assert.NoError(t, wire.CheckDomain([]byte(d), false), d)
	}
	for _, n := range []int{512, 2000, 10000} {
		l := basicLine("NOOP", n)
		assert.Len(t, l, n)
		assert.Equal(t, 1, strings.Count(l, "\r\n"))
	}
	assert.Len(t, basicLocal(64), 64)
	assert.Equal(t, `"a\"b\\c"`, basicQuote(`a"b\c`))
	assert.NoError(t, basicCheckEHLO([]string{"250-mx.example.net Hello", "250-SIZE 1000", "250 8BITMIME"}))
	assert.NoError(t, basicCheckEHLO([]string{"250-[192.0.2.1]", "250-PIPELINING", "250"}))
	assert.Error(t, basicCheckEHLO([]string{"250-mx.example.net", "250-AUTH=PLAIN LOGIN", "250 8BITMIME"}))
	assert.Error(t, basicCheckEHLO([]string{"250-mx.example.net", "250-SIZE  1000", "250 8BITMIME"}))
	assert.Error(t, basicCheckEHLO([]string{"250-mx.example.net", "250 -BAD"}))
}

// TestBasicCasesCatchYesServer runs every basic case against a server that
// answers 250 to every line: each sequencing case fails (or, for BDAT, is
// skipped), and so do the cases about refusals; those that
// pass only send commands that 250 rightly answers.
func TestBasicCasesCatchYesServer(t *testing.T) {
	addr := scriptedServer(t, func(string) string { return "250 ok" })
	rep := runBasic(t, addr, Config{Timeout: 3 * time.Second}, basicCases())
	status := map[string]Status{}
	pass := 0
	for _, r := range rep.Results {
		status[r.Case.ID()] = r.Status
		if r.Status == Pass {
			pass++
		}
	}
	for _, c := range basicSequenceCases {
		want := Fail
		if len(c.Needs.Ext) > 0 || c.Name == "ehlo-refused-keeps-transaction" {
			want = Skipped // no CHUNKING; a bare EHLO accepted, so none refused
		}
		assert.Equal(t, want, status[c.ID()], c.ID())
	}
	for _, id := range []string{
		"rfc5321/4.1.1.5/rset-clears-transaction", "rfc5321/4.1.1.10/quit-221-close", "rfc5321/4.2.4/unknown-command-500",
		"rfc5321/4.3.2/data-with-argument", "rfc5321/4.1.4/mail-no-reverse-path", "rfc5321/4.1.2/rcpt-underscore-domain",
		"rfc5321/4.1.1.8/help", "rfc5321/4.5.3.1.5/reply-line-512", "rfc5321/4.1.1.7/expn-keeps-transaction",
	} {
		assert.Equal(t, Fail, status[id], id)
	}
	assert.Less(t, pass, len(rep.Results)/2)
}
