package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// lineLen is the length of a generated body line without its CRLF.
const lineLen = 76

// options are the command-line flags.
type options struct {
	addr, from, to string
	conns, msgs    int
	size           int
	timeout        time.Duration
}

// result is the JSON line printed at the end.
type result struct {
	Client      string  `json:"client"`
	Addr        string  `json:"addr"`
	Connections int     `json:"connections"`
	Planned     int     `json:"planned"`
	Size        int     `json:"size"`
	Sent        int64   `json:"sent"`
	Accepted    int64   `json:"accepted"`
	Errors      int64   `json:"errors"`
	ConnFailed  int64   `json:"connections_failed"`
	ElapsedSec  float64 `json:"elapsed_s"`
	MsgsPerSec  float64 `json:"msgs_per_s"`
	CPUUserSec  float64 `json:"cpu_user_s"`
	CPUSysSec   float64 `json:"cpu_sys_s"`
	CPUPerMsgUs float64 `json:"cpu_us_per_msg"`
	FirstError  string  `json:"first_error,omitempty"`
}

// main parses the flags, runs the load and prints the result.
func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:2526", "server `HOST:PORT`")
	flag.IntVar(&o.conns, "c", 20, "`connections` in parallel")
	flag.IntVar(&o.msgs, "n", 1000, "`messages` in total")
	flag.IntVar(&o.size, "size", 1024, "body size in `bytes` (0, or at least 2)")
	flag.StringVar(&o.from, "from", "load@example.org", "sender `address`")
	flag.StringVar(&o.to, "to", "sink@example.net", "recipient `address`")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintf(os.Stderr, "gosmtp-load: %v\n", err)
		os.Exit(2)
	}
	r := run(&o)
	line, err := json.Marshal(r)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gosmtp-load: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
	if r.Accepted != int64(o.msgs) {
		fmt.Fprintf(os.Stderr, "gosmtp-load: %d of %d messages accepted\n", r.Accepted, o.msgs)
		os.Exit(1)
	}
}

// check reports the flag mistakes.
func (o *options) check() error {
	switch {
	case flag.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	case o.conns < 1 || o.msgs < 1:
		return errors.New("-c and -n must be at least 1")
	case o.size < 0 || o.size == 1 || o.size > 1<<30:
		return errors.New("-size must be 0 or 2 to 1 GiB (a body ends with CRLF)")
	case o.timeout <= 0:
		return errors.New("-timeout must be positive")
	}
	return nil
}

// run sends the messages and returns the counts.
func run(o *options) *result {
	msg := message(o.from, o.to, o.size)
	deadline := time.Now().Add(o.timeout)
	var (
		remaining              atomic.Int64
		sent, ok, bad, cfailed atomic.Int64
		firstErr               error
		errOnce                sync.Once
	)
	remaining.Store(int64(o.msgs))
	note := func(err error) { errOnce.Do(func() { firstErr = err }) }
	start := time.Now()
	var wg sync.WaitGroup
	for range min(o.conns, o.msgs) {
		wg.Go(func() {
			c, err := dial(o.addr, deadline)
			if err != nil {
				cfailed.Add(1)
				note(err)
				return
			}
			defer c.Close()
			// Each pass claims one of the planned messages, so the loop
			// ends after at most -n passes, or at -timeout.
			for remaining.Add(-1) >= 0 {
				sent.Add(1)
				if err := c.SendMail(o.from, []string{o.to}, bytes.NewReader(msg)); err != nil {
					bad.Add(1)
					note(err)
					var se *smtp.SMTPError
					if !errors.As(err, &se) {
						return // the connection is broken; the rest go unsent
					}
					_ = c.Reset()
					continue
				}
				ok.Add(1)
			}
			_ = c.Quit()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := &result{
		Client: "go-smtp", Addr: o.addr, Connections: o.conns, Planned: o.msgs, Size: o.size,
		Sent: sent.Load(), Accepted: ok.Load(), Errors: bad.Load() + cfailed.Load(), ConnFailed: cfailed.Load(),
		ElapsedSec: elapsed.Seconds(),
	}
	if elapsed > 0 {
		r.MsgsPerSec = float64(r.Accepted) / elapsed.Seconds()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.CPUUserSec = time.Duration(ru.Utime.Nano()).Seconds()
		r.CPUSysSec = time.Duration(ru.Stime.Nano()).Seconds()
		if r.Accepted > 0 {
			r.CPUPerMsgUs = (r.CPUUserSec + r.CPUSysSec) * 1e6 / float64(r.Accepted)
		}
	}
	if firstErr != nil {
		r.FirstError = firstErr.Error()
	}
	return r
}

// dial connects to addr with every read and write bounded by deadline and
// says EHLO.
func dial(addr string, deadline time.Time) (*smtp.Client, error) {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := conn.SetDeadline(deadline); err != nil {
		_ = conn.Close()
		return nil, err
	}
	c := smtp.NewClient(conn)
	if err := c.Hello("localhost"); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// message builds the message: header fields, an empty line and a body of
// exactly size octets in CRLF-ended lines of lineLen characters (the last
// line is shorter, or one longer when a single octet is left over).
func message(from, to string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: gosmtp-load\r\n", from, to)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%d@gosmtp-load.invalid>\r\n\r\n",
		time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	for left := size; left > 0; {
		n := min(left-2, lineLen)
		for i := range n {
			b.WriteByte('a' + byte(i%26))
		}
		b.WriteString("\r\n")
		left -= n + 2
		if left == 1 { // a lone octet cannot make a line: widen the last one
			b.Truncate(b.Len() - 2)
			b.WriteString("z\r\n")
			left = 0
		}
	}
	return b.Bytes()
}
