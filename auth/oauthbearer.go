package auth

import (
	"bytes"
	"strconv"
)

// OAUTHBEARER (RFC 7628) carries an OAuth 2.0 bearer token (RFC 6750) in a
// GS2 header (RFC 5801 section 4) followed by 0x01-separated key/value
// pairs:
//
//	"n,a=" authzid "," 0x01 "host=" host 0x01 "port=" port 0x01 "auth=Bearer " token 0x01 0x01
//
// On a refused token the server sends a JSON error document (RFC 7628
// section 3.2.2) as a challenge, the client answers with a single 0x01
// (RFC 7628 section 3.2.3), and the server ends with the failure.

const (
	oauthBearerName = "OAUTHBEARER"
	// oauthBearerStatus is the status of the error document when the
	// validator gives none (RFC 6750 section 3.1).
	oauthBearerStatus = "invalid_token"
)

// OAuthBearerClient returns the client side of OAUTHBEARER (RFC 7628). The
// GS2 header names authzid ("n,," when it is empty), and the host= and
// port= pairs come from the ConnState's ServerName and Port, left out when
// those are unset (RFC 7628 section 3.1). Each exchange asks ts for a token
// at Start, so one value serves every connection; a TokenSource error is
// returned from Start. When the server refuses the token with a JSON error
// challenge, the client answers with a single 0x01 (RFC 7628 section 3.2.3)
// and Finish(false) returns an *Error wrapping the server's *TokenError.
//
// NewClient fails if ts is nil, if authzid cannot be prepared with
// PrepareUsername, or if ServerName or Port cannot be sent as a value (RFC
// 7628 section 3.1). The mechanism is safe for concurrent use if ts is.
func OAuthBearerClient(authzid string, ts TokenSource) ClientMechanism {
	return &oauthBearerClientMech{authzid: authzid, ts: ts}
}

type oauthBearerClientMech struct {
	authzid string
	ts      TokenSource
}

func (m *oauthBearerClientMech) Name() string { return oauthBearerName }

func (m *oauthBearerClientMech) NewClient(cs ConnState) (Client, error) {
	if m.ts == nil {
		return nil, errorf(oauthBearerName, ErrUnsupported, "no TokenSource configured")
	}
	authzid := m.authzid
	if authzid != "" {
		var err error
		if authzid, err = PrepareUsername(authzid); err != nil {
			return nil, errorf(oauthBearerName, ErrMalformed, "authzid is not an RFC 8265 OpaqueString")
		}
	}
	// RFC 7628 section 3.1: host is the name the client connected to, port
	// a decimal positive integer; both must fit the value rule.
	if !oauthIsHost(cs.ServerName) {
		return nil, errorf(oauthBearerName, ErrMalformed, "ConnState.ServerName cannot be sent as host= (RFC 7628 section 3.1)")
	}
	if cs.Port < 0 || cs.Port > 65535 {
		return nil, errorf(oauthBearerName, ErrMalformed, "ConnState.Port out of range for port= (RFC 7628 section 3.1)")
	}
	host, port := cs.ServerName, cs.Port
	return &oauthClient{
		mech: oauthBearerName,
		ts:   m.ts,
		build: func(dst []byte, token string) []byte {
			return oauthBearerAppend(dst, authzid, host, port, token)
		},
		ack: []byte{oauthKVSep},
	}, nil
}

// oauthIsHost reports whether h may be sent as host=: empty (left out) or
// VCHARs only.
func oauthIsHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] < 0x21 || h[i] > 0x7e {
			return false
		}
	}
	return true
}

// oauthBearerAppend appends an OAUTHBEARER initial response (RFC 7628
// section 3.1). host is left out when empty, port when zero.
func oauthBearerAppend(dst []byte, authzid, host string, port int, token string) []byte {
	dst = append(dst, "n,"...)
	if authzid != "" {
		dst = append(dst, "a="...)
		dst = appendSASLName(dst, authzid)
	}
	dst = append(dst, ',', oauthKVSep)
	if host != "" {
		dst = oauthAppendKV(dst, "host", host)
	}
	if port != 0 {
		dst = append(dst, "port="...)
		dst = strconv.AppendInt(dst, int64(port), 10)
		dst = append(dst, oauthKVSep)
	}
	dst = append(dst, "auth=Bearer "...)
	dst = append(dst, token...)
	return append(dst, oauthKVSep, oauthKVSep)
}

// OAuthBearerServer returns the server side of OAUTHBEARER (RFC 7628),
// which asks v about the token. It never panics, whatever the client sends
// (the go-sasl server does on an empty response). Without an initial
// response it sends an empty challenge. The message is parsed strictly:
//
//   - The GS2 header (RFC 5801 section 4) must be "n," or "y," then an
//     optional "a=" saslname with only the =2C and =3D escapes, then ",".
//     "p=" is refused: OAUTHBEARER has no -PLUS variant to bind a channel
//     to. So is the form without a GS2 header that old curl releases sent
//     ("user=..." 0x01 ...): it is not RFC 7628, and accepting it would
//     need an option that options.go does not have.
//   - Then 0x01 and kvpairs (RFC 7628 section 3.1: key = 1*ALPHA, value =
//     *(VCHAR / SP / HTAB / CR / LF)), ended by 0x01 with nothing after.
//     auth is REQUIRED; auth, host and port may each appear once; port is
//     a decimal without leading zeros; unknown keys are ignored.
//   - A lone 0x01 as the first message fails (RFC 7628 section 3.1 allows
//     it only after an error challenge).
//
// These failures end the exchange with ErrMalformed (501), and a message
// over MaxResponse with ErrTooLong (500). An auth value that is not
// "Bearer" 1*SP b64token (RFC 6750 section 2.1), such as the empty one a
// client sends to discover the scope (RFC 7628 section 4.3), gets the error
// challenge with status "invalid_request" without reaching v.
//
// The TokenRequest carries Authzid (prepared with PrepareUsername), Host,
// Port and Token. v must check that host and port name this server (RFC
// 7628 section 3.2) and that the token's owner may act as Authzid, and must
// return the Identity's Username. When v refuses the token with a
// *TokenError (or any error wrapping ErrInvalidCredentials), its details
// go to the client as the JSON error challenge (RFC 7628 section 3.2.2,
// status "invalid_token" if it has none); the client's answer, which should
// be a single 0x01, ends the exchange with that error (535 through Reply).
// Other errors end the exchange at once. Options are accepted for symmetry
// and ignored. The mechanism is safe for concurrent use if v is.
func OAuthBearerServer(v TokenValidator, opts ...Option) ServerMechanism {
	return &oauthServerMechanism{mech: oauthBearerName, v: v, parse: oauthBearerParse, defStatus: oauthBearerStatus}
}

// oauthBearerParse parses an OAUTHBEARER initial response.
func oauthBearerParse(msg []byte) (TokenRequest, error) {
	switch {
	case len(msg) == 0:
		return TokenRequest{}, errorf(oauthBearerName, ErrMalformed, "empty initial response (RFC 7628 section 3.1)")
	case len(msg) == 1 && msg[0] == oauthKVSep:
		return TokenRequest{}, errorf(oauthBearerName, ErrInvalidCredentials, "a lone 0x01 is valid only after an error challenge (RFC 7628 section 3.1)")
	}
	authzid, rest, err := oauthParseGS2(msg)
	if err != nil {
		return TokenRequest{}, err
	}
	if len(rest) == 0 || rest[0] != oauthKVSep {
		return TokenRequest{}, errorf(oauthBearerName, ErrMalformed, "no 0x01 after the GS2 header (RFC 7628 section 3.1)")
	}
	req := TokenRequest{Mechanism: oauthBearerName, Authzid: authzid}
	var auth []byte
	var seenAuth, seenHost, seenPort bool
	dup := func(seen *bool) error {
		if *seen {
			return errorf(oauthBearerName, ErrMalformed, "auth, host or port given twice (RFC 7628 section 3.1)")
		}
		*seen = true
		return nil
	}
	err = oauthKVPairs(oauthBearerName, rest[1:], func(key, value []byte) error {
		if !oauthIsValue(value) {
			return errorf(oauthBearerName, ErrMalformed, "value with a character outside VCHAR / SP / HTAB / CR / LF (RFC 7628 section 3.1)")
		}
		switch string(key) {
		case "auth":
			auth = value
			return dup(&seenAuth)
		case "host":
			req.Host = string(value)
			return dup(&seenHost)
		case "port":
			p, ok := oauthParsePort(value)
			if !ok {
				return errorf(oauthBearerName, ErrMalformed, "port is not a decimal in 1..65535 without leading zeros (RFC 7628 section 3.1)")
			}
			req.Port = p
			return dup(&seenPort)
		}
		return nil // RFC 7628 section 3.1: unknown keys MUST be ignored.
	})
	if err != nil {
		return TokenRequest{}, err
	}
	if !seenAuth {
		return TokenRequest{}, errorf(oauthBearerName, ErrMalformed, "no auth= pair, which is REQUIRED (RFC 7628 section 3.1)")
	}
	tok, ok := oauthParseBearer(auth)
	if !ok {
		return TokenRequest{}, errorf(oauthBearerName, &TokenError{Status: "invalid_request"},
			"auth= holds no \"Bearer\" 1*SP b64token (RFC 6750 section 2.1)")
	}
	req.Token = string(tok)
	return req, nil
}

// oauthParseGS2 parses the GS2 header at the start of b (RFC 5801 section
// 4) and returns the prepared authzid and what follows the header.
func oauthParseGS2(b []byte) (string, []byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte("n,")), bytes.HasPrefix(b, []byte("y,")):
	case bytes.HasPrefix(b, []byte("p=")):
		return "", nil, errorf(oauthBearerName, ErrMalformed, "GS2 flag p= asks for channel binding, which OAUTHBEARER lacks (RFC 5801 section 4)")
	case bytes.HasPrefix(b, []byte("user=")):
		return "", nil, errorf(oauthBearerName, ErrMalformed, "no GS2 header: the pre-RFC 7628 form of old clients (RFC 7628 section 3.1)")
	default:
		return "", nil, errorf(oauthBearerName, ErrMalformed, "GS2 header does not start with \"n,\" or \"y,\" (RFC 5801 section 4)")
	}
	b = b[2:]
	end := bytes.IndexByte(b, ',')
	if end < 0 {
		return "", nil, errorf(oauthBearerName, ErrMalformed, "GS2 header not ended by ',' (RFC 5801 section 4)")
	}
	field, rest := b[:end], b[end+1:]
	if len(field) == 0 {
		return "", rest, nil
	}
	if !bytes.HasPrefix(field, []byte("a=")) {
		return "", nil, errorf(oauthBearerName, ErrMalformed, "GS2 authzid does not start with \"a=\" (RFC 5801 section 4)")
	}
	name, ok := parseSASLName(field[2:])
	if !ok {
		return "", nil, errorf(oauthBearerName, ErrMalformed, "GS2 authzid is not a saslname (RFC 5801 section 4)")
	}
	authzid, err := PrepareUsername(name)
	if err != nil {
		return "", nil, errorf(oauthBearerName, ErrMalformed, "authzid is not an RFC 8265 OpaqueString (RFC 4954 section 4)")
	}
	return authzid, rest, nil
}
