package conformance

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clFakeClient is a ClientUnderTest made of a function.
type clFakeClient struct {
	fn func(ctx context.Context, a *ClientAttempt) (string, error)
}

func (clFakeClient) Name() string { return "fake client" }
func (f clFakeClient) Send(ctx context.Context, a *ClientAttempt) (string, error) {
	return f.fn(ctx, a)
}

// clRunOne runs the client case id against cut with short time bounds and
// returns its result and how long the run took.
func clRunOne(t *testing.T, cut ClientUnderTest, id string) (Result, time.Duration) {
	t.Helper()
	cases := Filter{Only: id}.Select(ClientCases())
	require.Len(t, cases, 1, id)
	start := time.Now()
	rep, err := RunClient(context.Background(), Config{Timeout: time.Second, QuietTime: 200 * time.Millisecond}, cut, cases)
	require.NoError(t, err)
	require.Len(t, rep.Results, 1)
	return rep.Results[0], time.Since(start)
}

func TestRunClientNeverConnects(t *testing.T) {
	cut := clFakeClient{func(ctx context.Context, _ *ClientAttempt) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}}
	r, took := clRunOne(t, cut, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Reason, "did not connect within")
	assert.Less(t, took, time.Second+2*clGrace)
}

func TestRunClientGivesUpWithoutConnecting(t *testing.T) {
	cut := clFakeClient{func(context.Context, *ClientAttempt) (string, error) {
		return "no route", errors.New("cannot connect")
	}}
	r, _ := clRunOne(t, cut, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Reason, "finished without connecting")
	assert.Contains(t, r.Reason, "cannot connect")
}

func TestRunClientHangsAfterConnecting(t *testing.T) {
	// The client connects and then neither speaks nor returns until its
	// context ends: the step times out and the run stays bounded.
	cut := clFakeClient{func(ctx context.Context, a *ClientAttempt) (string, error) {
		c, err := clDialRaw(ctx, a)
		if err != nil {
			return "", err
		}
		defer c.Close()
		<-ctx.Done()
		return "", ctx.Err()
	}}
	r, took := clRunOne(t, cut, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Reason, "time bound")
	assert.Less(t, took, time.Second+2*clGrace)
}

func TestRunClientIgnoresItsContext(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	cut := clFakeClient{func(ctx context.Context, a *ClientAttempt) (string, error) {
		c, err := clDialRaw(ctx, a)
		if err == nil {
			defer c.Close()
		}
		<-release
		return "", nil
	}}
	r, took := clRunOne(t, cut, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Less(t, took, time.Second+3*clGrace)
}

func TestRunClientOutcomeMismatch(t *testing.T) {
	// A client that reports delivery whatever the server said.
	cut := clFakeClient{func(ctx context.Context, a *ClientAttempt) (string, error) {
		c, err := clDialRaw(ctx, a)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.expect(2)
		c.cmd("EHLO x.test", 2)
		c.cmd("MAIL FROM:<"+a.Job.From+">", 0)
		c.cmd("QUIT", 0)
		return "", nil
	}}
	r, _ := clRunOne(t, cut, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Reason, "want the client to report not delivered, got delivered")
	assert.Equal(t, len(r.Case.Steps), r.Step)
}

func TestCommandClientExitStatus(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	r, _ := clRunOne(t, CommandClient{Template: `sh -c 'echo cannot do that >&2; exit 3'`}, "rfc5321/3.3/mail-5yz")
	assert.Equal(t, Fail, r.Status)
	assert.Contains(t, r.Reason, "exit status 3")
	assert.Contains(t, r.Reason, "cannot do that")
}

func TestCommandClientSkipsWithoutTemplate(t *testing.T) {
	r, _ := clRunOne(t, CommandClient{Template: "true"}, "rfc3207/4/starttls-delivers")
	assert.Equal(t, Skipped, r.Status)
	assert.Contains(t, r.Reason, "no template for jobs that require TLS")
	r, _ = clRunOne(t, CommandClient{Template: "true"}, "rfc4954/4/auth-under-tls")
	assert.Equal(t, Skipped, r.Status)
}

func TestCommandClientTemplate(t *testing.T) {
	words, err := clSplitWords(`a 'b c' "d \"e\" \\ f" g\ h  '' x"y"z`)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b c", `d "e" \ f`, "g h", "", "xyz"}, words)
	_, err = clSplitWords(`a 'b`)
	assert.Error(t, err)
	_, err = clSplitWords(`a "b`)
	assert.Error(t, err)

	a := &ClientAttempt{Addr: "127.0.0.1:2525", Helo: "h.test", Username: "u", CAFile: "/ca.pem",
		Job: ClientJob{From: "f@x", To: []string{"a@x", "b@x"}}}
	got, err := clExpandTemplate(`prog {addr} {host}:{port} --helo={helo} --to {to} -r {to...} --x={to...} {to...} {user} {message-file} {ca-file} 'sh {from}'`, a, "/m.eml")
	require.NoError(t, err)
	assert.Equal(t, []string{"prog", "127.0.0.1:2525", "127.0.0.1:2525", "--helo=h.test", "--to", "a@x,b@x",
		"-r", "a@x", "-r", "b@x", "--x=a@x", "--x=b@x", "a@x", "b@x", "u", "/m.eml", "/ca.pem", "sh f@x"}, got)

	assert.Error(t, CommandClient{Template: "swaks --auth-password {password}"}.Validate())
	assert.Error(t, CommandClient{Template: "  "}.Validate())
	assert.NoError(t, SwaksClient().Validate())
	assert.NoError(t, CurlClient().Validate())
}

func TestClientUnstuff(t *testing.T) {
	assert.Equal(t, "a\r\n.b\r\n.\r\nc", string(clUnstuff([]byte("a\r\n..b\r\n..\r\nc"))))
	assert.Equal(t, ".x\r\n", string(clUnstuff([]byte("..x\r\n"))))
	assert.Equal(t, "a\n.b\r\n", string(clUnstuff([]byte("a\n.b\r\n"))), "a dot after a bare LF is not at a line start")
}
