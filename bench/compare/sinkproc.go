package main

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
)

// sinkEnv, set to "1", makes this program (or the test binary) a sink
// server process instead: see sinkChild.
const sinkEnv = "SMTPKIT_COMPARE_SINK"

// inprocSink makes the client workloads use a sink in this process (its
// allocations then count against every client) instead of a child process.
var inprocSink bool

// sinkChild runs the sink process when this process was started as one
// and reports whether it was; main and TestMain call it first.
func sinkChild() bool {
	if os.Getenv(sinkEnv) != "1" {
		return false
	}
	if err := serveSinkProcess(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
	return true
}

// serveSinkProcess serves an smtpkit sink on a loopback port, writes its
// address as the first line of out and answers the commands read from in,
// one a line, until in ends: "record" and "norecord" (answered "ok") and
// "stats" (answered with messages, octets and the CRC-32 of the last body
// recorded).
func serveSinkProcess(in io.Reader, out io.Writer) error {
	s := &sink{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer serveKit(l, s)()
	if _, err := fmt.Fprintln(out, l.Addr()); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var err error
		switch sc.Text() {
		case "record", "norecord":
			s.record.Store(sc.Text() == "record")
			_, err = fmt.Fprintln(out, "ok")
		case "stats":
			_, err = fmt.Fprintln(out, s.stats())
		default:
			_, err = fmt.Fprintln(out, "unknown command")
		}
		if err != nil {
			return err
		}
	}
	return sc.Err()
}

// stats formats the sink's counts and the CRC-32 of its last body.
func (s *sink) stats() string {
	return fmt.Sprintf("%d %d %08x", s.msgs.Load(), s.octets.Load(), crc32.ChecksumIEEE(s.lastBody()))
}

// remoteSink is the server of the client workloads: an smtpkit sink in a
// child process, so that the allocations measured are the client's alone
// (or in this process under -sink inproc).
type remoteSink struct {
	addr string

	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader

	local *sink
	stop  func()
}

// startSink starts a sink, a child process unless inprocSink is set.
func startSink() (*remoteSink, error) {
	if inprocSink {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s := &sink{}
		return &remoteSink{addr: l.Addr().String(), local: s, stop: serveKit(l, s)}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	rs := &remoteSink{cmd: cmd, in: in, out: bufio.NewReader(outp)}
	addr, err := rs.out.ReadString('\n')
	if err != nil {
		rs.close()
		return nil, fmt.Errorf("the sink process did not start: %w", err)
	}
	rs.addr = strings.TrimSpace(addr)
	return rs, nil
}

// do sends one command to the sink and returns its answer.
func (r *remoteSink) do(cmd string) (string, error) {
	if r.local != nil {
		switch cmd {
		case "stats":
			return r.local.stats(), nil
		default:
			r.local.record.Store(cmd == "record")
			return "ok", nil
		}
	}
	if _, err := io.WriteString(r.in, cmd+"\n"); err != nil {
		return "", err
	}
	line, err := r.out.ReadString('\n')
	return strings.TrimSpace(line), err
}

// counts returns the messages and octets the sink received and the CRC-32
// of the last body recorded.
func (r *remoteSink) counts() (msgs, octets int64, crc uint32, err error) {
	line, err := r.do("stats")
	if err != nil {
		return 0, 0, 0, err
	}
	if _, err := fmt.Sscanf(line, "%d %d %x", &msgs, &octets, &crc); err != nil {
		return 0, 0, 0, fmt.Errorf("sink stats %q: %w", line, err)
	}
	return msgs, octets, crc, nil
}

// expect checks that the sink holds msgs messages of size octets each.
func (r *remoteSink) expect(msgs int64, size int) error {
	got, octets, _, err := r.counts()
	if err != nil {
		return err
	}
	if got != msgs || octets != msgs*int64(size) {
		return fmt.Errorf("the sink received %d messages (%d octets); %d of %d octets were sent", got, octets, msgs, size)
	}
	return nil
}

// recordOne runs send (one message) with recording on and checks that
// exactly m arrived, intact.
func (r *remoteSink) recordOne(m *message, send func() error) error {
	before, _, _, err := r.counts()
	if err != nil {
		return err
	}
	if _, err := r.do("record"); err != nil {
		return err
	}
	err = send()
	if _, rerr := r.do("norecord"); err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	after, _, crc, err := r.counts()
	if err != nil {
		return err
	}
	if after-before != 1 {
		return fmt.Errorf("the sink received %d messages for one sent", after-before)
	}
	if want := crc32.ChecksumIEEE(m.raw); crc != want {
		return errors.New("the body the sink received differs from the body sent")
	}
	return nil
}

// close stops the sink.
func (r *remoteSink) close() {
	if r.local != nil {
		r.stop()
		return
	}
	r.in.Close()
	_ = r.cmd.Wait()
}
