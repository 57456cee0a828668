package client

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/wire"
)

func TestSendUTF8(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exts     []wire.Ext
		from, to string
		wantTo   string
		wantUTF8 bool
		err      error
	}{
		{"SMTPUTF8 offered", []wire.Ext{wire.ExtSMTPUTF8, wire.Ext8BITMIME}, "a@x.test", "jörg@bücher.example", "jörg@bücher.example", true, nil},
		{"IDNA domain", nil, "a@x.test", "joerg@bücher.example", "joerg@xn--bcher-kva.example", false, nil},
		{"local part", nil, "a@x.test", "jörg@example.com", "", false, ErrNeedsSMTPUTF8},
		{"sender", nil, "jörg@example.com", "b@y.test", "", false, ErrNeedsSMTPUTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(tc.exts...)
			c, err := dialPipe(t, ts, "mx.test:25", plainOpts...)
			require.NoError(t, err)
			_, err = c.Send(context.Background(), Envelope{From: tc.from, To: []string{tc.to}}, strings.NewReader("hi\r\n"))
			if tc.err != nil {
				var ae *AddressError
				require.ErrorAs(t, err, &ae)
				require.ErrorIs(t, err, tc.err)
				assert.Zero(t, ts.count(wire.VerbMAIL))
				return
			}
			require.NoError(t, err)
			m := ts.messages()[0]
			assert.Equal(t, []string{tc.wantTo}, m.To)
			assert.Equal(t, tc.wantUTF8, strings.Contains(m.Mail, "SMTPUTF8"))
		})
	}
}

func TestASCIIAddr(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"a@example.com", "a@example.com", nil},
		{"a@bücher.example", "a@xn--bcher-kva.example", nil},
		{"a@ÄÖÜ.example", "a@xn--4ca0bs.example", nil},
		{"jörg@example.com", "", ErrNeedsSMTPUTF8},
		{"jörg", "", ErrNeedsSMTPUTF8},
		{"a@[IPv6:ü]", "", ErrNeedsSMTPUTF8},
	} {
		got, err := asciiAddr(nil, tc.in)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, string(got))
	}
	_, err := asciiAddr(nil, "a@xn--\u00e9.example")
	assert.Error(t, err, "invalid IDNA label")
}
