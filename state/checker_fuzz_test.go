package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzChecker feeds the Checker random transcripts, seeded with every
// transcript under testdata. Text that is not a transcript is fed as raw
// writes instead, alternating sides at each line feed. Properties: no
// panic; the same input gives the same report; at most MaxViolations
// violations, each naming a side, a rule and a detail.
func FuzzChecker(f *testing.F) {
	for _, dir := range []string{"sessions", "checker"} {
		paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
		require.NoError(f, err)
		for _, p := range paths {
			text, err := os.ReadFile(p)
			require.NoError(f, err)
			f.Add(text)
		}
	}
	f.Add([]byte("220 x\r\nEHLO a\r\n250-x\r\n250 PIPELINING\r\nMAIL FROM:<>\r\nDATA\r\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		cfg := CheckerConfig{MaxViolations: 20}
		if len(text) > 0 && text[0]&1 == 1 {
			cfg.Protocol = ProtocolLMTP
		}
		run := func() Report {
			if tr, err := ParseTranscript(text); err == nil {
				r, err := Check(tr, cfg)
				require.NoError(t, err)
				return r
			}
			k, err := NewChecker(cfg)
			require.NoError(t, err)
			side := SideServer
			for i, part := range bytes.SplitAfter(text, []byte("\n")) {
				switch {
				case side == SideServer:
					k.ServerWrote(part)
				default:
					k.ClientWrote(part)
				}
				if i%7 == 6 {
					k.StartedTLS()
				}
				side = side.Peer()
			}
			k.Closed(SideClient)
			k.Closed(SideServer)
			return k.Report()
		}
		r := run()
		assert.Equal(t, r, run(), "the same input gives the same report")
		assert.LessOrEqual(t, len(r.Violations), cfg.MaxViolations)
		for _, v := range r.Violations {
			assert.Contains(t, []Side{SideClient, SideServer}, v.Side)
			assert.True(t, strings.HasPrefix(v.Rule, "RFC ") || strings.HasPrefix(v.Rule, "Postfix "), v.Rule)
			assert.NotEmpty(t, v.Detail)
		}
	})
}
