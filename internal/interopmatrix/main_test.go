package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatrix(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(
		`{"peer":"swaks","version":"2020","mode":"STARTTLS","case":"TestB","result":"fail"}`+"\n"+
			`{"peer":"curl","version":"7.88|1","mode":"smtps","case":"TestA","result":"pass"}`+"\n"+
			`{"peer":"swaks","version":"2020","mode":"STARTTLS","case":"TestB","result":"pass"}`+"\n"+
			`{"peer":"postfix","version":"3.7","mode":"relay","case":"TestC","result":"fail","note":"ORCPT not ASCII"}`+"\n"), 0o644))
	rows, err := read(dir)
	require.NoError(t, err)
	require.Len(t, rows, 3, "the last row of a case wins")
	require.Equal(t, "curl", rows[0].Peer)
	require.Equal(t, "pass", rows[2].Result)
	var b strings.Builder
	require.NoError(t, write(&b, rows))
	require.Contains(t, b.String(), "3 cases, 2 passed.")
	require.Contains(t, b.String(), "| fail: ORCPT not ASCII |")
	require.Contains(t, b.String(), `| curl | 7.88\|1 | smtps | `+"`TestA`"+` | pass |`)
}

func TestMatrixErrors(t *testing.T) {
	_, err := read(t.TempDir())
	require.ErrorContains(t, err, "no .jsonl files")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("{bad\n"), 0o644))
	_, err = read(dir)
	require.ErrorContains(t, err, "a.jsonl:1")
}
