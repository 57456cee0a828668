package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestLoadHistBuckets(t *testing.T) {
	// Every bucket starts where the previous one ended, the first at 0 and
	// the last at the largest int64: the buckets partition the range.
	next := uint64(0)
	for i := range loadHistBuckets {
		lo, hi := loadHistBounds(i)
		require.Equal(t, next, lo, "bucket %d", i)
		require.GreaterOrEqual(t, hi, lo, "bucket %d", i)
		if i >= 2*loadHistSub {
			require.Less(t, hi-lo, lo/loadHistSub, "bucket %d is narrower than 1/256 of its start", i)
		} else {
			require.Equal(t, lo, hi, "bucket %d below 512ns is exact", i)
		}
		next = hi + 1
	}
	assert.Equal(t, uint64(math.MaxInt64), next-1)

	for _, v := range []uint64{0, 1, 255, 256, 511, 512, 513, 1023, 1024, 1025, 1e6, 1e9 + 7, 1 << 40, math.MaxInt64 - 1, math.MaxInt64} {
		i := loadHistIndex(v)
		require.Less(t, i, loadHistBuckets, "v=%d", v)
		lo, hi := loadHistBounds(i)
		assert.LessOrEqual(t, lo, v, "v=%d", v)
		assert.GreaterOrEqual(t, hi, v, "v=%d", v)
	}
}

func TestLoadRank(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		n    uint64
		want uint64
	}{
		{50, 200, 100},
		{90, 200, 180},
		{99, 200, 198}, // 0.99*200 is 198.00000000000003 in floating point
		{100, 200, 200},
		{0, 200, 1},
		{50, 1, 1},
		{99, 1, 1},
		{50, 3, 2},
		{33.33, 3, 1},
		{99.9, 1000, 999},
		{99.99, 10000, 9999},
		{-5, 10, 1},
		{150, 10, 10},
		{50, 1 << 62, 1 << 61},
		{100, math.MaxUint64, math.MaxUint64},
	} {
		assert.Equal(t, tc.want, loadRank(tc.p, tc.n), "p%v of %d", tc.p, tc.n)
	}
}

// exactPercentile is the nearest-rank percentile of sorted values.
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[loadRank(p, uint64(len(sorted)))-1]
}

func TestLoadPercentiles(t *testing.T) {
	seq := func(from, to, step time.Duration) []time.Duration {
		var out []time.Duration
		for d := from; d <= to; d += step {
			out = append(out, d)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		values []time.Duration
		p      float64
		want   time.Duration // exact: values below 512ns, or a bucket's upper bound
	}{
		{"one value", []time.Duration{7}, 50, 7},
		{"1..100 p50", seq(1, 100, 1), 50, 50},
		{"1..100 p90", seq(1, 100, 1), 90, 90},
		{"1..100 p99", seq(1, 100, 1), 99, 99},
		{"1..100 p100", seq(1, 100, 1), 100, 100},
		{"1..100 p0", seq(1, 100, 1), 0, 1},
		{"1..10 p99 takes the top", seq(1, 10, 1), 99, 10},
		{"1..10 p50", seq(1, 10, 1), 50, 5},
		{"order does not matter", []time.Duration{300, 5, 200, 100, 400}, 50, 200},
		{"ties", []time.Duration{3, 3, 3, 9}, 75, 3},
		{"negative counts as 0", []time.Duration{-5, 10}, 50, 0},
		// 1ms = 1_000_000ns lies in bucket [999424, 1001471], 2^11 wide.
		{"1ms is reported as its bucket's top", []time.Duration{time.Millisecond, 2 * time.Millisecond}, 50, 1001471},
		{"capped at the maximum", []time.Duration{time.Millisecond}, 99, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLoadHistogram()
			for _, v := range tc.values {
				h.record(v)
			}
			assert.Equal(t, tc.want, h.percentile(tc.p))
			assert.Equal(t, uint64(len(tc.values)), h.count())
		})
	}
}

func TestLoadHistogramAgainstExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newLoadHistogram()
	var values []time.Duration
	var sum time.Duration
	for range 5000 {
		// Log-uniform from 10µs to about 10s, where latencies live.
		v := time.Duration(math.Exp(rng.Float64()*math.Log(1e6)) * 1e4)
		values = append(values, v)
		sum += v
		h.record(v)
	}
	slices.Sort(values)
	for _, p := range []float64{0, 1, 10, 25, 50, 75, 90, 99, 99.9, 100} {
		exact := exactPercentile(values, p)
		got := h.percentile(p)
		assert.GreaterOrEqual(t, got, exact, "p%v", p)
		assert.Less(t, float64(got), float64(exact)*(1+loadLatencyError), "p%v within 1/256", p)
	}
	assert.Equal(t, values[0], h.minimum())
	assert.Equal(t, values[len(values)-1], h.maximum())
	assert.Equal(t, sum/time.Duration(len(values)), h.mean())
}

func TestLoadHistogramEmptyAndConcurrent(t *testing.T) {
	h := newLoadHistogram()
	assert.Zero(t, h.percentile(50))
	assert.Zero(t, h.minimum())
	assert.Zero(t, h.maximum())
	assert.Zero(t, h.mean())

	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.record(time.Duration(w*1000 + i + 1))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, uint64(8000), h.count())
	assert.Equal(t, time.Duration(1), h.minimum())
	assert.Equal(t, time.Duration(8000), h.maximum())
	assert.Equal(t, time.Duration(4000), h.mean()) // (1+8000)/2 rounded down
	p50 := h.percentile(50)
	assert.GreaterOrEqual(t, p50, time.Duration(4000))
	assert.Less(t, float64(p50), 4000*(1+loadLatencyError))
}

func TestClassifyLoadError(t *testing.T) {
	r451 := &reply.Error{Reply: reply.Reply{Code: 451, Enhanced: reply.E(4, 3, 0), Text: "try later"}, Command: "DATA"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"whole message refused", &client.SendError{Reply: r451}, "451 4.3.0"},
		{"whole message refused, wrapped", fmt.Errorf("x: %w", &client.SendError{Reply: r451}), "451 4.3.0"},
		{"first refused recipient", &client.SendError{Failed: []client.RcptResult{
			{Addr: "b@example.net", Reply: reply.Reply{Code: 452, Enhanced: reply.E(4, 5, 3)}},
			{Addr: "c@example.net", Reply: reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1)}},
		}}, "452 4.5.3"},
		{"AUTH refused", &client.Error{Op: "auth", Err: &reply.Error{Reply: reply.Reply{Code: 535, Enhanced: reply.E(5, 7, 8)}}}, "535 5.7.8"},
		{"421 without enhanced code", &client.Error{Op: "send", Err: fmt.Errorf("%w: %w", state.ErrClosed, &reply.Error{Reply: reply.Reply{Code: 421}})}, "421"},
		{"greeting refused", &client.Error{Op: "greeting", Err: &reply.Error{Reply: reply.Reply{Code: 554, Enhanced: reply.E(5, 7, 1)}}}, "554 5.7.1"},
		{"SIZE", &client.Error{Op: "send", Err: &client.SizeError{Size: 2000, Max: 1000}}, "size"},
		{"SIZE bare", &client.SizeError{Size: 2000, Max: 1000}, "size"},
		{"address", &client.AddressError{Addr: "ü@example.org", Recipient: 0, Err: client.ErrNeedsSMTPUTF8}, "address"},
		{"connection refused", &client.Error{Op: "dial", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, "connect"},
		{"connect timeout is a connect error", &client.Error{Op: "dial", Err: context.DeadlineExceeded}, "connect"},
		{"certificate", &client.Error{Op: "tls", Err: &tlsmode.VerifyError{Host: "mx.example", Err: errors.New("unknown authority")}}, "tls"},
		{"mode mismatch", &client.Error{Op: "greeting", Err: &tlsmode.MismatchError{Err: tlsmode.ErrPlaintextGreeting}}, "tls"},
		{"STARTTLS not offered", &client.Error{Op: "starttls", Err: tlsmode.ErrSTARTTLSNotOffered}, "tls"},
		{"AUTH not offered", &client.Error{Op: "auth", Err: client.ErrAuthNotOffered}, "auth"},
		{"options", &client.Error{Op: "config", Err: errors.New("bad option")}, "config"},
		{"TLS configuration", &client.Error{Op: "config", Err: &tlsmode.ConfigError{Port: 465, Problem: "STARTTLS on 465"}}, "config"},
		{"reply timeout", &client.Error{Op: "read", Err: fmt.Errorf("%w: DATA", state.ErrTimeout)}, "timeout"},
		{"--timeout", &client.Error{Op: "read", Err: errors.Join(context.DeadlineExceeded, errors.New("i/o timeout"))}, "timeout"},
		{"net timeout", &net.OpError{Op: "read", Err: &timeoutErr{}}, "timeout"},
		{"interrupted", &client.Error{Op: "read", Err: errors.Join(context.Canceled, errors.New("i/o timeout"))}, "canceled"},
		{"lost connection", &client.Error{Op: "send", Err: fmt.Errorf("%w: the server closed the connection without 421", state.ErrClosed)}, "io"},
		{"EOF", io.ErrUnexpectedEOF, "io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, classifyLoadError(tc.err).String())
		})
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (*timeoutErr) Error() string   { return "i/o timeout" }
func (*timeoutErr) Timeout() bool   { return true }
func (*timeoutErr) Temporary() bool { return true }

func TestLoadErrKindNames(t *testing.T) {
	for k := loadErrReply; k <= loadErrCanceled; k++ {
		assert.NotEmpty(t, k.String(), "kind %d", k)
	}
	assert.Equal(t, "", loadErrNone.String())
	assert.Equal(t, "kind(99)", loadErrKind(99).String())
}

func TestLoadErrTally(t *testing.T) {
	refused := func(code reply.Code, e reply.Enhanced, text string) error {
		return &client.SendError{Reply: &reply.Error{Reply: reply.Reply{Code: code, Enhanced: e, Text: text}}}
	}
	var tally loadErrTally
	assert.Empty(t, tally.sorted())
	errs := []error{
		refused(451, reply.E(4, 3, 0), "first\nsecond line"),
		&client.Error{Op: "dial", Err: errors.New("refused")},
		refused(451, reply.E(4, 3, 0), "later"),
		refused(550, reply.E(5, 7, 1), "no"),
		refused(451, reply.E(4, 3, 0), "later still"),
		&client.Error{Op: "dial", Err: errors.New("refused again")},
		&client.SizeError{Size: 10, Max: 5},
	}
	var wg sync.WaitGroup
	for _, err := range errs[1:] {
		wg.Go(func() { tally.add(err) })
	}
	wg.Wait()
	tally.add(errs[0])

	got := tally.sorted()
	var names []string
	var counts []int64
	for _, g := range got {
		names = append(names, g.key.String())
		counts = append(counts, g.count)
	}
	assert.Equal(t, []string{"451 4.3.0", "connect", "550 5.7.1", "size"}, names, "most frequent first, ties by name")
	assert.Equal(t, []int64{3, 2, 1, 1}, counts)
	assert.NotContains(t, got[0].example, "\n", "the example is one line")
	assert.Contains(t, got[3].example, "SIZE")
}

func TestLoadOneLine(t *testing.T) {
	assert.Equal(t, "a b c", loadOneLine("a\nb\r\n  c ", 100))
	assert.Equal(t, "abcdefg...", loadOneLine("abcdefghijklmnop", 10))
	assert.Equal(t, "short", loadOneLine("short", 5))
	cut := loadOneLine("ab"+strings.Repeat("é", 10), 8) // é is 2 octets: "ab" + é + é would end at 6, the third é at 8
	assert.Equal(t, "abé...", cut)
	assert.LessOrEqual(t, len(cut), 8)
}

func TestLoadBytes(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{3 << 20, "3.0 MiB"},
		{5 << 30, "5.0 GiB"},
		{5 << 40, "5120.0 GiB"},
	} {
		assert.Equal(t, tc.want, loadBytes(tc.n), "%v", tc.n)
	}
}

func TestWriteLoadText(t *testing.T) {
	s := &loadSummary{
		Server: "127.0.0.1:2525", Connections: 2, Reuse: true, Planned: 10,
		MessageBytes: 1300, BodyBytes: 1024, Sent: 8, OK: 5, Failed: 3, Unsent: 2,
		ConnectionsOpened: 2, ConnectionsFailed: 1,
		elapsed: 1500 * time.Millisecond, MessagesPerSecond: 5 / 1.5, BytesPerSecond: 5 * 1300 / 1.5,
		Latency: loadLatency{Samples: 5},
		lat:     [6]time.Duration{time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond},
		Errors:  4, StoppedBy: loadStopDuration,
		ErrorsByCode: []loadErrorCount{{Code: "451 4.3.0", Count: 3, Example: "smtp send: 451 4.3.0 try later"}},
		ErrorsByKind: []loadErrorCount{{Kind: "connect", Count: 1, Example: "smtp dial: refused"}},
	}
	var b strings.Builder
	require.NoError(t, writeLoadText(&b, s))
	assert.Equal(t, `server:      127.0.0.1:2525, 2 connections, each reused for many messages
messages:    8 sent, 5 ok, 3 failed, 2 not sent (of 10; 1300 octets each, a 1024-octet body)
connections: 2 opened, 1 failed
elapsed:     1.5s
throughput:  3.3 msgs/s, 4.2 KiB/s (accepted messages)
latency:     p50 2ms, p90 3ms, p99 4ms, max 4ms (min 1ms, mean 2ms; 5 messages; percentiles within 0.4%)
stopped:     --duration passed
errors:      4
  by reply code:
    451 4.3.0: 3 (smtp send: 451 4.3.0 try later)
  by kind:
    connect: 1 (smtp dial: refused)
`, b.String())
}
