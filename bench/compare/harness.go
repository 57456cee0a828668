package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"
)

// family is the library an implementation belongs to; the ratio columns
// divide a go-smtp or net/smtp row by its workload's smtpkit baseline.
type family uint8

// The families compared.
const (
	famSmtpkit family = iota
	famGoSMTP
	famNetSMTP
)

// String names the family as the table does.
func (f family) String() string {
	return [...]string{"smtpkit", "go-smtp", "net/smtp"}[f]
}

// impl is one implementation of a workload.
type impl struct {
	// name is what the table shows, such as "go-smtp smtp.Server".
	name string
	fam  family
	// na, when set, says why the family has no implementation of the
	// workload; setup is then nil.
	na string
	// setup builds a ready instance: servers listening, connections greeted.
	setup func() (*instance, error)
}

// instance is a set-up implementation. run is what testing.Benchmark times;
// check does one unit of the work and verifies what arrived; verify runs
// after the timed runs and checks that the work counted was the work done;
// close releases everything.
type instance struct {
	run    func(b *testing.B)
	check  func() error
	verify func() error
	close  func()
}

// workload is the same work given to every implementation.
type workload struct {
	name string
	// perOp is the number of commands one b.N iteration carries; the table
	// divides by it so that the command workloads read per command.
	perOp int
	impls []impl
}

// rtMetric is the unit under which a run reports its round trips per
// operation with b.ReportMetric.
const rtMetric = "rt/op"

// result is the median of one implementation's runs of one workload.
type result struct {
	Workload    string  `json:"workload"`
	Impl        string  `json:"impl"`
	Family      string  `json:"family"`
	NA          string  `json:"na,omitempty"`
	Runs        int     `json:"runs"`
	N           int     `json:"n"`
	NsPerOp     float64 `json:"ns_per_op"`
	MBPerSec    float64 `json:"mb_per_s"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
	// RTPerOp is the round trips per message, or -1 when not counted.
	RTPerOp float64 `json:"rt_per_op"`

	fam family
}

// selected reports whether the -run pattern matches "workload/impl".
func selected(re *regexp.Regexp, w *workload, im *impl) bool {
	return re == nil || re.MatchString(w.name+"/"+im.name)
}

// run is one implementation of a workload being measured.
type run struct {
	im   *impl
	inst *instance
	res  result

	ns, mbs, bs, allocs, rts []float64
}

// measure sets up the implementations of w, checks each once, times them
// count times each with testing.Benchmark, interleaved (one run of each in
// turn, so that a change in the machine's load touches all of them), and
// returns the medians in the order of impls. The benchtime is testing's
// (-test.benchtime), set by the caller.
func measure(w *workload, impls []*impl, count int) ([]result, error) {
	runs := make([]*run, len(impls))
	defer func() {
		for _, r := range runs {
			if r != nil && r.inst != nil {
				r.inst.close()
			}
		}
	}()
	for i, im := range impls {
		r := &run{im: im, res: result{Workload: w.name, Impl: im.name, Family: im.fam.String(), fam: im.fam, RTPerOp: -1}}
		runs[i] = r
		if im.setup == nil {
			r.res.NA = im.na
			continue
		}
		inst, err := im.setup()
		if err != nil {
			return nil, fmt.Errorf("%s/%s: setup: %w", w.name, im.name, err)
		}
		r.inst = inst
		if err := inst.check(); err != nil {
			return nil, fmt.Errorf("%s/%s: check: %w", w.name, im.name, err)
		}
	}
	for range count {
		for _, r := range runs {
			if r.inst == nil {
				continue
			}
			if err := r.once(w); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", w.name, r.im.name, err)
			}
		}
	}
	out := make([]result, len(runs))
	for i, r := range runs {
		if r.inst != nil && r.inst.verify != nil {
			if err := r.inst.verify(); err != nil {
				return nil, fmt.Errorf("%s/%s: after the runs: %w", w.name, r.im.name, err)
			}
		}
		res := r.res
		if r.inst != nil {
			res.Runs = count
			res.NsPerOp, res.MBPerSec = median(r.ns), median(r.mbs)
			res.BytesPerOp, res.AllocsPerOp = median(r.bs), median(r.allocs)
			if len(r.rts) > 0 {
				res.RTPerOp = median(r.rts)
			}
		}
		out[i] = res
	}
	return out, nil
}

// once times one run with testing.Benchmark and keeps its figures, divided
// by the workload's commands per operation.
func (r *run) once(w *workload) error {
	var failed bool
	br := testing.Benchmark(func(b *testing.B) {
		r.inst.run(b)
		failed = failed || b.Failed()
	})
	if failed {
		return errors.New("the benchmark failed (see its log above)")
	}
	if br.N == 0 {
		return errors.New("the benchmark did not run")
	}
	per := float64(br.N) * float64(max(w.perOp, 1))
	r.ns = append(r.ns, float64(br.T.Nanoseconds())/per)
	if br.Bytes > 0 && br.T > 0 {
		r.mbs = append(r.mbs, float64(br.Bytes)*float64(br.N)/1e6/br.T.Seconds())
	}
	r.bs = append(r.bs, float64(br.MemBytes)/per)
	r.allocs = append(r.allocs, float64(br.MemAllocs)/per)
	if v, ok := br.Extra[rtMetric]; ok {
		r.rts = append(r.rts, v)
	}
	r.res.N = br.N
	return nil
}

// median returns the middle value of v (the mean of the two middle values
// for an even count), 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// all returns every workload in table order.
func all() []workload {
	var ws []workload
	ws = append(ws, serverWorkloads()...)
	ws = append(ws, codecWorkloads()...)
	ws = append(ws, clientWorkloads()...)
	ws = append(ws, commandWorkloads()...)
	return ws
}

// closeAll returns a function that calls fs in reverse order, skipping
// nil ones: the close function of an instance built in steps.
func closeAll(fs ...func()) func() {
	return func() {
		for _, f := range slices.Backward(fs) {
			if f != nil {
				f()
			}
		}
	}
}
