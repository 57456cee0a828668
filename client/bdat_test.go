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

func TestSendBDAT(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   []byte
		binary bool
		chunk  int
	}{
		{"one chunk", []byte("Subject: x\r\n\r\nhello\r\n"), false, 0},
		{"many chunks", bodyOf(10000), false, 1000},
		{"no final CRLF", []byte("Subject: x\r\n\r\nhello"), false, 0},
		{"binary", []byte("\x00\x01bin\nary\r"), true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(wire.ExtPIPELINING, wire.ExtCHUNKING, wire.ExtBINARYMIME, wire.Ext8BITMIME)
			opts := append([]Option{WithChunkSize(tc.chunk)}, plainOpts...)
			c, err := dialPipe(t, ts, "mx.test:25", opts...)
			require.NoError(t, err)
			_, err = c.Send(context.Background(), Envelope{From: "a@x.test", To: []string{"b@y.test"}, Binary: tc.binary},
				bytes.NewReader(tc.body))
			require.NoError(t, err)
			msgs := ts.messages()
			require.Len(t, msgs, 1)
			want := string(tc.body)
			if !tc.binary && !strings.HasSuffix(want, "\r\n") {
				want += "\r\n"
			}
			assert.Equal(t, want, msgs[0].Body)
			assert.Equal(t, tc.binary, msgs[0].Binary)
			assert.Zero(t, ts.count(wire.VerbDATA))
		})
	}
}
