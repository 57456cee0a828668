package fuzz

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds FuzzCheckerSessions: the client driver against the
// state.Server over a loopConn, every choice (extensions, messages,
// recipients, bodies, AUTH, NOOP, RSET, the application's refusals) taken
// from the fuzz input, the session recorded and judged by the Checker. Our
// client and our server must give a session the Checker finds nothing
// wrong with; the mutations of checker_mutate_test.go then break the
// transcript.

// Server choices: the first octet of a plan.
const (
	srvPipelining = 1 << iota
	srvChunking
	srv8BitMIME
	srvEnhanced
	srvAuth
	srvLMTP
	srvSize
	srvUTF8
)

// Client choices: the second octet of a plan.
const (
	cliNoBDAT = 1 << iota
	cliAuth
	cliWrongPass
	cliSmallChunks
	cliNoop
	cliReset
	cliNormalize
	cliMoreMessages
)

// checkerBodies are the bodies a plan picks from: empty, dot lines,
// 8-bit text, a bare LF (refused in the first buffer unless normalized),
// a line without its CRLF, and a long one.
var checkerBodies = []string{
	"",
	"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n",
	"caf\xc3\xa9\r\n",
	"bare\nlf\r\n",
	"no end",
	strings.Repeat("0123456789", 30) + "\r\n.\r\n",
}

// checkedRun is one session of FuzzCheckerSessions.
type checkedRun struct {
	lmtp     bool
	tr       *state.Transcript
	problems []string
}

// serverConfig builds the server's configuration from its choices.
func serverConfig(b byte) state.ServerConfig {
	cfg := state.ServerConfig{Hostname: "mx.example.net", AllowInsecureAuth: true}
	for bit, e := range map[byte]wire.Ext{srvPipelining: wire.ExtPIPELINING, srvChunking: wire.ExtCHUNKING,
		srv8BitMIME: wire.Ext8BITMIME, srvEnhanced: wire.ExtENHANCEDSTATUSCODES, srvUTF8: wire.ExtSMTPUTF8} {
		if b&bit != 0 {
			cfg.Extensions = cfg.Extensions.With(e)
		}
	}
	if b&srvAuth != 0 {
		cfg.Extensions = cfg.Extensions.With(wire.ExtAUTH)
		cfg.AuthMechanisms = []string{"PLAIN"}
	}
	if b&srvSize != 0 {
		cfg.Extensions = cfg.Extensions.With(wire.ExtSIZE)
		cfg.MaxMessageSize = 200
	}
	if b&srvLMTP != 0 {
		cfg.Protocol = state.ProtocolLMTP
	}
	return cfg
}

// clientOptions builds the client's options from its choices.
func clientOptions(b byte, lmtp bool) []client.Option {
	opts := []client.Option{client.WithHostname("client.example.org"), client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyAuto)}
	if lmtp {
		opts = append(opts, client.WithLMTP())
	}
	if b&cliNoBDAT != 0 {
		opts = append(opts, client.WithoutBDAT())
	}
	if b&cliAuth != 0 {
		pass := authPass
		if b&cliWrongPass != 0 {
			pass = "wrong"
		}
		opts = append(opts, client.WithAuthMechanisms(auth.PlainClient("", authUser, pass)), client.WithInsecureAuth())
	}
	if b&cliSmallChunks != 0 {
		opts = append(opts, client.WithChunkSize(16))
	}
	if b&cliNormalize != 0 {
		opts = append(opts, client.WithBareLines(wire.BareNormalize))
	}
	return opts
}

// runChecked runs the session plan describes and returns its transcript
// with what went wrong on the way: errors outside the client's documented
// ones, server replies the machine refused, a client left waiting, a
// phase outside the table.
func runChecked(plan []byte) *checkedRun {
	pick := &chooser{b: plan}
	sb, cb := pick.next(), pick.next()
	cfg := serverConfig(sb)
	srv, err := state.NewServer(cfg)
	if err != nil {
		panic(err) // every choice gives a valid configuration
	}
	run := &checkedRun{lmtp: cfg.Protocol == state.ProtocolLMTP}
	conn := newLoopConn(srv, cfg.Protocol, pick)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := func(name string, err error, send bool) {
		if p := errorProblem(err, send); p != "" {
			run.problems = append(run.problems, name+": "+p)
		}
	}
	c, err := client.NewClient(ctx, conn, sessionAddr, clientOptions(cb, run.lmtp)...)
	check("open", err, false)
	if err == nil {
		messages := 1
		if cb&cliMoreMessages != 0 {
			messages += 1 + pick.pick(2)
		}
		for k := range messages {
			if k > 0 && cb&cliNoop != 0 && c.Err() == nil {
				check("noop", c.Noop(ctx), false)
			}
			if k > 0 && cb&cliReset != 0 && c.Err() == nil {
				check("reset", c.Reset(ctx), false)
			}
			env := client.Envelope{From: fmt.Sprintf("s%d@example.org", k)}
			for i := range 1 + pick.pick(3) {
				env.To = append(env.To, fmt.Sprintf("r%d.%d@example.net", k, i))
			}
			body := checkerBodies[pick.pick(len(checkerBodies))]
			_, err := c.Send(ctx, env, strings.NewReader(body))
			check(fmt.Sprintf("send%d", k+1), err, true)
		}
		check("quit", c.Quit(ctx), false)
	}
	run.problems = append(run.problems, conn.problems...)
	if conn.stuck {
		run.problems = append(run.problems, "the client waited for a reply the server did not owe")
	}
	run.tr = conn.rec.Transcript()
	return run
}

// checkerConfig is the Checker's configuration for run.
func (run *checkedRun) checkerConfig() state.CheckerConfig {
	cfg := state.CheckerConfig{MaxViolations: 20}
	if run.lmtp {
		cfg.Protocol = state.ProtocolLMTP
	}
	return cfg
}

// cleanReport returns what is wrong with the Checker's report on a
// session between our client and our server: any violation, divergence or
// stop is a false positive of the Checker or a bug of an engine.
func cleanReport(r state.Report) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, fmt.Sprintf("violation: %s %s: %s", v.Side, v.Rule, v.Detail))
	}
	if r.Diverged != "" {
		out = append(out, "diverged: "+r.Diverged)
	}
	if r.Stopped != "" {
		out = append(out, "stopped: "+r.Stopped)
	}
	return out
}

// FuzzCheckerSessions runs our client against our server as plan says and
// holds the recorded session to the Checker: no violation, no divergence,
// no stop, and on the way only documented client errors, only replies the
// server machine takes, and the server's phase always in the table. Then
// it breaks the transcript as mutate says (checker_mutate_test.go): the
// Checker never panics, stays within its bounds, gives the same report
// twice, and reports the violations whose verdict is certain.
func FuzzCheckerSessions(f *testing.F) {
	for _, s := range checkerSeeds(f) {
		f.Add(s[0].([]byte), s[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, plan, mutate []byte) {
		if len(plan) > 256 || len(mutate) > 64 {
			return
		}
		run := runChecked(plan)
		report, err := state.Check(run.tr, run.checkerConfig())
		require.NoError(t, err)
		if problems := append(run.problems, cleanReport(report)...); len(problems) > 0 {
			t.Fatalf("%s\n%s", strings.Join(problems, "\n"), run.tr)
		}
		if p := checkMutations(run, mutate); p != "" {
			t.Fatal(p)
		}
	})
}

// checkerSeeds are plans for the features one at a time and together, and
// one plan per golden session, with its extensions, its client's choices
// and its refusals; each with a few mutations.
func checkerSeeds(t testing.TB) [][]any {
	all := byte(srvPipelining | srvChunking | srv8BitMIME | srvEnhanced | srvAuth)
	plans := [][]byte{
		{0, 0},
		{srvPipelining | srvEnhanced, cliNoBDAT, 0, 0, 0, 1, 0, 0, 0},
		{srvChunking | srv8BitMIME, cliSmallChunks, 0, 0, 2, 2, 0, 0, 0, 5, 0, 0, 0},
		{all, cliAuth | cliMoreMessages | cliNoop | cliReset, 1, 0, 0, 1, 5, 7, 1, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3},
		{all, cliAuth | cliWrongPass},
		{srvLMTP | srv8BitMIME, cliNoBDAT | cliMoreMessages, 0, 0, 2, 5, 2, 0, 0, 0, 0, 6, 0, 0, 1},
		{srvPipelining, cliNormalize | cliNoBDAT, 0, 0, 0, 3},
		{srvSize | srvPipelining, cliNoBDAT, 0, 0, 0, 5},
		{srvPipelining | srvChunking, cliSmallChunks, 0, 7, 0},
		{srvUTF8 | srv8BitMIME, 0, 15},
	}
	plans = append(plans, goldenPlans(t)...)
	mutations := [][]byte{nil, {0, 3}, {1, 2, 9}, {2, 5, 1}, {3, 4, 4}, {4, 1, 6}, {5, 0, 0}}
	var seeds [][]any
	for i, p := range plans {
		seeds = append(seeds, []any{p, mutations[i%len(mutations)]})
	}
	return seeds
}

// goldenPlans turns each golden session into a plan: the extensions of its
// "# server:" header, a client that uses AUTH and BDAT when its client
// did, and as many recipients (each refused when the golden refused one).
func goldenPlans(t testing.TB) [][]byte {
	sessions := goldenSessions(t)
	names := make([]string, 0, len(sessions))
	for name := range sessions {
		names = append(names, name)
	}
	sort.Strings(names)
	var plans [][]byte
	for _, name := range names {
		tr := sessions[name]
		meta, _ := tr.Meta("server")
		var sb, cb byte
		for kw, bit := range map[string]byte{"PIPELINING": srvPipelining, "CHUNKING": srvChunking,
			"8BITMIME": srv8BitMIME, "ENHANCEDSTATUSCODES": srvEnhanced, "AUTH=": srvAuth, "lmtp": srvLMTP,
			"SIZE": srvSize, "SMTPUTF8": srvUTF8} {
			if strings.Contains(meta, kw) {
				sb |= bit
			}
		}
		cl, _ := tr.SplitTLS(state.SideClient)
		sv, _ := tr.SplitTLS(state.SideServer)
		if !bytes.Contains(cl, []byte("BDAT ")) {
			cb |= cliNoBDAT
		}
		if bytes.Contains(cl, []byte("AUTH ")) {
			cb |= cliAuth
		}
		// The greeting, the recipients, the body with dot lines, MAIL
		// accepted, then each RCPT; the last refused when the golden
		// refused one.
		rcpts := min(3, max(1, bytes.Count(cl, []byte("RCPT TO:"))))
		plan := []byte{sb, cb, 0, byte(rcpts - 1), 1, 0}
		for i := range rcpts {
			if i == rcpts-1 && bytes.Contains(sv, []byte("\r\n550 ")) {
				plan = append(plan, 5)
			} else {
				plan = append(plan, 0)
			}
		}
		plans = append(plans, plan)
	}
	return plans
}

// TestSeedsCheckerSessions keeps testdata/fuzz/FuzzCheckerSessions in
// step with checkerSeeds and runs every seed's session through the
// Checker.
func TestSeedsCheckerSessions(t *testing.T) {
	seeds := checkerSeeds(t)
	syncSeeds(t, "FuzzCheckerSessions", seeds)
	for i, s := range seeds {
		run := runChecked(s[0].([]byte))
		report, err := state.Check(run.tr, run.checkerConfig())
		require.NoError(t, err)
		require.Empty(t, append(run.problems, cleanReport(report)...), "seed %d:\n%s", i, run.tr)
		require.Empty(t, checkMutations(run, s[1].([]byte)), "seed %d", i)
	}
}
