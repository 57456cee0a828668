package client

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestOptions(t *testing.T) {
	cfg := defaultConfig()
	for _, o := range []Option{WithAuth("u", "p"), WithChunkSize(0), WithLMTP(), WithoutBDAT(),
		WithTLS(tlsmode.ModeImplicit, tlsmode.PolicyRequired), WithServerName("mx.test"), WithInsecureAuth()} {
		o(&cfg)
	}
	var names []string
	for _, m := range cfg.mechs {
		names = append(names, m.Name())
	}
	assert.Equal(t, []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN", "LOGIN"}, names)
	assert.Equal(t, DefaultChunkSize, cfg.chunkSize, "a chunk size of 0 is ignored")
	assert.True(t, cfg.lmtp)
	assert.False(t, cfg.bdat)
	assert.True(t, cfg.insecure)
	assert.Equal(t, tlsmode.ModeImplicit, cfg.mode)
	assert.Equal(t, "mx.test", cfg.serverName)
	assert.Equal(t, DefaultHostname, cfg.hostname)
}
