package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireCRLF fails unless every line of msg ends with CRLF: no bare CR, no
// bare LF (RFC 5322 section 2.3), and no line passes 998 octets (section
// 2.1.1).
func requireCRLF(t *testing.T, msg []byte) {
	t.Helper()
	require.True(t, bytes.HasSuffix(msg, []byte("\r\n")), "the message ends with CRLF")
	for i, line := range bytes.Split(msg, []byte("\r\n")) {
		require.NotContains(t, string(line), "\n", "bare LF in line %d: %q", i, line)
		require.NotContains(t, string(line), "\r", "bare CR in line %d: %q", i, line)
		require.LessOrEqual(t, len(line), maxLineLength, "line %d", i)
	}
}

// headerLines returns the header section's physical lines.
func headerLines(msg []byte) []string {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	return strings.Split(string(head), "\r\n")
}

var msgIDPattern = regexp.MustCompile(`^<[A-Z2-7]{26}@[a-z0-9.-]+>$`)

func testComposition() *composition {
	return &composition{
		From:      &mail.Address{Name: "Alice Example", Address: "alice@example.org"},
		To:        []*mail.Address{{Address: "bob@example.net"}, {Name: "Carol", Address: "carol@example.net"}},
		Subject:   "Quarterly report",
		Body:      "Hello Bob,\nthe numbers are in.\n.\nAlice\n",
		Date:      time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600)),
		MessageID: newMessageID("example.org"),
	}
}

func TestComposeTextMessage(t *testing.T) {
	c := testComposition()
	msg, uses8bit, err := c.build(false)
	require.NoError(t, err)
	assert.False(t, uses8bit)
	requireCRLF(t, msg)

	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	date, err := m.Header.Date()
	require.NoError(t, err, "Date is an RFC 5322 section 3.3 date-time")
	assert.True(t, date.Equal(c.Date))
	assert.Equal(t, "Wed, 04 Mar 2026 05:06:07 +0100", m.Header.Get("Date"))
	assert.Regexp(t, msgIDPattern, m.Header.Get("Message-ID"))
	assert.Equal(t, c.MessageID, m.Header.Get("Message-ID"))
	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	require.Len(t, from, 1)
	assert.Equal(t, *c.From, *from[0])
	to, err := m.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "bob@example.net", to[0].Address)
	assert.Equal(t, "Carol", to[1].Name)
	assert.Equal(t, "To: bob@example.net, \"Carol\" <carol@example.net>", headerLines(msg)[2], "a bare addr-spec without a name")
	assert.Equal(t, "Quarterly report", m.Header.Get("Subject"))
	assert.Equal(t, "1.0", m.Header.Get("MIME-Version"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	assert.Equal(t, "text/plain", mt)
	assert.Equal(t, "utf-8", params["charset"])
	assert.Equal(t, "7bit", m.Header.Get("Content-Transfer-Encoding"))
	body, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	assert.Equal(t, "Hello Bob,\r\nthe numbers are in.\r\n.\r\nAlice\r\n", string(body), "the line with a dot is left to the client's dot-stuffing")

	names := []string{}
	for _, l := range headerLines(msg) {
		if name, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, " ") {
			names = append(names, name)
		}
	}
	assert.Equal(t, []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}, names)
}

func TestComposeWithoutSubjectOrBody(t *testing.T) {
	c := testComposition()
	c.Subject, c.Body = "", ""
	msg, _, err := c.build(false)
	require.NoError(t, err)
	requireCRLF(t, msg)
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	_, ok := m.Header["Subject"]
	assert.False(t, ok, "no Subject field for an empty subject (RFC 5322 section 3.6.5: optional)")
	body, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	assert.Empty(t, body)
}

func TestComposeNonASCIISubjectAndNames(t *testing.T) {
	c := testComposition()
	c.Subject = "Grüße aus Köln: Überweisung für März, Rechnung Nr. 4711 — bitte prüfen und bestätigen, danke schön"
	c.From = &mail.Address{Name: "Zoë Ångström", Address: "zoe@example.org"}
	msg, _, err := c.build(false)
	require.NoError(t, err)
	requireCRLF(t, msg)
	for _, l := range headerLines(msg) {
		if strings.Contains(l, "=?") {
			assert.LessOrEqual(t, len(l), encodedWordLine, "RFC 2047 section 2: %q", l)
		}
		assert.LessOrEqual(t, len(l), foldLength, "folded to 78 octets (RFC 5322 section 2.1.1): %q", l)
		for _, r := range l {
			require.Less(t, r, rune(0x80), "headers are ASCII: %q", l)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	raw := m.Header.Get("Subject")
	assert.Contains(t, raw, "=?utf-8?q?", "RFC 2047 encoded-words")
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(raw)
	require.NoError(t, err)
	assert.Equal(t, c.Subject, subject)
	from, err := m.Header.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, "Zoë Ångström", from[0].Name)
}

func TestComposeAttachments(t *testing.T) {
	dir := t.TempDir()
	binary := make([]byte, 5000)
	_, err := rand.Read(binary)
	require.NoError(t, err)
	binary = append(binary, "\r\n.\r\n\x00\n\r"...) // line ends and NUL must survive too
	text := []byte("line one\nline two without CR\n")
	files := map[string][]byte{"data.bin": binary, "notes.txt": text, "résumé.pdf": []byte("%PDF-1.7\n"), "empty.png": nil}
	var paths []string
	for _, name := range []string{"data.bin", "notes.txt", "résumé.pdf", "empty.png"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, files[name], 0o600))
		paths = append(paths, p)
	}
	atts, err := loadAttachments(paths)
	require.NoError(t, err)
	c := testComposition()
	c.Body = "Fünf Anhänge.\n"
	c.Attachments = atts
	msg, uses8bit, err := c.build(false)
	require.NoError(t, err)
	assert.False(t, uses8bit)
	requireCRLF(t, msg)

	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, "1.0", m.Header.Get("MIME-Version"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", mt)
	require.NotEmpty(t, params["boundary"])
	mr := multipart.NewReader(m.Body, params["boundary"])

	p, err := mr.NextRawPart()
	require.NoError(t, err)
	assert.Equal(t, "text/plain; charset=utf-8", p.Header.Get("Content-Type"))
	assert.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"), "non-ASCII without 8BITMIME")
	body, err := io.ReadAll(quotedprintable.NewReader(p))
	require.NoError(t, err)
	assert.Equal(t, "Fünf Anhänge.\r\n", string(body))

	wantType := map[string]string{"data.bin": "application/octet-stream", "notes.txt": "text/plain", "résumé.pdf": "application/pdf", "empty.png": "image/png"}
	for _, name := range []string{"data.bin", "notes.txt", "résumé.pdf", "empty.png"} {
		p, err := mr.NextRawPart()
		require.NoError(t, err, name)
		assert.Equal(t, name, p.FileName(), "Content-Disposition filename, RFC 2231 when not ASCII")
		ct, ctParams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		require.NoError(t, err)
		assert.Equal(t, wantType[name], ct, name)
		assert.Equal(t, name, ctParams["name"], name)
		assert.Equal(t, "base64", p.Header.Get("Content-Transfer-Encoding"))
		enc, err := io.ReadAll(p)
		require.NoError(t, err)
		for _, l := range strings.Split(strings.TrimSuffix(string(enc), "\r\n"), "\r\n") {
			assert.LessOrEqual(t, len(l), base64Line, "RFC 2045 section 6.8")
		}
		got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(enc), "\r\n", ""))
		require.NoError(t, err)
		assert.Equal(t, len(files[name]), len(got), name)
		assert.True(t, bytes.Equal(files[name], got), "%s round-trips byte for byte", name)
	}
	_, err = mr.NextRawPart()
	assert.ErrorIs(t, err, io.EOF)
	assert.Contains(t, string(msg), `filename*=utf-8''r%C3%A9sum%C3%A9.pdf`, "RFC 2231 section 4")
}

func TestComposeEightBit(t *testing.T) {
	c := testComposition()
	c.Body = "Grüße\nvon Zoë\n"
	msg, uses8bit, err := c.build(true)
	require.NoError(t, err)
	assert.True(t, uses8bit)
	requireCRLF(t, msg)
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, "8bit", m.Header.Get("Content-Transfer-Encoding"))
	body, _ := io.ReadAll(m.Body)
	assert.Equal(t, "Grüße\r\nvon Zoë\r\n", string(body))

	msg, uses8bit, err = c.build(false)
	require.NoError(t, err)
	assert.False(t, uses8bit)
	assert.False(t, hasHighBit(msg), "quoted-printable keeps the message 7-bit")
	m, err = mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"))
	body, _ = io.ReadAll(quotedprintable.NewReader(m.Body))
	assert.Equal(t, "Grüße\r\nvon Zoë\r\n", string(body))
}

func TestComposeLongLineBody(t *testing.T) {
	c := testComposition()
	c.Body = strings.Repeat("abcdefghij", 150) + "\n"
	msg, _, err := c.build(true)
	require.NoError(t, err)
	requireCRLF(t, msg)
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	assert.Equal(t, "quoted-printable", m.Header.Get("Content-Transfer-Encoding"), "a 1500-octet line cannot go as 7bit (RFC 2045 section 2.7)")
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	assert.Equal(t, strings.Repeat("abcdefghij", 150)+"\r\n", string(body))
}

func TestComposeHeaderTooLong(t *testing.T) {
	c := testComposition()
	c.Subject = strings.Repeat("x", 1200)
	_, _, err := c.build(false)
	assert.ErrorIs(t, err, errLineTooLong)
}

func TestTextEncoding(t *testing.T) {
	for _, tc := range []struct {
		body     string
		eightBit bool
		want     string
	}{
		{"", false, "7bit"},
		{"plain\r\n", false, "7bit"},
		{"plain\r\n", true, "7bit"},
		{"Grüße\r\n", false, "quoted-printable"},
		{"Grüße\r\n", true, "8bit"},
		{"bad \xff utf-8\r\n", true, "quoted-printable"},
		{"nul \x00\r\n", false, "quoted-printable"},
		{strings.Repeat("a", 998) + "\r\n", false, "7bit"},
		{strings.Repeat("a", 999) + "\r\n", false, "quoted-printable"},
		{"short\r\n" + strings.Repeat("a", 999), true, "quoted-printable"},
	} {
		assert.Equal(t, tc.want, textEncoding([]byte(tc.body), tc.eightBit), "%.20q %v", tc.body, tc.eightBit)
	}
}

func TestAppendField(t *testing.T) {
	b, err := appendField(nil, "Subject", "short")
	require.NoError(t, err)
	assert.Equal(t, "Subject: short\r\n", string(b))

	long := strings.Repeat("word ", 40) + "end"
	b, err = appendField(nil, "Subject", long)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	require.Greater(t, len(lines), 1, "folded")
	for i, l := range lines {
		assert.LessOrEqual(t, len(l), foldLength, l)
		if i > 0 {
			assert.True(t, strings.HasPrefix(l, " "), "a continuation line starts with white space")
			assert.NotEmpty(t, strings.TrimSpace(l), "never white space only")
		}
	}
	unfolded := strings.ReplaceAll(strings.TrimSuffix(string(b), "\r\n"), "\r\n", "")
	assert.Equal(t, "Subject: "+long, unfolded, "unfolding (RFC 5322 section 2.2.3) gives the value back")

	b, err = appendField(nil, "X", "a  b")
	require.NoError(t, err)
	assert.Equal(t, "X: a  b\r\n", string(b), "runs of spaces are kept")

	_, err = appendField(nil, "Subject", "two\r\nlines")
	assert.ErrorIs(t, err, errHeaderBreak)
	_, err = appendField(nil, "Subject", "bare\nLF")
	assert.ErrorIs(t, err, errHeaderBreak)
	_, err = appendField(nil, "Subject", strings.Repeat("y", 999))
	assert.ErrorIs(t, err, errLineTooLong)
}

func TestCRLFText(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"a":              "a\r\n",
		"a\n":            "a\r\n",
		"a\r\n":          "a\r\n",
		"a\rb":           "a\r\nb\r\n",
		"a\n\nb\r\n\r\n": "a\r\n\r\nb\r\n\r\n",
		"\n":             "\r\n",
		"a\r":            "a\r\n",
	} {
		assert.Equal(t, want, string(crlfText(in)), "%q", in)
	}
}

func TestMessageIDDomain(t *testing.T) {
	for addr, want := range map[string]string{
		"alice@Example.ORG":         "example.org",
		"alice@bücher.example":      "xn--bcher-kva.example",
		"alice@[192.0.2.1]":         "localhost",
		"alice":                     "localhost",
		"alice@":                    "localhost",
		`"a@b"@mail.example.com`:    "mail.example.com",
		"alice@exa mple.com":        "localhost",
		"alice@sub.domain.example.": "sub.domain.example.",
	} {
		assert.Equal(t, want, messageIDDomain(addr), addr)
	}
	id := newMessageID("example.org")
	assert.Regexp(t, msgIDPattern, id)
	assert.NotEqual(t, id, newMessageID("example.org"), "random")
}

func TestCheckSubject(t *testing.T) {
	assert.NoError(t, checkSubject("Hello, Zoë\tand all"))
	for _, s := range []string{"two\nlines", "cr\r", "nul\x00", "del\x7f", "bad \xff"} {
		err := checkSubject(s)
		var ue *usageError
		assert.ErrorAs(t, err, &ue, "%q", s)
	}
}

func TestLoadAttachmentsMissing(t *testing.T) {
	_, err := loadAttachments([]string{filepath.Join(t.TempDir(), "missing.pdf")})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "--attach: ")
}
