package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/smtpkit/smtpkit/reply"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaildirDeliver(t *testing.T) {
	m := Maildir{Path: filepath.Join(t.TempDir(), "Maildir")}
	require.NoError(t, m.Init())
	var wg sync.WaitGroup
	names := make([]string, 20)
	for i := range names {
		wg.Go(func() {
			name, err := m.Deliver(strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
			assert.NoError(t, err)
			names[i] = name
		})
	}
	wg.Wait()
	entries, err := os.ReadDir(filepath.Join(m.Path, "new"))
	require.NoError(t, err)
	assert.Len(t, entries, len(names), "names are unique")
	b, err := os.ReadFile(filepath.Join(m.Path, "new", names[0]))
	require.NoError(t, err)
	assert.Equal(t, "Subject: x\r\n\r\nbody\r\n", string(b))
	assert.NotContains(t, names[0], "/")
	tmp, err := os.ReadDir(filepath.Join(m.Path, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)
}

func TestMaildirFailedReadLeavesNothing(t *testing.T) {
	m := Maildir{Path: t.TempDir()}
	require.NoError(t, m.Init())
	boom := errors.New("client went away")
	_, err := m.Deliver(io.MultiReader(strings.NewReader("partial"), &errReader{boom}))
	require.ErrorIs(t, err, boom)
	for _, d := range []string{"tmp", "new"} {
		entries, err := os.ReadDir(filepath.Join(m.Path, d))
		require.NoError(t, err)
		assert.Empty(t, entries, d)
	}
}

func TestMaildirMissing(t *testing.T) {
	_, err := Maildir{Path: filepath.Join(t.TempDir(), "none")}.Deliver(strings.NewReader("x"))
	requireStorageError(t, err, "create", syscall.ENOENT)
}

// TestMaildirReaderErrorUnchanged: the client going away is not a storage
// failure: the reader's error comes back as it was, not as 452.
func TestMaildirReaderErrorUnchanged(t *testing.T) {
	m := Maildir{Path: t.TempDir()}
	require.NoError(t, m.Init())
	cause := fmt.Errorf("%w: EventClose: connection reset", ErrMessageAborted)
	_, err := m.Deliver(io.MultiReader(strings.NewReader("partial"), &errReader{cause}))
	require.Equal(t, cause, err)
	var se *StorageError
	require.False(t, errors.As(err, &se))
	r, plain := replyFor(err, replyLocalError)
	assert.True(t, plain)
	assert.Equal(t, replyLocalError, r)
	assertMaildirEmpty(t, m)
}

// TestMaildirStorageErrors makes each step of the delivery fail in turn:
// every failure is a *StorageError answered 452 4.3.1 (RFC 5321 section
// 4.2.2, RFC 3463 X.3.1) with its cause reachable, and nothing is left in
// tmp/ or new/.
func TestMaildirStorageErrors(t *testing.T) {
	eio := syscall.EIO
	cases := []struct {
		op    string
		cause error
		setup func(t *testing.T, m Maildir)
	}{
		{"create", syscall.ENOTDIR, func(t *testing.T, m Maildir) { replaceWithFile(t, filepath.Join(m.Path, "tmp")) }},
		{"write", syscall.ENOSPC, func(t *testing.T, _ Maildir) {
			swap(t, &fileWriter, func(*os.File) io.Writer { return &failWriter{n: 3, err: syscall.ENOSPC} })
		}},
		{"sync", eio, func(t *testing.T, _ Maildir) {
			swap(t, &syncFile, func(*os.File) error { return eio })
		}},
		{"close", eio, func(t *testing.T, _ Maildir) {
			swap(t, &closeFile, func(f *os.File) error { _ = f.Close(); return eio })
		}},
		{"rename", syscall.ENOTDIR, func(t *testing.T, m Maildir) { replaceWithFile(t, filepath.Join(m.Path, "new")) }},
		{"sync dir", eio, func(t *testing.T, _ Maildir) {
			swap(t, &syncNewDir, func(string) error { return eio })
		}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.op, " ", "_"), func(t *testing.T) {
			m := Maildir{Path: t.TempDir()}
			require.NoError(t, m.Init())
			tc.setup(t, m)
			name, err := m.Deliver(strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
			assert.Empty(t, name)
			requireStorageError(t, err, tc.op, tc.cause)
			assertMaildirEmpty(t, m)
		})
	}
}

// TestMaildirDeliversAfterFailure: a failed delivery leaves the Maildir
// usable; the next one is stored once.
func TestMaildirDeliversAfterFailure(t *testing.T) {
	m := Maildir{Path: t.TempDir()}
	require.NoError(t, m.Init())
	func() {
		restore := syncNewDir
		defer func() { syncNewDir = restore }()
		syncNewDir = func(string) error { return syscall.EIO }
		_, err := m.Deliver(strings.NewReader("one"))
		require.Error(t, err)
	}()
	name, err := m.Deliver(strings.NewReader("two"))
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(m.Path, "new"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, name, entries[0].Name())
}

// requireStorageError checks err is a *StorageError of op wrapping cause,
// answered 452 4.3.1 by the driver's error rule.
func requireStorageError(t *testing.T, err error, op string, cause error) {
	t.Helper()
	var se *StorageError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, op, se.Op)
	assert.ErrorIs(t, err, cause)
	assert.Contains(t, err.Error(), op)
	r, plain := replyFor(err, replyLocalError)
	assert.False(t, plain)
	assert.Equal(t, reply.CodeInsufficientStorage, r.Code)
	assert.Equal(t, reply.E(4, 3, 1), r.Enhanced)
}

// assertMaildirEmpty checks that tmp/ and new/ hold nothing (a path that
// is not a directory counts as empty).
func assertMaildirEmpty(t *testing.T, m Maildir) {
	t.Helper()
	for _, d := range []string{"tmp", "new"} {
		entries, err := os.ReadDir(filepath.Join(m.Path, d))
		if errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		require.NoError(t, err)
		assert.Empty(t, entries, d)
	}
}

// replaceWithFile replaces a directory with a regular file: unwritable
// even for root, for whom permissions do not count.
func replaceWithFile(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, os.Remove(dir))
	require.NoError(t, os.WriteFile(dir, []byte("not a directory"), 0o600))
}

// swap sets *v to f for the test's duration. The tests using it are not
// parallel: the variables are package-wide.
func swap[T any](t *testing.T, v *T, f T) {
	old := *v
	*v = f
	t.Cleanup(func() { *v = old })
}

// failWriter accepts n octets, then fails with err.
type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }
