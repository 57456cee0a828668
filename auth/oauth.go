package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
)

// This file holds what XOAUTH2 (xoauth2.go) and OAUTHBEARER
// (oauthbearer.go) share: the 0x01-separated key/value syntax of RFC 7628
// section 3.1, the bearer credential of RFC 6750 section 2.1, the JSON error
// document of RFC 7628 section 3.2.2, and the client and server state
// machines, which differ only in how the first message is built and parsed
// and in the client's answer to an error challenge.

// oauthKVSep separates key/value pairs and ends the message (RFC 7628
// section 3.1: kvsep = %x01).
const oauthKVSep = 0x01

// oauthAppendKV appends key "=" value kvsep (RFC 7628 section 3.1 kvpair).
// The caller has checked value with oauthIsValue.
func oauthAppendKV(dst []byte, key, value string) []byte {
	dst = append(dst, key...)
	dst = append(dst, '=')
	dst = append(dst, value...)
	return append(dst, oauthKVSep)
}

// oauthIsKey reports whether k is 1*ALPHA (RFC 7628 section 3.1 key).
func oauthIsKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if (c|0x20) < 'a' || (c|0x20) > 'z' {
			return false
		}
	}
	return true
}

// oauthIsValue reports whether v is *(VCHAR / SP / HTAB / CR / LF) (RFC 7628
// section 3.1 value).
func oauthIsValue(v []byte) bool {
	for _, c := range v {
		if (c < 0x21 || c > 0x7e) && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// oauthKVPairs calls f with each kvpair of b, which must be exactly
// *kvpair kvsep (RFC 7628 section 3.1): pairs up to the empty pair that ends
// the message, and nothing after it. key and value alias b. Values are not
// checked here: each caller applies the rule for the key.
func oauthKVPairs(mech string, b []byte, f func(key, value []byte) error) error {
	for {
		i := bytes.IndexByte(b, oauthKVSep)
		if i < 0 {
			return errorf(mech, ErrMalformed, "key/value list not terminated by 0x01 0x01 (RFC 7628 section 3.1)")
		}
		if i == 0 {
			if len(b) != 1 {
				return errorf(mech, ErrMalformed, "data after the terminating 0x01 (RFC 7628 section 3.1)")
			}
			return nil
		}
		pair := b[:i]
		b = b[i+1:]
		eq := bytes.IndexByte(pair, '=')
		if eq < 0 || !oauthIsKey(pair[:eq]) {
			return errorf(mech, ErrMalformed, "key/value pair without a 1*ALPHA key and '=' (RFC 7628 section 3.1)")
		}
		if err := f(pair[:eq], pair[eq+1:]); err != nil {
			return err
		}
	}
}

// oauthIsB64Token reports whether t is a b64token (RFC 6750 section 2.1):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func oauthIsB64Token[T string | []byte](t T) bool {
	i := 0
	for ; i < len(t); i++ {
		c := t[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(t); i++ {
		if t[i] != '=' {
			return false
		}
	}
	return true
}

// oauthParseBearer returns the token of an HTTP Authorization value of the
// form "Bearer" 1*SP b64token (RFC 6750 section 2.1); the scheme name is
// case-insensitive (RFC 7628 section 4). The token aliases v.
func oauthParseBearer(v []byte) ([]byte, bool) {
	const scheme = "bearer"
	if len(v) <= len(scheme) || !bytes.EqualFold(v[:len(scheme)], []byte(scheme)) || v[len(scheme)] != ' ' {
		return nil, false
	}
	tok := bytes.TrimLeft(v[len(scheme):], " ")
	if !oauthIsB64Token(tok) {
		return nil, false
	}
	return tok, true
}

// oauthErrorDoc is the JSON error document of RFC 7628 section 3.2.2, with
// Google's "schemes" (XOAUTH2). The field order gives the published
// examples byte for byte.
type oauthErrorDoc struct {
	Status              string `json:"status"`
	Schemes             string `json:"schemes,omitempty"`
	Scope               string `json:"scope,omitempty"`
	OpenIDConfiguration string `json:"openid-configuration,omitempty"`
}

// oauthAppendError appends the JSON error document for te to dst. status is
// REQUIRED (RFC 7628 section 3.2.2): defStatus stands in when te has none.
// A document that would exceed MaxResponse, since te's fields come from the
// application, is replaced by one holding only defStatus.
func oauthAppendError(dst []byte, te *TokenError, defStatus string) []byte {
	doc := oauthErrorDoc{Status: defStatus}
	if te != nil {
		doc = oauthErrorDoc{te.Status, te.Schemes, te.Scope, te.OpenIDConfiguration}
		if doc.Status == "" {
			doc.Status = defStatus
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil || buf.Len() > MaxResponse {
		buf.Reset()
		_ = enc.Encode(oauthErrorDoc{Status: defStatus})
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// oauthParseError decodes a server's JSON error document (RFC 7628 section
// 3.2.2). It is lenient where that costs nothing: unknown members are
// ignored, a missing status is accepted, and a number stands for a string
// (some servers send "status":401). It fails on anything that is not a JSON
// object, and on input longer than MaxResponse.
func oauthParseError(b []byte) (*TokenError, error) {
	if len(b) > MaxResponse {
		return nil, ErrTooLong
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, ErrMalformed
	}
	field := func(name string) string {
		raw, ok := m[name]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		return ""
	}
	return &TokenError{
		Status:              field("status"),
		Scope:               field("scope"),
		Schemes:             field("schemes"),
		OpenIDConfiguration: field("openid-configuration"),
	}, nil
}

// oauthClientState is where an oauthClient is in its exchange.
type oauthClientState uint8

const (
	oauthClientNew     oauthClientState = iota // Start not yet called
	oauthClientStarted                         // initial response sent
	oauthClientAcked                           // error challenge answered
	oauthClientDone                            // Finish called, or failed
)

// oauthClient is the client side of XOAUTH2 and OAUTHBEARER: both fetch a
// fresh token at Start, send it in the initial response, and answer a
// server error challenge with a fixed message before the failure arrives.
type oauthClient struct {
	mech  string
	ts    TokenSource
	build func(dst []byte, token string) []byte // the initial response
	ack   []byte                                // answer to the error challenge

	state   oauthClientState
	resent  bool
	ir      []byte
	refused *TokenError
}

func (c *oauthClient) Name() string { return c.mech }

// Start asks the TokenSource for a token (once per exchange: access tokens
// expire) and returns the initial response. A TokenSource error is returned
// wrapped; a token that is not a b64token (RFC 6750 section 2.1) is refused
// without being quoted.
func (c *oauthClient) Start(ctx context.Context) ([]byte, bool, error) {
	if c.state != oauthClientNew {
		return nil, false, errorf(c.mech, ErrSequence, "Start called twice")
	}
	c.state = oauthClientDone
	tok, err := c.ts.Token(ctx)
	if err != nil {
		return nil, false, errorf(c.mech, err, "token source failed")
	}
	if !oauthIsB64Token(tok) {
		return nil, false, errorf(c.mech, ErrMalformed, "token source returned an empty token or one that is not an RFC 6750 section 2.1 b64token")
	}
	c.ir = c.build(c.ir[:0], tok)
	if len(c.ir) > MaxResponse {
		c.wipe()
		return nil, false, errorf(c.mech, ErrTooLong, "initial response longer than MaxResponse")
	}
	c.state = oauthClientStarted
	return c.ir, true, nil
}

// Next answers a server challenge. The only challenge these mechanisms know
// is the JSON error document (RFC 7628 section 3.2.2), answered with c.ack
// (RFC 7628 section 3.2.3). An empty first challenge means the initial
// response was not sent with AUTH, and gets it (RFC 4422 section 5). A
// challenge that is not a JSON object, or one after the error document, is
// an error: the caller cancels, which RFC 7628 section 3.2.3 also allows.
func (c *oauthClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	switch c.state {
	case oauthClientStarted:
	case oauthClientAcked:
		c.state = oauthClientDone
		return nil, errorf(c.mech, ErrMalformed, "server sent a challenge after its error challenge (RFC 7628 section 3.2.3)")
	default:
		return nil, errorf(c.mech, ErrSequence, "Next called before Start or after the end")
	}
	if len(challenge) == 0 && !c.resent {
		c.resent = true
		return c.ir, nil
	}
	te, err := oauthParseError(challenge)
	if err != nil {
		c.state = oauthClientDone
		return nil, errorf(c.mech, err, "server challenge is not a JSON error document (RFC 7628 section 3.2.2)")
	}
	c.wipe()
	c.refused = te
	c.state = oauthClientAcked
	return c.ack, nil
}

// Finish ends the exchange and wipes the initial response, which holds the
// token. After a failure that followed an error challenge it returns the
// server's details as an *Error wrapping a *TokenError, so a caller can
// refresh its token and retry; otherwise nil.
func (c *oauthClient) Finish(ok bool) error {
	c.wipe()
	c.state = oauthClientDone
	if ok || c.refused == nil {
		return nil
	}
	return errorf(c.mech, c.refused, "details from the server's error challenge (RFC 7628 section 3.2.2)")
}

// wipe overwrites the initial response, which holds the token.
func (c *oauthClient) wipe() {
	clear(c.ir)
	c.ir = c.ir[:0]
}

// oauthServerState is where an oauthServer is in its exchange.
type oauthServerState uint8

const (
	oauthServerNew     oauthServerState = iota // Start not yet called
	oauthServerWaitIR                          // empty challenge sent, awaiting the first message
	oauthServerRefused                         // error challenge sent, awaiting the client's answer
	oauthServerDone                            // succeeded or failed
)

// oauthServer is the server side of XOAUTH2 and OAUTHBEARER.
type oauthServer struct {
	mech      string
	v         TokenValidator
	parse     func(msg []byte) (TokenRequest, error)
	defStatus string // status of the error document when the validator gave none

	state   oauthServerState
	failure error // the outcome after the error challenge
	buf     []byte
	id      Identity
}

func (s *oauthServer) Name() string { return s.mech }

// Start begins the exchange. Without an initial response it sends an empty
// challenge (RFC 4954 section 4: the mechanisms are client-first).
func (s *oauthServer) Start(ctx context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if s.state != oauthServerNew {
		return nil, false, s.fail(errorf(s.mech, ErrSequence, "Start called twice"))
	}
	if !present {
		s.state = oauthServerWaitIR
		return nil, false, nil
	}
	return s.first(ctx, ir)
}

// Next consumes the first message (after an empty challenge) or the
// client's answer to the error challenge. Whatever that answer is, the
// exchange then fails with the validator's refusal (RFC 7628 section 3.2.3):
// a wrong answer is not a second chance.
func (s *oauthServer) Next(ctx context.Context, resp []byte) ([]byte, bool, error) {
	switch s.state {
	case oauthServerWaitIR:
		return s.first(ctx, resp)
	case oauthServerRefused:
		s.state = oauthServerDone
		if len(resp) > MaxResponse {
			return nil, false, errorf(s.mech, ErrTooLong, "answer to the error challenge longer than MaxResponse")
		}
		return nil, false, s.failure
	}
	return nil, false, s.fail(errorf(s.mech, ErrSequence, "Next called before Start or after the end"))
}

// Identity returns the identity the validator established.
func (s *oauthServer) Identity() Identity { return s.id }

func (s *oauthServer) fail(err error) error {
	s.state = oauthServerDone
	return err
}

// first handles the client's initial response: parse, validate, and either
// succeed or send the error document.
func (s *oauthServer) first(ctx context.Context, msg []byte) ([]byte, bool, error) {
	if len(msg) > MaxResponse {
		return nil, false, s.fail(errorf(s.mech, ErrTooLong, "initial response longer than MaxResponse"))
	}
	req, err := s.parse(msg)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			return s.refuse(te, err)
		}
		return nil, false, s.fail(err)
	}
	id, err := s.v.ValidateToken(ctx, req)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) || errors.Is(err, ErrInvalidCredentials) {
			return s.refuse(te, errorf(s.mech, err, "error challenge sent (RFC 7628 section 3.2.2)"))
		}
		return nil, false, s.fail(errorf(s.mech, err, "token validator failed"))
	}
	// A nil error approves the whole request, authzid included, as for
	// PasswordChecker.
	id.Authzid = req.Authzid
	if id.Username == "" {
		id.Username = req.Username
	}
	if id.Username == "" {
		return nil, false, s.fail(errorf(s.mech, ErrTemporary, "token validator accepted the token but named no user"))
	}
	s.id = id
	s.state = oauthServerDone
	return nil, true, nil
}

// refuse sends the error document for te (RFC 7628 section 3.2.2) and
// remembers failure as the outcome once the client has answered.
func (s *oauthServer) refuse(te *TokenError, failure error) ([]byte, bool, error) {
	s.failure = failure
	s.state = oauthServerRefused
	s.buf = oauthAppendError(s.buf[:0], te, s.defStatus)
	return s.buf, false, nil
}

// oauthServerMechanism makes oauthServers.
type oauthServerMechanism struct {
	mech      string
	v         TokenValidator
	parse     func(msg []byte) (TokenRequest, error)
	defStatus string
}

func (m *oauthServerMechanism) Name() string { return m.mech }

// Available reports whether a validator is configured. Offering these
// cleartext mechanisms only under TLS is the Registry's part (Cleartext).
func (m *oauthServerMechanism) Available(ConnState) bool { return m.v != nil }

// NewServer starts a Server for one exchange. It fails with ErrUnsupported
// when no validator is configured.
func (m *oauthServerMechanism) NewServer(ConnState) (Server, error) {
	if m.v == nil {
		return nil, errorf(m.mech, ErrUnsupported, "no TokenValidator configured")
	}
	return &oauthServer{mech: m.mech, v: m.v, parse: m.parse, defStatus: m.defStatus}, nil
}

// oauthParsePort parses a port value: a decimal positive integer without
// leading zeros (RFC 7628 section 3.1), at most 65535.
func oauthParsePort(v []byte) (int, bool) {
	if len(v) == 0 || len(v) > 5 || v[0] == '0' {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n > 65535 {
		return 0, false
	}
	return n, true
}
