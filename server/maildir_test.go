package server

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
	require.Error(t, err)
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }
