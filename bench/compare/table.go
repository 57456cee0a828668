package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
)

// environment is what the header says about the run.
type environment struct {
	Go         string `json:"go"`
	OS         string `json:"goos"`
	Arch       string `json:"goarch"`
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoSMTP     string `json:"go_smtp"`
	Benchtime  string `json:"benchtime"`
	Count      int    `json:"count"`
	Sink       string `json:"client_sink"`
}

// currentEnv describes this process.
func currentEnv(benchtime string, count int) environment {
	sinkWhere := "child process (client allocations are the client's alone)"
	if inprocSink {
		sinkWhere = "in process (client allocations include the sink's)"
	}
	return environment{Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPU: cpuModel(),
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoSMTP: moduleVersion("github.com/emersion/go-smtp"),
		Benchtime: benchtime, Count: count, Sink: sinkWhere}
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// moduleVersion returns the version of the module path in this binary.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}

// target is one of the performance targets and whether the run met
// it.
type target struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Pass  bool   `json:"pass"`
}

// find returns the result of the workload and implementation, or nil.
func find(rs []result, workload, implPrefix string) *result {
	for i := range rs {
		if rs[i].Workload == workload && strings.HasPrefix(rs[i].Impl, implPrefix) && rs[i].NA == "" {
			return &rs[i]
		}
	}
	return nil
}

// targets checks the targets the results cover.
func targets(rs []result) []target {
	ts := []target{}
	lock, pipe := find(rs, "server 1KiB lock-step", "smtpkit"), find(rs, "server 1KiB pipelined", "smtpkit")
	if lock != nil && pipe != nil {
		ts = append(ts, target{Name: "server driver + engine: at most 4 allocations per 1 KiB message",
			Value: fmt.Sprintf("lock-step %s, pipelined %s", num(lock.AllocsPerOp), num(pipe.AllocsPerOp)),
			Pass:  lock.AllocsPerOp <= 4 && pipe.AllocsPerOp <= 4})
	}
	cd, cb := find(rs, "client 1KiB, 1 conn", "smtpkit client.Client.Send, DATA"), find(rs, "client 1KiB, 1 conn", "smtpkit client.Client.Send, BDAT")
	if cd != nil && cb != nil {
		ts = append(ts, target{Name: "client: at most 4 allocations per message",
			Value: fmt.Sprintf("DATA %s, BDAT %s", num(cd.AllocsPerOp), num(cb.AllocsPerOp)),
			Pass:  cd.AllocsPerOp <= 4 && cb.AllocsPerOp <= 4})
		each := find(rs, "client 1KiB, 1 conn", "smtpkit client.Client.SendEach, DATA")
		v, pass := fmt.Sprintf("Send: BDAT %s, DATA %s (DATA waits for its 354)", num(cb.RTPerOp), num(cd.RTPerOp)), cb.RTPerOp <= 1
		if each != nil {
			v += fmt.Sprintf("; SendEach, DATA: %s (the next envelope rides with the end of data, RFC 2920 section 3.1)", num(each.RTPerOp))
			pass = pass && each.RTPerOp <= 1.01
		}
		ts = append(ts, target{Name: "client: one round trip per message when PIPELINING is offered", Value: v, Pass: pass})
	}
	dec, decGo := find(rs, "DATA decode 1MiB", "smtpkit wire"), find(rs, "DATA decode 1MiB", "go-smtp")
	if dec != nil && decGo != nil {
		v := fmt.Sprintf("%s go-smtp's speed", ratio(decGo.NsPerOp, dec.NsPerOp))
		if srv := find(rs, "DATA decode 1MiB", "smtpkit server"); srv != nil {
			v += fmt.Sprintf("; server to server, in memory: %s", ratio(decGo.NsPerOp, srv.NsPerOp))
		}
		if k, g := find(rs, "server 1MiB pipelined", "smtpkit"), find(rs, "server 1MiB pipelined", "go-smtp"); k != nil && g != nil {
			v += fmt.Sprintf("; over loopback TCP: %s", ratio(g.NsPerOp, k.NsPerOp))
		}
		ts = append(ts, target{Name: "DATA decode throughput: at least 10x go-smtp's", Value: v,
			Pass: decGo.NsPerOp >= 10*dec.NsPerOp})
	}
	return ts
}

// baseline returns the workload's first smtpkit result.
func baseline(rs []result, workload string) *result {
	for i := range rs {
		if rs[i].Workload == workload && rs[i].fam == famSmtpkit && rs[i].NA == "" {
			return &rs[i]
		}
	}
	return nil
}

// header is the table's column titles.
var header = []string{"Workload", "Implementation", "Time/op", "MB/s", "ops/s", "B/op", "allocs/op", "RT/msg",
	"time ÷ smtpkit", "B ÷ smtpkit", "allocs ÷ smtpkit"}

// cells formats one result as a table row.
func cells(rs []result, r *result) []string {
	if r.NA != "" {
		return []string{r.Workload, r.Impl, r.NA, "", "", "", "", "", "", "", ""}
	}
	row := []string{r.Workload, r.Impl, duration(r.NsPerOp), "–", rate(1e9 / r.NsPerOp), strconv.FormatFloat(math.Round(r.BytesPerOp), 'f', 0, 64), num(r.AllocsPerOp), "–", "", "", ""}
	if r.MBPerSec > 0 {
		row[3] = strconv.FormatFloat(r.MBPerSec, 'f', 1, 64)
	}
	if r.RTPerOp >= 0 {
		row[7] = num(r.RTPerOp)
	}
	if b := baseline(rs, r.Workload); b != nil && r.fam != famSmtpkit {
		row[8], row[9], row[10] = ratio(r.NsPerOp, b.NsPerOp), ratio(r.BytesPerOp, b.BytesPerOp), ratio(r.AllocsPerOp, b.AllocsPerOp)
	}
	return row
}

// write prints the environment, the table and the targets in format
// ("markdown", "text" or "json").
func write(w io.Writer, format string, env environment, rs []result) error {
	ts := targets(rs)
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Environment environment `json:"environment"`
			Results     []result    `json:"results"`
			Targets     []target    `json:"targets"`
		}{env, rs, ts})
	}
	fmt.Fprintf(w, "smtpkit vs emersion/go-smtp %s vs net/smtp: %s %s/%s, CPU %s, GOMAXPROCS %d (%d CPUs)\n",
		env.GoSMTP, env.Go, env.OS, env.Arch, env.CPU, env.GOMAXPROCS, env.NumCPU)
	fmt.Fprintf(w, "benchtime %s, median of %d runs; client workloads' sink: %s\n\n", env.Benchtime, env.Count, env.Sink)
	if format == "markdown" {
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
		for i := range rs {
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells(rs, &rs[i]), " | "))
		}
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for i := range rs {
			fmt.Fprintln(tw, strings.Join(cells(rs, &rs[i]), "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(ts) > 0 {
		fmt.Fprintln(w, "\nTargets:")
	}
	for _, t := range ts {
		mark := "MET"
		if !t.Pass {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "- %s: %s (%s)\n", mark, t.Name, t.Value)
	}
	return nil
}

// num formats v with at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// sig3 formats v with three significant digits, never in exponent form.
func sig3(v float64) string {
	if v <= 0 {
		return "0"
	}
	decimals := func(v float64) int { return max(0, 2-int(math.Floor(math.Log10(v)))) }
	d := decimals(v)
	if r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64); decimals(r) != d {
		d = decimals(r) // 0.9997 rounds to 1.000: three digits are 1.00
	}
	return strconv.FormatFloat(v, 'f', d, 64)
}

// duration formats nanoseconds with three significant digits.
func duration(ns float64) string {
	switch {
	case ns < 999.5:
		return sig3(ns) + " ns"
	case ns < 999.5e3:
		return sig3(ns/1e3) + " µs"
	case ns < 999.5e6:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// rate formats operations per second with a k or M suffix.
func rate(v float64) string {
	switch {
	case v >= 999.5e3:
		return sig3(v/1e6) + "M"
	case v >= 999.5:
		return sig3(v/1e3) + "k"
	}
	return sig3(v)
}

// ratio formats other/base: "=" when both round to 0, "∞" when only base
// does (a fraction of a byte or an allocation per operation is the
// background's, such as the runtime's timers).
func ratio(other, base float64) string {
	const eps = 0.5
	switch {
	case base < eps && other < eps:
		return "="
	case base < eps:
		return "∞"
	}
	r := other / base
	switch {
	case r < 10:
		return fmt.Sprintf("%.2f×", r)
	case r < 100:
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}
