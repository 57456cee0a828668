package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/smtpkit/smtpkit/state"
)

var verifyCommand = &command{
	name:    "verify",
	summary: "check a recorded C:/S: transcript against the RFCs (state.Checker)",
	usage:   "[flags] FILE... (- for standard input)",
	help: `
Replays each transcript through smtpkit's Checker, which runs the client and
server state machines without enforcing anything, and prints every rule either
side broke with its RFC section. Exit status 1 when any violation is found.

A transcript is the C:/S: dialogue of RFC 5321 appendix D, one line per
command or reply, CR written as \r (see state.ParseTranscript). The header
lines "# protocol: lmtp" and "# tls: implicit" set what the flags below set.

examples:
  smtpkit verify session.txt
  smtpkit verify --json testdata/*.txt
  smtpkit verify --lmtp - < lmtp-session.txt`,
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		var v verifier
		fs.BoolVar(&v.lmtp, "lmtp", false, "the session is LMTP (RFC 2033)")
		fs.BoolVar(&v.implicitTLS, "implicit-tls", false, "the session ran inside TLS from its first octet (RFC 8314)")
		fs.BoolVar(&v.json, "json", false, "print the reports as JSON")
		fs.IntVar(&v.max, "max-violations", 0, "stop after `N` violations per transcript (0: the Checker's default)")
		return func(_ context.Context, args []string) int {
			if len(args) == 0 {
				return fail(sio, "verify", usagef("no transcript: give a FILE, or - for standard input"), exitUsage)
			}
			return v.run(sio, args)
		}
	},
}

type verifier struct {
	lmtp, implicitTLS, json bool
	max                     int
}

// verifyResult is one transcript's report, also the JSON form.
type verifyResult struct {
	File       string            `json:"file"`
	Violations []verifyViolation `json:"violations"`
	Diverged   string            `json:"diverged,omitempty"`
	Stopped    string            `json:"stopped,omitempty"`
	Error      string            `json:"error,omitempty"`
}

type verifyViolation struct {
	Side   string `json:"side"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

func (v *verifier) run(sio *stdio, files []string) int {
	results := make([]verifyResult, 0, len(files))
	code := exitOK
	for _, name := range files {
		r := v.check(sio, name)
		switch {
		case r.Error != "":
			code = max(code, exitOffline)
		case len(r.Violations) > 0:
			code = max(code, exitFailed)
		}
		results = append(results, r)
	}
	if v.json {
		enc := json.NewEncoder(sio.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fail(sio, "verify", err, exitOffline)
		}
		return code
	}
	for _, r := range results {
		printVerifyResult(sio.out, r)
	}
	return code
}

func (v *verifier) check(sio *stdio, name string) verifyResult {
	res := verifyResult{File: name, Violations: []verifyViolation{}}
	text, err := readTranscript(sio, name)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	tr, err := state.ParseTranscript(text)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	cfg := state.CheckerConfig{MaxViolations: v.max}
	if p, _ := tr.Meta("protocol"); v.lmtp || strings.EqualFold(strings.TrimSpace(p), "lmtp") {
		cfg.Protocol = state.ProtocolLMTP
	}
	if t, _ := tr.Meta("tls"); v.implicitTLS || strings.EqualFold(strings.TrimSpace(t), "implicit") {
		cfg.TLS = true
	}
	rep, err := state.Check(tr, cfg)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, vi := range rep.Violations {
		res.Violations = append(res.Violations, verifyViolation{Side: vi.Side.String(), Rule: vi.Rule, Detail: vi.Detail})
	}
	res.Diverged, res.Stopped = rep.Diverged, rep.Stopped
	return res
}

// maxTranscript bounds a transcript file: a recorded session with its
// message content fits easily.
const maxTranscript = 64 << 20

func readTranscript(sio *stdio, name string) ([]byte, error) {
	var r io.Reader = sio.in
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := readAllLimit(r, maxTranscript)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// readAllLimit reads r to its end, refusing more than limit octets.
func readAllLimit(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d octets", limit)
	}
	return b, nil
}

func printVerifyResult(w io.Writer, r verifyResult) {
	switch {
	case r.Error != "":
		fmt.Fprintf(w, "%s: error: %s\n", r.File, r.Error)
		return
	case len(r.Violations) == 0:
		fmt.Fprintf(w, "%s: no violations\n", r.File)
	default:
		fmt.Fprintf(w, "%s: %d %s\n", r.File, len(r.Violations), plural(len(r.Violations), "violation", "violations"))
		for _, v := range r.Violations {
			fmt.Fprintf(w, "  %-6s  %-22s  %s\n", v.Side, v.Rule, v.Detail)
		}
	}
	if r.Diverged != "" {
		fmt.Fprintf(w, "  diverged: %s\n", r.Diverged)
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "  stopped: %s\n", r.Stopped)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
