//go:build reliability

package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/client"
	"github.com/smtpkit/smtpkit/internal/servetest"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mountTmpfs mounts a tmpfs of size (e.g. "512k") on a new directory and
// unmounts it when the test ends (after serve, started later, stopped).
// Mounting needs root (CAP_SYS_ADMIN): without it the test is skipped.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	require.NoError(t, os.Mkdir(dir, 0o700))
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		if errors.Is(err, syscall.EPERM) || os.Geteuid() != 0 {
			t.Skipf("mounting a tmpfs needs root (CAP_SYS_ADMIN): euid %d: %v", os.Geteuid(), err)
		}
		t.Fatalf("mount -t tmpfs %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("umount %s: %v (detaching)", dir, err)
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// remount makes the tmpfs at dir read-only or writable again.
func remount(t *testing.T, dir, size string, readOnly bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT)
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+size+",mode=0700"))
}

// sent is what became of one message.
type sent struct {
	code      int
	enhanced  reply.Enhanced
	delivered int
	err       error
}

// send delivers msg from m<i>@storage.example on a new connection; DATA
// for odd i, BDAT for even i.
func send(t *testing.T, addr string, i int, msg string) sent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := []client.Option{client.WithHostname("storage.example"), client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled)}
	if i%2 == 1 {
		opts = append(opts, client.WithoutBDAT())
	}
	c, err := client.Dial(ctx, addr, opts...)
	require.NoError(t, err)
	defer c.Close()
	res, err := c.Send(ctx, client.Envelope{From: sender(i), To: []string{"rcpt@storage.example"}}, strings.NewReader(msg))
	s := sent{err: err}
	if res != nil {
		s.code, s.enhanced, s.delivered = int(res.Reply.Code), res.Reply.Enhanced, res.Delivered()
	}
	var se *client.SendError
	if errors.As(err, &se) && se.Reply != nil {
		s.code, s.enhanced = int(se.Reply.Code), se.Reply.Enhanced
	} else if err != nil {
		t.Fatalf("message %d: %v", i, err)
	}
	require.NoError(t, c.Quit(ctx), "the session goes on after the refusal")
	return s
}

func sender(i int) string { return "m" + strconv.Itoa(i) + "@storage.example" }

// bigMessage is a message of about size octets with token in it.
func bigMessage(token string, size int) string {
	var b strings.Builder
	b.WriteString(testMessage(token))
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "filler %05d of %s: 0123456789abcdefghijklmnopqrstuvwxyz\r\n", i, token)
	}
	return b.String()
}

// storedOnce checks that the Maildir's new/ holds exactly want (after
// serve's trace header), each once, and that tmp/ is empty.
func storedOnce(t *testing.T, maildir string, want []string) {
	t.Helper()
	got := map[string]int{}
	for _, f := range readNew(t, maildir) {
		_, rest, ok := traceHead(f)
		require.True(t, ok, "stored without serve's trace header: %.200q", f)
		got[rest]++
	}
	for _, m := range want {
		assert.Equal(t, 1, got[m], "stored %d times: %.60q", got[m], m)
		delete(got, m)
	}
	assert.Empty(t, got, "stored messages that got no 250")
	assert.Empty(t, listDir(t, filepath.Join(maildir, "tmp")), "tmp/ leftovers")
}

// require452 checks a refusal for want of storage: 452 4.3.1 (RFC 5321
// sections 4.2.2 and 4.3.2; RFC 3463 X.3.1 "Mail system full"), nothing
// delivered, and no "accepted" line from serve for the sender.
func require452(t *testing.T, s *servetest.Serve, i int, r sent) {
	t.Helper()
	require.Equal(t, 452, r.code, "message %d: %v", i, r.err)
	require.Equal(t, reply.E(4, 3, 1), r.enhanced)
	require.Zero(t, r.delivered)
	require.NotContains(t, s.Stdout(), "from="+sender(i)+" ", "serve logged the refused message as accepted")
	require.Eventually(t, func() bool {
		return strings.Contains(s.Log(), `msg="not stored" from=`+sender(i)+" ")
	}, 5*time.Second, 10*time.Millisecond, "serve's log says why message %d was not stored", i)
}

// TestDiskFull fills a 512 KiB tmpfs Maildir: the message that does not
// fit gets 452 4.3.1 and is not stored or logged as accepted, the ones
// before it are stored whole and once, tmp/ is clean, and once space is
// freed serve delivers again (the client's retry of the same message is
// stored once).
func TestDiskFull(t *testing.T) {
	const size = "512k"
	mnt := mountTmpfs(t, size)
	maildir := filepath.Join(mnt, "Maildir")
	s := servetest.Start(t, bin, "--tls", "off", "--maildir", maildir, "--hostname", "mx.storage.example")
	var ok []string
	full := -1
	for i := 0; i < 64 && full < 0; i++ {
		m := bigMessage("full-"+strconv.Itoa(i), 48<<10)
		r := send(t, s.Addr, i, m)
		if r.code == 250 {
			require.Equal(t, 1, r.delivered)
			ok = append(ok, m)
			continue
		}
		require452(t, s, i, r)
		full = i
	}
	require.GreaterOrEqual(t, full, 1, "the disk filled up after some messages (512 KiB / 48 KiB)")
	require.Equal(t, len(ok), s.WaitAccepted(len(ok), 5*time.Second), "accepted lines = messages that got 250")
	require.Contains(t, s.Stdout(), "from="+sender(0)+" ", "the accepted line names the sender (else require452's check proves nothing)")
	storedOnce(t, maildir, ok)

	// Still full: refused again, by DATA and by BDAT (send picks by the
	// index's parity), still nothing half-stored.
	again := bigMessage("full-"+strconv.Itoa(full), 48<<10)
	require452(t, s, full, send(t, s.Addr, full, again))
	require452(t, s, full+1, send(t, s.Addr, full+1, bigMessage("full-other", 48<<10)))
	storedOnce(t, maildir, ok)

	// Free the space: the retry is delivered, once.
	for _, n := range listDir(t, filepath.Join(maildir, "new")) {
		require.NoError(t, os.Remove(filepath.Join(maildir, "new", n)))
	}
	r := send(t, s.Addr, full, again)
	require.Equal(t, 250, r.code, "after freeing space: %v", r.err)
	storedOnce(t, maildir, []string{again})
	require.Equal(t, len(ok)+1, s.WaitAccepted(len(ok)+1, 5*time.Second))
	if !t.Failed() {
		t.Logf("RESULT disk full: %s tmpfs Maildir took %d messages of 48 KiB, the next got 452 4.3.1 (and again by DATA and BDAT) with nothing stored, "+
			"logged or left in tmp/; after freeing space serve delivered it once", size, len(ok))
	}
}

// TestUnwritableMaildir: a read-only file system and a new/ that is not a
// directory both give 452 4.3.1 with nothing stored or claimed, and serve
// delivers again once the Maildir is writable.
func TestUnwritableMaildir(t *testing.T) {
	var results []string
	t.Run("read-only", func(t *testing.T) {
		const size = "1m"
		mnt := mountTmpfs(t, size)
		maildir := filepath.Join(mnt, "Maildir")
		s := servetest.Start(t, bin, "--tls", "off", "--maildir", maildir, "--hostname", "mx.storage.example")
		remount(t, mnt, size, true)
		for i := range 3 {
			require452(t, s, i, send(t, s.Addr, i, testMessage("ro-"+strconv.Itoa(i))))
		}
		require.Zero(t, s.Accepted())
		storedOnce(t, maildir, nil)
		remount(t, mnt, size, false)
		m := testMessage("ro-after")
		require.Equal(t, 250, send(t, s.Addr, 3, m).code)
		storedOnce(t, maildir, []string{m})
		results = append(results, "read-only tmpfs: 3 of 3 refused 452 4.3.1, delivers once writable")
	})
	t.Run("new-is-a-file", func(t *testing.T) {
		s := servetest.Start(t, bin, "--tls", "off", "--hostname", "mx.storage.example")
		newDir := filepath.Join(s.Maildir, "new")
		require.NoError(t, os.Remove(newDir))
		require.NoError(t, os.WriteFile(newDir, []byte("not a directory\n"), 0o600))
		for i := range 3 {
			require452(t, s, i, send(t, s.Addr, i, testMessage("nodir-"+strconv.Itoa(i))))
		}
		require.Zero(t, s.Accepted())
		require.Empty(t, listDir(t, filepath.Join(s.Maildir, "tmp")), "tmp/ leftovers after the failed rename")
		require.NoError(t, os.Remove(newDir))
		require.NoError(t, os.Mkdir(newDir, 0o700))
		m := testMessage("nodir-after")
		require.Equal(t, 250, send(t, s.Addr, 3, m).code)
		storedOnce(t, s.Maildir, []string{m})
		results = append(results, "new/ replaced by a file: 3 of 3 refused 452 4.3.1, tmp/ clean, delivers once restored")
	})
	if len(results) > 0 && !t.Failed() {
		t.Logf("RESULT unwritable Maildir: %s; nothing logged as accepted", strings.Join(results, "; "))
	}
}
