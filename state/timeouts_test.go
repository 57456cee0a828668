package state

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is an arbitrary fixed instant; no test reads the clock.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestDefaultTimeoutsMatchRFC(t *testing.T) {
	d := DefaultTimeouts()
	// RFC 5321 4.5.3.2.1 to 4.5.3.2.7, typed from the RFC.
	assert.Equal(t, 5*time.Minute, d.Greeting, "4.5.3.2.1 initial 220")
	assert.Equal(t, 5*time.Minute, d.Mail, "4.5.3.2.2 MAIL")
	assert.Equal(t, 5*time.Minute, d.Rcpt, "4.5.3.2.3 RCPT")
	assert.Equal(t, 2*time.Minute, d.DataInit, "4.5.3.2.4 DATA initiation")
	assert.Equal(t, 3*time.Minute, d.DataBlock, "4.5.3.2.5 data block")
	assert.Equal(t, 10*time.Minute, d.DataTermination, "4.5.3.2.6 DATA termination")
	assert.Equal(t, 5*time.Minute, d.ServerIdle, "4.5.3.2.7 server timeout")
	assert.Equal(t, 5*time.Minute, d.Command)
	assert.Equal(t, 30*time.Second, d.TLSHandshake, "tlsmode.DefaultHandshakeTimeout")
	assert.Equal(t, 3*time.Minute, d.RateGrace)
	assert.Zero(t, d.MinDataRate, "no rate floor by default")
	require.NoError(t, d.Validate())
	assert.Empty(t, d.BelowRFC())
	assert.Equal(t, d, Timeouts{}.WithDefaults(), "the zero Timeouts means the defaults")
}

func TestTimeoutsValidate(t *testing.T) {
	tests := []struct {
		name  string
		t     Timeouts
		field string
		value int64
	}{
		{"zero", Timeouts{}, "", 0},
		{"positive", Timeouts{Mail: time.Second, MinDataRate: 100}, "", 0},
		{"negative Greeting", Timeouts{Greeting: -1}, "Greeting", -1},
		{"negative DataBlock", Timeouts{DataBlock: -time.Second}, "DataBlock", -int64(time.Second)},
		{"negative ServerIdle", Timeouts{ServerIdle: -2}, "ServerIdle", -2},
		{"negative RateGrace", Timeouts{RateGrace: -3}, "RateGrace", -3},
		{"negative TLSHandshake", Timeouts{TLSHandshake: -4}, "TLSHandshake", -4},
		{"negative MinDataRate", Timeouts{MinDataRate: -5}, "MinDataRate", -5},
		{"first field wins", Timeouts{Rcpt: -1, DataTermination: -1}, "Rcpt", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			var te *TimeoutError
			require.True(t, errors.As(err, &te), "error %v", err)
			assert.Equal(t, tt.field, te.Field)
			assert.Equal(t, tt.value, te.Value)
			assert.Contains(t, err.Error(), "Timeouts."+tt.field+" is negative")
		})
	}
}

func TestTimeoutsWithDefaults(t *testing.T) {
	got := Timeouts{Mail: time.Second, Rcpt: -time.Second, MinDataRate: -1, DataBlock: time.Minute}.WithDefaults()
	assert.Equal(t, time.Second, got.Mail, "a set field is kept")
	assert.Equal(t, DefaultRcpt, got.Rcpt, "a negative field gets the default")
	assert.Equal(t, time.Minute, got.DataBlock)
	assert.Zero(t, got.MinDataRate, "a negative rate disables the floor")
	assert.Equal(t, DefaultGreeting, got.Greeting)
	assert.Equal(t, DefaultRateGrace, got.RateGrace)
}

func TestTimeoutsBelowRFC(t *testing.T) {
	tm := Timeouts{Greeting: time.Minute, DataTermination: 9 * time.Minute, Command: time.Second,
		TLSHandshake: time.Second, RateGrace: time.Second, ServerIdle: 6 * time.Minute}
	assert.Equal(t, []string{"Greeting", "DataTermination"}, tm.BelowRFC())
}

func TestTimeoutsFor(t *testing.T) {
	custom := Timeouts{Greeting: 1, Mail: 2, Rcpt: 3, DataInit: 4, DataBlock: 5, DataTermination: 6,
		ServerIdle: 7, Command: 8, TLSHandshake: 9}
	tests := []struct {
		stage      Stage
		def, fixed time.Duration
	}{
		{StageNone, 0, 0},
		{StageGreeting, 5 * time.Minute, 1},
		{StageMail, 5 * time.Minute, 2},
		{StageRcpt, 5 * time.Minute, 3},
		{StageData, 2 * time.Minute, 4},
		{StageEndOfData, 10 * time.Minute, 6},
		{StageBDAT, 3 * time.Minute, 5},
		{StageBDATLast, 10 * time.Minute, 6},
		{StageBurl, 3 * time.Minute, 5},
		{StageBurlLast, 10 * time.Minute, 6},
	}
	seen := map[Stage]bool{}
	for _, tt := range tests {
		seen[tt.stage] = true
		assert.Equal(t, tt.def, Timeouts{}.For(tt.stage), "default For(%v)", tt.stage)
		assert.Equal(t, tt.fixed, custom.For(tt.stage), "custom For(%v)", tt.stage)
	}
	for _, s := range Stages() {
		if !seen[s] {
			assert.Equal(t, DefaultCommand, Timeouts{}.For(s), "default For(%v)", s)
			assert.Equal(t, time.Duration(8), custom.For(s), "custom For(%v)", s)
		}
	}
}

func TestTimeoutsDeadlines(t *testing.T) {
	var d Timeouts
	assert.Equal(t, t0.Add(5*time.Minute), d.IdleDeadline(t0))
	assert.Equal(t, t0.Add(30*time.Second), d.HandshakeDeadline(t0))
	assert.Equal(t, t0.Add(2*time.Minute), d.ReplyDeadline(StageData, t0))
	assert.Equal(t, t0.Add(10*time.Minute), d.ReplyDeadline(StageEndOfData, t0))
	assert.True(t, d.ReplyDeadline(StageNone, t0).IsZero())
	c := Timeouts{ServerIdle: time.Minute, TLSHandshake: 10 * time.Second}
	assert.Equal(t, t0.Add(time.Minute), c.IdleDeadline(t0))
	assert.Equal(t, t0.Add(10*time.Second), c.HandshakeDeadline(t0))
}

func TestDataDeadline(t *testing.T) {
	const kib = 1024
	rate := Timeouts{MinDataRate: kib, RateGrace: time.Minute} // DataBlock 3 min
	tests := []struct {
		name     string
		t        Timeouts
		received int64
		now      time.Duration // after t0 (the start of the body)
		want     time.Duration // after t0
	}{
		{"no floor: block only", Timeouts{}, 0, 0, 3 * time.Minute},
		{"no floor: block follows now", Timeouts{}, 10, time.Hour, time.Hour + 3*time.Minute},
		{"start: grace is sooner than a block", rate, 0, 0, time.Minute},
		{"keeping up: block limit", rate, 600 * kib, 10 * time.Second, 10*time.Second + 3*time.Minute},
		{"floor just reached", rate, 120 * kib, time.Minute, 3 * time.Minute},
		{"behind: floor before block", rate, 60 * kib, 90 * time.Second, 2 * time.Minute},
		{"far behind: deadline passed", rate, 10 * kib, 5 * time.Minute, 70 * time.Second},
		{"fraction of a second", rate, 1536, 0, time.Minute + 1500*time.Millisecond},
		{"negative received counts as 0", rate, -100, 0, time.Minute},
		{"rate 3: rounds down to the ns", Timeouts{MinDataRate: 3, RateGrace: time.Second}, 1, 0,
			time.Second + 333333333},
		{"huge body: block wins", rate, 1 << 62, time.Hour, time.Hour + 3*time.Minute},
		{"huge rate: no overflow", Timeouts{MinDataRate: 1 << 62, RateGrace: time.Second}, 1<<62 - 1, 0,
			time.Second + 999999999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.t.DataDeadline(t0, tt.received, t0.Add(tt.now))
			assert.Equal(t, tt.want, got.Sub(t0), "deadline after start")
		})
	}
}

// TestDataDeadlineSlowLoris feeds a body in bursts just before each block
// limit. Below the rate floor the block limit alone would never fire, the
// floor must; above it the body is never cut off.
func TestDataDeadlineSlowLoris(t *testing.T) {
	tm := Timeouts{MinDataRate: 1, RateGrace: time.Hour}
	step := DefaultDataBlock - time.Second // 179 s: the block limit never fires
	// trickle sends burst octets every step and reports after how many steps
	// it was cut off (-1: never, within 1000 steps), the octets received by
	// then, and the deadline that cut it off.
	trickle := func(tm Timeouts, burst int64) (int, int64, time.Time) {
		now, received := t0, int64(0)
		for i := range 1000 {
			deadline := tm.DataDeadline(t0, received, now)
			require.False(t, deadline.After(now.Add(DefaultDataBlock)), "beyond the block limit")
			next := now.Add(step)
			if next.After(deadline) {
				return i, received, deadline
			}
			now, received = next, received+burst
		}
		return -1, received, time.Time{}
	}

	// 150 octets per 179 s is below 1 octet/s: the floor, one hour of grace
	// plus one second per octet, is overtaken after 118 steps:
	// 179*(i+1) > 3600 + 150*i first holds for i = 118.
	steps, received, deadline := trickle(tm, 150)
	assert.Equal(t, 118, steps)
	assert.Equal(t, int64(118*150), received)
	assert.Equal(t, t0.Add(time.Hour+time.Duration(received)*time.Second), deadline)

	// 200 octets per 179 s keeps above the floor.
	steps, _, _ = trickle(tm, 200)
	assert.Equal(t, -1, steps)

	// Without the floor the slow trickle is never cut off.
	tm.MinDataRate = 0
	steps, _, _ = trickle(tm, 150)
	assert.Equal(t, -1, steps)
}

func TestRateDuration(t *testing.T) {
	tests := []struct {
		n, rate int64
		want    time.Duration
	}{
		{0, 1, 0},
		{-1, 1, 0},
		{1, 1, time.Second},
		{1, 2, 500 * time.Millisecond},
		{2, 3, 666666666},
		{10, 1, 10 * time.Second},
		{1 << 62, 1, maxDuration},
		{int64(maxDuration/time.Second) - 1, 1, time.Duration(int64(maxDuration/time.Second)-1) * time.Second},
		{1<<63 - 1, 1 << 62, time.Second + 999999999},
		{1<<62 + 1<<61, 1 << 62, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rateDuration(tt.n, tt.rate), "rateDuration(%d, %d)", tt.n, tt.rate)
	}
}

func TestTimeoutsAllocs(t *testing.T) {
	tm := Timeouts{MinDataRate: 500, DataBlock: time.Minute}
	var sink time.Time
	allocs := testing.AllocsPerRun(100, func() {
		sink = tm.DataDeadline(t0, 4096, t0.Add(time.Second))
		sink = sink.Add(tm.For(StageRcpt))
		sink = tm.IdleDeadline(sink)
		sink = tm.ReplyDeadline(StageEndOfData, sink)
	})
	assert.Zero(t, allocs)
	assert.False(t, sink.IsZero())
}
