package conformance

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/state"
)

// Failure is a step's finding that the target did not do what the case
// requires: what was wanted, what came, and the rule when the failure is
// of a rule other than the case's own (a malformed reply line, say).
type Failure struct {
	Want, Got string
	Rule      string
	timeout   bool
	closed    bool
}

func (f *Failure) Error() string {
	var b strings.Builder
	if f.Want != "" {
		b.WriteString("want ")
		b.WriteString(f.Want)
		b.WriteString(", got ")
	}
	b.WriteString(f.Got)
	if f.Rule != "" {
		b.WriteString(" (")
		b.WriteString(f.Rule)
		b.WriteString(")")
	}
	return b.String()
}

// Timeout reports whether the failure is the case's time bound running
// out.
func (f *Failure) Timeout() bool { return f.timeout }

// Closed reports whether the failure is the peer closing or resetting the
// connection, which some cases accept.
func (f *Failure) Closed() bool { return f.closed }

// PeerClosed reports whether err is a *Failure for the peer closing or
// resetting the connection.
func PeerClosed(err error) bool {
	var f *Failure
	return errors.As(err, &f) && f.closed
}

// skipError is a step's decision that the case does not apply to the
// target (an extension not offered, a mechanism missing).
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

// Skip returns the error a step returns when the case does not apply to
// the target; the case is reported as skipped with the reason.
func Skip(format string, a ...any) error { return &skipError{fmt.Sprintf(format, a...)} }

// Status is a case's outcome.
type Status uint8

const (
	// StatusNone is the zero Status.
	StatusNone Status = iota
	// Pass: every step did what the case requires.
	Pass
	// Fail: a step found the target breaking the rule.
	Fail
	// Skipped: the case does not apply to the target or configuration.
	Skipped
)

var statusNames = [...]string{StatusNone: "", Pass: "pass", Fail: "fail", Skipped: "skip"}

// String returns "pass", "fail" or "skip".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", s)
}

// Result is the outcome of one case.
type Result struct {
	Case   *Case
	Status Status
	// Reason says why the case failed or was skipped.
	Reason string
	// Step is the 1-based index of the step that failed or skipped (0
	// when none did, or the case did not start).
	Step int
	// StepText describes that step.
	StepText string
	// Transcript is the session as the tester saw it, in the C:/S: form of
	// RFC 5321 appendix D (state.ParseTranscript reads it back).
	Transcript *state.Transcript
	// Duration is how long the case took.
	Duration time.Duration
}

// Report is the outcome of a run of a suite against one target.
type Report struct {
	Suite Suite
	// Target names what was tested: an address or a client command.
	Target string
	// Capabilities are the EHLO keywords the target offered in the clear,
	// and after STARTTLS (server suite).
	Capabilities, TLSCapabilities []string
	Started                       time.Time
	Duration                      time.Duration
	Results                       []Result
}

// Counts returns how many cases passed, failed and were skipped.
func (r *Report) Counts() (pass, fail, skip int) {
	for _, res := range r.Results {
		switch res.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		case Skipped:
			skip++
		}
	}
	return pass, fail, skip
}

// Failed reports whether a case of level l or stronger failed: Failed(Must)
// is what decides a command's exit status.
func (r *Report) Failed(l Level) bool {
	for _, res := range r.Results {
		if res.Status == Fail && res.Case.Level <= l {
			return true
		}
	}
	return false
}

// resultFrom classifies the error a case ended with.
func resultFrom(c *Case, err error, step int, stepText string) Result {
	res := Result{Case: c, Status: Pass}
	if err == nil {
		return res
	}
	res.Step, res.StepText = step, stepText
	var skip *skipError
	if errors.As(err, &skip) {
		res.Status, res.Reason = Skipped, skip.reason
		return res
	}
	res.Status, res.Reason = Fail, err.Error()
	return res
}
