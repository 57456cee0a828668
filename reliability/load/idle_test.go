//go:build reliability

// idle_test.go proves claim 2: with K raw TCP connections greeted and then
// idle (RFC 5321 section 4.5.3.2.7 lets a server wait 5 minutes for the
// next command), a normal client still delivers promptly (every message
// accepted, p99 latency under 1 s), and the server closes none of the idle
// connections. It measures serve's resident memory per idle connection:
// settled VmRSS with the K connections greeted minus settled VmRSS before,
// divided by K. The goal is 16 KiB; the test asserts a generous 64 KiB.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/servetest"
)

// maxIdleKiB bounds serve's memory per idle connection, generous so the
// test does not flake; the goal is 16 KiB.
const maxIdleKiB = 64

// dialers is how many goroutines open the idle connections.
const dialers = 200

func TestIdleConnections(t *testing.T) {
	sc := sizes(t)
	k := sc.idle
	s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.load.example")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// A warm-up message, so the "before" figure includes what serving
	// the first message allocates, not only an idle process.
	warm, err := dialClient(ctx, s.Addr)
	require.NoError(t, err)
	_, err = warm.Send(ctx, envelope, message("idle-warmup"))
	require.NoError(t, err)
	require.NoError(t, warm.Quit(ctx))
	before := settledRSS(t, s)

	conns := make([]net.Conn, k)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var (
		next      atomic.Int64
		retries   atomic.Int64
		errMu     sync.Mutex
		openErrs  []string // the first few
		nOpenErrs int
	)
	opened := time.Now()
	var wg sync.WaitGroup
	for range dialers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= k || ctx.Err() != nil {
					return
				}
				c, n, err := openIdle(ctx, s.Addr)
				retries.Add(int64(n))
				if err != nil {
					errMu.Lock()
					if nOpenErrs++; len(openErrs) < 10 {
						openErrs = append(openErrs, fmt.Sprintf("connection %d: %v", i, err))
					}
					errMu.Unlock()
					continue
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	openTime := time.Since(opened)
	require.Zero(t, nOpenErrs, "opening %d idle connections failed %d times; the first: %q", k, nOpenErrs, openErrs)
	after := settledRSS(t, s)
	perConn := float64(after-before) / float64(k)

	// The normal client, one session, sequential messages.
	c, err := dialClient(ctx, s.Addr)
	require.NoError(t, err, "the normal client cannot connect beside %d idle connections", k)
	lat := make([]time.Duration, 0, sc.idleMsgs)
	var failures []string
	for i := range sc.idleMsgs {
		tok := fmt.Sprintf("idle-%d", i)
		t0 := time.Now()
		res, err := c.Send(ctx, envelope, message(tok))
		d := time.Since(t0)
		if err != nil || res.Reply.Code != 250 {
			failures = append(failures, fmt.Sprintf("%s: %v", tok, err))
			if c.Err() != nil {
				break
			}
			continue
		}
		lat = append(lat, d)
	}
	_ = c.Quit(ctx)
	// Hold the idle connections a little longer, then check that serve
	// closed none of them.
	time.Sleep(sc.idleHold)
	closed := countClosed(conns)
	p50, p99, maxd := latencies(lat)

	t.Logf("RESULT idle (%s): %d idle connections opened in %v (%d dial retries) and all still open: %v; "+
		"normal client %d/%d messages, latency p50 %s p99 %s max %s; serve VmRSS %d KiB before, %d KiB after, %.1f KiB per idle connection",
		sc.name, k, openTime.Round(time.Millisecond), retries.Load(), closed == 0, len(lat), sc.idleMsgs,
		ms(p50), ms(p99), ms(maxd), before, after, perConn)

	assert.Empty(t, failures, "the normal client's messages must all be accepted")
	assert.Len(t, lat, sc.idleMsgs)
	assert.Less(t, p99, time.Second, "p99 latency beside %d idle connections", k)
	assert.Zero(t, closed, "idle connections closed by the server")
	assert.Less(t, perConn, float64(maxIdleKiB), "serve's resident memory per idle connection, KiB")
	tokens, files, _ := maildirTokens(t, s.Maildir)
	assert.Equal(t, sc.idleMsgs+1, files, "stored messages")
	assert.Equal(t, sc.idleMsgs+1, waitAccepted(s, sc.idleMsgs+1), `serve's "accepted" lines`)
	for i := range sc.idleMsgs {
		assert.Equal(t, 1, tokens[fmt.Sprintf("idle-%d", i)], "message idle-%d stored once", i)
	}
}

// openIdle connects to addr and reads the 220 greeting, retrying a failed
// connect up to four times (a full listen backlog refuses or times out);
// it returns how many retries it took.
func openIdle(ctx context.Context, addr string) (net.Conn, int, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(time.Duration(100*attempt) * time.Millisecond)
		}
		var c net.Conn
		d := net.Dialer{Timeout: 10 * time.Second}
		if c, err = d.DialContext(ctx, "tcp", addr); err != nil {
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		r, rerr := readReply(bufio.NewReaderSize(c, 512))
		if rerr != nil || !strings.HasPrefix(r, "220 ") {
			c.Close()
			return nil, attempt, fmt.Errorf("greeting %q: %v", r, rerr)
		}
		_ = c.SetReadDeadline(time.Time{})
		return c, attempt, nil
	}
	return nil, 4, err
}

// countClosed counts the connections the server has closed or written to
// since the greeting: a short read that does not time out. 200 goroutines
// check them, 50 ms each.
func countClosed(conns []net.Conn) int {
	var closed, next atomic.Int64
	var wg sync.WaitGroup
	for range dialers {
		wg.Go(func() {
			buf := make([]byte, 512)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(conns) {
					return
				}
				c := conns[i]
				if c == nil {
					closed.Add(1)
					continue
				}
				_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				_, err := c.Read(buf)
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					closed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(closed.Load())
}
