package state

import (
	"math/bits"
	"strings"

	"github.com/smtpkit/smtpkit/reply"
)

// CodeSet is a set of reply codes from 200 to 599, one bit per code. The zero
// value is the empty set; a CodeSet is a plain value, so copies are
// independent and it is safe for concurrent reads.
type CodeSet [7]uint64

const (
	codeSetMin = 200 // the lowest code a CodeSet holds
	codeSetMax = 599 // the highest code a CodeSet holds
)

// CodeSetOf returns the set of the given codes; codes outside 200..599 are
// ignored.
func CodeSetOf(codes ...reply.Code) CodeSet {
	var s CodeSet
	for _, c := range codes {
		s = s.With(c)
	}
	return s
}

// With returns s plus c; a code outside 200..599 leaves s unchanged.
func (s CodeSet) With(c reply.Code) CodeSet {
	if c >= codeSetMin && c <= codeSetMax {
		i := c - codeSetMin
		s[i/64] |= 1 << (i % 64)
	}
	return s
}

// Union returns the codes in s or in o.
func (s CodeSet) Union(o CodeSet) CodeSet {
	for i := range s {
		s[i] |= o[i]
	}
	return s
}

// Has reports whether c is in s.
func (s CodeSet) Has(c reply.Code) bool {
	if c < codeSetMin || c > codeSetMax {
		return false
	}
	i := c - codeSetMin
	return s[i/64]&(1<<(i%64)) != 0
}

// Len returns the number of codes in s.
func (s CodeSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Codes returns the codes of s in ascending order, in a new slice.
func (s CodeSet) Codes() []reply.Code {
	out := make([]reply.Code, 0, s.Len())
	for c := reply.Code(codeSetMin); c <= codeSetMax; c++ {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// String returns the codes of s in ascending order separated by spaces.
func (s CodeSet) String() string {
	b := make([]byte, 0, 4*s.Len())
	for _, c := range s.Codes() {
		b = append(c.Append(b), ' ')
	}
	return strings.TrimSuffix(string(b), " ")
}
