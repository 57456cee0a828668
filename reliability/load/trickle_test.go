//go:build reliability

// trickle_test.go proves claim 4: connections that trickle one octet a
// second are cut by serve's minimum data rate (--min-data-rate 500
// --rate-grace 5s) within the grace plus a margin, while a normal client
// keeps delivering (every message accepted, p99 latency under 1 s). Half
// the trickle connections send a command line octet by octet (the floor
// on partial command lines, state.Timeouts.LineDeadline), half get into
// DATA (or announce a BDAT chunk, RFC 3030, for every other one) and
// trickle the body (state.Timeouts.DataDeadline). Without the
// floor the RFC 5321 section 4.5.3.2 timeouts (5 minutes per command, 3
// per data block) would let each hold its connection for ever. A cut
// connection gets 421 (with 4.4.2 once EHLO has offered
// ENHANCEDSTATUSCODES, RFC 2034) and is closed; no trickled message is
// stored.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/servetest"
)

const (
	rateGrace = 5 * time.Second
	// cutMargin is how long after rateGrace a trickle connection may
	// still be open: the bound asserted is rateGrace + cutMargin.
	cutMargin = 10 * time.Second
)

// trickle is one trickle connection's fate.
type trickle struct {
	data   bool          // trickling a body, not a command line
	bdat   bool          // the body is a BDAT chunk, not DATA's
	cut    time.Duration // from the first trickled octet to the close
	closed bool          // the server closed it (EOF or reset), not our deadline
	got421 bool          // it got a 421 reply first
	enh442 bool          // with the enhanced code 4.4.2 (only after EHLO, RFC 2034)
	reset  bool          // the close was a reset, not an orderly EOF
	sent   int           // octets trickled
	first  string        // the first line the server sent after the trickle began
	err    string        // a failure before trickling began
}

func TestSlowTrickleCut(t *testing.T) {
	sc := sizes(t)
	s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.load.example",
		"--min-data-rate", "500", "--rate-grace", rateGrace.String())

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The normal client sends continuously, one message every 10 ms, until
	// the trickle connections are done.
	begin := time.Now()
	stopSteady := make(chan struct{})
	var (
		steadyLat  []time.Duration
		slowest    [3]slowSend // the slowest messages, for the log
		steadyFail []string
		steadyOK   int
		steady     sync.WaitGroup
	)
	steady.Go(func() {
		c, err := dialClient(ctx, s.Addr)
		if err != nil {
			steadyFail = append(steadyFail, "dial: "+err.Error())
			return
		}
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-stopSteady:
				_ = c.Quit(ctx)
				return
			case <-time.After(10 * time.Millisecond):
			}
			tok := fmt.Sprintf("steady-%d", i)
			t0 := time.Now()
			res, err := c.Send(ctx, envelope, message(tok))
			d := time.Since(t0)
			if err != nil || res.Reply.Code != 250 {
				steadyFail = append(steadyFail, fmt.Sprintf("%s: %v", tok, err))
				if c.Err() != nil {
					return
				}
				continue
			}
			steadyOK++
			steadyLat = append(steadyLat, d)
			noteSlow(&slowest, slowSend{at: t0.Sub(begin), took: d})
		}
	})

	results := make([]trickle, sc.trickle)
	var wg sync.WaitGroup
	for i := range sc.trickle {
		// i%4: 0 and 2 a command line, 1 a DATA body, 3 a BDAT chunk.
		wg.Go(func() { results[i] = runTrickle(ctx, s.Addr, i, i%2 == 1, i%4 == 3) })
	}
	wg.Wait()
	close(stopSteady)
	steady.Wait()
	require.NoError(t, ctx.Err(), "the test did not finish within its time bound")

	// Per kind: [0] command line, [1] DATA body, [2] BDAT chunk.
	var (
		setup                        []string
		otherReply                   []string // replies other than 421 to a trickle
		cuts                         [3][]time.Duration
		late, got421, enh442, resets [3]int
	)
	for i, r := range results {
		if r.err != "" {
			setup = append(setup, fmt.Sprintf("trickle %d: %s", i, r.err))
			continue
		}
		kind := 0
		switch {
		case r.bdat:
			kind = 2
		case r.data:
			kind = 1
		}
		cuts[kind] = append(cuts[kind], r.cut)
		if !r.closed || r.cut > rateGrace+cutMargin {
			late[kind]++
		}
		if r.first != "" && !r.got421 && len(otherReply) < 10 {
			otherReply = append(otherReply, fmt.Sprintf("trickle %d: %q", i, r.first))
		}
		if r.got421 {
			got421[kind]++
		}
		if r.enh442 {
			enh442[kind]++
		}
		if r.reset {
			resets[kind]++
		}
	}
	t.Logf("the normal client's slowest messages (began at, from the trickle start; took): %v", slowest)
	p50, p99, maxd := latencies(steadyLat)
	tokens, files, _ := maildirTokens(t, s.Maildir)
	trickled := 0
	for tok := range tokens {
		if strings.HasPrefix(tok, "trickle-") {
			trickled++
		}
	}

	kinds := [3]string{"command line", "DATA body", "BDAT chunk"}
	var cut strings.Builder
	nlate := 0
	for k, name := range kinds {
		nlate += late[k]
		fmt.Fprintf(&cut, "%s: %d, %d got 421 (%d with 4.4.2), %d reset, cut after %s; ",
			name, len(cuts[k]), got421[k], enh442[k], resets[k], distribution(cuts[k]))
	}
	t.Logf("RESULT trickle (%s): %d trickle connections at 1 octet/s, --min-data-rate 500 --rate-grace %v: "+
		"%d cut within %v; %snormal client %d messages, %d failed, latency p50 %s p99 %s max %s; %d trickled messages stored",
		sc.name, sc.trickle, rateGrace, sc.trickle-len(setup)-nlate, rateGrace+cutMargin, cut.String(),
		steadyOK, len(steadyFail), ms(p50), ms(p99), ms(maxd), trickled)

	assert.Empty(t, setup, "trickle connections that could not start")
	assert.Zero(t, late[0], "command-line trickle connections not cut within rate-grace + %v (the floor on partial command lines)", cutMargin)
	assert.Zero(t, late[1], "DATA body trickle connections not cut within rate-grace + %v", cutMargin)
	assert.Zero(t, late[2], "BDAT chunk trickle connections not cut within rate-grace + %v", cutMargin)
	assert.Empty(t, otherReply, "a trickle connection is answered 421 or closed, nothing else")
	assert.Empty(t, steadyFail, "the normal client's messages must all be accepted")
	assert.Positive(t, steadyOK, "the normal client delivered nothing")
	assert.Less(t, p99, time.Second, "the normal client's p99 latency beside %d trickle connections", sc.trickle)
	assert.Zero(t, trickled, "trickled messages stored")
	assert.Equal(t, steadyOK, files, "files in new/: the normal client's messages only")
	assert.Equal(t, steadyOK, waitAccepted(s, steadyOK), `serve's "accepted" lines`)
}

// runTrickle opens one trickle connection and trickles until the server
// closes it or rateGrace + cutMargin + 10 s have passed.
func runTrickle(ctx context.Context, addr string, i int, data, bdat bool) trickle {
	r := trickle{data: data, bdat: bdat}
	var c net.Conn
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(time.Duration(100*attempt) * time.Millisecond)
		}
		d := net.Dialer{Timeout: 10 * time.Second}
		if c, err = d.DialContext(ctx, "tcp", addr); err == nil {
			break
		}
	}
	if err != nil {
		r.err = "dial: " + err.Error()
		return r
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	if g, err := readReply(br); err != nil || !strings.HasPrefix(g, "220 ") {
		r.err = fmt.Sprintf("greeting %q: %v", g, err)
		return r
	}
	line := "EHLO trickle.example\r\n"
	if data {
		steps := [][2]string{
			{"EHLO trickle.example\r\n", "250"},
			{"MAIL FROM:<trickle@load.example>\r\n", "250"},
			{"RCPT TO:<rcpt@load.example>\r\n", "250"},
			{"DATA\r\n", "354"},
		}
		if bdat {
			steps = steps[:3]
		}
		for _, step := range steps {
			if err := command(c, br, step[0], step[1]); err != nil {
				r.err = err.Error()
				return r
			}
		}
		if bdat {
			// The chunk announced is longer than anything trickled
			// before the limit; no reply comes until it is complete.
			if _, err := c.Write([]byte("BDAT 4000 LAST\r\n")); err != nil {
				r.err = "BDAT: " + err.Error()
				return r
			}
		}
		line = fmt.Sprintf("%strickle-%d\r\nSubject: slow\r\n\r\nThis body arrives one octet a second.\r\n", tokenHeader, i)
	}

	// From here: the writer trickles one octet a second; the reader waits
	// for the 421 and the close.
	start := time.Now()
	limit := start.Add(rateGrace + cutMargin + 10*time.Second)
	_ = c.SetDeadline(limit)
	done := make(chan struct{})
	var sent atomic.Int64
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for n := 0; ; n++ {
			if _, err := c.Write([]byte{line[n%len(line)]}); err != nil {
				return
			}
			sent.Add(1)
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
			if time.Now().After(limit) {
				return
			}
		}
	}()
	// Once the first octet is out the reader's clock runs; the writer stops
	// when the connection fails or at the limit.
	rest, err := io.ReadAll(br)
	r.cut = time.Since(start)
	r.first, _, _ = strings.Cut(string(rest), "\n")
	r.got421 = strings.HasPrefix(string(rest), "421")
	r.enh442 = strings.HasPrefix(string(rest), "421 4.4.2")
	r.closed = err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
	r.reset = err != nil && r.closed
	_ = c.SetDeadline(time.Now()) // stop the writer
	<-done
	r.sent = int(sent.Load())
	return r
}

// distribution describes cut times: min, p50, p99 and max in seconds.
func distribution(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	return fmt.Sprintf("min %.2fs p50 %.2fs p99 %.2fs max %.2fs", d[0].Seconds(),
		percentile(d, 0.5).Seconds(), percentile(d, 0.99).Seconds(), d[len(d)-1].Seconds())
}

// slowSend is a message of the normal client: when it began and how long
// it took.
type slowSend struct{ at, took time.Duration }

func (s slowSend) String() string {
	return fmt.Sprintf("%.2fs: %s", s.at.Seconds(), ms(s.took))
}

// noteSlow keeps the slowest sends in top, slowest first.
func noteSlow(top *[3]slowSend, s slowSend) {
	for i := range top {
		if s.took > top[i].took {
			copy(top[i+1:], top[i:len(top)-1])
			top[i] = s
			return
		}
	}
}
