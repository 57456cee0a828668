package wire

import "testing"

func BenchmarkParsePath(b *testing.B) {
	cases := []struct {
		name string
		in   string
		opts PathOptions
	}{
		{"simple", "<user@example.com>", PathOptions{}},
		{"quoted", `<"john \"q\" smith"@example.com>`, PathOptions{}},
		{"ipv6", "<user@[IPv6:2001:db8:85a3::8a2e:370:7334]>", PathOptions{}},
		{"utf8", "<用户.名字@例子.广告>", PathOptions{UTF8: true}},
	}
	for _, c := range cases {
		in := []byte(c.in)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := ParsePath(in, ForwardPath, c.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendMailbox(b *testing.B) {
	local, domain := []byte("john smith"), []byte("example.com")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(local) + len(domain) + 5))
	for b.Loop() {
		if _, err := AppendMailbox(buf[:0], local, domain, false); err != nil {
			b.Fatal(err)
		}
	}
}
