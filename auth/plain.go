package auth

import (
	"bytes"
	"context"
	"unicode/utf8"
)

// namePlain is the PLAIN mechanism's name (RFC 4616 section 2).
const namePlain = "PLAIN"

// PlainClient returns the client side of PLAIN (RFC 4616): one message,
// "[authzid] NUL authcid NUL passwd", sent as the initial response.
// authzid may be empty to act as the user's own identity. The password
// crosses the wire as it is, so Choose and the Registry use PLAIN only
// under TLS unless told otherwise (RFC 4954 section 4). The fields must be
// valid UTF-8 without NUL (RFC 4616 section 2), username and password
// non-empty; NewClient reports a violation. The fields are sent as given:
// the server prepares them (RFC 4616 section 2). A driver that sends no
// initial response gets an empty challenge, which Next answers with the
// same message. The result is safe for concurrent use.
func PlainClient(authzid, username, password string) ClientMechanism {
	return &plainClientMech{authzid: authzid, username: username, password: password}
}

type plainClientMech struct{ authzid, username, password string }

func (m *plainClientMech) Name() string { return namePlain }

func (m *plainClientMech) NewClient(ConnState) (Client, error) {
	// RFC 4616 section 2: authcid and passwd are 1*SAFE, authzid *SAFE,
	// where SAFE is any UTF-8 character but NUL.
	if m.username == "" || m.password == "" {
		return nil, errorf(namePlain, ErrMalformed, "user name and password must not be empty (RFC 4616 section 2)")
	}
	for _, f := range [...]struct{ what, v string }{
		{"authorization identity", m.authzid}, {"user name", m.username}, {"password", m.password},
	} {
		if err := checkText(namePlain, f.what, f.v); err != nil {
			return nil, err
		}
	}
	n := len(m.authzid) + len(m.username) + len(m.password) + 2
	if n > MaxResponse {
		return nil, errorf(namePlain, ErrTooLong, "PLAIN message exceeds MaxResponse")
	}
	msg := make([]byte, 0, n)
	msg = append(msg, m.authzid...)
	msg = append(msg, 0)
	msg = append(msg, m.username...)
	msg = append(msg, 0)
	msg = append(msg, m.password...)
	return &singleClient{seq: seq{mech: namePlain}, msg: msg}, nil
}

// PlainServer returns the server side of PLAIN (RFC 4616) over check. The
// message may come as the initial response or, when the AUTH command has
// none, after an empty challenge (RFC 4954 section 4). It is parsed
// strictly: exactly two NULs, a non-empty authcid and password, valid
// UTF-8, no more than MaxResponse octets in all (so each field may be far
// longer than the 255 octets RFC 4616 section 2 requires servers to
// accept). authcid, password and a non-empty authzid are prepared with
// PrepareUsername and PreparePassword before check sees them (RFC 4616
// section 2). The result is safe for concurrent use if check is.
func PlainServer(check PasswordChecker) ServerMechanism {
	return &plainServerMech{check: check}
}

type plainServerMech struct{ check PasswordChecker }

func (m *plainServerMech) Name() string { return namePlain }

// Available reports true: whether PLAIN needs TLS is the Registry's rule.
func (m *plainServerMech) Available(ConnState) bool { return true }

func (m *plainServerMech) NewServer(ConnState) (Server, error) {
	if m.check == nil {
		return nil, errorf(namePlain, ErrUnsupported, "no PasswordChecker configured")
	}
	return newSingleServer(namePlain, m), nil
}

// parsePlain splits a PLAIN message into its three fields (RFC 4616
// section 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd). The
// fields alias msg.
func parsePlain(msg []byte) (authzid, authcid, passwd []byte, err error) {
	i := bytes.IndexByte(msg, 0)
	if i < 0 {
		return nil, nil, nil, errorf(namePlain, ErrMalformed, "message has no NUL separator (RFC 4616 section 2)")
	}
	j := bytes.IndexByte(msg[i+1:], 0)
	if j < 0 {
		return nil, nil, nil, errorf(namePlain, ErrMalformed, "message has one NUL separator, not two (RFC 4616 section 2)")
	}
	j += i + 1
	authzid, authcid, passwd = msg[:i], msg[i+1:j], msg[j+1:]
	if bytes.IndexByte(passwd, 0) >= 0 {
		return nil, nil, nil, errorf(namePlain, ErrMalformed, "message has more than two NUL separators (RFC 4616 section 2)")
	}
	if len(authcid) == 0 || len(passwd) == 0 {
		return nil, nil, nil, errorf(namePlain, ErrMalformed, "empty authentication identity or password (RFC 4616 section 2)")
	}
	// Checked here because preparation would turn invalid octets into
	// U+FFFD, and distinct passwords into one.
	if !utf8.Valid(msg) {
		return nil, nil, nil, errorf(namePlain, ErrMalformed, "message is not valid UTF-8 (RFC 4616 section 2)")
	}
	return authzid, authcid, passwd, nil
}

func (m *plainServerMech) verifyMessage(ctx context.Context, msg []byte) (Identity, error) {
	rawZ, rawC, rawP, err := parsePlain(msg)
	if err != nil {
		return Identity{}, err
	}
	// RFC 4616 section 2: the server prepares authcid and passwd; if
	// preparation fails or gives an empty string, verification fails.
	user, err := PrepareUsername(string(rawC))
	if err != nil {
		return Identity{}, withMechanism(namePlain, err)
	}
	pass, err := PreparePassword(string(rawP))
	if err != nil {
		return Identity{}, withMechanism(namePlain, err)
	}
	var authzid string
	if len(rawZ) > 0 {
		// RFC 4954 section 4: an authzid that is empty after preparation,
		// though not sent empty, fails the exchange.
		if authzid, err = PrepareUsername(string(rawZ)); err != nil {
			return Identity{}, withMechanism(namePlain, err)
		}
	}
	if err := m.check.CheckPassword(ctx, authzid, user, pass); err != nil {
		return Identity{}, verifierError(namePlain, err)
	}
	return Identity{Username: user, Authzid: authzid}, nil
}
