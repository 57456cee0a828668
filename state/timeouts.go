package state

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/smtpkit/smtpkit/tlsmode"
)

// Default timeouts: the minimum per-command values of RFC 5321 section
// 4.5.3.2, which an SMTP client and server SHOULD use.
const (
	DefaultGreeting        = 5 * time.Minute  // RFC 5321 4.5.3.2.1, initial 220 message
	DefaultMail            = 5 * time.Minute  // RFC 5321 4.5.3.2.2, MAIL command
	DefaultRcpt            = 5 * time.Minute  // RFC 5321 4.5.3.2.3, RCPT command
	DefaultDataInit        = 2 * time.Minute  // RFC 5321 4.5.3.2.4, DATA initiation
	DefaultDataBlock       = 3 * time.Minute  // RFC 5321 4.5.3.2.5, data block
	DefaultDataTermination = 10 * time.Minute // RFC 5321 4.5.3.2.6, DATA termination
	DefaultServerIdle      = 5 * time.Minute  // RFC 5321 4.5.3.2.7, server timeout
	// DefaultCommand is the client's wait for the reply to any other
	// command. RFC 5321 4.5.3.2 sets "a timer ... for each SMTP command" but
	// gives values only for MAIL, RCPT and DATA; the MAIL value is used.
	DefaultCommand = 5 * time.Minute
	// DefaultTLSHandshake bounds a TLS handshake. RFC 3207 gives no value;
	// it is the tlsmode drivers' bound, so the machine and driver agree.
	DefaultTLSHandshake = tlsmode.DefaultHandshakeTimeout
	// DefaultRateGrace is how long a body may take before the minimum data
	// rate applies: one data block.
	DefaultRateGrace = DefaultDataBlock
)

// maxDuration is the largest time.Duration.
const maxDuration = time.Duration(1<<63 - 1)

// Timeouts holds the per-command timeouts of RFC 5321 section 4.5.3.2 and a
// minimum data rate for message bodies. A zero field means its default
// (DefaultTimeouts); MinDataRate zero means no rate floor. The helpers never
// read the clock: the caller passes the time in. A Timeouts is a plain value,
// safe to copy and to share between goroutines.
type Timeouts struct {
	// Greeting is how long a client waits for the 220 greeting.
	Greeting time.Duration
	// Mail and Rcpt are how long a client waits for the reply to MAIL and
	// to each RCPT.
	Mail, Rcpt time.Duration
	// DataInit is how long a client waits for the 354 reply to DATA.
	DataInit time.Duration
	// DataBlock bounds each block of a body: the client's wait for a send
	// to complete and the server's wait for the next block of data.
	DataBlock time.Duration
	// DataTermination is how long a client waits for the reply after the
	// end of the data (and after BDAT LAST or BURL LAST).
	DataTermination time.Duration
	// ServerIdle is how long a server waits for the next command (or AUTH
	// response line) before it answers 421 and closes (RFC 5321 3.8).
	ServerIdle time.Duration
	// Command is how long a client waits for the reply to any other
	// command (EHLO, RSET, STARTTLS, AUTH ...).
	Command time.Duration
	// TLSHandshake bounds a TLS handshake, on either side.
	TLSHandshake time.Duration
	// MinDataRate is the lowest average rate, in octets per second, at
	// which a server accepts a body once RateGrace has passed; 0 disables
	// the floor. See DataDeadline.
	MinDataRate int64
	// RateGrace is how long a body may take before MinDataRate applies.
	RateGrace time.Duration
}

// DefaultTimeouts returns the RFC 5321 section 4.5.3.2 values, no minimum
// data rate, and the package defaults for the fields the RFC does not set.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Greeting:        DefaultGreeting,
		Mail:            DefaultMail,
		Rcpt:            DefaultRcpt,
		DataInit:        DefaultDataInit,
		DataBlock:       DefaultDataBlock,
		DataTermination: DefaultDataTermination,
		ServerIdle:      DefaultServerIdle,
		Command:         DefaultCommand,
		TLSHandshake:    DefaultTLSHandshake,
		RateGrace:       DefaultRateGrace,
	}
}

// TimeoutError reports an invalid Timeouts field.
type TimeoutError struct {
	// Field names the field, e.g. "DataBlock".
	Field string
	// Value is the field's value: nanoseconds for a duration, octets per
	// second for MinDataRate.
	Value int64
}

// Error returns a message naming the field and its value.
func (e *TimeoutError) Error() string {
	return "state: Timeouts." + e.Field + " is negative (" + strconv.FormatInt(e.Value, 10) + ")"
}

// timeoutField is one duration field of Timeouts, for Validate and BelowRFC.
type timeoutField struct {
	name       string
	value, def time.Duration
	rfcMin     time.Duration // the RFC 5321 4.5.3.2 minimum, 0 if none
}

// fields returns the duration fields of t in declaration order.
func (t Timeouts) fields() [10]timeoutField {
	return [10]timeoutField{
		{"Greeting", t.Greeting, DefaultGreeting, DefaultGreeting},
		{"Mail", t.Mail, DefaultMail, DefaultMail},
		{"Rcpt", t.Rcpt, DefaultRcpt, DefaultRcpt},
		{"DataInit", t.DataInit, DefaultDataInit, DefaultDataInit},
		{"DataBlock", t.DataBlock, DefaultDataBlock, DefaultDataBlock},
		{"DataTermination", t.DataTermination, DefaultDataTermination, DefaultDataTermination},
		{"ServerIdle", t.ServerIdle, DefaultServerIdle, DefaultServerIdle},
		{"Command", t.Command, DefaultCommand, 0},
		{"TLSHandshake", t.TLSHandshake, DefaultTLSHandshake, 0},
		{"RateGrace", t.RateGrace, DefaultRateGrace, 0},
	}
}

// Validate returns a *TimeoutError for the first negative field, or nil.
// Values below the RFC minimums are allowed (the RFC says SHOULD); BelowRFC
// lists them.
func (t Timeouts) Validate() error {
	for _, f := range t.fields() {
		if f.value < 0 {
			return &TimeoutError{Field: f.name, Value: int64(f.value)}
		}
	}
	if t.MinDataRate < 0 {
		return &TimeoutError{Field: "MinDataRate", Value: t.MinDataRate}
	}
	return nil
}

// WithDefaults returns t with every zero or negative duration replaced by its
// default, and a negative MinDataRate replaced by 0 (no floor). The helpers
// below apply it themselves, so a Timeouts that failed Validate still gives
// sane deadlines. It does not allocate.
func (t Timeouts) WithDefaults() Timeouts {
	t.Greeting = orDefault(t.Greeting, DefaultGreeting)
	t.Mail = orDefault(t.Mail, DefaultMail)
	t.Rcpt = orDefault(t.Rcpt, DefaultRcpt)
	t.DataInit = orDefault(t.DataInit, DefaultDataInit)
	t.DataBlock = orDefault(t.DataBlock, DefaultDataBlock)
	t.DataTermination = orDefault(t.DataTermination, DefaultDataTermination)
	t.ServerIdle = orDefault(t.ServerIdle, DefaultServerIdle)
	t.Command = orDefault(t.Command, DefaultCommand)
	t.TLSHandshake = orDefault(t.TLSHandshake, DefaultTLSHandshake)
	t.RateGrace = orDefault(t.RateGrace, DefaultRateGrace)
	t.MinDataRate = max(t.MinDataRate, 0)
	return t
}

// orDefault returns d, or def when d is zero or negative.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// BelowRFC returns the names of the fields whose value, after WithDefaults,
// is below the minimum RFC 5321 section 4.5.3.2 says implementations SHOULD
// use, or nil. A conformance report can print them; they are not errors.
func (t Timeouts) BelowRFC() []string {
	var out []string
	for _, f := range t.WithDefaults().fields() {
		if f.value < f.rfcMin {
			out = append(out, f.name)
		}
	}
	return out
}

// For returns how long a client waits for the reply at stage (RFC 5321
// 4.5.3.2): Greeting, Mail, Rcpt, DataInit for the DATA command,
// DataTermination for the end of the data and for BDAT LAST and BURL LAST,
// DataBlock for the reply to a BDAT or BURL chunk without LAST, and Command
// for every other command. StageNone gives 0: nothing is awaited.
func (t Timeouts) For(stage Stage) time.Duration {
	t = t.WithDefaults()
	switch stage {
	case StageNone:
		return 0
	case StageGreeting:
		return t.Greeting
	case StageMail:
		return t.Mail
	case StageRcpt:
		return t.Rcpt
	case StageData:
		return t.DataInit
	case StageEndOfData, StageBDATLast, StageBurlLast:
		return t.DataTermination
	case StageBDAT, StageBurl:
		return t.DataBlock
	}
	return t.Command
}

// ReplyDeadline returns when a client that sent the command of stage at sent
// stops waiting for its reply: sent + For(stage), or the zero Time for
// StageNone.
func (t Timeouts) ReplyDeadline(stage Stage, sent time.Time) time.Time {
	d := t.For(stage)
	if d == 0 {
		return time.Time{}
	}
	return sent.Add(d)
}

// IdleDeadline returns when a server that last heard from the client at last
// gives up waiting for the next command: last + ServerIdle (RFC 5321
// 4.5.3.2.7).
func (t Timeouts) IdleDeadline(last time.Time) time.Time {
	return last.Add(t.WithDefaults().ServerIdle)
}

// LineDeadline returns when a server receiving a command line gives up,
// given the time start its first octet arrived, the octets of it received
// so far, and now, the time of the latest receipt. It is the idle deadline
// (RFC 5321 section 4.5.3.2.7) or, when MinDataRate is set, the earlier
// moment start + RateGrace + received / MinDataRate: the floor of
// DataDeadline applied to the line, so that a client sending a command one
// octet at a time cannot hold the connection for ServerIdle per octet.
func (t Timeouts) LineDeadline(start time.Time, received int64, now time.Time) time.Time {
	t = t.WithDefaults()
	idle := now.Add(t.ServerIdle)
	if t.MinDataRate == 0 {
		return idle
	}
	floor := start.Add(t.RateGrace).Add(rateDuration(received, t.MinDataRate))
	if floor.Before(idle) {
		return floor
	}
	return idle
}

// HandshakeDeadline returns when a TLS handshake begun at start must be done.
func (t Timeouts) HandshakeDeadline(start time.Time) time.Time {
	return start.Add(t.WithDefaults().TLSHandshake)
}

// DataDeadline returns when a server receiving a body gives up, given the
// time start the body began (the 354 was sent, or the first BDAT chunk was
// announced), the octets received so far, and now, the time of the latest
// receipt. It is the earlier of two limits:
//
//	block = now + DataBlock                             (RFC 5321 4.5.3.2.5)
//	floor = start + RateGrace + received / MinDataRate  (when MinDataRate > 0)
//
// The block limit alone lets a client that sends one octet every
// DataBlock-minus-a-second hold the connection for ever. The floor is the
// moment the average rate since start, with RateGrace forgiven, would fall
// below MinDataRate if nothing more arrived; each octet pushes it back by
// only 1/MinDataRate seconds, so a trickle reaches it however regularly it
// resets the block limit, while a body that keeps up never does. The result
// may lie before now: the floor was already missed, and the caller should
// time out at once. A negative received counts as 0.
func (t Timeouts) DataDeadline(start time.Time, received int64, now time.Time) time.Time {
	t = t.WithDefaults()
	block := now.Add(t.DataBlock)
	if t.MinDataRate == 0 {
		return block
	}
	floor := start.Add(t.RateGrace).Add(rateDuration(received, t.MinDataRate))
	if floor.Before(block) {
		return floor
	}
	return block
}

// rateDuration returns how long n octets last at rate octets per second,
// rounded down to the nanosecond and capped at the largest Duration. A
// negative n counts as 0; rate must be positive.
func rateDuration(n, rate int64) time.Duration {
	if n <= 0 {
		return 0
	}
	secs, rem := n/rate, n%rate
	if secs > int64(maxDuration/time.Second)-1 {
		return maxDuration
	}
	// rem*1e9 may overflow 64 bits for a huge rate: use the 128-bit
	// product. rem < rate, so the quotient is below 1e9 and fits.
	hi, lo := bits.Mul64(uint64(rem), uint64(time.Second))
	q, _ := bits.Div64(hi, lo, uint64(rate))
	frac := time.Duration(q)
	return time.Duration(secs)*time.Second + frac
}
