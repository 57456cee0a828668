package fuzz

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/wire"
)

// This file holds the SASL targets: every server mechanism of package auth
// in a Registry, driven through the wire forms of RFC 4954 section 4 (the
// AUTH command with wire.AppendAuth and wire.ParseCommand, each 334
// challenge as a reply line read with wire.ParseReplyLine, each client
// line with wire.AppendAuthResponse, wire.ParseAuthResponse and
// wire.DecodeBase64). The verifiers are saslTruth, the ground truth: one
// account, which records every identity it approves. FuzzSASLServerSteps
// runs auth's own client mechanisms with fuzz-chosen credentials and
// mutates one client line; FuzzSASLServerRaw sends raw lines. auth's
// per-mechanism fuzz targets feed one server at a time without a client.

// saslClient starts client mechanism k (mod 11) with the credentials,
// told what reg offers as the state layer tells it (auth.OfferAware), and
// returns the identity its success must establish.
func saslClient(k uint8, user, pass, authzid string, v *saslTruth, reg *auth.Registry) (auth.Client, auth.Identity, error) {
	var cm auth.ClientMechanism
	var err error
	full, want := auth.Identity{Username: v.user, Authzid: v.authz[2]}, auth.Identity{Username: v.user}
	switch k % 11 {
	case 0, 1, 2, 3: // the registry's order: SHA-256 first, -PLUS first
		cfg := auth.SCRAMClientConfig{Hash: []auth.SCRAMHash{auth.SCRAMSHA256, auth.SCRAMSHA1}[k%11/2], Plus: k%2 == 0,
			Authzid: authzid, Username: user, Password: pass, MinIterations: saslIters}
		cm, err = auth.NewSCRAMClient(cfg, saslOpts()...)
		want = full
	case 4:
		cm, want = auth.PlainClient(authzid, user, pass), full
	case 5:
		cm = auth.LoginClient(user, pass)
	case 6:
		cm = auth.CRAMMD5Client(user, pass)
	case 7:
		cm = auth.XOAUTH2Client(user, auth.StaticToken(saslToken))
	case 8:
		cm, want = auth.OAuthBearerClient(authzid, auth.StaticToken(saslToken)), full
	case 9:
		cm, want = auth.ExternalClient(authzid), full
	default:
		cm, want = auth.AnonymousClient(user), auth.Identity{Trace: user}
	}
	if err != nil {
		return nil, want, err
	}
	if oa, ok := cm.(auth.OfferAware); ok {
		cm = oa.WithOffered(reg.Offered(saslCS))
	}
	c, err := cm.NewClient(saslCS)
	return c, want, err
}

// saslMutation changes one client line: which one (step), how (op: 1
// flips a bit of the octet at pos, 2 cuts the line at pos, 3 appends val;
// with op&4 the base64 wire line is changed instead of the decoded
// message), where and with what.
type saslMutation struct {
	step, op uint8
	pos      uint16
	val      byte
}

// apply returns b changed, and whether it changed.
func (m saslMutation) apply(b []byte) ([]byte, bool) {
	switch m.op & 3 {
	case 1:
		if len(b) > 0 {
			b = bytes.Clone(b)
			b[int(m.pos)%len(b)] ^= 1 << (m.val % 8)
			return b, true
		}
	case 2:
		if len(b) > 0 {
			return b[:int(m.pos)%len(b)], true
		}
	case 3:
		return append(bytes.Clone(b), m.val), true
	}
	return b, false
}

// saslOutcome is how one exchange ended.
type saslOutcome struct {
	ok      bool
	id      auth.Identity
	err     error // the server's error, or the wire's for a line it refused
	mutated bool
	client  error    // the client's Next or Finish error
	mech    string   // the server's mechanism, once started
	present bool     // the AUTH command carried an initial response
	msgs    [][]byte // the messages the server was given, in order
}

// saslRun carries one exchange between client c and the mechanism of the
// registry its AUTH line names, applying mut to the client line it picks.
// A line the wire refuses, or that is no longer AUTH or is "*", ends the
// exchange before the mechanism sees it, as in an SMTP server. The error
// reports a broken invariant of the carriage or of the server's end.
func saslRun(reg *auth.Registry, c auth.Client, mut saslMutation) (saslOutcome, error) {
	ctx := context.Background()
	var out saslOutcome
	ir, hasIR, err := c.Start(ctx)
	if err != nil {
		return out, fmt.Errorf("client Start: %w", err)
	}
	line, err := wire.AppendAuth(nil, c.Name(), ir, hasIR)
	if err != nil {
		return out, fmt.Errorf("AppendAuth: %w", err)
	}
	// Line k goes out mutated if mut picks it: the decoded message, or
	// the wire line, which parse then reads (ok false: the line ended
	// the exchange).
	send := func(k int, msg, line []byte, parse func([]byte) ([]byte, bool, error)) ([]byte, bool) {
		if k != int(mut.step%4) {
			return msg, true
		}
		if mut.op&4 == 0 {
			msg, out.mutated = mut.apply(msg)
			hasIR = hasIR || (k == 0 && out.mutated)
			return msg, true
		}
		line, out.mutated = mut.apply(line[:len(line)-2])
		msg, ok, err := parse(line)
		out.err = err
		return msg, ok && err == nil
	}
	name := c.Name()
	msg, ok := send(0, ir, line, func(l []byte) ([]byte, bool, error) {
		cmd, err := wire.ParseCommand(l, wire.ParseOptions{})
		if err != nil || cmd.Verb != wire.VerbAUTH {
			return nil, false, err
		}
		name, hasIR = string(cmd.Mechanism), cmd.HasInitialResponse
		b, err := wire.DecodeBase64(nil, cmd.InitialResponse)
		return b, true, err
	})
	if !ok {
		return out, nil
	}
	s, err := reg.NewServer(name, saslCS)
	if err != nil {
		out.err = err
		return out, nil
	}
	out.mech, out.present, out.msgs = s.Name(), hasIR, [][]byte{bytes.Clone(msg)}
	ch, done, serr := s.Start(ctx, msg, hasIR)
	for k := 1; serr == nil && !done; k++ {
		if k > 8 {
			return out, errors.New("exchange did not end in 8 rounds")
		}
		if len(ch) > auth.MaxResponse {
			return out, fmt.Errorf("challenge of %d octets", len(ch))
		}
		// The 334 reply carries the challenge in base64 (RFC 4954 4).
		rl, err := wire.ParseReplyLine(bytes.TrimSuffix(wire.AppendReply(nil, reply.Reply{Code: 334, Text: base64.StdEncoding.EncodeToString(ch)}, false), []byte("\r\n")))
		if err != nil {
			return out, fmt.Errorf("334 line: %w", err)
		}
		dch, err := wire.DecodeBase64(nil, rl.Text)
		if err != nil || !bytes.Equal(dch, ch) {
			return out, fmt.Errorf("challenge %q read back as %q (%v)", ch, dch, err)
		}
		resp, cerr := c.Next(ctx, dch)
		if cerr != nil {
			out.client = cerr // the client cancels with "*"
			return out, nil
		}
		msg, ok := send(k, resp, wire.AppendAuthResponse(nil, resp), func(l []byte) ([]byte, bool, error) {
			b64, cancel, err := wire.ParseAuthResponse(l)
			if err != nil || cancel {
				return nil, false, err
			}
			b, err := wire.DecodeBase64(nil, b64)
			return b, true, err
		})
		if !ok {
			return out, nil
		}
		out.msgs = append(out.msgs, bytes.Clone(msg))
		ch, done, serr = s.Next(ctx, msg)
	}
	out.ok, out.id, out.err = serr == nil, s.Identity(), serr
	out.client = c.Finish(out.ok)
	return out, checkServerEnd(s, serr)
}

// checkServerEnd checks how a server ended: a failure is an *auth.Error
// whose reply is one RFC 4954 section 6 gives a client's bad exchange
// (not 454, which the truth never causes, nor 503) and leaves no
// identity; after the end Next fails with ErrSequence or, after a
// failure, that failure again (DESIGN.md: "After a fatal error every call
// returns the same error"), and the outcome stays.
func checkServerEnd(s auth.Server, serr error) error {
	id := s.Identity()
	if serr != nil {
		var ae *auth.Error
		code := auth.Reply(serr).Code
		if !errors.As(serr, &ae) || (code != 500 && code != 501 && code != 535) {
			return fmt.Errorf("server error %v (%T) replies %v", serr, serr, code)
		}
		if s.Identity() != (auth.Identity{}) {
			return fmt.Errorf("identity %+v after failure %v", s.Identity(), serr)
		}
	}
	_, done, err := s.Next(context.Background(), nil)
	if done || err == nil || (!errors.Is(err, auth.ErrSequence) && (serr == nil || !errors.Is(err, serr))) {
		return fmt.Errorf("Next after the end: done %v, %v", done, err)
	}
	if s.Identity() != id {
		return fmt.Errorf("identity %+v became %+v after a call past the end", id, s.Identity())
	}
	return nil
}

// checkOutcome holds an exchange to the truth: success only with an
// identity the verifier approved, the account's user (ANONYMOUS: no user
// at all, RFC 4505 section 2); an unmutated exchange with valid
// credentials succeeds with want, and the client accepts the success; any
// failure is typed.
func checkOutcome(v *saslTruth, o saslOutcome, want auth.Identity, valid bool) error {
	if o.ok {
		anon := o.mech == "ANONYMOUS"
		if !slices.Contains(v.approved, o.id) || (anon && (o.id.Username != "" || o.id.Authzid != "")) ||
			(!anon && (o.id.Username != v.user || v.user == "" || o.id.Trace != "")) {
			return fmt.Errorf("%s authenticated %+v; the verifier approved %+v", o.mech, o.id, v.approved)
		}
	} else if o.err != nil {
		var ae *auth.Error
		var se *wire.SyntaxError
		if !errors.As(o.err, &ae) && !errors.As(o.err, &se) {
			return fmt.Errorf("failure %v (%T) is not typed", o.err, o.err)
		}
	}
	if o.mutated || !valid {
		return nil
	}
	if !o.ok || o.id != want || o.client != nil {
		return fmt.Errorf("correct client: ok %v identity %+v (want %+v), server %v, client %v", o.ok, o.id, want, o.err, o.client)
	}
	return nil
}

// saslStepSeeds has one exchange per mechanism with plain and non-ASCII
// credentials, unchanged and with each kind of mutation.
func saslStepSeeds() [][]any {
	var seeds [][]any
	creds := [][3]string{{"tim", "tanstaaftanstaaf", ""}, {"Ursel", "xipj3plmq", "Kurt"}, {"jöhn,=x", "pässwörd ☃", "admin@example"}}
	for k := range 11 {
		for i, c := range creds {
			seeds = append(seeds, []any{uint8(k), c[0], c[1], c[2], uint8(i), uint8(0), uint16(0), byte(0)})
			seeds = append(seeds, []any{uint8(k), c[0], c[1], c[2], uint8(k + i), uint8(1 + i + 4*(k%2)), uint16(k * 7), byte(k)})
		}
	}
	return seeds
}

// TestSeedsSASLServerSteps keeps the checked-in corpus equal to
// saslStepSeeds.
func TestSeedsSASLServerSteps(t *testing.T) {
	syncSeeds(t, "FuzzSASLServerSteps", saslStepSeeds())
}

// FuzzSASLServerSteps runs a client mechanism of package auth against the
// registry's server through the wire forms, with fuzz-chosen credentials
// and one client line mutated.
func FuzzSASLServerSteps(f *testing.F) {
	for _, s := range saslStepSeeds() {
		f.Add(s[0].(uint8), s[1].(string), s[2].(string), s[3].(string), s[4].(uint8), s[5].(uint8), s[6].(uint16), s[7].(byte))
	}
	f.Fuzz(func(t *testing.T, k uint8, user, pass, authzid string, step, op uint8, pos uint16, val byte) {
		if len(user)+len(pass)+len(authzid) > 1024 {
			return
		}
		v, valid := newTruth(user, pass, authzid)
		reg := v.registry()
		c, want, err := saslClient(k, user, pass, authzid, v, reg)
		if err != nil {
			var ae *auth.Error
			require.ErrorAs(t, err, &ae, "a client refuses credentials with a typed error")
			return
		}
		o, err := saslRun(reg, c, saslMutation{step, op, pos, val})
		require.NoError(t, err)
		require.NoError(t, checkOutcome(v, o, want, valid))
	})
}

// saslRawSeeds returns, for each mechanism, the client messages of a
// genuine exchange (credentials tim / tanstaaftanstaaf) joined by CRLF,
// and for those with an initial response the same sent after an empty
// challenge instead (RFC 4954 section 4).
func saslRawSeeds(t testing.TB) [][]any {
	var seeds [][]any
	for k := range uint8(11) {
		v, _ := newTruth("tim", "tanstaaftanstaaf", "")
		reg := v.registry()
		c, _, err := saslClient(k, "tim", "tanstaaftanstaaf", "", v, reg)
		require.NoError(t, err)
		o, err := saslRun(reg, c, saslMutation{})
		require.NoError(t, err)
		require.True(t, o.ok, o.mech)
		idx := uint8(slices.Index(reg.Offered(saslCS), o.mech))
		seeds = append(seeds, []any{idx, o.present, o.msgs[0], bytes.Join(o.msgs[1:], []byte("\r\n"))})
		if o.present {
			seeds = append(seeds, []any{idx, false, []byte(nil), bytes.Join(o.msgs, []byte("\r\n"))})
		}
	}
	return seeds
}

// TestSeedsSASLServerRaw keeps the checked-in corpus equal to
// saslRawSeeds.
func TestSeedsSASLServerRaw(t *testing.T) {
	syncSeeds(t, "FuzzSASLServerRaw", saslRawSeeds(t))
}

// FuzzSASLServerRaw sends raw client messages to the mechanism of the
// registry that k picks: the initial response (present or not) and up to
// six more, split at CRLF, each carried as a base64 line through
// wire.AppendAuthResponse, wire.ParseAuthResponse and wire.DecodeBase64.
// The server never panics, sends no challenge over MaxResponse, ends
// typed, authenticates only an identity the truth approved, and its
// closing reply is a valid reply line.
func FuzzSASLServerRaw(f *testing.F) {
	for _, s := range saslRawSeeds(f) {
		f.Add(s[0].(uint8), s[1].(bool), s[2].([]byte), s[3].([]byte))
	}
	f.Fuzz(func(t *testing.T, k uint8, present bool, ir, lines []byte) {
		if len(ir)+len(lines) > 2*auth.MaxResponse {
			return
		}
		ctx := context.Background()
		v, _ := newTruth("tim", "tanstaaftanstaaf", "admin")
		reg := v.registry()
		names := reg.Offered(saslCS)
		s, err := reg.NewServer(names[int(k)%len(names)], saslCS)
		require.NoError(t, err)
		ch, done, serr := s.Start(ctx, ir, present)
		for i, m := range bytes.SplitN(lines, []byte("\r\n"), 6) {
			if done || serr != nil || (i == 0 && len(lines) == 0) {
				break
			}
			require.LessOrEqual(t, len(ch), auth.MaxResponse)
			enc := wire.AppendAuthResponse(nil, m)
			b64, cancel, err := wire.ParseAuthResponse(enc[:len(enc)-2])
			require.NoError(t, err)
			require.False(t, cancel)
			dec, err := wire.DecodeBase64(nil, b64)
			require.NoError(t, err)
			require.True(t, bytes.Equal(m, dec), "base64 round trip of %q: %q", m, dec)
			ch, done, serr = s.Next(ctx, dec)
		}
		if !done && serr == nil {
			return // the input ended inside the exchange
		}
		o := saslOutcome{ok: serr == nil, id: s.Identity(), err: serr, mutated: true, mech: s.Name()}
		require.NoError(t, checkServerEnd(s, serr))
		require.NoError(t, checkOutcome(v, o, auth.Identity{}, false))
		r := auth.Reply(serr)
		out := wire.AppendReply(nil, r, true)
		rl, err := wire.ParseReplyLine(out[:bytes.Index(out, []byte("\r\n"))])
		require.NoError(t, err)
		require.Equal(t, r.Code, rl.Code)
	})
}

// saslFake is a Server whose outcome a test sets, to show checkServerEnd
// reporting a bad end.
type saslFake struct {
	id      auth.Identity
	next    error
	forgets bool // a call past the end clears the identity
}

// Name returns "FAKE".
func (f *saslFake) Name() string { return "FAKE" }

// Start does nothing.
func (f *saslFake) Start(context.Context, []byte, bool) ([]byte, bool, error) { return nil, false, nil }

// Identity returns the identity the test set.
func (f *saslFake) Identity() auth.Identity { return f.id }

// Next returns the error the test set, forgetting the identity if told.
func (f *saslFake) Next(context.Context, []byte) ([]byte, bool, error) {
	if f.forgets {
		f.id = auth.Identity{}
	}
	return nil, false, f.next
}

// TestSASLCheckersFail shows the truth and the checkers reporting wrong
// outcomes.
func TestSASLCheckersFail(t *testing.T) {
	ctx := context.Background()
	v, valid := newTruth("tim", "pw", "")
	require.True(t, valid)
	require.ErrorIs(t, v.CheckPassword(ctx, "", "tim", "wrong"), auth.ErrInvalidCredentials)
	require.ErrorIs(t, v.CheckPassword(ctx, "root", "tim", "pw"), auth.ErrAuthzDenied)
	require.NoError(t, v.CheckPassword(ctx, "tim", "tim", "pw"))
	tim := auth.Identity{Username: "tim"}
	require.Equal(t, []auth.Identity{{Username: "tim", Authzid: "tim"}}, v.approved)
	_, err := v.ValidateToken(ctx, auth.TokenRequest{Mechanism: "XOAUTH2", Username: "tim", Token: "other"})
	require.Error(t, err)
	_, err = v.MapCertificate(ctx, []*x509.Certificate{{}}, "")
	require.Error(t, err, "another certificate")
	nobody, _ := newTruth("\x15", "pw", "")
	_, err = nobody.ValidateToken(ctx, auth.TokenRequest{Token: saslToken})
	require.Error(t, err, "no account, no approval")

	good := saslOutcome{ok: true, id: tim, mech: "PLAIN"}
	require.Error(t, checkOutcome(v, good, tim, true), "tim without authzid was never approved")
	v.approved = append(v.approved, tim)
	require.NoError(t, checkOutcome(v, good, tim, true))
	require.Error(t, checkOutcome(v, good, auth.Identity{Username: "tim", Authzid: "tim"}, true), "not the identity the correct client asked for")
	require.Error(t, checkOutcome(v, saslOutcome{err: errors.New("untyped")}, tim, false))
	require.Error(t, checkOutcome(v, saslOutcome{err: &auth.Error{Err: auth.ErrMalformed}}, tim, true), "a correct client failed")
	require.NoError(t, checkOutcome(v, saslOutcome{err: &auth.Error{Err: auth.ErrMalformed}, mutated: true}, tim, true))
	require.Error(t, checkOutcome(v, saslOutcome{ok: true, id: tim, mech: "ANONYMOUS"}, tim, false), "ANONYMOUS names no user")
	require.Error(t, checkOutcome(v, saslOutcome{ok: true, id: tim, mech: "PLAIN", client: errors.New("server not verified")}, tim, true))

	seqErr := &auth.Error{Err: auth.ErrSequence}
	require.NoError(t, checkServerEnd(&saslFake{id: tim, next: seqErr}, nil))
	require.Error(t, checkServerEnd(&saslFake{id: tim, next: seqErr, forgets: true}, nil), "outcome lost")
	require.Error(t, checkServerEnd(&saslFake{id: tim}, nil), "Next past the end succeeds")
	require.Error(t, checkServerEnd(&saslFake{next: seqErr}, &auth.Error{Err: auth.ErrTemporary}), "454")
	require.Error(t, checkServerEnd(&saslFake{id: tim, next: seqErr}, &auth.Error{Err: auth.ErrMalformed}), "identity after failure")
	require.Error(t, checkServerEnd(&saslFake{next: seqErr}, errors.New("untyped")))

	m := saslMutation{op: 1, pos: 1, val: 0}
	b, changed := m.apply([]byte("ab"))
	require.True(t, changed)
	require.Equal(t, "ac", string(b))
	_, changed = saslMutation{}.apply([]byte("ab"))
	require.False(t, changed)
}
