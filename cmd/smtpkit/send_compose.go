package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// composition is the simple message send builds from --subject, --body and
// --attach: a text/plain body and, with attachments, a multipart/mixed
// message (RFC 2046 section 5.1.3) whose attachments are base64 parts. It
// is a plain value; build does not modify it.
type composition struct {
	From *mail.Address
	To   []*mail.Address
	// Subject is the text of the Subject header, omitted when empty.
	Subject string
	// Body is the text of the message; its line ends may be LF, CRLF or
	// CR, build writes CRLF.
	Body        string
	Attachments []attachment
	// Date is the origination date (RFC 5322 section 3.6.1).
	Date time.Time
	// MessageID is the msg-id with its angle brackets (RFC 5322 section
	// 3.6.4), see newMessageID.
	MessageID string
}

// attachment is one --attach file, read whole.
type attachment struct {
	// Name is the file name the recipient sees (the path's last element).
	Name string
	Data []byte
}

// Line limits, without the CRLF: RFC 5322 section 2.1.1 (lines SHOULD
// stay within 78 octets and MUST stay within 998), RFC 2047 section 2
// (a line with encoded-words within 76) and RFC 2045 section 6.8 (base64
// lines within 76).
const (
	foldLength      = 78
	encodedWordLine = 76
	maxLineLength   = 998
	base64Line      = 76
)

// errLineTooLong reports a header field that cannot be folded within the
// 998 octets of RFC 5322 section 2.1.1.
var errLineTooLong = errors.New("a header line would exceed the 998 octets of RFC 5322 section 2.1.1")

// errHeaderBreak reports a line break inside a header value, which would
// start a new header field.
var errHeaderBreak = errors.New("a header value contains a line break")

// loadAttachments reads the --attach files.
func loadAttachments(paths []string) ([]attachment, error) {
	out := make([]attachment, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", err)
		}
		out = append(out, attachment{Name: filepath.Base(p), Data: data})
	}
	return out, nil
}

// checkSubject refuses a subject with control characters: a line break
// there is a mistake on the command line, and the header must stay one
// field (RFC 5322 section 2.2).
func checkSubject(s string) error {
	for _, r := range s {
		if r < ' ' && r != '\t' || r == 0x7f {
			return usagef("--subject: control character %q; the subject is one line", r)
		}
	}
	if !utf8.ValidString(s) {
		return usagef("--subject: not valid UTF-8")
	}
	return nil
}

// newMessageID returns a msg-id (RFC 5322 section 3.6.4) with 130 random
// bits on the left and domain on the right.
func newMessageID(domain string) string {
	return "<" + rand.Text() + "@" + domain + ">"
}

// messageIDDomain picks the right-hand side of a Message-ID for the sender
// address addr: its domain in ASCII (IDNA A-labels, RFC 5890), or
// "localhost" when there is none or it is an address literal.
func messageIDDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "localhost"
	}
	d, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil || d == "" {
		return "localhost"
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "localhost"
		}
	}
	return strings.ToLower(d)
}

// build writes the message with CRLF line ends. eightBit says the server
// offers 8BITMIME (RFC 6152), so a UTF-8 body can go as 8bit instead of
// quoted-printable; uses8bit reports that it did, and then the MAIL
// command must carry BODY=8BITMIME (RFC 6152 section 3).
func (c *composition) build(eightBit bool) (msg []byte, uses8bit bool, err error) {
	var h []byte
	fields := [][2]string{
		{"Date", c.Date.Format(time.RFC1123Z)}, // RFC 5322 section 3.3
		{"From", formatAddress(c.From)},
		{"To", formatAddressList(c.To)},
	}
	if c.Subject != "" {
		// RFC 2047 encoded-words when not ASCII; Encode splits them at 75
		// octets (section 2) with a space between, where we fold.
		fields = append(fields, [2]string{"Subject", mime.QEncoding.Encode("utf-8", c.Subject)})
	}
	fields = append(fields, [2]string{"Message-ID", c.MessageID}, [2]string{"MIME-Version", "1.0"})
	for _, f := range fields {
		if h, err = appendField(h, f[0], f[1]); err != nil {
			return nil, false, err
		}
	}
	body := crlfText(c.Body)
	cte := textEncoding(body, eightBit)
	const textType = "text/plain; charset=utf-8"
	b := new(bytes.Buffer)
	if len(c.Attachments) == 0 {
		if h, err = appendField(h, "Content-Type", textType); err == nil {
			h, err = appendField(h, "Content-Transfer-Encoding", cte)
		}
		if err != nil {
			return nil, false, err
		}
		b.Write(append(h, "\r\n"...))
		if err := writeEncoded(b, body, cte); err != nil {
			return nil, false, err
		}
		return b.Bytes(), cte == "8bit", nil
	}
	mw := multipart.NewWriter(b) // writes nothing before CreatePart
	ct := mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})
	if h, err = appendField(h, "Content-Type", ct); err != nil {
		return nil, false, err
	}
	b.Write(append(h, "\r\n"...))
	w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {textType}, "Content-Transfer-Encoding": {cte}})
	if err != nil {
		return nil, false, err
	}
	if err := writeEncoded(w, body, cte); err != nil {
		return nil, false, err
	}
	for _, a := range c.Attachments {
		hdr, err := attachmentHeader(a.Name)
		if err != nil {
			return nil, false, err
		}
		w, err := mw.CreatePart(hdr)
		if err != nil {
			return nil, false, err
		}
		if err := writeEncoded(w, a.Data, "base64"); err != nil {
			return nil, false, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, false, err
	}
	return b.Bytes(), cte == "8bit", nil
}

// attachmentHeader returns the part header of an attachment: the content
// type from the name's extension (application/octet-stream when unknown),
// the name in Content-Disposition's filename (RFC 2183) and in the legacy
// Content-Type name parameter, encoded per RFC 2231 when not ASCII.
func attachmentHeader(name string) (textproto.MIMEHeader, error) {
	mediaType, params := "application/octet-stream", map[string]string{}
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		if mt, p, err := mime.ParseMediaType(t); err == nil {
			mediaType, params = mt, p
		}
	}
	params["name"] = name
	ct := mime.FormatMediaType(mediaType, params)
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if ct == "" || cd == "" {
		return nil, fmt.Errorf("--attach: cannot write the file name %q in a MIME header", name)
	}
	for _, v := range []string{ct, cd} {
		if len(v)+len("Content-Disposition: ") > maxLineLength {
			return nil, fmt.Errorf("--attach: file name %q: %w", name, errLineTooLong)
		}
	}
	return textproto.MIMEHeader{
		"Content-Type":              {ct},
		"Content-Disposition":       {cd},
		"Content-Transfer-Encoding": {"base64"},
	}, nil
}

// formatAddress writes a mailbox (RFC 5322 section 3.4): the bare
// addr-spec without a display name, name-addr with one (net/mail encodes a
// non-ASCII name as RFC 2047 words and quotes what needs it).
func formatAddress(a *mail.Address) string {
	s := a.String()
	if a.Name == "" {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	}
	return s
}

// formatAddressList writes an address-list (RFC 5322 section 3.4).
func formatAddressList(list []*mail.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

// appendField appends "Name: value" CRLF to dst, folding before a space
// when a line would pass 78 octets (RFC 5322 sections 2.1.1 and 2.2.3), or
// 76 when the value holds encoded-words (RFC 2047 section 2); the first
// word moves to a continuation line of its own when that makes it fit. A
// folded line never consists of white space only. It fails when a line
// stays longer than 998 octets or the value holds CR or LF.
func appendField(dst []byte, name, value string) ([]byte, error) {
	if strings.ContainsAny(value, "\r\n") {
		return nil, fmt.Errorf("%s: %w", name, errHeaderBreak)
	}
	limit := foldLength
	if strings.Contains(value, "=?") {
		limit = encodedWordLine
	}
	dst = append(dst, name...)
	dst = append(dst, ':')
	n := len(name) + 1
	for i, w := range strings.Split(value, " ") {
		if w != "" && n+1+len(w) > limit && (i > 0 || 1+len(w) <= limit) {
			dst = append(dst, "\r\n"...)
			n = 0
		}
		dst = append(dst, ' ')
		dst = append(dst, w...)
		if n += 1 + len(w); n > maxLineLength {
			return nil, fmt.Errorf("%s: %w", name, errLineTooLong)
		}
	}
	return append(dst, "\r\n"...), nil
}

// crlfText returns s with every line end (CRLF, LF or CR) written as CRLF
// and, when s is not empty, ending with one (RFC 5322 section 2.3).
func crlfText(s string) []byte {
	out := make([]byte, 0, len(s)+len(s)/32+2)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			out = append(out, '\r', '\n')
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// textEncoding chooses the Content-Transfer-Encoding of a CRLF text body
// (RFC 2045 section 2.7 to 2.8 and 6): 7bit for ASCII, 8bit for UTF-8
// when the server offers 8BITMIME, quoted-printable otherwise and for
// lines longer than 998 octets or a NUL anywhere.
func textEncoding(body []byte, eightBit bool) string {
	ascii, longest, start := true, 0, 0
	for i, c := range body {
		switch {
		case c == 0:
			return "quoted-printable"
		case c >= 0x80:
			ascii = false
		case c == '\n':
			longest = max(longest, i-1-start) // without the CR
			start = i + 1
		}
	}
	longest = max(longest, len(body)-start)
	switch {
	case longest > maxLineLength:
		return "quoted-printable"
	case ascii:
		return "7bit"
	case eightBit && utf8.Valid(body):
		return "8bit"
	}
	return "quoted-printable"
}

// writeEncoded writes data in the transfer encoding cte: as is for 7bit
// and 8bit, quoted-printable with CRLF line breaks (RFC 2045 section 6.7),
// or base64 in lines of 76 characters (RFC 2045 section 6.8).
func writeEncoded(w interface{ Write([]byte) (int, error) }, data []byte, cte string) error {
	switch cte {
	case "quoted-printable":
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write(data); err != nil {
			return err
		}
		return qp.Close()
	case "base64":
		enc := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
		base64.StdEncoding.Encode(enc, data)
		out := make([]byte, 0, len(enc)+len(enc)/base64Line*2+2)
		for len(enc) > 0 {
			n := min(base64Line, len(enc))
			out = append(out, enc[:n]...)
			out = append(out, '\r', '\n')
			enc = enc[n:]
		}
		_, err := w.Write(out)
		return err
	}
	_, err := w.Write(data)
	return err
}
