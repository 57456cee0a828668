package wire

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"unsafe"
)

// isSubslice reports whether inner lies within outer's memory (an empty
// inner always does).
func isSubslice(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	if len(outer) == 0 {
		return false
	}
	o := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	i := uintptr(unsafe.Pointer(unsafe.SliceData(inner)))
	return i >= o && i+uintptr(len(inner)) <= o+uintptr(len(outer))
}

// fuzzSeeds are built by the serializers, so they are valid by construction.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	add(AppendPath(nil, []byte("user@example.com"), ForwardPath, false))
	add(AppendPath(nil, nil, ReversePath, false))
	add(AppendPath(nil, []byte("Postmaster"), ForwardPath, false))
	add(AppendPath(nil, []byte(`"a\"b c"@[IPv6:2001:db8::1]`), ForwardPath, false))
	add(AppendPath(nil, []byte("u@[IPv6:::ffff:192.0.2.1]"), ReversePath, false))
	add(AppendPath(nil, []byte("用户@例子.广告"), ForwardPath, true))
	add(AppendMailbox(nil, []byte("john smith"), []byte("example.com"), false))
	add(AppendMailbox(nil, []byte(`a"b\c`), []byte("[192.0.2.1]"), false))
	add(AppendMailbox(nil, []byte(""), []byte("[x-tag:content]"), false))
	add(AppendMailbox(nil, []byte(".dot..s."), []byte("bücher.example"), true))
	add(AppendMailbox(nil, []byte("!#$%&'*+-/=?^_`{|}~"), []byte("a-b.c"), false))
	route, _ := AppendPath(nil, []byte("u@c.example"), ForwardPath, false)
	seeds = append(seeds, append([]byte("<@a.example,@b.example:"), route[1:]...))
	return seeds
}

func FuzzParsePath(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, i%2 == 0, i%3 == 0, false)
		f.Add(append(bytes.Trim(s, "<>"), " SIZE=1"...), i%2 == 1, true, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, reverse, utf8, noBrackets bool) {
		kind := ForwardPath
		if reverse {
			kind = ReversePath
		}
		p, n, err := ParsePath(b, kind, PathOptions{UTF8: utf8, NoBrackets: noBrackets})
		if len(b) > 0 && b[0] == '<' {
			// NoBrackets changes nothing for a bracketed path.
			p2, n2, err2 := ParsePath(b, kind, PathOptions{UTF8: utf8, NoBrackets: !noBrackets})
			if n2 != n || !reflect.DeepEqual(p2, p) || fmt.Sprint(err2) != fmt.Sprint(err) {
				t.Fatalf("NoBrackets=%v changes the result for %q: %v, %v", !noBrackets, b, err, err2)
			}
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Element == "" || se.Rule == "" {
				t.Fatalf("error %v (%T) is not a complete *SyntaxError", err, err)
			}
			if se.Offset < 0 || se.Offset > len(b) || n != 0 {
				t.Fatalf("offset %d, n %d for %d octets", se.Offset, n, len(b))
			}
			return
		}
		if n <= 0 || n > len(b) || !bytes.Equal(p.Raw, b[:n]) {
			t.Fatalf("n = %d, Raw %q for %q", n, p.Raw, b)
		}
		for _, s := range [][]byte{p.Raw, p.Mailbox, p.Local, p.Domain} {
			if !isSubslice(b, s) {
				t.Fatalf("%q does not alias the input", s)
			}
		}
		if !bytes.HasPrefix(p.Mailbox, p.Local) || !bytes.HasSuffix(p.Mailbox, p.Domain) {
			t.Fatalf("Mailbox %q is not Local %q + Domain %q", p.Mailbox, p.Local, p.Domain)
		}
		if len(p.Mailbox) > 0 && unsafe.SliceData(p.Mailbox) != unsafe.SliceData(p.Local) {
			t.Fatalf("Local %q does not start Mailbox %q", p.Local, p.Mailbox)
		}
		if len(p.Local) > MaxLocalPart || len(p.Domain) > MaxDomain || n > MaxPath {
			t.Fatalf("limits exceeded: %q", b)
		}
		if !utf8 && p.UTF8 {
			t.Fatalf("UTF8 without the option: %q", b)
		}

		// The mailbox serialized again parses to the same parts.
		out, err := AppendPath(nil, p.Mailbox, kind, utf8)
		if err != nil {
			t.Fatalf("AppendPath(%q): %v", p.Mailbox, err)
		}
		q, n2, err := ParsePath(out, kind, PathOptions{UTF8: utf8})
		if err != nil || n2 != len(out) {
			t.Fatalf("ParsePath(%q) = %d, %v", out, n2, err)
		}
		if !bytes.Equal(q.Mailbox, p.Mailbox) || !bytes.Equal(q.Local, p.Local) || !bytes.Equal(q.Domain, p.Domain) ||
			q.Null != p.Null || q.Postmaster != p.Postmaster || q.Quoted != p.Quoted || q.Literal != p.Literal || q.SourceRoute {
			t.Fatalf("round trip %q -> %q: %+v != %+v", b, out, q, p)
		}
		if p.Null || p.Postmaster {
			return
		}

		// Minimal quoting of the unquoted local part is never longer, so it
		// is accepted too, and means the same.
		local := p.AppendLocal(nil)
		m, err := AppendMailbox(nil, local, p.Domain, utf8)
		if err != nil {
			t.Fatalf("AppendMailbox(%q, %q): %v", local, p.Domain, err)
		}
		r, n3, err := ParsePath(m, kind, PathOptions{UTF8: utf8})
		if err != nil || n3 != len(m) {
			t.Fatalf("ParsePath(%q) = %d, %v", m, n3, err)
		}
		if !bytes.Equal(r.AppendLocal(nil), local) || !bytes.Equal(r.Domain, p.Domain) || r.IsPostmaster() != p.IsPostmaster() {
			t.Fatalf("AppendMailbox round trip %q -> %q", b, m)
		}
		if len(r.Local) > len(p.Local) || !p.Quoted && r.Quoted {
			t.Fatalf("AppendMailbox quoted more than needed: %q -> %q", p.Local, r.Local)
		}
	})
}
