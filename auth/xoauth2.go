package auth

import "bytes"

// XOAUTH2 is Google's SASL mechanism for OAuth 2.0 bearer tokens, which
// predates RFC 7628 and is still what Gmail and Microsoft 365 document. It
// is not an RFC; the format is Google's "OAuth 2.0 Mechanism" page:
//
//	"user=" {User} 0x01 "auth=Bearer " {Token} 0x01 0x01
//
// On a refused token the server sends a base64 JSON error as a 334
// challenge, the client answers with an empty line, and the server ends
// with 535.

const (
	xoauth2Name = "XOAUTH2"
	// xoauth2Status is the status of the error document when the validator
	// gives none: Google sends HTTP status codes ("400", "401").
	xoauth2Status = "401"
)

// XOAUTH2Client returns the client side of XOAUTH2 for username. Each
// exchange asks ts for a token at Start (access tokens expire, often
// hourly), so one value serves every connection; a TokenSource error is
// returned from Start. When the server refuses the token with a JSON error
// challenge, the client answers with an empty response and Finish(false)
// returns an *Error wrapping a *TokenError with the server's status and
// scope, from which a caller may decide to refresh the token and retry.
//
// username is prepared with PrepareUsername; NewClient fails if it is empty
// or cannot be prepared, or if ts is nil. The mechanism is safe for
// concurrent use if ts is.
func XOAUTH2Client(username string, ts TokenSource) ClientMechanism {
	return &xoauth2ClientMech{user: username, ts: ts}
}

type xoauth2ClientMech struct {
	user string
	ts   TokenSource
}

func (m *xoauth2ClientMech) Name() string { return xoauth2Name }

func (m *xoauth2ClientMech) NewClient(ConnState) (Client, error) {
	if m.ts == nil {
		return nil, errorf(xoauth2Name, ErrUnsupported, "no TokenSource configured")
	}
	user, err := PrepareUsername(m.user)
	if err != nil {
		return nil, errorf(xoauth2Name, ErrMalformed, "user name is empty or not an RFC 8265 OpaqueString")
	}
	return &oauthClient{
		mech:  xoauth2Name,
		ts:    m.ts,
		build: func(dst []byte, token string) []byte { return xoauth2Append(dst, user, token) },
		ack:   []byte{},
	}, nil
}

// xoauth2Append appends the XOAUTH2 initial response for user and token.
func xoauth2Append(dst []byte, user, token string) []byte {
	dst = oauthAppendKV(dst, "user", user)
	dst = append(dst, "auth=Bearer "...)
	dst = append(dst, token...)
	return append(dst, oauthKVSep, oauthKVSep)
}

// XOAUTH2Server returns the server side of XOAUTH2, which asks v about the
// token. Without an initial response it sends an empty challenge. The
// message is parsed strictly: exactly the keys user and auth, in that
// order, with the RFC 7628 section 3.1 kvpair syntax, and an auth value of
// "Bearer" 1*SP b64token (RFC 6750 section 2.1, scheme name in any case).
// Anything else ends the exchange with ErrMalformed (501).
//
// The TokenRequest carries Username (prepared with PrepareUsername) and
// Token; v must check that the token belongs to Username. When v refuses
// the token with a *TokenError (or any error wrapping
// ErrInvalidCredentials), its details go to the client as a JSON error
// challenge, with status "401" if it has none; the client's answer, which
// should be empty, ends the exchange with that error (535 through Reply).
// Other errors end the exchange at once. The Identity is v's, with
// Username defaulting to the request's. Options are accepted for symmetry
// and ignored. The mechanism is safe for concurrent use if v is.
func XOAUTH2Server(v TokenValidator, opts ...Option) ServerMechanism {
	return &oauthServerMechanism{mech: xoauth2Name, v: v, parse: xoauth2Parse, defStatus: xoauth2Status}
}

// xoauth2Parse parses an XOAUTH2 initial response.
func xoauth2Parse(msg []byte) (TokenRequest, error) {
	req := TokenRequest{Mechanism: xoauth2Name}
	n := 0
	var token []byte
	err := oauthKVPairs(xoauth2Name, msg, func(key, value []byte) error {
		n++
		switch {
		case n == 1 && bytes.Equal(key, []byte("user")):
			user, err := PrepareUsername(string(value))
			if err != nil {
				return errorf(xoauth2Name, ErrMalformed, "user is empty or not an RFC 8265 OpaqueString")
			}
			req.Username = user
		case n == 2 && bytes.Equal(key, []byte("auth")):
			tok, ok := oauthParseBearer(value)
			if !ok {
				return errorf(xoauth2Name, ErrMalformed, "auth is not \"Bearer\" 1*SP b64token (RFC 6750 section 2.1)")
			}
			token = tok
		default:
			return errorf(xoauth2Name, ErrMalformed, "expected user= then auth= and nothing else (Google XOAUTH2 format)")
		}
		return nil
	})
	if err != nil {
		return TokenRequest{}, err
	}
	if n != 2 {
		return TokenRequest{}, errorf(xoauth2Name, ErrMalformed, "expected user= then auth= and nothing else (Google XOAUTH2 format)")
	}
	req.Token = string(token)
	return req, nil
}
