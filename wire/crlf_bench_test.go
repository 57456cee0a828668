package wire

import (
	"bytes"
	"testing"
)

// BenchmarkCRLFEncode measures CRLFEncoder, the BDAT text body path of the
// client: "canonical" bodies (CRLF lines, copied whole) and "unix" bodies
// (LF lines, BareNormalize rewrites each).
func BenchmarkCRLFEncode(b *testing.B) {
	for _, shape := range []string{"canonical", "unix"} {
		for _, s := range benchSizes {
			b.Run(shape+"/"+s.name, func(b *testing.B) {
				body := benchBody(s.n, 50)
				e := CRLFEncoder{}
				if shape == "unix" {
					body = bytes.ReplaceAll(body, crlf, []byte("\n"))
					e.Policy = BareNormalize
				}
				dst := make([]byte, 0, 2*len(body)+2)
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					out, err := e.Encode(dst[:0], body)
					if err == nil {
						out, err = e.Close(out)
					}
					if err != nil || len(out) < len(body) {
						b.Fatal("bad encode", err)
					}
				}
			})
		}
	}
}
