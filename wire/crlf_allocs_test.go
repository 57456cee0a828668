//go:build !race

package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCRLFEncoderAllocs holds CRLFEncoder to zero allocations with a dst
// that has room, on both of its paths: a canonical body (split inside a
// CRLF) and one with bare LFs (BareNormalize, BareAllow).
func TestCRLFEncoderAllocs(t *testing.T) {
	canonical := benchBody(64<<10, 7)
	unix := bytes.ReplaceAll(canonical, crlf, []byte("\n"))
	dst := make([]byte, 0, 2*len(canonical))
	for _, tc := range []struct {
		pol  BarePolicy
		body []byte
	}{
		{BareReject, canonical}, {BareNormalize, canonical}, {BareAllow, canonical},
		{BareNormalize, unix}, {BareAllow, unix},
	} {
		e := CRLFEncoder{Policy: tc.pol}
		allocs := testing.AllocsPerRun(50, func() {
			half := len(tc.body)/2 + 1
			out, err := e.Encode(dst[:0], tc.body[:half])
			if err == nil {
				out, err = e.Encode(out, tc.body[half:])
			}
			if err == nil {
				_, err = e.Close(out)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "policy %v", tc.pol)
	}
}
