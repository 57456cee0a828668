package auth

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeServerMech stands for mechanisms this file set does not own (SCRAM,
// OAuth) and for an application's own. A name ending in -PLUS is available
// only with a channel binding, as a real one is.
type fakeServerMech struct{ name string }

func (m fakeServerMech) Name() string { return m.name }

func (m fakeServerMech) Available(cs ConnState) bool {
	return !strings.HasSuffix(m.name, "-PLUS") || len(cs.ChannelBindings) > 0
}

func (m fakeServerMech) NewServer(ConnState) (Server, error) {
	return newSingleServer(m.name, nil), nil
}

// fakeClientMech is a client mechanism known only by name.
type fakeClientMech struct{ name string }

func (m fakeClientMech) Name() string                        { return m.name }
func (m fakeClientMech) NewClient(ConnState) (Client, error) { return nil, nil }

func fakeClients(names ...string) []ClientMechanism {
	out := make([]ClientMechanism, len(names))
	for i, n := range names {
		out[i] = fakeClientMech{n}
	}
	return out
}

var (
	tlsCB   = ConnState{TLS: true, ChannelBindings: []ChannelBinding{{Type: CBTLSExporter, Data: make([]byte, 32)}}}
	tlsCert = ConnState{TLS: true, PeerCertificates: []*x509.Certificate{aliceCert}}
)

func testRegistry() *Registry {
	r := &Registry{}
	r.Register(fakeServerMech{"SCRAM-SHA-256-PLUS"})
	r.Register(fakeServerMech{"SCRAM-SHA-256"})
	r.Register(PlainServer(testChecker))
	r.Register(LoginServer(testChecker))
	r.Register(CRAMMD5Server(testStore, "mx.example"))
	r.Register(fakeServerMech{"XOAUTH2"})
	r.Register(ExternalServer(testMapper))
	r.Register(AnonymousServer(nil))
	return r
}

func TestRegistryOffered(t *testing.T) {
	tests := []struct {
		name      string
		cs        ConnState
		cleartext bool
		want      string
	}{
		{"plain TCP", ConnState{}, false, "SCRAM-SHA-256 CRAM-MD5 ANONYMOUS"},
		{"plain TCP, cleartext allowed", ConnState{}, true, "SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 XOAUTH2 ANONYMOUS"},
		{"TLS", ConnState{TLS: true}, false, "SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 XOAUTH2 ANONYMOUS"},
		{"TLS with binding", tlsCB, false, "SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 XOAUTH2 ANONYMOUS"},
		{"TLS with client certificate", tlsCert, false, "SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 XOAUTH2 EXTERNAL ANONYMOUS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testRegistry()
			r.AllowCleartext = tc.cleartext
			assert.Equal(t, tc.want, strings.Join(r.Offered(tc.cs), " "))
			assert.Equal(t, "AUTH "+tc.want, string(r.AppendOffered([]byte("AUTH "), tc.cs)))
		})
	}
	var empty Registry
	assert.Empty(t, empty.Offered(ConnState{TLS: true}))
	assert.Equal(t, "x", string(empty.AppendOffered([]byte("x"), ConnState{TLS: true})))
	r := &Registry{}
	r.Register(PlainServer(testChecker))
	assert.Empty(t, r.Offered(ConnState{}), "nothing to offer without TLS")
	assert.Empty(t, r.AppendOffered(nil, ConnState{}))
}

func TestRegistryRegister(t *testing.T) {
	r := testRegistry()
	r.Register(fakeServerMech{"plain"})
	assert.Equal(t, "SCRAM-SHA-256 plain LOGIN CRAM-MD5 XOAUTH2 ANONYMOUS", strings.Join(r.Offered(ConnState{TLS: true}), " "),
		"same name ignoring case: replaced in place")
	r.Register(fakeServerMech{"X-CUSTOM"})
	assert.Equal(t, "X-CUSTOM", r.Offered(ConnState{})[len(r.Offered(ConnState{}))-1], "a new name goes last")

	assert.Panics(t, func() { r.Register(nil) })
	for _, bad := range []string{"", "A B", "PLAIN\r\n", strings.Repeat("A", 21), "É"} {
		assert.Panics(t, func() { r.Register(fakeServerMech{bad}) }, bad)
	}
}

func TestIsMechanismName(t *testing.T) {
	for name, want := range map[string]bool{
		"PLAIN": true, "SCRAM-SHA-256-PLUS": true, "X_OK": true, "cram-md5": true,
		strings.Repeat("A", 20): true, strings.Repeat("A", 21): false,
		"": false, "A B": false, "A=B": false, "A\x00": false,
	} {
		assert.Equal(t, want, IsMechanismName(name), name)
	}
}

func TestRegistryNewServer(t *testing.T) {
	tests := []struct {
		name      string
		mech      string
		cs        ConnState
		cleartext bool
		ok        bool
	}{
		{"known", "CRAM-MD5", ConnState{}, false, true},
		{"lower case", "plain", ConnState{TLS: true}, false, true},
		{"unknown", "DIGEST-MD5", ConnState{TLS: true}, false, false},
		{"empty", "", ConnState{TLS: true}, false, false},
		{"cleartext without TLS", "PLAIN", ConnState{}, false, false},
		{"cleartext opt-in", "LOGIN", ConnState{}, true, true},
		{"EXTERNAL without certificate", "EXTERNAL", ConnState{TLS: true}, false, false},
		{"EXTERNAL with certificate", "external", tlsCert, false, true},
		{"-PLUS without binding", "SCRAM-SHA-256-PLUS", ConnState{TLS: true}, false, false},
		{"-PLUS with binding", "SCRAM-SHA-256-PLUS", tlsCB, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testRegistry()
			r.AllowCleartext = tc.cleartext
			s, err := r.NewServer(tc.mech, tc.cs)
			if tc.ok {
				require.NoError(t, err)
				assert.True(t, strings.EqualFold(tc.mech, s.Name()))
				return
			}
			require.ErrorIs(t, err, ErrUnsupported)
			assert.Nil(t, s)
			assert.Equal(t, reply.Code(504), Reply(err).Code)
			assert.Equal(t, reply.E(5, 5, 4), Reply(err).Enhanced)
		})
	}
}

func TestChooseRanking(t *testing.T) {
	// Each mechanism in the table beats every one after it.
	for i := range chooseRank {
		for j := i + 1; j < len(chooseRank); j++ {
			hi, lo := chooseRank[i], chooseRank[j]
			for _, order := range [][]string{{hi, lo}, {lo, hi}} {
				m, err := Choose([]string{lo, hi}, fakeClients(order...), tlsCB, false)
				require.NoError(t, err)
				assert.Equal(t, hi, m.Name(), "%s over %s", hi, lo)
			}
		}
	}
	all := append(chooseRank[:], "ANONYMOUS", "X-APP")
	m, err := Choose(all, fakeClients(all...), tlsCB, false)
	require.NoError(t, err)
	assert.Equal(t, "EXTERNAL", m.Name())
	m, err = Choose(all[1:], fakeClients(all...), tlsCB, false)
	require.NoError(t, err)
	assert.Equal(t, "SCRAM-SHA-256-PLUS", m.Name())
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name      string
		offered   []string
		mechs     []string
		cs        ConnState
		cleartext bool
		want      string // "" for ErrNoMechanism
	}{
		{"-PLUS needs a binding", []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, ConnState{TLS: true}, false, "SCRAM-SHA-256"},
		{"-PLUS with a binding", []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, tlsCB, false, "SCRAM-SHA-256-PLUS"},
		{"no cleartext without TLS", []string{"PLAIN", "LOGIN", "CRAM-MD5"}, []string{"PLAIN", "LOGIN", "CRAM-MD5"}, ConnState{}, false, "CRAM-MD5"},
		{"only cleartext without TLS", []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"}, []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"}, ConnState{}, false, ""},
		{"cleartext opt-in", []string{"PLAIN", "LOGIN"}, []string{"LOGIN", "PLAIN"}, ConnState{}, true, "PLAIN"},
		{"not offered is skipped", []string{"PLAIN"}, []string{"CRAM-MD5", "PLAIN"}, ConnState{TLS: true}, false, "PLAIN"},
		{"offered ignoring case", []string{"plain", "login"}, []string{"LOGIN", "PLAIN"}, ConnState{TLS: true}, false, "PLAIN"},
		{"nothing in common", []string{"GSSAPI"}, []string{"PLAIN", "LOGIN"}, ConnState{TLS: true}, false, ""},
		{"nothing offered", nil, []string{"PLAIN", "LOGIN"}, ConnState{TLS: true}, false, ""},
		{"no mechanisms", []string{"PLAIN"}, nil, ConnState{TLS: true}, false, ""},
		{"unknown below known", []string{"X-APP", "LOGIN"}, []string{"X-APP", "LOGIN"}, ConnState{TLS: true}, false, "LOGIN"},
		{"unknowns in the order given", []string{"X-ONE", "X-TWO"}, []string{"X-TWO", "X-ONE"}, ConnState{TLS: true}, false, "X-TWO"},
		{"ANONYMOUS last", []string{"ANONYMOUS", "X-APP"}, []string{"ANONYMOUS", "X-APP"}, ConnState{TLS: true}, false, "X-APP"},
		{"ANONYMOUS alone in common", []string{"ANONYMOUS", "PLAIN"}, []string{"ANONYMOUS", "CRAM-MD5"}, ConnState{}, false, "ANONYMOUS"},
		{"told which, offered", []string{"PLAIN", "CRAM-MD5"}, []string{"PLAIN"}, ConnState{TLS: true}, false, "PLAIN"},
		{"told which, not offered", []string{"CRAM-MD5"}, []string{"LOGIN"}, ConnState{TLS: true}, false, "LOGIN"},
		{"told which, TLS rule holds", []string{"PLAIN"}, []string{"PLAIN"}, ConnState{}, false, ""},
		{"told which, cleartext opt-in", []string{"PLAIN"}, []string{"PLAIN"}, ConnState{}, true, "PLAIN"},
		{"told which, -PLUS rule holds", []string{"SCRAM-SHA-1-PLUS"}, []string{"SCRAM-SHA-1-PLUS"}, ConnState{TLS: true}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Choose(tc.offered, fakeClients(tc.mechs...), tc.cs, tc.cleartext)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrNoMechanism)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.Name())
		})
	}
}

func TestChooseRealMechanisms(t *testing.T) {
	mechs := []ClientMechanism{nil, LoginClient("tim", "pw"), PlainClient("", "tim", "pw"), CRAMMD5Client("tim", "pw"), AnonymousClient("")}
	m, err := Choose([]string{"LOGIN", "PLAIN", "CRAM-MD5", "ANONYMOUS"}, mechs, ConnState{TLS: true}, false)
	require.NoError(t, err)
	assert.Equal(t, "CRAM-MD5", m.Name())
	m, err = Choose([]string{"LOGIN", "PLAIN", "ANONYMOUS"}, mechs, ConnState{TLS: true}, false)
	require.NoError(t, err)
	assert.Equal(t, "PLAIN", m.Name())
	_, err = Choose([]string{"PLAIN"}, []ClientMechanism{nil}, ConnState{TLS: true}, false)
	require.ErrorIs(t, err, ErrNoMechanism)
}

// TestChooseSCRAMThroughRegistry runs the whole path a session takes: the
// server registry offers SCRAM with and without -PLUS on a connection that
// has a channel binding, the client chooses from that list, and the
// exchange succeeds. A client that may not bind (only the non-PLUS
// mechanism) must learn from Choose that -PLUS was offered, or its "y"
// flag is taken for a downgrade (RFC 5802 section 6).
func TestChooseSCRAMThroughRegistry(t *testing.T) {
	ctx := context.Background()
	store := newSCRAMTestStore(t)
	var reg Registry
	reg.Register(SCRAMServer(SCRAMSHA256, true, store))
	reg.Register(SCRAMServer(SCRAMSHA256, false, store))
	cb := []ChannelBinding{{Type: CBTLSExporter, Data: []byte("0123456789abcdef0123456789abcdef")}}
	cs := ConnState{TLS: true, ChannelBindings: cb}
	offered := reg.Offered(cs)
	require.Equal(t, []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, offered)

	run := func(t *testing.T, cm ClientMechanism) error {
		t.Helper()
		sm, err := reg.NewServer(cm.Name(), cs)
		require.NoError(t, err)
		_, err = exchange(ctx, cm, registryMech{sm}, cs, cs)
		return err
	}
	plus := SCRAMClient(SCRAMSHA256, true, "", "user", "pencil")
	plain := SCRAMClient(SCRAMSHA256, false, "", "user", "pencil")

	m, err := Choose(offered, []ClientMechanism{plain, plus}, cs, false)
	require.NoError(t, err)
	assert.Equal(t, "SCRAM-SHA-256-PLUS", m.Name())
	require.NoError(t, run(t, m))

	for _, mechs := range [][]ClientMechanism{{plain}, {CRAMMD5Client("user", "pencil"), plain}} {
		m, err = Choose(offered, mechs, cs, false)
		require.NoError(t, err)
		require.Equal(t, "SCRAM-SHA-256", m.Name())
		require.NoError(t, run(t, m), "the client was told -PLUS was offered: flag n")
	}

	require.ErrorIs(t, run(t, plain), ErrChannelBinding, "unaware of the offer, the client sends y: a downgrade")
}

// registryMech serves a Server the registry already started.
type registryMech struct{ s Server }

func (m registryMech) Name() string                        { return m.s.Name() }
func (m registryMech) Available(ConnState) bool            { return true }
func (m registryMech) NewServer(ConnState) (Server, error) { return m.s, nil }
