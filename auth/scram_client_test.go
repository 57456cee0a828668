package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newVectorClient returns a client mechanism for v whose nonce is v's.
func newVectorClient(t *testing.T, v scramVector) ClientMechanism {
	t.Helper()
	cm, err := NewSCRAMClient(SCRAMClientConfig{Hash: v.hash, Username: "user", Password: "pencil"},
		WithRand(strings.NewReader(v.clientNonce)))
	require.NoError(t, err)
	withNonceLen(t, cm, len(v.clientNonce))
	return cm
}

func TestSCRAMClientRFCVectors(t *testing.T) {
	ctx := context.Background()
	for _, v := range scramRFCVectors {
		t.Run(v.name, func(t *testing.T) {
			c, err := newVectorClient(t, v).NewClient(ConnState{TLS: true})
			require.NoError(t, err)
			assert.Equal(t, v.hash.Mechanism(false), c.Name())
			first, ok, err := c.Start(ctx)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, v.messages[0], string(first))
			final, err := c.Next(ctx, []byte(v.messages[1]))
			require.NoError(t, err)
			assert.Equal(t, v.messages[2], string(final))
			empty, err := c.Next(ctx, []byte(v.messages[3]))
			require.NoError(t, err)
			assert.Empty(t, empty)
			require.NoError(t, c.Finish(true))
		})
	}
}

// scramClientAfterFirst returns a client of the RFC 7677 vector that has
// sent its first message.
func scramClientAfterFirst(t *testing.T, cfg func(*SCRAMClientConfig)) (Client, scramVector) {
	t.Helper()
	v := scramRFCVectors[1]
	c := SCRAMClientConfig{Hash: v.hash, Username: "user", Password: "pencil"}
	if cfg != nil {
		cfg(&c)
	}
	cm, err := NewSCRAMClient(c, WithRand(strings.NewReader(v.clientNonce)))
	require.NoError(t, err)
	withNonceLen(t, cm, len(v.clientNonce))
	cl, err := cm.NewClient(ConnState{})
	require.NoError(t, err)
	_, _, err = cl.Start(context.Background())
	require.NoError(t, err)
	return cl, v
}

func TestSCRAMClientServerFirstErrors(t *testing.T) {
	const n = "rOprNGfwEbeRWgbNEkqO"
	tests := []struct {
		name   string
		msg    string
		min    int
		err    error
		reason string
	}{
		{"empty", "", 0, ErrMalformed, "attributes"},
		{"order", "s=QQ==,r=" + n + "x,i=4096", 0, ErrMalformed, "r=, s=, i="},
		{"missing i", "r=" + n + "x,s=QQ==", 0, ErrMalformed, "r=, s=, i="},
		{"nonce not extended", "r=" + n + ",s=QQ==,i=4096", 0, ErrServerNotVerified, "nonce"},
		{"nonce replaced", "r=AAAAAAAAAAAAAAAAAAAAx,s=QQ==,i=4096", 0, ErrServerNotVerified, "nonce"},
		{"nonce with space", "r=" + n + "x y,s=QQ==,i=4096", 0, ErrServerNotVerified, "nonce"},
		{"salt not base64", "r=" + n + "x,s=Q,i=4096", 0, ErrMalformed, "salt"},
		{"salt unpadded", "r=" + n + "x,s=QQ,i=4096", 0, ErrMalformed, "salt"},
		{"iterations zero", "r=" + n + "x,s=QQ==,i=0", 0, ErrUnsupported, "iteration"},
		{"iterations text", "r=" + n + "x,s=QQ==,i=many", 0, ErrUnsupported, "iteration"},
		{"iterations above cap", "r=" + n + "x,s=QQ==,i=2000000", 0, ErrUnsupported, "iteration"},
		{"iterations below default minimum", "r=" + n + "x,s=QQ==,i=4095", 0, ErrUnsupported, "below the minimum 4096"},
		{"iterations below configured minimum", "r=" + n + "x,s=QQ==,i=9999", 10000, ErrUnsupported, "below the minimum 10000"},
		{"reserved m=", "m=x,r=" + n + "x,s=QQ==,i=4096", 0, ErrMalformed, "m="},
		{"m= extension", "r=" + n + "x,s=QQ==,i=4096,m=x", 0, ErrMalformed, "extension"},
		{"bad extension", "r=" + n + "x,s=QQ==,i=4096,x=a=b", 0, ErrMalformed, "extension"},
		{"e= instead", "e=unknown-user", 0, ErrInvalidCredentials, "e=unknown-user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := scramClientAfterFirst(t, func(c *SCRAMClientConfig) { c.MinIterations = tt.min })
			_, err := c.Next(context.Background(), []byte(tt.msg))
			require.ErrorIs(t, err, tt.err)
			assert.Contains(t, err.Error(), tt.reason)
			assert.NotContains(t, err.Error(), "pencil")
			// The failure is sticky, and success cannot be accepted.
			_, err2 := c.Next(context.Background(), []byte("v=x"))
			assert.Equal(t, err, err2)
			require.ErrorIs(t, c.Finish(true), ErrServerNotVerified)
		})
	}
}

func TestSCRAMClientLowIterationsWhenAllowed(t *testing.T) {
	c, v := scramClientAfterFirst(t, func(c *SCRAMClientConfig) { c.MinIterations = 1 })
	final, err := c.Next(context.Background(), []byte("r="+v.clientNonce+"xyz,s=QQ==,i=1,x=ignored"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(final), "c=biws,r="+v.clientNonce+"xyz,p="))
}

func TestSCRAMClientServerFinal(t *testing.T) {
	v := scramRFCVectors[1]
	good := v.messages[3]
	sig, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(good, "v="))
	sig[0] ^= 1
	flipped := "v=" + base64.StdEncoding.EncodeToString(sig)
	tests := []struct {
		name   string
		msg    string
		err    error
		value  string // the SCRAMError value, when the server sent e=
		finish error  // Finish(false)
	}{
		{"good", good, nil, "", nil},
		{"good with extension", good + ",x=y", nil, "", nil},
		{"flipped bit", flipped, ErrServerNotVerified, "", nil},
		{"truncated", good[:len(good)-4] + "====", ErrServerNotVerified, "", nil},
		{"not base64", "v=!!!!", ErrServerNotVerified, "", nil},
		{"empty v", "v=", ErrServerNotVerified, "", nil},
		{"neither v nor e", "x=1", ErrMalformed, "", nil},
		{"empty", "", ErrMalformed, "", nil},
		{"m= extension", good + ",m=1", ErrMalformed, "extensions-not-supported", nil},
		{"invalid-proof", "e=invalid-proof", ErrInvalidCredentials, "invalid-proof", ErrInvalidCredentials},
		{"channel bindings", "e=channel-bindings-dont-match", ErrChannelBinding, "channel-bindings-dont-match", ErrChannelBinding},
		{"downgrade", "e=server-does-support-channel-binding", ErrChannelBinding, "server-does-support-channel-binding", ErrChannelBinding},
		{"no resources", "e=no-resources", ErrTemporary, "no-resources", ErrTemporary},
		{"garbage value", "e=" + strings.Repeat("x", 100), ErrInvalidCredentials, "other-error", ErrInvalidCredentials},
		{"e= with extension", "e=other-error,x=1", ErrInvalidCredentials, "other-error", ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, v := scramClientAfterFirst(t, nil)
			_, err := c.Next(context.Background(), []byte(v.messages[1]))
			require.NoError(t, err)
			resp, err := c.Next(context.Background(), []byte(tt.msg))
			if tt.err == nil {
				require.NoError(t, err)
				assert.Empty(t, resp)
				require.NoError(t, c.Finish(true))
				return
			}
			require.ErrorIs(t, err, tt.err)
			var se *SCRAMError
			if tt.value != "" {
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.value, se.Value)
			} else {
				assert.False(t, errors.As(err, &se))
			}
			if tt.finish != nil {
				require.ErrorIs(t, c.Finish(false), tt.finish)
			} else {
				require.NoError(t, c.Finish(false))
			}
		})
	}
}

func TestSCRAMClientFinishWithoutVerification(t *testing.T) {
	ctx := context.Background()
	// A server that claims success right after the client-final message,
	// without sending v=, is not accepted (RFC 5802 section 5.1).
	c, v := scramClientAfterFirst(t, nil)
	_, err := c.Next(ctx, []byte(v.messages[1]))
	require.NoError(t, err)
	require.ErrorIs(t, c.Finish(true), ErrServerNotVerified)

	// Nor one that claims success before any challenge.
	c, _ = scramClientAfterFirst(t, nil)
	require.ErrorIs(t, c.Finish(true), ErrServerNotVerified)

	// A failure without e= has no detail to report.
	c, _ = scramClientAfterFirst(t, nil)
	require.NoError(t, c.Finish(false))
}

func TestSCRAMClientSequence(t *testing.T) {
	ctx := context.Background()
	c, v := scramClientAfterFirst(t, nil)
	_, _, err := c.Start(ctx)
	require.ErrorIs(t, err, ErrSequence)

	c, v = scramClientAfterFirst(t, nil)
	_, err = c.Next(ctx, []byte(v.messages[1]))
	require.NoError(t, err)
	_, err = c.Next(ctx, []byte(v.messages[3]))
	require.NoError(t, err)
	_, err = c.Next(ctx, []byte(v.messages[3]))
	require.ErrorIs(t, err, ErrSequence)

	c, _ = scramClientAfterFirst(t, nil)
	_, err = c.Next(ctx, make([]byte, MaxResponse+1))
	require.ErrorIs(t, err, ErrTooLong)
}

func TestSCRAMClientFlag(t *testing.T) {
	exporter := ChannelBinding{Type: CBTLSExporter, Data: []byte("exporter-data")}
	unique := ChannelBinding{Type: CBTLSUnique, Data: []byte("unique-data")}
	tests := []struct {
		name    string
		plus    bool
		cbType  string
		offered []string // nil: WithOffered not called
		cbs     []ChannelBinding
		first   string // the gs2-header sent
		cbind   string // c= before base64
		err     error
	}{
		{"no binding", false, "", nil, nil, "n,,", "n,,", nil},
		{"binding, offer unknown", false, "", nil, []ChannelBinding{exporter}, "y,,", "y,,", nil},
		{"binding, no PLUS offered", false, "", []string{"PLAIN", "SCRAM-SHA-256"}, []ChannelBinding{exporter}, "y,,", "y,,", nil},
		{"binding, PLUS offered", false, "", []string{"SCRAM-SHA-256", "scram-sha-256-plus"}, []ChannelBinding{exporter}, "n,,", "n,,", nil},
		{"binding, other PLUS offered", false, "", []string{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256"}, []ChannelBinding{exporter}, "n,,", "n,,", nil},
		{"no binding, PLUS offered", false, "", []string{"SCRAM-SHA-256-PLUS"}, nil, "n,,", "n,,", nil},
		{"PLUS takes the first binding", true, "", nil, []ChannelBinding{exporter, unique}, "p=tls-exporter,,", "p=tls-exporter,,exporter-data", nil},
		{"PLUS with a configured type", true, CBTLSUnique, nil, []ChannelBinding{exporter, unique}, "p=tls-unique,,", "p=tls-unique,,unique-data", nil},
		{"PLUS, configured type missing", true, CBTLSServerEndPoint, nil, []ChannelBinding{exporter}, "", "", ErrUnsupported},
		{"PLUS without binding", true, "", nil, nil, "", "", ErrUnsupported},
		{"PLUS with empty data", true, "", nil, []ChannelBinding{{Type: CBTLSExporter}}, "", "", ErrUnsupported},
		{"PLUS with a bad type name", true, "", nil, []ChannelBinding{{Type: "tls,exporter", Data: []byte{1}}}, "", "", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := scramRFCVectors[1]
			cm, err := NewSCRAMClient(SCRAMClientConfig{Hash: SCRAMSHA256, Plus: tt.plus, ChannelBinding: tt.cbType, Username: "user", Password: "pencil"},
				WithRand(strings.NewReader(v.clientNonce)))
			require.NoError(t, err)
			withNonceLen(t, cm, len(v.clientNonce))
			if tt.offered != nil {
				before := cm
				cm = cm.(OfferAware).WithOffered(tt.offered)
				assert.Equal(t, scramOfferUnknown, before.(*scramClientMech).offer, "WithOffered must not modify the receiver")
			}
			c, err := cm.NewClient(ConnState{TLS: true, ChannelBindings: tt.cbs})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			first, _, err := c.Start(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.first+"n=user,r="+v.clientNonce, string(first))
			final, err := c.Next(context.Background(), []byte(v.messages[1]))
			require.NoError(t, err)
			wantC := "c=" + base64.StdEncoding.EncodeToString([]byte(tt.cbind)) + ","
			assert.True(t, strings.HasPrefix(string(final), wantC), "%s does not start with %s", final, wantC)
		})
	}
}

func TestSCRAMClientPreparesAndEscapes(t *testing.T) {
	cm, err := NewSCRAMClient(SCRAMClientConfig{Hash: SCRAMSHA1, Authzid: "ad=min,x", Username: "us,er=", Password: "pen\u00a0cil"},
		WithRand(strings.NewReader("abcdefghijklmnopqrstuvwx")))
	require.NoError(t, err)
	c, err := cm.NewClient(ConnState{})
	require.NoError(t, err)
	first, _, err := c.Start(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "n,a=ad=3Dmin=2Cx,n=us=2Cer=3D,r=abcdefghijklmnopqrstuvwx", string(first))
	// The no-break space became U+0020 (RFC 8265 section 4.2).
	assert.Equal(t, "pen cil", cm.(*scramClientMech).cfg.Password)
}

func TestSCRAMClientConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  SCRAMClientConfig
		err  error
	}{
		{"no hash", SCRAMClientConfig{Username: "u", Password: "p"}, ErrUnsupported},
		{"empty user", SCRAMClientConfig{Hash: SCRAMSHA1, Password: "p"}, ErrMalformed},
		{"empty password", SCRAMClientConfig{Hash: SCRAMSHA1, Username: "u"}, ErrMalformed},
		{"control in password", SCRAMClientConfig{Hash: SCRAMSHA1, Username: "u", Password: "p\x07"}, ErrMalformed},
		{"control in authzid", SCRAMClientConfig{Hash: SCRAMSHA1, Authzid: "\x01", Username: "u", Password: "p"}, ErrMalformed},
		{"negative minimum", SCRAMClientConfig{Hash: SCRAMSHA1, Username: "u", Password: "p", MinIterations: -1}, ErrUnsupported},
		{"minimum above cap", SCRAMClientConfig{Hash: SCRAMSHA1, Username: "u", Password: "p", MinIterations: SCRAMMaxIterations + 1}, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSCRAMClient(tt.cfg)
			require.ErrorIs(t, err, tt.err)
			assert.NotContains(t, err.Error(), "p\x07")
			cm := SCRAMClient(tt.cfg.Hash, false, tt.cfg.Authzid, tt.cfg.Username, tt.cfg.Password)
			if tt.cfg.MinIterations != 0 {
				return // not expressible through SCRAMClient
			}
			assert.NotEmpty(t, cm.Name())
			_, err = cm.NewClient(ConnState{})
			require.ErrorIs(t, err, tt.err)
		})
	}
}

func TestSCRAMClientNames(t *testing.T) {
	for _, h := range []SCRAMHash{SCRAMSHA1, SCRAMSHA256} {
		for _, plus := range []bool{false, true} {
			cm := SCRAMClient(h, plus, "", "user", "pencil")
			assert.Equal(t, h.Mechanism(plus), cm.Name())
			assert.Implements(t, (*OfferAware)(nil), cm)
		}
	}
	assert.Equal(t, "SCRAM", SCRAMClient(SCRAMHashNone, false, "", "u", "p").Name())
}

func TestSCRAMClientKeyCache(t *testing.T) {
	ctx := context.Background()
	v := scramRFCVectors[0]
	cm, err := NewSCRAMClient(SCRAMClientConfig{Hash: v.hash, Username: "user", Password: "pencil"},
		WithRand(strings.NewReader(v.clientNonce+v.clientNonce)))
	require.NoError(t, err)
	withNonceLen(t, cm, len(v.clientNonce))
	// Two exchanges with the same salt give the same messages; the second
	// takes its keys from the cache.
	for range 2 {
		c, err := cm.NewClient(ConnState{})
		require.NoError(t, err)
		_, _, err = c.Start(ctx)
		require.NoError(t, err)
		final, err := c.Next(ctx, []byte(v.messages[1]))
		require.NoError(t, err)
		assert.Equal(t, v.messages[2], string(final))
	}
	assert.Equal(t, v.iterations, cm.(*scramClientMech).cache.iter)
}
