package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ehloLines parses a whole EHLO reply given as wire text and returns the
// capabilities.
func ehloLines(t *testing.T, wire string) *Capabilities {
	t.Helper()
	var c Capabilities
	for _, raw := range strings.Split(strings.TrimSuffix(wire, "\r\n"), "\r\n") {
		l, err := ParseReplyLine([]byte(raw))
		require.NoError(t, err, raw)
		require.Equal(t, 250, int(l.Code))
		require.NoError(t, c.AddLine(l.Text), raw)
	}
	return &c
}

func TestCapabilitiesRFC5321AppendixD(t *testing.T) {
	// RFC 5321 appendix D.1.
	c := ehloLines(t, "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n")
	assert.Equal(t, "foo.com", string(c.Domain()))
	assert.Equal(t, "greets bar.com", string(c.Greeting()))
	assert.Equal(t, NewExtSet(Ext8BITMIME, ExtSIZE, ExtDSN, ExtHELP), c.Exts())
	max, ok := c.Size()
	assert.True(t, ok)
	assert.Zero(t, max, "SIZE without a value: no fixed maximum (RFC 1870 4)")
	assert.False(t, c.Has(ExtPIPELINING))
	assert.Equal(t, []string{"8BITMIME", "SIZE", "DSN", "HELP"}, c.Keywords())
}

func TestCapabilitiesParams(t *testing.T) {
	c := ehloLines(t, "250-mx.example.org Hello\r\n"+
		"250-pipelining\r\n"+
		"250-SIZE 35882577\r\n"+
		"250-AUTH  PLAIN   LOGIN SCRAM-SHA-256\r\n"+
		"250-LIMITS RCPTMAX=100 MAILMAX=5 RCPTDOMAINMAX=3 FUTURE-LIMIT=7 BADVALUE=x\r\n"+
		"250-X-EXPERIMENT a b\r\n"+
		"250-SIZE 1\r\n"+
		"250-ENHANCEDSTATUSCODES\r\n"+
		"250 SMTPUTF8\r\n")
	assert.True(t, c.Has(ExtPIPELINING), "keywords are case-insensitive (RFC 5321 2.4)")
	max, ok := c.Size()
	assert.True(t, ok)
	assert.EqualValues(t, 35882577, max, "the first SIZE line wins")
	assert.True(t, c.HasAuth("plain"))
	assert.True(t, c.HasAuth("SCRAM-SHA-256"))
	assert.False(t, c.HasAuth("CRAM-MD5"))
	assert.False(t, c.HasAuth(""))
	assert.Equal(t, []string{"PLAIN", "LOGIN", "SCRAM-SHA-256"}, c.AuthMechanisms())
	assert.Equal(t, Limits{MailMax: 5, RcptMax: 100, RcptDomainMax: 3}, c.Limits())
	p, ok := c.Keyword("x-experiment")
	assert.True(t, ok)
	assert.Equal(t, "a b", string(p))
	_, ok = c.Keyword("X-OTHER")
	assert.False(t, ok)
	p, ok = c.Params(ExtSMTPUTF8)
	assert.True(t, ok)
	assert.Empty(t, p)
	_, ok = c.Params(ExtDSN)
	assert.False(t, ok)
}

func TestCapabilitiesOddButLegal(t *testing.T) {
	// A single-line reply: domain only.
	c := ehloLines(t, "250 mail.example\r\n")
	assert.Equal(t, "mail.example", string(c.Domain()))
	assert.Empty(t, c.Greeting())
	assert.Zero(t, c.Exts())

	// Last line is just "250" (RFC 5321 4.2: clients accept it).
	c = ehloLines(t, "250-mail.example\r\n250-STARTTLS\r\n250\r\n")
	assert.Equal(t, NewExtSet(ExtSTARTTLS), c.Exts())

	// The pre-standard AUTH=LOGIN form some servers still send.
	c = ehloLines(t, "250-mail.example\r\n250-AUTH=LOGIN PLAIN\r\n250 AUTH LOGIN\r\n")
	assert.True(t, c.Has(ExtAUTH))
	assert.Equal(t, []string{"LOGIN", "PLAIN"}, c.AuthMechanisms())

	// No SIZE offered; a SIZE value that is not a number.
	_, ok := c.Size()
	assert.False(t, ok)
	c = ehloLines(t, "250-h\r\n250 SIZE lots\r\n")
	max, ok := c.Size()
	assert.True(t, ok)
	assert.Zero(t, max)
}

func TestCapabilitiesBadKeyword(t *testing.T) {
	var c Capabilities
	require.NoError(t, c.AddLine([]byte("mail.example")))
	require.NoError(t, c.AddLine([]byte("PIPELINING")))
	for _, bad := range []string{"-DASH", "SIZE_X 1", "8BIT\x00MIME", "AU TH"} {
		err := c.AddLine([]byte(bad))
		if bad == "AU TH" {
			// "AU" is a keyword and "TH" its parameter.
			require.NoError(t, err)
			continue
		}
		var se *SyntaxError
		require.ErrorAs(t, err, &se, bad)
		assert.Equal(t, "ehlo-keyword", se.Element)
	}
	assert.True(t, c.Has(ExtPIPELINING), "earlier lines stay")
}

func TestCapabilitiesResetAndOwnership(t *testing.T) {
	var c Capabilities
	buf := []byte("one.example")
	require.NoError(t, c.AddLine(buf))
	line := []byte("SIZE 10")
	require.NoError(t, c.AddLine(line))
	copy(buf, "XXXXXXXXXXX")
	copy(line, "XXXXXXX")
	assert.Equal(t, "one.example", string(c.Domain()), "Capabilities keeps its own copy")
	max, _ := c.Size()
	assert.EqualValues(t, 10, max)

	c.Reset()
	assert.Empty(t, c.Domain())
	assert.Zero(t, c.Exts())
	require.NoError(t, c.AddLine([]byte("two.example")))
	require.NoError(t, c.AddLine([]byte("CHUNKING")))
	assert.Equal(t, "two.example", string(c.Domain()))
	assert.Equal(t, NewExtSet(ExtCHUNKING), c.Exts())
}
