package main

import (
	"context"
	"sync"
	"time"

	"github.com/smtpkit/smtpkit/client"
)

// sendBatch sends the message the worker has claimed, then every message
// it can claim, over its connection with client.Client.SendEach: with
// PIPELINING and DATA (Postfix's smtp-sink offers no CHUNKING) each
// message's content goes in one write with the next message's MAIL, RCPT
// and DATA, one round trip per message (RFC 2920 section 3.1); under BDAT
// a message and its envelope already go in one write. It returns when no
// message is left to claim, once every message under way has its reply,
// or when the connection breaks (closed here, to be opened again for the
// next message), every message under way then failed.
//
// A message's latency runs from the moment SendEach takes it, just before
// its MAIL goes out (in the same write as the end of the message before),
// to its final reply: with pipelining two round trips that overlap those
// of the messages before and after it. --timeout bounds each message the
// same way: when one has been under way that long, the connection is
// given up and the messages under way fail as timed out.
func (w *loadWorker) sendBatch(ctx context.Context) {
	st := w.r.stats
	wd := newLoadWatchdog(ctx, w.r.timeout)
	defer wd.stop()
	var fl loadInFlight
	claimed := true // the worker claimed the first message
	next := func() (client.Message, bool) {
		if !claimed && !w.r.claim(ctx) {
			return client.Message{}, false
		}
		claimed = false
		w.msg.stamp(w.r.seq.Add(1))
		w.body.off = 0
		now := time.Now()
		if fl.start(now) {
			wd.arm(now)
		}
		return client.Message{Envelope: w.env, Body: &w.body}, true
	}
	done := func(i int, _ *client.Result, err error) {
		now := time.Now()
		latency := now.Sub(fl.at(i))
		if oldest, ok := fl.finish(i); ok {
			wd.arm(oldest)
		} else {
			wd.disarm()
		}
		st.sent.Add(1)
		if err == nil {
			st.ok.Add(1)
			st.okBytes.Add(int64(w.msg.size()))
			st.latency.record(latency)
			return
		}
		st.failed.Add(1)
		st.errs.add(err)
	}
	if err := w.c.SendEach(wd, next, done); err != nil && w.c.Err() != nil {
		_ = w.c.Close() // the error is counted; closing a broken connection says nothing new
		w.c = nil
	}
}

// loadInFlight keeps when each message of a batch under way was taken.
// SendEach has at most two unreported at a time (one awaiting the reply
// to its end, the next one's envelope), so a ring of eight is ample.
type loadInFlight struct {
	starts [8]time.Time
	done   [8]bool
	oldest int // the first message not yet reported
	n      int // the messages taken
}

// start records the next message's start and reports whether it is the
// only one under way.
func (f *loadInFlight) start(now time.Time) bool {
	k := f.n % len(f.starts)
	f.starts[k], f.done[k] = now, false
	f.n++
	return f.oldest == f.n-1
}

// at returns when message i started.
func (f *loadInFlight) at(i int) time.Time { return f.starts[i%len(f.starts)] }

// finish records message i's report and returns the start of the oldest
// message still under way, if any.
func (f *loadInFlight) finish(i int) (time.Time, bool) {
	f.done[i%len(f.done)] = true
	for f.oldest < f.n && f.done[f.oldest%len(f.done)] {
		f.oldest++
	}
	if f.oldest == f.n {
		return time.Time{}, false
	}
	return f.at(f.oldest), true
}

// loadWatchdog is the context of a worker's batch. It ends with
// context.DeadlineExceeded once the oldest message under way has been so
// for the timeout (arm gives its start; disarm: none is under way), and
// with the run's context. A context.WithTimeout per message cannot serve:
// SendEach takes one context for all.
type loadWatchdog struct {
	context.Context // the run's: Deadline and Value
	timeout         time.Duration
	timer           *time.Timer
	stopRun         func() bool
	done            chan struct{}
	mu              sync.Mutex
	err             error
}

// newLoadWatchdog returns a disarmed watchdog under the run's context.
func newLoadWatchdog(run context.Context, timeout time.Duration) *loadWatchdog {
	w := &loadWatchdog{Context: run, timeout: timeout, done: make(chan struct{})}
	w.timer = time.AfterFunc(timeout, func() { w.end(context.DeadlineExceeded) })
	w.timer.Stop()
	w.stopRun = context.AfterFunc(run, func() { w.end(run.Err()) })
	return w
}

// arm fires the watchdog a timeout after start.
func (w *loadWatchdog) arm(start time.Time) { w.timer.Reset(time.Until(start.Add(w.timeout))) }

// disarm stops the watchdog until it is armed again.
func (w *loadWatchdog) disarm() { w.timer.Stop() }

// stop releases the watchdog's timer and its tie to the run's context.
func (w *loadWatchdog) stop() {
	w.timer.Stop()
	w.stopRun()
}

// end ends the context with err, once.
func (w *loadWatchdog) end(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		close(w.done)
	}
}

// Done implements context.Context.
func (w *loadWatchdog) Done() <-chan struct{} { return w.done }

// Err implements context.Context.
func (w *loadWatchdog) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
