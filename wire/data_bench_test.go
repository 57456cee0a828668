package wire

import "testing"

// benchBody returns a body of about n octets made of 76-octet lines (74
// octets of text and CRLF), every dotEvery-th line starting with a dot
// (0: none), the shape of base64 or quoted-printable mail.
func benchBody(n, dotEvery int) []byte {
	const text = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJ"
	b := make([]byte, 0, n+76)
	for line := 0; len(b) < n; line++ {
		if dotEvery > 0 && line%dotEvery == dotEvery-1 {
			b = append(b, '.')
			b = append(b, text[1:]...)
		} else {
			b = append(b, text...)
		}
		b = append(b, '\r', '\n')
	}
	return b
}

var benchSizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

func BenchmarkDataDecode(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			var e DataEncoder
			wire, err := e.Encode(nil, benchBody(s.n, 50))
			if err != nil {
				b.Fatal(err)
			}
			wire, _ = e.Close(wire)
			dst := make([]byte, 0, len(wire))
			var d DataDecoder
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				d.Reset()
				out, n, done := d.Decode(dst[:0], wire)
				if !done || n != len(wire) || d.Err() != nil || len(out) == 0 {
					b.Fatal("bad decode")
				}
			}
		})
	}
}

func BenchmarkDataEncode(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			body := benchBody(s.n, 50)
			dst := make([]byte, 0, len(body)+len(body)/50+16)
			var e DataEncoder
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

func BenchmarkChunkDecode(b *testing.B) {
	b.Run("1MiB", func(b *testing.B) {
		body := benchBody(1<<20, 50)
		dst := make([]byte, 0, len(body))
		var c ChunkDecoder
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			c.Reset()
			c.Start(uint64(len(body)), true)
			out, n, done := c.Decode(dst[:0], body)
			if !done || n != len(body) || c.Err() != nil || len(out) != len(body) {
				b.Fatal("bad decode")
			}
		}
	})
}
