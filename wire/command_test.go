package wire

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summary renders the parsed fields of c that matter for its verb, so table
// tests and round trips compare one string.
func summary(c Command) string {
	var b strings.Builder
	b.WriteString(c.Verb.String())
	add := func(k string, v []byte) {
		if len(v) > 0 {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	switch c.Verb {
	case VerbUnknown:
		add("name", c.Name)
		add("arg", c.Arg)
	case VerbHELO, VerbEHLO, VerbLHLO, VerbATRN:
		add("domain", c.Domain)
		if c.Literal != LiteralNone {
			fmt.Fprintf(&b, " literal=%d", c.Literal)
		}
	case VerbMAIL, VerbRCPT:
		switch {
		case c.Path.Null:
			b.WriteString(" path=<>")
		case c.Path.Postmaster:
			b.WriteString(" path=<Postmaster>")
		default:
			fmt.Fprintf(&b, " path=<%s>", c.Path.Mailbox)
		}
	case VerbBDAT:
		fmt.Fprintf(&b, " size=%d last=%v", c.ChunkSize, c.Last)
	case VerbAUTH:
		add("mech", c.Mechanism)
		if c.HasInitialResponse {
			fmt.Fprintf(&b, " ir=%q", c.InitialResponse)
		}
	case VerbETRN:
		if c.NodeOption != 0 {
			fmt.Fprintf(&b, " opt=%c", c.NodeOption)
		}
		add("node", c.Domain)
	case VerbXCLIENT, VerbXFORWARD:
		// The attributes are in Params.
	case VerbBURL:
		add("url", c.URL)
		if c.Last {
			b.WriteString(" last=true")
		}
	default:
		add("arg", c.Arg)
	}
	it := c.Params.Iter()
	for it.Next() {
		p := it.Param()
		fmt.Fprintf(&b, " [%s", p.Keyword)
		if p.HasValue {
			fmt.Fprintf(&b, "=%s", p.Value)
		}
		b.WriteString("]")
	}
	return b.String()
}

var (
	strict  = ParseOptions{}
	utf8On  = ParseOptions{UTF8: true}
	lenient = ParseOptions{Lenient: true}
)

// validCommands covers every verb form of SPEC 1.1-1.2 that must parse.
var validCommands = []struct {
	in   string
	opts ParseOptions
	want string
}{
	{"HELO relay.example", strict, "HELO domain=relay.example"},
	{"helo relay.example", strict, "HELO domain=relay.example"},
	{"HELO [192.0.2.1]", strict, "HELO domain=[192.0.2.1] literal=1"},
	{"EHLO bar.com", strict, "EHLO domain=bar.com"},
	{"EHLO bar.com  \t", strict, "EHLO domain=bar.com"},
	{"eHlO [IPv6:2001:db8::1]", strict, "EHLO domain=[IPv6:2001:db8::1] literal=2"},
	{"LHLO lmtp.example", strict, "LHLO domain=lmtp.example"},
	{"MAIL FROM:<Smith@bar.com>", strict, "MAIL path=<Smith@bar.com>"},
	{"mail from:<Smith@bar.com>", strict, "MAIL path=<Smith@bar.com>"},
	{"MAIL FROM:<>", strict, "MAIL path=<>"},
	{"MAIL FROM:<> SIZE=0", strict, "MAIL path=<> [SIZE=0]"},
	{"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8", strict, "MAIL path=<a@b.example> [SIZE=1000] [BODY=8BITMIME] [SMTPUTF8]"},
	{"MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ314159 AUTH=<>", strict, "MAIL path=<a@b.example> [RET=HDRS] [ENVID=QQ314159] [AUTH=<>]"},
	{"MAIL FROM:<\"John Smith\"@b.example>", strict, "MAIL path=<\"John Smith\"@b.example>"},
	{"MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>", strict, "MAIL path=<userc@d.bar.org>"},
	{"MAIL FROM:<a@[192.0.2.7]>", strict, "MAIL path=<a@[192.0.2.7]>"},
	{"MAIL FROM:<a@b.example> ", strict, "MAIL path=<a@b.example>"},
	{"MAIL FROM:<\xc3\xa9l\xc3\xa8ve@\xc3\xa9cole.example> SMTPUTF8", utf8On, "MAIL path=<\xc3\xa9l\xc3\xa8ve@\xc3\xa9cole.example> [SMTPUTF8]"},
	{"RCPT TO:<Jones@foo.com>", strict, "RCPT path=<Jones@foo.com>"},
	{"rcpt to:<Jones@foo.com>", strict, "RCPT path=<Jones@foo.com>"},
	{"RCPT TO:<Postmaster>", strict, "RCPT path=<Postmaster>"},
	{"RCPT TO:<postmaster>", strict, "RCPT path=<Postmaster>"},
	{"RCPT TO:<postmaster@foo.com>", strict, "RCPT path=<postmaster@foo.com>"},
	{"RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40b.example", strict, "RCPT path=<a@b.example> [NOTIFY=SUCCESS,FAILURE] [ORCPT=rfc822;a+40b.example]"},
	{"RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example>", utf8On, "RCPT path=<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example>"},
	{"DATA", strict, "DATA"},
	{"data  ", strict, "DATA"},
	{"RSET", strict, "RSET"},
	{"QUIT", strict, "QUIT"},
	{"STARTTLS", strict, "STARTTLS"},
	{"NOOP", strict, "NOOP"},
	{"NOOP anything at all", strict, "NOOP arg=anything at all"},
	{"HELP", strict, "HELP"},
	{"HELP MAIL", strict, "HELP arg=MAIL"},
	{"HELP \xc3\xa9t\xc3\xa9", strict, "HELP arg=\xc3\xa9t\xc3\xa9"},
	{"VRFY Smith", strict, "VRFY arg=Smith"},
	{"VRFY <Smith@bar.com>", strict, "VRFY arg=<Smith@bar.com>"},
	{"VRFY John Smith", strict, "VRFY arg=John Smith"},
	{"EXPN Example-People", strict, "EXPN arg=Example-People"},
	{"VRFY j\xc3\xb6rg SMTPUTF8", utf8On, "VRFY arg=j\xc3\xb6rg [SMTPUTF8]"},
	{"EXPN list smtputf8", strict, "EXPN arg=list [smtputf8]"},
	{"BDAT 1024", strict, "BDAT size=1024 last=false"},
	{"BDAT 0 LAST", strict, "BDAT size=0 last=true"},
	{"bdat 86 last", strict, "BDAT size=86 last=true"},
	{"BDAT 18446744073709551615", strict, "BDAT size=18446744073709551615 last=false"},
	{"AUTH PLAIN", strict, "AUTH mech=PLAIN"},
	{"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", strict, `AUTH mech=PLAIN ir="dGVzdAB0ZXN0ADEyMzQ="`},
	{"AUTH EXTERNAL =", strict, `AUTH mech=EXTERNAL ir=""`},
	{"auth scram-sha-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=", strict, `AUTH mech=scram-sha-256 ir="biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8="`},
	{"AUTH XOAUTH2 dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB", strict, `AUTH mech=XOAUTH2 ir="dXNlcj11c2VyAWF1dGg9QmVhcmVyIG1GXzkuQjVmLTQuMUpxTQEB"`},
	{"AUTH GS2_KRB5", strict, "AUTH mech=GS2_KRB5"},
	{"ETRN example.com", strict, "ETRN node=example.com"},
	{"ETRN @example.com", strict, "ETRN opt=@ node=example.com"},
	{"ETRN #queue-7", strict, "ETRN opt=# node=queue-7"},
	{"ETRN [192.0.2.9]", strict, "ETRN node=[192.0.2.9]"},
	{"ATRN", strict, "ATRN"},
	{"ATRN a.example,b.example", strict, "ATRN domain=a.example,b.example"},
	{"BURL imap://harry@gryffindor.example.com/outbox;UIDVALIDITY=1078863300/;uid=25;urlauth=submit+harry:internal:91354a473744909de610943775f92038 LAST", strict, "BURL url=imap://harry@gryffindor.example.com/outbox;UIDVALIDITY=1078863300/;uid=25;urlauth=submit+harry:internal:91354a473744909de610943775f92038 last=true"},
	{"BURL imap://a.example/x", strict, "BURL url=imap://a.example/x"},
	{"XCLIENT NAME=spike.porcupine.org ADDR=168.100.189.2", strict, "XCLIENT [NAME=spike.porcupine.org] [ADDR=168.100.189.2]"},
	{"XCLIENT NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::1 PORT=4711 PROTO=ESMTP HELO=x LOGIN=u DESTADDR=192.0.2.1 DESTPORT=25", strict, "XCLIENT [NAME=[UNAVAILABLE]] [ADDR=IPV6:2001:db8::1] [PORT=4711] [PROTO=ESMTP] [HELO=x] [LOGIN=u] [DESTADDR=192.0.2.1] [DESTPORT=25]"},
	{"XFORWARD NAME=a.example IDENT=4A1B2C SOURCE=REMOTE HELO=a+20b", strict, "XFORWARD [NAME=a.example] [IDENT=4A1B2C] [SOURCE=REMOTE] [HELO=a+20b]"},
	{"SEND FROM:<a@b>", strict, "SEND arg=FROM:<a@b>"},
	{"SOML FROM:<a@b>", strict, "SOML arg=FROM:<a@b>"},
	{"SAML FROM:<a@b>", strict, "SAML arg=FROM:<a@b>"},
	{"TURN", strict, "TURN"},
	{"XYZZY plugh", strict, "UNKNOWN name=XYZZY arg=plugh"},
	{"X-FOO", strict, "UNKNOWN name=X-FOO"},
	{"GET / HTTP/1.1", strict, "UNKNOWN name=GET arg=/ HTTP/1.1"},
	// Lenient forms.
	{"MAIL FROM: <a@b.example>", lenient, "MAIL path=<a@b.example>"},
	{"MAIL FROM:a@b.example SIZE=5", lenient, "MAIL path=<a@b.example> [SIZE=5]"},
	{"MAIL  FROM:<a@b.example>  SIZE=5", lenient, "MAIL path=<a@b.example> [SIZE=5]"},
	{"RCPT TO: <a@b.example>", lenient, "RCPT path=<a@b.example>"},
	{"HELO my_host", lenient, "HELO domain=my_host"},
	{"EHLO client.example extra words", lenient, "EHLO domain=client.example"},
	{"EHLO client.example\textra", lenient, "EHLO domain=client.example"},
	{"EHLO \t client.example", lenient, "EHLO domain=client.example"},
}

func TestParseCommandValid(t *testing.T) {
	for _, tt := range validCommands {
		c, err := ParseCommand([]byte(tt.in), tt.opts)
		require.NoError(t, err, "%q", tt.in)
		assert.Equal(t, tt.want, summary(c), "%q", tt.in)
	}
}

// invalidCommands covers every refused form: the sentinel, the element and
// offset of the error, and the reply code the RFCs assign.
var invalidCommands = []struct {
	in     string
	opts   ParseOptions
	err    error
	offset int
	code   reply.Code
}{
	{"", strict, ErrSyntax, 0, 500},
	{"   ", strict, ErrSyntax, 0, 500},
	{" 0", strict, ErrSyntax, 0, 500},
	{" MAIL FROM:<a@b.example>", lenient, ErrSyntax, 0, 500},
	{"HELO", strict, ErrMissingArgument, 4, 501},
	{"EHLO", strict, ErrMissingArgument, 4, 501},
	{"HELO a.example b.example", strict, ErrSyntax, 14, 501},
	{"EHLO under_score.example", strict, ErrSyntax, 10, 501},
	{"EHLO [192.0.2]", strict, ErrSyntax, -1, 501},
	{"EHLO b\xc3\xbccher.example", strict, ErrUTF8NotAllowed, 6, 501},
	{"EHLO b\xc3\xbccher.example", utf8On, ErrUTF8NotAllowed, 6, 501},
	{"HELO bad\x01host", lenient, ErrSyntax, 8, 501},
	{"MAIL", strict, ErrSyntax, 4, 501},
	{"MAIL FROM <a@b.example>", strict, ErrSyntax, 5, 501},
	{"MAIL TO:<a@b.example>", strict, ErrSyntax, 5, 501},
	{"MAIL FROM:", strict, ErrMissingArgument, 10, 501},
	{"MAIL FROM: <a@b.example>", strict, ErrSyntax, 10, 501},
	{"MAIL FROM:a@b.example", strict, ErrSyntax, 10, 501},
	{"MAIL  FROM:<a@b.example>", strict, ErrSyntax, 5, 501},
	{"MAIL FROM:<a@b.example>SIZE=1", strict, ErrSyntax, 23, 501},
	{"MAIL FROM:<a@b.example> SIZE=1 size=2", strict, ErrDuplicateParam, 31, 501},
	{"MAIL FROM:<a@b.example> =x", strict, ErrSyntax, 24, 501},
	{"MAIL FROM:<a@b.example> SIZE=a=b", strict, ErrSyntax, -1, 501},
	{"MAIL FROM:<\xc3\xa9@b.example>", strict, ErrUTF8NotAllowed, 11, 550},
	{"MAIL FROM:<\xc3\xa9@b.example>", utf8On, ErrUTF8NotAllowed, 10, 550},
	{"RCPT TO:<\xc3\xa9@b.example>", strict, ErrUTF8NotAllowed, 9, 553},
	{"MAIL FROM:<a@b_c.example>", strict, ErrSyntax, -1, 501},
	{"MAIL FROM:<Postmaster>", strict, ErrSyntax, -1, 501},
	{"RCPT TO:<>", strict, ErrSyntax, -1, 501},
	{"RCPT TO:", strict, ErrMissingArgument, 8, 501},
	{"RCPT FROM:<a@b.example>", strict, ErrSyntax, 5, 501},
	{"RCPT TO:<a@b.example", strict, ErrSyntax, -1, 501},
	{"DATA now", strict, ErrUnexpectedArgument, 5, 501},
	{"RSET x", strict, ErrUnexpectedArgument, 5, 501},
	{"QUIT bye", strict, ErrUnexpectedArgument, 5, 501},
	{"STARTTLS now", strict, ErrUnexpectedArgument, 9, 501},
	{"NOOP a\x01b", strict, ErrSyntax, 6, 501},
	{"VRFY", strict, ErrMissingArgument, 4, 501},
	{"EXPN", strict, ErrMissingArgument, 4, 501},
	{"VRFY a\x00b", strict, ErrSyntax, 6, 501},
	{"VRFY   SMTPUTF8", strict, ErrMissingArgument, 5, 501},
	{"VRFY j\xc3\xb6rg", strict, ErrUTF8NotAllowed, 6, 553},
	{"VRFY \xff\xfe", utf8On, ErrInvalidUTF8, 5, 501},
	{"BDAT", strict, ErrMissingArgument, 4, 501},
	{"BDAT x", strict, ErrSyntax, 5, 501},
	{"BDAT -1", strict, ErrSyntax, 5, 501},
	{"BDAT 10 FIRST", strict, ErrSyntax, 7, 501},
	{"BDAT 10 LAST now", strict, ErrSyntax, 7, 501},
	{"BDAT 18446744073709551616", strict, ErrSyntax, 24, 501},
	{"AUTH", strict, ErrMissingArgument, 4, 501},
	{"AUTH PL@IN", strict, ErrSyntax, 7, 501},
	{"AUTH ABCDEFGHIJKLMNOPQRSTU", strict, ErrSyntax, 25, 501},
	{"AUTH PLAIN abc", strict, ErrSyntax, 14, 501},
	{"AUTH PLAIN =AAA", strict, ErrSyntax, 11, 501},
	{"AUTH PLAIN AA=A", strict, ErrSyntax, 13, 501},
	{"AUTH PLAIN dGVz dA==", strict, ErrSyntax, 15, 501},
	{"ETRN", strict, ErrMissingArgument, 4, 501},
	{"ETRN @", strict, ErrMissingArgument, 6, 501},
	{"ETRN bad_name.example", strict, ErrSyntax, -1, 501},
	{"ETRN #bad\x01", strict, ErrSyntax, 9, 501},
	{"ATRN a.example,,b.example", strict, ErrSyntax, -1, 501},
	{"BURL", strict, ErrMissingArgument, 4, 501},
	{"BURL no-scheme", strict, ErrSyntax, 5, 501},
	{"BURL imap://a.example/x FIRST", strict, ErrSyntax, 23, 501},
	{"XCLIENT", strict, ErrMissingArgument, -1, 501},
	{"XCLIENT FOO=bar", strict, ErrSyntax, 8, 501},
	{"XCLIENT NAME", strict, ErrBadParamValue, -1, 501},
	{"XCLIENT NAME=a NAME=b", strict, ErrDuplicateParam, 15, 501},
	{"XFORWARD LOGIN=x", strict, ErrSyntax, 9, 501},
	{"XCLIENT IDENT=x", strict, ErrSyntax, 8, 501},
	{"XCLIENT NAME=" + strings.Repeat("a", 256), strict, ErrTooLong, -1, 501},
}

func TestParseCommandInvalid(t *testing.T) {
	for _, tt := range invalidCommands {
		_, err := ParseCommand([]byte(tt.in), tt.opts)
		var se *SyntaxError
		require.ErrorAs(t, err, &se, "%q", tt.in)
		assert.ErrorIs(t, err, tt.err, "%q: %v", tt.in, err)
		if tt.offset >= 0 {
			assert.Equal(t, tt.offset, se.Offset, "%q: %v", tt.in, err)
		}
		assert.NotEmpty(t, se.Element, "%q", tt.in)
		assert.NotEmpty(t, se.Rule, "%q", tt.in)
		assert.Equal(t, tt.code, se.Reply().Code, "%q: %v", tt.in, err)
		assert.LessOrEqual(t, se.Offset, len(tt.in), "%q", tt.in)
	}
}

func TestParseCommandPathReplies(t *testing.T) {
	_, err := ParseCommand([]byte("MAIL FROM:<a@@b.example>"), strict)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.E(5, 1, 7), se.Reply().Enhanced, "bad sender syntax is X.1.7 (RFC 3463)")
	_, err = ParseCommand([]byte("RCPT TO:<a@@b.example>"), strict)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.E(5, 1, 3), se.Reply().Enhanced, "bad recipient syntax is X.1.3 (RFC 3463)")
	_, err = ParseCommand([]byte("MAIL FROM:<\xc3\xa9@b.example>"), strict)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.CodeMailboxUnavailable, se.Reply().Code, "MAIL: 550 (RFC 6531 3.5)")
	assert.Equal(t, reply.E(5, 6, 7), se.Reply().Enhanced, "non-ASCII without SMTPUTF8 is X.6.7 (RFC 6531 3.5)")
}

func TestParseCommandAliasesInput(t *testing.T) {
	line := []byte("MAIL FROM:<a@b.example> SIZE=10")
	c, err := ParseCommand(line, strict)
	require.NoError(t, err)
	copy(line[11:], "z")
	assert.Equal(t, "z@b.example", string(c.Path.Mailbox), "results alias the line (documented)")
}

// TestCommandPrefixesNeedMore feeds every strict prefix of every valid
// command line, CRLF included, to a LineSplitter under each policy: a
// prefix is never a line and never an error, only "need more".
func TestCommandPrefixesNeedMore(t *testing.T) {
	for _, tt := range validCommands {
		full := []byte(tt.in + "\r\n")
		for _, pol := range []BarePolicy{BareReject, BareNormalize, BareAllow} {
			for i := 0; i < len(full); i++ {
				s := LineSplitter{Max: MaxAuthLine, Policy: pol}
				n, line, err := s.Split(full[:i])
				require.NoError(t, err, "%q prefix %d policy %v", tt.in, i, pol)
				require.Zero(t, n, "%q prefix %d policy %v", tt.in, i, pol)
				require.Nil(t, line)
			}
			s := LineSplitter{Max: MaxAuthLine, Policy: pol}
			n, line, err := s.Split(full)
			require.NoError(t, err)
			require.Equal(t, len(full), n)
			_, err = ParseCommand(line, tt.opts)
			require.NoError(t, err, "%q policy %v", tt.in, pol)
		}
	}
}
