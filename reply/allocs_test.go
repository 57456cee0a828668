//go:build !race

package reply_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

func TestReplyAppendAllocs(t *testing.T) {
	r := reply.Reply{
		Code:     550,
		Enhanced: reply.E(5, 7, 1),
		Text:     "Relaying denied\r\nsee policy\x00\n" + strings.Repeat("long words wrap ", 80) + strings.Repeat("é", 400),
	}
	buf := make([]byte, 0, 8192)
	allocs := testing.AllocsPerRun(100, func() {
		buf = r.Append(buf[:0])
	})
	assert.Zero(t, allocs)
	require.NotEmpty(t, buf)
}

func TestBuilderAddAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("5.7.1 Relaying denied"),
		[]byte("5.7.1 " + strings.Repeat("x", 400)),
		[]byte("5.7.1 see policy"),
	}
	var b reply.Builder
	allocs := testing.AllocsPerRun(100, func() {
		for i, l := range lines {
			if _, err := b.Add(550, i < len(lines)-1, l); err != nil {
				panic(err)
			}
		}
		_ = b.Code()
	})
	assert.Zero(t, allocs)
	assert.Equal(t, reply.E(5, 7, 1), b.Reply().Enhanced)
}

func TestEnhancedParseAllocs(t *testing.T) {
	full := []byte("5.7.30")
	text := []byte("4.7.12 A password transition is needed")
	var sink reply.Enhanced
	var desc string
	allocs := testing.AllocsPerRun(100, func() {
		e, err := reply.ParseEnhanced(full)
		if err != nil {
			panic(err)
		}
		p, _, ok := reply.ParseEnhancedPrefix(text)
		if !ok {
			panic("prefix")
		}
		sink = p
		desc = e.Description()
		_ = reply.DefaultEnhanced(550)
		_ = reply.SubjectText(7)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, reply.E(4, 7, 12), sink)
	assert.Equal(t, "REQUIRETLS support required", desc)
}
