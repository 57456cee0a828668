package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets check SCRAM against an independent computation of RFC
// 5802 section 3 written here with the standard library, so that success
// can be tied to knowledge of the password.

const fuzzSCRAMPassword = "pencil"

var fuzzSCRAMSalt = []byte("fuzz-salt-16byte")

// fuzzRand is a deterministic random source: printable letters in a
// cycle, so every exchange gets the same nonce and a recorded exchange can
// be replayed.
type fuzzRand struct{ i int }

func (r *fuzzRand) Read(p []byte) (int, error) {
	for k := range p {
		p[k] = 'A' + byte(r.i%26)
		r.i++
	}
	return len(p), nil
}

// fuzzSCRAMMode unpacks a fuzz mode byte.
type fuzzSCRAMMode struct {
	hash       SCRAMHash
	plus       bool
	binding    bool // the connection has a channel binding
	notOffered bool // the server does not offer -PLUS
}

func parseFuzzSCRAMMode(m uint8) fuzzSCRAMMode {
	h := SCRAMSHA1
	if m&1 != 0 {
		h = SCRAMSHA256
	}
	return fuzzSCRAMMode{hash: h, plus: m&2 != 0, binding: m&6 != 0, notOffered: m&8 != 0}
}

var fuzzBinding = []ChannelBinding{{Type: CBTLSExporter, Data: []byte("fuzz-exporter-data")}}

func (m fuzzSCRAMMode) connState() ConnState {
	if m.binding {
		return ConnState{TLS: true, ChannelBindings: fuzzBinding}
	}
	return ConnState{TLS: true}
}

// refHash returns the reference hash constructor.
func refHash(h SCRAMHash) func() hash.Hash {
	if h == SCRAMSHA1 {
		return sha1.New
	}
	return sha256.New
}

func refHMAC(h SCRAMHash, key []byte, msg string) []byte {
	m := hmac.New(refHash(h), key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// refKeys returns ClientKey, StoredKey and ServerKey for the fuzz password.
func refKeys(t testing.TB, h SCRAMHash, salt []byte, iter int) (clientKey, storedKey, serverKey []byte) {
	salted, err := pbkdf2.Key(refHash(h), fuzzSCRAMPassword, salt, iter, refHash(h)().Size())
	require.NoError(t, err)
	clientKey = refHMAC(h, salted, "Client Key")
	d := refHash(h)()
	d.Write(clientKey)
	return clientKey, d.Sum(nil), refHMAC(h, salted, "Server Key")
}

var (
	fuzzStoreOnce sync.Once
	fuzzStore     SCRAMStore
	fuzzRefKeys   [numSCRAMHashes][3][]byte
)

// fuzzSCRAMStore knows one user, "user" with password "pencil", for both
// hashes, with 4096 iterations.
func fuzzSCRAMStore(t testing.TB) SCRAMStore {
	fuzzStoreOnce.Do(func() {
		creds := map[SCRAMHash]SCRAMCredentials{}
		for _, h := range []SCRAMHash{SCRAMSHA1, SCRAMSHA256} {
			c, err := DeriveSCRAMCredentials(h, fuzzSCRAMPassword, fuzzSCRAMSalt, 4096)
			require.NoError(t, err)
			creds[h] = c
			ck, sk, svk := refKeys(t, h, fuzzSCRAMSalt, 4096)
			fuzzRefKeys[h] = [3][]byte{ck, sk, svk}
		}
		fuzzStore = SCRAMStoreFunc(func(_ context.Context, h SCRAMHash, user string) (SCRAMCredentials, error) {
			if c, ok := creds[h]; ok && user == "user" {
				return c, nil
			}
			return SCRAMCredentials{}, ErrInvalidCredentials
		})
	})
	return fuzzStore
}

func newFuzzSCRAMServer(t testing.TB, m fuzzSCRAMMode) ServerMechanism {
	cfg := SCRAMServerConfig{Hash: m.hash, Plus: m.plus, Store: fuzzSCRAMStore(t), Secret: []byte("fuzz secret")}
	if m.notOffered {
		cfg.OffersPlus = func(ConnState) bool { return false }
	}
	sm, err := NewSCRAMServer(cfg, WithRand(&fuzzRand{}))
	require.NoError(t, err)
	return sm
}

// genuineSCRAMExchange runs a real client against the fuzz server and
// returns the client's messages.
func genuineSCRAMExchange(t testing.TB, mode uint8) (msgs [3][]byte) {
	m := parseFuzzSCRAMMode(mode)
	cm := SCRAMClient(m.hash, m.plus, "", "user", fuzzSCRAMPassword).(OfferAware).WithOffered([]string{m.hash.Mechanism(!m.notOffered)})
	rec := &scramRecorder{ServerMechanism: newFuzzSCRAMServer(t, m)}
	_, _ = exchange(context.Background(), cm, rec, m.connState(), m.connState())
	copy(msgs[:], rec.responses)
	return msgs
}

func FuzzSCRAMServer(f *testing.F) {
	for mode := range uint8(16) {
		msgs := genuineSCRAMExchange(f, mode)
		f.Add(mode, true, msgs[0], msgs[1], msgs[2], []byte(nil))
		f.Add(mode, false, []byte(nil), msgs[0], msgs[1], msgs[2])
		if mode == 3 {
			f.Add(mode, true, []byte(strings.Replace(string(msgs[0]), "p=tls-exporter", "p=tls-unique", 1)), msgs[1], msgs[2], []byte(nil))
		}
	}
	f.Add(uint8(1), true, []byte("n,a=us=2Cer,n=user,r=abc,x=1"), []byte("c=bixhPXVzPTJDZXIs,r=abc,p=AAAA"), []byte{}, []byte(nil))
	f.Add(uint8(4), true, []byte("y,,n=user,r=abc"), []byte("c=eSws,r=abc,p=AAAA"), []byte{}, []byte(nil))
	f.Add(uint8(0), true, []byte("n,,m=x,n=user,r=abc"), []byte(nil), []byte(nil), []byte(nil))
	f.Add(uint8(0), true, []byte("n,,n=nobody,r=abc"), []byte("c=biws,r=abcABCDEFGHIJKLMNOPQRSTUVWX,p=AAAAAAAAAAAAAAAAAAAAAAAAAAA="), []byte{}, []byte(nil))

	f.Fuzz(func(t *testing.T, mode uint8, present bool, ir, r1, r2, r3 []byte) {
		m := parseFuzzSCRAMMode(mode)
		ctx := context.Background()
		s, err := newFuzzSCRAMServer(t, m).NewServer(m.connState())
		if err != nil {
			require.ErrorIs(t, err, ErrUnsupported)
			return
		}
		var in, out [][]byte // client messages seen, server challenges sent
		ch, done, err := s.Start(ctx, ir, present)
		if present {
			in = append(in, ir)
		}
		record := func() {
			if err == nil && len(ch) > 0 {
				out = append(out, append([]byte(nil), ch...))
			}
		}
		record()
		for _, r := range [][]byte{r1, r2, r3} {
			if err != nil || done {
				break
			}
			in = append(in, r)
			ch, done, err = s.Next(ctx, r)
			record()
		}
		if err != nil {
			assert.False(t, done)
			assert.Equal(t, Identity{}, s.Identity())
			assert.NotContains(t, err.Error(), fuzzSCRAMPassword)
			assert.NotEqual(t, 235, int(Reply(err).Code))
			return
		}
		if !done {
			return
		}
		// Success: the exchange must be exactly what a client that knows
		// the password sends.
		require.Len(t, out, 2, "success after a server-first and a server-final message")
		require.Len(t, in, 3)
		require.Empty(t, in[2], "the answer to v= is empty")
		assert.Equal(t, "user", s.Identity().Username)
		clientFirst, serverFirst, clientFinal := string(in[0]), string(out[0]), string(in[1])
		i := strings.Index(clientFirst, ",")
		j := strings.Index(clientFirst[i+1:], ",")
		require.True(t, i >= 0 && j >= 0)
		header, bare := clientFirst[:i+j+2], clientFirst[i+j+2:]
		cbind := header
		if strings.HasPrefix(header, "p=") {
			require.True(t, m.plus)
			cbind += string(fuzzBinding[0].Data)
		} else {
			require.False(t, m.plus)
			require.False(t, header[0] == 'y' && m.binding && !m.notOffered, "y flag accepted by a server offering -PLUS")
		}
		without, _, ok := strings.Cut(clientFinal, ",p=")
		require.True(t, ok)
		require.True(t, strings.HasPrefix(without, "c="+base64.StdEncoding.EncodeToString([]byte(cbind))+",r="))
		keys := fuzzRefKeys[m.hash]
		authMessage := bare + "," + serverFirst + "," + without
		proof := refHMAC(m.hash, keys[1], authMessage)
		for k := range proof {
			proof[k] ^= keys[0][k]
		}
		assert.Equal(t, without+",p="+base64.StdEncoding.EncodeToString(proof), clientFinal)
		assert.Equal(t, "v="+base64.StdEncoding.EncodeToString(refHMAC(m.hash, keys[2], authMessage)), string(out[1]))
	})
}

// genuineSCRAMServerMessages runs the fuzz client nonce against a real
// server and returns its two messages.
func genuineSCRAMServerMessages(t testing.TB, mode uint8) (first, final []byte) {
	m := parseFuzzSCRAMMode(mode)
	c, err := newFuzzSCRAMClient(t, m).NewClient(m.connState())
	require.NoError(t, err)
	s, err := newFuzzSCRAMServer(t, fuzzSCRAMMode{hash: m.hash, plus: m.plus, binding: m.binding, notOffered: true}).NewServer(m.connState())
	require.NoError(t, err)
	ir, _, err := c.Start(context.Background())
	require.NoError(t, err)
	first, _, err = s.Start(context.Background(), ir, true)
	require.NoError(t, err)
	first = append([]byte(nil), first...)
	resp, err := c.Next(context.Background(), first)
	require.NoError(t, err)
	final, _, err = s.Next(context.Background(), resp)
	require.NoError(t, err)
	return first, append([]byte(nil), final...)
}

func newFuzzSCRAMClient(t testing.TB, m fuzzSCRAMMode) ClientMechanism {
	cm, err := NewSCRAMClient(SCRAMClientConfig{Hash: m.hash, Plus: m.plus, Username: "user", Password: fuzzSCRAMPassword, MinIterations: 1},
		WithRand(&fuzzRand{}))
	require.NoError(t, err)
	cm.(*scramClientMech).maxIter = 4096 // keeps each run fast
	return cm
}

func FuzzSCRAMClient(f *testing.F) {
	for mode := range uint8(8) {
		first, final := genuineSCRAMServerMessages(f, mode)
		f.Add(mode, first, final, true)
		f.Add(mode, first, []byte("e=invalid-proof"), false)
		f.Add(mode, append(first[:len(first)-4:len(first)-4], "1,x=y"...), final, true)
	}
	f.Add(uint8(0), []byte("r=ABCDEFGHIJKLMNOPQRSTUVWXsrv,s=QQ==,i=1"), []byte("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="), true)
	f.Add(uint8(0), []byte("m=x,r=ABCDEFGHIJKLMNOPQRSTUVWXsrv,s=QQ==,i=1"), []byte(nil), true)

	f.Fuzz(func(t *testing.T, mode uint8, serverFirst, serverFinal []byte, ok bool) {
		m := parseFuzzSCRAMMode(mode)
		ctx := context.Background()
		c, err := newFuzzSCRAMClient(t, m).NewClient(m.connState())
		if err != nil {
			require.ErrorIs(t, err, ErrUnsupported)
			return
		}
		ir, _, err := c.Start(ctx)
		require.NoError(t, err)
		clientFinal, err := c.Next(ctx, serverFirst)
		if err == nil {
			clientFinal = append([]byte(nil), clientFinal...)
			_, err = c.Next(ctx, serverFinal)
		}
		ferr := c.Finish(ok)
		if err != nil {
			assert.NotContains(t, err.Error(), fuzzSCRAMPassword)
			if ok {
				require.Error(t, ferr, "success accepted after a failed step")
			}
			return
		}
		if !ok || ferr != nil {
			return
		}
		// Accepted success: v= must be the genuine ServerSignature.
		var salt []byte
		iter := 0
		for _, a := range strings.Split(string(serverFirst), ",") {
			switch {
			case strings.HasPrefix(a, "s=") && salt == nil:
				salt, err = base64.StdEncoding.DecodeString(a[2:])
				require.NoError(t, err)
			case strings.HasPrefix(a, "i=") && iter == 0:
				iter, err = strconv.Atoi(a[2:])
				require.NoError(t, err)
			}
		}
		_, _, serverKey := refKeys(t, m.hash, salt, iter)
		without, _, found := strings.Cut(string(clientFinal), ",p=")
		require.True(t, found)
		_, bare, _ := strings.Cut(string(ir), ",n=")
		authMessage := "n=" + bare + "," + string(serverFirst) + "," + without
		want := "v=" + base64.StdEncoding.EncodeToString(refHMAC(m.hash, serverKey, authMessage))
		got, _, _ := strings.Cut(string(serverFinal), ",")
		assert.Equal(t, want, got)
	})
}
