package server

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

func TestTracerRedacts(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		phase state.Phase
		want  string
	}{
		{"auth initial response", "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", state.PhaseReady, "C: AUTH <redacted>\n"},
		{"auth pipelined rest", "auth login\r\nYWxpY2U=\r\n", state.PhaseReady, "C: AUTH <redacted>\nC: <redacted>\n"},
		{"sasl response", "c2VjcmV0\r\n", state.PhaseAuth, "C: <redacted SASL response>\n"},
		{"data content", "DATA\r\nSubject: private\r\n", state.PhaseRcpt, "C: DATA\nC: <18 octets of content>\n"},
		{"content", "Subject: private\r\n", state.PhaseData, "C: <18 octets of content>\n"},
		{"control octets", "NOOP\x1b[2J\r\n", state.PhaseReady, "C: NOOP\\x1B[2J\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tr := tracer{w: &b, mu: &sync.Mutex{}}
			tr.client([]byte(tt.in), tt.phase)
			assert.Equal(t, tt.want, b.String())
		})
	}
	var b strings.Builder
	tr := tracer{w: &b, mu: &sync.Mutex{}}
	tr.server([]byte("334 PDEyMzQ1Pg==\r\n250 OK\r\n"))
	assert.Equal(t, "S: 334 <redacted>\nS: 250 OK\n", b.String())
}

// TestTracerSplitReads checks that a line cut between two reads is traced
// as a whole line would be: TCP keeps no line boundaries, so a client (or
// the network) splitting "AUTH PLAIN <credentials>" or "DATA" must not get
// credentials or content into the trace. Without the carried-over line
// state "AU" + "TH PLAIN ..." was traced as two lines, the second with the
// credentials in clear.
func TestTracerSplitReads(t *testing.T) {
	type read struct {
		in    string
		phase state.Phase
	}
	tests := []struct {
		name  string
		reads []read
		want  string
	}{
		{"verb split", []read{{"NOOP\r\nAU", state.PhaseReady}, {"TH PLAIN AGFsaWNlAHNlY3JldA==\r\n", state.PhaseReady}},
			"C: NOOP\nC: AUTH <redacted>\n"},
		{"initial response split", []read{{"AUTH PLAIN AGFsaW", state.PhaseReady}, {"NlAHNlY3JldA==\r\nNOOP\r\n", state.PhaseReady}},
			"C: AUTH <redacted>\nC: <redacted>\n"},
		{"DATA split", []read{{"DA", state.PhaseRcpt}, {"TA\r\nSubject: private\r\n", state.PhaseRcpt}},
			"C: DATA\nC: <18 octets of content>\n"},
		{"DATA CRLF split", []read{{"DATA\r", state.PhaseRcpt}, {"\nSubject: private\r\n", state.PhaseRcpt}},
			"C: DATA\nC: <18 octets of content>\n"},
		{"content then a split line", []read{{"x\r\n.\r\nAU", state.PhaseData}, {"TH PLAIN AGFs\r\n", state.PhaseReady}},
			"C: <6 octets of content>\nC: AUTH <redacted>\n"},
		{"content then a split DATA", []read{{"x\r\n.\r\nDATA", state.PhaseData}, {"\r\nSubject: private\r\n", state.PhaseRcpt}},
			"C: <6 octets of content>\nC: DATA\nC: <18 octets of content>\n"},
		{"content in pieces", []read{{"Subj", state.PhaseData}, {"ect: private\r\nx", state.PhaseData}, {"yz\r\n", state.PhaseData}},
			"C: <4 octets of content>\nC: <15 octets of content>\nC: <4 octets of content>\n"},
		{"content and commands in one read", []read{{"DATA\r\nSubject: x\r\n.\r\nAUTH PLAIN AGFs\r\n", state.PhaseRcpt}},
			"C: DATA\nC: <15 octets of content>\nC: AUTH <redacted>\n"},
		{"BDAT after AUTH", []read{{"AUTH PLAIN AGFs\r\nBDAT 5\r\nab", state.PhaseReady}, {"cdeNOOP\r\n", state.PhaseReady}},
			"C: AUTH <redacted>\nC: <redacted>\nC: <3 octets of content>\nC: NOOP\n"},
		{"refused chunk in a later read", []read{{"BDAT 5\r\n", state.PhaseReady}, {"hello", state.PhaseReady}, {"NOOP\r\n", state.PhaseReady}},
			"C: BDAT 5\nC: <5 octets of content>\nC: NOOP\n"},
		{"chunk split", []read{{"BDAT 5\r\nhel", state.PhaseReady}, {"loNOOP\r\n", state.PhaseReady}},
			"C: BDAT 5\nC: <3 octets of content>\nC: <2 octets of content>\nC: NOOP\n"},
		{"chunk size split", []read{{"BDAT 1", state.PhaseReady}, {"0\r\n0123456789NOOP\r\n", state.PhaseReady}},
			"C: BDAT 10\nC: <10 octets of content>\nC: NOOP\n"},
		{"chunks framed in a BDAT read", []read{{"BDAT 3\r\nabcBDAT 4 LAST\r\nde", state.PhaseBDAT}, {"fgNOOP\r\n", state.PhaseReady}},
			"C: <26 octets of content>\nC: <2 octets of content>\nC: NOOP\n"},
		{"plain line split", []read{{"MAIL FROM:<a", state.PhaseReady}, {"@b>\r\nNOOP\r", state.PhaseMail}, {"\n", state.PhaseMail}},
			"C: MAIL FROM:<a@b>\nC: NOOP\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tr := newTracer(&b, &sync.Mutex{}, wire.BareReject)
			for _, r := range tt.reads {
				tr.client([]byte(r.in), r.phase)
			}
			assert.Equal(t, tt.want, b.String())
		})
	}
}

// TestTracerBareLines checks that the tracer splits lines as the machine
// does under its BareLines policy: a bare CR ends a line (here an AUTH
// line) only under BareNormalize; under BareReject the line is refused
// and traced only up to its bare CR or LF.
func TestTracerBareLines(t *testing.T) {
	in := []byte("NOOP\rAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nNOOP x\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
	var b strings.Builder
	tr := newTracer(&b, &sync.Mutex{}, wire.BareNormalize)
	tr.client(in, state.PhaseReady)
	assert.Equal(t, "C: NOOP\nC: AUTH <redacted>\nC: <redacted>\n", b.String())
	b.Reset()
	tr = newTracer(&b, &sync.Mutex{}, wire.BareReject)
	tr.client(in, state.PhaseReady)
	assert.Equal(t, "C: NOOP <bare CR or LF, rest not shown>\nC: NOOP x <bare CR or LF, rest not shown>\n", b.String())
}

func TestCounterString(t *testing.T) {
	assert.Equal(t, "messages", CounterMessages.String())
	assert.Equal(t, "Counter(200)", Counter(200).String())
}
