//go:build !race

package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// These tests hold the DATA and BDAT codecs to zero allocations in steady
// state: a reused decoder or encoder and a dst with room.

func TestDataDecoderAllocs(t *testing.T) {
	var e DataEncoder
	wire, err := e.Encode(nil, benchBody(64<<10, 7))
	require.NoError(t, err)
	wire, err = e.Close(wire)
	require.NoError(t, err)
	dst := make([]byte, 0, len(wire))
	for _, pol := range allPolicies {
		d := DataDecoder{Policy: pol, MaxLineLength: 1000, MaxSize: 1 << 20}
		allocs := testing.AllocsPerRun(50, func() {
			d.Reset()
			half := len(wire) / 2
			out, _, _ := d.Decode(dst[:0], wire[:half])
			_, _, done := d.Decode(out, wire[half:])
			if !done || d.Err() != nil {
				t.Fatal("bad decode")
			}
		})
		require.Zero(t, allocs, "policy %v", pol)
	}
}

func TestDataEncoderAllocs(t *testing.T) {
	body := benchBody(64<<10, 7)
	dst := make([]byte, 0, 2*len(body))
	for _, pol := range allPolicies {
		e := DataEncoder{Policy: pol}
		allocs := testing.AllocsPerRun(50, func() {
			half := len(body)/2 + 1 // split inside a CRLF
			out, err := e.Encode(dst[:0], body[:half])
			if err == nil {
				out, err = e.Encode(out, body[half:])
			}
			if err == nil {
				_, err = e.Close(out)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "policy %v", pol)
	}
}

func TestChunkDecoderAllocs(t *testing.T) {
	body := benchBody(64<<10, 7)
	dst := make([]byte, 0, 2*len(body))
	for _, pol := range allPolicies {
		c := ChunkDecoder{Policy: pol, MaxSize: 1 << 20}
		allocs := testing.AllocsPerRun(50, func() {
			c.Reset()
			half := len(body)/2 + 1
			c.Start(uint64(half), false)
			out, _, _ := c.Decode(dst[:0], body[:half])
			c.Start(uint64(len(body)-half), true)
			_, _, done := c.Decode(out, body[half:])
			if !done || c.Err() != nil {
				t.Fatal("bad decode")
			}
		})
		require.Zero(t, allocs, "policy %v", pol)
	}
}
