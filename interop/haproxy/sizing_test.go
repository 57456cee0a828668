//go:build interop

package haproxy

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idleConns is how many idle sessions TestSizingIdleConnections holds
// open against one instance.
const idleConns = 1000

// TestSizingIdleConnections measures what docs/DEPLOYMENT.md quotes: the
// resident memory an idle session costs one instance (VmRSS before and
// after idleConns sessions that got their greeting), and the CPU time per
// message of one instance without HAProxy, discarding and storing in a
// Maildir.
// It asserts only loose bounds; the numbers are logged.
func TestSizingIdleConnections(t *testing.T) {
	in := startServe(t, "mx1.test", false, proxySource+"/32")
	time.Sleep(200 * time.Millisecond) // let the runtime settle after start
	before := rssKiB(t, in.pid())

	conns := make([]net.Conn, 0, idleConns)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range idleConns {
		c, err := net.DialTimeout("tcp", in.addr, 2*time.Second)
		require.NoError(t, err)
		conns = append(conns, c)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		greet, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(greet, "220 "), "greeting %q", greet)
	}
	time.Sleep(200 * time.Millisecond)
	after := rssKiB(t, in.pid())
	per := float64(after-before) / idleConns
	t.Logf("sizing: VmRSS %d KiB idle, %d KiB with %d idle sessions: %.1f KiB per idle session", before, after, idleConns, per)
	assert.Less(t, per, 256.0, "KiB per idle session")
	for _, c := range conns {
		_ = c.Close()
	}
	conns = conns[:0]

	const msgs = 2000
	cpu := cpuTicks(t, in.pid())
	took := smtpSource(t, in.addr, 20, msgs)
	cpu = cpuTicks(t, in.pid()) - cpu
	t.Logf("sizing: %d messages of 1 KiB, 20 sessions, direct to one --discard instance in %v: %.0f msgs/s; CPU %d ticks (%.0f µs/msg)",
		msgs, took.Round(time.Millisecond), msgs/took.Seconds(), cpu, float64(cpu)*1e4/msgs)

	// The same load into a Maildir: two fsyncs per message (file, new/).
	md := startServe(t, "mx2.test", true, proxySource+"/32")
	cpu = cpuTicks(t, md.pid())
	took = smtpSource(t, md.addr, 20, msgs)
	cpu = cpuTicks(t, md.pid()) - cpu
	require.Len(t, md.stored(t), msgs)
	t.Logf("sizing: %d messages of 1 KiB, 20 sessions, direct to one --maildir instance in %v: %.0f msgs/s; CPU %d ticks (%.0f µs/msg)",
		msgs, took.Round(time.Millisecond), msgs/took.Seconds(), cpu, float64(cpu)*1e4/msgs)
}
