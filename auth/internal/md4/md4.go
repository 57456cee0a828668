// Package md4 implements the MD4 message digest (RFC 1320), which NTLM
// needs for the NT one-way function (MS-NLMP section 3.3.1). MD4 is broken
// as a general-purpose hash: use it only where a protocol requires it.
//
// The package exists so that the auth package needs nothing beyond the
// standard library. A digest from New is used by one goroutine at a time;
// Sum is safe for concurrent use.
package md4

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// Size is the size of an MD4 digest in bytes (RFC 1320 section 3.5).
const Size = 16

// BlockSize is the block size of MD4 in bytes: sixteen 32-bit words
// (RFC 1320 section 3.4).
const BlockSize = 64

// Initial buffer words A, B, C, D (RFC 1320 section 3.3).
const (
	init0 = 0x67452301
	init1 = 0xefcdab89
	init2 = 0x98badcfe
	init3 = 0x10325476
)

// digest is one running MD4 computation.
type digest struct {
	s   [4]uint32
	buf [BlockSize]byte
	nx  int    // octets held in buf
	len uint64 // octets written in total
}

// New returns a hash.Hash computing the MD4 checksum. Its Sum appends to
// the caller's slice and leaves the running state unchanged.
func New() hash.Hash {
	d := new(digest)
	d.Reset()
	return d
}

// Sum returns the MD4 checksum of data.
func Sum(data []byte) [Size]byte {
	var d digest
	d.Reset()
	d.write(data)
	return d.checkSum()
}

func (d *digest) Reset() {
	d.s = [4]uint32{init0, init1, init2, init3}
	d.nx = 0
	d.len = 0
}

func (d *digest) Size() int { return Size }

func (d *digest) BlockSize() int { return BlockSize }

// Write adds p to the running hash. It never returns an error.
func (d *digest) Write(p []byte) (int, error) {
	d.write(p)
	return len(p), nil
}

func (d *digest) write(p []byte) {
	d.len += uint64(len(p))
	if d.nx > 0 {
		n := copy(d.buf[d.nx:], p)
		d.nx += n
		p = p[n:]
		if d.nx < BlockSize {
			return
		}
		d.block(d.buf[:])
		d.nx = 0
	}
	for len(p) >= BlockSize {
		d.block(p[:BlockSize])
		p = p[BlockSize:]
	}
	d.nx = copy(d.buf[:], p)
}

// Sum appends the digest of the data written so far to b. The running
// state is not changed.
func (d *digest) Sum(b []byte) []byte {
	c := *d
	sum := c.checkSum()
	return append(b, sum[:]...)
}

// checkSum pads the message and returns the digest (RFC 1320 sections 3.1,
// 3.2 and 3.5). It changes d.
func (d *digest) checkSum() [Size]byte {
	bitLen := d.len << 3
	// Step 1: one 1 bit, then 0 bits until the length is 56 modulo 64.
	var pad [BlockSize + 8]byte
	pad[0] = 0x80
	n := 56 - d.nx
	if d.nx >= 56 {
		n += BlockSize
	}
	// Step 2: the 64-bit bit length, low-order word first.
	binary.LittleEndian.PutUint64(pad[n:], bitLen)
	d.write(pad[:n+8])
	// Step 5: A, B, C, D, each low-order byte first.
	var out [Size]byte
	for i, v := range d.s {
		binary.LittleEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// Round 2 and round 3 word orders and constants (RFC 1320 section 3.4).
var (
	order2 = [16]uint8{0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15}
	order3 = [16]uint8{0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15}
	shift1 = [4]int{3, 7, 11, 19}
	shift2 = [4]int{3, 5, 9, 13}
	shift3 = [4]int{3, 9, 11, 15}
)

const (
	k2 = 0x5a827999 // square root of 2, round 2
	k3 = 0x6ed9eba1 // square root of 3, round 3
)

// block processes one 64-octet block (RFC 1320 section 3.4).
func (d *digest) block(p []byte) {
	var x [16]uint32
	for i := range x {
		x[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	a, b, c, dd := d.s[0], d.s[1], d.s[2], d.s[3]
	// Round 1: F(X,Y,Z) = XY v not(X) Z, words in order. Each step
	// computes one of A, D, C, B in turn, then the names rotate.
	for i := 0; i < 16; i++ {
		f := (b & c) | (^b & dd)
		a = bits.RotateLeft32(a+f+x[i], shift1[i%4])
		a, b, c, dd = dd, a, b, c
	}
	// Round 2: G(X,Y,Z) = XY v XZ v YZ.
	for i := 0; i < 16; i++ {
		g := (b & c) | (b & dd) | (c & dd)
		a = bits.RotateLeft32(a+g+x[order2[i]]+k2, shift2[i%4])
		a, b, c, dd = dd, a, b, c
	}
	// Round 3: H(X,Y,Z) = X xor Y xor Z.
	for i := 0; i < 16; i++ {
		h := b ^ c ^ dd
		a = bits.RotateLeft32(a+h+x[order3[i]]+k3, shift3[i%4])
		a, b, c, dd = dd, a, b, c
	}
	d.s[0] += a
	d.s[1] += b
	d.s[2] += c
	d.s[3] += dd
}
