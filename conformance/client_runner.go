package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// The client suite: a scripted server runs each case's steps against the
// client under test, which is asked to send the case's ClientJob to it.
// Files: client_runner.go (RunClient, the client-under-test abstraction,
// the per-case listener, the outcome), client_command.go (CommandClient:
// any program through a command template), client_smtpkit.go (smtpkit's
// own client), client_steps*.go (the server-side steps) and
// client_cases*.go (the cases).

// Defaults of the client suite.
const (
	// DefaultClientUser and DefaultClientPassword are the credentials the
	// client under test is given, and the scripted server expects, when
	// Config.Username is empty.
	DefaultClientUser     = "conformance"
	DefaultClientPassword = "conformance-secret"
	// ScriptedServerName is the name the scripted server gives in its greeting and
	// EHLO reply.
	ScriptedServerName = "mx.conformance.test"
)

// Outcome is what the client under test reports after a case: that it
// delivered the message, that it did not, or (for cases where both are
// right) either.
type Outcome uint8

const (
	// OutcomeNone is the zero Outcome; every client case declares one.
	OutcomeNone Outcome = iota
	// OutcomeDelivered: the client says the message was delivered (for a
	// program, exit status 0).
	OutcomeDelivered
	// OutcomeFailed: the client says the message was not delivered (to
	// every recipient): an error, a non-zero exit status.
	OutcomeFailed
	// OutcomeAny: either report is right; only the steps decide.
	OutcomeAny
)

var clOutcomeNames = [...]string{OutcomeNone: "", OutcomeDelivered: "delivered", OutcomeFailed: "not delivered", OutcomeAny: "delivered or not"}

// String describes the outcome.
func (o Outcome) String() string {
	if int(o) < len(clOutcomeNames) {
		return clOutcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// clOutcomeStep is the Reports marker: it does nothing on the connection;
// RunClient finds it among the steps and judges the client's report
// against it once the client has finished.
type clOutcomeStep struct{ want Outcome }

func (o clOutcomeStep) Run(*Session) error { return nil }
func (o clOutcomeStep) String() string     { return "the client reports: " + o.want.String() }

// Reports declares the outcome the client under test must report for the
// case. It is the last step of every client case.
func Reports(o Outcome) Step { return clOutcomeStep{o} }

// ExpectedOutcome returns the outcome a client case declares with Reports
// (OutcomeNone when it declares none).
func ExpectedOutcome(c *Case) Outcome {
	for _, st := range c.Steps {
		if o, ok := st.(clOutcomeStep); ok {
			return o.want
		}
	}
	return OutcomeNone
}

// ClientAttempt is what the client under test is asked to do in one case:
// connect to Addr and send Job (placeholders already replaced).
type ClientAttempt struct {
	// Addr is the scripted server's 127.0.0.1:port.
	Addr string
	Job  ClientJob
	// Helo is the name the client should give in EHLO.
	Helo string
	// Username and Password are the credentials for a job with Auth.
	Username, Password string
	// CAFile is a PEM file holding the root that signed the scripted
	// server's certificate (empty when Config.TLSConfig supplied the
	// server's certificate), and CAPEM its content.
	CAFile string
	CAPEM  []byte
	// Dir is a directory of the attempt's own for temporary files; it is
	// removed after the case.
	Dir string
}

// ClientUnderTest is a mail client the client suite tests.
type ClientUnderTest interface {
	// Name describes the client in reports.
	Name() string
	// Send connects to a.Addr and sends a.Job, and reports whether the
	// client says it delivered the message: nil for delivered, an error
	// for not delivered. Output is what the client printed, for the
	// report. A client that cannot be asked to do what the job needs (a
	// command without a template for TLS jobs) returns Skip's error
	// without connecting. Send must return soon after ctx ends.
	Send(ctx context.Context, a *ClientAttempt) (output string, err error)
}

// clStop ends a case's steps early and successfully: the client did what
// the case allows and the session is over (it closed the connection, say).
// The outcome is judged as usual.
type clStop struct{ why string }

func (e *clStop) Error() string { return "the session ended: " + e.why }

// clEnv is what every case of one RunClient shares.
type clEnv struct {
	dir    string // temporary directory of the run
	caFile string
	caPEM  []byte
}

// RunClient runs the client-suite cases against cut. For each case it
// listens on 127.0.0.1, starts the client on the case's job, accepts
// exactly one connection, runs the steps as the server, closes, waits for
// the client to finish and judges: a case passes when every step held and
// the client reported the outcome the case declares.
//
// In the client suite Config.TLSConfig is the scripted server's TLS
// configuration and must carry a certificate; nil means a certificate for
// 127.0.0.1 and localhost from a tlsmode.TestCA made for the run, whose
// root the client is given (ClientAttempt.CAFile). Config.Username and
// Password default to DefaultClientUser and DefaultClientPassword; Addr,
// ImplicitTLS, LMTP and Dial are not used. An error means no case could
// run.
func RunClient(ctx context.Context, cfg Config, cut ClientUnderTest, cases []*Case) (*Report, error) {
	cfg = cfg.withDefaults()
	if cfg.Username == "" {
		cfg.Username, cfg.Password = DefaultClientUser, DefaultClientPassword
	}
	env, err := clNewEnv(&cfg)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(env.dir)
	rep := &Report{Suite: SuiteClient, Target: cut.Name(), Started: time.Now()}
	rep.Results = runAll(ctx, cfg.Parallel, cases, func(c *Case) Result {
		return clRunCase(ctx, &cfg, env, cut, c)
	})
	rep.Duration = time.Since(rep.Started)
	return rep, nil
}

// clNewEnv makes the run's temporary directory and, unless the caller
// gave a server certificate, a test CA and its certificate for the
// scripted server; cfg.TLSConfig becomes the server's configuration.
func clNewEnv(cfg *Config) (*clEnv, error) {
	dir, err := os.MkdirTemp("", "smtpkit-conformance-")
	if err != nil {
		return nil, fmt.Errorf("conformance: client suite: %w", err)
	}
	env := &clEnv{dir: dir}
	if cfg.TLSConfig != nil && (len(cfg.TLSConfig.Certificates) > 0 || cfg.TLSConfig.GetCertificate != nil) {
		return env, nil
	}
	ca, err := tlsmode.NewTestCA()
	if err == nil {
		cfg.TLSConfig, err = ca.ServerConfig("127.0.0.1", "localhost")
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("conformance: client suite: test CA: %w", err)
	}
	env.caPEM = ca.CertPEM()
	env.caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(env.caFile, env.caPEM, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("conformance: client suite: %w", err)
	}
	return env, nil
}

// clDone is what the client under test came back with.
type clDone struct {
	output string
	err    error
}

// clGrace is how long RunClient waits for a client to return after
// its context ended.
const clGrace = 3 * time.Second

// clRunCase runs one case on a listener of its own.
func clRunCase(ctx context.Context, cfg *Config, env *clEnv, cut ClientUnderTest, c *Case) Result {
	start := time.Now()
	res := func(st Status, reason string) Result {
		return Result{Case: c, Status: st, Reason: reason, Duration: time.Since(start)}
	}
	want := ExpectedOutcome(c)
	if c.Client == nil || want == OutcomeNone {
		return res(Fail, "the case has no client job or declares no outcome (Reports)")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = cfg.Timeout
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res(Fail, "listening: "+err.Error())
	}
	defer ln.Close()
	dir, err := os.MkdirTemp(env.dir, "case-")
	if err != nil {
		return res(Fail, err.Error())
	}
	defer os.RemoveAll(dir)
	a := &ClientAttempt{
		Addr: ln.Addr().String(), Job: clExpandJob(cfg, *c.Client), Helo: cfg.Helo,
		Username: cfg.Username, Password: cfg.Password, CAFile: env.caFile, CAPEM: env.caPEM, Dir: dir,
	}
	cctx, cancel := context.WithTimeout(ctx, timeout+clGrace)
	defer cancel()
	done := make(chan clDone, 1)
	go func() {
		out, err := cut.Send(cctx, a)
		done <- clDone{out, err}
	}()
	conn, err := clAcceptOne(cctx, ln, done, timeout)
	ln.Close()
	if err != nil {
		cancel()
		d, _ := clWait(done, clGrace)
		var skip *skipError
		if errors.As(d.err, &skip) {
			return res(Skipped, skip.reason)
		}
		r := res(Fail, err.Error()+clSays(d))
		if d.output != "" {
			r.Reason += "; output: " + clTail(d.output, 400)
		}
		return r
	}
	s := newSession(cfg, state.SideServer, conn, start.Add(timeout))
	s.rec.Meta("case", c.ID())
	s.rec.Meta("client", cut.Name())
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	r := clRunSteps(s, c)
	stop()
	conn.Close()
	d, finished := clWait(done, time.Until(start.Add(timeout)))
	if !finished {
		cancel()
		d, finished = clWait(done, clGrace)
	}
	clOutputComments(s, d.output)
	if d.err != nil {
		s.Comment("the client reported: %v", d.err)
	} else if finished {
		s.Comment("the client reported delivery")
	}
	r.Transcript = s.Transcript()
	r.Duration = time.Since(start)
	switch {
	case r.Status != Pass:
		r.Reason += clSays(d)
		return r
	case !finished:
		r.Status, r.Reason = Fail, fmt.Sprintf("the client did not finish within the case's time bound (%v) after the session", timeout)
		return r
	}
	got := OutcomeDelivered
	if d.err != nil {
		got = OutcomeFailed
	}
	if want != OutcomeAny && got != want {
		r.Status = Fail
		r.Step, r.StepText = len(c.Steps), Reports(want).String()
		r.Reason = fmt.Sprintf("want the client to report %s, got %s%s", want, got, clSays(d))
	}
	return r
}

// clAcceptOne accepts the client's connection, bounded by timeout. The
// client returning first (it gave up, or skipped) is an error.
func clAcceptOne(ctx context.Context, ln net.Listener, done chan clDone, timeout time.Duration) (net.Conn, error) {
	type accepted struct {
		conn net.Conn
		err  error
	}
	ch := make(chan accepted, 1)
	go func() {
		conn, err := ln.Accept()
		ch <- accepted{conn, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case a := <-ch:
		if a.err != nil {
			return nil, fmt.Errorf("accepting the client's connection: %v", a.err)
		}
		return a.conn, nil
	case d := <-done:
		done <- d // keep it for the caller
		return nil, errors.New("the client finished without connecting")
	case <-t.C:
		return nil, fmt.Errorf("the client did not connect within %v", timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("the client did not connect: %v", context.Cause(ctx))
	}
}

// clWait waits up to d for the client to return.
func clWait(done chan clDone, d time.Duration) (clDone, bool) {
	if d <= 0 {
		d = time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-done:
		return r, true
	case <-t.C:
		return clDone{}, false
	}
}

// clRunSteps runs the steps as the scripted server; a stop error
// ends them successfully.
func clRunSteps(s *Session, c *Case) Result {
	for i, st := range c.Steps {
		err := st.Run(s)
		var stop *clStop
		if errors.As(err, &stop) {
			s.Comment("%s", stop.Error())
			break
		}
		if err != nil {
			return resultFrom(c, err, i+1, st.String())
		}
	}
	return Result{Case: c, Status: Pass}
}

// clExpandJob replaces the placeholders in a job.
func clExpandJob(cfg *Config, j ClientJob) ClientJob {
	j.From = cfg.expand(j.From)
	to := make([]string, len(j.To))
	for i, t := range j.To {
		to[i] = cfg.expand(t)
	}
	j.To = to
	j.Message = cfg.expand(j.Message)
	return j
}

// clSays adds what the client said to a failure's reason.
func clSays(d clDone) string {
	var b strings.Builder
	if d.err != nil {
		fmt.Fprintf(&b, "; the client reported: %s", clTail(d.err.Error(), 400))
	}
	return b.String()
}

// clTail returns the last n octets of s, marked when cut.
func clTail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// clOutputComments adds the client's output to the transcript as comment
// lines, at most the last 40.
func clOutputComments(s *Session, out string) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return
	}
	if len(lines) > 40 {
		s.Comment("client output: (%d lines before)", len(lines)-40)
		lines = lines[len(lines)-40:]
	}
	for _, l := range lines {
		s.Comment("client output: %s", strings.TrimRight(l, "\r"))
	}
}

// clServerTLS returns the scripted server's TLS configuration.
func clServerTLS(s *Session) *tls.Config { return s.cfg.TLSConfig }
