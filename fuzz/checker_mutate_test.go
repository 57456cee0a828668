package fuzz

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"github.com/smtpkit/smtpkit/state"
)

// This file holds the transcript mutations of FuzzCheckerSessions: random
// ones, after which the Checker must only stay sane, and certain ones,
// after which it must report the rule broken.

// cloneTranscript returns a deep copy of tr.
func cloneTranscript(tr *state.Transcript) *state.Transcript {
	out := &state.Transcript{Header: append([]state.Meta(nil), tr.Header...)}
	for _, st := range tr.Steps {
		st.Data = bytes.Clone(st.Data)
		out.Steps = append(out.Steps, st)
	}
	return out
}

// dataSteps returns the indexes of side's data steps in tr.
func dataSteps(tr *state.Transcript, side state.Side) []int {
	var out []int
	for i, st := range tr.Steps {
		if st.Kind == state.StepData && st.Side == side {
			out = append(out, i)
		}
	}
	return out
}

// mutateTranscript applies the mutations ops describes to tr, three octets each: the
// operation, then two arguments. They drop, duplicate or truncate a step,
// swap two server writes, change a reply code, and insert a bare LF.
func mutateTranscript(tr *state.Transcript, ops []byte) {
	for ; len(ops) >= 3 && len(tr.Steps) > 0; ops = ops[3:] {
		op, a, b := ops[0]%6, int(ops[1]), int(ops[2])
		n := len(tr.Steps)
		st := &tr.Steps[a%n]
		switch op {
		case 0:
			tr.Steps = append(tr.Steps[:a%n], tr.Steps[a%n+1:]...)
		case 1:
			if srv := dataSteps(tr, state.SideServer); len(srv) > 0 {
				i, j := srv[a%len(srv)], srv[b%len(srv)]
				tr.Steps[i], tr.Steps[j] = tr.Steps[j], tr.Steps[i]
			}
		case 2:
			if srv := dataSteps(tr, state.SideServer); len(srv) > 0 {
				d := tr.Steps[srv[a%len(srv)]].Data
				lines := bytes.SplitAfter(d, lineEnd)
				if l := lines[b%len(lines)]; len(l) >= 3 {
					copy(l, fmt.Sprintf("%03d", 200+(a*7+b)%400))
				}
			}
		case 3:
			if len(st.Data) > 0 {
				k := b % len(st.Data)
				st.Data = append(st.Data[:k:k], append([]byte{'\n'}, st.Data[k:]...)...)
			}
		case 4:
			tr.Steps = append(tr.Steps[:a%n+1], append([]state.Step{*st}, tr.Steps[a%n+1:]...)...)
		case 5:
			if len(st.Data) > 0 {
				st.Data = st.Data[:b%len(st.Data)]
			}
		}
	}
}

// sanityProblem returns what is wrong with a report on any transcript: more
// violations than the bound, or one without a side, rule or detail.
func sanityProblem(r state.Report, cfg state.CheckerConfig) string {
	if len(r.Violations) > cfg.MaxViolations {
		return fmt.Sprintf("%d violations, over the bound of %d", len(r.Violations), cfg.MaxViolations)
	}
	for _, v := range r.Violations {
		if (v.Side != state.SideClient && v.Side != state.SideServer) || v.Detail == "" ||
			!strings.HasPrefix(v.Rule, "RFC ") && !strings.HasPrefix(v.Rule, "Postfix ") {
			return fmt.Sprintf("malformed violation %+v", v)
		}
	}
	return ""
}

// wantViolation returns "" when r holds a violation of each side in
// sides, and what is missing otherwise.
func wantViolation(r state.Report, what string, sides ...state.Side) string {
	for _, side := range sides {
		found := false
		for _, v := range r.Violations {
			found = found || v.Side == side
		}
		if !found {
			return fmt.Sprintf("%s: no %s violation reported; report %+v", what, side, r)
		}
	}
	return ""
}

// certainMutation is a change to a clean transcript after which the
// Checker must report a violation of each side in sides. apply returns
// false when the transcript has nothing to change.
type certainMutation struct {
	name  string
	sides []state.Side
	apply func(tr *state.Transcript) bool
}

// firstClient returns the index of the first client data step whose
// octets start with prefix, or -1.
func firstClient(tr *state.Transcript, prefix string) int {
	for i, st := range tr.Steps {
		if st.Kind == state.StepData && st.Side == state.SideClient && bytes.HasPrefix(st.Data, []byte(prefix)) {
			return i
		}
	}
	return -1
}

// nextServer returns the index of the first server data step after i, or
// -1.
func nextServer(tr *state.Transcript, i int) int {
	for j := i + 1; i >= 0 && j < len(tr.Steps); j++ {
		if st := tr.Steps[j]; st.Kind == state.StepData && st.Side == state.SideServer {
			return j
		}
	}
	return -1
}

// certainMutations are the mutations whose verdict is certain.
var certainMutations = []certainMutation{
	{
		// RFC 5321 section 4.3.2: 354 answers DATA only.
		name: "354 to MAIL", sides: []state.Side{state.SideServer},
		apply: func(tr *state.Transcript) bool {
			j := nextServer(tr, firstClient(tr, "MAIL FROM:"))
			if j < 0 || len(tr.Steps[j].Data) < 3 {
				return false
			}
			copy(tr.Steps[j].Data, "354")
			return true
		},
	},
	{
		// RFC 5321 section 4.1.4: a MAIL inside a transaction is out of
		// sequence; the client sent it and the server accepted it where
		// 503 is required. Lock-step sessions only: under PIPELINING the
		// MAIL's write holds more commands.
		name: "second MAIL accepted", sides: []state.Side{state.SideClient, state.SideServer},
		apply: func(tr *state.Transcript) bool {
			i := firstClient(tr, "MAIL FROM:")
			j := nextServer(tr, i)
			if j < 0 || bytes.Count(tr.Steps[i].Data, lineEnd) != 1 || !bytes.HasPrefix(tr.Steps[j].Data, []byte("250")) ||
				bytes.Contains(tr.Bytes(state.SideServer), []byte("PIPELINING")) {
				return false
			}
			ins := []state.Step{
				{Kind: state.StepData, Side: state.SideClient, Data: []byte("MAIL FROM:<again@example.org>\r\n")},
				{Kind: state.StepData, Side: state.SideServer, Data: []byte("250 2.1.0 ok\r\n")},
			}
			tr.Steps = append(tr.Steps[:j+1], append(ins, tr.Steps[j+1:]...)...)
			return true
		},
	},
	{
		// RFC 5321 section 2.3.8: a bare LF inside the greeting.
		name: "bare LF in the greeting", sides: []state.Side{state.SideServer},
		apply: func(tr *state.Transcript) bool {
			srv := dataSteps(tr, state.SideServer)
			if len(srv) == 0 || len(tr.Steps[srv[0]].Data) < 5 {
				return false
			}
			d := tr.Steps[srv[0]].Data
			tr.Steps[srv[0]].Data = append(append(d[:4:4], '\n'), d[4:]...)
			return true
		},
	},
	{
		// RFC 5321 section 4.1.1.10: the client closes without QUIT.
		name: "close without QUIT", sides: []state.Side{state.SideClient},
		apply: func(tr *state.Transcript) bool {
			i := firstClient(tr, "QUIT\r\n")
			if i < 0 || len(tr.Steps[i].Data) != len("QUIT\r\n") {
				return false
			}
			tr.Steps = append(tr.Steps[:i], state.Step{Kind: state.StepClose, Side: state.SideClient})
			return true
		},
	},
}

// checkMutations breaks run's clean transcript: first with the random
// mutations ops describes, after which the Checker must give the same sane
// report twice, then with each certain mutation that applies. It returns
// what went wrong, or "".
func checkMutations(run *checkedRun, ops []byte) string {
	cfg := run.checkerConfig()
	tr := cloneTranscript(run.tr)
	mutateTranscript(tr, ops)
	r1, err := state.Check(tr, cfg)
	if err != nil {
		return err.Error()
	}
	r2, _ := state.Check(tr, cfg)
	if !reflect.DeepEqual(r1, r2) {
		return fmt.Sprintf("the same transcript gave two reports:\n%+v\n%+v", r1, r2)
	}
	if p := sanityProblem(r1, cfg); p != "" {
		return p
	}
	for _, m := range certainMutations {
		tr := cloneTranscript(run.tr)
		if !m.apply(tr) {
			continue
		}
		r, _ := state.Check(tr, cfg)
		if p := wantViolation(r, m.name, m.sides...); p != "" {
			return p + "\n" + tr.String()
		}
	}
	return ""
}
