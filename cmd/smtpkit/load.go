package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/client"
)

// Defaults of smtpkit load.
const (
	loadDefaultConnections = client.DefaultMaxConns
	loadDefaultMessages    = 100
	loadDefaultSize        = 1024
	loadDefaultFrom        = "load@example.org"
	loadDefaultTo          = "sink@example.net"
	loadDefaultTimeout     = time.Minute
	// loadMaxSize bounds --size: the body is built in memory, once.
	loadMaxSize = 1 << 30
)

// loadConnectAttempts bounds the connects a worker tries in a row before
// it gives up; loadConnectBackoff is the wait before the second, doubled
// before each next one. loadQuitTimeout bounds the QUIT at the end.
const (
	loadConnectAttempts = 3
	loadConnectBackoff  = 100 * time.Millisecond
	loadQuitTimeout     = 2 * time.Second
)

// loadLineLen is the length of a generated body line without its CRLF:
// within the 78 characters RFC 5322 section 2.1.1 recommends.
const loadLineLen = 76

// loadOptions are smtpkit load's flags.
type loadOptions struct {
	dial        dialFlags
	connections int
	messages    int
	size        int
	from        string
	to          stringList
	reuse       bool
	duration    time.Duration
	timeout     time.Duration
	json        bool
}

var loadCommand = &command{
	name:    "load",
	summary: "send many generated messages over parallel connections and report throughput and latency",
	usage:   "--server HOST:PORT [--connections C] [--messages N] [--size BYTES] [flags]",
	help: `
Sends --messages generated messages in total over --connections connections
in parallel, the way Postfix's smtp-source does, and reports what happened:
messages sent, accepted and failed, connections, elapsed time, messages and
bytes per second, the latency of each accepted message (from its MAIL to
its final reply) at p50, p90, p99 and max, and the errors grouped by reply code
("451 4.3.0: 3") or, without a reply, by kind (connect, tls, auth, timeout,
io, size, address, config, canceled).

Each message has From, To, Subject (with its sequence number), Date and
Message-ID headers (RFC 5322 section 3.6) and a body of exactly --size
octets in lines of 76 characters. Each connection carries its messages back
to back (RFC 5321 section 3.3: a completed transaction needs no RSET),
pipelined when the server offers PIPELINING: under DATA a message's content
goes in one write with the next message's MAIL, RCPT and DATA (RFC 2920
section 3.1), under BDAT (CHUNKING) a message with its envelope, so that
each message costs one round trip. A latency then runs from the write that
carries a message's MAIL (with the end of the message before) to its final
reply, two round trips that overlap its neighbours'; --timeout bounds that
time. --reuse=false opens a new connection for every message, as
smtp-source does without -s. A connection that breaks is opened again; a worker that cannot
connect stops (after 3 tries for a temporary failure such as a refused TCP
connect, at once for a permanent one such as 535 to AUTH or an untrusted
certificate) and leaves its messages to the others.

The run ends when every message was sent, when --duration has passed (the
messages under way finish) or on an interrupt (Ctrl-C; the messages under
way count as failed, kind canceled); the summary covers what was done. On a
terminal a progress bar is drawn on standard error.

The connection flags are those of smtpkit send (--tls, --auth, --user,
--password-env, ...) and the environment variables SMTP_HOST, SMTP_PORT,
SMTP_USER, SMTP_PASS and SMTP_SECURE.

Exit status: 0 when every message sent was accepted, 1 when any failed (or
the run was interrupted), 2 for a usage mistake, 3 when no connection at all
could be made.

examples:
  # a local sink, then 1000 messages of 1 KiB over 8 connections
  smtpkit serve --discard --tls off --listen 127.0.0.1:2525 &
  smtpkit load --server 127.0.0.1:2525 --tls off --connections 8 --messages 1000

  # one new connection per message, 10 KiB each, as JSON
  smtpkit load --server 127.0.0.1:2525 --tls off --reuse=false --size 10240 --json

  # a submission server over STARTTLS with AUTH, for at most 30 seconds
  SMTP_PASS=secret smtpkit load --server mail.example.com:587 --user alice \
      --from alice@example.com --to test@example.com --messages 100000 --duration 30s

  # against smtpkit serve's own test CA, two recipients per message
  smtpkit load --server 127.0.0.1:2525 --ca smtpkit-mail/smtpkit-ca.pem \
      --to a@example.net --to b@example.net
`,
	setup: func(fs *flag.FlagSet, sio *stdio) func(context.Context, []string) int {
		o := &loadOptions{}
		o.dial.register(fs)
		fs.IntVar(&o.connections, "connections", loadDefaultConnections, "number `C` of connections in parallel")
		fs.IntVar(&o.messages, "messages", loadDefaultMessages, "number `N` of messages in total")
		fs.IntVar(&o.size, "size", loadDefaultSize, "body size in `bytes` of each message (0, or at least 2: the body ends with CRLF)")
		fs.StringVar(&o.from, "from", loadDefaultFrom, "sender `address` (MAIL FROM and the From header)")
		fs.Var(&o.to, "to", "recipient `address` of every message (repeatable; default "+loadDefaultTo+")")
		fs.BoolVar(&o.reuse, "reuse", true, "send many messages per connection; false opens a connection per message")
		fs.DurationVar(&o.duration, "duration", 0, "stop starting messages after this `time` (0: no bound)")
		fs.DurationVar(&o.timeout, "timeout", loadDefaultTimeout, "bound on each connection's opening and each message's transaction")
		fs.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
		return func(ctx context.Context, args []string) int { return o.run(ctx, sio, args) }
	},
}

// check reports the command-line mistakes.
func (o *loadOptions) check(args []string) error {
	switch {
	case len(args) > 0:
		return usagef("takes no arguments, got %q", args[0])
	case o.connections < 1:
		return usagef("--connections must be at least 1")
	case o.messages < 1:
		return usagef("--messages must be at least 1")
	case o.size < 0 || o.size == 1:
		return usagef("--size must be 0 or at least 2 (a body ends with CRLF)")
	case o.size > loadMaxSize:
		return usagef("--size must be at most %d (1 GiB): the body is held in memory", loadMaxSize)
	case o.duration < 0:
		return usagef("--duration must not be negative")
	case o.timeout <= 0:
		return usagef("--timeout must be positive")
	}
	if len(o.to) == 0 {
		o.to = stringList{loadDefaultTo}
	}
	for _, a := range append([]string{o.from}, o.to...) {
		if err := checkLoadAddress(a); err != nil {
			return err
		}
	}
	return nil
}

// checkLoadAddress refuses an address that cannot go into a header field
// unchanged: empty, or with a space or a control character (which would
// also end the header line, RFC 5322 section 2.2).
func checkLoadAddress(a string) error {
	if a == "" {
		return usagef("an empty address in --from or --to")
	}
	for _, r := range a {
		if r <= ' ' || r == 0x7f {
			return usagef("address %q has a space or a control character", a)
		}
	}
	return nil
}

// run checks the flags, runs the load test with a progress bar on a
// terminal, prints the summary and returns the exit code.
func (o *loadOptions) run(ctx context.Context, sio *stdio, args []string) int {
	if err := o.check(args); err != nil {
		return fail(sio, "load", err, exitUsage)
	}
	addr, opts, err := o.dial.options(sio.getenv)
	if err != nil {
		return fail(sio, "load", err, exitOffline)
	}
	r := newLoadRun(o, addr, opts, time.Now())
	var prog *loadProgress
	if sio.tty {
		prog = startLoadProgress(sio.err, r.stats, int64(o.messages), o.duration, r.start)
	}
	r.run(ctx)
	if prog != nil {
		prog.finish(time.Now())
	}
	s := r.summary(ctx)
	if o.json {
		err = writeLoadJSON(sio.out, s)
	} else {
		err = writeLoadText(sio.out, s)
	}
	if err != nil {
		return fail(sio, "load", err, exitFailed)
	}
	return loadExit(sio, s)
}

// loadExit prints why the run did not succeed and returns the exit code.
func loadExit(sio *stdio, s *loadSummary) int {
	switch {
	case s.ConnectionsOpened == 0 && s.ConnectionsFailed > 0:
		return fail(sio, "load", fmt.Errorf("no connection to %s could be made: %s", s.Server, s.firstConnectError()), exitOffline)
	case s.StoppedBy == loadStopInterrupt:
		return fail(sio, "load", fmt.Errorf("interrupted after %d of %d messages", s.Sent, s.Planned), exitFailed)
	case s.Failed > 0:
		return fail(sio, "load", fmt.Errorf("%d of %d messages sent failed", s.Failed, s.Sent), exitFailed)
	case s.StoppedBy == loadStopConnections:
		return fail(sio, "load", fmt.Errorf("%d of %d messages not sent: every connection failed", s.Unsent, s.Planned), exitFailed)
	}
	return exitOK
}

// loadRun is one load test: what every worker needs and the counters they
// share.
//
// The workers are goroutines that each own a client.Client rather than
// share a client.Pool: a Pool checks a reused connection with NOOP and
// retries failed messages, which would add round trips to the latencies
// and hide the failures a load test is there to count, and it does not say
// which connection a message went over.
type loadRun struct {
	addr     string
	opts     []client.Option
	tmpl     *loadMessage
	to       []string
	from     string
	reuse    bool
	timeout  time.Duration
	workers  int
	planned  int64
	start    time.Time
	deadline time.Time // zero without --duration
	elapsed  time.Duration

	remaining atomic.Int64 // messages not yet claimed by a worker
	seq       atomic.Int64 // the last sequence number given to a message
	timeUp    atomic.Bool  // a claim was refused because --duration passed
	stats     *loadStats
}

// newLoadRun prepares a run of the checked options o against addr, dialled
// with opts, starting at start: the message template (with a token that
// makes its Message-IDs unique) and the counters.
func newLoadRun(o *loadOptions, addr string, opts []client.Option, start time.Time) *loadRun {
	r := &loadRun{
		addr:    addr,
		opts:    opts,
		from:    o.from,
		to:      o.to,
		reuse:   o.reuse,
		timeout: o.timeout,
		workers: min(o.connections, o.messages),
		planned: int64(o.messages),
		start:   start,
		stats:   newLoadStats(),
	}
	if o.duration > 0 {
		r.deadline = start.Add(o.duration)
	}
	r.remaining.Store(r.planned)
	width := len(strconv.Itoa(o.messages))
	r.tmpl = newLoadMessage(o.from, o.to, o.size, width, rand.Text(), start)
	return r
}

// run sends the messages and returns when every worker has stopped.
func (r *loadRun) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range r.workers {
		w := &loadWorker{r: r, msg: r.tmpl.clone()}
		w.body.m = w.msg
		w.env = client.Envelope{From: r.from, To: r.to, Size: int64(w.msg.size())}
		wg.Go(func() { w.work(ctx) })
	}
	wg.Wait()
	r.elapsed = time.Since(r.start)
}

// claim takes one message to send; it is false when none is left, when
// --duration has passed or when ctx is done.
func (r *loadRun) claim(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
		r.timeUp.Store(true)
		return false
	}
	// Each failed CompareAndSwap means another worker took a message or
	// gave one back (once per worker at most), so the loop ends after at
	// most as many tries as there are messages and workers.
	for n := r.remaining.Load(); n > 0; n = r.remaining.Load() {
		if r.remaining.CompareAndSwap(n, n-1) {
			return true
		}
	}
	return false
}

// unclaim gives back a message a worker could not send, for the others.
func (r *loadRun) unclaim() { r.remaining.Add(1) }

// loadWorker sends messages over its own connection. Its message buffer
// is its own: the sequence number is written into it for each message.
type loadWorker struct {
	r    *loadRun
	c    *client.Client
	msg  *loadMessage
	body loadBody
	env  client.Envelope
}

// work claims and sends messages until none is left, reconnecting when
// the connection breaks; it stops when it cannot connect. With reuse it
// connects first, so that every connection opens at the start, in
// parallel, as smtp-source's sessions do, and sends its messages back to
// back, pipelined (sendBatch); without, it connects for each message it
// has claimed.
func (w *loadWorker) work(ctx context.Context) {
	defer w.hangUp(ctx)
	if w.r.reuse && !w.connect(ctx) {
		return
	}
	for w.r.claim(ctx) { // each pass takes one of the planned messages
		if w.c == nil && !w.connect(ctx) {
			w.r.unclaim()
			return
		}
		if w.r.reuse {
			w.sendBatch(ctx) // this message and the next ones, until none is left or the connection breaks
			continue
		}
		w.send(ctx)
		w.hangUp(ctx)
	}
}

// connect opens the worker's connection: up to loadConnectAttempts tries
// while the failure is temporary (client.Temporary), each failure counted.
func (w *loadWorker) connect(ctx context.Context) bool {
	st := w.r.stats
	for attempt := range loadConnectAttempts {
		if attempt > 0 && !loadSleep(ctx, loadConnectBackoff<<(attempt-1)) {
			return false
		}
		dctx, cancel := context.WithTimeout(ctx, w.r.timeout)
		c, err := client.Dial(dctx, w.r.addr, w.r.opts...)
		cancel()
		if err == nil {
			st.opened.Add(1)
			w.c = c
			return true
		}
		if ctx.Err() != nil {
			return false // interrupted: not the server's failure
		}
		st.connFailed.Add(1)
		st.errs.add(err)
		if !client.Temporary(err) {
			return false
		}
	}
	return false
}

// loadSleep waits for d; it is false when ctx ended first.
func loadSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send sends one message (--reuse=false) and counts the outcome. The
// latency is the time Client.Send takes, from MAIL to the reply to the end
// of the data (or the last LMTP reply); only accepted messages' latencies
// are recorded. After
// an error that leaves the client unusable the connection is closed, to be
// opened again for the next message.
func (w *loadWorker) send(ctx context.Context) {
	st := w.r.stats
	w.msg.stamp(w.r.seq.Add(1))
	w.body.off = 0
	mctx, cancel := context.WithTimeout(ctx, w.r.timeout)
	start := time.Now()
	_, err := w.c.Send(mctx, w.env, &w.body)
	latency := time.Since(start)
	cancel()
	st.sent.Add(1)
	if err == nil {
		st.ok.Add(1)
		st.okBytes.Add(int64(w.msg.size()))
		st.latency.record(latency)
		return
	}
	st.failed.Add(1)
	st.errs.add(err)
	if w.c.Err() != nil {
		_ = w.c.Close() // the error is counted; closing a broken connection says nothing new
		w.c = nil
	}
}

// hangUp ends the worker's connection: with QUIT (RFC 5321 section
// 4.1.1.10), bounded by loadQuitTimeout, when it is still usable; closed
// at once when it is not or after an interrupt, which should end the run
// without waiting on the server (and a Send that completed just as ctx was
// cancelled can leave the connection's deadline in the past, so that a
// QUIT would only time out).
func (w *loadWorker) hangUp(ctx context.Context) {
	if w.c == nil {
		return
	}
	if w.c.Err() == nil && ctx.Err() == nil {
		qctx, cancel := context.WithTimeout(ctx, min(loadQuitTimeout, w.r.timeout))
		if err := w.c.Quit(qctx); err != nil {
			_ = w.c.Close() // the messages are counted; a failed QUIT changes none
		}
		cancel()
	} else {
		_ = w.c.Close()
	}
	w.c = nil
}

// loadMessage is a generated message: a header section per worker, into
// which stamp writes each message's sequence number, and a body shared
// read-only by every worker. Built once, it is reused for every message,
// so that sending allocates nothing per message on this side.
type loadMessage struct {
	head  []byte
	body  []byte
	seqAt [2]int // where the sequence number's digits are in head
	width int    // how many digits
}

// newLoadMessage builds the message: From, To, Subject and Message-ID with
// room for a width-digit sequence number, and Date (RFC 5322 section 3.6),
// then a body of exactly size octets in lines of loadLineLen characters
// and CRLF (RFC 5322 section 2.1.1); size must not be 1. token makes the
// Message-ID unique across runs (RFC 5322 section 3.6.4).
func newLoadMessage(from string, to []string, size, width int, token string, date time.Time) *loadMessage {
	m := &loadMessage{width: width}
	zeros := strings.Repeat("0", width)
	h := make([]byte, 0, 256)
	h = append(h, "From: "...)
	h = append(h, from...)
	h = append(h, "\r\nTo: "...)
	for i, a := range to {
		if i > 0 {
			h = append(h, ",\r\n "...) // one address per line: folding (RFC 5322 section 2.2.3)
		}
		h = append(h, a...)
	}
	h = append(h, "\r\nSubject: smtpkit load message "...)
	m.seqAt[0] = len(h)
	h = append(h, zeros...)
	h = append(h, "\r\nDate: "...)
	h = date.AppendFormat(h, time.RFC1123Z) // RFC 5322 section 3.3 date-time
	h = append(h, "\r\nMessage-ID: <"...)
	m.seqAt[1] = len(h)
	h = append(h, zeros...)
	h = append(h, '.')
	h = append(h, token...)
	h = append(h, '@')
	h = append(h, loadDomain(from)...)
	h = append(h, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"...)
	m.head = h
	m.body = appendLoadBody(make([]byte, 0, size), size)
	return m
}

// loadDomain returns the domain of address a for the Message-ID, or
// "localhost" when it has none.
func loadDomain(a string) string {
	if i := strings.LastIndexByte(a, '@'); i >= 0 && i < len(a)-1 {
		return a[i+1:]
	}
	return "localhost"
}

// loadAlphabet is what the body lines are made of: no dot, so no line
// needs dot-stuffing (RFC 5321 section 4.5.2), and no space.
const loadAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// appendLoadBody appends size octets of CRLF-terminated lines of at most
// loadLineLen characters, each line the alphabet shifted by one. A
// remainder of one octet cannot be a line, so the last two lines share
// it; size 1 gets 2 octets.
func appendLoadBody(dst []byte, size int) []byte {
	const full = loadLineLen + 2
	for line, left := 0, size; left > 0; line++ { // each pass appends at least 2 of the left octets
		n := full
		switch {
		case left <= full:
			n = max(left, 2)
		case left == full+1:
			n = full - 2 // leaves 3: a line of one character
		}
		for i := range n - 2 {
			dst = append(dst, loadAlphabet[(line+i)%len(loadAlphabet)])
		}
		dst = append(dst, '\r', '\n')
		left -= n
	}
	return dst
}

// clone returns a copy with its own header section and the same body.
func (m *loadMessage) clone() *loadMessage {
	c := *m
	c.head = append([]byte(nil), m.head...)
	return &c
}

// size returns the message's length in octets.
func (m *loadMessage) size() int { return len(m.head) + len(m.body) }

// stamp writes seq, zero-padded, into the Subject and the Message-ID. seq
// has at most width digits (the run never numbers past --messages).
func (m *loadMessage) stamp(seq int64) {
	for _, at := range m.seqAt {
		v := seq
		for i := at + m.width - 1; i >= at; i-- {
			m.head[i] = byte('0' + v%10)
			v /= 10
		}
	}
}

// loadBody reads a loadMessage, header then body, without copying it
// first. A worker resets off to 0 for each message.
type loadBody struct {
	m   *loadMessage
	off int
}

// Read implements io.Reader.
func (b *loadBody) Read(p []byte) (int, error) {
	head, body := b.m.head, b.m.body
	if b.off >= len(head)+len(body) {
		return 0, io.EOF
	}
	n := 0
	if b.off < len(head) {
		n = copy(p, head[b.off:])
	}
	if at := b.off + n - len(head); at >= 0 {
		n += copy(p[n:], body[at:])
	}
	b.off += n
	return n, nil
}

// Len returns the octets left to read.
func (b *loadBody) Len() int { return b.m.size() - b.off }
