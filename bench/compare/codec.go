package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	netsmtp "net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/smtpkit/smtpkit/wire"
)

// ioChunk is the read size of the streaming codecs, the size of the
// smtpkit server's read buffer.
const ioChunk = 32 << 10

// codecWorkloads are workloads 4 and 5: DATA decoding and encoding of a
// 1 MiB message, from memory to io.Discard.
//
// go-smtp exports no DATA reader (its dataReader is unexported and made
// from a *smtp.Conn), so its row runs its smtp.Server over an in-memory
// net.Conn: MAIL, RCPT, DATA and the content per operation. smtpkit's
// server runs the same way in a row of its own, next to its bare
// wire.DataDecoder.
func codecWorkloads() []workload {
	m := newMessage(1 << 20)
	return []workload{
		{name: "DATA decode 1MiB", impls: []impl{
			{name: "smtpkit wire.DataDecoder", fam: famSmtpkit, setup: func() (*instance, error) { return streamInstance(m, kitDecode(m), m.raw) }},
			{name: "smtpkit server.Server, in-memory conn", fam: famSmtpkit, setup: func() (*instance, error) { return memServerInstance(famSmtpkit, m) }},
			{name: "go-smtp smtp.Server, in-memory conn", fam: famGoSMTP, setup: func() (*instance, error) { return memServerInstance(famGoSMTP, m) }},
			{name: "net/textproto DotReader", fam: famNetSMTP, setup: func() (*instance, error) {
				// DotReader turns CRLF into LF (its documented behaviour).
				return streamInstance(m, dotReaderDecode(m), bytes.ReplaceAll(m.raw, []byte("\r\n"), []byte("\n")))
			}},
		}},
		{name: "DATA encode 1MiB", impls: []impl{
			{name: "smtpkit wire.DataEncoder", fam: famSmtpkit, setup: func() (*instance, error) { return streamInstance(m, kitEncode(m), m.wire) }},
			{name: "go-smtp Client.Data, scripted conn", fam: famGoSMTP, setup: func() (*instance, error) { return goEncodeInstance(m) }},
			{name: "net/smtp Client.Data, scripted conn", fam: famNetSMTP, setup: func() (*instance, error) { return stdEncodeInstance(m) }},
		}},
	}
}

// streamInstance times op writing to io.Discard and checks that op
// writes want.
func streamInstance(m *message, op func(io.Writer) error, want []byte) (*instance, error) {
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := op(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		},
		check: func() error {
			var out bytes.Buffer
			if err := op(&out); err != nil {
				return err
			}
			if !bytes.Equal(out.Bytes(), want) {
				return fmt.Errorf("output of %d octets differs from the %d expected", out.Len(), len(want))
			}
			return nil
		},
		close: func() {},
	}, nil
}

// kitDecode decodes m.wire with wire.DataDecoder, reading it ioChunk
// octets at a time the way a connection does.
func kitDecode(m *message) func(io.Writer) error {
	var d wire.DataDecoder
	src := bytes.NewReader(nil)
	buf := make([]byte, ioChunk)
	dst := make([]byte, 0, ioChunk)
	return func(w io.Writer) error {
		src.Reset(m.wire)
		d.Reset()
		for {
			n, _ := src.Read(buf)
			if n == 0 {
				return io.ErrUnexpectedEOF
			}
			out, used, done := d.Decode(dst[:0], buf[:n])
			if _, err := w.Write(out); err != nil {
				return err
			}
			if done {
				if used != n || src.Len() != 0 {
					return errors.New("the decoder ended before the terminator")
				}
				return d.Err()
			}
		}
	}
}

// dotReaderDecode decodes m.wire with net/textproto's DotReader over a
// bufio.Reader.
func dotReaderDecode(m *message) func(io.Writer) error {
	src := bytes.NewReader(nil)
	br := bufio.NewReader(src)
	tr := textproto.NewReader(br)
	return func(w io.Writer) error {
		src.Reset(m.wire)
		br.Reset(src)
		_, err := io.Copy(w, tr.DotReader())
		return err
	}
}

// kitEncode encodes m.raw with wire.DataEncoder, ioChunk octets at a time.
func kitEncode(m *message) func(io.Writer) error {
	var e wire.DataEncoder
	dst := make([]byte, 0, 2*ioChunk)
	return func(w io.Writer) error {
		e.Reset()
		for rest := m.raw; len(rest) > 0; {
			k := min(len(rest), ioChunk)
			out, err := e.Encode(dst[:0], rest[:k])
			if err != nil {
				return err
			}
			if _, err := w.Write(out); err != nil {
				return err
			}
			rest = rest[k:]
		}
		out, err := e.Close(dst[:0])
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
}

// scriptedReplies are what the scripted server says to DATA and to the
// end of the data.
var scriptedReplies = [][]byte{[]byte("354 Go ahead\r\n"), []byte("250 2.0.0 OK\r\n")}

// encodeInstance times send, one DATA exchange through a client on sc,
// and checks what the client wrote.
func encodeInstance(m *message, sc *scriptConn, send func() error) *instance {
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := send(); err != nil {
					b.Fatal(err)
				}
			}
		},
		check: func() error {
			sc.keep = true
			sc.out.Reset()
			err := send()
			sc.keep = false
			if err != nil {
				return err
			}
			if want := append([]byte("DATA\r\n"), m.wire...); !bytes.Equal(sc.out.Bytes(), want) {
				return fmt.Errorf("the client wrote %d octets, %d expected", sc.out.Len(), len(want))
			}
			return nil
		},
		close: func() {},
	}
}

// goEncodeInstance runs go-smtp's Client.Data (textproto's DotWriter
// underneath) against a scripted conn.
func goEncodeInstance(m *message) (*instance, error) {
	sc := &scriptConn{cycle: scriptedReplies}
	c := gosmtp.NewClient(sc)
	return encodeInstance(m, sc, func() error {
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(m.raw); err != nil {
			return err
		}
		return w.Close()
	}), nil
}

// stdEncodeInstance runs net/smtp's Client.Data against a scripted conn.
func stdEncodeInstance(m *message) (*instance, error) {
	sc := &scriptConn{pre: [][]byte{[]byte("220 " + hostname + " ready\r\n")}, cycle: scriptedReplies}
	c, err := netsmtp.NewClient(sc, hostname)
	if err != nil {
		return nil, err
	}
	return encodeInstance(m, sc, func() error {
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(m.raw); err != nil {
			return err
		}
		return w.Close()
	}), nil
}

// memServerInstance runs the family's server over a memConn; one
// operation hands it MAIL, RCPT and DATA, then, as a later chunk, the
// content, and waits for the session to have read it all.
func memServerInstance(fam family, m *message) (*instance, error) {
	s := &sink{done: make(chan struct{}, 1)}
	c := newMemConn()
	l := newMemListener(c)
	var stop func()
	if fam == famSmtpkit {
		stop = serveKit(l, s)
	} else {
		stop = serveGo(l, s)
	}
	if err := waitReplies(c, "220"); err != nil {
		stop()
		return nil, err
	}
	c.record(true)
	c.in <- []byte("EHLO " + heloName + "\r\n")
	if err := waitReplies(c, "250"); err != nil {
		stop()
		return nil, err
	}
	c.record(false)
	one := func() {
		c.in <- cmdTxn
		c.in <- m.wire
		<-s.done
	}
	var sent int64
	return &instance{
		run: func(b *testing.B) {
			b.SetBytes(int64(len(m.raw)))
			b.ReportAllocs()
			for b.Loop() {
				one()
				sent++
			}
		},
		check: func() error {
			sent++
			c.record(true)
			defer c.record(false)
			if err := s.recordOne(m, func() error { one(); return nil }); err != nil {
				return err
			}
			// The 250 after the content is written after Data returns.
			return waitReplies(c, "250 250 354 250")
		},
		verify: func() error { return s.expect(sent, len(m.raw)) },
		close:  closeAll(stop, func() { c.Close() }),
	}, nil
}

// waitReplies waits up to five seconds for the server to have written
// the replies whose codes are want ("250 250 354") on c, which must be
// recording.
func waitReplies(c *memConn, want string) error {
	var got string
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(100 * time.Microsecond) {
		if got = replyCodes(c.output()); len(got) >= len(want) {
			break
		}
	}
	if got != want {
		return fmt.Errorf("the server replied %q, want %q", got, want)
	}
	return nil
}

// replyCodes lists the codes of the complete replies in out, separated by
// spaces; continuation lines of multiline replies are skipped.
func replyCodes(out string) string {
	var codes []string
	for line := range strings.Lines(out) {
		if len(line) >= 4 && line[3] != '-' && strings.HasSuffix(line, "\n") {
			codes = append(codes, line[:3])
		}
	}
	return strings.Join(codes, " ")
}
