package client

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

const eightBit = "Subject: caf\xc3\xa9\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncr\xc3\xa8me br\xc3\xbbl\xc3\xa9e\r\n"

// wireVerbs returns the verbs the server read after EHLO, and whether any
// octet above 127 went on the wire.
func wireVerbs(ts *testServer) (verbs []string, high bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, r := range ts.reads {
		high = high || firstHigh([]byte(r)) >= 0
		for _, line := range strings.Split(strings.TrimSuffix(r, "\r\n"), "\r\n") {
			verb, _, _ := strings.Cut(line, " ")
			switch verb {
			case "EHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT":
				if verb != "EHLO" {
					verbs = append(verbs, verb)
				}
			}
		}
	}
	return verbs, high
}

// TestSendEightBitWithout8BITMIME: "An originating SMTP client that has
// not successfully negotiated an appropriate extension with a particular
// server ... MUST NOT transmit messages with information in the high-order
// bit of octets" (RFC 5321 section 2.4). The client refuses the content
// before DATA or BDAT (a *BodyError wrapping ErrNeeds8BITMIME), resets the
// transaction and stays usable; no 8-bit octet goes on the wire.
func TestSendEightBitWithout8BITMIME(t *testing.T) {
	for _, tc := range []struct {
		name  string
		exts  []wire.Ext
		verbs []string
	}{
		// Refused before anything of the transaction is sent.
		{"lock-step", nil, []string{"NOOP"}},
		{"pipelined", []wire.Ext{wire.ExtPIPELINING}, []string{"NOOP"}},
		{"chunking", []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}, []string{"NOOP"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
			require.NoError(t, err)
			ctx := context.Background()
			_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader(eightBit))
			var be *BodyError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, ErrNeeds8BITMIME)
			assert.Equal(t, int64(strings.IndexByte(eightBit, 0xc3)), be.Offset)
			assert.False(t, be.Aborted)
			assert.False(t, Temporary(err))
			assert.Contains(t, err.Error(), "RFC 5321 section 2.4")
			require.NoError(t, c.Noop(ctx), "the Client stays usable")
			verbs, high := wireVerbs(ts)
			assert.False(t, high, "an octet above 127 went on the wire")
			assert.Equal(t, tc.verbs, verbs)
			assert.Empty(t, ts.messages())
		})
	}
}

// TestSendEightBitLater: an octet above 127 past the first buffer is found
// as the body streams. Under BDAT the chunks stop and RSET ends the
// transaction; DATA cannot be aborted (RFC 5321 section 4.1.1.4), so the
// connection is closed. Either way the octet is never sent.
func TestSendEightBitLater(t *testing.T) {
	body := bodyOf(3000)
	body[1500] = 0xe9
	for _, tc := range []struct {
		name    string
		exts    []wire.Ext
		aborted bool
	}{
		{"DATA", []wire.Ext{wire.ExtPIPELINING}, true},
		{"BDAT", []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", append([]Option{WithChunkSize(1000)}, plainOpts...)...)
			require.NoError(t, err)
			ctx := context.Background()
			_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, bytes.NewReader(body))
			var be *BodyError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, ErrNeeds8BITMIME)
			assert.Equal(t, int64(1500), be.Offset)
			assert.Equal(t, tc.aborted, be.Aborted)
			if tc.aborted {
				require.Error(t, c.Noop(ctx), "the connection was closed")
			} else {
				require.NoError(t, c.Noop(ctx))
			}
			_, high := wireVerbs(ts)
			assert.False(t, high, "an octet above 127 went on the wire")
			assert.Empty(t, ts.messages())
		})
	}
}

// TestSendBodyParameter: RFC 6152 section 3: 8-bit content travels with
// BODY=8BITMIME when the server offers 8BITMIME. Send sets it when the
// first buffer shows 8-bit content or the body goes on past it; a declared
// body type is kept, and checked.
func TestSendBodyParameter(t *testing.T) {
	long := string(bodyOf(3000))
	for _, tc := range []struct {
		name     string
		exts     []wire.Ext
		declared wire.BodyType
		body     string
		mail     string // the MAIL parameters, "" for none
		err      error
	}{
		{"8-bit", []wire.Ext{wire.Ext8BITMIME}, wire.BodyNone, eightBit, " BODY=8BITMIME", nil},
		{"8-bit, chunking", []wire.Ext{wire.Ext8BITMIME, wire.ExtCHUNKING}, wire.BodyNone, eightBit, " BODY=8BITMIME", nil},
		{"7-bit", []wire.Ext{wire.Ext8BITMIME}, wire.BodyNone, "hi\r\n", "", nil},
		{"7-bit past the first buffer", []wire.Ext{wire.Ext8BITMIME}, wire.BodyNone, long, " BODY=8BITMIME", nil},
		{"declared 7BIT, long", []wire.Ext{wire.Ext8BITMIME}, wire.Body7Bit, long, " BODY=7BIT", nil},
		{"declared 7BIT, 8-bit", []wire.Ext{wire.Ext8BITMIME}, wire.Body7Bit, eightBit, "", ErrNot7Bit},
		{"declared 7BIT, no 8BITMIME", nil, wire.Body7Bit, "hi\r\n", "", nil},
		{"declared 8BITMIME, no 8BITMIME", nil, wire.Body8BitMIME, "hi\r\n", "", ErrNeeds8BITMIME},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", append([]Option{WithChunkSize(1000)}, plainOpts...)...)
			require.NoError(t, err)
			env := Envelope{From: "a@x.test", To: []string{"b@y.test"}, Params: wire.MailParams{Body: tc.declared}}
			_, err = c.Send(context.Background(), env, strings.NewReader(tc.body))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Empty(t, ts.messages())
				_, high := wireVerbs(ts)
				assert.False(t, high)
				return
			}
			require.NoError(t, err)
			msgs := ts.messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, "FROM:<a@x.test>"+tc.mail, msgs[0].Mail)
			assert.Equal(t, tc.body, msgs[0].Body)
		})
	}
	// Declared BODY=8BITMIME for a server without 8BITMIME: nothing is sent.
	ts := newTestServer()
	c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
	require.NoError(t, err)
	_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"},
		Params: wire.MailParams{Body: wire.Body8BitMIME}}, strings.NewReader("hi\r\n"))
	require.ErrorIs(t, err, ErrNeeds8BITMIME)
	assert.Zero(t, ts.count(wire.VerbMAIL))
}

// TestSendBareLinesEarly: a bare CR or LF is refused by default (RFC 5321
// section 2.3.8, WithBareLines). In the first buffer it is found before
// DATA: the transaction is reset instead of DATA, with PIPELINING in the
// envelope's write, and the Client stays usable. Further into a longer body
// under DATA the machine refuses it and the connection is closed.
func TestSendBareLinesEarly(t *testing.T) {
	const msg = "Subject: x\r\n\r\nline one\nline two\r\n"
	for _, tc := range []struct {
		name   string
		exts   []wire.Ext
		body   string
		err    error
		offset int64
	}{
		{"LF, lock-step", nil, msg, wire.ErrBareLF, 22},
		{"LF, pipelined", []wire.Ext{wire.ExtPIPELINING}, msg, wire.ErrBareLF, 22},
		{"CR, pipelined", []wire.Ext{wire.ExtPIPELINING}, "a\rb\r\n", wire.ErrBareCR, 1},
		{"final CR", []wire.Ext{wire.ExtPIPELINING}, "a\r\nb\r", wire.ErrBareCR, 4},
		{"LF, chunking", []wire.Ext{wire.ExtPIPELINING, wire.ExtCHUNKING}, msg, wire.ErrBareLF, 22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
			require.NoError(t, err)
			ctx := context.Background()
			_, err = c.Send(ctx, Envelope{From: "a@x.test", To: []string{"b@y.test"}}, strings.NewReader(tc.body))
			var be *BodyError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.offset, be.Offset)
			assert.False(t, be.Aborted)
			assert.Contains(t, err.Error(), "WithBareLines")
			require.NoError(t, c.Noop(ctx), "the Client stays usable")
			verbs, _ := wireVerbs(ts)
			assert.Equal(t, []string{"NOOP"}, verbs, "refused before anything of the transaction is sent")
			assert.Empty(t, ts.messages())
		})
	}

	t.Run("past the first buffer, DATA", func(t *testing.T) {
		body := bodyOf(3000)
		body[1499] = '\n'
		ts := newTestServer(wire.ExtPIPELINING)
		c, err := dialPipe(t, ts, "mx.test:25", append([]Option{WithChunkSize(1000)}, plainOpts...)...)
		require.NoError(t, err)
		_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}}, bytes.NewReader(body))
		var be *BodyError
		require.ErrorAs(t, err, &be)
		require.ErrorIs(t, err, wire.ErrBareLF)
		assert.Equal(t, int64(1499), be.Offset)
		assert.True(t, be.Aborted)
		assert.Contains(t, err.Error(), "closed in the middle of DATA")
		require.Error(t, c.Noop(context.Background()), "the connection was closed")
		assert.Empty(t, ts.messages())
	})
}

func TestFirstBare(t *testing.T) {
	for _, tc := range []struct {
		p     string
		final bool
		at    int
		err   error
	}{
		{"", true, -1, nil},
		{"a\r\nb\r\n", true, -1, nil},
		{"a\nb", true, 1, wire.ErrBareLF},
		{"\nb", true, 0, wire.ErrBareLF},
		{"a\rb\r\nc\n", true, 1, wire.ErrBareCR},
		{"a\r\nb\rc\n", true, 4, wire.ErrBareCR},
		{"a\r\nb\r", false, -1, nil},
		{"a\r\nb\r", true, 4, wire.ErrBareCR},
		{"a\r\r\n", true, 1, wire.ErrBareCR},
		{"\r", false, -1, nil},
	} {
		at, err := firstBare([]byte(tc.p), tc.final)
		assert.Equal(t, tc.at, at, "%q", tc.p)
		assert.Equal(t, tc.err, err, "%q", tc.p)
	}
}

func TestFirstHigh(t *testing.T) {
	assert.Equal(t, -1, firstHigh(nil))
	assert.Equal(t, -1, firstHigh([]byte("plain ascii text, long enough for words")))
	for i := range 80 { // the 32-octet, 8-octet and 1-octet steps
		p := bytes.Repeat([]byte("a"), 80)
		p[i] = 0x80
		assert.Equal(t, i, firstHigh(p))
		p[79] = 0xff
		assert.Equal(t, i, firstHigh(p))
	}
}

// The scans of the first buffer run on every message: they should cost
// little next to the copy and the encoder.
func BenchmarkFirstHigh(b *testing.B) {
	p := bodyOf(100 << 10)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if firstHigh(p) >= 0 {
			b.Fatal("high")
		}
	}
}

func BenchmarkFirstBare(b *testing.B) {
	p := bodyOf(64 << 10)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if i, _ := firstBare(p, false); i >= 0 {
			b.Fatal("bare")
		}
	}
}
