package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConformanceIndexUpToDate fails when docs/CONFORMANCE.md is not what
// the generator writes for the current source.
func TestConformanceIndexUpToDate(t *testing.T) {
	want, err := generate("../..")
	require.NoError(t, err)
	got, err := os.ReadFile("../../docs/CONFORMANCE.md")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run: go run ./internal/rfcindex > docs/CONFORMANCE.md")
}

// TestEveryCitedRFCHasTitle fails when the code cites an RFC that the
// titles table does not name, so CONFORMANCE.md never shows a bare number.
func TestEveryCitedRFCHasTitle(t *testing.T) {
	out, err := generate("../..")
	require.NoError(t, err)
	assert.NotContains(t, string(out), "(no title recorded)", "add the RFC to the titles map in main.go")
}

func TestCitationPattern(t *testing.T) {
	tests := []struct{ in, rfc, section string }{
		{"see RFC 5321 4.1.2 for", "5321", "4.1.2"},
		{"RFC 5321 section 4.5.3.1.4-6", "5321", "4.5.3.1.4"},
		{"(RFC 3463 section 2)", "3463", "2"},
		{"RFC 5321 appendix C", "5321", "appendix C"},
		{"RFC 5321 Appendix D.1", "5321", "Appendix D.1"},
		{"RFC 5321 says", "5321", ""},
		{"RFC 2034.", "2034", ""},
		{"RFC 4954 §4", "4954", "4"},
	}
	for _, tt := range tests {
		m := citation.FindStringSubmatch(tt.in)
		require.NotNil(t, m, tt.in)
		assert.Equal(t, tt.rfc, m[1], tt.in)
		assert.Equal(t, tt.section, m[2], tt.in)
	}
	assert.Nil(t, citation.FindStringSubmatch("RFC12345"))
}

func TestLessSection(t *testing.T) {
	assert.True(t, lessSection("4.1.2", "4.1.10"))
	assert.True(t, lessSection("", "1"))
	assert.False(t, lessSection("4.2", "4.1.10"))
	assert.True(t, lessSection("4", "4.1"))
}
