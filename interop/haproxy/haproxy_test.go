//go:build interop

package haproxy

import (
	"bufio"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// TestHAProxyBalancesWithProxyV2 sends 2000 messages over 20 parallel
// sessions through HAProxy (roundrobin, send-proxy-v2) to two instances
// that trust only HAProxy's source address, and checks that every message
// is stored once, both instances got a share, and the instances log and
// stamp in Received the client HAProxy saw, not HAProxy.
func TestHAProxyBalancesWithProxyV2(t *testing.T) {
	a := startServe(t, "mx1.test", true, proxySource+"/32")
	b := startServe(t, "mx2.test", true, proxySource+"/32")
	lb := startHAProxy(t, a, b)

	const msgs = 2000
	cpuA, cpuB, cpuLB := cpuTicks(t, a.pid()), cpuTicks(t, b.pid()), cpuTicks(t, lb.p.cmd.Process.Pid)
	took := smtpSource(t, lb.front, 20, msgs)
	cpuA, cpuB, cpuLB = cpuTicks(t, a.pid())-cpuA, cpuTicks(t, b.pid())-cpuB, cpuTicks(t, lb.p.cmd.Process.Pid)-cpuLB
	t.Logf("sizing: %d messages of 1 KiB, 20 sessions, through HAProxy in %v: %.0f msgs/s; CPU (10ms ticks) smtpkit %d+%d (%.0f µs/msg), haproxy %d",
		msgs, took.Round(time.Millisecond), msgs/took.Seconds(), cpuA, cpuB, float64(cpuA+cpuB)*1e4/msgs, cpuLB)

	fa, fb := a.stored(t), b.stored(t)
	t.Logf("mx1 stored %d, mx2 stored %d", len(fa), len(fb))
	require.Len(t, append(fa, fb...), msgs, "both Maildirs together")
	assert.NotEmpty(t, fa, "mx1 got no message")
	assert.NotEmpty(t, fb, "mx2 got no message")

	// HAProxy logs a session when it ends; smtp-source has closed them all.
	waitFor(t, 20*time.Second, "haproxy logging every session", func() bool {
		return len(lb.sessions(t)) >= msgs
	}, lb.p)
	sent := map[string]map[string]bool{} // client to servers
	perServer := map[string]int{}
	for _, s := range lb.sessions(t) {
		if sent[s.client] == nil {
			sent[s.client] = map[string]bool{}
		}
		sent[s.client][s.server] = true
		perServer[s.server]++
		require.True(t, strings.HasPrefix(s.source, proxySource+":"), "HAProxy's own side %s", s.source)
	}
	for i, in := range []*instance{a, b} {
		server := []string{"s1", "s2"}[i]
		lines := in.accepted(t)
		require.Len(t, lines, len(in.stored(t)), "%s: one accepted line per stored message", server)
		require.Equal(t, perServer[server], len(lines), "%s: sessions HAProxy sent vs messages accepted", server)
		for _, l := range lines {
			ap, err := netip.ParseAddrPort(l.Client)
			require.NoError(t, err, "client %q", l.Client)
			require.Equal(t, "127.0.0.1", ap.Addr().String(), "%s logged %q, not the real client", server, l.Client)
			require.True(t, sent[l.Client][server], "%s logged client %s that HAProxy did not send it", server, l.Client)
		}
		msg, err := os.ReadFile(in.stored(t)[0])
		require.NoError(t, err)
		head := string(msg[:min(len(msg), 512)])
		assert.Contains(t, head, "Received: from client.test ([127.0.0.1])", "%s Received header", server)
		assert.NotContains(t, head, proxySource)
	}
}

// TestProxyHeaderFromUntrustedIsRefused sends a PROXY v2 header claiming
// 203.0.113.7 from 127.0.0.1, which the instance does not trust: it must
// not be believed. A trusted source (127.0.0.2) sending the same header is
// the control: there the address is taken.
func TestProxyHeaderFromUntrustedIsRefused(t *testing.T) {
	in := startServe(t, "mx1.test", true, proxySource+"/32")
	spoof := netip.MustParseAddrPort("203.0.113.7:4242")
	hdr, err := wire.AppendProxyV2(nil, wire.ProxyHeader{
		Command: wire.ProxyCommandProxy, Network: wire.ProxyNetTCP4,
		Src: spoof, Dst: netip.MustParseAddrPort(in.addr),
	})
	require.NoError(t, err)

	// Untrusted (127.0.0.1): the greeting comes at once (no header is awaited) and the
	// header is SMTP garbage.
	c, err := net.DialTimeout("tcp", in.addr, 2*time.Second)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	greet, err := r.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(greet, "220 "), "greeting %q", greet)
	_, err = c.Write(hdr)
	require.NoError(t, err)
	replies := transact(c, r)
	t.Logf("untrusted header, then a transaction: %q", replies)
	require.NotEmpty(t, replies)
	// The header's first octets are empty lines and "\x00", then
	// "QUIT\n" and binary: bad commands, or, sent together, commands
	// pipelined before EHLO (RFC 2920 section 3.1), which ends the session.
	assert.Regexp(t, `^(5\d\d|421) `, replies[0], "the header must not be accepted")
	for _, rp := range replies {
		assert.NotRegexp(t, `^(354|250 .*queued)`, rp, "a transaction went through after the header")
	}

	// The control: another instance, the same header from the trusted
	// 127.0.0.2.
	ctl := startServe(t, "mx2.test", true, proxySource+"/32")
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(proxySource)}}
	tc, err := d.Dial("tcp", ctl.addr)
	require.NoError(t, err)
	defer tc.Close()
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = tc.Write(hdr)
	require.NoError(t, err)
	tr := bufio.NewReader(tc)
	greet, err = tr.ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(greet, "220 "), "greeting %q", greet)
	trusted := transact(tc, tr)
	require.Contains(t, strings.Join(trusted, ""), "250 ", "trusted transaction: %q", trusted)
	waitFor(t, 5*time.Second, "the control message", func() bool { return len(ctl.accepted(t)) == 1 }, ctl.p)
	assert.Equal(t, spoof.String(), ctl.accepted(t)[0].Client, "the trusted header is believed")

	in.p.stop(syscall.SIGTERM, 5*time.Second)
	assert.Empty(t, in.accepted(t), "a message went through after the untrusted header")
	assert.Empty(t, in.stored(t))
	for _, f := range []string{in.out, in.errf} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), spoof.Addr().String(), "%s", f)
	}
}

// transact runs EHLO, MAIL, RCPT, DATA, a body and QUIT one command at a
// time and returns the last line of each reply it got before the
// connection ended.
func transact(c net.Conn, r *bufio.Reader) []string {
	var out []string
	for _, cmd := range []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.test>", "DATA", "Subject: t\r\n\r\nbody\r\n.", "QUIT"} {
		if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
			return out
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return out
			}
			if len(line) < 4 || line[3] != '-' {
				out = append(out, strings.TrimRight(line, "\r\n"))
				break
			}
		}
	}
	return out
}

// TestHAProxyInstanceDown stops one of two instances (SIGTERM, a graceful
// shutdown) in the middle of a load through HAProxy, waits for HAProxy's
// health check to mark it DOWN, and sends a second load: all of it goes to
// the remaining instance, and every message an instance accepted (logged
// and answered 250) is in its Maildir.
func TestHAProxyInstanceDown(t *testing.T) {
	a := startServe(t, "mx1.test", true, proxySource+"/32")
	b := startServe(t, "mx2.test", true, proxySource+"/32")
	lb := startHAProxy(t, a, b)

	// First load: mx2 stops once it has stored 50 messages. smtp-source
	// gives up at the first 421 of the graceful shutdown; what matters is
	// that nothing answered 250 goes missing.
	first := smtpSourceAsync(t, lb.front, 10, 1000)
	waitFor(t, 30*time.Second, "mx2 storing 50 messages", func() bool { return len(b.stored(t)) >= 50 }, b.p)
	begin := time.Now()
	b.p.stop(syscall.SIGTERM, 10*time.Second)
	lb.waitStatus(t, "s2", "DOWN")
	t.Logf("s2 marked DOWN %v after SIGTERM (check inter 500ms fall 2)", time.Since(begin).Round(time.Millisecond))
	select {
	case err := <-first:
		t.Logf("first load: smtp-source: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("first load did not end")
	}
	na, nb := len(a.stored(t)), len(b.stored(t))
	t.Logf("first load: mx1 stored %d, mx2 %d before it stopped", na, nb)

	const msgs = 500
	smtpSource(t, lb.front, 10, msgs)
	assert.Len(t, b.stored(t), nb, "mx2 stored messages after it stopped")
	assert.Len(t, a.stored(t), na+msgs, "the second load all went to mx1")
	for _, in := range []*instance{a, b} {
		lines := in.accepted(t)
		assert.Len(t, lines, len(in.stored(t)), "accepted lines vs stored files")
		for _, l := range lines {
			_, err := os.Stat(l.File)
			assert.NoError(t, err, "accepted message %s lost", l.ID)
		}
	}
}

// TestHAProxyDrainedStopLosesNothing is the rolling restart of
// docs/DEPLOYMENT.md: in the middle of a load, an instance is put in
// maintenance through HAProxy's stats socket, stopped once HAProxy has no
// session left on it, and the load completes with every message stored
// and no error seen by the client.
func TestHAProxyDrainedStopLosesNothing(t *testing.T) {
	a := startServe(t, "mx1.test", true, proxySource+"/32")
	b := startServe(t, "mx2.test", true, proxySource+"/32")
	lb := startHAProxy(t, a, b)

	const msgs = 1000
	done := smtpSourceAsync(t, lb.front, 10, msgs)
	waitFor(t, 30*time.Second, "mx2 storing 50 messages", func() bool { return len(b.stored(t)) >= 50 }, b.p)
	out, err := lb.command("set server smtpkit/s2 state maint")
	require.NoError(t, err)
	require.Empty(t, strings.TrimSpace(string(out)), "set server")
	waitFor(t, 10*time.Second, "s2 drained", func() bool {
		st := lb.stats()["s2"]
		return strings.HasPrefix(st["status"], "MAINT") && st["scur"] == "0"
	}, lb.p)
	b.p.stop(syscall.SIGTERM, 10*time.Second)
	nb := len(b.stored(t))
	select {
	case err := <-done:
		require.NoError(t, err, "smtp-source")
	case <-time.After(time.Minute):
		t.Fatal("the load did not end")
	}
	t.Logf("mx2 stored %d before it was drained and stopped, mx1 %d", nb, len(a.stored(t)))
	assert.Len(t, b.stored(t), nb, "mx2 stored messages after it stopped")
	require.Len(t, append(a.stored(t), b.stored(t)...), msgs, "messages lost")
}
