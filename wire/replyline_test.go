package wire

import (
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReplyLine(t *testing.T) {
	tests := []struct {
		in   string
		code reply.Code
		more bool
		text string
		enh  reply.Enhanced
		rest string
	}{
		{"250 OK", 250, false, "OK", reply.Enhanced{}, "OK"},
		{"250-mail.example greets you", 250, true, "mail.example greets you", reply.Enhanced{}, "mail.example greets you"},
		{"250", 250, false, "", reply.Enhanced{}, ""},
		{"250-", 250, true, "", reply.Enhanced{}, ""},
		{"250 ", 250, false, "", reply.Enhanced{}, ""},
		{"550 5.1.1 No such user", 550, false, "5.1.1 No such user", reply.E(5, 1, 1), "No such user"},
		{"451-4.3.0 Try again", 451, true, "4.3.0 Try again", reply.E(4, 3, 0), "Try again"},
		{"250 2.0.0", 250, false, "2.0.0", reply.E(2, 0, 0), ""},
		// RFC 5321 4.2: text may begin with digits.
		{"250-234 Text beginning with numbers", 250, true, "234 Text beginning with numbers", reply.Enhanced{}, "234 Text beginning with numbers"},
		// The class of an enhanced code must match the reply code.
		{"250 5.1.1 odd", 250, false, "5.1.1 odd", reply.Enhanced{}, "5.1.1 odd"},
		{"354 Start mail input", 354, false, "Start mail input", reply.Enhanced{}, "Start mail input"},
		{"220 \xe4\xbd\xa0\xe5\xa5\xbd UTF-8 greeting\ttab", 220, false, "\xe4\xbd\xa0\xe5\xa5\xbd UTF-8 greeting\ttab", reply.Enhanced{}, "\xe4\xbd\xa0\xe5\xa5\xbd UTF-8 greeting\ttab"},
		{"559 edge", 559, false, "edge", reply.Enhanced{}, "edge"},
	}
	for _, tt := range tests {
		l, err := ParseReplyLine([]byte(tt.in))
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.code, l.Code, tt.in)
		assert.Equal(t, tt.more, l.More, tt.in)
		assert.Equal(t, tt.text, string(l.Text), tt.in)
		enh, rest := l.Enhanced()
		assert.Equal(t, tt.enh, enh, tt.in)
		assert.Equal(t, tt.rest, string(rest), tt.in)
	}
}

func TestParseReplyLineErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		err    error
	}{
		{"", 0, ErrSyntax},
		{"25", 2, ErrSyntax},
		{"150 one-digit class", 0, ErrSyntax},
		{"650 too high", 0, ErrSyntax},
		{"260 second digit", 1, ErrSyntax},
		{"25x third digit", 2, ErrSyntax},
		{"2500 four digits", 3, ErrSyntax},
		{"250_OK", 3, ErrSyntax},
		{"250 nul\x00here", 7, ErrNUL},
	}
	for _, tt := range tests {
		_, err := ParseReplyLine([]byte(tt.in))
		var se *SyntaxError
		require.ErrorAs(t, err, &se, "%q", tt.in)
		assert.ErrorIs(t, err, tt.err, "%q", tt.in)
		assert.Equal(t, tt.offset, se.Offset, "%q", tt.in)
		assert.Equal(t, "RFC 5321 4.2", se.Rule)
	}
}
