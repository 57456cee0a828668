package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"strconv"
	"sync"
)

// SCRAMClientConfig configures the client side of SCRAM-SHA-1 (RFC 5802)
// or SCRAM-SHA-256 (RFC 7677), with or without channel binding.
type SCRAMClientConfig struct {
	// Hash picks SCRAM-SHA-1 or SCRAM-SHA-256.
	Hash SCRAMHash
	// Plus selects the -PLUS variant, which binds the exchange to the TLS
	// channel (RFC 5802 section 6) and needs a channel binding in the
	// ConnState.
	Plus bool
	// Authzid is the identity to act as (RFC 4422 section 2); empty for
	// none.
	Authzid string
	// Username and Password are the credentials. They are prepared with
	// PrepareUsername and PreparePassword (RFC 5802 section 5.1 asks for
	// SASLprep; RFC 8265 replaces it).
	Username, Password string
	// ChannelBinding names the channel-binding type a -PLUS client binds
	// to (CBTLSExporter, CBTLSUnique, CBTLSServerEndPoint). Empty takes
	// the first binding of ConnState.ChannelBindings, which the driver
	// lists preferred first (tls-exporter, RFC 9266).
	ChannelBinding string
	// MinIterations is the smallest iteration count the client accepts
	// from a server. Zero means SCRAMMinIterations (4096, RFC 7677
	// section 4); lower it only for legacy servers or tests. Counts above
	// SCRAMMaxIterations are always refused.
	MinIterations int
}

// OfferAware is implemented by client mechanisms whose messages depend on
// the mechanisms the server advertised. The SCRAM clients implement it: a
// non-PLUS SCRAM client on a connection that has a channel binding sends
// the gs2 flag "y", meaning "I could bind, but you offered no -PLUS
// mechanism", and a server that does offer one must refuse it as a
// downgrade (RFC 5802 section 6). Whoever picks the mechanism from the
// EHLO AUTH list (the state layer, Choose) calls WithOffered with that
// list before NewClient, so that the flag is "n" when the server offered
// a SCRAM -PLUS variant and the application chose not to bind. Without
// the call the client assumes no -PLUS variant was offered.
type OfferAware interface {
	// WithOffered returns the mechanism to use with a server that
	// advertised the mechanism names offered (RFC 4954 section 3). The
	// receiver is not modified; offered is not retained.
	WithOffered(offered []string) ClientMechanism
}

// scramOffer records what the client knows of the server's -PLUS offer.
type scramOffer uint8

const (
	scramOfferUnknown scramOffer = iota
	scramOfferNoPlus
	scramOfferPlus
)

// scramClientMech is a SCRAM ClientMechanism. It is immutable after
// construction except for the key cache, which its mutex guards, so one
// value serves concurrent connections.
type scramClientMech struct {
	cfg      SCRAMClientConfig // Username, Password, Authzid prepared
	name     string
	opts     options
	err      error // a configuration error, reported by NewClient
	offer    scramOffer
	nonceLen int
	maxIter  int
	cache    *scramKeyCache
}

// scramKeyCache keeps the keys derived for the last salt and iteration
// count, so that a client that reconnects to the same server does not run
// PBKDF2 again. It is shared by the copies WithOffered makes.
type scramKeyCache struct {
	mu   sync.Mutex
	salt []byte
	iter int
	keys scramKeys
}

// NewSCRAMClient returns the client mechanism cfg describes, named
// SCRAM-SHA-1, SCRAM-SHA-1-PLUS, SCRAM-SHA-256 or SCRAM-SHA-256-PLUS. It
// fails for an invalid hash and for credentials the RFC 8265 profiles
// refuse. WithRand sets the source of the client nonce. The mechanism is
// safe for concurrent use and implements OfferAware.
//
// The gs2-cbind-flag (RFC 5802 section 6) is "p=<type>" for a -PLUS
// mechanism; for a non-PLUS one it is "n" when the connection has no
// channel binding or the server offered a -PLUS variant (see OfferAware),
// and "y" otherwise.
func NewSCRAMClient(cfg SCRAMClientConfig, opts ...Option) (ClientMechanism, error) {
	m := &scramClientMech{
		name:     cfg.Hash.Mechanism(cfg.Plus),
		opts:     newOptions(opts),
		nonceLen: scramNonceLen,
		maxIter:  SCRAMMaxIterations,
		cache:    &scramKeyCache{},
	}
	if !cfg.Hash.IsValid() {
		return nil, errorf("SCRAM", ErrUnsupported, "unknown SCRAM hash "+cfg.Hash.String())
	}
	if cfg.MinIterations < 0 || cfg.MinIterations > SCRAMMaxIterations {
		return nil, errorf(m.name, ErrUnsupported, "MinIterations outside 0.."+strconv.Itoa(SCRAMMaxIterations))
	}
	if cfg.MinIterations == 0 {
		cfg.MinIterations = SCRAMMinIterations
	}
	var err error
	if cfg.Username, err = PrepareUsername(cfg.Username); err != nil {
		return nil, errorf(m.name, ErrMalformed, "user name is empty or has characters RFC 8265 OpaqueString disallows")
	}
	if cfg.Password, err = PreparePassword(cfg.Password); err != nil {
		return nil, errorf(m.name, ErrMalformed, "password is empty or has characters RFC 8265 OpaqueString disallows")
	}
	if cfg.Authzid != "" {
		if cfg.Authzid, err = PrepareUsername(cfg.Authzid); err != nil {
			return nil, errorf(m.name, ErrMalformed, "authzid has characters RFC 8265 OpaqueString disallows")
		}
	}
	m.cfg = cfg
	return m, nil
}

// SCRAMClient is NewSCRAMClient for the common case: hash h, the -PLUS
// variant when plus is true, the first channel binding of the connection,
// and a minimum of 4096 iterations. A configuration error is reported by
// the mechanism's NewClient.
func SCRAMClient(h SCRAMHash, plus bool, authzid, username, password string, opts ...Option) ClientMechanism {
	m, err := NewSCRAMClient(SCRAMClientConfig{
		Hash: h, Plus: plus, Authzid: authzid, Username: username, Password: password,
	}, opts...)
	if err != nil {
		name := h.Mechanism(plus)
		if name == "" {
			name = "SCRAM"
		}
		return &scramClientMech{name: name, err: err}
	}
	return m
}

// Name returns the mechanism name.
func (m *scramClientMech) Name() string { return m.name }

// WithOffered implements OfferAware: any SCRAM -PLUS name in offered
// (compared ignoring case) means the server supports channel binding.
func (m *scramClientMech) WithOffered(offered []string) ClientMechanism {
	c := *m
	c.offer = scramOfferNoPlus
	for _, name := range offered {
		if _, plus, ok := ParseSCRAMMechanism(name); ok && plus {
			c.offer = scramOfferPlus
			break
		}
	}
	return &c
}

// NewClient starts one exchange. A -PLUS mechanism fails with
// ErrUnsupported when the connection has no channel binding of the
// configured type (any type when none is configured).
func (m *scramClientMech) NewClient(cs ConnState) (Client, error) {
	if m.err != nil {
		return nil, m.err
	}
	c := &scramClient{m: m}
	switch {
	case m.cfg.Plus:
		var cb ChannelBinding
		ok := false
		if m.cfg.ChannelBinding != "" {
			cb, ok = cs.Binding(m.cfg.ChannelBinding)
		} else if len(cs.ChannelBindings) > 0 {
			cb, ok = cs.ChannelBindings[0], true
		}
		if !ok || len(cb.Data) == 0 || !isCBName([]byte(cb.Type)) {
			return nil, errorf(m.name, ErrUnsupported, "no usable channel binding on this connection (RFC 5802 section 6)")
		}
		c.flag, c.cbType, c.cbData = 'p', cb.Type, cb.Data
	case len(cs.ChannelBindings) > 0 && m.offer != scramOfferPlus:
		// RFC 5802 section 6: the client supports channel binding but
		// believes the server does not.
		c.flag = 'y'
	default:
		c.flag = 'n'
	}
	return c, nil
}

// keys returns the keys for salt and iterations, from the cache when the
// last exchange used the same ones.
func (m *scramClientMech) keys(salt []byte, iter int) (scramKeys, error) {
	m.cache.mu.Lock()
	defer m.cache.mu.Unlock()
	if m.cache.iter == iter && bytes.Equal(m.cache.salt, salt) {
		return m.cache.keys, nil
	}
	k, err := scramDeriveKeys(m.cfg.Hash, m.cfg.Password, salt, iter)
	if err != nil {
		return scramKeys{}, err
	}
	m.cache.salt, m.cache.iter, m.cache.keys = bytes.Clone(salt), iter, k
	return k, nil
}

// Client states.
const (
	scramCStart uint8 = iota
	scramCSentFirst
	scramCSentFinal
	scramCVerified
	scramCDone
)

// scramClient is one client exchange. It is used by one goroutine.
type scramClient struct {
	m         *scramClientMech
	state     uint8
	flag      byte
	cbType    string
	cbData    []byte
	gs2       []byte // the gs2-header sent
	nonce     []byte // the client nonce
	bare      []byte // client-first-message-bare
	serverSig []byte // the expected ServerSignature
	err       error  // sticky failure
	serverErr error  // the server's e= error, for Finish(false)
}

// Name returns the mechanism name.
func (c *scramClient) Name() string { return c.m.name }

// Start returns the client-first-message (RFC 5802 section 5.1):
// gs2-header "n=" username ",r=" c-nonce.
func (c *scramClient) Start(context.Context) ([]byte, bool, error) {
	if c.state != scramCStart {
		return nil, false, c.fail(errorf(c.m.name, ErrSequence, "Start called twice"))
	}
	nonce, err := scramNonce(&c.m.opts, c.m.nonceLen)
	if err != nil {
		return nil, false, c.fail(err)
	}
	c.nonce = nonce
	c.gs2 = appendSCRAMGS2(nil, c.flag, c.cbType, c.m.cfg.Authzid)
	msg := make([]byte, 0, len(c.gs2)+len(c.m.cfg.Username)+len(nonce)+8)
	msg = append(msg, c.gs2...)
	msg = append(msg, "n="...)
	msg = appendSASLName(msg, c.m.cfg.Username)
	msg = append(msg, ",r="...)
	msg = append(msg, nonce...)
	if len(msg) > MaxResponse {
		return nil, false, c.fail(errorf(c.m.name, ErrTooLong, "client-first-message exceeds MaxResponse"))
	}
	c.bare = msg[len(c.gs2):]
	c.state = scramCSentFirst
	return msg, true, nil
}

// Next answers the server-first-message with the client-final-message,
// and the server-final-message (carried in a 334 challenge, RFC 4954
// section 4) with an empty response once its signature checks out.
func (c *scramClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	if len(challenge) > MaxResponse {
		return nil, c.fail(errorf(c.m.name, ErrTooLong, "server message exceeds MaxResponse"))
	}
	switch c.state {
	case scramCSentFirst:
		return c.final(challenge)
	case scramCSentFinal:
		return c.verify(challenge)
	}
	return nil, c.fail(errorf(c.m.name, ErrSequence, "challenge after the exchange ended"))
}

// malformed fails the exchange for a server message that breaks the
// grammar of RFC 5802 section 7.
func (c *scramClient) malformed(what string) error {
	return c.fail(errorf(c.m.name, ErrMalformed, what+" (RFC 5802 section 7)"))
}

// final parses the server-first-message, r= nonce ",s=" salt ",i="
// iteration-count [extensions], and computes the client-final-message.
func (c *scramClient) final(msg []byte) ([]byte, error) {
	var buf [16]scramAttr
	attrs, ok := scramAttrs(msg, buf[:0])
	if !ok {
		return nil, c.malformed("server-first-message is not a list of attributes")
	}
	if attrs[0].key == 'e' {
		return nil, c.serverError(attrs[0].val)
	}
	if attrs[0].key == 'm' {
		// RFC 5802 section 5.1: a reserved-mext must fail the exchange.
		return nil, c.fail(scramFail(c.m.name, ErrMalformed, scramErrExtensions, "server-first-message has the reserved m= attribute (RFC 5802 section 5.1)"))
	}
	if len(attrs) < 3 || attrs[0].key != 'r' || attrs[1].key != 's' || attrs[2].key != 'i' {
		return nil, c.malformed("server-first-message must start r=, s=, i=")
	}
	if v, ok := checkSCRAMExtensions(attrs[3:]); !ok {
		return nil, c.fail(scramFail(c.m.name, ErrMalformed, v, "bad extension in server-first-message (RFC 5802 section 5.1)"))
	}
	nonce := attrs[0].val
	// RFC 5802 section 5.1: the nonce must start with the client's own
	// and the server must have added its part.
	if !isSCRAMPrintable(nonce) || len(nonce) <= len(c.nonce) || !bytes.HasPrefix(nonce, c.nonce) {
		return nil, c.fail(errorf(c.m.name, ErrServerNotVerified, "server nonce does not extend the client nonce (RFC 5802 section 5.1)"))
	}
	salt, err := scramDecode(attrs[1].val)
	if err != nil || len(salt) == 0 || len(salt) > scramMaxSalt {
		return nil, c.malformed("salt is not base64 of 1 to 1024 octets")
	}
	iter, ok := parseSCRAMIterations(attrs[2].val)
	if !ok || iter > c.m.maxIter {
		return nil, c.fail(errorf(c.m.name, ErrUnsupported, "iteration count is not a number up to "+strconv.Itoa(c.m.maxIter)))
	}
	if iter < c.m.cfg.MinIterations {
		return nil, c.fail(errorf(c.m.name, ErrUnsupported, "iteration count "+strconv.Itoa(iter)+" below the minimum "+strconv.Itoa(c.m.cfg.MinIterations)+" (RFC 7677 section 4)"))
	}
	keys, err := c.m.keys(salt, iter)
	if err != nil {
		return nil, c.fail(errorf(c.m.name, ErrUnsupported, "key derivation refused the server's parameters"))
	}
	h := c.m.cfg.Hash
	// client-final-message-without-proof = channel-binding "," nonce.
	out := make([]byte, 0, 2*len(nonce)+len(c.gs2)+len(c.cbData)+4*h.size()+16)
	out = append(out, "c="...)
	out = appendSCRAMCBind(out, c.gs2, c.cbData)
	out = append(out, ",r="...)
	out = append(out, nonce...)
	// AuthMessage = client-first-message-bare "," server-first-message ","
	// client-final-message-without-proof (RFC 5802 section 3).
	sig := scramHMAC(h, keys.storedKey, c.bare, []byte{','}, msg, []byte{','}, out)
	for i := range sig {
		sig[i] ^= keys.clientKey[i] // ClientProof = ClientKey XOR ClientSignature
	}
	c.serverSig = scramHMAC(h, keys.serverKey, c.bare, []byte{','}, msg, []byte{','}, out)
	out = append(out, ",p="...)
	out = scramB64.AppendEncode(out, sig)
	c.state = scramCSentFinal
	return out, nil
}

// verify checks the server-final-message: "v=" ServerSignature, compared
// in constant time, or "e=" server-error-value (RFC 5802 section 7).
func (c *scramClient) verify(msg []byte) ([]byte, error) {
	var buf [16]scramAttr
	attrs, ok := scramAttrs(msg, buf[:0])
	if !ok {
		return nil, c.malformed("server-final-message is not a list of attributes")
	}
	if attrs[0].key == 'e' {
		return nil, c.serverError(attrs[0].val)
	}
	if attrs[0].key != 'v' {
		return nil, c.malformed("server-final-message must start v= or e=")
	}
	if v, ok := checkSCRAMExtensions(attrs[1:]); !ok {
		return nil, c.fail(scramFail(c.m.name, ErrMalformed, v, "bad extension in server-final-message (RFC 5802 section 5.1)"))
	}
	sig, err := scramDecode(attrs[0].val)
	// RFC 5802 section 5.1: the client verifies the ServerSignature; it is
	// derived from the password, so compare in constant time.
	if err != nil || subtle.ConstantTimeCompare(sig, c.serverSig) != 1 {
		return nil, c.fail(errorf(c.m.name, ErrServerNotVerified, "server signature v= does not verify (RFC 5802 section 3)"))
	}
	c.state = scramCVerified
	return []byte{}, nil
}

// serverError records the server's e= attribute (RFC 5802 section 7).
func (c *scramClient) serverError(v []byte) error {
	value := string(v)
	if !isSCRAMValue(v) || len(v) > scramMaxServerErrorValueLen {
		value = scramErrOther
	}
	err := scramFail(c.m.name, scramErrorSentinel(value), value, "server sent e= (RFC 5802 section 7)")
	c.serverErr = err
	return c.fail(err)
}

// Finish reports the outcome. Success is an error wrapping
// ErrServerNotVerified unless the server's signature was verified (RFC
// 5802 section 5.1: the client must not accept success otherwise).
// Failure returns the server's e= error, if it sent one.
func (c *scramClient) Finish(ok bool) error {
	verified := c.state == scramCVerified
	c.state = scramCDone
	if !ok {
		return c.serverErr
	}
	if !verified {
		err := errorf(c.m.name, ErrServerNotVerified, "success without a verified server signature (RFC 5802 section 5.1)")
		c.fail(err)
		return err
	}
	return nil
}

// fail makes err sticky and returns it.
func (c *scramClient) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	c.state = scramCDone
	return err
}
