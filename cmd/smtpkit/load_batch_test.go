package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/internal/peers"
	"github.com/smtpkit/smtpkit/state"
)

// roundTrips counts the client's turns in a recorded session: client
// writes that follow a server write.
func roundTrips(tr *state.Transcript) int {
	n, last := 0, state.SideNone
	for _, st := range tr.Steps {
		if st.Kind != state.StepData {
			continue
		}
		if st.Side == state.SideClient && last == state.SideServer {
			n++
		}
		last = st.Side
	}
	return n
}

// TestLoadSmtpSinkOneRoundTrip runs load against Postfix's smtp-sink,
// which offers PIPELINING and not CHUNKING, over one connection through a
// recording proxy: every message is accepted in one round trip (and a few
// for EHLO, the first envelope and QUIT), and the Checker finds no
// violation on either side.
func TestLoadSmtpSinkOneRoundTrip(t *testing.T) {
	const n = 50
	rec := peers.Record(t, peers.Sink(t))
	code, out, errOut := runLoad(t, context.Background(), nil, false, "--server", rec.Addr, "--tls", "off",
		"--connections", "1", "--messages", "50", "--size", "1024", "--json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, int64(n), sum.OK)
	assert.Equal(t, int64(n), sum.Latency.Samples)
	sessions := rec.Sessions(1, 10*time.Second)
	require.Len(t, sessions, 1)
	trips := roundTrips(sessions[0])
	t.Logf("%d round trips for %d messages", trips, n)
	assert.LessOrEqual(t, trips, n+4, "EHLO, the first envelope, one per message, QUIT")
	rec.Check(t, 1, state.CheckerConfig{})
}

// TestLoadBatchTimeout: a server that never answers the end of the data
// fails the message as timed out after --timeout, with the message whose
// envelope went with it.
func TestLoadBatchTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
				say("220 mute.test ESMTP")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch strings.ToUpper(strings.Fields(l + " x")[0]) {
					case "EHLO":
						say("250-mute.test\r\n250 PIPELINING")
					case "MAIL", "RCPT":
						say("250 ok")
					case "DATA":
						say("354 go ahead") // and never a reply to the end
						_, _ = io.Copy(io.Discard, r)
						return
					}
				}
			}()
		}
	}()
	code, out, errOut := runLoad(t, context.Background(), nil, false, "--server", l.Addr().String(), "--tls", "off",
		"--connections", "1", "--messages", "2", "--timeout", "200ms", "--json")
	require.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	sum := decodeLoadJSON(t, out)
	assert.Equal(t, int64(2), sum.Failed)
	require.Len(t, sum.ErrorsByKind, 1, out)
	assert.Equal(t, "timeout", sum.ErrorsByKind[0].Kind)
	assert.Equal(t, int64(2), sum.ErrorsByKind[0].Count)
}

func TestLoadInFlight(t *testing.T) {
	var f loadInFlight
	t0 := time.Unix(100, 0)
	assert.True(t, f.start(t0), "the only one under way")
	assert.False(t, f.start(t0.Add(time.Second)))
	oldest, ok := f.finish(0)
	require.True(t, ok)
	assert.Equal(t, t0.Add(time.Second), oldest)
	assert.False(t, f.start(t0.Add(2*time.Second)))
	oldest, ok = f.finish(2) // reported ahead of message 1
	require.True(t, ok)
	assert.Equal(t, t0.Add(time.Second), oldest)
	_, ok = f.finish(1)
	assert.False(t, ok, "none under way")
	assert.Equal(t, t0.Add(2*time.Second), f.at(2))
	assert.True(t, f.start(t0.Add(3*time.Second)))
}

func TestLoadWatchdog(t *testing.T) {
	run, cancel := context.WithCancel(context.Background())
	w := newLoadWatchdog(run, time.Hour)
	w.arm(time.Now().Add(-2 * time.Hour)) // already past
	<-w.Done()
	assert.ErrorIs(t, w.Err(), context.DeadlineExceeded)
	w.stop()

	w = newLoadWatchdog(run, time.Hour)
	w.arm(time.Now())
	w.disarm()
	assert.NoError(t, w.Err())
	cancel()
	<-w.Done()
	assert.True(t, errors.Is(w.Err(), context.Canceled))
	w.stop()
}
