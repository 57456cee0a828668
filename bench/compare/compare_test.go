package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets the test binary be the client workloads' sink process.
func TestMain(m *testing.M) {
	if sinkChild() {
		return
	}
	os.Exit(m.Run())
}

// TestMessage checks the test messages: exact sizes, CRLF lines, and a
// wire form that unstuffs (by net/textproto, which also turns CRLF into
// LF) back to the content.
func TestMessage(t *testing.T) {
	for _, size := range []int{1 << 10, 100 << 10, 1 << 20, 1000, 1001} {
		m := newMessage(size)
		require.Len(t, m.raw, size)
		assert.True(t, bytes.HasSuffix(m.raw, []byte("\r\n")))
		assert.True(t, bytes.HasSuffix(m.wire, []byte("\r\n.\r\n")))
		assert.Contains(t, string(m.wire), "\r\n..")
		for line := range strings.Lines(string(m.raw)) {
			assert.LessOrEqual(t, len(line), 78)
			assert.True(t, strings.HasSuffix(line, "\r\n"), "%q", line)
		}
		got, err := io.ReadAll(textproto.NewReader(bufio.NewReader(bytes.NewReader(m.wire))).DotReader())
		require.NoError(t, err)
		assert.Equal(t, string(bytes.ReplaceAll(m.raw, []byte("\r\n"), []byte("\n"))), string(got), "size %d", size)
	}
}

// TestWorkloads runs every workload once through every implementation:
// setup, the check of what arrived, one timed iteration and the count
// check after it; the clients' round trips are the protocol's.
func TestWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and sink processes")
	}
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	require.NoError(t, flag.Set("test.benchtime", "1x"))
	t.Cleanup(func() { _ = flag.Set("test.benchtime", old) })

	wantRT := map[string]float64{"smtpkit client.Client.Send, DATA": 2, "smtpkit client.Client.Send, BDAT": 1,
		"go-smtp Client Mail/Rcpt/Data": 4, "net/smtp Client Mail/Rcpt/Data": 4}
	var all1 []result
	for _, w := range all() {
		t.Run(w.name, func(t *testing.T) {
			impls := make([]*impl, len(w.impls))
			for i := range w.impls {
				impls[i] = &w.impls[i]
			}
			rs, err := measure(&w, impls, 1)
			require.NoError(t, err)
			require.Len(t, rs, len(impls))
			for _, r := range rs {
				if r.NA != "" {
					assert.Equal(t, famNetSMTP, r.fam, r.Impl)
					continue
				}
				assert.Positive(t, r.NsPerOp, r.Impl)
				assert.Equal(t, 1, r.N, r.Impl)
				if want, ok := wantRT[r.Impl]; ok {
					assert.Equal(t, want, r.RTPerOp, r.Impl)
				}
			}
			all1 = append(all1, rs...)
		})
	}
	var out bytes.Buffer
	require.NoError(t, write(&out, "markdown", currentEnv("1x", 1), all1))
	assert.Contains(t, out.String(), "| server 1KiB lock-step | go-smtp smtp.Server |")
}

// TestWrite checks the three formats and the ratio columns on made-up
// results.
func TestWrite(t *testing.T) {
	rs := []result{
		{Workload: "w", Impl: "smtpkit x", fam: famSmtpkit, NsPerOp: 1000, BytesPerOp: 0, AllocsPerOp: 0, MBPerSec: 1024, RTPerOp: 1},
		{Workload: "w", Impl: "go-smtp y", fam: famGoSMTP, NsPerOp: 25000, BytesPerOp: 800, AllocsPerOp: 31, RTPerOp: 4},
		{Workload: "w", Impl: "net/smtp", fam: famNetSMTP, NA: "n/a: none", RTPerOp: -1},
	}
	env := environment{Go: "go1.26", GoSMTP: "v0.26.0", Count: 3, Benchtime: "1s"}
	var md bytes.Buffer
	require.NoError(t, write(&md, "markdown", env, rs))
	assert.Contains(t, md.String(), "| w | smtpkit x | 1.00 µs | 1024.0 | 1.00M | 0 | 0 | 1 |  |  |  |")
	assert.Contains(t, md.String(), "| w | go-smtp y | 25.0 µs | – | 40.0k | 800 | 31 | 4 | 25.0× | ∞ | ∞ |")
	assert.Contains(t, md.String(), "| w | net/smtp | n/a: none |")

	var txt bytes.Buffer
	require.NoError(t, write(&txt, "text", env, rs))
	assert.Contains(t, txt.String(), "25.0×")

	var js bytes.Buffer
	require.NoError(t, write(&js, "json", env, rs))
	var back struct {
		Results []result `json:"results"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Len(t, back.Results, 3)
	assert.Equal(t, "go-smtp y", back.Results[1].Impl)
}

// TestFormat checks the number formats.
func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{duration(999.7), "1.00 µs"}, {duration(43800), "43.8 µs"}, {duration(1.5e6), "1.50 ms"}, {duration(12), "12.0 ns"},
		{rate(19600), "19.6k"}, {rate(999.9), "1.00k"}, {rate(6.47), "6.47"},
		{ratio(0, 0), "="}, {ratio(3, 0), "∞"}, {ratio(2.5, 1), "2.50×"}, {ratio(423, 1), "423×"},
		{num(3.0002), "3"}, {num(0.014), "0.01"}, {num(12.5), "12.5"},
	} {
		assert.Equal(t, c.want, c.got)
	}
}

// BenchmarkCompare is the table as Go benchmarks: one sub-benchmark per
// workload and implementation (the command workloads' operation is a
// group of commands; the table divides by its size).
func BenchmarkCompare(b *testing.B) {
	for _, w := range all() {
		for i := range w.impls {
			im := &w.impls[i]
			b.Run(w.name+"/"+im.name, func(b *testing.B) {
				if im.setup == nil {
					b.Skip(im.na)
				}
				inst, err := im.setup()
				if err != nil {
					b.Fatal(err)
				}
				defer inst.close()
				if err := inst.check(); err != nil {
					b.Fatal(err)
				}
				inst.run(b)
				if inst.verify != nil {
					if err := inst.verify(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestCheckCatchesWrongBody makes sure a check fails when the body that
// arrives is not the body sent, or when no message arrives.
func TestCheckCatchesWrongBody(t *testing.T) {
	m := newMessage(1 << 10)
	s := &sink{}
	require.NoError(t, s.recordOne(m, func() error { return s.deliver(bytes.NewReader(m.raw)) }))
	assert.Error(t, s.recordOne(m, func() error { return s.deliver(bytes.NewReader(m.raw[1:])) }))
	assert.Error(t, s.recordOne(m, func() error { return nil }))
	assert.Error(t, s.expect(5, len(m.raw)))
}
