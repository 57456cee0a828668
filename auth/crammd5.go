package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// nameCRAMMD5 is the CRAM-MD5 mechanism's name (RFC 2195).
const nameCRAMMD5 = "CRAM-MD5"

// cramDigestLen is the length of the hex digest in a response: 16 octets
// of HMAC-MD5, 32 hex digits (RFC 2195 section 2).
const cramDigestLen = 2 * md5.Size

// cramDigest appends to dst the lowercase hex HMAC-MD5 of challenge keyed
// with secret (RFC 2195 section 2, RFC 2104).
func cramDigest(dst, secret, challenge []byte) []byte {
	h := hmac.New(md5.New, secret)
	h.Write(challenge)
	var sum [md5.Size]byte
	return hex.AppendEncode(dst, h.Sum(sum[:0]))
}

// CRAMMD5Client returns the client side of CRAM-MD5 (RFC 2195). The
// server speaks first: the client answers its one challenge with
// "username SP digest", the digest being the lowercase hex HMAC-MD5 of the
// challenge keyed with secret (RFC 2195 section 2). username must be
// non-empty, valid UTF-8 without NUL; NewClient reports a violation.
// CRAM-MD5 does not reveal the secret, but an eavesdropper can test
// guesses against the exchange offline, and it does not authenticate the
// server; prefer SCRAM. The result is safe for concurrent use.
func CRAMMD5Client(username, secret string) ClientMechanism {
	return &cramClientMech{username: username, secret: secret}
}

type cramClientMech struct{ username, secret string }

func (m *cramClientMech) Name() string { return nameCRAMMD5 }

func (m *cramClientMech) NewClient(ConnState) (Client, error) {
	if m.username == "" {
		return nil, errorf(nameCRAMMD5, ErrMalformed, "user name must not be empty")
	}
	if err := checkText(nameCRAMMD5, "user name", m.username); err != nil {
		return nil, err
	}
	if len(m.secret) > MaxResponse {
		return nil, errorf(nameCRAMMD5, ErrTooLong, "secret exceeds MaxResponse")
	}
	return &cramClient{seq: seq{mech: nameCRAMMD5}, m: m}, nil
}

type cramClient struct {
	seq
	m    *cramClientMech
	resp []byte
}

func (c *cramClient) Name() string { return nameCRAMMD5 }

// Start returns no initial response: CRAM-MD5 is server-first (RFC 2195
// section 2; RFC 4954 section 4 forbids one).
func (c *cramClient) Start(context.Context) ([]byte, bool, error) {
	if err := c.begin(nil); err != nil {
		return nil, false, err
	}
	c.step = stepWait
	return nil, false, nil
}

// Next answers the challenge. An empty challenge is refused: RFC 2195
// section 2 has the server send a unique, non-empty string.
func (c *cramClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	if err := c.next(challenge); err != nil {
		return nil, err
	}
	if len(challenge) == 0 {
		return nil, c.failf(ErrMalformed, "empty challenge (RFC 2195 section 2)")
	}
	c.resp = append(c.resp[:0], c.m.username...)
	c.resp = append(c.resp, ' ')
	c.resp = cramDigest(c.resp, []byte(c.m.secret), challenge)
	c.step = stepSent
	return c.resp, nil
}

// Finish accepts the outcome; CRAM-MD5 does not authenticate the server.
func (c *cramClient) Finish(bool) error { return c.finish() }

// CRAMMD5Server returns the server side of CRAM-MD5 (RFC 2195) over store,
// which must return the user's shared secret itself. Each exchange sends
// the challenge "<random.timestamp@hostname>" (RFC 2195 section 2: a
// msg-id that is unique per exchange), with a 64-bit random number from
// WithRand and the Unix time from WithClock. An empty hostname means
// "localhost"; a hostname with characters a msg-id cannot hold (space,
// control characters, "<", ">", "@", non-ASCII) makes NewServer fail. An
// initial response fails the exchange with ErrUnexpectedResponse (RFC
// 4954 section 4: 501). The response must be "user SP digest" with exactly
// 32 lowercase hex digits; the user is everything before the last space,
// prepared with PrepareUsername. The digest is compared in constant time.
// The result is safe for concurrent use if store and the WithRand reader
// are.
func CRAMMD5Server(store SecretStore, hostname string, opts ...Option) ServerMechanism {
	if hostname == "" {
		hostname = "localhost"
	}
	return &cramServerMech{store: store, host: hostname, o: newOptions(opts)}
}

type cramServerMech struct {
	store SecretStore
	host  string
	o     options
}

func (m *cramServerMech) Name() string { return nameCRAMMD5 }

// Available reports true: CRAM-MD5 does not expose the secret.
func (m *cramServerMech) Available(ConnState) bool { return true }

func (m *cramServerMech) NewServer(ConnState) (Server, error) {
	if m.store == nil {
		return nil, errorf(nameCRAMMD5, ErrUnsupported, "no SecretStore configured")
	}
	// RFC 2195 section 2 makes the challenge a msg-id (RFC 5322 section
	// 3.6.4): the right-hand side is printable ASCII without these.
	for i := 0; i < len(m.host); i++ {
		if c := m.host[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '@' {
			return nil, errorf(nameCRAMMD5, ErrTemporary, "hostname cannot appear in a msg-id challenge")
		}
	}
	return &cramServer{seq: seq{mech: nameCRAMMD5}, m: m}, nil
}

type cramServer struct {
	seq
	m         *cramServerMech
	challenge []byte
	id        Identity
}

func (s *cramServer) Name() string { return nameCRAMMD5 }

// Start refuses an initial response, even an empty one (RFC 4954 section
// 4: 501 5.7.0), and otherwise sends the challenge.
func (s *cramServer) Start(_ context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if err := s.begin(ir); err != nil {
		return nil, false, err
	}
	if present {
		return nil, false, s.failf(ErrUnexpectedResponse, "CRAM-MD5 is server-first (RFC 4954 section 4)")
	}
	var r [8]byte
	if err := s.m.o.readRand(r[:]); err != nil {
		return nil, false, s.failf(ErrTemporary, "cannot read random challenge")
	}
	c := make([]byte, 0, 2+20+1+20+1+len(s.m.host))
	c = append(c, '<')
	c = strconv.AppendUint(c, binary.BigEndian.Uint64(r[:]), 10)
	c = append(c, '.')
	c = strconv.AppendInt(c, s.m.o.now().Unix(), 10)
	c = append(c, '@')
	c = append(c, s.m.host...)
	c = append(c, '>')
	s.challenge = c
	s.step = stepWait
	return c, false, nil
}

// Next checks the response "user SP digest" (RFC 2195 section 2).
func (s *cramServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := s.next(response); err != nil {
		return nil, false, err
	}
	i := bytes.LastIndexByte(response, ' ')
	if i <= 0 || len(response)-i-1 != cramDigestLen {
		return nil, false, s.failf(ErrMalformed, "response is not user SP 32 hex digits (RFC 2195 section 2)")
	}
	raw, digest := response[:i], response[i+1:]
	for _, c := range digest {
		// RFC 2195 section 2: the digest is in lowercase hex.
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, false, s.failf(ErrMalformed, "digest is not 32 lowercase hex digits (RFC 2195 section 2)")
		}
	}
	if !utf8.Valid(raw) {
		return nil, false, s.failf(ErrMalformed, "user name is not valid UTF-8")
	}
	user, err := PrepareUsername(string(raw))
	if err != nil {
		return nil, false, s.fail(withMechanism(nameCRAMMD5, err))
	}
	secret, err := s.m.store.Secret(ctx, user)
	if err != nil {
		return nil, false, s.fail(verifierError(nameCRAMMD5, err))
	}
	var want [cramDigestLen]byte
	cramDigest(want[:0], secret, s.challenge)
	if subtle.ConstantTimeCompare(want[:], digest) != 1 {
		return nil, false, s.failf(ErrInvalidCredentials, "digest does not match")
	}
	s.id = Identity{Username: user}
	s.step = stepDone
	return nil, true, nil
}

// Identity returns who authenticated, or the zero Identity before success.
func (s *cramServer) Identity() Identity {
	if s.step != stepDone {
		return Identity{}
	}
	return s.id
}
