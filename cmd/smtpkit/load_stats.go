package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// The latency histogram is log-linear: values below 2*loadHistSub
// nanoseconds have a bucket each, and every power of two above is split
// into loadHistSub equal buckets. A bucket's width is then less than
// 1/loadHistSub of its lower bound, which bounds the relative error of a
// percentile (see loadHistogram.percentile).
const (
	loadHistSubBits = 8
	loadHistSub     = 1 << loadHistSubBits
	// loadHistBuckets covers every non-negative int64: a value of 63
	// significant bits has shift 63-loadHistSubBits-1 and an index below
	// loadHistSub*(shift+2).
	loadHistBuckets = loadHistSub * (63 - loadHistSubBits + 1)
)

// loadLatencyError is the bound on the relative error of the percentiles a
// loadHistogram reports: the reported value v' of a true value v has
// v <= v' < v*(1+loadLatencyError).
const loadLatencyError = 1.0 / loadHistSub

// loadHistIndex returns the bucket of v nanoseconds.
func loadHistIndex(v uint64) int {
	if v < 2*loadHistSub {
		return int(v)
	}
	shift := bits.Len64(v) - loadHistSubBits - 1
	return loadHistSub*shift + int(v>>shift)
}

// loadHistBounds returns the smallest and the largest value of bucket i.
func loadHistBounds(i int) (lo, hi uint64) {
	if i < 2*loadHistSub {
		return uint64(i), uint64(i)
	}
	shift := i/loadHistSub - 1
	m := uint64(i - loadHistSub*shift)
	return m << shift, (m+1)<<shift - 1
}

// loadHistogram records latencies in a fixed number of buckets (about
// 115 KiB, whatever the number of messages). It is safe for concurrent
// use: every field is updated atomically, and a load run shares one
// between its workers. Its readings are exact once recording has ended;
// the summary reads it after the workers are done.
type loadHistogram struct {
	counts   [loadHistBuckets]atomic.Uint64
	n, sum   atomic.Uint64
	min, max atomic.Uint64
}

// newLoadHistogram returns an empty histogram.
func newLoadHistogram() *loadHistogram {
	h := new(loadHistogram)
	h.min.Store(math.MaxUint64)
	return h
}

// record adds one latency; a negative one counts as zero.
func (h *loadHistogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[loadHistIndex(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	// Each failed CompareAndSwap means another worker moved the bound
	// towards v, so the loops end after at most one try per worker.
	for cur := h.max.Load(); v > cur && !h.max.CompareAndSwap(cur, v); cur = h.max.Load() {
	}
	for cur := h.min.Load(); v < cur && !h.min.CompareAndSwap(cur, v); cur = h.min.Load() {
	}
}

// count returns the number of latencies recorded.
func (h *loadHistogram) count() uint64 { return h.n.Load() }

// minimum returns the smallest latency recorded, exactly; 0 without one.
func (h *loadHistogram) minimum() time.Duration {
	if h.n.Load() == 0 {
		return 0
	}
	return time.Duration(h.min.Load())
}

// maximum returns the largest latency recorded, exactly; 0 without one.
func (h *loadHistogram) maximum() time.Duration { return time.Duration(h.max.Load()) }

// mean returns the mean latency, exact to the nanosecond; 0 without one.
func (h *loadHistogram) mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// percentile returns the p-th percentile (0 to 100) by the nearest-rank
// definition: the smallest recorded value that at least p percent of the
// values are less than or equal to. p is rounded to hundredths (p99.9
// works). The answer is the upper bound of the bucket holding that value,
// capped at the maximum: never below the exact percentile and less than
// loadLatencyError (1/256, 0.4%) above it; below 512ns it is exact. It is
// 0 without a latency.
func (h *loadHistogram) percentile(p float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := loadRank(p, n)
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		if cum >= rank {
			_, hi := loadHistBounds(i)
			return time.Duration(min(hi, h.max.Load()))
		}
	}
	return h.maximum()
}

// loadRank returns the 1-based nearest rank of the p-th percentile among
// n values: ceil(p/100*n), at least 1 and at most n. It computes in
// integers (p in hundredths of a percent, a 128-bit product) so that, say,
// p99 of 200 values is rank 198 and not 199 by a rounding error.
func loadRank(p float64, n uint64) uint64 {
	bp := uint64(math.Round(min(max(p, 0), 100) * 100)) // 0 to 10000
	hi, lo := bits.Mul64(bp, n)
	lo, carry := bits.Add64(lo, 10000-1, 0)
	q, _ := bits.Div64(hi+carry, lo, 10000) // hi+carry < 10000 since bp <= 10000
	return min(max(q, 1), n)
}

// loadErrKind is what went wrong, for the errors a negative reply does
// not explain; those are grouped by their reply code instead. The zero
// value means none.
type loadErrKind uint8

const (
	loadErrNone     loadErrKind = iota
	loadErrReply                // a negative reply: grouped by code
	loadErrConnect              // the TCP connect failed
	loadErrTLS                  // the TLS handshake or certificate failed
	loadErrAuth                 // authentication failed without a reply code
	loadErrTimeout              // a reply or the --timeout did not come in time
	loadErrIO                   // the connection broke
	loadErrSize                 // the message is larger than the server's SIZE
	loadErrAddress              // an address cannot be sent to this server
	loadErrConfig               // the options contradict each other
	loadErrCanceled             // the run was interrupted
)

var loadErrKindNames = [...]string{
	loadErrNone:     "",
	loadErrReply:    "reply",
	loadErrConnect:  "connect",
	loadErrTLS:      "tls",
	loadErrAuth:     "auth",
	loadErrTimeout:  "timeout",
	loadErrIO:       "io",
	loadErrSize:     "size",
	loadErrAddress:  "address",
	loadErrConfig:   "config",
	loadErrCanceled: "canceled",
}

// String returns the kind's name as the summary shows it.
func (k loadErrKind) String() string {
	if int(k) < len(loadErrKindNames) {
		return loadErrKindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// loadErrKey is the group an error is counted in: its reply code and
// enhanced status code (RFC 5321 section 4.2, RFC 3463) when a reply
// refused something, its kind otherwise.
type loadErrKey struct {
	kind     loadErrKind
	code     reply.Code
	enhanced reply.Enhanced
}

// String returns "452 4.5.3" for a reply (the code alone when the reply
// had no enhanced code) and the kind's name otherwise.
func (k loadErrKey) String() string {
	if k.kind != loadErrReply {
		return k.kind.String()
	}
	if k.enhanced.IsZero() {
		return k.code.String()
	}
	return k.code.String() + " " + k.enhanced.String()
}

// loadReplyKey returns the group of a negative reply.
func loadReplyKey(r reply.Reply) loadErrKey {
	return loadErrKey{kind: loadErrReply, code: r.Code, enhanced: r.Enhanced}
}

// classifyLoadError puts an error of client.Dial or Client.Send in its
// group. A refused message counts once, under the reply that failed it
// whole (to MAIL, DATA or the end of data) or else under its first
// refused recipient's reply. Replies refusing the opening (a 554
// greeting, 535 to AUTH) are grouped by code as well; a 421 that closed
// the session too (RFC 5321 section 3.8).
func classifyLoadError(err error) loadErrKey {
	var (
		sizeErr   *client.SizeError
		addrErr   *client.AddressError
		sendErr   *client.SendError
		replyErr  *reply.Error
		verifyErr *tlsmode.VerifyError
		mismatch  *tlsmode.MismatchError
		tlsConfig *tlsmode.ConfigError
		clientErr *client.Error
		netErr    net.Error
	)
	switch {
	case err == nil:
		return loadErrKey{}
	case errors.Is(err, context.Canceled):
		return loadErrKey{kind: loadErrCanceled}
	case errors.As(err, &sizeErr):
		return loadErrKey{kind: loadErrSize}
	case errors.As(err, &addrErr):
		return loadErrKey{kind: loadErrAddress}
	case errors.As(err, &sendErr) && sendErr.Reply != nil:
		return loadReplyKey(sendErr.Reply.Reply)
	case sendErr != nil && len(sendErr.Failed) > 0:
		return loadReplyKey(sendErr.Failed[0].Reply)
	case errors.As(err, &replyErr):
		return loadReplyKey(replyErr.Reply)
	case errors.As(err, &tlsConfig):
		return loadErrKey{kind: loadErrConfig}
	case errors.As(err, &verifyErr) || errors.As(err, &mismatch):
		return loadErrKey{kind: loadErrTLS}
	}
	if errors.As(err, &clientErr) {
		switch clientErr.Op {
		case "dial":
			return loadErrKey{kind: loadErrConnect}
		case "config":
			return loadErrKey{kind: loadErrConfig}
		case "tls", "starttls":
			return loadErrKey{kind: loadErrTLS}
		case "auth":
			return loadErrKey{kind: loadErrAuth}
		}
	}
	if errors.Is(err, state.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &netErr) && netErr.Timeout() {
		return loadErrKey{kind: loadErrTimeout}
	}
	return loadErrKey{kind: loadErrIO}
}

// loadErrExampleLen bounds the example error text kept per group.
const loadErrExampleLen = 300

// loadErrGroup is the count of one group and the text of its first error.
type loadErrGroup struct {
	key     loadErrKey
	count   int64
	example string
}

// loadErrTally counts errors by group. It is safe for concurrent use.
type loadErrTally struct {
	mu     sync.Mutex
	groups map[loadErrKey]*loadErrGroup
}

// add counts err in its group and returns the group's key.
func (t *loadErrTally) add(err error) loadErrKey {
	key := classifyLoadError(err)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groups == nil {
		t.groups = make(map[loadErrKey]*loadErrGroup)
	}
	g := t.groups[key]
	if g == nil {
		g = &loadErrGroup{key: key, example: loadOneLine(err.Error(), loadErrExampleLen)}
		t.groups[key] = g
	}
	g.count++
	return key
}

// sorted returns a copy of the groups, the most frequent first, ties in
// the order of their names.
func (t *loadErrTally) sorted() []loadErrGroup {
	t.mu.Lock()
	out := make([]loadErrGroup, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, *g)
	}
	t.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].key.String() < out[j].key.String()
	})
	return out
}

// loadOneLine folds the lines of s (multi-line replies) into one and cuts it
// to at most limit bytes, on a rune boundary, with "..." when cut.
func loadOneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	cut := limit - len("...")
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}

// loadStats are the counters a load run's workers share; every field is
// safe for concurrent use.
type loadStats struct {
	sent, ok, failed   atomic.Int64 // messages whose transaction ended
	okBytes            atomic.Int64 // octets of the accepted messages
	opened, connFailed atomic.Int64 // connections made and failed
	latency            *loadHistogram
	errs               loadErrTally
}

// newLoadStats returns zeroed counters.
func newLoadStats() *loadStats { return &loadStats{latency: newLoadHistogram()} }

// Why a run stopped.
const (
	loadStopMessages    = "messages"    // every planned message was sent
	loadStopDuration    = "duration"    // --duration passed
	loadStopInterrupt   = "interrupt"   // the context was cancelled (SIGINT)
	loadStopConnections = "connections" // every worker failed to connect
)

// loadSummary is what a run did, as the text summary and --json show it.
// Rates count accepted messages and their octets over the elapsed time.
type loadSummary struct {
	Server            string           `json:"server"`
	Connections       int              `json:"connections"`
	Reuse             bool             `json:"reuse"`
	Planned           int64            `json:"planned"`
	MessageBytes      int              `json:"message_bytes"`
	BodyBytes         int              `json:"body_bytes"`
	Sent              int64            `json:"sent"`
	OK                int64            `json:"ok"`
	Failed            int64            `json:"failed"`
	Unsent            int64            `json:"unsent"`
	ConnectionsOpened int64            `json:"connections_opened"`
	ConnectionsFailed int64            `json:"connections_failed"`
	ElapsedSeconds    float64          `json:"elapsed_seconds"`
	MessagesPerSecond float64          `json:"messages_per_second"`
	BytesPerSecond    float64          `json:"bytes_per_second"`
	Latency           loadLatency      `json:"latency"`
	Errors            int64            `json:"errors"`
	ErrorsByCode      []loadErrorCount `json:"errors_by_code"`
	ErrorsByKind      []loadErrorCount `json:"errors_by_kind"`
	StoppedBy         string           `json:"stopped_by"`

	elapsed time.Duration
	lat     [6]time.Duration // min, mean, p50, p90, p99, max
}

// loadLatency is the latency of the accepted messages in milliseconds.
// The percentiles are within RelativeError above the exact ones (see
// loadHistogram.percentile); Min, Mean and Max are exact.
type loadLatency struct {
	Samples       int64   `json:"samples"`
	Min           float64 `json:"min_ms"`
	Mean          float64 `json:"mean_ms"`
	P50           float64 `json:"p50_ms"`
	P90           float64 `json:"p90_ms"`
	P99           float64 `json:"p99_ms"`
	Max           float64 `json:"max_ms"`
	RelativeError float64 `json:"relative_error"`
}

// loadErrorCount is one error group: Code for replies, Kind otherwise,
// with the text of its first error.
type loadErrorCount struct {
	Code    string `json:"code,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Count   int64  `json:"count"`
	Example string `json:"example"`
}

// summary reads the counters after the workers have stopped.
func (r *loadRun) summary(ctx context.Context) *loadSummary {
	st := r.stats
	s := &loadSummary{
		Server:            r.addr,
		Connections:       r.workers,
		Reuse:             r.reuse,
		Planned:           r.planned,
		MessageBytes:      r.tmpl.size(),
		BodyBytes:         len(r.tmpl.body),
		Sent:              st.sent.Load(),
		OK:                st.ok.Load(),
		Failed:            st.failed.Load(),
		ConnectionsOpened: st.opened.Load(),
		ConnectionsFailed: st.connFailed.Load(),
		elapsed:           r.elapsed,
		ElapsedSeconds:    r.elapsed.Seconds(),
		ErrorsByCode:      []loadErrorCount{},
		ErrorsByKind:      []loadErrorCount{},
	}
	s.Unsent = s.Planned - s.Sent
	if secs := r.elapsed.Seconds(); secs > 0 {
		s.MessagesPerSecond = float64(s.OK) / secs
		s.BytesPerSecond = float64(st.okBytes.Load()) / secs
	}
	switch {
	case s.Unsent == 0:
		s.StoppedBy = loadStopMessages
	case r.timeUp.Load():
		s.StoppedBy = loadStopDuration
	case ctx.Err() != nil:
		s.StoppedBy = loadStopInterrupt
	default:
		s.StoppedBy = loadStopConnections
	}
	h := st.latency
	s.lat = [6]time.Duration{h.minimum(), h.mean(), h.percentile(50), h.percentile(90), h.percentile(99), h.maximum()}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	s.Latency = loadLatency{
		Samples: int64(h.count()),
		Min:     ms(s.lat[0]), Mean: ms(s.lat[1]), P50: ms(s.lat[2]), P90: ms(s.lat[3]), P99: ms(s.lat[4]), Max: ms(s.lat[5]),
		RelativeError: loadLatencyError,
	}
	for _, g := range st.errs.sorted() {
		s.Errors += g.count
		if g.key.kind == loadErrReply {
			s.ErrorsByCode = append(s.ErrorsByCode, loadErrorCount{Code: g.key.String(), Count: g.count, Example: g.example})
		} else {
			s.ErrorsByKind = append(s.ErrorsByKind, loadErrorCount{Kind: g.key.String(), Count: g.count, Example: g.example})
		}
	}
	return s
}

// firstConnectError returns the example of the most frequent error of the
// connection attempts, for the message when none succeeded.
func (s *loadSummary) firstConnectError() string {
	for _, list := range [][]loadErrorCount{s.ErrorsByKind, s.ErrorsByCode} {
		if len(list) > 0 {
			return list[0].Example
		}
	}
	return "no error recorded"
}

// writeLoadJSON prints s as one JSON object on one line.
func writeLoadJSON(w io.Writer, s *loadSummary) error {
	return json.NewEncoder(w).Encode(s)
}

// writeLoadText prints s for people.
func writeLoadText(w io.Writer, s *loadSummary) error {
	var b strings.Builder
	reuse := "each reused for many messages"
	if !s.Reuse {
		reuse = "a new one per message"
	}
	fmt.Fprintf(&b, "server:      %s, %d connections, %s\n", s.Server, s.Connections, reuse)
	fmt.Fprintf(&b, "messages:    %d sent, %d ok, %d failed, %d not sent (of %d; %d octets each, a %d-octet body)\n",
		s.Sent, s.OK, s.Failed, s.Unsent, s.Planned, s.MessageBytes, s.BodyBytes)
	fmt.Fprintf(&b, "connections: %d opened, %d failed\n", s.ConnectionsOpened, s.ConnectionsFailed)
	fmt.Fprintf(&b, "elapsed:     %s\n", s.elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput:  %.1f msgs/s, %s/s (accepted messages)\n", s.MessagesPerSecond, loadBytes(s.BytesPerSecond))
	if s.Latency.Samples == 0 {
		fmt.Fprintf(&b, "latency:     no message accepted\n")
	} else {
		r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
		fmt.Fprintf(&b, "latency:     p50 %s, p90 %s, p99 %s, max %s (min %s, mean %s; %d messages; percentiles within %.1f%%)\n",
			r(s.lat[2]), r(s.lat[3]), r(s.lat[4]), r(s.lat[5]), r(s.lat[0]), r(s.lat[1]), s.Latency.Samples, 100*loadLatencyError)
	}
	switch s.StoppedBy {
	case loadStopDuration:
		fmt.Fprintf(&b, "stopped:     --duration passed\n")
	case loadStopInterrupt:
		fmt.Fprintf(&b, "stopped:     interrupted\n")
	case loadStopConnections:
		fmt.Fprintf(&b, "stopped:     every connection failed\n")
	}
	fmt.Fprintf(&b, "errors:      %d\n", s.Errors)
	for _, sec := range []struct {
		title string
		list  []loadErrorCount
	}{{"by reply code", s.ErrorsByCode}, {"by kind", s.ErrorsByKind}} {
		if len(sec.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n", sec.title)
		for _, e := range sec.list {
			fmt.Fprintf(&b, "    %s: %d (%s)\n", e.Code+e.Kind, e.Count, e.Example)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// loadBytes formats a number of octets with a binary unit.
func loadBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for ; n >= 1024 && i < len(units)-1; i++ {
		n /= 1024
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
