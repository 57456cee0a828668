package fuzz

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

// svReply is one whole reply of a server's output.
type svReply struct {
	code int
	size int // octets, CRLFs included
}

// svSplitReplies reads the server octets out as a sequence of replies and
// checks their syntax (RFC 5321 section 4.2): every line ends in CRLF and
// holds no other CR or LF, no NUL and no control octet but HT in its text
// (8-bit text is allowed, RFC 6531 section 3.7.4); every line starts with a
// valid code followed by SP, "-" or nothing, and is at most 512 octets
// (section 4.5.3.1.5); every line of a multi-line reply has the same code.
// It returns the whole replies before the first error and the error; a
// reply not finished at the end of out is an error too.
func svSplitReplies(out []byte) ([]svReply, error) {
	var (
		rs    []svReply
		start int  // offset of the reply being read
		code  = -1 // its code once its first line is read
	)
	for off := 0; off < len(out); {
		i := bytes.Index(out[off:], []byte("\r\n"))
		if i < 0 {
			return rs, fmt.Errorf("offset %d: unterminated reply line %q", off, out[off:])
		}
		line := out[off : off+i]
		if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
			return rs, fmt.Errorf("offset %d: bare CR or LF in reply line %q", off, line)
		}
		if len(line)+2 > wire.MaxReplyLine {
			return rs, fmt.Errorf("offset %d: reply line of %d octets", off, len(line)+2)
		}
		for _, c := range line {
			if c < ' ' && c != '\t' || c == 0x7f {
				return rs, fmt.Errorf("offset %d: control octet %#x in reply line %q", off, c, line)
			}
		}
		rl, err := wire.ParseReplyLine(line)
		if err != nil {
			return rs, fmt.Errorf("offset %d: %w", off, err)
		}
		if code >= 0 && int(rl.Code) != code {
			return rs, fmt.Errorf("offset %d: code %d inside a %d reply", off, rl.Code, code)
		}
		code = int(rl.Code)
		off += i + 2
		if !rl.More {
			rs = append(rs, svReply{code: code, size: off - start})
			start, code = off, -1
		}
	}
	if code >= 0 {
		return rs, fmt.Errorf("output ends inside a %d reply", code)
	}
	return rs, nil
}

// svReplyEnd returns the octets the replies rs take.
func svReplyEnd(rs []svReply) int {
	n := 0
	for _, r := range rs {
		n += r.size
	}
	return n
}

// svReplyCodes returns the code of each reply of out, and its syntax error.
func svReplyCodes(out []byte) ([]int, error) {
	rs, err := svSplitReplies(out)
	codes := make([]int, len(rs))
	for i, r := range rs {
		codes[i] = r.code
	}
	return codes, err
}

// TestSvSplitRepliesFails proves the reply checker reports each kind of
// malformed output it is meant to catch, and accepts the forms RFC 5321
// section 4.2 allows.
func TestSvSplitRepliesFails(t *testing.T) {
	good := "220 mx.example.org ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n334 \r\n334\r\n235 2.7.0 ok caf\xc3\xa9\r\n"
	codes, err := svReplyCodes([]byte(good))
	require.NoError(t, err)
	require.Equal(t, []int{220, 250, 334, 334, 235}, codes)
	for name, bad := range map[string]string{
		"no CRLF":          "250 ok",
		"bare LF":          "250 ok\n",
		"bare LF inside":   "250 o\nk\r\n",
		"bare CR inside":   "250 o\rk\r\n",
		"NUL":              "250 o\x00k\r\n",
		"control":          "250 o\x1bk\r\n",
		"bad code":         "650 no\r\n",
		"short":            "25\r\n",
		"bad separator":    "250_ok\r\n",
		"code changes":     "250-a\r\n251 b\r\n",
		"ends continued":   "250-a\r\n",
		"line too long":    "250 " + string(bytes.Repeat([]byte("x"), 510)) + "\r\n",
		"good then broken": "220 hi\r\nxyz\r\n",
	} {
		_, err := svSplitReplies([]byte(bad))
		require.Error(t, err, name)
	}
}
