package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scramVector is a published SCRAM exchange (user "user", password
// "pencil"): the four messages and the salt, iterations and nonces they
// were made with.
type scramVector struct {
	name        string
	hash        SCRAMHash
	clientNonce string
	serverNonce string // the server's part only
	salt        string // base64
	iterations  int
	messages    [4]string // client-first, server-first, client-final, server-final
}

var scramRFCVectors = []scramVector{
	{
		name: "RFC 5802 section 5", hash: SCRAMSHA1,
		clientNonce: "fyko+d2lbbFgONRv9qkxdawL", serverNonce: "3rfcNHYJY1ZVvWVs7j",
		salt: "QSXCR+Q6sek8bf92", iterations: 4096,
		messages: [4]string{
			"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
	},
	{
		name: "RFC 7677 section 3", hash: SCRAMSHA256,
		clientNonce: "rOprNGfwEbeRWgbNEkqO", serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		salt: "W22ZaJ0SNY7soEsUEjb6gQ==", iterations: 4096,
		messages: [4]string{
			"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	},
}

// scramTestStore is an in-memory SCRAMStore. authz lists the
// "user>authzid" pairs AuthorizeSCRAM allows; err, when set, is returned
// for every lookup.
type scramTestStore struct {
	creds map[string]SCRAMCredentials // key: hash name + "/" + user
	authz map[string]bool
	err   error
	calls int
}

func (s *scramTestStore) SCRAMCredentials(_ context.Context, h SCRAMHash, user string) (SCRAMCredentials, error) {
	s.calls++
	if s.err != nil {
		return SCRAMCredentials{}, s.err
	}
	c, ok := s.creds[h.String()+"/"+user]
	if !ok {
		return SCRAMCredentials{}, ErrInvalidCredentials
	}
	return c, nil
}

func (s *scramTestStore) AuthorizeSCRAM(_ context.Context, user, authzid string) error {
	if s.authz[user+">"+authzid] {
		return nil
	}
	return ErrAuthzDenied
}

// plainSCRAMStore hides AuthorizeSCRAM.
type plainSCRAMStore struct{ SCRAMStore }

var (
	scramStoreOnce sync.Once
	scramStoreData map[string]SCRAMCredentials
)

// newSCRAMTestStore returns a store that knows "user"/"pencil" and
// "alice"/"secret" for both hashes, with 4096 iterations. The slow
// derivations run once per test binary.
func newSCRAMTestStore(t testing.TB) *scramTestStore {
	scramStoreOnce.Do(func() {
		scramStoreData = map[string]SCRAMCredentials{}
		for _, h := range []SCRAMHash{SCRAMSHA1, SCRAMSHA256} {
			for user, pass := range map[string]string{"user": "pencil", "alice": "secret"} {
				c, err := DeriveSCRAMCredentials(h, pass, []byte("salt-of-"+user), 4096)
				if err != nil {
					panic(err)
				}
				scramStoreData[h.String()+"/"+user] = c
			}
		}
	})
	return &scramTestStore{creds: scramStoreData, authz: map[string]bool{"alice>shared": true}}
}

// withNonceLen sets the generated nonce length of a client or server
// mechanism made by this package, so tests can feed the RFC nonces.
func withNonceLen(t testing.TB, m any, n int) {
	switch m := m.(type) {
	case *scramClientMech:
		m.nonceLen = n
	case *scramServerMech:
		m.nonceLen = n
	default:
		t.Fatalf("not a SCRAM mechanism: %T", m)
	}
}

func TestSCRAMHash(t *testing.T) {
	tests := []struct {
		h          SCRAMHash
		str        string
		valid      bool
		mech, plus string
	}{
		{SCRAMHashNone, "none", false, "", ""},
		{SCRAMSHA1, "SHA-1", true, "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"},
		{SCRAMSHA256, "SHA-256", true, "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"},
		{SCRAMHash(9), "SCRAMHash(9)", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			assert.Equal(t, tt.str, tt.h.String())
			assert.Equal(t, tt.valid, tt.h.IsValid())
			assert.Equal(t, tt.mech, tt.h.Mechanism(false))
			assert.Equal(t, tt.plus, tt.h.Mechanism(true))
		})
	}
}

func TestParseSCRAMMechanism(t *testing.T) {
	tests := []struct {
		in   string
		h    SCRAMHash
		plus bool
		ok   bool
	}{
		{"SCRAM-SHA-1", SCRAMSHA1, false, true},
		{"scram-sha-1-plus", SCRAMSHA1, true, true},
		{"SCRAM-SHA-256", SCRAMSHA256, false, true},
		{"SCRAM-SHA-256-PLUS", SCRAMSHA256, true, true},
		{"SCRAM-SHA-512", SCRAMHashNone, false, false},
		{"PLAIN", SCRAMHashNone, false, false},
		{"", SCRAMHashNone, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, plus, ok := ParseSCRAMMechanism(tt.in)
			assert.Equal(t, tt.h, h)
			assert.Equal(t, tt.plus, plus)
			assert.Equal(t, tt.ok, ok)
		})
	}
}

func TestParseSCRAMGS2(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		flag    byte
		cb      string
		authzid string
		header  string
		bare    string
	}{
		{"n,,n=user,r=x", true, 'n', "", "", "n,,", "n=user,r=x"},
		{"y,,n=user,r=x", true, 'y', "", "", "y,,", "n=user,r=x"},
		{"p=tls-exporter,,n=u,r=x", true, 'p', "tls-exporter", "", "p=tls-exporter,,", "n=u,r=x"},
		{"n,a=bo=2Cb,n=u,r=x", true, 'n', "", "bo,b", "n,a=bo=2Cb,", "n=u,r=x"},
		{"", false, 0, "", "", "", ""},
		{"n", false, 0, "", "", "", ""},
		{"n,", false, 0, "", "", "", ""},
		{"x,,n=u", false, 0, "", "", "", ""},
		{"p=,,n=u", false, 0, "", "", "", ""},
		{"p=tls_unique,,n=u", false, 0, "", "", "", ""},
		{"nn,,n=u", false, 0, "", "", "", ""},
		{"n,b=x,n=u", false, 0, "", "", "", ""},
		{"n,a=,n=u", false, 0, "", "", "", ""},
		{"n,a==ZZ,n=u", false, 0, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g, bare, _, ok := parseSCRAMGS2([]byte(tt.in))
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tt.flag, g.flag)
			assert.Equal(t, tt.cb, g.cbName)
			assert.Equal(t, tt.authzid, g.authzid)
			assert.Equal(t, tt.header, string(g.header))
			assert.Equal(t, tt.bare, string(bare))
			assert.Equal(t, tt.header, string(appendSCRAMGS2(nil, g.flag, g.cbName, g.authzid)))
		})
	}
}

func TestSCRAMAttrs(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		keys string
	}{
		{"r=abc,s=QQ==,i=4096", true, "rsi"},
		{"v=x", true, "v"},
		{"a=", true, "a"},
		{"", false, ""},
		{",r=a", false, ""},
		{"r=a,", false, ""},
		{"r=a,,s=b", false, ""},
		{"ra", false, ""},
		{"1=a", false, ""},
		{"r=a,s=b,i=c,d=e", false, ""}, // more than the capacity of 3
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			attrs, ok := scramAttrs([]byte(tt.in), make([]scramAttr, 0, 3))
			require.Equal(t, tt.ok, ok)
			if ok {
				var keys []byte
				for _, a := range attrs {
					keys = append(keys, a.key)
				}
				assert.Equal(t, tt.keys, string(keys))
			}
		})
	}
}

func TestParseSCRAMIterations(t *testing.T) {
	tests := []struct {
		in string
		n  int
		ok bool
	}{
		{"1", 1, true},
		{"4096", 4096, true},
		{"1048576", SCRAMMaxIterations, true},
		{"1048577", 1048577, false},
		{"99999999", 99999999, false},
		{"999999999999", 0, false},
		{"0", 0, false},
		{"04096", 0, false},
		{"+4096", 0, false},
		{"-1", 0, false},
		{"40 96", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, ok := parseSCRAMIterations([]byte(tt.in))
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.n, n)
			}
		})
	}
}

func TestCheckSCRAMExtensions(t *testing.T) {
	tests := []struct {
		in    string
		ok    bool
		value string
	}{
		{"x=ignored,z=also", true, ""},
		{"m=mandatory", false, scramErrExtensions},
		{"x=a=b", false, scramErrInvalidEncoding},
		{"x=\x00", false, scramErrInvalidEncoding},
		{"x=", false, scramErrInvalidEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			attrs, ok := scramAttrs([]byte(tt.in), make([]scramAttr, 0, 4))
			require.True(t, ok)
			v, ok := checkSCRAMExtensions(attrs)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.value, v)
		})
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestSCRAMNonce(t *testing.T) {
	t.Run("printable from crypto/rand", func(t *testing.T) {
		o := newOptions(nil)
		seen := map[string]bool{}
		for range 50 {
			n, err := scramNonce(&o, scramNonceLen)
			require.NoError(t, err)
			require.Len(t, n, scramNonceLen)
			assert.True(t, isSCRAMPrintable(n), "%q", n)
			assert.False(t, seen[string(n)])
			seen[string(n)] = true
		}
	})
	t.Run("printable input passes through", func(t *testing.T) {
		o := newOptions([]Option{WithRand(strings.NewReader("fyko+d2lbbFgONRv9qkxdawL"))})
		n, err := scramNonce(&o, 24)
		require.NoError(t, err)
		assert.Equal(t, "fyko+d2lbbFgONRv9qkxdawL", string(n))
	})
	t.Run("commas and controls are skipped, high bit dropped", func(t *testing.T) {
		o := newOptions([]Option{WithRand(strings.NewReader(",\x00a\x1f\xe2 c"))})
		n, err := scramNonce(&o, 3)
		require.NoError(t, err)
		assert.Equal(t, "abc", string(n))
	})
	t.Run("source with nothing usable", func(t *testing.T) {
		o := newOptions([]Option{WithRand(zeroReader{})})
		_, err := scramNonce(&o, 8)
		require.ErrorIs(t, err, ErrTemporary)
	})
	t.Run("failing source", func(t *testing.T) {
		o := newOptions([]Option{WithRand(errReader{})})
		_, err := scramNonce(&o, 8)
		require.ErrorIs(t, err, ErrTemporary)
		o = newOptions([]Option{WithRand(strings.NewReader("abc"))})
		_, err = scramNonce(&o, 8)
		require.ErrorIs(t, err, ErrTemporary)
		assert.ErrorContains(t, err, io.ErrUnexpectedEOF.Error())
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestSCRAMErrorSentinel(t *testing.T) {
	tests := map[string]error{
		scramErrCBMismatch:         ErrChannelBinding,
		scramErrServerSupportsCB:   ErrChannelBinding,
		scramErrCBNotSupported:     ErrChannelBinding,
		scramErrUnsupportedCBType:  ErrChannelBinding,
		scramErrInvalidEncoding:    ErrMalformed,
		scramErrExtensions:         ErrMalformed,
		scramErrInvalidUsernameEnc: ErrMalformed,
		scramErrNoResources:        ErrTemporary,
		scramErrInvalidProof:       ErrInvalidCredentials,
		scramErrUnknownUser:        ErrInvalidCredentials,
		scramErrOther:              ErrInvalidCredentials,
		"future-value":             ErrInvalidCredentials,
	}
	for v, want := range tests {
		t.Run(v, func(t *testing.T) {
			err := scramFail("SCRAM-SHA-1", scramErrorSentinel(v), v, "test")
			require.ErrorIs(t, err, want)
			var se *SCRAMError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, v, se.Value)
			assert.Contains(t, err.Error(), "e="+v)
		})
	}
}

func TestSCRAMCBindValues(t *testing.T) {
	// RFC 5802 section 5 and SPEC 4.2: c=biws for "n,,", c=eSws for "y,,".
	assert.Equal(t, "biws", string(appendSCRAMCBind(nil, []byte("n,,"), nil)))
	assert.Equal(t, "eSws", string(appendSCRAMCBind(nil, []byte("y,,"), nil)))
	want := base64.StdEncoding.EncodeToString([]byte("p=tls-exporter,,\x01\x02"))
	assert.Equal(t, want, string(appendSCRAMCBind(nil, []byte("p=tls-exporter,,"), []byte{1, 2})))
}

// BenchmarkSCRAMSHA256Exchange runs whole SCRAM-SHA-256 exchanges, client
// against server, with 4096 iterations. "reused-client" reuses one client
// mechanism, whose key cache skips PBKDF2 after the first exchange, as an
// SMTP client that reconnects does; "new-client" derives the keys every
// time. The server never runs PBKDF2: the store holds derived keys.
func BenchmarkSCRAMSHA256Exchange(b *testing.B) {
	ctx := context.Background()
	sm := SCRAMServer(SCRAMSHA256, false, newSCRAMTestStore(b))
	size := int64(exchangeSize(b, SCRAMClient(SCRAMSHA256, false, "", "user", "pencil"), sm))
	b.Run("reused-client", func(b *testing.B) {
		cm := SCRAMClient(SCRAMSHA256, false, "", "user", "pencil")
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			if _, err := exchange(ctx, cm, sm, ConnState{}, ConnState{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-client", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(size)
		for b.Loop() {
			cm := SCRAMClient(SCRAMSHA256, false, "", "user", "pencil")
			if _, err := exchange(ctx, cm, sm, ConnState{}, ConnState{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
