package main

import (
	"io"
	"strconv"
	"time"
)

// The progress bar of smtpkit load: one line on the terminal, redrawn in
// place after a carriage return.
const (
	loadProgressEvery = 100 * time.Millisecond // at most ten redraws a second
	loadProgressWidth = 79                     // columns the line is padded to, so a shorter one hides a longer
	loadProgressCells = 24                     // cells of the bar
)

// loadProgress draws a run's progress on a terminal (standard error) from
// a goroutine of its own, until finish. Only that goroutine and finish
// write to w, never both at once.
type loadProgress struct {
	w        io.Writer
	stats    *loadStats
	planned  int64
	duration time.Duration
	start    time.Time
	stop     chan struct{}
	done     chan struct{}
	buf      []byte
}

// startLoadProgress draws the bar once and then every loadProgressEvery.
// Write errors are ignored: a progress bar is not worth failing a run for.
func startLoadProgress(w io.Writer, stats *loadStats, planned int64, duration time.Duration, start time.Time) *loadProgress {
	p := &loadProgress{
		w: w, stats: stats, planned: planned, duration: duration, start: start,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	p.draw(start)
	go p.loop()
	return p
}

// loop redraws until stop is closed.
func (p *loadProgress) loop() {
	defer close(p.done)
	t := time.NewTicker(loadProgressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.draw(now)
		}
	}
}

// finish stops the redraws, draws the final state and clears the line, so
// that the summary starts on a clean one.
func (p *loadProgress) finish(now time.Time) {
	close(p.stop)
	<-p.done
	p.draw(now)
	p.buf = append(p.buf[:0], '\r')
	p.buf = loadAppendSpaces(p.buf, loadProgressWidth)
	p.buf = append(p.buf, '\r')
	_, _ = p.w.Write(p.buf)
}

// draw writes the line for the state at now.
func (p *loadProgress) draw(now time.Time) {
	st := p.stats
	p.buf = appendLoadProgress(p.buf[:0], st.ok.Load(), st.failed.Load(), p.planned, now.Sub(p.start), p.duration)
	_, _ = p.w.Write(p.buf)
}

// appendLoadProgress appends "\r", the bar and the counts, padded with
// spaces to loadProgressWidth columns:
//
//	[##########--------------]  83/200  41%  412.5 msg/s  3 failed  0.2s
//
// The fraction done is that of the planned messages, or of --duration when
// that is further along.
func appendLoadProgress(dst []byte, ok, failed, planned int64, elapsed, duration time.Duration) []byte {
	done := ok + failed
	frac := 0.0
	if planned > 0 {
		frac = float64(done) / float64(planned)
	}
	if duration > 0 {
		frac = max(frac, float64(elapsed)/float64(duration))
	}
	frac = min(max(frac, 0), 1)
	dst = append(dst, '\r')
	start := len(dst)
	dst = append(dst, '[')
	filled := int(frac * loadProgressCells)
	for i := range loadProgressCells {
		c := byte('-')
		if i < filled {
			c = '#'
		}
		dst = append(dst, c)
	}
	dst = append(dst, "] "...)
	dst = strconv.AppendInt(dst, done, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, planned, 10)
	dst = append(dst, "  "...)
	dst = strconv.AppendInt(dst, int64(frac*100), 10)
	dst = append(dst, "%  "...)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(ok) / elapsed.Seconds()
	}
	dst = strconv.AppendFloat(dst, rate, 'f', 1, 64)
	dst = append(dst, " msg/s"...)
	if failed > 0 {
		dst = append(dst, "  "...)
		dst = strconv.AppendInt(dst, failed, 10)
		dst = append(dst, " failed"...)
	}
	dst = append(dst, "  "...)
	dst = strconv.AppendFloat(dst, elapsed.Seconds(), 'f', 1, 64)
	dst = append(dst, 's')
	return loadAppendSpaces(dst, loadProgressWidth-(len(dst)-start))
}

// loadAppendSpaces appends n spaces (none when n <= 0).
func loadAppendSpaces(dst []byte, n int) []byte {
	for range max(n, 0) {
		dst = append(dst, ' ')
	}
	return dst
}
