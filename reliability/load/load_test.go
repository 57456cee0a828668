//go:build reliability

// load_test.go proves claim 1 of "Reliability and security under load,
// faults and hostile input": N concurrent sessions of M messages each
// against "smtpkit serve" storing into a Maildir lose nothing and get no
// unexpected reply. Every message carries a unique token; at the end every
// Send succeeded, new/ holds exactly N*M files, each token appears exactly
// once, tmp/ is empty and serve logged N*M "accepted" lines. Half the
// sessions send with DATA, half with BDAT (RFC 3030; serve offers
// CHUNKING), MAIL and RCPT pipelined with them (RFC 2920) as the client
// does by default.
package load

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/servetest"
)

func TestConcurrentLoadMaildir(t *testing.T) {
	sc := sizes(t)
	n, m := sc.sessions, sc.perSession
	total := n * m
	s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.load.example")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Peak RSS is VmHWM at the end; a sampler also keeps the highest
	// VmRSS seen, a cross-check.
	var peakSample atomic.Int64
	stopSampler := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampler:
				return
			case <-tick.C:
				if v := s.RSSKiB(t); v > peakSample.Load() {
					peakSample.Store(v)
				}
			}
		}
	})

	var (
		mu         sync.Mutex
		lat        = make([]time.Duration, 0, total)
		unexpected []string // the first few unexpected outcomes
		nUnexp     int
		ok         atomic.Int64
	)
	fail := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		nUnexp++
		if len(unexpected) < 10 {
			unexpected = append(unexpected, what)
		}
	}

	cpu0 := s.CPUTime(t)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var opts []client.Option
			if i%2 == 1 {
				opts = append(opts, client.WithoutBDAT()) // half DATA, half BDAT (RFC 3030)
			}
			c, err := dialClient(ctx, s.Addr, opts...)
			if err != nil {
				for range m {
					fail(fmt.Sprintf("session %d: dial: %v", i, err))
				}
				return
			}
			defer c.Close()
			mine := make([]time.Duration, 0, m)
			for j := range m {
				tok := fmt.Sprintf("load-%d-%d", i, j)
				t0 := time.Now()
				res, err := c.Send(ctx, envelope, message(tok))
				d := time.Since(t0)
				switch {
				case err != nil:
					fail(fmt.Sprintf("%s: %v", tok, err))
					if c.Err() != nil { // the client is unusable
						for k := j + 1; k < m; k++ {
							fail(fmt.Sprintf("load-%d-%d: not sent after a broken session", i, k))
						}
						return
					}
				case res.Reply.Code != 250 || res.Delivered() != 1:
					fail(fmt.Sprintf("%s: reply %v, delivered %d", tok, res.Reply, res.Delivered()))
				default:
					ok.Add(1)
					mine = append(mine, d)
				}
			}
			if err := c.Quit(ctx); err != nil {
				fail(fmt.Sprintf("session %d: QUIT: %v", i, err))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := s.CPUTime(t) - cpu0
	close(stopSampler)
	sampler.Wait()
	peak := peakRSSKiB(t, s.PID())

	require.NoError(t, ctx.Err(), "the load did not finish within its time bound")
	accepted := waitAccepted(s, total)
	tokens, files, bad := maildirTokens(t, s.Maildir)
	_, tmp := s.Stored(t)
	lost, dup := 0, 0
	for i := range n {
		for j := range m {
			switch c := tokens[fmt.Sprintf("load-%d-%d", i, j)]; {
			case c == 0:
				lost++
			case c > 1:
				dup += c - 1
			}
		}
	}
	p50, p99, maxd := latencies(lat)
	perMsg := time.Duration(0)
	if total > 0 {
		perMsg = cpu / time.Duration(total)
	}
	t.Logf("RESULT load (%s): %d sessions x %d messages (half DATA, half BDAT), %d stored, %d lost, %d duplicated, %d unexpected replies, "+
		"%.0f msgs/s, latency p50 %s p99 %s max %s, serve CPU %d µs/msg, peak RSS %d MiB (sampled VmRSS %d MiB)",
		sc.name, n, m, files, lost, dup, nUnexp, float64(ok.Load())/elapsed.Seconds(), ms(p50), ms(p99), ms(maxd),
		perMsg.Microseconds(), peak/1024, peakSample.Load()/1024)

	assert.Zero(t, strings.Count(s.Log(), "level=WARN")+strings.Count(s.Log(), "level=ERROR"),
		"warnings and errors in serve's log")
	assert.Zero(t, nUnexp, "unexpected outcomes (first %d): %q", len(unexpected), unexpected)
	assert.Equal(t, int64(total), ok.Load(), "every Send must succeed with 250")
	assert.Equal(t, total, files, "new/ must hold exactly N*M files")
	assert.Zero(t, lost, "messages lost")
	assert.Zero(t, dup, "messages stored more than once")
	assert.Empty(t, bad, "stored files without exactly one token")
	assert.Len(t, tokens, total, "distinct tokens in new/")
	assert.Empty(t, tmp, "tmp/ must be empty")
	assert.Equal(t, total, accepted, `serve's "accepted" lines`)
}
