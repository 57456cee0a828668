package conformance

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// rawServer serves every connection with fn on 127.0.0.1 and returns the
// address.
func rawServer(t *testing.T, fn func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	return listenTest(t, func(c net.Conn) { fn(c, bufio.NewReader(c)) })
}

// greetAndHello answers the greeting and one EHLO (the probe's), then
// leaves the rest to next.
func greetAndHello(next func(c net.Conn, r *bufio.Reader)) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 fake ESMTP\r\n"))
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(strings.ToUpper(line), "EHLO") {
			return
		}
		c.Write([]byte("250-fake\r\n250 PIPELINING\r\n"))
		next(c, r)
	}
}

func runOne(t *testing.T, addr string, c *Case, cfg Config) Result {
	t.Helper()
	cfg.Addr = addr
	rep, err := RunServer(context.Background(), cfg, []*Case{c})
	require.NoError(t, err)
	require.Len(t, rep.Results, 1)
	return rep.Results[0]
}

var mailCase = &Case{RFC: 5321, Section: "4.1.1.2", Name: "t", Level: Must, Title: "t",
	Steps: []Step{Greeting(), Hello(), Cmd("MAIL FROM:<{from}>", "250")}}

func TestRunnerOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		serve  func(c net.Conn, r *bufio.Reader)
		status Status
		reason string
		step   int
	}{
		{"pass", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("250 2.1.0 ok\r\n"))
		}, Pass, "", 0},
		{"wrong code", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("502 5.5.1 not implemented\r\n"))
		}, Fail, "want 250, got 502 5.5.1 not implemented", 3},
		{"timeout", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			time.Sleep(2 * time.Second)
		}, Fail, "nothing from the server before the case's time bound", 3},
		{"closed", func(c net.Conn, r *bufio.Reader) {}, Fail, "the server closed the connection", 3},
		{"closed mid-reply", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("250-first line\r\n"))
		}, Fail, "closed in the middle of a reply", 3},
		{"bare LF", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("250 ok\n"))
		}, Fail, "bare LF", 3},
		{"code changes", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("250-ok\r\n251 ok\r\n"))
		}, Fail, "RFC 5321 section 4.2.1", 3},
		{"not a reply", func(c net.Conn, r *bufio.Reader) {
			r.ReadString('\n')
			c.Write([]byte("hello there\r\n"))
		}, Fail, "malformed reply line", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, greetAndHello(tc.serve))
			start := time.Now()
			res := runOne(t, addr, mailCase, Config{Timeout: 500 * time.Millisecond})
			assert.Less(t, time.Since(start), 5*time.Second, "bounded by the case's timeout")
			assert.Equal(t, tc.status, res.Status, res.Reason)
			assert.Contains(t, res.Reason, tc.reason)
			assert.Equal(t, tc.step, res.Step)
			require.NotNil(t, res.Transcript)
			assert.Contains(t, res.Transcript.String(), "C: MAIL FROM:<conformance@smtpkit.test>")
		})
	}
}

func TestRunnerUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	_, err = RunServer(context.Background(), Config{Addr: addr, Timeout: time.Second}, []*Case{mailCase})
	require.ErrorIs(t, err, ErrUnreachable)
}

func TestRunnerNeeds(t *testing.T) {
	addr := smtpkitServer(t, nil) // no TLS, no AUTH
	mk := func(name string, n Needs) *Case {
		return &Case{RFC: 1, Section: "1", Name: name, Level: Must, Title: "t", Needs: n, Steps: []Step{Greeting()}}
	}
	cases := []*Case{
		mk("plain", Needs{}),
		mk("tls", Needs{TLS: true}),
		mk("auth", Needs{Auth: true}),
		mk("lmtp", Needs{Protocol: LMTPOnly}),
		mk("ext", Needs{Ext: []string{"XFOOBAR"}}),
		mk("pipelining", Needs{Ext: []string{"pipelining"}}),
	}
	rep, err := RunServer(context.Background(), Config{Addr: addr}, cases)
	require.NoError(t, err)
	got := map[string]Result{}
	for _, r := range rep.Results {
		got[r.Case.Name] = r
	}
	assert.Equal(t, Pass, got["plain"].Status)
	assert.Equal(t, Pass, got["pipelining"].Status, "keywords compare without case")
	assert.Equal(t, Skipped, got["tls"].Status)
	assert.Contains(t, got["tls"].Reason, "STARTTLS")
	assert.Contains(t, got["auth"].Reason, "credentials")
	assert.Contains(t, got["lmtp"].Reason, "LMTP")
	assert.Contains(t, got["ext"].Reason, "XFOOBAR")
	assert.Contains(t, rep.Capabilities, "PIPELINING")
	assert.Empty(t, rep.TLSCapabilities)
	p, f, s := rep.Counts()
	assert.Equal(t, [3]int{2, 0, 4}, [3]int{p, f, s})
	assert.False(t, rep.Failed(Must))
}

func TestRunnerTLS(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost", "127.0.0.1")
	require.NoError(t, err)
	addr := smtpkitServer(t, func(s *server.Server) { s.TLSConfig = cfg })
	c := &Case{RFC: 3207, Section: "4", Name: "t", Level: Must, Title: "t", Needs: Needs{TLS: true},
		Steps: []Step{Greeting(), Hello(), StartTLS(), Hello(), Func("is TLS", func(s *Session) error {
			if !s.TLS() {
				return &Failure{Got: "no TLS"}
			}
			caps, _ := s.Capabilities()
			if _, ok := caps.Keyword("STARTTLS"); ok {
				return &Failure{Got: "STARTTLS offered under TLS"}
			}
			return nil
		})}}
	// Verified against the test CA, as a user with a real CA would.
	rep, err := RunServer(context.Background(), Config{Addr: addr, TLSConfig: ca.ClientConfig("localhost")}, []*Case{c})
	require.NoError(t, err)
	assert.Contains(t, rep.Capabilities, "STARTTLS")
	assert.NotContains(t, rep.TLSCapabilities, "STARTTLS")
	require.Equal(t, Pass, rep.Results[0].Status, rep.Results[0].Reason)
	assert.Contains(t, rep.Results[0].Transcript.String(), "-- TLS")

	// A certificate the client does not trust fails the handshake step.
	other, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	rep, err = RunServer(context.Background(), Config{Addr: addr, TLSConfig: other.ClientConfig("localhost")}, []*Case{c})
	require.NoError(t, err)
	assert.Equal(t, Skipped, rep.Results[0].Status, "the probe's handshake failed, so TLS is unavailable")
}

func TestRunnerImplicitTLS(t *testing.T) {
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cfg, err := ca.ServerConfig("localhost")
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &server.Server{Handler: sink{}, Hostname: "mx.test", TLSConfig: cfg}
	go srv.ServeTLS(l)
	t.Cleanup(func() { srv.Close() })
	rep, err := RunServer(context.Background(), Config{Addr: l.Addr().String(), ImplicitTLS: true}, []*Case{mailCase})
	require.NoError(t, err)
	assert.Equal(t, Pass, rep.Results[0].Status, rep.Results[0].Reason)
	assert.Equal(t, rep.Capabilities, rep.TLSCapabilities)
	assert.Contains(t, rep.Results[0].Transcript.String(), "# tls: implicit")
}

func TestRunnerCancelAndOrder(t *testing.T) {
	addr := smtpkitServer(t, nil)
	var cases []*Case
	for i := range 8 {
		cases = append(cases, &Case{RFC: 1, Section: "1", Name: string(rune('a' + i)), Level: Must, Title: "t",
			Steps: []Step{Greeting(), Pause(50 * time.Millisecond)}})
	}
	rep, err := RunServer(context.Background(), Config{Addr: addr, Parallel: 4}, cases)
	require.NoError(t, err)
	for i, r := range rep.Results {
		assert.Same(t, cases[i], r.Case, "results keep the order of cases")
		assert.Equal(t, Pass, r.Status)
	}

	ctx, cancel := context.WithCancel(context.Background())
	slow := &Case{RFC: 1, Section: "1", Name: "slow", Level: Must, Title: "t",
		Steps: []Step{Greeting(), Func("cancel", func(*Session) error { cancel(); return nil }), Pause(100 * time.Millisecond)}}
	rep, err = RunServer(ctx, Config{Addr: addr}, append([]*Case{slow}, cases...))
	require.NoError(t, err)
	last := rep.Results[len(rep.Results)-1]
	assert.Equal(t, Skipped, last.Status)
	assert.Contains(t, last.Reason, "not run")
}

func TestQuietAndExpectOrClose(t *testing.T) {
	addr := rawServer(t, greetAndHello(func(c net.Conn, r *bufio.Reader) {
		line, _ := r.ReadString('\n')
		if strings.HasPrefix(line, "NOOP") {
			c.Write([]byte("250 ok\r\n250 unsolicited\r\n"))
		}
	}))
	quiet := &Case{RFC: 1, Section: "1", Name: "q", Level: Must, Title: "t",
		Steps: []Step{Greeting(), Hello(), Cmd("NOOP", "250"), Quiet()}}
	res := runOne(t, addr, quiet, Config{QuietTime: 200 * time.Millisecond})
	assert.Equal(t, Fail, res.Status)
	assert.Contains(t, res.Reason, "250 unsolicited")

	closing := &Case{RFC: 1, Section: "1", Name: "c", Level: Must, Title: "t",
		Steps: []Step{Greeting(), Hello(), Send("QUIT"), ExpectOrClose("221"), Closed()}}
	res = runOne(t, addr, closing, Config{Timeout: 2 * time.Second})
	assert.Equal(t, Pass, res.Status, "a close where 221 is due is accepted by ExpectOrClose: %s", res.Reason)

	wrong := rawServer(t, greetAndHello(func(c net.Conn, r *bufio.Reader) {
		r.ReadString('\n')
		c.Write([]byte("250 not closing\r\n"))
		r.ReadString('\n')
	}))
	res = runOne(t, wrong, closing, Config{Timeout: 2 * time.Second})
	assert.Equal(t, Fail, res.Status)
	assert.Contains(t, res.Reason, "want 221 or a close, got 250 not closing")
}

func TestCodes(t *testing.T) {
	for _, tc := range []struct {
		pats []string
		code int
		want bool
	}{
		{[]string{"250"}, 250, true},
		{[]string{"250"}, 251, false},
		{[]string{"2xx"}, 299, true},
		{[]string{"5xx"}, 421, false},
		{[]string{"55x"}, 554, true},
		{[]string{"501", "553"}, 553, true},
		{[]string{"5x"}, 500, false},
	} {
		assert.Equal(t, tc.want, Codes(tc.pats).Match(codeOf(tc.code)), "%v %d", tc.pats, tc.code)
	}
}

func TestFilterAndLevels(t *testing.T) {
	a := &Case{RFC: 5321, Section: "4.1.4", Name: "mail-twice", Level: Must}
	b := &Case{RFC: 3030, Section: "2", Name: "bdat", Level: Should}
	c := &Case{RFC: 5321, Section: "4.5.3.1.4", Name: "long", Level: May}
	all := []*Case{a, b, c}
	assert.Equal(t, []*Case{a}, Filter{Level: Must}.Select(all))
	assert.Equal(t, []*Case{a, b}, Filter{Level: Should}.Select(all))
	assert.Equal(t, all, Filter{}.Select(all))
	assert.Equal(t, []*Case{a, c}, Filter{Only: "rfc5321/*/*"}.Select(all))
	assert.Equal(t, []*Case{b, c}, Filter{Only: "bdat, long"}.Select(all))
	for _, w := range []string{"must", "should", "all"} {
		_, err := ParseLevel(w)
		assert.NoError(t, err)
	}
	_, err := ParseLevel("often")
	assert.Error(t, err)
}

func TestRegistry(t *testing.T) {
	for _, suite := range [][]*Case{ServerCases(), ClientCases()} {
		seen := map[string]bool{}
		for i, c := range suite {
			require.NoError(t, c.Validate())
			assert.False(t, seen[c.ID()], "duplicate ID %s", c.ID())
			seen[c.ID()] = true
			if i > 0 {
				p := suite[i-1]
				assert.LessOrEqual(t, p.RFC, c.RFC, "ordered by RFC")
			}
		}
	}
	assert.Equal(t, -1, compareSections("4.1.9", "4.1.10"))
	assert.Equal(t, -1, compareSections("9", "D.1"))
	assert.Equal(t, 1, compareSections("4.1.1", "4.1"))
	assert.Equal(t, "rfc5321/4.1.4/mail-twice", (&Case{RFC: 5321, Section: "4.1.4", Name: "mail-twice"}).ID())
	assert.Error(t, (&Case{RFC: 5321, Section: "4.1.4", Name: "Mail Twice", Level: Must, Title: "t", Steps: []Step{Greeting()}}).Validate())
}
