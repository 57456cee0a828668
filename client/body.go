package client

import (
	"bytes"

	"github.com/smtpkit/smtpkit/wire"
)

// canonicalizer makes a text body sent with BDAT canonical: CRLF line ends
// only (RFC 5321 section 2.3.8, RFC 3030 section 3: BDAT content is not
// dot-stuffed, so the DATA encoder of the machine does not apply). Bare CR
// and LF are refused, replaced by CRLF or passed on, per policy; a body
// that does not end with a line break gets CRLF (RFC 5321 section
// 4.1.1.4). The zero value refuses bare line ends, with a *BodyError.
type canonicalizer struct {
	policy wire.BarePolicy
	cr     bool  // the last octet seen was a CR, not yet resolved
	crlf   bool  // the output ends with CRLF
	n      int64 // octets seen
}

// reset readies k for a new body.
func (k *canonicalizer) reset() { *k = canonicalizer{policy: k.policy} }

// bare handles a bare CR or LF at body offset off.
func (k *canonicalizer) bare(dst []byte, c byte, off int64) ([]byte, error) {
	switch k.policy {
	case wire.BareNormalize:
		k.crlf = true
		return append(dst, '\r', '\n'), nil
	case wire.BareAllow:
		k.crlf = false
		return append(dst, c), nil
	}
	sentinel := wire.ErrBareLF
	if c == '\r' {
		sentinel = wire.ErrBareCR
	}
	return dst, &BodyError{Offset: off, Err: sentinel}
}

// append appends src, made canonical, to dst.
func (k *canonicalizer) append(dst, src []byte) ([]byte, error) {
	var err error
	for len(src) > 0 {
		if k.cr {
			k.cr = false
			if src[0] == '\n' {
				dst, k.crlf = append(dst, '\r', '\n'), true
				src, k.n = src[1:], k.n+1
				continue
			}
			if dst, err = k.bare(dst, '\r', k.n-1); err != nil {
				return dst, err
			}
			continue
		}
		i := bytes.IndexAny(src, "\r\n")
		if i < 0 {
			dst, k.crlf = append(dst, src...), false
			k.n += int64(len(src))
			return dst, nil
		}
		dst = append(dst, src[:i]...)
		if i > 0 {
			k.crlf = false
		}
		k.n += int64(i) + 1
		if src[i] == '\r' {
			k.cr = true
		} else if dst, err = k.bare(dst, '\n', k.n-1); err != nil {
			return dst, err
		}
		src = src[i+1:]
	}
	return dst, nil
}

// close resolves a final CR and ends a non-empty body with CRLF.
func (k *canonicalizer) close(dst []byte) ([]byte, error) {
	var err error
	if k.cr {
		k.cr = false
		if dst, err = k.bare(dst, '\r', k.n-1); err != nil {
			return dst, err
		}
	}
	if k.n > 0 && !k.crlf {
		dst, k.crlf = append(dst, '\r', '\n'), true
	}
	return dst, nil
}
