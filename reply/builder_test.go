package reply_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// feed parses wire lines ("250-text") and adds them to b, returning the
// reply when the last line is done.
func feed(t *testing.T, b *reply.Builder, wire ...string) (reply.Reply, error) {
	t.Helper()
	for i, l := range wire {
		require.GreaterOrEqual(t, len(l), 3, l)
		code := reply.Code((int(l[0]-'0')*100 + int(l[1]-'0')*10 + int(l[2]-'0')))
		more := len(l) > 3 && l[3] == '-'
		var text []byte
		if len(l) > 4 {
			text = []byte(l[4:])
		}
		done, err := b.Add(code, more, text)
		if err != nil {
			return reply.Reply{}, err
		}
		require.Equal(t, i == len(wire)-1, done, "line %d %q", i, l)
	}
	return b.Reply(), nil
}

func TestBuilder(t *testing.T) {
	tests := []struct {
		name string
		wire []string
		want reply.Reply
	}{
		{"single", []string{"250 OK"}, reply.Reply{Code: 250, Text: "OK"}},
		{"bare code", []string{"250"}, reply.Reply{Code: 250}},
		{"bare code with space", []string{"250 "}, reply.Reply{Code: 250}},
		{"last line bare", []string{"250-First", "250"}, reply.Reply{Code: 250, Text: "First\n"}},
		{"RFC 5321 example", []string{"250-First line", "250-Second line", "250-234 Text beginning with numbers", "250 The last line"},
			reply.Reply{Code: 250, Text: "First line\nSecond line\n234 Text beginning with numbers\nThe last line"}},
		{"enhanced", []string{"550 5.1.1 No such user"}, reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "No such user"}},
		{"enhanced only", []string{"250 2.0.0"}, reply.Reply{Code: 250, Enhanced: reply.E(2, 0, 0)}},
		{"enhanced every line stripped", []string{"550-5.7.1 Relaying denied", "550-5.7.1", "550 5.7.1 See policy"},
			reply.Reply{Code: 550, Enhanced: reply.E(5, 7, 1), Text: "Relaying denied\n\nSee policy"}},
		{"different enhanced on later line kept", []string{"550-5.7.1 a", "550 5.7.2 b"},
			reply.Reply{Code: 550, Enhanced: reply.E(5, 7, 1), Text: "a\n5.7.2 b"}},
		{"later enhanced without first", []string{"250-a", "250 2.0.0 b"}, reply.Reply{Code: 250, Text: "a\n2.0.0 b"}},
		{"class mismatch is text", []string{"550 4.2.2 Mailbox full"}, reply.Reply{Code: 550, Text: "4.2.2 Mailbox full"}},
		{"3yz never enhanced", []string{"354 2.0.0 go"}, reply.Reply{Code: 354, Text: "2.0.0 go"}},
		{"leading zero is text", []string{"550 5.01.1 x"}, reply.Reply{Code: 550, Text: "5.01.1 x"}},
		{"no space after enhanced", []string{"550 5.1.1x"}, reply.Reply{Code: 550, Text: "5.1.1x"}},
		{"EHLO", []string{"250-mx.example.org greets you", "250-PIPELINING", "250 SIZE 1000"},
			reply.Reply{Code: 250, Text: "mx.example.org greets you\nPIPELINING\nSIZE 1000"}},
	}
	var b reply.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feed(t, &b, tt.wire...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.Code, b.Code())
		})
	}
}

func TestBuilderCodeMismatch(t *testing.T) {
	var b reply.Builder
	_, err := feed(t, &b, "250-a", "250-b", "251 c")
	require.Error(t, err)
	assert.ErrorIs(t, err, reply.ErrCodeMismatch)
	var cm *reply.CodeMismatchError
	require.ErrorAs(t, err, &cm)
	assert.Equal(t, reply.CodeMismatchError{Line: 3, Want: 250, Got: 251}, *cm)
	assert.Contains(t, err.Error(), "line 3")
	assert.Contains(t, err.Error(), "251")
	assert.False(t, errors.Is(err, reply.ErrReplyTooLong))

	// The next Add starts a new reply.
	got, err := feed(t, &b, "221 bye")
	require.NoError(t, err)
	assert.Equal(t, reply.Reply{Code: 221, Text: "bye"}, got)
}

func TestBuilderLimits(t *testing.T) {
	t.Run("lines", func(t *testing.T) {
		b := reply.Builder{MaxLines: 3}
		_, err := feed(t, &b, "250-a", "250-b", "250 c")
		require.NoError(t, err)
		_, err = feed(t, &b, "250-a", "250-b", "250-c", "250 d")
		require.ErrorIs(t, err, reply.ErrReplyTooLong)
	})
	t.Run("text", func(t *testing.T) {
		b := reply.Builder{MaxText: 10}
		got, err := feed(t, &b, "550-5.1.1 abcd", "550 5.1.1 efghi") // 4+1+5: the enhanced codes do not count
		require.NoError(t, err)
		assert.Equal(t, "abcd\nefghi", got.Text)
		_, err = feed(t, &b, "250-abcd", "250 efghij")
		require.ErrorIs(t, err, reply.ErrReplyTooLong)
		_, err = feed(t, &b, "250 "+strings.Repeat("x", 11))
		require.ErrorIs(t, err, reply.ErrReplyTooLong)
	})
	t.Run("default lines", func(t *testing.T) {
		var b reply.Builder
		for i := 0; i < reply.DefaultMaxLines; i++ {
			done, err := b.Add(250, true, []byte("x"))
			require.NoError(t, err, "line %d", i+1)
			require.False(t, done)
		}
		_, err := b.Add(250, true, []byte("x"))
		require.ErrorIs(t, err, reply.ErrReplyTooLong)
	})
	t.Run("default text", func(t *testing.T) {
		var b reply.Builder
		line := []byte(strings.Repeat("x", 506))
		var err error
		for i := 0; err == nil && i < reply.DefaultMaxLines; i++ {
			_, err = b.Add(250, true, line)
		}
		require.ErrorIs(t, err, reply.ErrReplyTooLong)
	})
}

func TestBuilderResetAndReuse(t *testing.T) {
	var b reply.Builder
	assert.Equal(t, reply.Code(0), b.Code())
	_, err := b.Add(250, true, []byte("partial"))
	require.NoError(t, err)
	assert.Equal(t, reply.Reply{Code: 250, Text: "partial"}, b.Reply())
	b.Reset()
	assert.Equal(t, reply.Reply{}, b.Reply())
	assert.Equal(t, reply.Code(0), b.Code())

	// The text is copied: changing the caller's buffer changes nothing.
	buf := []byte("5.1.1 hello")
	done, err := b.Add(550, false, buf)
	require.NoError(t, err)
	require.True(t, done)
	copy(buf, "XXXXXXXXXXX")
	assert.Equal(t, reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "hello"}, b.Reply())

	// After a completed reply the next Add starts a new one.
	done, err = b.Add(250, false, []byte("next"))
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, reply.Reply{Code: 250, Text: "next"}, b.Reply())
}

func TestBuilderRoundTrip(t *testing.T) {
	replies := []reply.Reply{
		{Code: 250, Text: "OK"},
		{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "No such user\nTry again"},
		{Code: 214, Text: "a\n\nb"},
		{Code: 250, Enhanced: reply.E(2, 0, 0)},
		{Code: 421, Enhanced: reply.E(4, 3, 2), Text: strings.Repeat("word ", 300)},
	}
	var b reply.Builder
	for _, r := range replies {
		lines := wireLines(t, r.Append(nil))
		got, err := feed(t, &b, lines...)
		require.NoError(t, err)
		assert.Equal(t, r.Code, got.Code)
		assert.Equal(t, r.Enhanced, got.Enhanced)
		if !strings.Contains(r.Text, "word") {
			assert.Equal(t, r.Text, got.Text)
		}
	}
}
