package tlsmode_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestModeString(t *testing.T) {
	tests := []struct {
		m    tlsmode.Mode
		want string
	}{
		{tlsmode.ModeAuto, "auto"},
		{tlsmode.ModeNone, "none"},
		{tlsmode.ModeSTARTTLS, "starttls"},
		{tlsmode.ModeImplicit, "implicit"},
		{tlsmode.Mode(200), "unknown"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.m.String())
	}
}

func TestPolicyString(t *testing.T) {
	tests := []struct {
		p    tlsmode.Policy
		want string
	}{
		{tlsmode.PolicyAuto, "auto"},
		{tlsmode.PolicyDisabled, "disabled"},
		{tlsmode.PolicyOpportunistic, "opportunistic"},
		{tlsmode.PolicyRequired, "required"},
		{tlsmode.Policy(9), "unknown"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.p.String())
	}
}

func TestModeRoundTrip(t *testing.T) {
	for m := tlsmode.ModeAuto; m <= tlsmode.ModeImplicit; m++ {
		got, err := tlsmode.ParseMode(m.String())
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	for p := tlsmode.PolicyAuto; p <= tlsmode.PolicyRequired; p++ {
		got, err := tlsmode.ParsePolicy(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    tlsmode.Mode
		wantErr string // substring of the error, "" for success
	}{
		{"", tlsmode.ModeAuto, ""},
		{" Auto ", tlsmode.ModeAuto, ""},
		{"none", tlsmode.ModeNone, ""},
		{"PLAIN", tlsmode.ModeNone, ""},
		{"plaintext", tlsmode.ModeNone, ""},
		{"StartTLS", tlsmode.ModeSTARTTLS, ""},
		{"implicit", tlsmode.ModeImplicit, ""},
		{"ssl", tlsmode.ModeImplicit, ""},
		{"SMTPS", tlsmode.ModeImplicit, ""},
		{"tls-on-connect", tlsmode.ModeImplicit, ""},
		{"tls", tlsmode.ModeAuto, "ambiguous"},
		{"TLS", tlsmode.ModeAuto, `use "starttls"`},
		{"secure", tlsmode.ModeAuto, `"secure: true"`},
		{"true", tlsmode.ModeAuto, "ambiguous"},
		{"SSL/TLS", tlsmode.ModeAuto, "ambiguous"},
		{"starttls ", tlsmode.ModeSTARTTLS, ""},
		{"start-tls", tlsmode.ModeAuto, "want auto, none, starttls or implicit"},
		{"\x00\xff", tlsmode.ModeAuto, `"\x00\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tlsmode.ParseMode(tt.in)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tlsmode.ErrUnknownWord)
			assert.Contains(t, err.Error(), tt.wantErr)
			var pe *tlsmode.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "mode", pe.What)
			assert.Equal(t, tt.in, pe.Input)
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    tlsmode.Policy
		wantErr string
	}{
		{"", tlsmode.PolicyAuto, ""},
		{"disabled", tlsmode.PolicyDisabled, ""},
		{"none", tlsmode.PolicyDisabled, ""},
		{"Opportunistic", tlsmode.PolicyOpportunistic, ""},
		{"may", tlsmode.PolicyOpportunistic, ""},
		{"REQUIRED", tlsmode.PolicyRequired, ""},
		{"encrypt", tlsmode.PolicyRequired, ""},
		{"secure", tlsmode.PolicyAuto, "mode word"},
		{"starttls", tlsmode.PolicyAuto, "mode word"},
		{"always", tlsmode.PolicyAuto, "want auto, disabled, opportunistic or required"},
		{string(make([]byte, 100)), tlsmode.PolicyAuto, `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tlsmode.ParsePolicy(tt.in)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, tlsmode.ErrUnknownWord)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Less(t, len(err.Error()), 300, "the input is cut in the message")
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		s     tlsmode.Status
		clear bool
		name  string
	}{
		{tlsmode.StatusUnknown, false, "unknown"},
		{tlsmode.StatusSecured, false, "secured"},
		{tlsmode.StatusClearByPolicy, true, "clear (by policy)"},
		{tlsmode.StatusClearNotOffered, true, "clear (STARTTLS not offered)"},
		{tlsmode.StatusClearRefused, true, "clear (STARTTLS refused)"},
		{tlsmode.Status(77), false, "unknown"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.clear, tt.s.IsClear(), tt.name)
		assert.Equal(t, tt.name, tt.s.String())
	}
}

func TestPolicyDecide(t *testing.T) {
	tests := []struct {
		p          tlsmode.Policy
		advertised bool
		start      bool
		st         tlsmode.Status
		err        error
	}{
		{tlsmode.PolicyDisabled, true, false, tlsmode.StatusClearByPolicy, nil},
		{tlsmode.PolicyDisabled, false, false, tlsmode.StatusClearByPolicy, nil},
		{tlsmode.PolicyOpportunistic, true, true, tlsmode.StatusUnknown, nil},
		{tlsmode.PolicyOpportunistic, false, false, tlsmode.StatusClearNotOffered, nil},
		{tlsmode.PolicyRequired, true, true, tlsmode.StatusUnknown, nil},
		{tlsmode.PolicyRequired, false, false, tlsmode.StatusUnknown, tlsmode.ErrSTARTTLSNotOffered},
		{tlsmode.PolicyAuto, false, false, tlsmode.StatusUnknown, tlsmode.ErrSTARTTLSNotOffered},
		{tlsmode.PolicyAuto, true, true, tlsmode.StatusUnknown, nil},
	}
	for _, tt := range tests {
		start, st, err := tt.p.Decide(tt.advertised)
		assert.Equal(t, tt.start, start, "%v %v", tt.p, tt.advertised)
		assert.Equal(t, tt.st, st, "%v %v", tt.p, tt.advertised)
		if tt.err == nil {
			assert.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, tt.err)
		}
	}
}

func TestPolicyRefused(t *testing.T) {
	r454 := reply.Reply{Code: reply.CodeTempAuthFailure, Enhanced: reply.E(4, 7, 0), Text: "TLS not available due to temporary reason"}
	st, err := tlsmode.PolicyOpportunistic.Refused(r454)
	require.NoError(t, err)
	assert.Equal(t, tlsmode.StatusClearRefused, st)

	st, err = tlsmode.PolicyDisabled.Refused(r454)
	require.NoError(t, err)
	assert.Equal(t, tlsmode.StatusClearByPolicy, st)

	for _, p := range []tlsmode.Policy{tlsmode.PolicyRequired, tlsmode.PolicyAuto} {
		st, err = p.Refused(r454)
		require.ErrorIs(t, err, tlsmode.ErrSTARTTLSRefused)
		assert.Equal(t, tlsmode.StatusUnknown, st)
		var rerr *reply.Error
		require.ErrorAs(t, err, &rerr)
		assert.Equal(t, reply.CodeTempAuthFailure, rerr.Code)
		assert.Equal(t, "STARTTLS", rerr.Command)
		assert.True(t, rerr.Temporary())
	}

	// A positive reply that is not 220 still refuses.
	_, err = tlsmode.PolicyRequired.Refused(reply.Reply{Code: reply.CodeOK, Text: "odd"})
	var rerr *reply.Error
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, reply.CodeOK, rerr.Code)
}

func TestPolicyHandshakeFailed(t *testing.T) {
	cause := errors.New("remote error: tls: handshake failure")
	for _, p := range []tlsmode.Policy{tlsmode.PolicyRequired, tlsmode.PolicyOpportunistic, tlsmode.PolicyAuto} {
		err := p.HandshakeFailed(cause)
		require.ErrorIs(t, err, tlsmode.ErrHandshake)
		require.ErrorIs(t, err, cause)
		assert.Contains(t, err.Error(), "connection closed")
		assert.Equal(t, p == tlsmode.PolicyOpportunistic, p.MayRetryClear())
	}
	assert.Contains(t, tlsmode.PolicyRequired.HandshakeFailed(cause).Error(), "no plaintext fallback")
}
