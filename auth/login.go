package auth

import (
	"context"
	"unicode/utf8"
)

// nameLogin is the LOGIN mechanism's name (draft-murchison-sasl-login-00).
const nameLogin = "LOGIN"

// The prompts a LOGIN server sends. The draft suggests "User Name" and
// "Password"; SMTP servers send these, and clients ignore the text
// (draft-murchison-sasl-login-00).
const (
	loginUserPrompt = "Username:"
	loginPassPrompt = "Password:"
)

// LoginClient returns the client side of LOGIN, the obsolete mechanism
// documented by draft-murchison-sasl-login-00 (never an RFC; prefer PLAIN,
// which Choose ranks higher). The client sends no initial response: it
// answers the first challenge with username and the second with password,
// whatever their text, as the draft's client does and every server
// accepts. A third challenge fails the exchange. username and password
// must be non-empty, valid UTF-8 without NUL; NewClient reports a
// violation. Like PLAIN, LOGIN exposes the password, so Choose and the
// Registry use it only under TLS unless told otherwise (RFC 4954 section
// 4). The result is safe for concurrent use.
func LoginClient(username, password string) ClientMechanism {
	return &loginClientMech{username: username, password: password}
}

type loginClientMech struct{ username, password string }

func (m *loginClientMech) Name() string { return nameLogin }

func (m *loginClientMech) NewClient(ConnState) (Client, error) {
	if m.username == "" || m.password == "" {
		return nil, errorf(nameLogin, ErrMalformed, "user name and password must not be empty")
	}
	if err := checkText(nameLogin, "user name", m.username); err != nil {
		return nil, err
	}
	if err := checkText(nameLogin, "password", m.password); err != nil {
		return nil, err
	}
	return &loginClient{seq: seq{mech: nameLogin}, user: []byte(m.username), pass: []byte(m.password)}, nil
}

type loginClient struct {
	seq
	user, pass []byte
}

func (c *loginClient) Name() string { return nameLogin }

// Start returns no initial response.
func (c *loginClient) Start(context.Context) ([]byte, bool, error) {
	if err := c.begin(nil); err != nil {
		return nil, false, err
	}
	c.step = stepWait
	return nil, false, nil
}

// Next answers the first challenge with the user name and the second with
// the password; their text is ignored (draft-murchison-sasl-login-00).
func (c *loginClient) Next(_ context.Context, challenge []byte) ([]byte, error) {
	if err := c.next(challenge); err != nil {
		return nil, err
	}
	if c.step == stepWait {
		c.step = stepWait2
		return c.user, nil
	}
	c.step = stepSent
	return c.pass, nil
}

// Finish accepts the outcome; LOGIN does not authenticate the server.
func (c *loginClient) Finish(bool) error { return c.finish() }

// LoginServer returns the server side of LOGIN over check. It prompts
// "Username:" and "Password:" (RFC 4954 section 4 carries each as a 334
// challenge). An initial response on the AUTH command is taken as the user
// name, and only the password is asked for, as many clients send it
// (aiosmtpd's "login2" form); "AUTH LOGIN =" gives an empty user name and
// fails. User name and password must be non-empty and are prepared with
// PrepareUsername and PreparePassword before check sees them, with an
// empty authzid: LOGIN has none. The result is safe for concurrent use if
// check is.
func LoginServer(check PasswordChecker) ServerMechanism {
	return &loginServerMech{check: check}
}

type loginServerMech struct{ check PasswordChecker }

func (m *loginServerMech) Name() string { return nameLogin }

// Available reports true: whether LOGIN needs TLS is the Registry's rule.
func (m *loginServerMech) Available(ConnState) bool { return true }

func (m *loginServerMech) NewServer(ConnState) (Server, error) {
	if m.check == nil {
		return nil, errorf(nameLogin, ErrUnsupported, "no PasswordChecker configured")
	}
	return &loginServer{seq: seq{mech: nameLogin}, check: m.check}, nil
}

type loginServer struct {
	seq
	check PasswordChecker
	user  string // prepared user name, once received
	id    Identity
}

func (s *loginServer) Name() string { return nameLogin }

// Start prompts for the user name, or takes it from the initial response
// and prompts for the password.
func (s *loginServer) Start(_ context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if err := s.begin(ir); err != nil {
		return nil, false, err
	}
	if !present {
		s.step = stepWait
		return []byte(loginUserPrompt), false, nil
	}
	if err := s.takeUser(ir); err != nil {
		return nil, false, err
	}
	s.step = stepWait2
	return []byte(loginPassPrompt), false, nil
}

// Next takes the user name, then the password, and checks them.
func (s *loginServer) Next(ctx context.Context, response []byte) ([]byte, bool, error) {
	if err := s.next(response); err != nil {
		return nil, false, err
	}
	if s.step == stepWait {
		if err := s.takeUser(response); err != nil {
			return nil, false, err
		}
		s.step = stepWait2
		return []byte(loginPassPrompt), false, nil
	}
	if len(response) == 0 {
		return nil, false, s.failf(ErrMalformed, "empty password")
	}
	if !utf8.Valid(response) {
		return nil, false, s.failf(ErrMalformed, "password is not valid UTF-8")
	}
	pass, err := PreparePassword(string(response))
	if err != nil {
		return nil, false, s.fail(withMechanism(nameLogin, err))
	}
	if err := s.check.CheckPassword(ctx, "", s.user, pass); err != nil {
		return nil, false, s.fail(verifierError(nameLogin, err))
	}
	s.id = Identity{Username: s.user}
	s.step = stepDone
	return nil, true, nil
}

func (s *loginServer) takeUser(b []byte) error {
	if len(b) == 0 {
		return s.failf(ErrMalformed, "empty user name")
	}
	// PrepareUsername would turn invalid UTF-8 into U+FFFD; refuse it
	// here, so that distinct octet strings never prepare to one name.
	if !utf8.Valid(b) {
		return s.failf(ErrMalformed, "user name is not valid UTF-8")
	}
	user, err := PrepareUsername(string(b))
	if err != nil {
		return s.fail(withMechanism(nameLogin, err))
	}
	s.user = user
	return nil
}

// Identity returns who authenticated, or the zero Identity before success.
func (s *loginServer) Identity() Identity {
	if s.step != stepDone {
		return Identity{}
	}
	return s.id
}
