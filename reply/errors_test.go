package reply_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  *reply.Error
		want string
	}{
		{&reply.Error{Reply: reply.Reply{Code: 550, Enhanced: reply.E(5, 1, 1), Text: "No such user"}, Command: "RCPT"},
			"smtp: RCPT: 550 5.1.1 No such user"},
		{&reply.Error{Reply: reply.Reply{Code: 421, Text: "mx.example closing\nToo busy"}},
			"smtp: 421 mx.example closing Too busy"},
		{&reply.Error{Reply: reply.Reply{Code: 554}, Command: "DATA"}, "smtp: DATA: 554"},
		{&reply.Error{Reply: reply.Reply{Code: 550, Text: "evil\x00\rline"}, Command: "MA\nIL"}, "smtp: MA IL: 550 evil  line"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}

func TestErrorClass(t *testing.T) {
	tests := []struct {
		code                 reply.Code
		temporary, permanent bool
	}{
		{421, true, false},
		{450, true, false},
		{550, false, true},
		{554, false, true},
		{0, false, false},
		{600, false, false},
	}
	for _, tt := range tests {
		e := &reply.Error{Reply: reply.Reply{Code: tt.code}}
		assert.Equal(t, tt.temporary, e.Temporary(), "code %d", tt.code)
		assert.Equal(t, tt.permanent, e.Permanent(), "code %d", tt.code)
	}
}

func TestReplyErr(t *testing.T) {
	for _, c := range []reply.Code{211, 220, 250, 334, 354} {
		assert.NoError(t, reply.Reply{Code: c}.Err(), "code %d", c)
	}
	for _, c := range []reply.Code{421, 450, 500, 550, 0, 199, 600} {
		r := reply.Reply{Code: c, Text: "x"}
		err := r.Err()
		require.Error(t, err, "code %d", c)
		var rerr *reply.Error
		require.True(t, errors.As(err, &rerr))
		assert.Equal(t, r, rerr.Reply)
	}
}

func TestErrorAsWrapped(t *testing.T) {
	base := &reply.Error{Reply: reply.Reply{Code: 452, Enhanced: reply.E(4, 5, 3), Text: "Too many recipients"}, Command: "RCPT"}
	wrapped := fmt.Errorf("send to %s: %w", "b@example.org", base)
	var rerr *reply.Error
	require.ErrorAs(t, wrapped, &rerr)
	assert.Same(t, base, rerr)
	assert.Equal(t, reply.Code(452), rerr.Code)
	assert.Equal(t, reply.E(4, 5, 3), rerr.Enhanced)
	assert.True(t, rerr.Temporary())
	assert.Equal(t, "send to b@example.org: smtp: RCPT: 452 4.5.3 Too many recipients", wrapped.Error())
	assert.False(t, errors.Is(wrapped, reply.ErrCodeMismatch))
}
