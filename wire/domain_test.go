package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labels returns n labels of size octets each, joined by dots.
func labels(n, size int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Repeat(string(rune('a'+i)), size)
	}
	return strings.Join(parts, ".")
}

var (
	domain255 = labels(4, 63)           // 4*63 + 3 dots
	domain256 = domain255[:254] + ".b"  // last label 62, then one more label
	label63   = strings.Repeat("x", 63) // the longest ASCII label
)

// errWant is an expected *SyntaxError.
type errWant struct {
	sentinel error
	element  string
	offset   int
}

// requireSyntaxError checks that err is a *SyntaxError that wraps w.sentinel
// and names w.element at w.offset.
func requireSyntaxError(t *testing.T, err error, w errWant, msg string) *SyntaxError {
	t.Helper()
	require.Error(t, err, msg)
	var se *SyntaxError
	require.True(t, errors.As(err, &se), "%s: %T is not *SyntaxError", msg, err)
	assert.ErrorIs(t, err, w.sentinel, "%s: %v", msg, err)
	assert.Equal(t, w.element, se.Element, "%s: %v", msg, err)
	assert.Equal(t, w.offset, se.Offset, "%s: %v", msg, err)
	assert.NotEmpty(t, se.Rule, msg)
	assert.NotEmpty(t, se.Reason, msg)
	return se
}

func TestCheckDomainValid(t *testing.T) {
	tests := []struct {
		name, in string
		utf8     bool
	}{
		{"single label", "localhost", false},
		{"two labels", "example.com", false},
		{"digits and hyphens", "a-1.b--2.3com", false},
		{"all-numeric labels", "1.2.3.4", false},
		{"upper case", "MAIL.Example.ORG", false},
		{"63-octet label", label63 + ".example", false},
		{"255 octets", domain255, false},
		{"U-label", "例子.广告", true},
		{"mixed U-label", "bücher.example", true},
		{"non-ASCII label end", "xé.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, CheckDomain([]byte(tt.in), tt.utf8))
			k, err := CheckHost([]byte(tt.in), tt.utf8)
			assert.NoError(t, err)
			assert.Equal(t, LiteralNone, k)
		})
	}
	require.Len(t, domain255, 255)
	require.Len(t, domain256, 256)
}

func TestCheckDomainInvalid(t *testing.T) {
	long64 := strings.Repeat("y", 64)
	tests := []struct {
		name, in string
		utf8     bool
		want     errWant
	}{
		{"empty", "", false, errWant{ErrSyntax, "domain", 0}},
		{"underscore", "exa_mple.com", false, errWant{ErrSyntax, "sub-domain", 3}},
		{"leading hyphen", "-example.com", false, errWant{ErrSyntax, "sub-domain", 0}},
		{"label starts with hyphen", "a.-b.com", false, errWant{ErrSyntax, "sub-domain", 2}},
		{"trailing hyphen", "example-.com", false, errWant{ErrSyntax, "sub-domain", 7}},
		{"last label trailing hyphen", "example.com-", false, errWant{ErrSyntax, "sub-domain", 11}},
		{"leading dot", ".example.com", false, errWant{ErrSyntax, "sub-domain", 0}},
		{"double dot", "example..com", false, errWant{ErrSyntax, "sub-domain", 8}},
		{"trailing dot", "example.com.", false, errWant{ErrSyntax, "sub-domain", 11}},
		{"64-octet label", long64 + ".com", false, errWant{ErrTooLong, "sub-domain", 63}},
		{"64-octet last label", "a." + long64, false, errWant{ErrTooLong, "sub-domain", 65}},
		{"256 octets", domain256, false, errWant{ErrTooLong, "domain", 255}},
		{"space", "exa mple", false, errWant{ErrSyntax, "sub-domain", 3}},
		{"angle bracket", "example.com>", false, errWant{ErrSyntax, "sub-domain", 11}},
		{"colon", "example:25", false, errWant{ErrSyntax, "sub-domain", 7}},
		{"NUL", "exa\x00mple", false, errWant{ErrSyntax, "sub-domain", 3}},
		{"address literal", "[1.2.3.4]", false, errWant{ErrSyntax, "sub-domain", 0}},
		{"non-ASCII without UTF8", "bücher.example", false, errWant{ErrUTF8NotAllowed, "sub-domain", 1}},
		{"invalid UTF-8", "b\xfccher.example", true, errWant{ErrInvalidUTF8, "sub-domain", 1}},
		{"truncated UTF-8", "b\xc3", true, errWant{ErrInvalidUTF8, "sub-domain", 1}},
		{"surrogate", "a\xed\xa0\x80", true, errWant{ErrInvalidUTF8, "sub-domain", 1}},
		{"overlong", "a\xc0\xae", true, errWant{ErrInvalidUTF8, "sub-domain", 1}},
		{"U-label with leading hyphen", "-é.example", true, errWant{ErrSyntax, "sub-domain", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDomain([]byte(tt.in), tt.utf8)
			se := requireSyntaxError(t, err, tt.want, tt.in)
			if errors.Is(err, ErrSyntax) {
				// RFC 5321 4.1.2: invalid characters in a domain get 501.
				assert.EqualValues(t, 501, se.Reply().Code)
			}
			_, err = CheckHost([]byte(tt.in), tt.utf8)
			if tt.in != "[1.2.3.4]" {
				requireSyntaxError(t, err, tt.want, tt.in)
			}
		})
	}
}

func TestCheckAddressLiteralValid(t *testing.T) {
	tests := []struct {
		in   string
		want LiteralKind
	}{
		{"[192.0.2.1]", LiteralIPv4},
		{"[0.0.0.0]", LiteralIPv4},
		{"[255.255.255.255]", LiteralIPv4},
		{"[010.001.1.00]", LiteralIPv4}, // Snum = 1*3DIGIT
		{"[IPv6:::1]", LiteralIPv6},
		{"[IPv6:::]", LiteralIPv6},
		{"[ipv6:2001:db8::1]", LiteralIPv6},
		{"[IPV6:2001:DB8::]", LiteralIPv6},
		// IPv6-full
		{"[IPv6:2001:0db8:0000:0000:0000:ff00:0042:8329]", LiteralIPv6},
		{"[IPv6:1:2:3:4:5:6:7:8]", LiteralIPv6},
		// IPv6-comp with at most 6 groups beside "::"
		{"[IPv6:1:2:3::4:5:6]", LiteralIPv6},
		{"[IPv6:1:2:3:4:5:6::]", LiteralIPv6},
		{"[IPv6:::1:2:3:4:5:6]", LiteralIPv6},
		// IPv6v4-full
		{"[IPv6:1:2:3:4:5:6:192.0.2.1]", LiteralIPv6},
		// IPv6v4-comp with at most 4 groups beside "::"
		{"[IPv6:::192.0.2.1]", LiteralIPv6},
		{"[IPv6:::ffff:192.0.2.1]", LiteralIPv6},
		{"[IPv6:1:2::3:4:192.0.2.1]", LiteralIPv6},
		{"[IPv6:1:2:3:4::192.0.2.1]", LiteralIPv6},
		// General-address-literal
		{"[x-tag:some-content]", LiteralGeneral},
		{"[tag:!]", LiteralGeneral},
		{"[-a1:a:b:c]", LiteralGeneral},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := CheckAddressLiteral([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, k)
			k, err = CheckHost([]byte(tt.in), true)
			require.NoError(t, err)
			assert.Equal(t, tt.want, k)
		})
	}
}

func TestCheckAddressLiteralInvalid(t *testing.T) {
	tests := []struct {
		name, in string
		want     errWant
	}{
		{"empty", "", errWant{ErrSyntax, "address-literal", 0}},
		{"no brackets", "1.2.3.4", errWant{ErrSyntax, "address-literal", 0}},
		{"unclosed", "[1.2.3.4", errWant{ErrSyntax, "address-literal", 8}},
		{"data after", "[1.2.3.4]x", errWant{ErrSyntax, "address-literal", 9}},
		{"empty brackets", "[]", errWant{ErrSyntax, "IPv4-address-literal", 1}},
		{"IPv4 256", "[1.2.3.256]", errWant{ErrSyntax, "IPv4-address-literal", 7}},
		{"IPv4 999", "[999.1.1.1]", errWant{ErrSyntax, "IPv4-address-literal", 1}},
		{"IPv4 five parts", "[1.2.3.4.5]", errWant{ErrSyntax, "IPv4-address-literal", 8}},
		{"IPv4 three parts", "[1.2.3]", errWant{ErrSyntax, "IPv4-address-literal", 6}},
		{"IPv4 four digits", "[1.2.3.0004]", errWant{ErrSyntax, "IPv4-address-literal", 10}},
		{"IPv4 empty part", "[1..3.4]", errWant{ErrSyntax, "IPv4-address-literal", 3}},
		{"IPv4 trailing dot", "[1.2.3.]", errWant{ErrSyntax, "IPv4-address-literal", 7}},
		{"IPv4 letter", "[1.2.x.4]", errWant{ErrSyntax, "IPv4-address-literal", 5}},
		{"IPv4 space", "[1.2.3.4 ]", errWant{ErrSyntax, "IPv4-address-literal", 8}},
		{"IPv6 too many groups", "[IPv6:1:2:3:4:5:6:7:8:9]", errWant{ErrSyntax, "IPv6-addr", 22}},
		{"IPv6 too few groups", "[IPv6:1:2:3:4:5:6:7]", errWant{ErrSyntax, "IPv6-addr", 19}},
		{"IPv6 two ::", "[IPv6:1::2::3]", errWant{ErrSyntax, "IPv6-addr", 10}},
		{"IPv6 :: for one group", "[IPv6:1:2:3:4:5:6:7::]", errWant{ErrSyntax, "IPv6-addr", 19}},
		{"IPv6 seven groups after ::", "[IPv6:::1:2:3:4:5:6:7]", errWant{ErrSyntax, "IPv6-addr", 20}},
		{"IPv6 bad hex", "[IPv6:1:2:3:4:5:6:7:g]", errWant{ErrSyntax, "IPv6-addr", 20}},
		{"IPv6 five hex digits", "[IPv6:12345::1]", errWant{ErrSyntax, "IPv6-addr", 10}},
		{"IPv6 leading single colon", "[IPv6::1:2:3:4:5:6:7]", errWant{ErrSyntax, "IPv6-addr", 6}},
		{"IPv6 trailing single colon", "[IPv6:1:2:3:4:5:6:7:]", errWant{ErrSyntax, "IPv6-addr", 20}},
		{"IPv6 triple colon", "[IPv6:1:::2]", errWant{ErrSyntax, "IPv6-addr", 9}},
		{"IPv6 empty", "[IPv6:]", errWant{ErrSyntax, "IPv6-addr", 6}},
		{"IPv6 missing tag", "[::1]", errWant{ErrSyntax, "address-literal", 1}},
		{"IPv6v4 bad v4", "[IPv6:::1.2.3.256]", errWant{ErrSyntax, "IPv4-address-literal", 14}},
		{"IPv6v4 short v4", "[IPv6:::1.2.3]", errWant{ErrSyntax, "IPv4-address-literal", 13}},
		{"IPv6v4-full with 5 groups", "[IPv6:1:2:3:4:5:1.2.3.4]", errWant{ErrSyntax, "IPv6-addr", 16}},
		{"IPv6v4-comp with 5 groups", "[IPv6:1:2:3:4::5:1.2.3.4]", errWant{ErrSyntax, "IPv6-addr", 17}},
		{"IPv6v4 not last", "[IPv6:::1.2.3.4:1]", errWant{ErrSyntax, "IPv4-address-literal", 15}},
		{"general empty", "[x-tag:]", errWant{ErrSyntax, "General-address-literal", 7}},
		{"general space", "[tag:a b]", errWant{ErrSyntax, "General-address-literal", 6}},
		{"general backslash", `[tag:a\b]`, errWant{ErrSyntax, "General-address-literal", 6}},
		{"general open bracket", "[tag:a[b]", errWant{ErrSyntax, "General-address-literal", 6}},
		{"tag ends with hyphen", "[tag-:x]", errWant{ErrSyntax, "address-literal", 5}},
		{"tag underscore", "[t_g:x]", errWant{ErrSyntax, "address-literal", 2}},
		{"non-ASCII", "[tag:é]", errWant{ErrUTF8NotAllowed, "General-address-literal", 5}},
		{"too long", "[x:" + strings.Repeat("a", 253) + "]", errWant{ErrTooLong, "address-literal", 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := CheckAddressLiteral([]byte(tt.in))
			assert.Equal(t, LiteralNone, k)
			requireSyntaxError(t, err, tt.want, tt.in)
		})
	}
}

func TestCheckHostLiteralUTF8(t *testing.T) {
	// No literal form admits non-ASCII: without SMTPUTF8 that is the
	// UTF-8 error, with it a plain syntax error.
	_, err := CheckHost([]byte("[tag:é]"), false)
	requireSyntaxError(t, err, errWant{ErrUTF8NotAllowed, "General-address-literal", 5}, "no utf8")
	_, err = CheckHost([]byte("[tag:é]"), true)
	se := requireSyntaxError(t, err, errWant{ErrSyntax, "General-address-literal", 5}, "utf8")
	assert.NotErrorIs(t, se, ErrUTF8NotAllowed)
	k, err := CheckHost([]byte("[1.2.3.4]"), false)
	require.NoError(t, err)
	assert.Equal(t, LiteralIPv4, k)
}

func TestLiteralKindString(t *testing.T) {
	assert.Equal(t, "none", LiteralNone.String())
	assert.Equal(t, "IPv4", LiteralIPv4.String())
	assert.Equal(t, "IPv6", LiteralIPv6.String())
	assert.Equal(t, "general", LiteralGeneral.String())
	assert.Equal(t, "LiteralKind(9)", LiteralKind(9).String())
}

func TestAddrClass(t *testing.T) {
	// atext per RFC 5322 3.2.3: ALPHA DIGIT and these specials.
	const atext = "!#$%&'*+-/=?^_`{|}~"
	for c := range 256 {
		b := byte(c)
		isAlnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		assert.Equal(t, isAlnum || strings.IndexByte(atext, b) >= 0, addrClass[b]&addrAtext != 0, "atext %#x", c)
		assert.Equal(t, isAlnum, addrClass[b]&addrLetDig != 0, "Let-dig %#x", c)
		assert.Equal(t, c >= 32 && c <= 126 && b != '"' && b != '\\', addrClass[b]&addrQtext != 0, "qtextSMTP %#x", c)
		assert.Equal(t, c >= 32 && c <= 126, addrClass[b]&addrQpair != 0, "quoted-pairSMTP %#x", c)
		assert.Equal(t, c >= 33 && c <= 90 || c >= 94 && c <= 126, addrClass[b]&addrDcon != 0, "dcontent %#x", c)
	}
}
