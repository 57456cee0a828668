package wire

import (
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendCommandRoundTrip checks parse -> append -> parse for every valid
// command of the table: the second parse (strict) gives the same fields.
func TestAppendCommandRoundTrip(t *testing.T) {
	for _, tt := range validCommands {
		c, err := ParseCommand([]byte(tt.in), tt.opts)
		require.NoError(t, err, tt.in)
		out, err := AppendCommand([]byte("prefix"), c)
		if tt.opts.Lenient && err != nil {
			// A leniency the strict grammar refuses (such as "my_host")
			// is never written back out.
			assert.ErrorIs(t, err, ErrSyntax, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.True(t, strings.HasPrefix(string(out), "prefix"), "appends to dst")
		line := out[len("prefix"):]
		require.True(t, strings.HasSuffix(string(line), "\r\n"), "%q", line)
		again, err := ParseCommand(line[:len(line)-2], ParseOptions{UTF8: true})
		require.NoError(t, err, "%q -> %q", tt.in, line)
		assert.Equal(t, tt.want, summary(again), "%q -> %q", tt.in, line)
	}
}

func TestAppendCommandCanonical(t *testing.T) {
	tests := []struct{ in, out string }{
		{"mail from:<@a.example:u@b.example>  ", "MAIL FROM:<u@b.example>\r\n"},
		{"ehlo x.example", "EHLO x.example\r\n"},
		{"rcpt to:<postmaster>", "RCPT TO:<postmaster>\r\n"},
		{"auth plain =", "AUTH plain =\r\n"},
		{"bdat 7 last", "BDAT 7 LAST\r\n"},
		{"etrn #q", "ETRN #q\r\n"},
		{"noop", "NOOP\r\n"},
		{"Xyzzy Plugh", "Xyzzy Plugh\r\n"},
	}
	for _, tt := range tests {
		c, err := ParseCommand([]byte(tt.in), strict)
		require.NoError(t, err, tt.in)
		out, err := AppendCommand(nil, c)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.out, string(out), tt.in)
	}
}

// TestAppendRefusesInjection checks that no field can smuggle CR, LF or NUL
// into the output: client-side command injection (SPEC 2.8; CPython
// bpo-43124 is the same bug in smtplib).
func TestAppendRefusesInjection(t *testing.T) {
	for _, bad := range []string{"\r\nRSET", "\nRSET", "\rX", "a\x00b"} {
		dst := []byte("keep")
		cases := []func() ([]byte, error){
			func() ([]byte, error) { return AppendHello(dst, VerbEHLO, []byte("h"+bad)) },
			func() ([]byte, error) { return AppendMail(dst, []byte("a"+bad+"@b.example"), MailParams{}) },
			func() ([]byte, error) { return AppendRcpt(dst, []byte("a@b.example"+bad), RcptParams{}, false) },
			func() ([]byte, error) { return AppendVerbArg(dst, VerbVRFY, []byte("x"+bad)) },
			func() ([]byte, error) { return AppendVerbArg(dst, VerbNOOP, []byte(bad)) },
			func() ([]byte, error) { return AppendAuth(dst, "PLAIN"+bad, nil, false) },
			func() ([]byte, error) {
				return AppendCommand(dst, Command{Verb: VerbUnknown, Name: []byte("XFOO"), Arg: []byte(bad)})
			},
			func() ([]byte, error) { return AppendXAttrs(dst, VerbXCLIENT, XAttrs{Name: []byte("a" + bad)}) },
		}
		for i, f := range cases {
			out, err := f()
			require.Error(t, err, "case %d with %q", i, bad)
			assert.Equal(t, "keep", string(out), "case %d: dst is returned unchanged on error", i)
		}
	}
}

func TestAppendTyped(t *testing.T) {
	out, err := AppendHello(nil, VerbLHLO, []byte("[IPv6:::1]"))
	require.NoError(t, err)
	assert.Equal(t, "LHLO [IPv6:::1]\r\n", string(out))
	_, err = AppendHello(nil, VerbMAIL, []byte("x"))
	assert.ErrorIs(t, err, ErrSyntax)
	_, err = AppendHello(nil, VerbEHLO, []byte("bad_host"))
	assert.ErrorIs(t, err, ErrSyntax)
	// White space around the host is no part of a Domain: the parse back
	// trims it, so it used to be written as given (found by
	// fuzz.FuzzCommandRoundTrip).
	for _, host := range []string{"0 ", "h.example\t", "[192.0.2.1] ", " h.example"} {
		out, err = AppendHello([]byte("keep"), VerbEHLO, []byte(host))
		assert.Error(t, err, "%q", host)
		assert.Equal(t, "keep", string(out), "%q", host)
	}

	out, err = AppendMail(nil, nil, MailParams{})
	require.NoError(t, err)
	assert.Equal(t, "MAIL FROM:<>\r\n", string(out))
	out, err = AppendMail(nil, []byte("a@b.example"), MailParams{Size: 1024, HasSize: true, Body: Body8BitMIME})
	require.NoError(t, err)
	assert.Equal(t, "MAIL FROM:<a@b.example> SIZE=1024 BODY=8BITMIME\r\n", string(out))
	_, err = AppendMail(nil, []byte("\xc3\xa9@b.example"), MailParams{})
	assert.ErrorIs(t, err, ErrUTF8NotAllowed, "UTF-8 needs SMTPUTF8 (RFC 6531 3.4)")
	out, err = AppendMail(nil, []byte("\xc3\xa9@b.example"), MailParams{SMTPUTF8: true})
	require.NoError(t, err)
	assert.Equal(t, "MAIL FROM:<\xc3\xa9@b.example> SMTPUTF8\r\n", string(out))

	out, err = AppendRcpt(nil, []byte("Postmaster"), RcptParams{Notify: NotifyNever}, false)
	require.NoError(t, err)
	assert.Equal(t, "RCPT TO:<Postmaster> NOTIFY=NEVER\r\n", string(out))
	_, err = AppendRcpt(nil, nil, RcptParams{}, false)
	assert.Error(t, err, "no null forward-path")

	assert.Equal(t, "BDAT 0 LAST\r\n", string(AppendBdat(nil, 0, true)))
	assert.Equal(t, "BDAT 65536\r\n", string(AppendBdat(nil, 65536, false)))

	for _, v := range []Verb{VerbDATA, VerbRSET, VerbQUIT, VerbSTARTTLS, VerbNOOP, VerbHELP, VerbTURN} {
		out, err = AppendVerb(nil, v)
		require.NoError(t, err, v)
		assert.Equal(t, v.String()+"\r\n", string(out))
	}
	_, err = AppendVerb(nil, VerbMAIL)
	assert.Error(t, err, "MAIL needs its argument")
	_, err = AppendVerbArg(nil, VerbDATA, []byte("x"))
	assert.ErrorIs(t, err, ErrUnexpectedArgument)
	_, err = AppendVerb(nil, VerbUnknown)
	assert.Error(t, err)
	out, err = AppendVerbArg(nil, VerbETRN, []byte("@example.com"))
	require.NoError(t, err)
	assert.Equal(t, "ETRN @example.com\r\n", string(out))
}

func TestAppendAuth(t *testing.T) {
	// RFC 4954 section 4.1 example.
	out, err := AppendAuth(nil, "PLAIN", []byte("test\x00test\x001234"), true)
	require.NoError(t, err)
	assert.Equal(t, "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n", string(out))
	out, err = AppendAuth(nil, "EXTERNAL", nil, true)
	require.NoError(t, err)
	assert.Equal(t, "AUTH EXTERNAL =\r\n", string(out))
	out, err = AppendAuth(nil, "CRAM-MD5", nil, false)
	require.NoError(t, err)
	assert.Equal(t, "AUTH CRAM-MD5\r\n", string(out))
	for _, bad := range []string{"BAD MECH", "", "PL@IN", "ABCDEFGHIJKLMNOPQRSTU"} {
		_, err = AppendAuth(nil, bad, nil, false)
		assert.Error(t, err, "%q", bad)
	}

	// RFC 2195 section 2: the CRAM-MD5 response.
	assert.Equal(t, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
		string(AppendAuthResponse(nil, []byte("tim b913a602c7eda7a495b4e6e7334d3890"))))
	assert.Equal(t, "\r\n", string(AppendAuthResponse(nil, nil)))
	assert.Equal(t, "*\r\n", string(AppendAuthCancel(nil)))
}

func TestParseAuthResponse(t *testing.T) {
	b64, cancel, err := ParseAuthResponse([]byte("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"))
	require.NoError(t, err)
	assert.False(t, cancel)
	raw, err := DecodeBase64(nil, b64)
	require.NoError(t, err)
	assert.Equal(t, "tim b913a602c7eda7a495b4e6e7334d3890", string(raw))

	_, cancel, err = ParseAuthResponse([]byte("*"))
	require.NoError(t, err)
	assert.True(t, cancel, "* cancels (RFC 4954 4)")

	b64, cancel, err = ParseAuthResponse(nil)
	require.NoError(t, err)
	assert.False(t, cancel)
	assert.Empty(t, b64, "an empty line is an empty response")

	for _, bad := range []string{"=AAA", "AAA=BBB", "abc", "ab cd", "**", "dGVzdA=="[:7], "AB\x00C"} {
		_, _, err := ParseAuthResponse([]byte(bad))
		var se *SyntaxError
		require.ErrorAs(t, err, &se, "%q", bad)
		assert.Equal(t, reply.CodeParamSyntaxError, se.Reply().Code)
		assert.Equal(t, reply.E(5, 5, 2), se.Reply().Enhanced, "RFC 4954 4: 501 5.5.2")
	}
	// Padding bits must be zero: "dGVzdB==" has stray bits.
	_, err = DecodeBase64(nil, []byte("dGVzdB=="))
	assert.ErrorIs(t, err, ErrSyntax)
	// encoding/base64 would skip CR and LF: DecodeBase64 must not.
	for _, bad := range []string{"dGVz\r\ndA==", "dGVzdA\n==", "\rdGVzdA==", "dGVzdA==\n"} {
		_, err = DecodeBase64(nil, []byte(bad))
		assert.ErrorIs(t, err, ErrSyntax, "%q", bad)
	}
	out, err := DecodeBase64([]byte("x"), []byte("dGVzdA=="))
	require.NoError(t, err)
	assert.Equal(t, "xtest", string(out))
}

func TestDecodeXAttrs(t *testing.T) {
	c, err := ParseCommand([]byte("XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2 LOGIN=a+2Bb"), strict)
	require.NoError(t, err)
	a, err := DecodeXAttrs(VerbXCLIENT, c.Params)
	require.NoError(t, err)
	assert.Equal(t, "spike.porcupine.org", string(a.Name))
	assert.Equal(t, "168.100.189.2", string(a.Addr))
	login, err := DecodeXtext(nil, a.Login)
	require.NoError(t, err)
	assert.Equal(t, "a+b", string(login))
	assert.Nil(t, a.Port)

	_, err = DecodeXAttrs(VerbMAIL, c.Params)
	assert.Error(t, err)

	out, err := AppendXAttrs(nil, VerbXFORWARD, XAttrs{Name: []byte("a.example"), Source: []byte("LOCAL"), Ident: []byte("Q1")})
	require.NoError(t, err)
	assert.Equal(t, "XFORWARD NAME=a.example IDENT=Q1 SOURCE=LOCAL\r\n", string(out))
	_, err = AppendXAttrs(nil, VerbXFORWARD, XAttrs{Login: []byte("x")})
	assert.Error(t, err, "LOGIN is an XCLIENT attribute")
	_, err = AppendXAttrs(nil, VerbXCLIENT, XAttrs{})
	assert.ErrorIs(t, err, ErrMissingArgument)
	_, err = AppendXAttrs(nil, VerbXCLIENT, XAttrs{Name: []byte("a b")})
	assert.Error(t, err, "values must be xtext")
}
