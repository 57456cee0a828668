package auth

import (
	"bytes"
	"context"
	"strconv"
)

// SCRAMCredentials is what a SCRAM server stores for one user and hash
// (RFC 5802 section 3): the salt and iteration count it announces, and the
// two keys derived from the salted password. It never holds the password,
// and a stolen copy does not let anyone log in to another server (salts
// differ) nor, without a dictionary attack, recover the password; it does
// let its holder impersonate this server, so keep it as secret as a
// password hash.
type SCRAMCredentials struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// validFor reports whether c has the shape h needs: a salt, an iteration
// count within the bounds, and keys of the hash's size.
func (c *SCRAMCredentials) validFor(h SCRAMHash) bool {
	return h.IsValid() && len(c.Salt) > 0 && len(c.Salt) <= scramMaxSalt &&
		c.Iterations >= 1 && c.Iterations <= SCRAMMaxIterations &&
		len(c.StoredKey) == h.size() && len(c.ServerKey) == h.size()
}

// SCRAMStore looks up the stored SCRAM credentials of a user for a SCRAM
// server. username arrives prepared (PrepareUsername) and unescaped. For
// an unknown user return ErrInvalidCredentials (or an error wrapping it):
// the server then answers with made-up credentials, so that the exchange
// fails at the proof step exactly as for a wrong password, and the client
// cannot tell whether the user exists (RFC 5802 section 9). Any other
// error is reported as a temporary failure (454). A store is called from
// the goroutine that drives the exchange and must be safe for concurrent
// use by many exchanges; the server only reads the returned slices.
type SCRAMStore interface {
	SCRAMCredentials(ctx context.Context, h SCRAMHash, username string) (SCRAMCredentials, error)
}

// SCRAMStoreFunc adapts a function to SCRAMStore.
type SCRAMStoreFunc func(ctx context.Context, h SCRAMHash, username string) (SCRAMCredentials, error)

// SCRAMCredentials calls f.
func (f SCRAMStoreFunc) SCRAMCredentials(ctx context.Context, h SCRAMHash, username string) (SCRAMCredentials, error) {
	return f(ctx, h, username)
}

// SCRAMAuthorizer may be implemented by a SCRAMStore to decide whether an
// authenticated user may act as another authorization identity (RFC 4422
// section 2). The SCRAM server calls it, after the proof checked out, when
// the client sent an authzid different from its user name; return nil to
// allow, ErrAuthzDenied to refuse. A store that does not implement it
// refuses every such authzid.
type SCRAMAuthorizer interface {
	AuthorizeSCRAM(ctx context.Context, username, authzid string) error
}

// DeriveSCRAMCredentials computes the credentials a server stores for a
// password (RFC 5802 section 3): SaltedPassword = Hi(password, salt,
// iterations), StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
// ServerKey = HMAC(SaltedPassword, "Server Key"). The password is prepared
// with PreparePassword first, as the client prepares it (RFC 5802 section
// 2.2). Use at least SCRAMMinIterations; counts from 1 to
// SCRAMMaxIterations are accepted. The salt is copied.
func DeriveSCRAMCredentials(h SCRAMHash, password string, salt []byte, iterations int) (SCRAMCredentials, error) {
	const mech = "SCRAM"
	if !h.IsValid() {
		return SCRAMCredentials{}, errorf(mech, ErrUnsupported, "unknown SCRAM hash "+h.String())
	}
	if len(salt) == 0 || len(salt) > scramMaxSalt {
		return SCRAMCredentials{}, errorf(mech, ErrMalformed, "salt must have 1 to "+strconv.Itoa(scramMaxSalt)+" octets")
	}
	if iterations < 1 || iterations > SCRAMMaxIterations {
		return SCRAMCredentials{}, errorf(mech, ErrMalformed, "iteration count outside 1.."+strconv.Itoa(SCRAMMaxIterations))
	}
	p, err := PreparePassword(password)
	if err != nil {
		return SCRAMCredentials{}, err
	}
	k, err := scramDeriveKeys(h, p, salt, iterations)
	if err != nil {
		return SCRAMCredentials{}, errorf(mech, ErrMalformed, "key derivation refused the parameters")
	}
	return SCRAMCredentials{
		Salt:       bytes.Clone(salt),
		Iterations: iterations,
		StoredKey:  k.storedKey,
		ServerKey:  k.serverKey,
	}, nil
}

// NewSCRAMCredentials is DeriveSCRAMCredentials with a fresh random salt of
// 16 octets read from the Option's random source (crypto/rand unless
// WithRand says otherwise). iterations 0 means SCRAMMinIterations.
func NewSCRAMCredentials(h SCRAMHash, password string, iterations int, opts ...Option) (SCRAMCredentials, error) {
	o := newOptions(opts)
	if iterations == 0 {
		iterations = SCRAMMinIterations
	}
	salt := make([]byte, scramSaltLen)
	if err := o.readRand(salt); err != nil {
		return SCRAMCredentials{}, errorf("SCRAM", ErrTemporary, "reading the random source: "+err.Error())
	}
	return DeriveSCRAMCredentials(h, password, salt, iterations)
}

// AppendSCRAMCredentials appends c in the text form RFC 5803 section 3
// defines for LDAP's authPassword, which also suits a database column:
// scheme "$" iterations ":" base64(salt) "$" base64(StoredKey) ":"
// base64(ServerKey), where scheme is the mechanism name ("SCRAM-SHA-256").
// The result is as secret as the credentials.
func AppendSCRAMCredentials(dst []byte, h SCRAMHash, c SCRAMCredentials) []byte {
	dst = append(dst, h.Mechanism(false)...)
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(c.Iterations), 10)
	dst = append(dst, ':')
	dst = scramB64.AppendEncode(dst, c.Salt)
	dst = append(dst, '$')
	dst = scramB64.AppendEncode(dst, c.StoredKey)
	dst = append(dst, ':')
	return scramB64.AppendEncode(dst, c.ServerKey)
}

// ParseSCRAMCredentials parses the RFC 5803 section 3 form that
// AppendSCRAMCredentials writes. The scheme is matched ignoring case. The
// returned slices are fresh. Errors wrap ErrMalformed and never quote the
// input.
func ParseSCRAMCredentials(b []byte) (SCRAMHash, SCRAMCredentials, error) {
	bad := func(why string) (SCRAMHash, SCRAMCredentials, error) {
		return SCRAMHashNone, SCRAMCredentials{}, errorf("SCRAM", ErrMalformed, "stored credentials: "+why+" (RFC 5803 section 3)")
	}
	parts := bytes.Split(b, []byte{'$'})
	if len(parts) != 3 {
		return bad("want scheme$iterations:salt$storedkey:serverkey")
	}
	h, plus, ok := ParseSCRAMMechanism(string(parts[0]))
	if !ok || plus {
		return bad("unknown scheme")
	}
	info := bytes.Split(parts[1], []byte{':'})
	keys := bytes.Split(parts[2], []byte{':'})
	if len(info) != 2 || len(keys) != 2 {
		return bad("want two ':'-separated fields in authInfo and authValue")
	}
	var c SCRAMCredentials
	var err error
	if c.Iterations, ok = parseSCRAMIterations(info[0]); !ok {
		return bad("bad iteration count")
	}
	if c.Salt, err = scramDecode(info[1]); err != nil {
		return bad("bad base64 salt")
	}
	if c.StoredKey, err = scramDecode(keys[0]); err != nil {
		return bad("bad base64 StoredKey")
	}
	if c.ServerKey, err = scramDecode(keys[1]); err != nil {
		return bad("bad base64 ServerKey")
	}
	if !c.validFor(h) {
		return bad("salt or key lengths do not fit " + h.Mechanism(false))
	}
	return h, c, nil
}
