package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// ErrUnreachable is returned when the target cannot be reached at all; no
// case runs then.
var ErrUnreachable = errors.New("conformance: the target cannot be reached")

// RunServer runs the server-suite cases against the server at cfg.Addr,
// each on a connection of its own, and reports every outcome in the
// order of cases. It first opens one connection to learn what the server
// offers (EHLO, and EHLO again after STARTTLS), so that cases whose Needs
// are unmet are skipped. An error means no case could run.
func RunServer(ctx context.Context, cfg Config, cases []*Case) (*Report, error) {
	cfg = cfg.withDefaults()
	rep := &Report{Suite: SuiteServer, Target: cfg.Addr, Started: time.Now()}
	p, err := probe(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	rep.Capabilities, rep.TLSCapabilities = p.clear, p.tls
	rep.Results = runAll(ctx, cfg.Parallel, cases, func(c *Case) Result {
		return runServerCase(ctx, &cfg, p, c)
	})
	rep.Duration = time.Since(rep.Started)
	return rep, nil
}

// runAll runs each case with run, parallel at a time, and returns the
// results in the order of cases. Cases not started when ctx ends are
// skipped, with the cause.
func runAll(ctx context.Context, parallel int, cases []*Case, run func(*Case) Result) []Result {
	results := make([]Result, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, max(len(cases), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = run(cases[i])
			}
		}()
	}
	for i := range cases {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	for i, r := range results {
		if r.Case == nil {
			results[i] = Result{Case: cases[i], Status: Skipped, Reason: "not run: " + context.Cause(ctx).Error()}
		}
	}
	return results
}

// probed is what the probe connection learned.
type probed struct {
	clear, tls []string // EHLO keywords, upper case
	tlsOK      bool     // STARTTLS offered and the handshake worked (or implicit TLS)
}

func (p *probed) has(keyword string, underTLS bool) bool {
	list := p.clear
	if underTLS {
		list = p.tls
	}
	return slices.Contains(list, strings.ToUpper(keyword))
}

// probe connects once: greeting, EHLO (LHLO), and STARTTLS with a second
// EHLO when offered, then QUIT.
func probe(ctx context.Context, cfg *Config) (*probed, error) {
	conn, err := dial(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer conn.Close()
	s := newSession(cfg, state.SideClient, conn, time.Now().Add(cfg.Timeout))
	s.tls = cfg.ImplicitTLS
	p := &probed{tlsOK: cfg.ImplicitTLS}
	if err := Greeting().Run(s); err != nil {
		return p, nil // the cases will find out what is wrong
	}
	if err := Hello().Run(s); err != nil {
		return p, nil
	}
	p.clear = keywords(&s.caps)
	if cfg.ImplicitTLS {
		p.tls = p.clear
	} else if s.caps.Has(wire.ExtSTARTTLS) && StartTLS().Run(s) == nil {
		// TLS works once the handshake does; what the server does after
		// it is for the cases to judge.
		p.tlsOK = true
		if Hello().Run(s) == nil {
			p.tls = keywords(&s.caps)
		}
	}
	_ = s.Send([]byte("QUIT\r\n"))
	_, _ = s.ReadReply()
	return p, nil
}

func keywords(c *wire.Capabilities) []string {
	var out []string
	for _, k := range c.Keywords() {
		out = append(out, strings.ToUpper(k))
	}
	return out
}

// dial opens a connection to the target, with TLS from the start under
// ImplicitTLS.
func dial(ctx context.Context, cfg *Config) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	conn, err := cfg.Dial(dctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	if !cfg.ImplicitTLS {
		return conn, nil
	}
	tc := tls.Client(conn, cfg.TLSConfig)
	if err := tc.HandshakeContext(dctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("implicit TLS: %w", err)
	}
	return tc, nil
}

// unmet says why the case cannot run against this target, or "".
func unmet(cfg *Config, p *probed, c *Case) string {
	n := c.Needs
	switch {
	case n.Protocol == SMTPOnly && cfg.LMTP:
		return "an SMTP case; the target speaks LMTP"
	case n.Protocol == LMTPOnly && !cfg.LMTP:
		return "an LMTP case; the target speaks SMTP"
	case n.TLS && !p.tlsOK:
		return "needs STARTTLS, which the server does not offer (or the handshake failed)"
	case n.Auth && cfg.Username == "":
		return "needs credentials (--user, --password-env)"
	}
	for _, k := range n.Ext {
		if !p.has(k, n.TLS || cfg.ImplicitTLS) {
			return fmt.Sprintf("the server does not offer %s", strings.ToUpper(k))
		}
	}
	if n.Auth && !p.has("AUTH", false) && !p.has("AUTH", true) {
		return "the server does not offer AUTH, in the clear or after STARTTLS"
	}
	return ""
}

// runServerCase runs one case on a connection of its own.
func runServerCase(ctx context.Context, cfg *Config, p *probed, c *Case) Result {
	if why := unmet(cfg, p, c); why != "" {
		return Result{Case: c, Status: Skipped, Reason: why}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = cfg.Timeout
	}
	start := time.Now()
	conn, err := dial(ctx, cfg)
	if err != nil {
		return Result{Case: c, Status: Fail, Reason: "connecting: " + err.Error(), Duration: time.Since(start)}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	s := newSession(cfg, state.SideClient, conn, start.Add(timeout))
	s.tls = cfg.ImplicitTLS
	s.rec.Meta("case", c.ID())
	if cfg.LMTP {
		s.rec.Meta("protocol", "lmtp")
	}
	if cfg.ImplicitTLS {
		s.rec.Meta("tls", "implicit")
	}
	res := runSteps(s, c)
	res.Duration = time.Since(start)
	return res
}

// runSteps runs the case's steps until one fails or skips.
func runSteps(s *Session, c *Case) Result {
	for i, st := range c.Steps {
		if err := st.Run(s); err != nil {
			res := resultFrom(c, err, i+1, st.String())
			res.Transcript = s.Transcript()
			return res
		}
	}
	return Result{Case: c, Status: Pass, Transcript: s.Transcript()}
}
