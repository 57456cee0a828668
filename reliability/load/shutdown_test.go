//go:build reliability

// shutdown_test.go proves claim 3: SIGTERM during load loses no accepted
// message and acknowledges none it did not store. Senders loop over their
// own sessions; after a while serve gets SIGTERM and shuts down gracefully
// (RFC 5321 section 3.8: a server that must close answers 421). Every
// message that got 250 to its end of data is in new/; every other message
// got 421 or another 4yz reply or a connection error, never a 5yz; a file
// in new/ belongs to a message that got 250, or to one whose connection
// failed after its end of data was written (the 250 may have been lost on
// the way: counted apart). serve exits 0 within --shutdown-timeout.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/smtpkit/smtpkit/reply"
)

// shutdownTimeout is serve's --shutdown-timeout here; bigSize is the size
// of every fourth message.
const (
	shutdownTimeout = 10 * time.Second
	bigSize         = 256 << 10
)

// outcome is what one message got.
type outcome int

const (
	gotOK        outcome = iota // a 2yz reply to the end of data
	got4yz                      // 421 or another 4yz reply
	got5yz                      // a 5yz reply: never allowed here
	lostBefore                  // a connection error before the end of data was written
	lostAfter                   // a connection error after it: the ack may have been lost
	otherFailure                // anything else (the test's own context, a client error)
)

func TestShutdownDuringLoad(t *testing.T) {
	sc := sizes(t)
	s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.load.example",
		"--shutdown-timeout", shutdownTimeout.String())

	ctx, cancel := context.WithTimeout(context.Background(), sc.beforeSig+shutdownTimeout+30*time.Second)
	defer cancel()

	var (
		mu       sync.Mutex
		outcomes = map[string]outcome{}
		details  = map[string]string{}
		redials  atomic.Int64
	)
	// spans are each message's Send: when it began and ended.
	spans := map[string][2]time.Time{}
	record := func(tok string, o outcome, detail string, began time.Time) {
		mu.Lock()
		defer mu.Unlock()
		outcomes[tok] = o
		spans[tok] = [2]time.Time{began, time.Now()}
		if o != gotOK {
			details[tok] = detail
		}
	}

	var wg sync.WaitGroup
	for i := range sc.senders {
		wg.Go(func() {
			d := &watchDialer{}
			opts := clientOpts(client.WithDialer(d))
			if i%2 == 1 {
				opts = append(opts, client.WithoutBDAT()) // half DATA, half BDAT
			}
			var c *client.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for j := 0; ctx.Err() == nil; {
				select {
				case <-s.Done():
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = client.Dial(ctx, s.Addr, opts...); err != nil {
						c = nil
						redials.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue
					}
				}
				tok := fmt.Sprintf("shut-%d-%d", i, j)
				j++
				d.conn.reset()
				body := message(tok)
				if j%4 == 0 { // every fourth message is large: under way at the signal
					body = bigMessage(tok, bigSize)
				}
				began := time.Now()
				res, err := c.Send(ctx, envelope, body)
				o, detail := classify(res, err, d.conn.endSent())
				record(tok, o, detail, began)
				if err != nil && c.Err() != nil {
					c.Close()
					c = nil
				}
			}
		})
	}

	time.Sleep(sc.beforeSig)
	mu.Lock()
	beforeSignal := len(outcomes)
	mu.Unlock()
	require.NoError(t, s.Cmd.Process.Signal(syscall.SIGTERM))
	signalled := time.Now()
	var stopTime time.Duration
	select {
	case <-s.Done():
		stopTime = time.Since(signalled)
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("serve did not exit within %v of SIGTERM (--shutdown-timeout %v)", shutdownTimeout+5*time.Second, shutdownTimeout)
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "the senders did not stop within their time bound")

	tokens, files, bad := maildirTokens(t, s.Maildir)
	_, tmp := s.Stored(t)
	var counts [otherFailure + 1]int
	var missing, unacked, bad5, other []string
	underWay := 0 // messages under way at the signal that got 250
	for tok, o := range outcomes {
		counts[o]++
		if sp := spans[tok]; o == gotOK && sp[0].Before(signalled) && sp[1].After(signalled) {
			underWay++
		}
		stored := tokens[tok]
		switch {
		case o == gotOK && stored != 1:
			missing = append(missing, fmt.Sprintf("%s (stored %d times)", tok, stored))
		case o == got5yz:
			bad5 = append(bad5, tok+": "+details[tok])
		case o == otherFailure:
			other = append(other, tok+": "+details[tok])
		}
	}
	ackLostStored := 0
	for tok, n := range tokens {
		o, sent := outcomes[tok]
		switch {
		case !sent:
			unacked = append(unacked, tok+": stored but never sent")
		case o == lostAfter:
			ackLostStored++ // stored; its 250 was lost with the connection
		case o != gotOK:
			unacked = append(unacked, fmt.Sprintf("%s: stored (%d) but the client got %s", tok, n, details[tok]))
		}
	}
	exit := s.ExitCode()

	t.Logf("RESULT shutdown (%s): %d senders, SIGTERM after %v and %d messages; %d messages in all: "+
		"%d got 250 (all stored: %v; %d of them under way at the signal), %d got 4yz/421, %d connection errors before the end of data, "+
		"%d after it (%d of them stored: ack lost), %d got 5yz, %d other; %d files in new/, %d in tmp/; "+
		"serve exited %d %v after SIGTERM (--shutdown-timeout %v); %d failed dials",
		sc.name, sc.senders, sc.beforeSig, beforeSignal, len(outcomes), counts[gotOK], len(missing) == 0, underWay,
		counts[got4yz], counts[lostBefore], counts[lostAfter], ackLostStored, counts[got5yz], counts[otherFailure],
		files, len(tmp), exit, stopTime.Round(time.Millisecond), shutdownTimeout, redials.Load())

	assert.Equal(t, 0, exit, "serve's exit code after SIGTERM")
	assert.Less(t, stopTime, shutdownTimeout, "serve must exit within --shutdown-timeout")
	assert.Empty(t, missing, "messages acknowledged with 250 but not stored once")
	assert.Empty(t, unacked, "stored messages whose client did not get 250")
	assert.Empty(t, bad5, "5yz replies during shutdown")
	assert.Empty(t, other, "outcomes other than 250, 4yz or a lost connection")
	assert.Empty(t, bad, "stored files without exactly one token")
	assert.Empty(t, tmp, "tmp/ must be empty after the shutdown")
	assert.Positive(t, counts[gotOK], "no message was delivered before the signal")
	assert.Equal(t, counts[gotOK]+ackLostStored, files, "files in new/")
	assert.Equal(t, files, s.Accepted(), `serve's "accepted" lines`)
}

// classify sorts a Send's outcome; endSent says the end of data ("."
// CRLF) was written on the connection.
func classify(res *client.Result, err error, endSent bool) (outcome, string) {
	if err == nil {
		if res.Reply.Code.IsPositive() && res.Delivered() == 1 {
			return gotOK, ""
		}
		return otherFailure, fmt.Sprintf("no error but reply %v, delivered %d", res.Reply, res.Delivered())
	}
	var re *reply.Error
	var se *client.SendError
	switch {
	case errors.As(err, &se) && se.Reply == nil && len(se.Failed) > 0:
		if se.Failed[0].Reply.Code.IsTransient() {
			return got4yz, err.Error()
		}
		return got5yz, err.Error()
	case errors.As(err, &re):
		if re.Code.IsTransient() {
			return got4yz, err.Error()
		}
		return got5yz, err.Error()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return otherFailure, err.Error()
	case endSent:
		return lostAfter, err.Error()
	}
	return lostBefore, err.Error()
}

// watchDialer dials TCP and wraps the connection in a watchConn, which it
// keeps: one sender, one connection at a time.
type watchDialer struct{ conn *watchConn }

func (d *watchDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.conn = &watchConn{Conn: c}
	return d.conn, nil
}

// watchConn notes whether the end of a message has been written since
// reset, across writes: CRLF "." CRLF after DATA, or the command of the
// last BDAT chunk (RFC 3030 section 2), marked as soon as " LAST" CRLF is
// written although its chunk follows: a message marked too early is only
// given the benefit of the doubt of a lost ack.
type watchConn struct {
	net.Conn
	tail []byte // the last octets written, at most 6
	end  atomic.Bool
}

// endMarks end a message: DATA's end, BDAT's last chunk.
var endMarks = [][]byte{[]byte("\r\n.\r\n"), []byte(" LAST\r\n")}

func (w *watchConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	buf := append(append([]byte(nil), w.tail...), p[:n]...)
	for _, m := range endMarks {
		if bytes.Contains(buf, m) {
			w.end.Store(true)
		}
	}
	w.tail = buf[max(0, len(buf)-6):]
	return n, err
}

func (w *watchConn) reset() {
	if w != nil {
		w.end.Store(false)
	}
}

func (w *watchConn) endSent() bool { return w != nil && w.end.Load() }
