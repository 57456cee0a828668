//go:build reliability

package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fault is what the Session does wrong on a planned attempt.
type fault int

const (
	faultNone           fault = iota
	faultMailErr              // Mail returns a plain error: 451
	faultRcptErr              // Rcpt returns a plain error: 451
	faultDataErr              // Data returns a plain error before storing: 451
	faultDataPanic            // Data panics before reading: 421
	faultDataPanicAfter       // Data reads the whole body, then panics before storing: 421
	faultMailPanic            // Mail panics: 421
	faultRcptPanic            // Rcpt panics: 421
	numFaults
)

var faultNames = [numFaults]string{"none", "Mail error", "Rcpt error", "Data error", "Data panic",
	"Data panic after body", "Mail panic", "Rcpt panic"}

// want is the reply code a fault must give: 451 for a plain error (RFC
// 5321 section 4.2.3, the driver's fallback), 421 after a panic (the
// driver's replyFault; section 3.8: the connection is closed).
func (f fault) want() int {
	switch f {
	case faultMailErr, faultRcptErr, faultDataErr:
		return 451
	case faultNone:
		return 250
	}
	return 421
}

func (f fault) panics() bool { return f.want() == 421 }

// plan says which fault message i meets on its attempt n (from 0): its
// kind on the first faults attempts (long form: every other round of
// kinds fails twice), none afterwards.
type plan struct {
	faults int // attempts that fail: 1, or up to 2
}

func (p plan) at(i, n int) fault {
	k := fault(i % int(numFaults))
	f := p.faults
	if f > 1 && i/int(numFaults)%2 == 0 {
		f = 1
	}
	if n < f {
		return k
	}
	return faultNone
}

// faultHandler stores into a Maildir and injects the plan's faults. It
// counts attempts by MAIL (the message index is in the sender).
type faultHandler struct {
	md   server.Maildir
	plan plan

	mu       sync.Mutex
	attempts map[int]int
	injected [numFaults]int
}

func (h *faultHandler) Connect(context.Context, *server.ConnInfo) (server.Session, error) {
	return &faultSession{h: h}, nil
}

// faultSession is one connection's Session.
type faultSession struct {
	h *faultHandler
	f fault
}

var senderRE = regexp.MustCompile(`^m(\d+)@faults\.example$`)

// errInjected is the plain error the faults return.
var errInjected = errors.New("faults: injected handler error")

func (s *faultSession) inject(at fault) {
	if s.f != at {
		return
	}
	s.h.mu.Lock()
	s.h.injected[at]++
	s.h.mu.Unlock()
	if at.panics() {
		panic(fmt.Sprintf("faults: injected %s", faultNames[at]))
	}
}

func (s *faultSession) Mail(from string, _ *wire.MailParams) error {
	m := senderRE.FindStringSubmatch(from)
	if m == nil {
		return server.Reject(550, reply.E(5, 1, 8), "unknown sender")
	}
	i, _ := strconv.Atoi(m[1])
	s.h.mu.Lock()
	n := s.h.attempts[i]
	s.h.attempts[i]++
	s.h.mu.Unlock()
	s.f = s.h.plan.at(i, n)
	s.inject(faultMailPanic)
	if s.f == faultMailErr {
		s.inject(faultMailErr)
		return errInjected
	}
	return nil
}

func (s *faultSession) Rcpt(string, *wire.RcptParams) error {
	s.inject(faultRcptPanic)
	if s.f == faultRcptErr {
		s.inject(faultRcptErr)
		return errInjected
	}
	return nil
}

func (s *faultSession) Data(r io.Reader) error {
	switch s.f {
	case faultDataErr:
		s.inject(faultDataErr)
		return errInjected
	case faultDataPanic:
		s.inject(faultDataPanic)
	case faultDataPanicAfter:
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		s.inject(faultDataPanicAfter)
	}
	_, err := s.h.md.Deliver(r)
	return err
}

func (s *faultSession) Reset()        { s.f = faultNone }
func (s *faultSession) Logout() error { return nil }

// panicCount counts the server's recovered panics (server.Metrics).
type panicCount struct {
	mu sync.Mutex
	n  int64
}

func (p *panicCount) Count(c server.Counter, n int64) {
	if c == server.CounterPanics {
		p.mu.Lock()
		p.n += n
		p.mu.Unlock()
	}
}

// replyCode is the code that failed a send: the first 4yz among the
// replies (a refused RCPT makes the machine refuse DATA with a 5yz too),
// else the first 5yz, else 0 (the connection was lost without a reply).
func replyCode(err error) int {
	var codes []int
	var se *client.SendError
	if errors.As(err, &se) {
		if se.Reply != nil {
			codes = append(codes, int(se.Reply.Code))
		}
		for _, f := range se.Failed {
			codes = append(codes, int(f.Reply.Code))
		}
	}
	var re *reply.Error
	if errors.As(err, &re) {
		codes = append(codes, int(re.Code))
	}
	best := 0
	for _, c := range codes {
		if c >= 400 && (best == 0 || c/100 < best/100 || c/100 == best/100 && c < best) {
			best = c
		}
	}
	return best
}

// TestHandlerFaults runs server.Server in process with a Session that
// fails by plan (plain errors and panics in Mail, Rcpt and Data, before
// and after reading the body) and a client that tries a refused message
// again on a new connection. Every fault must be answered 451 or 421 (RFC
// 5321 sections 4.2.3 and 3.8), the server must go on serving the other
// connections, and at the end every message is in the Maildir exactly
// once, byte-exact, with nothing in tmp/.
func TestHandlerFaults(t *testing.T) {
	sc := sizes(t)
	p := plan{faults: 1}
	if sc.name == "long" {
		p.faults = 2
	}
	md := server.Maildir{Path: filepath.Join(t.TempDir(), "Maildir")}
	require.NoError(t, md.Init())
	h := &faultHandler{md: md, plan: p, attempts: map[int]int{}}
	var logs servetest.Buffer
	metrics := &panicCount{}
	srv := &server.Server{Handler: h, Hostname: "mx.faults.example", Metrics: metrics,
		ErrorLog: slog.New(slog.NewTextHandler(&logs, nil))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
			srv.Close()
		}
		<-served
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	addr := ln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dial := func(i int) (*client.Client, error) {
		opts := []client.Option{client.WithHostname("faults.example"), client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}
		if i%3 == 1 {
			opts = append(opts, client.WithoutBDAT()) // DATA; BDAT otherwise (serve offers CHUNKING)
		}
		return client.Dial(ctx, addr, opts...)
	}
	// A connection opened before the faults and used after them: the
	// panics of the others did not touch it.
	bystander, err := dial(0)
	require.NoError(t, err)

	const maxAttempts = 5
	type outcome struct {
		codes []int // the code of every attempt
	}
	outcomes := make([]outcome, sc.messages)
	messages := make([]string, sc.messages)
	for i := range messages {
		messages[i] = testMessage("msg-" + strconv.Itoa(i))
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range work {
				for n := 0; n < maxAttempts && ctx.Err() == nil; n++ {
					code := sendOnce(ctx, dial, i, messages[i])
					outcomes[i].codes = append(outcomes[i].codes, code)
					if code == 250 || code >= 500 {
						break
					}
				}
			}
		})
	}
	for i := range messages {
		work <- i
	}
	close(work)
	wg.Wait()

	// The bystander sends last.
	_, err = bystander.Send(ctx, client.Envelope{From: "m" + strconv.Itoa(sc.messages) + "@faults.example",
		To: []string{"rcpt@faults.example"}}, strings.NewReader(testMessage("bystander")))
	require.NoError(t, err, "the connection opened before the faults")
	require.NoError(t, bystander.Quit(ctx))

	// Every fault got its reply; every message got 250 in the end.
	var gotByFault [numFaults]map[int]int
	for i, o := range outcomes {
		require.NotEmpty(t, o.codes, "message %d never sent", i)
		for n, code := range o.codes {
			f := p.at(i, n)
			if gotByFault[f] == nil {
				gotByFault[f] = map[int]int{}
			}
			gotByFault[f][code]++
			assert.Equal(t, f.want(), code, "message %d attempt %d (%s)", i, n+1, faultNames[f])
		}
		assert.Equal(t, 250, o.codes[len(o.codes)-1], "message %d: last of %v", i, o.codes)
	}
	// Exactly once each, byte-exact.
	stored := map[string]int{}
	for _, f := range readNew(t, md.Path) {
		stored[f]++
	}
	for i, m := range messages {
		assert.Equal(t, 1, stored[m], "message %d stored %d times", i, stored[m])
		delete(stored, m)
	}
	bys := testMessage("bystander")
	assert.Equal(t, 1, stored[bys], "bystander's message")
	delete(stored, bys)
	assert.Empty(t, stored, "stored messages that were not sent")
	assert.Empty(t, listDir(t, filepath.Join(md.Path, "tmp")), "tmp/")

	h.mu.Lock()
	injected := h.injected
	h.mu.Unlock()
	var panics, errs, total int
	var parts []string
	for f := faultMailErr; f < numFaults; f++ {
		if f.panics() {
			panics += injected[f]
		} else {
			errs += injected[f]
		}
		total += injected[f]
		parts = append(parts, fmt.Sprintf("%s %d (%v)", faultNames[f], injected[f], gotByFault[f]))
	}
	metrics.mu.Lock()
	recovered := metrics.n
	metrics.mu.Unlock()
	assert.Equal(t, int64(panics), recovered, "panics the server recovered")
	require.Positive(t, panics)
	t.Logf("faults and the codes they got: %s", strings.Join(parts, "; "))
	if !t.Failed() {
		t.Logf("RESULT handler faults: %d messages, %d faults injected (%d plain errors -> 451, %d panics -> 421), "+
			"each message retried on a new connection and stored exactly once, 0 in tmp/, a bystander connection unaffected",
			sc.messages, total, errs, panics)
	}
	if os.Getenv("SMTPKIT_FAULTS_LOG") != "" {
		t.Log(logs.String())
	}
}

// sendOnce sends message i on a new connection and returns the code that
// decided: 250, a failure's code, or 0 for a lost connection.
func sendOnce(ctx context.Context, dial func(int) (*client.Client, error), i int, msg string) int {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	c, err := dial(i)
	if err != nil {
		return replyCode(err)
	}
	defer c.Close()
	_, err = c.Send(ctx, client.Envelope{From: "m" + strconv.Itoa(i) + "@faults.example", To: []string{"rcpt@faults.example"}},
		strings.NewReader(msg))
	if err != nil {
		return replyCode(err)
	}
	_ = c.Quit(ctx)
	return 250
}
