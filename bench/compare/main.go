// Command compare runs the same SMTP work through smtpkit, emersion/go-smtp
// and Go's net/smtp in one process and prints, per workload, each
// implementation's time, throughput, memory and allocations per operation
// (measured by testing.Benchmark, the same way for everyone), the round
// trips per message of the clients, and the ratios to smtpkit.
//
// Usage, inside bench/compare:
//
//	go run . [-benchtime 1s] [-count 3] [-run regexp] [-format markdown|text|json] [-sink proc|inproc]
//
// The workloads:
//
//   - server 1KiB lock-step, server 1KiB pipelined, server 100KiB and 1MiB
//     pipelined: a raw client on loopback TCP sends one message per
//     transaction on one long-lived connection to smtpkit's server.Server
//     and go-smtp's smtp.Server, whose sessions read each body to
//     io.Discard (servers.go).
//   - DATA decode 1MiB and DATA encode 1MiB: the dot-stuffing codecs, from
//     memory to io.Discard (codec.go, memconn.go).
//   - client 1KiB, 1 conn and 20 conns: smtpkit's client.Client and
//     client.Pool (DATA and BDAT), go-smtp's and net/smtp's Client against
//     an smtpkit sink in a child process, with round trips counted on the
//     client's connection (clients.go, sinkproc.go).
//   - commands RSET, MAIL+RSET, MAIL+RCPT+RSET: pipelined command streams,
//     per command (servers.go).
//
// Every implementation is checked once before it is timed (the message
// that arrives must be the message sent) and its message count is checked
// after (sink.go); harness.go times, table.go prints. compare_test.go holds
// the same workloads as a test and as Go benchmarks.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"testing"
)

// main runs as the sink process when started as one (sinkproc.go), and
// otherwise parses the flags and runs mainErr.
func main() {
	if sinkChild() {
		return
	}
	testing.Init()
	benchtime := flag.String("benchtime", "1s", "run each benchmark for this long (a duration, or Nx for N iterations)")
	count := flag.Int("count", 3, "runs per benchmark; the table shows their median")
	run := flag.String("run", "", "run only the workload/implementation names matching this regexp")
	format := flag.String("format", "markdown", "output format: markdown, text or json")
	sinkMode := flag.String("sink", "proc", "the client workloads' sink: proc (a child process) or inproc")
	list := flag.Bool("list", false, "list the workload/implementation names and exit")
	flag.Parse()

	if err := mainErr(*benchtime, *count, *run, *format, *sinkMode, *list); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// mainErr runs the selected workloads and prints the table.
func mainErr(benchtime string, count int, run, format, sinkMode string, list bool) error {
	switch format {
	case "markdown", "text", "json":
	default:
		return fmt.Errorf("unknown -format %q", format)
	}
	switch sinkMode {
	case "proc", "inproc":
		inprocSink = sinkMode == "inproc"
	default:
		return fmt.Errorf("unknown -sink %q", sinkMode)
	}
	if count < 1 {
		return fmt.Errorf("-count %d: at least 1", count)
	}
	if err := flag.Set("test.benchtime", benchtime); err != nil {
		return fmt.Errorf("-benchtime: %w", err)
	}
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			return fmt.Errorf("-run: %w", err)
		}
	}
	var rs []result
	for _, w := range all() {
		var impls []*impl
		for i := range w.impls {
			if im := &w.impls[i]; selected(re, &w, im) {
				impls = append(impls, im)
				if list {
					fmt.Println(w.name + "/" + im.name)
				}
			}
		}
		if list || len(impls) == 0 {
			continue
		}
		fmt.Fprintf(os.Stderr, "%s: %d implementations, %d runs each\n", w.name, len(impls), count)
		res, err := measure(&w, impls, count)
		if err != nil {
			return err
		}
		rs = append(rs, res...)
	}
	if list {
		return nil
	}
	return write(os.Stdout, format, currentEnv(benchtime, count), rs)
}
