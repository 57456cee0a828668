package client

import (
	"errors"

	"github.com/smtpkit/smtpkit/wire"
)

// canonicalizer makes a text body sent with BDAT canonical: CRLF line ends
// only (RFC 5321 section 2.3.8, RFC 3030 section 3: BDAT content is not
// dot-stuffed, so the DATA encoder of the machine does not apply). The work
// is wire.CRLFEncoder's: a CR followed by LF, within a piece or across two,
// is copied; a bare CR (the body's last octet included) or bare LF is
// refused, replaced by CRLF or passed on, per policy; a non-empty body that
// does not end with CRLF gets one (RFC 5321 section 4.1.1.4). This type
// adds the client's error: a refused octet is a *BodyError whose Offset
// counts the octets of the body as given. The zero value refuses bare line
// ends.
type canonicalizer struct {
	policy wire.BarePolicy // WithBareLines
	enc    wire.CRLFEncoder
}

// reset readies k for a new body.
func (k *canonicalizer) reset() { k.enc = wire.CRLFEncoder{Policy: k.policy} }

// append appends src, made canonical, to dst. On error nothing of src is
// appended, and the body cannot go on until reset.
func (k *canonicalizer) append(dst, src []byte) ([]byte, error) {
	k.enc.Policy = k.policy
	dst, err := k.enc.Encode(dst, src)
	return dst, canonError(err)
}

// close resolves a final CR and ends a non-empty body with CRLF.
func (k *canonicalizer) close(dst []byte) ([]byte, error) {
	k.enc.Policy = k.policy
	dst, err := k.enc.Close(dst)
	return dst, canonError(err)
}

// canonError turns the encoder's *wire.SyntaxError for a bare CR or LF into
// a *BodyError with the sentinel (wire.ErrBareCR or wire.ErrBareLF) and the
// body offset; nil stays nil.
func canonError(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape
	}
	var se *wire.SyntaxError
	if errors.As(err, &se) {
		return &BodyError{Offset: int64(se.Offset), Err: se.Err}
	}
	return err
}
