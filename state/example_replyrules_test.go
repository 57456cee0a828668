package state_test

import (
	"fmt"
	"time"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// ExampleJudge shows how a client acts on replies and how a Checker finds the
// ones that break a rule.
func ExampleJudge() {
	replies := []struct {
		stage state.Stage
		code  reply.Code
	}{
		{state.StageGreeting, 554},
		{state.StageFor(wire.VerbEHLO), 502},
		{state.StageRcpt, 452},
		{state.StageData, 354},
		{state.StageEndOfData, 250},
		{state.StageMail, 252},
		{state.StageRcpt, 260},
	}
	for _, r := range replies {
		j := state.Judge(r.stage, r.code)
		fmt.Printf("%v %v: %v (%s)", r.stage, r.code, j.Verdict, j.Rule)
		if j.Hints != 0 {
			fmt.Printf(" [%v]", j.Hints)
		}
		if rule, detail, bad := j.Problem(); bad {
			fmt.Printf(" violation %s: %s", rule, detail)
		}
		fmt.Println()
	}
	// Output:
	// greeting 554: quit (RFC 5321 3.1)
	// EHLO 502: fall back to HELO (RFC 5321 3.2)
	// RCPT 452: temporary failure (RFC 5321 4.5.3.1.10) [new transaction]
	// DATA 354: continue (RFC 5321 4.3.2)
	// end of data 250: proceed (RFC 5321 4.2.5) [server responsible]
	// MAIL 252: proceed (RFC 5321 4.2) violation RFC 5321 4.3.2: 252 is not a listed reply to MAIL
	// RCPT 260: fatal (RFC 5321 4.2) violation RFC 5321 4.2: 260 is not a valid reply code
}

// ExampleStage_Allowed lists the replies RFC 5321 section 4.3.2 allows for
// RSET, with the codes any command may return.
func ExampleStage_Allowed() {
	fmt.Println(state.StageRset.Allowed())
	fmt.Println(state.StageRset.Allows(550))
	// Output:
	// 250 421 500 501 530
	// false
}

// ExampleTimeouts shows the client's wait per command and the server's body
// deadline with a minimum data rate: the deadline is the earlier of the next
// block limit and the rate floor.
func ExampleTimeouts() {
	tm := state.Timeouts{MinDataRate: 1000} // other fields: RFC 5321 defaults
	fmt.Println("MAIL:", tm.For(state.StageMail))
	fmt.Println("DATA:", tm.For(state.StageData))
	fmt.Println("end of data:", tm.For(state.StageEndOfData))

	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	// Keeping up: 100 kB after 10 s, the block limit applies.
	fmt.Println(tm.DataDeadline(start, 100_000, start.Add(10*time.Second)).Sub(start))
	// Trickling: 20 kB after 2 min; the floor is 3 min of grace + 20 s.
	fmt.Println(tm.DataDeadline(start, 20_000, start.Add(2*time.Minute)).Sub(start))
	// Output:
	// MAIL: 5m0s
	// DATA: 2m0s
	// end of data: 10m0s
	// 3m10s
	// 3m20s
}
