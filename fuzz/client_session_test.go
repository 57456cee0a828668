package fuzz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds FuzzClientSession: the client driver (client.NewClient,
// Send, Noop, Reset, Quit) over a replayConn whose server replays the
// fuzzer's octets in the fuzzer's pieces, whatever the client writes. The
// oracle (client_oracle_test.go) and checkSends (client_result_test.go)
// judge what the client wrote and reported.

// sessionFlags are the options a FuzzClientSession input picks.
type sessionFlags uint16

// The bits of sessionFlags; bits 8-9 (recipients) and 14-15 (chunk size)
// are small numbers.
const (
	flagLMTP      sessionFlags = 1 << 0  // WithLMTP
	flagNoBDAT    sessionFlags = 1 << 1  // WithoutBDAT
	flagAuth      sessionFlags = 1 << 2  // WithAuth
	flagInsecure  sessionFlags = 1 << 3  // WithInsecureAuth
	flagNormalize sessionFlags = 1 << 4  // WithBareLines(wire.BareNormalize)
	flagSecond    sessionFlags = 1 << 5  // a second message
	flagNoop      sessionFlags = 1 << 6  // NOOP before the second message
	flagReset     sessionFlags = 1 << 7  // RSET before the second message
	flagNoLen     sessionFlags = 1 << 10 // a body reader without Len: no SIZE
	flagBinary    sessionFlags = 1 << 11 // Envelope.Binary
	flagIDNA      sessionFlags = 1 << 12 // the last recipient has a U-label domain
	flagNullFrom  sessionFlags = 1 << 13 // the null reverse-path
)

// recipients returns how many recipients each message has, 1 to 3.
func (f sessionFlags) recipients() int { return 1 + int(f>>8&3)%3 }

// chunkSize returns the driver's chunk size (body reads and BDAT chunks).
func (f sessionFlags) chunkSize() int { return [...]int{8, 33, 256, 64 << 10}[f>>14&3] }

// sessionAddr is the address the client believes it dialled.
const sessionAddr = "mx.example.net:25"

// secondBody is the body of the second message: dot lines and 8-bit text.
const secondBody = ".\r\n..two\r\n\xe2\x82\xac uro\r\nend"

// idnaDomain is the U-label domain of flagIDNA and its A-label form
// (RFC 5891).
const idnaDomain, idnaALabel = "bücher.example", "xn--bcher-kva.example"

// callRecord is one call of the client's API and what it did.
type callRecord struct {
	name     string
	from, to int // the client's octets written during the call
	env      client.Envelope
	body     []byte
	res      *client.Result
	err      error
	sticky   error // Client.Err after the call
}

// sessionRun is one session: the connection and every call.
type sessionRun struct {
	flags sessionFlags
	conn  *replayConn
	calls []callRecord
}

// envelope returns message k's envelope (k 0 or 1).
func (f sessionFlags) envelope(k int) client.Envelope {
	env := client.Envelope{From: "alice@example.org", Binary: f&flagBinary != 0}
	if f&flagNullFrom != 0 {
		env.From = ""
	}
	letter := string(rune('b' + k))
	for i := range f.recipients() {
		env.To = append(env.To, fmt.Sprintf("%s%d@example.net", letter, i+1))
	}
	if f&flagIDNA != 0 {
		env.To[len(env.To)-1] = letter + "9@" + idnaDomain
	}
	return env
}

// options returns the client options of f: no TLS, so every octet is
// plaintext the oracle can read.
func (f sessionFlags) options() []client.Option {
	opts := []client.Option{client.WithHostname("client.example.org"),
		client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyAuto), client.WithChunkSize(f.chunkSize())}
	if f&flagLMTP != 0 {
		opts = append(opts, client.WithLMTP())
	}
	if f&flagNoBDAT != 0 {
		opts = append(opts, client.WithoutBDAT())
	}
	if f&flagAuth != 0 {
		opts = append(opts, client.WithAuthMechanisms(credentials()...))
	}
	if f&flagInsecure != 0 {
		opts = append(opts, client.WithInsecureAuth())
	}
	if f&flagNormalize != 0 {
		opts = append(opts, client.WithBareLines(wire.BareNormalize))
	}
	return opts
}

// credentials are the mechanisms of client.WithAuth("alice", "s3cret"),
// with SCRAM's nonce drawn from a fixed stream so that two runs write the
// same octets.
func credentials() []auth.ClientMechanism {
	const user, pass = "alice", "s3cret"
	fixed := func() auth.Option { return auth.WithRand(constReader('n')) }
	return []auth.ClientMechanism{
		auth.SCRAMClient(auth.SCRAMSHA256, true, "", user, pass, fixed()),
		auth.SCRAMClient(auth.SCRAMSHA256, false, "", user, pass, fixed()),
		auth.SCRAMClient(auth.SCRAMSHA1, true, "", user, pass, fixed()),
		auth.SCRAMClient(auth.SCRAMSHA1, false, "", user, pass, fixed()),
		auth.PlainClient("", user, pass),
		auth.LoginClient(user, pass),
	}
}

// constReader is an endless stream of one octet.
type constReader byte

// Read fills p with the octet.
func (r constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// onlyReader hides the Len method of the reader it wraps, so Send cannot
// learn the size in advance.
type onlyReader struct{ r io.Reader }

// Read reads from the wrapped reader.
func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// runClientSession runs one session: the greeting, EHLO and AUTH, the
// messages with NOOP and RSET between them as f says, and QUIT; each call
// after the client became unusable is made too, to check that it returns
// the sticky error. The context bounds the whole session.
func runClientSession(server, cuts, body []byte, f sessionFlags) *sessionRun {
	conn := &replayConn{in: server, cuts: cuts}
	run := &sessionRun{flags: f, conn: conn}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	record := func(rec callRecord, c *client.Client) {
		rec.to = len(conn.out)
		if c != nil {
			rec.sticky = c.Err()
		}
		run.calls = append(run.calls, rec)
	}
	c, err := client.NewClient(ctx, conn, sessionAddr, f.options()...)
	record(callRecord{name: "open", err: err}, c)
	if err != nil {
		return run
	}
	for k := range 1 + int(f&flagSecond>>5) {
		if k == 1 {
			if f&flagNoop != 0 {
				from := len(conn.out)
				record(callRecord{name: "noop", from: from, err: c.Noop(ctx)}, c)
			}
			if f&flagReset != 0 {
				from := len(conn.out)
				record(callRecord{name: "reset", from: from, err: c.Reset(ctx)}, c)
			}
			body = []byte(secondBody)
		}
		env := f.envelope(k)
		var r io.Reader = bytes.NewReader(body)
		if f&flagNoLen != 0 {
			r = onlyReader{r}
		}
		rec := callRecord{name: fmt.Sprintf("send%d", k+1), from: len(conn.out), env: env, body: body}
		rec.res, rec.err = c.Send(ctx, env, r)
		record(rec, c)
	}
	from := len(conn.out)
	record(callRecord{name: "quit", from: from, err: c.Quit(ctx)}, c)
	return run
}

// summary renders what a session did, for comparing two cuts of the same
// server octets.
func (run *sessionRun) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wrote %q\n", run.conn.out)
	for _, w := range run.conn.writes {
		fmt.Fprintf(&b, "write %d+%d\n", w.at, w.n)
	}
	for _, c := range run.calls {
		fmt.Fprintf(&b, "%s [%d,%d) err=%v sticky=%v", c.name, c.from, c.to, c.err, c.sticky)
		if c.res != nil {
			fmt.Fprintf(&b, " result=%+v", *c.res)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// clientOps are the documented values of client.Error.Op.
var clientOps = map[string]bool{"dial": true, "config": true, "tls": true, "greeting": true,
	"hello": true, "starttls": true, "auth": true, "send": true, "reset": true, "noop": true,
	"quit": true, "read": true, "write": true, "close": true}

// errorProblem returns why err is not one of the client's documented
// errors, or "". Send may also return its pre-transaction errors
// (*BodyError, *SizeError, *AddressError, ErrNeeds8BITMIME,
// ErrBinaryNotOffered) and, for a transaction that failed, *SendError.
func errorProblem(err error, send bool) string {
	if err == nil {
		return ""
	}
	if err.Error() == "" {
		return "an error without text"
	}
	_ = client.Temporary(err)
	switch e := err.(type) {
	case *client.Error:
		switch {
		case !clientOps[e.Op]:
			return "client.Error with the undocumented Op " + e.Op
		case e.Err == nil:
			return "client.Error without a cause"
		case e.Addr != sessionAddr:
			return "client.Error naming " + e.Addr
		}
		return ""
	case *client.SendError:
		if send && (e.Reply != nil || len(e.Failed) > 0) {
			return ""
		}
	case *client.BodyError, *client.SizeError, *client.AddressError:
		if send {
			return ""
		}
	case interface{ Unwrap() []error }: // errors.Join of typed errors
		for _, x := range e.Unwrap() {
			if p := errorProblem(x, send); p != "" {
				return p
			}
		}
		return ""
	}
	if send && (err == client.ErrNeeds8BITMIME || err == client.ErrBinaryNotOffered) {
		return ""
	}
	return fmt.Sprintf("untyped error %T: %v", err, err)
}

// checkCalls checks each call's error and the sticky error: a Client
// that reports Err answers every later call with that same error and
// writes nothing more.
func checkCalls(run *sessionRun) []string {
	var problems []string
	var sticky error
	for _, c := range run.calls {
		if p := errorProblem(c.err, strings.HasPrefix(c.name, "send")); p != "" {
			problems = append(problems, c.name+": "+p)
		}
		if errors.Is(c.err, context.DeadlineExceeded) || errors.Is(c.err, os.ErrDeadlineExceeded) {
			problems = append(problems, c.name+": the session hung until its deadline")
		}
		if sticky != nil && c.name != "open" {
			if c.err != sticky || c.to != c.from {
				problems = append(problems, fmt.Sprintf("%s after the client failed: error %v, wrote %d octets; want %v and none",
					c.name, c.err, c.to-c.from, sticky))
			}
		}
		var se *client.SendError
		if errors.As(c.err, &se) && c.sticky != nil && c.err == se {
			problems = append(problems, c.name+": a *SendError left the client unusable: "+c.sticky.Error())
		}
		if c.sticky != nil {
			sticky = c.sticky
		}
	}
	if run.conn.runaway {
		problems = append(problems, "the client read or wrote without end")
	}
	return problems
}

// FuzzClientSession runs the client driver against arbitrary server
// octets: server is replayed in the pieces cuts describes, body is the
// first message (the second is secondBody), flags pick the options. It
// checks that the client never panics or hangs, returns only its
// documented errors, writes only commands legal after the replies it had
// read, dot-stuffs DATA and frames BDAT so that the content decodes to the
// body given, never reports a recipient delivered that the replies did
// not accept, and does all of it the same way when the same octets come
// whole.
func FuzzClientSession(f *testing.F) {
	for _, s := range clientSessionSeeds(f) {
		f.Add(s[0].([]byte), s[1].([]byte), s[2].([]byte), s[3].(uint16))
	}
	f.Fuzz(func(t *testing.T, server, cuts, body []byte, flags uint16) {
		if len(server) > 8<<10 || len(body) > 2<<10 || len(cuts) > 64 {
			return
		}
		fl := sessionFlags(flags)
		run := runClientSession(server, cuts, body, fl)
		problems := checkCalls(run)
		o := readSession(run.conn.out, run.conn.writes, server, fl&flagLMTP != 0, fl&flagAuth != 0, fl&flagInsecure != 0)
		problems = append(problems, o.problems...)
		problems = append(problems, checkSends(o, run)...)
		if len(problems) > 0 {
			t.Fatalf("%s\nclient wrote:\n%s", strings.Join(problems, "\n"), run.summary())
		}
		whole := runClientSession(server, nil, body, fl)
		if got, want := whole.summary(), run.summary(); got != want {
			t.Fatalf("the same octets in other pieces gave another session:\ncut:\n%s\nwhole:\n%s", want, got)
		}
	})
}

// TestSeedsClientSession keeps testdata/fuzz/FuzzClientSession in step
// with clientSessionSeeds, and runs every seed through the checks.
func TestSeedsClientSession(t *testing.T) {
	seeds := clientSessionSeeds(t)
	syncSeeds(t, "FuzzClientSession", seeds)
	for i, s := range seeds {
		server, cuts, body, flags := s[0].([]byte), s[1].([]byte), s[2].([]byte), sessionFlags(s[3].(uint16))
		run := runClientSession(server, cuts, body, flags)
		o := readSession(run.conn.out, run.conn.writes, server, flags&flagLMTP != 0, flags&flagAuth != 0, flags&flagInsecure != 0)
		problems := append(append(checkCalls(run), o.problems...), checkSends(o, run)...)
		require.Empty(t, problems, "seed %d:\n%s", i, run.summary())
	}
}
