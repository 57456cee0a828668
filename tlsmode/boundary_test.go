package tlsmode_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

func TestSideString(t *testing.T) {
	assert.Equal(t, "unknown", tlsmode.SideUnknown.String())
	assert.Equal(t, "client", tlsmode.SideClient.String())
	assert.Equal(t, "server", tlsmode.SideServer.String())
	assert.Equal(t, "unknown", tlsmode.Side(7).String())
}

func TestCheckBoundary(t *testing.T) {
	tests := []struct {
		side     tlsmode.Side
		buffered int
		wantErr  bool
		wantText string
	}{
		{tlsmode.SideServer, 0, false, ""},
		{tlsmode.SideClient, 0, false, ""},
		{tlsmode.SideServer, -1, false, ""},
		{tlsmode.SideServer, 6, true, "6 plaintext bytes followed the STARTTLS command"},
		{tlsmode.SideClient, 14, true, "14 plaintext bytes followed the server's 220 reply to STARTTLS"},
	}
	for _, tt := range tests {
		err := tlsmode.CheckBoundary(tt.side, tt.buffered)
		if !tt.wantErr {
			assert.NoError(t, err)
			continue
		}
		require.ErrorIs(t, err, tlsmode.ErrPlaintextAfterSTARTTLS)
		var be *tlsmode.BoundaryError
		require.ErrorAs(t, err, &be)
		assert.Equal(t, tt.side, be.Side)
		assert.Equal(t, tt.buffered, be.Buffered)
		assert.Contains(t, err.Error(), tt.wantText)
		assert.Contains(t, err.Error(), "never replayed")
		assert.Contains(t, err.Error(), "CVE-2011-0411")
	}
}

func TestBoundaryErrorReply(t *testing.T) {
	srv := &tlsmode.BoundaryError{Side: tlsmode.SideServer, Buffered: 6}
	r := srv.Reply()
	assert.Equal(t, reply.CodeServiceNotAvailable, r.Code, "421: the server closes")
	assert.Equal(t, reply.E(4, 7, 0), r.Enhanced)
	assert.Equal(t, "421 4.7.0 Plaintext after STARTTLS refused, closing connection\r\n", string(r.Append(nil)))

	cli := &tlsmode.BoundaryError{Side: tlsmode.SideClient, Buffered: 6}
	assert.Equal(t, reply.Reply{}, cli.Reply(), "the client sends nothing")
}

func TestServerSTARTTLSAnswer(t *testing.T) {
	tests := []struct {
		name      string
		s         tlsmode.ServerSTARTTLS
		want      string
		wantStart bool
		wantErr   bool
	}{
		{"ready", tlsmode.ServerSTARTTLS{}, "220 2.0.0 Ready to start TLS\r\n", true, false},
		{"already active", tlsmode.ServerSTARTTLS{Active: true}, "503 5.5.1 TLS already active\r\n", false, false},
		{"active wins over buffered", tlsmode.ServerSTARTTLS{Active: true, Buffered: 6}, "503 5.5.1 TLS already active\r\n", false, false},
		{"parameters", tlsmode.ServerSTARTTLS{Params: true}, "501 5.5.4 Syntax error (no parameters allowed)\r\n", false, false},
		{"unavailable", tlsmode.ServerSTARTTLS{Unavailable: true}, "454 4.7.0 TLS not available due to temporary reason\r\n", false, false},
		{"injection", tlsmode.ServerSTARTTLS{Buffered: 6}, "421 4.7.0 Plaintext after STARTTLS refused, closing connection\r\n", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, start, err := tt.s.Answer()
			assert.Equal(t, tt.want, string(r.Append(nil)))
			assert.Equal(t, tt.wantStart, start)
			if tt.wantErr {
				require.ErrorIs(t, err, tlsmode.ErrPlaintextAfterSTARTTLS)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestAllowedBeforeTLSEveryVerb(t *testing.T) {
	allowed := map[wire.Verb]bool{
		wire.VerbNOOP: true, wire.VerbEHLO: true, wire.VerbLHLO: true,
		wire.VerbSTARTTLS: true, wire.VerbQUIT: true,
	}
	verbs := append([]wire.Verb{wire.VerbUnknown}, wire.Verbs()...)
	for _, v := range verbs {
		assert.Equal(t, allowed[v], tlsmode.AllowedBeforeTLS(v), v.String())
		for p := tlsmode.PolicyAuto; p <= tlsmode.PolicyRequired; p++ {
			for _, active := range []bool{false, true} {
				r, ok := p.Admit(v, active)
				gated := !active && (p == tlsmode.PolicyRequired || p == tlsmode.PolicyAuto) && !allowed[v]
				assert.Equal(t, !gated, ok, "%v %v tls=%v", v, p, active)
				if gated {
					assert.Equal(t, tlsmode.MustStartTLSReply(), r)
				} else {
					assert.Equal(t, reply.Reply{}, r)
				}
			}
		}
	}
	assert.Equal(t, "530 5.7.0 Must issue a STARTTLS command first\r\n", string(tlsmode.MustStartTLSReply().Append(nil)))
}

func TestAdvertiseSTARTTLS(t *testing.T) {
	assert.True(t, tlsmode.AdvertiseSTARTTLS(false, true))
	assert.False(t, tlsmode.AdvertiseSTARTTLS(true, true), "never after the handshake")
	assert.False(t, tlsmode.AdvertiseSTARTTLS(false, false), "not without a certificate")
	assert.False(t, tlsmode.AdvertiseSTARTTLS(true, false))
}

func TestForget(t *testing.T) {
	srv := tlsmode.Forget(tlsmode.SideServer)
	assert.True(t, srv.Has(tlsmode.KnowGreeting|tlsmode.KnowAuth|tlsmode.KnowTransaction))
	assert.False(t, srv.Has(tlsmode.KnowExtensions), "the server's own extension list is not client knowledge")
	assert.Equal(t, "greeting|auth|transaction", srv.String())

	cli := tlsmode.Forget(tlsmode.SideClient)
	assert.True(t, cli.Has(tlsmode.KnowExtensions), "the client re-sends EHLO and uses the new list")
	assert.Equal(t, "greeting|extensions|auth|transaction", cli.String())
	assert.Equal(t, cli, tlsmode.Forget(tlsmode.SideUnknown), "unknown side forgets everything")

	assert.Equal(t, "none", tlsmode.Knowledge(0).String())
	assert.Equal(t, "auth|0x80", (tlsmode.KnowAuth | 0x80).String())
}
