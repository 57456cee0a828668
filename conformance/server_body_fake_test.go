package conformance

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// bodyBug is a deliberate fault of bodyFake.
type bodyBug uint8

const (
	bodyNoBug           bodyBug = iota
	bodyUnknownParam500         // an unknown MAIL parameter gets 500, as go-smtp answers
	bodyLFDotLFEnds             // "\n.\n" ends DATA, and what follows runs as commands
	bodyBDATRunsChunk           // a refused BDAT leaves its chunk to be read as commands
	bodyRepliesReversed         // the replies to a pipelined group go out in reverse order
	bodyLMTPOneReply            // LMTP: one reply after DATA whatever the recipients
	bodySizeNotRead             // an oversized message is refused at once, the rest read as commands
	bodyBareLFCommand           // a bare LF ends a command line
	bodyDataAfterBDAT           // DATA after a BDAT chunk gets 354
)

// bodyFake is a small scripted SMTP (or LMTP) server, correct except for
// its bug: enough of MAIL, RCPT, DATA, BDAT, RSET, NOOP and QUIT for the
// cases of these files, with SIZE 2000, PIPELINING and CHUNKING.
type bodyFake struct {
	bug  bodyBug
	lmtp bool
}

const bodyFakeMax = 2000

// start serves connections on 127.0.0.1 until the test ends and returns
// the address.
func (f bodyFake) start(t *testing.T) string {
	t.Helper()
	return listenTest(t, func(c net.Conn) {
		(&bodyFakeConn{bodyFake: f, c: c, r: bufio.NewReader(c)}).serve()
	})
}

// bodyFakeConn is one connection of a bodyFake.
type bodyFakeConn struct {
	bodyFake
	c       net.Conn
	r       *bufio.Reader
	pending []string // replies not yet written (pipelining)
	mail    bool
	rcpts   int
	bdat    bool
}

// reply queues a reply; flush writes the queue when no input is waiting
// (RFC 2920 section 3.2), reversed under bodyRepliesReversed.
func (f *bodyFakeConn) reply(s string) { f.pending = append(f.pending, s+"\r\n") }

func (f *bodyFakeConn) flush(force bool) {
	if !force && f.r.Buffered() > 0 {
		return
	}
	if f.bug == bodyRepliesReversed {
		slices.Reverse(f.pending)
	}
	f.c.Write([]byte(strings.Join(f.pending, "")))
	f.pending = f.pending[:0]
}

// line reads a command line: up to CRLF, or up to a bare LF under
// bodyBareLFCommand.
func (f *bodyFakeConn) line() (string, error) {
	var b strings.Builder
	for {
		s, err := f.r.ReadString('\n')
		b.WriteString(s)
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(s, "\r\n") || f.bug == bodyBareLFCommand {
			return strings.TrimRight(b.String(), "\r\n"), nil
		}
	}
}

func (f *bodyFakeConn) serve() {
	f.c.Write([]byte("220 fake ESMTP\r\n"))
	for {
		f.flush(false)
		line, err := f.line()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "LHLO":
			f.reply("250-fake\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE " + strconv.Itoa(bodyFakeMax))
		case "MAIL":
			f.mailCmd(arg)
		case "RCPT":
			switch {
			case !f.mail:
				f.reply("503 need MAIL")
			case strings.Contains(arg, "<>"):
				f.reply("501 bad address")
			default:
				f.rcpts++
				f.reply("250 ok")
			}
		case "DATA":
			f.dataCmd()
		case "BDAT":
			f.bdatCmd(arg)
		case "RSET":
			f.mail, f.rcpts, f.bdat = false, 0, false
			f.reply("250 ok")
		case "NOOP":
			f.reply("250 ok")
		case "QUIT":
			f.reply("221 bye")
			f.flush(true)
			return
		default:
			f.reply("500 unknown command")
		}
	}
}

func (f *bodyFakeConn) mailCmd(arg string) {
	if f.mail {
		f.reply("503 nested MAIL")
		return
	}
	_, params, _ := strings.Cut(arg, ">")
	for _, p := range strings.Fields(params) {
		k, v, _ := strings.Cut(strings.ToUpper(p), "=")
		switch {
		case k == "SIZE":
			n, err := strconv.Atoi(v)
			if err != nil {
				f.reply("501 bad SIZE")
				return
			}
			if n > bodyFakeMax {
				f.reply("552 too big")
				return
			}
		case f.bug == bodyUnknownParam500:
			f.reply("500 unrecognized parameter")
			return
		default:
			f.reply("555 unsupported parameter")
			return
		}
	}
	f.mail = true
	f.reply("250 ok")
}

func (f *bodyFakeConn) dataCmd() {
	switch {
	case f.bdat && f.bug != bodyDataAfterBDAT, !f.mail, f.rcpts == 0:
		f.reply("503 bad sequence")
		return
	}
	f.reply("354 go ahead")
	f.flush(true)
	size, prev := 0, "\r\n"
	for {
		s, err := f.r.ReadString('\n')
		if err != nil {
			return
		}
		if s == ".\r\n" && strings.HasSuffix(prev, "\r\n") || f.bug == bodyLFDotLFEnds && s == ".\n" && strings.HasSuffix(prev, "\n") {
			break
		}
		prev, size = s, size+len(s)
		if size > bodyFakeMax && f.bug == bodySizeNotRead {
			f.endTransaction("552 too big")
			return
		}
	}
	if size > bodyFakeMax {
		f.endTransaction("552 too big")
		return
	}
	f.endTransaction("250 accepted")
}

func (f *bodyFakeConn) bdatCmd(arg string) {
	sizeText, last, _ := strings.Cut(arg, " ")
	n, err := strconv.Atoi(sizeText)
	if err != nil {
		f.reply("501 bad size")
		return
	}
	if !f.mail || f.rcpts == 0 {
		if f.bug != bodyBDATRunsChunk {
			io.CopyN(io.Discard, f.r, int64(n))
		}
		f.reply("503 bad sequence")
		return
	}
	io.CopyN(io.Discard, f.r, int64(n))
	f.bdat = true
	if strings.EqualFold(last, "LAST") {
		f.endTransaction("250 accepted")
		return
	}
	f.reply(fmt.Sprintf("250 %d octets", n))
}

// endTransaction answers the end of a message: once, or once per
// recipient under LMTP (RFC 2033 section 4.2) unless bodyLMTPOneReply.
func (f *bodyFakeConn) endTransaction(r string) {
	n := 1
	if f.lmtp && f.bug != bodyLMTPOneReply {
		n = f.rcpts
	}
	for range n {
		f.reply(r)
	}
	f.mail, f.rcpts, f.bdat = false, 0, false
}

// TestBodyCasesCatchBrokenServers runs cases against bodyFake with and
// without the bug each should catch: they pass against the correct fake
// and fail against the broken one.
func TestBodyCasesCatchBrokenServers(t *testing.T) {
	for _, tc := range []struct {
		bug  bodyBug
		lmtp bool
		id   string
	}{
		{bodyUnknownParam500, false, "rfc5321/4.1.1.11/unknown-mail-param"},
		{bodyUnknownParam500, false, "rfc5321/4.1.1.11/param-of-unoffered-extension"},
		{bodyLFDotLFEnds, false, "rfc5321/4.1.1.4/smuggle-lf-dot-lf"},
		{bodyBDATRunsChunk, false, "rfc3030/2/bdat-after-last"},
		{bodyRepliesReversed, false, "rfc2920/3.2/envelope-group-in-order"},
		{bodyRepliesReversed, false, "rfc2920/3.2/refused-rcpt-in-group"},
		{bodyLMTPOneReply, true, "rfc2033/4.2/reply-per-recipient"},
		{bodyLMTPOneReply, true, "rfc2033/4.2/reply-per-rcpt-same-path"},
		{bodySizeNotRead, false, "rfc5321/4.1.1.4/oversize-read-to-end"},
		{bodyBareLFCommand, false, "rfc5321/2.3.8/bare-lf-command"},
		{bodyDataAfterBDAT, false, "rfc3030/2/data-after-bdat"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			cfg := Config{LMTP: tc.lmtp, Timeout: 3 * time.Second, QuietTime: 300 * time.Millisecond}
			good := bodyRun(t, withAddr(cfg, bodyFake{lmtp: tc.lmtp}.start(t)), []string{tc.id})[tc.id]
			assert.Equal(t, Pass, good.Status, "against the correct fake: %s at step %d (%s)\n%s", good.Reason, good.Step, good.StepText, good.Transcript)
			bad := bodyRun(t, withAddr(cfg, bodyFake{bug: tc.bug, lmtp: tc.lmtp}.start(t)), []string{tc.id})[tc.id]
			assert.Equal(t, Fail, bad.Status, "against the broken fake: %s\n%s", bad.Reason, bad.Transcript)
		})
	}
}

// withAddr returns cfg with Addr set.
func withAddr(cfg Config, addr string) Config {
	cfg.Addr = addr
	return cfg
}
