package fuzz

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/reply"
)

// This file proves that every check of FuzzClientSession can fail: each
// test feeds one a session that breaks its rule and requires the report.

// dialogue builds a session from steps, each "S..." (server octets) or
// "C..." (one client write, made once every server octet before it was
// read).
func dialogue(steps ...string) (out []byte, writes []writeMark, in []byte) {
	for _, s := range steps {
		if s[0] == 'S' {
			in = append(in, s[1:]...)
			continue
		}
		writes = append(writes, writeMark{at: len(out), n: len(s) - 1, delivered: len(in)})
		out = append(out, s[1:]...)
	}
	return out, writes, in
}

// oracleProblems runs the oracle over a dialogue.
func oracleProblems(creds, clear bool, steps ...string) []string {
	out, writes, in := dialogue(steps...)
	return readSession(out, writes, in, false, creds, clear).problems
}

// requireProblem requires one problem containing want.
func requireProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, want) {
			return
		}
	}
	require.Failf(t, "problem not reported", "want %q in %q", want, problems)
}

// The steps of the dialogues below.
const (
	sGreet = "S220 mx ESMTP\r\n"
	cEhlo  = "CEHLO c.example\r\n"
	sEhlo  = "S250 mx\r\n"
	cMail  = "CMAIL FROM:<a@example.org>\r\n"
	cRcpt  = "CRCPT TO:<b@example.net>\r\n"
)

// TestOracleAcceptsALegalSession: a correct lock-step session has no problem.
func TestOracleAcceptsALegalSession(t *testing.T) {
	problems := oracleProblems(false, false, sGreet, cEhlo, sEhlo, cMail, "S250 ok\r\n", cRcpt, "S250 ok\r\n",
		"CDATA\r\n", "S354 go\r\n", "C..x\r\n.\r\n", "S250 queued\r\n", "CQUIT\r\n", "S221 bye\r\n")
	assert.Empty(t, problems)
}

// TestOracleReportsBrokenRules: each rule the oracle holds the client to,
// broken once.
func TestOracleReportsBrokenRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds bool
		steps []string
		want  string
	}{
		{"before the greeting", false, []string{cEhlo, sGreet}, "before the reply to the greeting"},
		{"no greeting at all", false, []string{cEhlo}, "no greeting"},
		{"before the reply, lock-step", false, []string{sGreet, cEhlo, cMail, sEhlo}, "before the reply to \"EHLO"},
		{"without a reply, lock-step", false, []string{sGreet, cEhlo, cMail}, "without the reply"},
		{"RCPT after a refused MAIL", false, []string{sGreet, cEhlo, sEhlo, cMail, "S550 no\r\n", cRcpt}, "MAIL of its transaction was refused"},
		{"DATA after every RCPT refused", false, []string{sGreet, cEhlo, sEhlo, cMail, "S250 ok\r\n", cRcpt, "S550 no\r\n", "CDATA\r\n"}, "every RCPT was refused"},
		{"content without 354", false, []string{sGreet, cEhlo, sEhlo, cMail, "S250 ok\r\n", cRcpt, "S250 ok\r\n",
			"CDATA\r\n", "S554 no\r\n", "CSubject: x\r\n"}, "never sends"},
		{"BDAT after a refused chunk", false, []string{sGreet, cEhlo, "S250-mx\r\n250 CHUNKING\r\n", cMail, "S250 ok\r\n", cRcpt, "S250 ok\r\n",
			"CBDAT 1\r\nx", "S554 no\r\n", "CBDAT 1 LAST\r\ny"}, "after a refused BDAT chunk"},
		{"BDAT not offered", false, []string{sGreet, cEhlo, sEhlo, cMail, "S250 ok\r\n", cRcpt, "S250 ok\r\n", "CBDAT 1 LAST\r\ny"}, "without CHUNKING"},
		{"PLAIN in clear", true, []string{sGreet, cEhlo, "S250-mx\r\n250 AUTH PLAIN\r\n", "CAUTH PLAIN AGEAYg==\r\n"}, "in clear"},
		{"AUTH response without 334", true, []string{sGreet, cEhlo, "S250-mx\r\n250 AUTH LOGIN\r\n", "CAUTH LOGIN\r\n", "S535 no\r\n", "CYWxpY2U=\r\n"}, "never sends"},
		{"bare LF in a command", false, []string{sGreet, "CEHLO c\nx\r\n"}, "CR, LF or NUL"},
		{"unterminated command", false, []string{sGreet, "CEHLO c"}, "unterminated"},
		{"parameter not offered", false, []string{sGreet, cEhlo, sEhlo, "CMAIL FROM:<a@example.org> SIZE=10\r\n"}, "not advertised"},
		{"after QUIT", false, []string{sGreet, "CQUIT\r\n", "S221 bye\r\n", "CNOOP\r\n"}, "after QUIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireProblem(t, oracleProblems(tc.creds, false, tc.steps...), tc.want)
		})
	}
}

// TestParseRepliesStopsWhereTheClientMust: replies past a bare LF, a code
// change, a bad code or an over-long line are not taken (RFC 5321 sections
// 2.3.8, 4.2.1, 4.2 and 4.5.3.1.5).
func TestParseRepliesStopsWhereTheClientMust(t *testing.T) {
	assert.Len(t, parseReplies([]byte("220 a\r\n250-b\r\n250 c\r\n")), 2)
	for _, in := range []string{"220 a\n", "220-a\r\n221 b\r\n", "2x0 a\r\n", "220 " + strings.Repeat("a", 600) + "\r\n"} {
		assert.Empty(t, parseReplies([]byte(in)), "%q", in)
	}
}

// TestErrorProblem: only the client's documented errors pass.
func TestErrorProblem(t *testing.T) {
	assert.Empty(t, errorProblem(&client.Error{Op: "send", Addr: sessionAddr, Err: errors.New("x")}, false))
	assert.Empty(t, errorProblem(&client.SendError{Reply: &reply.Error{Reply: reply.Reply{Code: 550}}}, true))
	assert.Empty(t, errorProblem(client.ErrNeeds8BITMIME, true))
	assert.NotEmpty(t, errorProblem(errors.New("raw"), false))
	assert.NotEmpty(t, errorProblem(&client.Error{Op: "bogus", Addr: sessionAddr, Err: errors.New("x")}, false))
	assert.NotEmpty(t, errorProblem(&client.Error{Op: "send", Addr: sessionAddr}, false))
	assert.NotEmpty(t, errorProblem(&client.SendError{}, true), "a SendError that says nothing")
	assert.NotEmpty(t, errorProblem(&client.BodyError{Err: errors.New("x")}, false), "only Send refuses content")
	assert.NotEmpty(t, errorProblem(errors.Join(&client.Error{Op: "send", Addr: sessionAddr, Err: errors.New("x")}, errors.New("raw")), true))
}

// TestCheckCallsReportsStickyAndRunaway: a call after a failure that does
// not return the sticky error, a runaway connection, and a *SendError that
// left the client unusable are reported.
func TestCheckCallsReportsStickyAndRunaway(t *testing.T) {
	sticky := &client.Error{Op: "read", Addr: sessionAddr, Err: errors.New("gone")}
	run := &sessionRun{conn: &replayConn{runaway: true}, calls: []callRecord{
		{name: "open", sticky: sticky, err: sticky},
		{name: "noop", err: &client.Error{Op: "noop", Addr: sessionAddr, Err: errors.New("other")}, from: 3, to: 9},
	}}
	problems := checkCalls(run)
	requireProblem(t, problems, "after the client failed")
	requireProblem(t, problems, "without end")
	se := &client.SendError{Reply: &reply.Error{Reply: reply.Reply{Code: 550}}}
	run = &sessionRun{conn: &replayConn{}, calls: []callRecord{{name: "send1", err: se, sticky: sticky, res: &client.Result{}}}}
	requireProblem(t, checkCalls(run), "left the client unusable")
}

// TestCheckSendsReportsFalseClaims: a delivery the replies did not make,
// an error missing for an undelivered recipient, and content that is not
// the body given (a "." line not doubled, RFC 5321 section 4.5.2).
func TestCheckSendsReportsFalseClaims(t *testing.T) {
	env := client.Envelope{From: "a@example.org", To: []string{"b@example.net"}}
	steps := []string{sGreet, cEhlo, sEhlo, cMail, "S250 ok\r\n", cRcpt, "S550 no\r\n"}
	out, writes, in := dialogue(steps...)
	o := readSession(out, writes, in, false, false, false)
	run := &sessionRun{conn: &replayConn{out: out}, calls: []callRecord{{name: "send1", from: len(cEhlo) - 1, to: len(out),
		env: env, body: []byte("x\r\n"),
		res: &client.Result{Recipients: []client.RcptResult{{Addr: "b@example.net", Delivered: true}}}}}}
	requireProblem(t, checkSends(o, run), "reported delivered")
	run.calls[0].res.Recipients[0].Delivered = false
	requireProblem(t, checkSends(o, run), "no error, yet 0 of 1")

	// Content that is not the body: a line starting with "." not doubled.
	steps = append(steps[:len(steps)-1], "S250 ok\r\n", "CDATA\r\n", "S354 go\r\n", "C.x\r\n.\r\n", "S250 queued\r\n")
	out, writes, in = dialogue(steps...)
	o = readSession(out, writes, in, false, false, false)
	run.conn.out, run.calls[0].to, run.calls[0].body = out, len(out), []byte(".x\r\n")
	run.calls[0].res.Recipients[0].Delivered = true
	requireProblem(t, checkSends(o, run), "arrived for the body")
}

// TestCanonical: the expected content of a text and a binary body.
func TestCanonical(t *testing.T) {
	assert.Equal(t, "a\r\nb\r\nc\r\n\r\n", string(canonicalBody([]byte("a\nb\rc\r\n\r"), false)))
	assert.Equal(t, "a\n", string(canonicalBody([]byte("a\n"), true)))
	assert.Empty(t, canonicalBody(nil, false))
	assert.True(t, hasBare([]byte("a\nb")))
	assert.False(t, hasBare([]byte("a\r\nb")))
}
