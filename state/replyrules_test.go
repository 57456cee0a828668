package state

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// wantListed is the independent expectation for Stage.Allows: every code
// each stage may receive, typed out in full from RFC 5321 4.3.2 (verbatim
// S:/I:/E: lists), the codes any command may return (421, 500, 501), 502 for
// extension commands (RFC 5321 4.2.4), 530 (RFC 4954 6, RFC 3207 4) and the
// extension RFCs.
var wantListed = map[Stage][]int{
	StageNone:      {421},
	StageGreeting:  {220, 554, 421, 521},
	StageEhlo:      {250, 504, 550, 502, 500, 501, 421},
	StageHelo:      {250, 504, 550, 502, 500, 501, 421, 530},
	StageLhlo:      {250, 504, 550, 502, 500, 501, 421},
	StageMail:      {250, 552, 451, 452, 550, 553, 503, 455, 555, 500, 501, 421, 530},
	StageRcpt:      {250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555, 556, 500, 501, 421, 530},
	StageData:      {354, 503, 554, 500, 501, 421, 530},
	StageEndOfData: {250, 552, 554, 451, 452, 450, 550, 500, 501, 421},
	StageBDAT:      {250, 552, 554, 451, 452, 450, 550, 503, 500, 501, 421, 502, 530},
	StageBDATLast:  {250, 552, 554, 451, 452, 450, 550, 503, 500, 501, 421, 502, 530},
	StageRset:      {250, 500, 501, 421, 530},
	StageVrfy:      {250, 251, 252, 550, 551, 553, 502, 504, 500, 501, 421, 530},
	StageExpn:      {250, 252, 550, 500, 502, 504, 501, 421, 530},
	StageHelp:      {211, 214, 502, 504, 500, 501, 421, 530},
	StageNoop:      {250, 500, 501, 421},
	StageQuit:      {221, 500, 501, 421},
	StageStartTLS:  {220, 454, 501, 503, 500, 421, 502, 530},
	StageAuth:      {334, 235, 432, 454, 500, 501, 503, 504, 530, 534, 535, 538, 421, 502},
	StageEtrn:      {250, 251, 252, 253, 458, 459, 500, 501, 421, 502, 530},
	StageAtrn:      {250, 450, 451, 453, 501, 502, 530, 500, 421},
	StageBurl:      {250, 554, 503, 552, 451, 450, 452, 550, 500, 501, 421, 502, 530},
	StageBurlLast:  {250, 554, 503, 552, 451, 450, 452, 550, 500, 501, 421, 502, 530},
	StageXclient:   {220, 421, 501, 503, 550, 500, 502, 530},
	StageXforward:  {250, 421, 501, 503, 550, 500, 502, 530},
	StageOther:     {500, 501, 421, 502, 530},
}

// byClass is the independent expectation for Judge: the verdict for each
// first digit 2, 3, 4, 5 (SPEC 2.4a), before the per-code exceptions in
// wantOverride and the universal 421.
var byClass = map[Stage][4]Verdict{
	StageNone:      {VerdictProtocolError, VerdictProtocolError, VerdictProtocolError, VerdictProtocolError},
	StageGreeting:  {VerdictProceed, VerdictProtocolError, VerdictQuit, VerdictQuit},
	StageEhlo:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictFallbackHELO},
	StageHelo:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageLhlo:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageMail:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageRcpt:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageData:      {VerdictProtocolError, VerdictContinue, VerdictTempFail, VerdictPermFail},
	StageEndOfData: {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageBDAT:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageBDATLast:  {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageRset:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageVrfy:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageExpn:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageHelp:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageNoop:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageQuit:      {VerdictClose, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageStartTLS:  {VerdictStartTLS, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageAuth:      {VerdictAuthenticated, VerdictContinue, VerdictTempFail, VerdictPermFail},
	StageEtrn:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageAtrn:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageBurl:      {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageBurlLast:  {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageXclient:   {VerdictReset, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageXforward:  {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
	StageOther:     {VerdictProceed, VerdictProtocolError, VerdictTempFail, VerdictPermFail},
}

// wantOverride holds the per-code exceptions to byClass (421 aside).
var wantOverride = map[Stage]map[int]Verdict{
	StageRcpt: {452: VerdictTempFail, 552: VerdictTempFail}, // RFC 5321 4.5.3.1.10
}

// validCode is the Reply-code ABNF of RFC 5321 4.2, written independently of
// reply.Code.Valid: %x32-35 %x30-35 %x30-39.
func validCode(c int) bool {
	return c >= 200 && c <= 599 && (c/10)%10 <= 5
}

// walkCodes are the codes every walk visits: every three-digit number (so
// 199, 260, 560, 600 and the like), 0, 1000 and the largest Code.
func walkCodes() []int {
	codes := []int{0, 1, 99, 1000, 65535}
	for c := 100; c <= 999; c++ {
		codes = append(codes, c)
	}
	return codes
}

func allStages() []Stage {
	return append([]Stage{StageNone}, Stages()...)
}

func TestStagesComplete(t *testing.T) {
	got := Stages()
	require.Len(t, got, int(numStages)-1)
	assert.Equal(t, StageGreeting, got[0])
	assert.Equal(t, StageOther, got[len(got)-1])
	for _, s := range allStages() {
		assert.Contains(t, wantListed, s, "wantListed misses %v", s)
		assert.Contains(t, byClass, s, "byClass misses %v", s)
		assert.NotEmpty(t, stageRules[s].name, "stage %d has no name", s)
		assert.NotEmpty(t, s.Rule(), "stage %v has no rule", s)
	}
}

func TestAllowsWalk(t *testing.T) {
	for _, s := range allStages() {
		for _, c := range walkCodes() {
			want := slices.Contains(wantListed[s], c)
			assert.Equal(t, want, s.Allows(reply.Code(c)), "%v allows %d", s, c)
		}
		assert.Equal(t, len(wantListed[s]), s.Allowed().Len(), "%v list has duplicates or extras", s)
	}
	// Out-of-range stages behave as StageNone.
	assert.Equal(t, StageNone.Allowed(), numStages.Allowed())
	assert.Equal(t, StageNone.Rule(), Stage(200).Rule())
}

func TestJudgeWalk(t *testing.T) {
	for _, s := range allStages() {
		for _, c := range walkCodes() {
			j := Judge(s, reply.Code(c))
			var want Verdict
			switch v, ok := wantOverride[s][c]; {
			case !validCode(c):
				want = VerdictFatal
			case c == 421:
				want = VerdictClose
			case ok:
				want = v
			default:
				want = byClass[s][c/100-2]
			}
			assert.Equal(t, want, j.Verdict, "Judge(%v, %d)", s, c)
			assert.Equal(t, s, j.Stage)
			assert.Equal(t, reply.Code(c), j.Code)
			assert.Equal(t, slices.Contains(wantListed[s], c), j.Listed, "Judge(%v, %d).Listed", s, c)
			assert.NotEmpty(t, j.Rule, "Judge(%v, %d).Rule", s, c)
			_, _, bad := j.Problem()
			wantBad := !j.Listed || want == VerdictFatal || want == VerdictProtocolError
			assert.Equal(t, wantBad, bad, "Judge(%v, %d).Problem", s, c)
		}
	}
}

func TestJudgeSpecialCases(t *testing.T) {
	tests := []struct {
		name    string
		stage   Stage
		code    reply.Code
		verdict Verdict
		hints   Hint
		rule    string
		listed  bool
	}{
		{"greeting 220", StageGreeting, 220, VerdictProceed, 0, "RFC 5321 4.3.2", true},
		{"greeting 554 send QUIT", StageGreeting, 554, VerdictQuit, 0, "RFC 5321 3.1", true},
		{"greeting 521", StageGreeting, 521, VerdictQuit, 0, "RFC 5321 3.1", true},
		{"greeting 421 close", StageGreeting, 421, VerdictClose, 0, "RFC 5321 3.8", true},
		{"greeting 450 unlisted", StageGreeting, 450, VerdictQuit, 0, "RFC 5321 4.2", false},
		{"greeting 501 unlisted", StageGreeting, 501, VerdictQuit, 0, "RFC 5321 4.2", false},
		{"greeting 354", StageGreeting, 354, VerdictProtocolError, 0, "RFC 5321 4.3.2", false},
		{"EHLO 500 fallback", StageEhlo, 500, VerdictFallbackHELO, 0, "RFC 5321 3.2", true},
		{"EHLO 502 fallback", StageEhlo, 502, VerdictFallbackHELO, 0, "RFC 5321 3.2", true},
		{"EHLO 550 fallback", StageEhlo, 550, VerdictFallbackHELO, 0, "RFC 5321 3.2", true},
		{"HELO 500 fails", StageHelo, 500, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"LHLO 500 fails", StageLhlo, 500, VerdictPermFail, 0, "RFC 2033 4.1", true},
		{"MAIL 252 unlisted", StageMail, 252, VerdictProceed, 0, "RFC 5321 4.2", false},
		{"RCPT 251 forward", StageRcpt, 251, VerdictProceed, HintForwardPath, "RFC 5321 4.3.2", true},
		{"RCPT 551 forward", StageRcpt, 551, VerdictPermFail, HintForwardPath, "RFC 5321 4.3.2", true},
		{"RCPT 452 too many", StageRcpt, 452, VerdictTempFail, HintNewTransaction, "RFC 5321 4.5.3.1.10", true},
		{"RCPT 552 as temporary", StageRcpt, 552, VerdictTempFail, HintNewTransaction, "RFC 5321 4.5.3.1.10", true},
		{"MAIL 552 stays permanent", StageMail, 552, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"VRFY 251 forward", StageVrfy, 251, VerdictProceed, HintForwardPath, "RFC 5321 4.3.2", true},
		{"ETRN 251 no forward-path", StageEtrn, 251, VerdictProceed, 0, "RFC 1985 5", true},
		{"DATA 354", StageData, 354, VerdictContinue, 0, "RFC 5321 4.3.2", true},
		{"DATA 355 by first digit", StageData, 355, VerdictContinue, 0, "RFC 5321 4.2", false},
		{"DATA 250", StageData, 250, VerdictProtocolError, 0, "RFC 5321 4.3.2", false},
		{"DATA 554", StageData, 554, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"end of data 250", StageEndOfData, 250, VerdictProceed, HintServerResponsible, "RFC 5321 4.2.5", true},
		{"end of data 451", StageEndOfData, 451, VerdictTempFail, HintClientResponsible, "RFC 5321 4.2.5", true},
		{"end of data 554", StageEndOfData, 554, VerdictPermFail, HintClientResponsible, "RFC 5321 4.2.5", true},
		{"end of data 421", StageEndOfData, 421, VerdictClose, HintClientResponsible, "RFC 5321 3.8", true},
		{"end of data 251 unlisted", StageEndOfData, 251, VerdictProceed, HintServerResponsible, "RFC 5321 4.2", false},
		{"end of data 354", StageEndOfData, 354, VerdictProtocolError, 0, "RFC 5321 4.3.2", false},
		{"BDAT 250 no responsibility", StageBDAT, 250, VerdictProceed, 0, "RFC 3030 2", true},
		{"BDAT 354", StageBDAT, 354, VerdictProtocolError, 0, "RFC 5321 4.3.2", false},
		{"BDAT LAST 250", StageBDATLast, 250, VerdictProceed, HintServerResponsible, "RFC 5321 4.2.5", true},
		{"BURL LAST 552", StageBurlLast, 552, VerdictPermFail, HintClientResponsible, "RFC 5321 4.2.5", true},
		{"BURL 554", StageBurl, 554, VerdictPermFail, 0, "RFC 4468 6", true},
		{"QUIT 221", StageQuit, 221, VerdictClose, 0, "RFC 5321 4.1.1.10", true},
		{"QUIT 500 stays open", StageQuit, 500, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"STARTTLS 220", StageStartTLS, 220, VerdictStartTLS, 0, "RFC 3207 4", true},
		{"STARTTLS 454", StageStartTLS, 454, VerdictTempFail, 0, "RFC 3207 4", true},
		{"AUTH 334", StageAuth, 334, VerdictContinue, 0, "RFC 4954 6", true},
		{"AUTH 235", StageAuth, 235, VerdictAuthenticated, 0, "RFC 4954 6", true},
		{"AUTH 535", StageAuth, 535, VerdictPermFail, 0, "RFC 4954 6", true},
		{"AUTH 432", StageAuth, 432, VerdictTempFail, 0, "RFC 4954 6", true},
		{"ATRN 250 turnaround", StageAtrn, 250, VerdictProceed, HintTurnaround, "RFC 2645 5", true},
		{"ATRN 453", StageAtrn, 453, VerdictTempFail, 0, "RFC 2645 5", true},
		{"XCLIENT 220 reset", StageXclient, 220, VerdictReset, 0, "Postfix XCLIENT_README", true},
		{"XFORWARD 250", StageXforward, 250, VerdictProceed, 0, "Postfix XFORWARD_README", true},
		{"NOOP 530 unlisted", StageNoop, 530, VerdictPermFail, 0, "RFC 5321 4.2", false},
		{"RSET 530 listed", StageRset, 530, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"unknown verb 502", StageOther, 502, VerdictPermFail, 0, "RFC 5321 4.3.2", true},
		{"no command 250", StageNone, 250, VerdictProtocolError, 0, "RFC 5321 4.2", false},
		{"no command 421", StageNone, 421, VerdictClose, 0, "RFC 5321 3.8", true},
		{"malformed 199", StageMail, 199, VerdictFatal, 0, "RFC 5321 4.2", false},
		{"malformed 260", StageMail, 260, VerdictFatal, 0, "RFC 5321 4.2", false},
		{"malformed 600", StageMail, 600, VerdictFatal, 0, "RFC 5321 4.2", false},
		{"malformed 099", StageGreeting, 99, VerdictFatal, 0, "RFC 5321 4.2", false},
		{"malformed 0", StageAuth, 0, VerdictFatal, 0, "RFC 5321 4.2", false},
		{"stage out of range", Stage(250), 250, VerdictProtocolError, 0, "RFC 5321 4.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Judge(tt.stage, tt.code)
			assert.Equal(t, tt.verdict, j.Verdict, "verdict")
			assert.Equal(t, tt.hints, j.Hints, "hints %v", j.Hints)
			assert.Equal(t, tt.rule, j.Rule, "rule")
			assert.Equal(t, tt.listed, j.Listed, "listed")
		})
	}
}

func TestJudgeLost(t *testing.T) {
	tests := []struct {
		stage   Stage
		verdict Verdict
		hints   Hint
	}{
		{StageNone, VerdictClose, 0},
		{StageQuit, VerdictClose, 0},
		{StageGreeting, VerdictTempFail, 0},
		{StageEhlo, VerdictTempFail, 0},
		{StageMail, VerdictTempFail, 0},
		{StageRcpt, VerdictTempFail, 0},
		{StageData, VerdictTempFail, 0},
		{StageEndOfData, VerdictTempFail, HintClientResponsible},
		{StageBDAT, VerdictTempFail, 0},
		{StageBDATLast, VerdictTempFail, HintClientResponsible},
		{StageBurlLast, VerdictTempFail, HintClientResponsible},
		{StageAuth, VerdictTempFail, 0},
		{StageXclient, VerdictTempFail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.stage.String(), func(t *testing.T) {
			j := JudgeLost(tt.stage)
			assert.Equal(t, tt.verdict, j.Verdict)
			assert.Equal(t, tt.hints, j.Hints)
			assert.Equal(t, reply.CodeLocalError, j.Code)
			assert.Equal(t, "RFC 5321 3.8", j.Rule)
			assert.True(t, j.Listed)
			_, _, bad := j.Problem()
			assert.False(t, bad)
		})
	}
}

func TestProblem(t *testing.T) {
	tests := []struct {
		stage  Stage
		code   reply.Code
		rule   string
		detail string
	}{
		{StageMail, 252, "RFC 5321 4.3.2", "252 is not a listed reply to MAIL"},
		{StageAuth, 250, "RFC 4954 6", "250 is not a listed reply to AUTH"},
		{StageData, 250, "RFC 5321 4.3.2", "250 makes no sense as a reply to DATA"},
		{StageRcpt, 354, "RFC 5321 4.3.2", "354 makes no sense as a reply to RCPT"},
		{StageNone, 250, "RFC 5321 4.2", "250 answers no command"},
		{StageMail, 260, "RFC 5321 4.2", "260 is not a valid reply code"},
		{StageMail, 99, "RFC 5321 4.2", "Code(99) is not a valid reply code"},
		{StageXclient, 250, "Postfix XCLIENT_README", "250 is not a listed reply to XCLIENT"},
	}
	for _, tt := range tests {
		t.Run(tt.detail, func(t *testing.T) {
			rule, detail, bad := Judge(tt.stage, tt.code).Problem()
			require.True(t, bad)
			assert.Equal(t, tt.rule, rule)
			assert.Equal(t, tt.detail, detail)
		})
	}
	rule, detail, bad := Judge(StageRcpt, 251).Problem()
	assert.False(t, bad)
	assert.Empty(t, rule)
	assert.Empty(t, detail)
}

func TestStageFor(t *testing.T) {
	want := map[wire.Verb]Stage{
		wire.VerbHELO: StageHelo, wire.VerbEHLO: StageEhlo, wire.VerbLHLO: StageLhlo,
		wire.VerbMAIL: StageMail, wire.VerbRCPT: StageRcpt, wire.VerbDATA: StageData,
		wire.VerbBDAT: StageBDAT, wire.VerbRSET: StageRset, wire.VerbVRFY: StageVrfy,
		wire.VerbEXPN: StageExpn, wire.VerbHELP: StageHelp, wire.VerbNOOP: StageNoop,
		wire.VerbQUIT: StageQuit, wire.VerbSTARTTLS: StageStartTLS, wire.VerbAUTH: StageAuth,
		wire.VerbETRN: StageEtrn, wire.VerbATRN: StageAtrn, wire.VerbBURL: StageBurl,
		wire.VerbXCLIENT: StageXclient, wire.VerbXFORWARD: StageXforward,
		wire.VerbSEND: StageOther, wire.VerbSOML: StageOther, wire.VerbSAML: StageOther,
		wire.VerbTURN: StageOther,
	}
	for _, v := range wire.Verbs() {
		s, ok := want[v]
		require.True(t, ok, "test misses verb %v", v)
		assert.Equal(t, s, StageFor(v), "StageFor(%v)", v)
	}
	assert.Equal(t, StageOther, StageFor(wire.VerbUnknown))
	assert.Equal(t, StageOther, StageFor(wire.Verb(255)))
}

func TestStageLast(t *testing.T) {
	for _, s := range allStages() {
		switch s {
		case StageBDAT:
			assert.Equal(t, StageBDATLast, s.Last())
		case StageBurl:
			assert.Equal(t, StageBurlLast, s.Last())
		default:
			assert.Equal(t, s, s.Last())
		}
	}
}

func TestStageString(t *testing.T) {
	want := []string{"none", "greeting", "EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA",
		"end of data", "BDAT", "BDAT LAST", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
		"STARTTLS", "AUTH", "ETRN", "ATRN", "BURL", "BURL LAST", "XCLIENT", "XFORWARD",
		"other command"}
	require.Len(t, want, int(numStages))
	for i, w := range want {
		assert.Equal(t, w, Stage(i).String())
	}
	assert.Equal(t, "Stage(99)", Stage(99).String())
}

func TestVerdictString(t *testing.T) {
	want := []string{"none", "proceed", "continue", "temporary failure", "permanent failure",
		"fall back to HELO", "close", "quit", "start TLS", "authenticated", "reset",
		"protocol error", "fatal"}
	require.Len(t, want, int(numVerdicts))
	for i, w := range want {
		assert.Equal(t, w, Verdict(i).String())
	}
	assert.Equal(t, "Verdict(13)", Verdict(13).String())
}

func TestHint(t *testing.T) {
	tests := []struct {
		h    Hint
		want string
	}{
		{0, "none"},
		{HintForwardPath, "forward-path"},
		{HintNewTransaction, "new transaction"},
		{HintServerResponsible, "server responsible"},
		{HintClientResponsible, "client responsible"},
		{HintTurnaround, "turnaround"},
		{HintForwardPath | HintNewTransaction, "forward-path|new transaction"},
		{HintTurnaround | 1<<7, "turnaround|Hint(128)"},
		{1 << 6, "Hint(64)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.h.String())
	}
	h := HintForwardPath | HintNewTransaction
	assert.True(t, h.Has(HintForwardPath))
	assert.True(t, h.Has(HintForwardPath|HintNewTransaction))
	assert.False(t, h.Has(HintForwardPath|HintTurnaround))
	assert.True(t, h.Has(0))
}

func TestJudgeAllocs(t *testing.T) {
	stages := allStages()
	var sink Judgment
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range stages {
			sink = Judge(s, 452)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, StageOther, sink.Stage)
}
