package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"strconv"
	"sync"
)

// SCRAMServerConfig configures the server side of SCRAM-SHA-1 (RFC 5802)
// or SCRAM-SHA-256 (RFC 7677), with or without channel binding.
type SCRAMServerConfig struct {
	// Hash picks SCRAM-SHA-1 or SCRAM-SHA-256.
	Hash SCRAMHash
	// Plus selects the -PLUS variant, offered only on connections with a
	// channel binding (RFC 5802 section 6).
	Plus bool
	// Store supplies the users' credentials. Required.
	Store SCRAMStore
	// OffersPlus reports whether the server advertises a SCRAM -PLUS
	// mechanism on the connection cs describes. A non-PLUS server uses it
	// to refuse the gs2 flag "y", which then means that someone removed
	// -PLUS from the list the client saw (RFC 5802 section 6). nil means
	// "whenever cs has a channel binding", which is what a Registry that
	// holds both variants advertises; set it when the -PLUS variants are
	// not registered, or clients that can bind are refused.
	OffersPlus func(cs ConnState) bool
	// Secret keys the made-up salt that an unknown user is answered with,
	// so that the salt is the same every time and looks like a real one
	// (RFC 5802 section 9). Empty means 32 random octets drawn when first
	// needed; fake salts then change when the process restarts, which a
	// patient attacker can notice, so long-running servers set it.
	Secret []byte
	// FakeIterations is the iteration count announced for unknown users:
	// make it the count most real users have. Zero means
	// SCRAMMinIterations.
	FakeIterations int
}

// scramServerMech is a SCRAM ServerMechanism. It is immutable after
// construction except for the lazily drawn secret, which once guards.
type scramServerMech struct {
	cfg      SCRAMServerConfig
	name     string
	opts     options
	err      error // a configuration error, reported by NewServer
	nonceLen int

	secretOnce sync.Once
	secret     []byte
	secretErr  error
}

// NewSCRAMServer returns the server mechanism cfg describes, named
// SCRAM-SHA-1, SCRAM-SHA-1-PLUS, SCRAM-SHA-256 or SCRAM-SHA-256-PLUS.
// WithRand sets the source of server nonces (and of the secret when
// cfg.Secret is empty). The mechanism is safe for concurrent use.
//
// RFC 4954 has no way to send additional data with a failure, so a
// failing exchange does not send the e= server-final-message: the
// Server's error, a *Error wrapping a *SCRAMError that names the
// server-error-value, ends the exchange, and Reply(err) gives the SMTP
// reply (535 for a bad proof or channel binding, 501 for bad syntax). The
// successful server-final-message (v=) goes out as the last 334
// challenge; the server then expects an empty response and reports done
// (RFC 4954 section 4).
func NewSCRAMServer(cfg SCRAMServerConfig, opts ...Option) (ServerMechanism, error) {
	if !cfg.Hash.IsValid() {
		return nil, errorf("SCRAM", ErrUnsupported, "unknown SCRAM hash "+cfg.Hash.String())
	}
	name := cfg.Hash.Mechanism(cfg.Plus)
	if cfg.Store == nil {
		return nil, errorf(name, ErrUnsupported, "no SCRAMStore configured")
	}
	if cfg.FakeIterations < 0 || cfg.FakeIterations > SCRAMMaxIterations {
		return nil, errorf(name, ErrUnsupported, "FakeIterations outside 0.."+strconv.Itoa(SCRAMMaxIterations))
	}
	if cfg.FakeIterations == 0 {
		cfg.FakeIterations = SCRAMMinIterations
	}
	m := &scramServerMech{cfg: cfg, name: name, opts: newOptions(opts), nonceLen: scramNonceLen}
	if len(cfg.Secret) > 0 {
		m.secret = bytes.Clone(cfg.Secret)
		m.secretOnce.Do(func() {})
	}
	return m, nil
}

// SCRAMServer is NewSCRAMServer for the common case: hash h, the -PLUS
// variant when plus is true, credentials from store, -PLUS taken to be
// offered whenever the connection has a channel binding, and a random
// secret for unknown users' salts. A configuration error is reported by
// the mechanism's NewServer.
func SCRAMServer(h SCRAMHash, plus bool, store SCRAMStore, opts ...Option) ServerMechanism {
	m, err := NewSCRAMServer(SCRAMServerConfig{Hash: h, Plus: plus, Store: store}, opts...)
	if err != nil {
		name := h.Mechanism(plus)
		if name == "" {
			name = "SCRAM"
		}
		return &scramServerMech{name: name, err: err}
	}
	return m
}

// Name returns the mechanism name.
func (m *scramServerMech) Name() string { return m.name }

// Available reports whether the mechanism may be offered: a -PLUS
// mechanism needs a channel binding on the connection (RFC 5802 section
// 6).
func (m *scramServerMech) Available(cs ConnState) bool {
	return m.err == nil && (!m.cfg.Plus || len(cs.ChannelBindings) > 0)
}

// NewServer starts one exchange.
func (m *scramServerMech) NewServer(cs ConnState) (Server, error) {
	if m.err != nil {
		return nil, m.err
	}
	if !m.Available(cs) {
		return nil, errorf(m.name, ErrUnsupported, "no channel binding on this connection (RFC 5802 section 6)")
	}
	offers := len(cs.ChannelBindings) > 0
	if m.cfg.OffersPlus != nil {
		offers = m.cfg.OffersPlus(cs)
	}
	return &scramServer{m: m, cs: cs, offersPlus: offers}, nil
}

// fakeCredentials returns the credentials an unknown user is answered
// with: a salt and keys derived from the secret and the user name, so
// that they repeat for the same name (RFC 5802 section 9).
func (m *scramServerMech) fakeCredentials(username string) (SCRAMCredentials, error) {
	m.secretOnce.Do(func() {
		s := make([]byte, 32)
		if err := m.opts.readRand(s); err != nil {
			m.secretErr = errorf(m.name, ErrTemporary, "reading the random source: "+err.Error())
			return
		}
		m.secret = s
	})
	if m.secretErr != nil {
		return SCRAMCredentials{}, m.secretErr
	}
	h := m.cfg.Hash
	salt := scramHMAC(SCRAMSHA256, m.secret, []byte("salt\x00"), []byte(username))[:scramSaltLen]
	keys := scramHMAC(SCRAMSHA256, m.secret, []byte("keys\x00"), []byte(username))
	return SCRAMCredentials{
		Salt:       salt,
		Iterations: m.cfg.FakeIterations,
		StoredKey:  scramHMAC(h, keys, []byte("Stored")),
		ServerKey:  scramHMAC(h, keys, []byte("Server")),
	}, nil
}

// Server states.
const (
	scramSWantFirst uint8 = iota
	scramSWantFinal
	scramSWantEmpty
	scramSDone
)

// scramServer is one server exchange. It is used by one goroutine.
type scramServer struct {
	m          *scramServerMech
	cs         ConnState
	offersPlus bool
	state      uint8
	started    bool
	err        error // sticky failure

	gs2      []byte // the client's gs2-header
	cbData   []byte // the binding the client named, for "p"
	first    []byte // client-first-message-bare + "," + server-first-message
	nonce    []byte // the combined nonce
	creds    SCRAMCredentials
	unknown  bool
	identity Identity
}

// Name returns the mechanism name.
func (s *scramServer) Name() string { return s.m.name }

// Identity returns the authenticated user once the exchange is done.
func (s *scramServer) Identity() Identity {
	if s.state != scramSDone || s.err != nil {
		return Identity{}
	}
	return s.identity
}

// Start takes the AUTH command's initial response. Without one the server
// sends an empty challenge and expects the client-first-message next (RFC
// 4954 section 4).
func (s *scramServer) Start(ctx context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if s.started {
		return nil, false, s.fail(errorf(s.m.name, ErrSequence, "Start called twice"))
	}
	s.started = true
	if !present {
		return []byte{}, false, nil
	}
	return s.Next(ctx, ir)
}

// Next consumes the client's next message.
func (s *scramServer) Next(ctx context.Context, resp []byte) ([]byte, bool, error) {
	if s.err != nil {
		return nil, false, s.err
	}
	if !s.started {
		return nil, false, s.fail(errorf(s.m.name, ErrSequence, "Next before Start"))
	}
	if len(resp) > MaxResponse {
		return nil, false, s.fail(errorf(s.m.name, ErrTooLong, "client message exceeds MaxResponse"))
	}
	switch s.state {
	case scramSWantFirst:
		ch, err := s.clientFirst(ctx, resp)
		return ch, false, err
	case scramSWantFinal:
		ch, err := s.clientFinal(ctx, resp)
		return ch, false, err
	case scramSWantEmpty:
		// RFC 4954 section 4: the server-final-message went out as a 334
		// challenge; the client answers it with an empty line.
		if len(resp) != 0 {
			return nil, false, s.fail(errorf(s.m.name, ErrMalformed, "response to the server-final-message must be empty (RFC 4954 section 4)"))
		}
		s.state = scramSDone
		return nil, true, nil
	}
	return nil, false, s.fail(errorf(s.m.name, ErrSequence, "response after the exchange ended"))
}

// refuse fails the exchange with a server-error-value.
func (s *scramServer) refuse(sentinel error, value, reason string) error {
	return s.fail(scramFail(s.m.name, sentinel, value, reason))
}

// clientFirst checks the client-first-message, gs2-header "n=" username
// ",r=" c-nonce [extensions], looks the user up and returns the
// server-first-message.
func (s *scramServer) clientFirst(ctx context.Context, msg []byte) ([]byte, error) {
	g, bare, value, ok := parseSCRAMGS2(msg)
	if !ok {
		return nil, s.refuse(ErrMalformed, value, "bad gs2-header (RFC 5802 section 7)")
	}
	switch {
	case g.flag == 'p' && !s.m.cfg.Plus:
		// The client asks to bind, but this mechanism does not (the
		// -PLUS name is how binding is negotiated, RFC 5802 section 6).
		return nil, s.refuse(ErrChannelBinding, scramErrCBNotSupported, "p= flag under a non-PLUS mechanism (RFC 5802 section 6)")
	case g.flag != 'p' && s.m.cfg.Plus:
		return nil, s.refuse(ErrChannelBinding, scramErrCBNotSupported, "a -PLUS mechanism needs the p= flag (RFC 5802 section 6)")
	case g.flag == 'y' && s.offersPlus:
		// RFC 5802 section 6: "y" on a server that supports channel
		// binding means the client's mechanism list was tampered with.
		return nil, s.refuse(ErrChannelBinding, scramErrServerSupportsCB, "gs2 flag y but the server offers -PLUS: downgrade (RFC 5802 section 6)")
	case g.flag == 'p':
		cb, ok := s.cs.Binding(g.cbName)
		if !ok || len(cb.Data) == 0 {
			return nil, s.refuse(ErrChannelBinding, scramErrUnsupportedCBType, "channel-binding type not available here (RFC 5802 section 6)")
		}
		s.cbData = cb.Data
	}
	var buf [16]scramAttr
	attrs, ok := scramAttrs(bare, buf[:0])
	if !ok {
		return nil, s.refuse(ErrMalformed, scramErrOther, "client-first-message-bare is not a list of attributes (RFC 5802 section 7)")
	}
	if attrs[0].key == 'm' {
		return nil, s.refuse(ErrMalformed, scramErrExtensions, "reserved m= attribute (RFC 5802 section 5.1)")
	}
	if len(attrs) < 2 || attrs[0].key != 'n' || attrs[1].key != 'r' {
		return nil, s.refuse(ErrMalformed, scramErrOther, "client-first-message-bare must start n=, r= (RFC 5802 section 7)")
	}
	if v, ok := checkSCRAMExtensions(attrs[2:]); !ok {
		return nil, s.refuse(ErrMalformed, v, "bad extension in client-first-message (RFC 5802 section 5.1)")
	}
	user, ok := parseSASLName(attrs[0].val)
	if !ok {
		return nil, s.refuse(ErrMalformed, scramErrInvalidUsernameEnc, "user name is not a saslname (RFC 5802 section 5.1)")
	}
	user, err := PrepareUsername(user)
	if err != nil {
		return nil, s.refuse(ErrMalformed, scramErrInvalidUsernameEnc, "user name fails RFC 8265 preparation (RFC 5802 section 5.1)")
	}
	authzid := g.authzid
	if authzid != "" {
		if authzid, err = PrepareUsername(authzid); err != nil {
			return nil, s.refuse(ErrMalformed, scramErrInvalidUsernameEnc, "authzid fails RFC 8265 preparation (RFC 5802 section 5.1)")
		}
	}
	cnonce := attrs[1].val
	if !isSCRAMPrintable(cnonce) {
		return nil, s.refuse(ErrMalformed, scramErrOther, "client nonce is not printable ASCII without ',' (RFC 5802 section 7)")
	}

	creds, err := s.m.cfg.Store.SCRAMCredentials(ctx, s.m.cfg.Hash, user)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		// RFC 5802 section 9: do not reveal whether the user exists; go
		// on with made-up credentials and fail at the proof.
		if creds, err = s.m.fakeCredentials(user); err != nil {
			return nil, s.fail(err)
		}
		s.unknown = true
	case err != nil:
		return nil, s.fail(errorf(s.m.name, err, "credential store failed"))
	case !creds.validFor(s.m.cfg.Hash):
		return nil, s.fail(errorf(s.m.name, ErrTemporary, "credential store returned unusable credentials"))
	}
	snonce, err := scramNonce(&s.m.opts, s.m.nonceLen)
	if err != nil {
		return nil, s.fail(err)
	}
	s.creds = creds
	s.gs2 = bytes.Clone(g.header)
	s.identity = Identity{Username: user, Authzid: authzid}

	// server-first-message = "r=" c-nonce s-nonce ",s=" salt ",i="
	// iteration-count (RFC 5802 section 7). It is kept after the bare
	// client message because both enter the AuthMessage.
	first := make([]byte, 0, len(bare)+2*len(cnonce)+len(snonce)+len(creds.Salt)*2+32)
	first = append(first, bare...)
	first = append(first, ',')
	start := len(first)
	first = append(first, "r="...)
	first = append(first, cnonce...)
	first = append(first, snonce...)
	s.nonce = first[start+2 : len(first) : len(first)]
	first = append(first, ",s="...)
	first = scramB64.AppendEncode(first, creds.Salt)
	first = append(first, ",i="...)
	first = strconv.AppendInt(first, int64(creds.Iterations), 10)
	s.first = first
	s.state = scramSWantFinal
	return first[start:], nil
}

// clientFinal checks the client-final-message, "c=" cbind ",r=" nonce
// [extensions] ",p=" proof: channel binding, nonce, then the proof, and
// returns the server-final-message "v=" ServerSignature.
func (s *scramServer) clientFinal(ctx context.Context, msg []byte) ([]byte, error) {
	var buf [16]scramAttr
	attrs, ok := scramAttrs(msg, buf[:0])
	if !ok {
		return nil, s.refuse(ErrMalformed, scramErrOther, "client-final-message is not a list of attributes (RFC 5802 section 7)")
	}
	n := len(attrs)
	if n < 3 || attrs[0].key != 'c' || attrs[1].key != 'r' || attrs[n-1].key != 'p' {
		return nil, s.refuse(ErrMalformed, scramErrOther, "client-final-message must be c=, r=, extensions, p= (RFC 5802 section 7)")
	}
	if v, ok := checkSCRAMExtensions(attrs[2 : n-1]); !ok {
		return nil, s.refuse(ErrMalformed, v, "bad extension in client-final-message (RFC 5802 section 5.1)")
	}
	cbind, err := scramDecode(attrs[0].val)
	if err != nil {
		return nil, s.refuse(ErrMalformed, scramErrInvalidEncoding, "c= is not base64 (RFC 5802 section 7)")
	}
	// RFC 5802 section 6: the server must check that c= is the gs2-header
	// it received followed by its own channel-binding data.
	if len(cbind) != len(s.gs2)+len(s.cbData) ||
		!bytes.Equal(cbind[:len(s.gs2)], s.gs2) ||
		subtle.ConstantTimeCompare(cbind[len(s.gs2):], s.cbData) != 1 {
		return nil, s.refuse(ErrChannelBinding, scramErrCBMismatch, "c= does not match the gs2-header and channel binding (RFC 5802 section 6)")
	}
	if !bytes.Equal(attrs[1].val, s.nonce) {
		return nil, s.refuse(ErrMalformed, scramErrOther, "nonce differs from the server-first-message's (RFC 5802 section 5.1)")
	}
	h := s.m.cfg.Hash
	proof, err := scramDecode(attrs[n-1].val)
	if err != nil || len(proof) != h.size() {
		return nil, s.refuse(ErrMalformed, scramErrInvalidEncoding, "p= is not base64 of a hash-sized proof (RFC 5802 section 7)")
	}
	without := msg[:len(msg)-len(attrs[n-1].val)-3] // less ",p=" proof
	// ClientSignature = HMAC(StoredKey, AuthMessage); ClientKey = proof
	// XOR ClientSignature; the proof holds when H(ClientKey) = StoredKey
	// (RFC 5802 section 3), compared in constant time.
	sig := scramHMAC(h, s.creds.StoredKey, s.first, []byte{','}, without)
	for i := range sig {
		sig[i] ^= proof[i]
	}
	sum := h.newFunc()()
	sum.Write(sig)
	good := hmac.Equal(sum.Sum(nil), s.creds.StoredKey)
	if !good || s.unknown {
		return nil, s.refuse(ErrInvalidCredentials, scramErrInvalidProof, "client proof does not verify (RFC 5802 section 3)")
	}
	if id := s.identity; id.Authzid != "" && id.Authzid != id.Username {
		az, ok := s.m.cfg.Store.(SCRAMAuthorizer)
		if !ok {
			return nil, s.fail(errorf(s.m.name, ErrAuthzDenied, "authzid differs from the user name and the store authorizes none"))
		}
		if err := az.AuthorizeSCRAM(ctx, id.Username, id.Authzid); err != nil {
			return nil, s.fail(errorf(s.m.name, err, "authzid refused"))
		}
	}
	out := make([]byte, 0, 2+scramB64.EncodedLen(h.size()))
	out = append(out, "v="...)
	out = scramB64.AppendEncode(out, scramHMAC(h, s.creds.ServerKey, s.first, []byte{','}, without))
	s.state = scramSWantEmpty
	return out, nil
}

// fail makes err sticky and returns it. An exchange that already
// succeeded keeps its outcome, as every mechanism's does (step.go): a call
// out of turn after it is refused but does not undo the authentication.
func (s *scramServer) fail(err error) error {
	if s.state == scramSDone && s.err == nil {
		return err
	}
	if s.err == nil {
		s.err = err
	}
	s.state = scramSDone
	return err
}
