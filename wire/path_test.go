package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// pathWant is the expected result of a successful ParsePath; n is len(raw).
type pathWant struct {
	raw, mailbox, local, domain string
	null, postmaster, quoted    bool
	route, utf8                 bool
	lit                         LiteralKind
}

func (w pathWant) check(t *testing.T, in []byte, p Path, n int) {
	t.Helper()
	assert.Equal(t, w.raw, string(p.Raw), "Raw")
	assert.Equal(t, len(w.raw), n, "n")
	assert.Equal(t, w.mailbox, string(p.Mailbox), "Mailbox")
	assert.Equal(t, w.local, string(p.Local), "Local")
	assert.Equal(t, w.domain, string(p.Domain), "Domain")
	assert.Equal(t, w.null, p.Null, "Null")
	assert.Equal(t, w.postmaster, p.Postmaster, "Postmaster")
	assert.Equal(t, w.quoted, p.Quoted, "Quoted")
	assert.Equal(t, w.route, p.SourceRoute, "SourceRoute")
	assert.Equal(t, w.utf8, p.UTF8, "UTF8")
	assert.Equal(t, w.lit, p.Literal, "Literal")
	for _, s := range [][]byte{p.Raw, p.Mailbox, p.Local, p.Domain} {
		assert.True(t, isSubslice(in, s), "%q does not alias the input", s)
	}
}

// mbox returns the want for a plain "<local@domain>".
func mbox(local, domain string) pathWant {
	return pathWant{raw: "<" + local + "@" + domain + ">", mailbox: local + "@" + domain, local: local, domain: domain}
}

var (
	local64  = strings.Repeat("l", 64)
	domain62 = labels(2, 63) + "." + strings.Repeat("z", 61) // 189 octets: <64@189> is 256
)

func TestParsePathValid(t *testing.T) {
	strict, utf8 := PathOptions{}, PathOptions{UTF8: true}
	bare, bareUTF8 := PathOptions{NoBrackets: true}, PathOptions{NoBrackets: true, UTF8: true}
	with := func(w pathWant, f func(*pathWant)) pathWant { f(&w); return w }
	tests := []struct {
		name string
		in   string
		kind PathKind
		opts PathOptions
		want pathWant
	}{
		{"simple", "<user@example.com>", ForwardPath, strict, mbox("user", "example.com")},
		{"simple reverse", "<user@example.com>", ReversePath, strict, mbox("user", "example.com")},
		{"params follow", "<user@example.com> SIZE=10", ReversePath, strict, mbox("user", "example.com")},
		{"trailing garbage left to the caller", "<a@b>garbage", ForwardPath, strict, mbox("a", "b")},
		{"dot-string", "<first.middle.last@example.com>", ForwardPath, strict, mbox("first.middle.last", "example.com")},
		{"all atext specials", "<!#$%&'*+-/=?^_`{|}~.09AZaz@x.example>", ForwardPath, strict, mbox("!#$%&'*+-/=?^_`{|}~.09AZaz", "x.example")},
		{"quoted with space", `<"john smith"@example.com>`, ForwardPath, strict, with(mbox(`"john smith"`, "example.com"), func(w *pathWant) { w.quoted = true })},
		{"quoted-pairs", `<"a\"b\\c\ d"@x>`, ForwardPath, strict, with(mbox(`"a\"b\\c\ d"`, "x"), func(w *pathWant) { w.quoted = true })},
		{"@ inside quotes", `<"a@b"@x.example>`, ForwardPath, strict, with(mbox(`"a@b"`, "x.example"), func(w *pathWant) { w.quoted = true })},
		{"> and specials inside quotes", `<"<>,:;[]()"@x>`, ForwardPath, strict, with(mbox(`"<>,:;[]()"`, "x"), func(w *pathWant) { w.quoted = true })},
		{"empty quoted string", `<""@x>`, ForwardPath, strict, with(mbox(`""`, "x"), func(w *pathWant) { w.quoted = true })},
		{"IPv4 literal", "<u@[192.0.2.1]>", ForwardPath, strict, with(mbox("u", "[192.0.2.1]"), func(w *pathWant) { w.lit = LiteralIPv4 })},
		{"IPv6 loopback", "<u@[IPv6:::1]>", ForwardPath, strict, with(mbox("u", "[IPv6:::1]"), func(w *pathWant) { w.lit = LiteralIPv6 })},
		{"IPv6 full", "<u@[IPv6:2001:db8:0:0:0:0:0:1]>", ForwardPath, strict, with(mbox("u", "[IPv6:2001:db8:0:0:0:0:0:1]"), func(w *pathWant) { w.lit = LiteralIPv6 })},
		{"IPv6 comp", "<u@[IPv6:2001:db8::1]>", ForwardPath, strict, with(mbox("u", "[IPv6:2001:db8::1]"), func(w *pathWant) { w.lit = LiteralIPv6 })},
		{"IPv6 v4-full", "<u@[IPv6:0:0:0:0:0:ffff:192.0.2.1]>", ForwardPath, strict, with(mbox("u", "[IPv6:0:0:0:0:0:ffff:192.0.2.1]"), func(w *pathWant) { w.lit = LiteralIPv6 })},
		{"IPv6 v4-comp", "<u@[IPv6:::ffff:192.0.2.1]>", ForwardPath, strict, with(mbox("u", "[IPv6:::ffff:192.0.2.1]"), func(w *pathWant) { w.lit = LiteralIPv6 })},
		{"general literal", "<u@[x-foo:bar.baz]>", ForwardPath, strict, with(mbox("u", "[x-foo:bar.baz]"), func(w *pathWant) { w.lit = LiteralGeneral })},
		{"source route", "<@a.example,@b.example:user@c.example>", ForwardPath, strict, pathWant{
			raw: "<@a.example,@b.example:user@c.example>", mailbox: "user@c.example", local: "user", domain: "c.example", route: true}},
		{"one-hop source route", "<@a.example:user@c.example>", ReversePath, strict, pathWant{
			raw: "<@a.example:user@c.example>", mailbox: "user@c.example", local: "user", domain: "c.example", route: true}},
		{"null path", "<>", ReversePath, strict, pathWant{raw: "<>", null: true}},
		{"null path with params", "<> BODY=8BITMIME", ReversePath, strict, pathWant{raw: "<>", null: true}},
		{"Postmaster", "<Postmaster>", ForwardPath, strict, pathWant{raw: "<Postmaster>", mailbox: "Postmaster", local: "Postmaster", postmaster: true}},
		{"postmaster any case", "<pOSTMASTER>", ForwardPath, strict, pathWant{raw: "<pOSTMASTER>", mailbox: "pOSTMASTER", local: "pOSTMASTER", postmaster: true}},
		{"postmaster at domain", "<postmaster@x>", ReversePath, strict, mbox("postmaster", "x")},
		{"UTF-8 local part", "<用户@example.com>", ForwardPath, utf8, with(mbox("用户", "example.com"), func(w *pathWant) { w.utf8 = true })},
		{"U-label domain", "<user@例子.广告>", ForwardPath, utf8, with(mbox("user", "例子.广告"), func(w *pathWant) { w.utf8 = true })},
		{"UTF-8 quoted", `<"José Ñ"@bücher.example>`, ForwardPath, utf8, with(mbox(`"José Ñ"`, "bücher.example"), func(w *pathWant) { w.utf8, w.quoted = true, true })},
		{"UTF-8 only in source route", "<@bücher.example:u@x>", ForwardPath, utf8, pathWant{raw: "<@bücher.example:u@x>", mailbox: "u@x", local: "u", domain: "x", route: true, utf8: true}},
		{"ASCII with UTF8 option", "<u@x>", ForwardPath, utf8, mbox("u", "x")},
		{"64-octet local part", "<" + local64 + "@x.example>", ForwardPath, strict, mbox(local64, "x.example")},
		{"64-octet quoted local part", `<"` + local64[:62] + `"@x>`, ForwardPath, strict, with(mbox(`"`+local64[:62]+`"`, "x"), func(w *pathWant) { w.quoted = true })},
		{"longest domain in a path", "<u@" + domain255[:252] + ">", ForwardPath, strict, mbox("u", domain255[:252])},
		{"256-octet path", "<" + local64 + "@" + domain62 + ">", ForwardPath, strict, mbox(local64, domain62)},
		{"bare", "user@example.com", ReversePath, bare, pathWant{raw: "user@example.com", mailbox: "user@example.com", local: "user", domain: "example.com"}},
		{"bare with params", "user@example.com SIZE=10", ReversePath, bare, pathWant{raw: "user@example.com", mailbox: "user@example.com", local: "user", domain: "example.com"}},
		{"bare quoted with space", `"a b"@x rest`, ForwardPath, bare, pathWant{raw: `"a b"@x`, mailbox: `"a b"@x`, local: `"a b"`, domain: "x", quoted: true}},
		{"bare Postmaster", "Postmaster NOTIFY=NEVER", ForwardPath, bare, pathWant{raw: "Postmaster", mailbox: "Postmaster", local: "Postmaster", postmaster: true}},
		{"bare literal", "u@[IPv6:::1]", ForwardPath, bare, pathWant{raw: "u@[IPv6:::1]", mailbox: "u@[IPv6:::1]", local: "u", domain: "[IPv6:::1]", lit: LiteralIPv6}},
		{"bare UTF-8", "用户@例子.广告", ForwardPath, bareUTF8, pathWant{raw: "用户@例子.广告", mailbox: "用户@例子.广告", local: "用户", domain: "例子.广告", utf8: true}},
		{"bare source route", "@a:u@b", ForwardPath, bare, pathWant{raw: "@a:u@b", mailbox: "u@b", local: "u", domain: "b", route: true}},
		{"brackets under NoBrackets", "<u@x> SIZE=1", ForwardPath, bare, mbox("u", "x")},
		{"null path under NoBrackets", "<>", ReversePath, bare, pathWant{raw: "<>", null: true}},
		{"bare 254 octets", local64 + "@" + domain62, ForwardPath, bare, pathWant{raw: local64 + "@" + domain62, mailbox: local64 + "@" + domain62, local: local64, domain: domain62}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			p, n, err := ParsePath(in, tt.kind, tt.opts)
			require.NoError(t, err)
			tt.want.check(t, in, p, n)
		})
	}
	require.Len(t, "<"+local64+"@"+domain62+">", MaxPath)
}

func TestParsePathInvalid(t *testing.T) {
	strict, utf8 := PathOptions{}, PathOptions{UTF8: true}
	bare := PathOptions{NoBrackets: true}
	local65 := strings.Repeat("l", 65)
	domain63 := labels(2, 63) + "." + strings.Repeat("z", 62) // <64@190> is 257
	tests := []struct {
		name string
		in   string
		kind PathKind
		opts PathOptions
		want errWant
	}{
		{"missing brackets", "user@example.com", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 0}},
		{"empty input", "", ReversePath, strict, errWant{ErrSyntax, "reverse-path", 0}},
		{"space before path", " <a@b>", ReversePath, strict, errWant{ErrSyntax, "reverse-path", 0}},
		{"unclosed <", "<user@example.com", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 17}},
		{"unclosed < before params", "<user@example.com SIZE=1", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 17}},
		{"lone <", "<", ReversePath, strict, errWant{ErrSyntax, "local-part", 1}},
		{"empty local part", "<@example.com>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 1}},
		{"empty local part after route", "<@a:@example.com>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 4}},
		{"empty mailbox after route", "<@a:>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 4}},
		{"bare empty local part", "@example.com", ForwardPath, bare, errWant{ErrSyntax, "local-part", 0}},
		{"leading dot", "<.user@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 1}},
		{"trailing dot", "<user.@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 5}},
		{"double dot", "<us..er@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 4}},
		{"missing domain", "<user>", ForwardPath, strict, errWant{ErrSyntax, "Mailbox", 5}},
		{"empty domain", "<user@>", ForwardPath, strict, errWant{ErrSyntax, "domain", 6}},
		{"two @", "<a@b@c>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 4}},
		{"underscore in domain", "<user@exa_mple.com>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 9}},
		{"label starts with -", "<user@-x.com>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 6}},
		{"label ends with -", "<user@x-.com>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 7}},
		{"domain ends with dot", "<user@x.com.>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 11}},
		{"64-octet label", "<u@" + strings.Repeat("q", 64) + ".com>", ForwardPath, strict, errWant{ErrTooLong, "sub-domain", 66}},
		{"255-octet domain makes a 259-octet path", "<u@" + domain255 + ">", ForwardPath, strict, errWant{ErrTooLong, "forward-path", 256}},
		{"256-octet domain", "<u@" + domain256 + ">", ForwardPath, strict, errWant{ErrTooLong, "domain", 258}},
		{"257-octet path", "<" + local64 + "@" + domain63 + ">", ForwardPath, strict, errWant{ErrTooLong, "forward-path", 256}},
		{"bare 255 octets", local64 + "@" + domain63, ReversePath, bare, errWant{ErrTooLong, "reverse-path", 254}},
		{"long source route", "<@" + domain255 + ",@" + domain255 + ":u@x>", ForwardPath, strict, errWant{ErrTooLong, "forward-path", 256}},
		{"65-octet local part", "<" + local65 + "@x>", ForwardPath, strict, errWant{ErrTooLong, "local-part", 65}},
		{"65-octet quoted local part", `<"` + local65[:63] + `"@x>`, ForwardPath, strict, errWant{ErrTooLong, "local-part", 65}},
		{"unterminated quoted string", `<"abc@x>`, ForwardPath, strict, errWant{ErrSyntax, "quoted-string", 8}},
		{"backslash at end", `<"abc\`, ForwardPath, strict, errWant{ErrSyntax, "quoted-string", 6}},
		{"quoted-pair with CTL", "<\"a\\\x01\"@x>", ForwardPath, strict, errWant{ErrSyntax, "quoted-string", 4}},
		{"quoted-pair with DEL", "<\"a\\\x7f\"@x>", ForwardPath, strict, errWant{ErrSyntax, "quoted-string", 4}},
		{"quoted-pair with non-ASCII", "<\"a\\é\"@x>", ForwardPath, utf8, errWant{ErrSyntax, "quoted-string", 4}},
		{"quoted-pair with non-ASCII no UTF8", "<\"a\\é\"@x>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "quoted-string", 4}},
		{"CTL in quoted string", "<\"a\tb\"@x>", ForwardPath, strict, errWant{ErrSyntax, "quoted-string", 3}},
		{"text after quoted string", `<"a"b@x>`, ForwardPath, strict, errWant{ErrSyntax, "local-part", 4}},
		{"quoted Postmaster", `<"Postmaster">`, ForwardPath, strict, errWant{ErrSyntax, "Mailbox", 13}},
		{"SP in local part", "<us er@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 3}},
		{"CTL in local part", "<us\x01er@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 3}},
		{"NUL in local part", "<us\x00er@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 3}},
		{"DEL in local part", "<us\x7fer@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 3}},
		{"comma in local part", "<us,er@x>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 3}},
		{"bracket in local part", "<<a@x>>", ForwardPath, strict, errWant{ErrSyntax, "local-part", 1}},
		{"IPv4 256", "<u@[1.2.3.256]>", ForwardPath, strict, errWant{ErrSyntax, "IPv4-address-literal", 10}},
		{"IPv4 5 parts", "<u@[1.2.3.4.5]>", ForwardPath, strict, errWant{ErrSyntax, "IPv4-address-literal", 11}},
		{"IPv6 too many groups", "<u@[IPv6:1:2:3:4:5:6:7:8:9]>", ForwardPath, strict, errWant{ErrSyntax, "IPv6-addr", 25}},
		{"IPv6 two ::", "<u@[IPv6:1::2::3]>", ForwardPath, strict, errWant{ErrSyntax, "IPv6-addr", 13}},
		{"IPv6 bad hex", "<u@[IPv6:fffg::1]>", ForwardPath, strict, errWant{ErrSyntax, "IPv6-addr", 12}},
		{"IPv6 v4 part wrong", "<u@[IPv6:::ffff:1.2.3.999]>", ForwardPath, strict, errWant{ErrSyntax, "IPv4-address-literal", 22}},
		{"empty general literal", "<u@[x-tag:]>", ForwardPath, strict, errWant{ErrSyntax, "General-address-literal", 10}},
		{"unclosed literal", "<u@[1.2.3.4>", ForwardPath, strict, errWant{ErrSyntax, "address-literal", 12}},
		{"text after literal", "<u@[1.2.3.4]x>", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 12}},
		{"UTF-8 local without UTF8", "<用户@x>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "local-part", 1}},
		{"UTF-8 sender without UTF8", "<用户@x>", ReversePath, strict, errWant{ErrUTF8NotAllowed, "local-part", 1}},
		{"UTF-8 domain without UTF8", "<u@例子>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "sub-domain", 3}},
		{"UTF-8 quoted without UTF8", "<\"é\"@x>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "quoted-string", 2}},
		{"UTF-8 route without UTF8", "<@é:u@x>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "sub-domain", 2}},
		{"UTF-8 literal without UTF8", "<u@[x:é]>", ForwardPath, strict, errWant{ErrUTF8NotAllowed, "General-address-literal", 6}},
		{"invalid UTF-8 local", "<a\xff@x>", ForwardPath, utf8, errWant{ErrInvalidUTF8, "local-part", 2}},
		{"invalid UTF-8 quoted", "<\"a\xc3\"@x>", ForwardPath, utf8, errWant{ErrInvalidUTF8, "quoted-string", 3}},
		{"invalid UTF-8 domain", "<a@x\xe4\xbd>", ForwardPath, utf8, errWant{ErrInvalidUTF8, "sub-domain", 4}},
		{"null path as forward-path", "<>", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 1}},
		{"Postmaster as reverse-path", "<Postmaster>", ReversePath, strict, errWant{ErrSyntax, "reverse-path", 11}},
		{"null path with zero kind", "<>", 0, strict, errWant{ErrSyntax, "path", 1}},
		{"Postmaster with zero kind", "<Postmaster>", 0, strict, errWant{ErrSyntax, "path", 11}},
		{"Postmaster after route", "<@a:Postmaster>", ForwardPath, strict, errWant{ErrSyntax, "Mailbox", 14}},
		{"route without colon", "<@a,@b>", ForwardPath, strict, errWant{ErrSyntax, "A-d-l", 6}},
		{"route comma without @", "<@a,b:u@x>", ForwardPath, strict, errWant{ErrSyntax, "A-d-l", 4}},
		{"route empty domain", "<@:u@x>", ForwardPath, strict, errWant{ErrSyntax, "domain", 2}},
		{"route with literal", "<@[1.2.3.4]:u@x>", ForwardPath, strict, errWant{ErrSyntax, "sub-domain", 2}},
		{"route ends", "<@a", ForwardPath, strict, errWant{ErrSyntax, "A-d-l", 3}},
		{"domain then comma", "<u@x,y>", ForwardPath, strict, errWant{ErrSyntax, "forward-path", 4}},
		{"bare empty", "", ForwardPath, bare, errWant{ErrSyntax, "forward-path", 0}},
		{"bare leading space", " u@x", ForwardPath, bare, errWant{ErrSyntax, "forward-path", 0}},
		{"bare with >", "u@x>", ForwardPath, bare, errWant{ErrSyntax, "forward-path", 3}},
		{"bare missing domain", "user SIZE=1", ForwardPath, bare, errWant{ErrSyntax, "Mailbox", 4}},
		{"bare Postmaster as reverse-path", "Postmaster", ReversePath, bare, errWant{ErrSyntax, "reverse-path", 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n, err := ParsePath([]byte(tt.in), tt.kind, tt.opts)
			se := requireSyntaxError(t, err, tt.want, tt.in)
			assert.Zero(t, n)
			assert.Equal(t, Path{}, p)
			if errors.Is(err, ErrUTF8NotAllowed) {
				// RFC 6531 3.5: 550 for MAIL, 553 for RCPT, both X.6.7.
				code := reply.CodeMailboxNameNotAllowed
				if tt.kind == ReversePath {
					code = reply.CodeMailboxUnavailable
				}
				assert.Equal(t, reply.Reply{Code: code, Enhanced: reply.E(5, 6, 7), Text: se.Reason}, se.Reply())
				return
			}
			assert.Equal(t, reply.CodeParamSyntaxError, se.Code)
			assert.Equal(t, tt.kind.enhanced(), se.Enhanced)
		})
	}
}

func TestParsePathReplyCodes(t *testing.T) {
	_, _, err := ParsePath([]byte("<"+local64+"@"+domain62+"x>"), ForwardPath, PathOptions{})
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	// RFC 5321 4.5.3.1.9 "501 Path too long"; RFC 3463 X.1.3 for a recipient.
	assert.Equal(t, reply.Reply{Code: 501, Enhanced: reply.E(5, 1, 3), Text: "path longer than 256 octets"}, se.Reply())
	_, _, err = ParsePath([]byte("<a@b_c>"), ReversePath, PathOptions{})
	require.ErrorAs(t, err, &se)
	// RFC 5321 4.1.2: 501 for invalid characters; RFC 3463 X.1.7 for a sender.
	assert.Equal(t, reply.Reply{Code: 501, Enhanced: reply.E(5, 1, 7), Text: "underscore in domain label"}, se.Reply())
	assert.Equal(t, "wire: sub-domain at offset 4: underscore in domain label (RFC 5321 4.1.2)", err.Error())
}

func TestPathKindString(t *testing.T) {
	assert.Equal(t, "reverse-path", ReversePath.String())
	assert.Equal(t, "forward-path", ForwardPath.String())
	assert.Equal(t, "path", PathKind(0).String())
	assert.Equal(t, "path", PathKind(7).String())
}

func TestIsPostmaster(t *testing.T) {
	tests := []struct {
		in   string
		kind PathKind
		want bool
	}{
		{"<Postmaster>", ForwardPath, true},
		{"<postmaster@example.com>", ForwardPath, true},
		{"<POSTMASTER@[1.2.3.4]>", ReversePath, true},
		{`<"postmaster"@x>`, ForwardPath, true},
		{`<"post\master"@x>`, ForwardPath, true},
		{"<@a:PostMaster@x>", ForwardPath, true},
		{"<postmaster1@x>", ForwardPath, false},
		{"<postmaste@x>", ForwardPath, false},
		{`<"postmaster "@x>`, ForwardPath, false},
		{`<"post"@x>`, ForwardPath, false},
		{`<""@x>`, ForwardPath, false},
		{"<p0stmaster@x>", ForwardPath, false},
		{"<>", ReversePath, false},
	}
	for _, tt := range tests {
		p, _, err := ParsePath([]byte(tt.in), tt.kind, PathOptions{})
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, p.IsPostmaster(), tt.in)
	}
	assert.False(t, Path{}.IsPostmaster())
}

func TestAppendLocal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<user@x>", "user"},
		{`<"john smith"@x>`, "john smith"},
		{`<"a\"b"@x>`, `a"b`},
		{`<"a\\b"@x>`, `a\b`},
		{`<"\a\b\c"@x>`, "abc"},
		{`<"\\\\"@x>`, `\\`},
		{`<""@x>`, ""},
		{"<Postmaster>", "Postmaster"},
		{"<>", ""},
	}
	for _, tt := range tests {
		kind := ForwardPath
		if tt.in == "<>" {
			kind = ReversePath
		}
		p, _, err := ParsePath([]byte(tt.in), kind, PathOptions{})
		require.NoError(t, err, tt.in)
		assert.Equal(t, "pre:"+tt.want, string(p.AppendLocal([]byte("pre:"))), tt.in)
	}
}

func TestAppendPath(t *testing.T) {
	tests := []struct {
		name, mailbox string
		kind          PathKind
		utf8          bool
		want          string
	}{
		{"simple", "user@example.com", ForwardPath, false, "<user@example.com>"},
		{"null", "", ReversePath, false, "<>"},
		{"Postmaster", "Postmaster", ForwardPath, false, "<Postmaster>"},
		{"quoted stays quoted", `"a b"@x`, ForwardPath, false, `<"a b"@x>`},
		{"quoted with >", `"a>b"@x`, ReversePath, false, `<"a>b"@x>`},
		{"literal", "u@[IPv6:::1]", ForwardPath, false, "<u@[IPv6:::1]>"},
		{"UTF-8", "用户@例子.广告", ForwardPath, true, "<用户@例子.广告>"},
		{"254-octet mailbox", local64 + "@" + domain62, ReversePath, false, "<" + local64 + "@" + domain62 + ">"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AppendPath([]byte("MAIL FROM:"), []byte(tt.mailbox), tt.kind, tt.utf8)
			require.NoError(t, err)
			assert.Equal(t, "MAIL FROM:"+tt.want, string(out))
			p, n, err := ParsePath(out[len("MAIL FROM:"):], tt.kind, PathOptions{UTF8: tt.utf8})
			require.NoError(t, err)
			assert.Equal(t, len(tt.want), n)
			assert.Equal(t, tt.mailbox, string(p.Mailbox))
		})
	}
}

func TestAppendPathInvalid(t *testing.T) {
	tests := []struct {
		name, mailbox string
		kind          PathKind
		utf8          bool
		want          errWant
	}{
		{"CR", "us\rer@x", ForwardPath, false, errWant{ErrForbiddenByte, "Mailbox", 2}},
		{"LF", "user@x\n", ForwardPath, false, errWant{ErrForbiddenByte, "Mailbox", 6}},
		{"NUL", "\x00@x", ReversePath, true, errWant{ErrForbiddenByte, "Mailbox", 0}},
		{"command injection", "a@b>\r\nRCPT TO:<c@d", ForwardPath, false, errWant{ErrForbiddenByte, "Mailbox", 4}},
		{"null forward-path", "", ForwardPath, false, errWant{ErrSyntax, "forward-path", 0}},
		{"Postmaster reverse-path", "Postmaster", ReversePath, false, errWant{ErrSyntax, "reverse-path", 10}},
		{"closing bracket inside", "a@b>", ForwardPath, false, errWant{ErrSyntax, "forward-path", 3}},
		{"closing bracket only", ">", ReversePath, false, errWant{ErrSyntax, "reverse-path", 0}},
		{"brackets given", "<a@b>", ForwardPath, false, errWant{ErrSyntax, "local-part", 0}},
		{"source route", "@a:u@b", ForwardPath, false, errWant{ErrSyntax, "A-d-l", 0}},
		{"params", "a@b SIZE=1", ForwardPath, false, errWant{ErrSyntax, "forward-path", 3}},
		{"underscore", "a@b_c", ForwardPath, false, errWant{ErrSyntax, "sub-domain", 3}},
		{"unquoted space", "a b@c", ForwardPath, false, errWant{ErrSyntax, "local-part", 1}},
		{"UTF-8 without option", "é@x", ForwardPath, false, errWant{ErrUTF8NotAllowed, "local-part", 0}},
		{"invalid UTF-8", "\xc3@x", ForwardPath, true, errWant{ErrInvalidUTF8, "local-part", 0}},
		{"local part of 65", strings.Repeat("l", 65) + "@x", ForwardPath, false, errWant{ErrTooLong, "local-part", 64}},
		{"path of 257", local64 + "@" + domain62 + "x", ForwardPath, false, errWant{ErrTooLong, "forward-path", 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := AppendPath(dst, []byte(tt.mailbox), tt.kind, tt.utf8)
			requireSyntaxError(t, err, tt.want, tt.mailbox)
			assert.Equal(t, "keep", string(out))
		})
	}
}

func TestAppendMailbox(t *testing.T) {
	tests := []struct {
		name, local, domain string
		utf8                bool
		want                string
	}{
		{"dot-string", "first.last", "example.com", false, "<first.last@example.com>"},
		{"atext specials", "!#$%&'*+-/=?^_`{|}~", "x", false, "<!#$%&'*+-/=?^_`{|}~@x>"},
		{"space is quoted", "john smith", "x", false, `<"john smith"@x>`},
		{"@ is quoted", "a@b", "x", false, `<"a@b"@x>`},
		{"DQUOTE is escaped", `a"b`, "x", false, `<"a\"b"@x>`},
		{"backslash is escaped", `a\b`, "x", false, `<"a\\b"@x>`},
		{"leading dot is quoted", ".a", "x", false, `<".a"@x>`},
		{"trailing dot is quoted", "a.", "x", false, `<"a."@x>`},
		{"double dot is quoted", "a..b", "x", false, `<"a..b"@x>`},
		{"lone dot is quoted", ".", "x", false, `<"."@x>`},
		{"empty is quoted", "", "x", false, `<""@x>`},
		{"specials are quoted", "a(b),c:d;e<f>[g]", "x", false, `<"a(b),c:d;e<f>[g]"@x>`},
		{"UTF-8 dot-string", "josé.ñ", "bücher.example", true, "<josé.ñ@bücher.example>"},
		{"UTF-8 with space", "josé ñ", "x", true, `<"josé ñ"@x>`},
		{"literal domain", "u", "[IPv6:2001:db8::1]", false, "<u@[IPv6:2001:db8::1]>"},
		{"postmaster", "postmaster", "x", false, "<postmaster@x>"},
		{"64-octet local", local64, "x", false, "<" + local64 + "@x>"},
		{"64-octet quoted local", local64[:58] + `"\`, "x", false, `<"` + local64[:58] + `\"\\"@x>`},
		{"256-octet path", local64, domain62, false, "<" + local64 + "@" + domain62 + ">"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AppendMailbox([]byte("RCPT TO:"), []byte(tt.local), []byte(tt.domain), tt.utf8)
			require.NoError(t, err)
			assert.Equal(t, "RCPT TO:"+tt.want, string(out))
			p, n, err := ParsePath(out[len("RCPT TO:"):], ForwardPath, PathOptions{UTF8: tt.utf8})
			require.NoError(t, err)
			assert.Equal(t, len(tt.want), n)
			assert.Equal(t, tt.local, string(p.AppendLocal(nil)))
			assert.Equal(t, tt.domain, string(p.Domain))
			assert.Equal(t, strings.HasPrefix(tt.want, `<"`), p.Quoted)
		})
	}
}

func TestAppendMailboxInvalid(t *testing.T) {
	tests := []struct {
		name, local, domain string
		utf8                bool
		want                errWant
	}{
		{"CR in local", "a\rb", "x", false, errWant{ErrForbiddenByte, "local-part", 1}},
		{"LF in local", "a\n", "x", false, errWant{ErrForbiddenByte, "local-part", 1}},
		{"NUL in local", "\x00", "x", true, errWant{ErrForbiddenByte, "local-part", 0}},
		{"CRLF in domain", "a", "x\r\nQUIT", false, errWant{ErrForbiddenByte, "domain", 1}},
		{"tab cannot be quoted", "a\tb", "x", false, errWant{ErrSyntax, "local-part", 1}},
		{"DEL cannot be quoted", "a\x7f", "x", false, errWant{ErrSyntax, "local-part", 1}},
		{"UTF-8 without option", "josé", "x", false, errWant{ErrUTF8NotAllowed, "local-part", 3}},
		{"invalid UTF-8", "a\xff", "x", true, errWant{ErrInvalidUTF8, "local-part", 1}},
		{"65-octet local", local64 + "a", "x", false, errWant{ErrTooLong, "local-part", 64}},
		{"quoting makes 66", local64[:62] + " a", "x", false, errWant{ErrTooLong, "local-part", 63}},
		{"escapes make 65", local64[:60] + `"\`, "x", false, errWant{ErrTooLong, "local-part", 61}},
		{"closing quote makes 65", local64[:62] + " ", "x", false, errWant{ErrTooLong, "local-part", 63}},
		{"empty domain", "a", "", false, errWant{ErrSyntax, "domain", 0}},
		{"underscore domain", "a", "a_b", false, errWant{ErrSyntax, "sub-domain", 1}},
		{"domain with >", "a", "b>", false, errWant{ErrSyntax, "sub-domain", 1}},
		{"domain with params", "a", "b SIZE=1", false, errWant{ErrSyntax, "sub-domain", 1}},
		{"U-label without option", "a", "bü", false, errWant{ErrUTF8NotAllowed, "sub-domain", 1}},
		{"bad literal", "a", "[1.2.3.256]", false, errWant{ErrSyntax, "IPv4-address-literal", 7}},
		{"path of 257", local64, domain62 + "x", false, errWant{ErrTooLong, "path", 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AppendMailbox([]byte("keep"), []byte(tt.local), []byte(tt.domain), tt.utf8)
			requireSyntaxError(t, err, tt.want, tt.local+"@"+tt.domain)
			assert.Equal(t, "keep", string(out))
		})
	}
}

func ExampleParsePath() {
	line := []byte(`<@relay.example:"john smith"@example.com> SIZE=1000`)
	p, n, err := ParsePath(line, ReversePath, PathOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s | %s | %s | %v | %q\n", p.Mailbox, p.AppendLocal(nil), p.Domain, p.SourceRoute, line[n:])

	_, _, err = ParsePath([]byte("<user@mail_host.example>"), ForwardPath, PathOptions{})
	fmt.Println(err)
	// Output:
	// "john smith"@example.com | john smith | example.com | true | " SIZE=1000"
	// wire: sub-domain at offset 10: underscore in domain label (RFC 5321 4.1.2)
}

func ExampleAppendMailbox() {
	cmd := []byte("RCPT TO:")
	cmd, err := AppendMailbox(cmd, []byte(`john "q" smith`), []byte("[IPv6:2001:db8::1]"), false)
	fmt.Println(string(cmd), err)
	_, err = AppendMailbox(nil, []byte("a\r\nQUIT"), []byte("example.com"), false)
	fmt.Println(err)
	// Output:
	// RCPT TO:<"john \"q\" smith"@[IPv6:2001:db8::1]> <nil>
	// wire: local-part at offset 1: CR, LF or NUL in a local part (RFC 5321 2.3.8)
}
