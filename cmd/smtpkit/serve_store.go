package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/wire"
)

// store is serve's Handler: it delivers each message into the Maildir (or
// discards it) and logs one line per accepted message. It is safe for
// concurrent use; each connection gets its own storeSession.
type store struct {
	hostname string
	dir      string // the Maildir's root; empty under --discard
	caFile   string
	log      *slog.Logger // one line per accepted message (standard output)
	errs     *slog.Logger // what went wrong (serve's log, standard error)
	count    atomic.Int64
}

// Connect implements server.Handler.
func (st *store) Connect(_ context.Context, c *server.ConnInfo) (server.Session, error) {
	return &storeSession{st: st, info: c}, nil
}

// storeSession is one connection's transaction state.
type storeSession struct {
	st   *store
	info *server.ConnInfo
	from string
	utf8 bool
	to   []string
	id   string // the queue ID of the last accepted message
}

func (s *storeSession) Mail(from string, p *wire.MailParams) error {
	s.from, s.utf8 = from, p.SMTPUTF8
	return nil
}

func (s *storeSession) Rcpt(to string, _ *wire.RcptParams) error {
	s.to = append(s.to, to)
	return nil
}

// Data stores the message with a Return-Path header (RFC 5321 section
// 4.4: the final delivery adds it) and a Received header. A message whose
// reader fails is incomplete: the Maildir's tmp file is removed and nothing
// is logged as accepted.
func (s *storeSession) Data(r io.Reader) error {
	id, err := newQueueID()
	if err != nil {
		return err
	}
	cr := &countReader{r: r}
	file := ""
	if s.st.dir == "" {
		if _, err := io.Copy(io.Discard, cr); err != nil {
			return err
		}
	} else {
		name, err := server.Maildir{Path: s.st.dir}.Deliver(io.MultiReader(bytes.NewReader(s.traceHeader(id)), cr))
		if err != nil {
			var se *server.StorageError
			if errors.As(err, &se) {
				// Answered 452 4.3.1; the operator must learn why.
				s.st.errs.Warn("not stored", slog.String("from", s.from), slog.String("client", s.info.RemoteAddr.String()), slog.Any("err", err))
			}
			return err
		}
		file = filepath.Join(s.st.dir, "new", name)
	}
	s.id = id
	s.st.count.Add(1)
	attrs := []any{
		slog.String("id", id),
		slog.String("from", s.from),
		slog.String("to", strings.Join(s.to, ",")),
		slog.Int64("size", cr.n),
		slog.String("client", s.info.RemoteAddr.String()),
	}
	if s.info.TLS != nil {
		attrs = append(attrs, slog.String("tls", s.info.TLS.VersionName()))
	}
	if s.info.Identity != nil {
		attrs = append(attrs, slog.String("auth", s.info.Identity.Username))
	}
	if file != "" {
		attrs = append(attrs, slog.String("file", file))
	}
	s.st.log.Info("accepted", attrs...)
	return nil
}

// traceHeader is the Return-Path and Received header fields of the message
// with queue ID id, made only for a message that is stored: under
// --discard nobody would read them.
func (s *storeSession) traceHeader(id string) []byte {
	rcpt := ""
	if len(s.to) == 1 {
		rcpt = s.to[0] // RFC 5321 section 4.4: "for" only with one recipient
	}
	hdr := append([]byte("Return-Path: <"), s.from...)
	hdr = append(hdr, ">\r\n"...)
	return server.AppendReceived(hdr, s.info.ReceivedFor(id, rcpt, s.utf8, time.Now()))
}

// QueueID implements server.QueueSession: the reply to a message names it.
func (s *storeSession) QueueID() string { return s.id }

func (s *storeSession) Reset() { s.from, s.utf8, s.to = "", false, s.to[:0] }

func (s *storeSession) Logout() error { return nil }

// countReader counts the octets read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newQueueID makes a random queue ID of 16 base32 characters (80 bits).
func newQueueID() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base32.StdEncoding.EncodeToString(b[:]), nil
}

// users is the --user table: prepared name to prepared password.
type users map[string]string

// userRegistry builds the AUTH mechanisms for the --user NAME:PASSWORD
// list: PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-1 and
// SCRAM-SHA-256 with their -PLUS forms (RFC 5802, RFC 7677). SCRAM
// credentials are derived once, here; the passwords stay in memory for the
// others.
func userRegistry(list []string, hostname string, insecure bool) (*auth.Registry, error) {
	us := users{}
	scram := map[auth.SCRAMHash]map[string]auth.SCRAMCredentials{auth.SCRAMSHA1: {}, auth.SCRAMSHA256: {}}
	for _, entry := range list {
		name, pass, ok := strings.Cut(entry, ":")
		if !ok || name == "" || pass == "" {
			return nil, usagef("--user %q: %v", redactUser(entry), errNoColon)
		}
		pname, err := auth.PrepareUsername(name)
		if err != nil {
			return nil, usagef("--user %q: %v", name, err)
		}
		ppass, err := auth.PreparePassword(pass)
		if err != nil {
			return nil, usagef("--user %q: the password is not valid (RFC 8265): %v", name, err)
		}
		if _, dup := us[pname]; dup {
			return nil, usagef("--user %q given twice", name)
		}
		us[pname] = ppass
		for h, m := range scram {
			c, err := auth.NewSCRAMCredentials(h, ppass, 0)
			if err != nil {
				return nil, err
			}
			m[pname] = c
		}
	}
	reg := &auth.Registry{AllowCleartext: insecure}
	reg.Register(auth.SCRAMServer(auth.SCRAMSHA256, true, scramStore(scram)))
	reg.Register(auth.SCRAMServer(auth.SCRAMSHA256, false, scramStore(scram)))
	reg.Register(auth.SCRAMServer(auth.SCRAMSHA1, true, scramStore(scram)))
	reg.Register(auth.SCRAMServer(auth.SCRAMSHA1, false, scramStore(scram)))
	reg.Register(auth.CRAMMD5Server(us, hostname))
	reg.Register(auth.PlainServer(us))
	reg.Register(auth.LoginServer(us))
	return reg, nil
}

// redactUser keeps the name of a NAME:PASSWORD entry for an error message.
func redactUser(entry string) string {
	name, _, _ := strings.Cut(entry, ":")
	return name + ":…"
}

// CheckPassword implements auth.PasswordChecker in constant time per
// password. An authorization identity other than the user's own is refused
// (RFC 4616 section 2).
func (us users) CheckPassword(_ context.Context, authzid, username, password string) error {
	want, ok := us[username]
	if !ok {
		want = "\x00" // compare anyway, so a missing user takes as long
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 || !ok {
		return auth.ErrInvalidCredentials
	}
	if authzid != "" && authzid != username {
		return auth.ErrAuthzDenied
	}
	return nil
}

// Secret implements auth.SecretStore for CRAM-MD5.
func (us users) Secret(_ context.Context, username string) ([]byte, error) {
	if p, ok := us[username]; ok {
		return []byte(p), nil
	}
	return nil, auth.ErrInvalidCredentials
}

// scramStore serves the SCRAM credentials derived at start.
type scramStore map[auth.SCRAMHash]map[string]auth.SCRAMCredentials

func (s scramStore) SCRAMCredentials(_ context.Context, h auth.SCRAMHash, username string) (auth.SCRAMCredentials, error) {
	if c, ok := s[h][username]; ok {
		return c, nil
	}
	return auth.SCRAMCredentials{}, fmt.Errorf("scram: %w", auth.ErrInvalidCredentials)
}
