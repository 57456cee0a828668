package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"
)

// The commands of one transaction, as the raw client writes them.
var (
	cmdMail = []byte("MAIL FROM:<" + mailFrom + ">\r\n")
	cmdRcpt = []byte("RCPT TO:<" + rcptTo + ">\r\n")
	cmdData = []byte("DATA\r\n")
	cmdTxn  = []byte("MAIL FROM:<" + mailFrom + ">\r\nRCPT TO:<" + rcptTo + ">\r\nDATA\r\n")
)

// rawClient is the client of the server workloads: it writes prepared
// octets and reads replies through a bufio.Reader, so that it allocates
// nothing per message and costs every server the same.
type rawClient struct {
	nc net.Conn
	r  *bufio.Reader
}

// dialRaw connects to addr, reads the greeting and sends EHLO.
func dialRaw(addr string) (*rawClient, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &rawClient{nc: nc, r: bufio.NewReaderSize(nc, 4096)}
	if err := c.expect('2', '2', '0'); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.write([]byte("EHLO " + heloName + "\r\n")); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.expect('2', '5', '0'); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// write writes p.
func (c *rawClient) write(p []byte) error {
	_, err := c.nc.Write(p)
	return err
}

// expect reads one reply, multiline or not, and checks its code.
func (c *rawClient) expect(c0, c1, c2 byte) error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 || line[0] != c0 || line[1] != c1 || line[2] != c2 {
			return fmt.Errorf("reply %q, want %c%c%c", bytes.TrimSpace(line), c0, c1, c2)
		}
		if line[3] != '-' {
			return nil
		}
	}
}

// expectN reads n replies with the same code.
func (c *rawClient) expectN(n int, c0, c1, c2 byte) error {
	for range n {
		if err := c.expect(c0, c1, c2); err != nil {
			return err
		}
	}
	return nil
}

// lockstep sends one message waiting for each reply: four round trips.
func (c *rawClient) lockstep(m *message) error {
	for _, cmd := range [][]byte{cmdMail, cmdRcpt} {
		if err := c.write(cmd); err != nil {
			return err
		}
		if err := c.expect('2', '5', '0'); err != nil {
			return err
		}
	}
	if err := c.write(cmdData); err != nil {
		return err
	}
	if err := c.expect('3', '5', '4'); err != nil {
		return err
	}
	if err := c.write(m.wire); err != nil {
		return err
	}
	return c.expect('2', '5', '0')
}

// pipelined sends MAIL, RCPT and DATA in one write, then the content after
// the 354 (RFC 2920 section 3.1: DATA ends a group): two round trips.
func (c *rawClient) pipelined(m *message) error {
	if err := c.write(cmdTxn); err != nil {
		return err
	}
	if err := c.expectN(2, '2', '5', '0'); err != nil {
		return err
	}
	if err := c.expect('3', '5', '4'); err != nil {
		return err
	}
	if err := c.write(m.wire); err != nil {
		return err
	}
	return c.expect('2', '5', '0')
}

// serverImpls returns the two servers and net/smtp's absence for a
// workload whose unit of work is send.
func serverImpls(m *message, send func(*rawClient, *message) error) []impl {
	mk := func(fam family) func() (*instance, error) {
		return func() (*instance, error) { return serverInstance(fam, m, send) }
	}
	return []impl{
		{name: "smtpkit server.Server", fam: famSmtpkit, setup: mk(famSmtpkit)},
		{name: "go-smtp smtp.Server", fam: famGoSMTP, setup: mk(famGoSMTP)},
		{name: "net/smtp", fam: famNetSMTP, na: "n/a: net/smtp has no server"},
	}
}

// serverInstance starts the family's server and greets it with a raw
// client over loopback TCP; each operation is one message sent by send.
func serverInstance(fam family, m *message, send func(*rawClient, *message) error) (*instance, error) {
	s := &sink{}
	addr, stop, err := serveTCP(fam, s)
	if err != nil {
		return nil, err
	}
	c, err := dialRaw(addr)
	if err != nil {
		stop()
		return nil, err
	}
	var sent int64
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := send(c, m); err != nil {
					b.Fatal(err)
				}
				sent++
			}
		},
		check: func() error {
			sent++
			return s.recordOne(m, func() error { return send(c, m) })
		},
		verify: func() error { return s.expect(sent, len(m.raw)) },
		close:  closeAll(stop, func() { c.nc.Close() }),
	}, nil
}

// serverWorkloads are workloads 1 to 3: one message per transaction on
// one long-lived connection, lock-step and pipelined, 1 KiB to 1 MiB.
func serverWorkloads() []workload {
	small := newMessage(1 << 10)
	return []workload{
		{name: "server 1KiB lock-step", impls: serverImpls(small, (*rawClient).lockstep)},
		{name: "server 1KiB pipelined", impls: serverImpls(small, (*rawClient).pipelined)},
		{name: "server 100KiB pipelined", impls: serverImpls(newMessage(100<<10), (*rawClient).pipelined)},
		{name: "server 1MiB pipelined", impls: serverImpls(newMessage(1<<20), (*rawClient).pipelined)},
	}
}

// cmdBatch is how many command groups the command workloads write at once.
const cmdBatch = 64

// commandWorkloads are workload 8: a stream of pipelined commands that
// may be pipelined anywhere in a group (RFC 2920 section 3.1: RSET, MAIL,
// RCPT), cmdBatch groups per write, every reply read; the table shows the
// cost per command. NOOP is left out: it may only end a group, and
// smtpkit, by default, refuses a client that pipelines past it.
func commandWorkloads() []workload {
	groups := []struct {
		name string
		cmds []byte
		n    int
	}{
		{"RSET", []byte("RSET\r\n"), 1},
		{"MAIL+RSET", []byte("MAIL FROM:<" + mailFrom + "> BODY=8BITMIME\r\nRSET\r\n"), 2},
		{"MAIL+RCPT+RSET", []byte("MAIL FROM:<" + mailFrom + "> BODY=8BITMIME\r\nRCPT TO:<" + rcptTo + ">\r\nRSET\r\n"), 3},
	}
	var ws []workload
	for _, g := range groups {
		mk := func(fam family) func() (*instance, error) {
			return func() (*instance, error) { return commandInstance(fam, g.cmds, g.n) }
		}
		ws = append(ws, workload{name: "commands " + g.name + " (per command)", perOp: g.n, impls: []impl{
			{name: "smtpkit server.Server", fam: famSmtpkit, setup: mk(famSmtpkit)},
			{name: "go-smtp smtp.Server", fam: famGoSMTP, setup: mk(famGoSMTP)},
			{name: "net/smtp", fam: famNetSMTP, na: "n/a: net/smtp has no server"},
		}})
	}
	return ws
}

// commandInstance sends group (n commands, every reply 250) cmdBatch
// times per write; one operation is one group.
func commandInstance(fam family, group []byte, n int) (*instance, error) {
	s := &sink{}
	addr, stop, err := serveTCP(fam, s)
	if err != nil {
		return nil, err
	}
	c, err := dialRaw(addr)
	if err != nil {
		stop()
		return nil, err
	}
	batch := bytes.Repeat(group, cmdBatch)
	send := func(groups int) error {
		if err := c.write(batch[:groups*len(group)]); err != nil {
			return err
		}
		return c.expectN(groups*n, '2', '5', '0')
	}
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(group)))
			b.ReportAllocs()
			b.ResetTimer()
			for left := b.N; left > 0; left -= cmdBatch {
				if err := send(min(left, cmdBatch)); err != nil {
					b.Fatal(err)
				}
			}
		},
		check: func() error { return send(cmdBatch) },
		verify: func() error {
			// Nothing but 250s came back; the server must still answer.
			return send(1)
		},
		close: closeAll(stop, func() { c.nc.Close() }),
	}, nil
}
