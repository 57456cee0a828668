package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newVectorServer returns a server mechanism for v whose store knows
// "user" with v's salt and iterations and whose nonce is v's.
func newVectorServer(t *testing.T, v scramVector) ServerMechanism {
	t.Helper()
	salt, err := base64.StdEncoding.DecodeString(v.salt)
	require.NoError(t, err)
	creds, err := DeriveSCRAMCredentials(v.hash, "pencil", salt, v.iterations)
	require.NoError(t, err)
	store := &scramTestStore{creds: map[string]SCRAMCredentials{v.hash.String() + "/user": creds}}
	sm, err := NewSCRAMServer(SCRAMServerConfig{Hash: v.hash, Store: store}, WithRand(strings.NewReader(v.serverNonce)))
	require.NoError(t, err)
	withNonceLen(t, sm, len(v.serverNonce))
	return sm
}

func TestSCRAMServerRFCVectors(t *testing.T) {
	ctx := context.Background()
	for _, v := range scramRFCVectors {
		for _, ir := range []bool{true, false} {
			name := v.name
			if !ir {
				name += " without initial response"
			}
			t.Run(name, func(t *testing.T) {
				s, err := newVectorServer(t, v).NewServer(ConnState{TLS: true})
				require.NoError(t, err)
				assert.Equal(t, v.hash.Mechanism(false), s.Name())
				var ch []byte
				var done bool
				if ir {
					ch, done, err = s.Start(ctx, []byte(v.messages[0]), true)
				} else {
					ch, done, err = s.Start(ctx, nil, false)
					require.NoError(t, err)
					assert.Empty(t, ch)
					assert.False(t, done)
					ch, done, err = s.Next(ctx, []byte(v.messages[0]))
				}
				require.NoError(t, err)
				assert.False(t, done)
				assert.Equal(t, v.messages[1], string(ch))
				ch, done, err = s.Next(ctx, []byte(v.messages[2]))
				require.NoError(t, err)
				assert.False(t, done, "the server-final message travels as a 334 challenge (RFC 4954 section 4)")
				assert.Equal(t, v.messages[3], string(ch))
				assert.Equal(t, Identity{}, s.Identity(), "no identity before done")
				ch, done, err = s.Next(ctx, nil)
				require.NoError(t, err)
				assert.True(t, done)
				assert.Empty(t, ch)
				assert.Equal(t, Identity{Username: "user"}, s.Identity())
			})
		}
	}
}

// scramPair makes a client and a server mechanism of the same kind. The
// client is told that the server offers all four SCRAM mechanisms, as the
// state layer tells it from the EHLO AUTH list.
func scramPair(t *testing.T, h SCRAMHash, plus bool, authzid, user, pass string, store SCRAMStore) (ClientMechanism, ServerMechanism) {
	t.Helper()
	cm := SCRAMClient(h, plus, authzid, user, pass).(OfferAware).WithOffered(
		[]string{"SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"})
	return cm, SCRAMServer(h, plus, store)
}

func TestSCRAMExchange(t *testing.T) {
	ctx := context.Background()
	exporter := []ChannelBinding{{Type: CBTLSExporter, Data: []byte("exporter-octets")}}
	tests := []struct {
		name          string
		authzid, user string
		pass          string
		err           error
		value         string
		id            Identity
	}{
		{"good", "", "user", "pencil", nil, "", Identity{Username: "user"}},
		{"other user", "", "alice", "secret", nil, "", Identity{Username: "alice"}},
		{"wrong password", "", "user", "pencil2", ErrInvalidCredentials, "invalid-proof", Identity{}},
		{"unknown user", "", "bob", "pencil", ErrInvalidCredentials, "invalid-proof", Identity{}},
		{"authzid allowed", "shared", "alice", "secret", nil, "", Identity{Username: "alice", Authzid: "shared"}},
		{"authzid is the user", "user", "user", "pencil", nil, "", Identity{Username: "user", Authzid: "user"}},
		{"authzid refused", "root", "alice", "secret", ErrAuthzDenied, "", Identity{}},
		{"authzid with wrong password", "shared", "alice", "pencil", ErrInvalidCredentials, "invalid-proof", Identity{}},
	}
	for _, h := range []SCRAMHash{SCRAMSHA1, SCRAMSHA256} {
		for _, plus := range []bool{false, true} {
			for _, tt := range tests {
				t.Run(h.Mechanism(plus)+"/"+tt.name, func(t *testing.T) {
					cm, sm := scramPair(t, h, plus, tt.authzid, tt.user, tt.pass, newSCRAMTestStore(t))
					cs := ConnState{TLS: true, ChannelBindings: exporter}
					id, err := exchange(ctx, cm, sm, cs, cs)
					if tt.err == nil {
						require.NoError(t, err)
						assert.Equal(t, tt.id, id)
						return
					}
					require.ErrorIs(t, err, tt.err)
					assert.NotContains(t, err.Error(), tt.pass)
					if tt.value != "" {
						var se *SCRAMError
						require.ErrorAs(t, err, &se)
						assert.Equal(t, tt.value, se.Value)
					}
					assert.Equal(t, 535, int(Reply(err).Code))
				})
			}
		}
	}
}

func TestSCRAMExchangeChannelBinding(t *testing.T) {
	ctx := context.Background()
	exp := func(d string) ChannelBinding { return ChannelBinding{Type: CBTLSExporter, Data: []byte(d)} }
	uniq := func(d string) ChannelBinding { return ChannelBinding{Type: CBTLSUnique, Data: []byte(d)} }
	sep := func(d string) ChannelBinding { return ChannelBinding{Type: CBTLSServerEndPoint, Data: []byte(d)} }
	tests := []struct {
		name     string
		plus     bool
		client   []ChannelBinding
		server   []ChannelBinding
		offered  []string // passed to WithOffered when not nil
		noOffer  bool     // the server is configured not to offer -PLUS
		err      error
		value    string
		wantFlag string
	}{
		{"PLUS tls-exporter", true, []ChannelBinding{exp("a")}, []ChannelBinding{exp("a")}, nil, false, nil, "", "p=tls-exporter"},
		{"PLUS tls-unique", true, []ChannelBinding{uniq("u")}, []ChannelBinding{uniq("u")}, nil, false, nil, "", "p=tls-unique"},
		{"PLUS tls-server-end-point", true, []ChannelBinding{sep("s")}, []ChannelBinding{exp("a"), sep("s")}, nil, false, nil, "", "p=tls-server-end-point"},
		{"PLUS data differ", true, []ChannelBinding{exp("a")}, []ChannelBinding{exp("b")}, nil, false, ErrChannelBinding, "channel-bindings-dont-match", ""},
		{"PLUS type missing on the server", true, []ChannelBinding{uniq("u")}, []ChannelBinding{exp("u")}, nil, false, ErrChannelBinding, "unsupported-channel-binding-type", ""},
		{"y flag against a server offering PLUS", false, []ChannelBinding{exp("a")}, []ChannelBinding{exp("a")}, nil, false, ErrChannelBinding, "server-does-support-channel-binding", ""},
		{"y flag after a stripped list", false, []ChannelBinding{exp("a")}, []ChannelBinding{exp("a")}, []string{"SCRAM-SHA-256"}, false, ErrChannelBinding, "server-does-support-channel-binding", ""},
		{"y flag, server without binding", false, []ChannelBinding{exp("a")}, nil, nil, false, nil, "", "y"},
		{"y flag, server configured without PLUS", false, []ChannelBinding{exp("a")}, []ChannelBinding{exp("a")}, nil, true, nil, "", "y"},
		{"n flag, PLUS offered but not chosen", false, []ChannelBinding{exp("a")}, []ChannelBinding{exp("a")}, []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, false, nil, "", "n"},
		{"n flag, no binding anywhere", false, nil, nil, nil, false, nil, "", "n"},
		{"n flag, server offers PLUS", false, nil, []ChannelBinding{exp("a")}, nil, false, nil, "", "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cm ClientMechanism = SCRAMClient(SCRAMSHA256, tt.plus, "", "user", "pencil")
			if tt.offered != nil {
				cm = cm.(OfferAware).WithOffered(tt.offered)
			}
			cfg := SCRAMServerConfig{Hash: SCRAMSHA256, Plus: tt.plus, Store: newSCRAMTestStore(t)}
			if tt.noOffer {
				cfg.OffersPlus = func(ConnState) bool { return false }
			}
			sm, err := NewSCRAMServer(cfg)
			require.NoError(t, err)
			rec := &scramRecorder{ServerMechanism: sm}
			_, err = exchange(ctx, cm, rec, ConnState{TLS: true, ChannelBindings: tt.client}, ConnState{TLS: true, ChannelBindings: tt.server})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var se *SCRAMError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.value, se.Value)
				assert.Equal(t, 535, int(Reply(err).Code))
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, rec.responses)
			assert.True(t, strings.HasPrefix(string(rec.responses[0]), tt.wantFlag+","), "%q", rec.responses[0])
		})
	}
}

// scramRecorder records the client messages a server receives.
type scramRecorder struct {
	ServerMechanism
	responses [][]byte
}

func (r *scramRecorder) NewServer(cs ConnState) (Server, error) {
	s, err := r.ServerMechanism.NewServer(cs)
	if err != nil {
		return nil, err
	}
	return &recordingServer{Server: s, r: r}, nil
}

type recordingServer struct {
	Server
	r *scramRecorder
}

func (s *recordingServer) Start(ctx context.Context, ir []byte, present bool) ([]byte, bool, error) {
	if present {
		s.r.responses = append(s.r.responses, append([]byte(nil), ir...))
	}
	return s.Server.Start(ctx, ir, present)
}

func (s *recordingServer) Next(ctx context.Context, resp []byte) ([]byte, bool, error) {
	s.r.responses = append(s.r.responses, append([]byte(nil), resp...))
	return s.Server.Next(ctx, resp)
}

func TestSCRAMServerYFlagCBind(t *testing.T) {
	// "y,," is sent as c=eSws (SPEC 4.2; RFC 5802 section 7 cbind-input).
	rec := &scramRecorder{ServerMechanism: SCRAMServer(SCRAMSHA256, false, newSCRAMTestStore(t))}
	cm := SCRAMClient(SCRAMSHA256, false, "", "user", "pencil")
	_, err := exchange(context.Background(), cm, rec,
		ConnState{ChannelBindings: []ChannelBinding{{Type: CBTLSExporter, Data: []byte("x")}}}, ConnState{})
	require.NoError(t, err)
	require.Len(t, rec.responses, 3)
	assert.True(t, strings.HasPrefix(string(rec.responses[0]), "y,,n=user,r="))
	assert.True(t, strings.HasPrefix(string(rec.responses[1]), "c=eSws,r="))
	assert.Empty(t, rec.responses[2])
}

func TestSCRAMServerUnknownUser(t *testing.T) {
	ctx := context.Background()
	first := func(sm ServerMechanism, user string) string {
		s, err := sm.NewServer(ConnState{})
		require.NoError(t, err)
		ch, _, err := s.Start(ctx, []byte("n,,n="+user+",r=clientnonce"), true)
		require.NoError(t, err)
		_, rest, _ := strings.Cut(string(ch), ",s=")
		return rest // salt and iterations, without the random nonce
	}
	cfg := SCRAMServerConfig{Hash: SCRAMSHA256, Store: newSCRAMTestStore(t), Secret: []byte("server secret")}
	sm, err := NewSCRAMServer(cfg)
	require.NoError(t, err)
	bob := first(sm, "bob")
	salt, iter, ok := strings.Cut(bob, ",i=")
	require.True(t, ok)
	raw, err := base64.StdEncoding.DecodeString(salt)
	require.NoError(t, err)
	assert.Len(t, raw, scramSaltLen, "a made-up salt has the size of a real one")
	assert.Equal(t, "4096", iter)
	assert.Equal(t, bob, first(sm, "bob"), "the same name gets the same salt")
	assert.NotEqual(t, bob, first(sm, "carol"))

	sm2, err := NewSCRAMServer(cfg)
	require.NoError(t, err)
	assert.Equal(t, bob, first(sm2, "bob"), "the same secret gives the same salt after a restart")

	cfg.Secret, cfg.FakeIterations = []byte("another secret"), 10000
	sm3, err := NewSCRAMServer(cfg)
	require.NoError(t, err)
	other := first(sm3, "bob")
	assert.NotEqual(t, bob, other)
	assert.True(t, strings.HasSuffix(other, ",i=10000"))

	// Without a configured secret one is drawn from the random source.
	sm4, err := NewSCRAMServer(SCRAMServerConfig{Hash: SCRAMSHA1, Store: newSCRAMTestStore(t)})
	require.NoError(t, err)
	assert.Equal(t, first(sm4, "bob"), first(sm4, "bob"))
	sm5, err := NewSCRAMServer(SCRAMServerConfig{Hash: SCRAMSHA1, Store: newSCRAMTestStore(t)}, WithRand(errReader{}))
	require.NoError(t, err)
	s, err := sm5.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, []byte("n,,n=bob,r=clientnonce"), true)
	require.ErrorIs(t, err, ErrTemporary)
}

// scramServerAfterFirst returns a server of the RFC 7677 vector that has
// answered the client-first message.
func scramServerAfterFirst(t *testing.T) (Server, scramVector) {
	t.Helper()
	v := scramRFCVectors[1]
	s, err := newVectorServer(t, v).NewServer(ConnState{})
	require.NoError(t, err)
	ch, _, err := s.Start(context.Background(), []byte(v.messages[0]), true)
	require.NoError(t, err)
	require.Equal(t, v.messages[1], string(ch))
	return s, v
}

func TestSCRAMServerClientFirstErrors(t *testing.T) {
	cb := []ChannelBinding{{Type: CBTLSExporter, Data: []byte("x")}}
	tests := []struct {
		name  string
		plus  bool
		cbs   []ChannelBinding
		msg   string
		err   error
		value string
	}{
		{"empty", false, nil, "", ErrMalformed, "other-error"},
		{"no gs2 header", false, nil, "n=user,r=abc", ErrMalformed, "other-error"},
		{"bad flag", false, nil, "x,,n=user,r=abc", ErrMalformed, "other-error"},
		{"bad authzid", false, nil, "n,a=x=y,n=user,r=abc", ErrMalformed, "invalid-username-encoding"},
		{"p= to a non-PLUS mechanism", false, cb, "p=tls-exporter,,n=user,r=abc", ErrChannelBinding, "channel-binding-not-supported"},
		{"n to a PLUS mechanism", true, cb, "n,,n=user,r=abc", ErrChannelBinding, "channel-binding-not-supported"},
		{"y to a PLUS mechanism", true, cb, "y,,n=user,r=abc", ErrChannelBinding, "channel-binding-not-supported"},
		{"unsupported binding type", true, cb, "p=tls-unique,,n=user,r=abc", ErrChannelBinding, "unsupported-channel-binding-type"},
		{"y when PLUS is offered", false, cb, "y,,n=user,r=abc", ErrChannelBinding, "server-does-support-channel-binding"},
		{"reserved m=", false, nil, "n,,m=ext,n=user,r=abc", ErrMalformed, "extensions-not-supported"},
		{"m= as a later extension", false, nil, "n,,n=user,r=abc,m=ext", ErrMalformed, "extensions-not-supported"},
		{"bad extension", false, nil, "n,,n=user,r=abc,x=", ErrMalformed, "invalid-encoding"},
		{"no nonce", false, nil, "n,,n=user", ErrMalformed, "other-error"},
		{"order", false, nil, "n,,r=abc,n=user", ErrMalformed, "other-error"},
		{"bad escape", false, nil, "n,,n=us=er,r=abc", ErrMalformed, "invalid-username-encoding"},
		{"control character", false, nil, "n,,n=us\x07er,r=abc", ErrMalformed, "invalid-username-encoding"},
		{"nonce with space", false, nil, "n,,n=user,r=a c", ErrMalformed, "other-error"},
		{"nonce with DEL", false, nil, "n,,n=user,r=a\x7f", ErrMalformed, "other-error"},
		{"trailing comma", false, nil, "n,,n=user,r=abc,", ErrMalformed, "other-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newSCRAMTestStore(t)
			s, err := SCRAMServer(SCRAMSHA256, tt.plus, store).NewServer(ConnState{ChannelBindings: tt.cbs})
			require.NoError(t, err)
			_, _, err = s.Start(context.Background(), []byte(tt.msg), true)
			require.ErrorIs(t, err, tt.err)
			var se *SCRAMError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.value, se.Value)
			assert.Zero(t, store.calls, "refused before the store is asked")
			// Sticky.
			_, _, err2 := s.Next(context.Background(), []byte("c=biws"))
			assert.Equal(t, err, err2)
		})
	}
}

func TestSCRAMServerClientFinalErrors(t *testing.T) {
	v := scramRFCVectors[1]
	good := v.messages[2]
	without, proof, _ := strings.Cut(good, ",p=")
	raw, _ := base64.StdEncoding.DecodeString(proof)
	raw[3] ^= 0x40
	tests := []struct {
		name  string
		msg   string
		err   error
		value string
	}{
		{"flipped proof", without + ",p=" + base64.StdEncoding.EncodeToString(raw), ErrInvalidCredentials, "invalid-proof"},
		{"short proof", without + ",p=" + base64.StdEncoding.EncodeToString(raw[:20]), ErrMalformed, "invalid-encoding"},
		{"proof not base64", without + ",p=????", ErrMalformed, "invalid-encoding"},
		{"extension changes the AuthMessage", without + ",x=1,p=" + proof, ErrInvalidCredentials, "invalid-proof"},
		{"m= extension", without + ",m=1,p=" + proof, ErrMalformed, "extensions-not-supported"},
		{"y in c=", strings.Replace(good, "c=biws", "c=eSws", 1), ErrChannelBinding, "channel-bindings-dont-match"},
		{"binding data appended", strings.Replace(good, "c=biws", "c=biwseA==", 1), ErrChannelBinding, "channel-bindings-dont-match"},
		{"c= not base64", strings.Replace(good, "c=biws", "c=biw", 1), ErrMalformed, "invalid-encoding"},
		{"nonce changed", strings.Replace(good, "k0,p=", "k1,p=", 1), ErrMalformed, "other-error"},
		{"nonce of the client only", strings.Replace(good, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "", 1), ErrMalformed, "other-error"},
		{"no proof", without, ErrMalformed, "other-error"},
		{"order", "r=x,c=biws,p=" + proof, ErrMalformed, "other-error"},
		{"not attributes", "hello", ErrMalformed, "other-error"},
		{"empty", "", ErrMalformed, "other-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := scramServerAfterFirst(t)
			ch, done, err := s.Next(context.Background(), []byte(tt.msg))
			require.ErrorIs(t, err, tt.err)
			assert.Nil(t, ch)
			assert.False(t, done)
			var se *SCRAMError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.value, se.Value)
			assert.NotContains(t, err.Error(), proof)
			assert.Equal(t, Identity{}, s.Identity())
		})
	}
}

func TestSCRAMServerAfterFinal(t *testing.T) {
	ctx := context.Background()
	s, v := scramServerAfterFirst(t)
	_, _, err := s.Next(ctx, []byte(v.messages[2]))
	require.NoError(t, err)
	_, done, err := s.Next(ctx, []byte("x"))
	require.ErrorIs(t, err, ErrMalformed)
	assert.False(t, done)
	assert.Equal(t, Identity{}, s.Identity())

	s, v = scramServerAfterFirst(t)
	_, _, err = s.Next(ctx, []byte(v.messages[2]))
	require.NoError(t, err)
	_, done, err = s.Next(ctx, []byte{})
	require.NoError(t, err)
	require.True(t, done)
	id := s.Identity()
	require.NotEqual(t, Identity{}, id)
	_, _, err = s.Next(ctx, []byte{})
	require.ErrorIs(t, err, ErrSequence)
	_, _, err = s.Start(ctx, nil, false)
	require.ErrorIs(t, err, ErrSequence)
	// A call out of turn after success keeps the outcome, as the other
	// mechanisms do; it used to clear the identity (found by
	// fuzz.FuzzSASLServerRaw).
	assert.Equal(t, id, s.Identity())
}

func TestSCRAMServerSequenceAndLimits(t *testing.T) {
	ctx := context.Background()
	sm := SCRAMServer(SCRAMSHA1, false, newSCRAMTestStore(t))
	s, err := sm.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Next(ctx, []byte("n,,n=user,r=abc"))
	require.ErrorIs(t, err, ErrSequence)

	s, err = sm.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, nil, false)
	require.NoError(t, err)
	_, _, err = s.Start(ctx, nil, false)
	require.ErrorIs(t, err, ErrSequence)

	s, err = sm.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, make([]byte, MaxResponse+1), true)
	require.ErrorIs(t, err, ErrTooLong)
	assert.Equal(t, 500, int(Reply(err).Code))

	s, err = sm.NewServer(ConnState{})
	require.NoError(t, err)
	_, _, err = s.Start(ctx, []byte{}, true) // "AUTH SCRAM-SHA-1 ="
	require.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, 501, int(Reply(err).Code))
}

func TestSCRAMServerStoreErrors(t *testing.T) {
	ctx := context.Background()
	broken := errors.New("database down")
	good := newSCRAMTestStore(t).creds["SHA-256/user"]
	tests := []struct {
		name  string
		store SCRAMStore
		err   error
		code  int
	}{
		{"store failure", &scramTestStore{err: broken}, broken, 454},
		{"no salt", SCRAMStoreFunc(func(context.Context, SCRAMHash, string) (SCRAMCredentials, error) {
			c := good
			c.Salt = nil
			return c, nil
		}), ErrTemporary, 454},
		{"keys of the wrong hash", SCRAMStoreFunc(func(context.Context, SCRAMHash, string) (SCRAMCredentials, error) {
			c := good
			c.StoredKey = c.StoredKey[:20]
			return c, nil
		}), ErrTemporary, 454},
		{"zero iterations", SCRAMStoreFunc(func(context.Context, SCRAMHash, string) (SCRAMCredentials, error) {
			c := good
			c.Iterations = 0
			return c, nil
		}), ErrTemporary, 454},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := SCRAMServer(SCRAMSHA256, false, tt.store).NewServer(ConnState{})
			require.NoError(t, err)
			_, _, err = s.Start(ctx, []byte("n,,n=user,r=abc"), true)
			require.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.code, int(Reply(err).Code))
		})
	}
}

func TestSCRAMServerAuthzidWithoutAuthorizer(t *testing.T) {
	cm, sm := scramPair(t, SCRAMSHA256, false, "shared", "alice", "secret", plainSCRAMStore{newSCRAMTestStore(t)})
	_, err := exchange(context.Background(), cm, sm, ConnState{}, ConnState{})
	require.ErrorIs(t, err, ErrAuthzDenied)
}

func TestSCRAMServerMechanism(t *testing.T) {
	store := newSCRAMTestStore(t)
	cb := ConnState{ChannelBindings: []ChannelBinding{{Type: CBTLSExporter, Data: []byte("x")}}}
	for _, h := range []SCRAMHash{SCRAMSHA1, SCRAMSHA256} {
		sm := SCRAMServer(h, false, store)
		assert.Equal(t, h.Mechanism(false), sm.Name())
		assert.True(t, sm.Available(ConnState{}))
		assert.True(t, sm.Available(cb))
		plus := SCRAMServer(h, true, store)
		assert.Equal(t, h.Mechanism(true), plus.Name())
		assert.False(t, plus.Available(ConnState{TLS: true}))
		assert.True(t, plus.Available(cb))
		_, err := plus.NewServer(ConnState{TLS: true})
		require.ErrorIs(t, err, ErrUnsupported)
	}
}

func TestSCRAMServerConfigErrors(t *testing.T) {
	store := newSCRAMTestStore(t)
	tests := []struct {
		name string
		cfg  SCRAMServerConfig
	}{
		{"no hash", SCRAMServerConfig{Store: store}},
		{"no store", SCRAMServerConfig{Hash: SCRAMSHA1}},
		{"negative fake iterations", SCRAMServerConfig{Hash: SCRAMSHA1, Store: store, FakeIterations: -1}},
		{"fake iterations above cap", SCRAMServerConfig{Hash: SCRAMSHA1, Store: store, FakeIterations: SCRAMMaxIterations + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSCRAMServer(tt.cfg)
			require.ErrorIs(t, err, ErrUnsupported)
		})
	}
	sm := SCRAMServer(SCRAMHashNone, false, store)
	assert.Equal(t, "SCRAM", sm.Name())
	assert.False(t, sm.Available(ConnState{}))
	_, err := sm.NewServer(ConnState{})
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = SCRAMServer(SCRAMSHA1, false, nil).NewServer(ConnState{})
	require.ErrorIs(t, err, ErrUnsupported)
}
