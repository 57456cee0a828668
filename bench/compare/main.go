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
