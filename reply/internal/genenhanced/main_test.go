package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedTableUpToDate regenerates reply/enhanced_table.go in memory
// and fails when the committed file differs, so the table stays true to
// reply/enhanced.csv.
func TestGeneratedTableUpToDate(t *testing.T) {
	src, err := os.ReadFile("../../enhanced.csv")
	require.NoError(t, err)
	want, err := generate(src)
	require.NoError(t, err)
	got, err := os.ReadFile("../../enhanced_table.go")
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("reply/enhanced_table.go is stale: run go generate ./reply/...")
	}
}

func TestGenerateHeaderAndShape(t *testing.T) {
	src, err := os.ReadFile("../../enhanced.csv")
	require.NoError(t, err)
	out, err := generate(src)
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(out), "\n")
	assert.Regexp(t, `^// Code generated .* DO NOT EDIT\.$`, first)
	assert.Contains(t, string(out), `{Subject: 1, Detail: 1, Text: "Bad destination mailbox address", Reference: "RFC 3463", Basic: []Code{451, 550}, Note: "permanent failures only"},`)
	assert.Contains(t, string(out), `Deprecated: true`)
	assert.Contains(t, string(out), `7: "Security or Policy Status",`)
	assert.Contains(t, string(out), `5: "Permanent Failure",`)
}

func TestGenerateRejects(t *testing.T) {
	const head = "code,text,reference,basic,deprecated,notes\n"
	const base = "2.XXX.XXX,Success,RFC 3463,,,\nX.0.XXX,Other,RFC 3463,,,\nX.1.XXX,Addressing,RFC 3463,,,\n"
	tests := []struct {
		name, csv, want string
	}{
		{"bad header", "code,text\n", "header"},
		{"wrong field count", head + "X.0.0,a,RFC 3463,,\n", "wrong number of fields"},
		{"no rows", head, "want class rows"},
		{"class after subject", head + "X.0.XXX,Other,RFC 3463,,,\n2.XXX.XXX,Success,RFC 3463,,,\n", "class row"},
		{"class 3", head + "3.XXX.XXX,Inter,RFC 3463,,,\n", "class must be"},
		{"subject after code", head + base + "X.0.0,Other,RFC 3463,,,\nX.2.XXX,Mailbox,RFC 3463,,,\n", "after code rows"},
		{"unsorted codes", head + base + "X.1.1,a,RFC 3463,,,\nX.1.0,b,RFC 3463,,,\n", "out of order"},
		{"repeated code", head + base + "X.1.1,a,RFC 3463,,,\nX.1.1,b,RFC 3463,,,\n", "out of order or repeated"},
		{"unknown subject", head + base + "X.9.1,a,RFC 3463,,,\n", "no subject row"},
		{"leading zero", head + base + "X.1.01,a,RFC 3463,,,\n", "leading zeros"},
		{"four digits", head + base + "X.1.1000,a,RFC 3463,,,\n", "1 to 3 digits"},
		{"not digits", head + base + "X.1.a,a,RFC 3463,,,\n", "want digits"},
		{"empty text", head + base + "X.1.1,,RFC 3463,,,\n", "empty text"},
		{"empty reference", head + base + "X.1.1,a,,,,\n", "empty reference"},
		{"bad basic", head + base + "X.1.1,a,RFC 3463,650,,\n", "not a reply code"},
		{"repeated basic", head + base + "X.1.1,a,RFC 3463,550 550,,\n", "repeated"},
		{"bad deprecated", head + base + "X.1.1,a,RFC 3463,,no,\n", "deprecated must be"},
		{"control char", head + base + "X.1.1,\"a\tb\",RFC 3463,,,\n", "printable"},
		{"padded", head + base + "X.1.1, a,RFC 3463,,,\n", "white space"},
		{"two parts", head + base + "X.1,a,RFC 3463,,,\n", "three dot-separated"},
		{"odd shape", head + base + "5.1.1,a,RFC 3463,,,\n", "want N.XXX.XXX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := generate([]byte(tt.csv))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestGenerateAcceptsDeprecatedWithoutText(t *testing.T) {
	src := "code,text,reference,basic,deprecated,notes\n" +
		"2.XXX.XXX,Success,RFC 3463,,,\nX.6.XXX,Media,RFC 3463,,,\nX.6.10,,RFC 6531,,yes,dup\n"
	out, err := generate([]byte(src))
	require.NoError(t, err)
	assert.Contains(t, string(out), `{Subject: 6, Detail: 10, Text: "", Reference: "RFC 6531", Deprecated: true, Note: "dup"},`)
}
