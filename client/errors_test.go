package client

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{&reply.Error{Reply: reply.Reply{Code: 451}}, true},
		{&reply.Error{Reply: reply.Reply{Code: 550}}, false},
		{&Error{Op: "read", Err: state.ErrTimeout}, true},
		{&AddressError{Err: ErrNeedsSMTPUTF8}, false},
		{&BodyError{Err: ErrNeeds8BITMIME}, false},
		{&Error{Op: "send", Err: &BodyError{Err: wire.ErrBareLF, Aborted: true}}, false},
		{&SendError{Failed: []RcptResult{{Reply: reply.Reply{Code: 452}}}}, true},
		{&SendError{Failed: []RcptResult{{Reply: reply.Reply{Code: 452}}, {Reply: reply.Reply{Code: 550}}}}, false},
		{errors.New("other"), false},
	} {
		assert.Equal(t, tc.want, Temporary(tc.err), "%v", tc.err)
	}
}

func TestModeConfigError(t *testing.T) {
	_, err := dialPipe(t, newTestServer(), "mx.test:465", WithTLS(tlsmode.ModeSTARTTLS, tlsmode.PolicyAuto))
	var ce *tlsmode.ConfigError
	require.ErrorAs(t, err, &ce)
	_, err = Dial(context.Background(), "no-port")
	require.ErrorContains(t, err, "host:port")
}
