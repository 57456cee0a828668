package peers

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing peer from a
// skip into a failure.
const RequireEnv = "SMTPKIT_PEERS"

// Need returns the path of program name, or skips t (fails it when
// SMTPKIT_PEERS=require) when it is not installed.
func Need(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := dir + "/" + name; isExec(p) {
			return p
		}
	}
	if os.Getenv(RequireEnv) == "require" {
		t.Fatalf("%s is not installed and %s=require (bash .ci/run installs it)", name, RequireEnv)
	}
	t.Skipf("%s is not installed; bash .ci/run installs it (Debian: postfix, swaks, curl, python3)", name)
	return ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// FreeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Run runs program name with args under timeout and returns its combined
// output.
func Run(t testing.TB, timeout time.Duration, name string, args ...string) ([]byte, error) {
	t.Helper()
	path := Need(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = errors.Join(err, ctx.Err())
	}
	return out, err
}

// Sink starts Postfix's smtp-sink on a free 127.0.0.1 port with args
// before the address (such as "-c" or "-L" for LMTP) and a backlog of 16,
// waits until it accepts connections and returns its address. It is
// stopped when t ends.
func Sink(t testing.TB, args ...string) string {
	t.Helper()
	path := Need(t, "smtp-sink")
	addr := FreeAddr(t)
	if os.Geteuid() == 0 {
		// smtp-sink refuses to run as root without -u.
		args = append([]string{"-u", unprivileged()}, args...)
	}
	args = append(args, addr, "16")
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("peers: smtp-sink: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("peers: smtp-sink exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("peers: smtp-sink did not listen on %s within 5s", addr)
	return ""
}

// unprivileged names the user smtp-sink drops to when run as root.
func unprivileged() string {
	for _, name := range []string{"nobody", "daemon"} {
		if _, err := user.Lookup(name); err == nil {
			return name
		}
	}
	return strconv.Itoa(65534)
}
