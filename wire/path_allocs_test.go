//go:build !race

package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePathAllocs(t *testing.T) {
	inputs := []struct {
		in   string
		kind PathKind
		opts PathOptions
	}{
		{"<user@example.com> SIZE=100", ReversePath, PathOptions{}},
		{"<>", ReversePath, PathOptions{}},
		{"<Postmaster>", ForwardPath, PathOptions{}},
		{`<"john \"q\" smith"@example.com>`, ForwardPath, PathOptions{}},
		{"<@a.example,@b.example:u@[IPv6:2001:db8::192.0.2.1]>", ForwardPath, PathOptions{}},
		{"<用户@例子.广告>", ForwardPath, PathOptions{UTF8: true}},
		{"user@[192.0.2.1] BODY=8BITMIME", ReversePath, PathOptions{NoBrackets: true}},
	}
	for _, tt := range inputs {
		b := []byte(tt.in)
		var sink Path
		allocs := testing.AllocsPerRun(100, func() {
			p, _, err := ParsePath(b, tt.kind, tt.opts)
			if err != nil {
				panic(err)
			}
			sink = p
		})
		require.Zero(t, allocs, tt.in)
		require.True(t, sink.IsPostmaster() || len(sink.Raw) > 0, tt.in)
		local := make([]byte, 0, 64)
		allocs = testing.AllocsPerRun(100, func() { local = sink.AppendLocal(local[:0]) })
		require.Zero(t, allocs, "AppendLocal %s", tt.in)
	}
}

func TestCheckDomainAllocs(t *testing.T) {
	for _, in := range []string{"mail.example.com", "例子.广告", domain255} {
		b := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			if err := CheckDomain(b, true); err != nil {
				panic(err)
			}
		})
		require.Zero(t, allocs, in)
	}
	for _, in := range []string{"[192.0.2.1]", "[IPv6:2001:db8::ffff:192.0.2.1]", "[x-tag:abc]", "mail.example.com"} {
		b := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := CheckHost(b, false); err != nil {
				panic(err)
			}
		})
		require.Zero(t, allocs, in)
	}
}

func TestAppendPathAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	for _, in := range []string{"user@example.com", `"a b"@[IPv6:::1]`, ""} {
		mailbox := []byte(in)
		allocs := testing.AllocsPerRun(100, func() {
			out, err := AppendPath(buf[:0], mailbox, ReversePath, false)
			if err != nil || len(out) != len(in)+2 {
				panic(err)
			}
		})
		require.Zero(t, allocs, in)
	}
	local, domain := []byte(`john "q" smith`), []byte("example.com")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := AppendMailbox(buf[:0], local, domain, false); err != nil {
			panic(err)
		}
	})
	require.Zero(t, allocs, "AppendMailbox")
}
