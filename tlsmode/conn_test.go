package tlsmode_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/tlsmode"
)

// pki is a test CA with a server config for "mx.test" and a client config
// that trusts the CA.
type pki struct {
	ca  *tlsmode.TestCA
	srv *tls.Config
	cli *tls.Config
}

func newPKI(t testing.TB, maxVersion uint16) pki {
	t.Helper()
	ca, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	base, err := ca.ServerConfig("mx.test")
	require.NoError(t, err)
	srv, err := tlsmode.ServerConfig(base)
	require.NoError(t, err)
	cbase := ca.ClientConfig("")
	cbase.MaxVersion = maxVersion
	cli, err := tlsmode.ClientConfig("mx.test", cbase)
	require.NoError(t, err)
	return pki{ca: ca, srv: srv, cli: cli}
}

var versions = []struct {
	name string
	max  uint16
}{
	{"TLS1.2", tls.VersionTLS12},
	{"TLS1.3", tls.VersionTLS13},
}

func TestDialogModePolicyMatrix(t *testing.T) {
	const (
		none  = tlsmode.ModeNone
		start = tlsmode.ModeSTARTTLS
		impl  = tlsmode.ModeImplicit
		auto  = tlsmode.ModeAuto
		pAuto = tlsmode.PolicyAuto
		off   = tlsmode.PolicyDisabled
		opp   = tlsmode.PolicyOpportunistic
		req   = tlsmode.PolicyRequired
	)
	type srvSpec struct {
		mode   tlsmode.Mode
		policy tlsmode.Policy
		cert   bool
		refuse bool
	}
	tests := []struct {
		name       string
		srv        srvSpec
		port       int
		mode       tlsmode.Mode
		policy     tlsmode.Policy
		wantStatus tlsmode.Status
		wantErr    error  // sentinel, or nil
		wantCode   int    // reply code of a refused MAIL, or 0
		wantMail   string // how the server saw MAIL ("MAIL", "tls:MAIL"), or "" if never sent
	}{
		{"none vs plaintext server", srvSpec{none, off, false, false}, 1025, none, pAuto, tlsmode.StatusClearByPolicy, nil, 0, "MAIL"},
		{"none vs STARTTLS server", srvSpec{start, opp, true, false}, 25, none, off, tlsmode.StatusClearByPolicy, nil, 0, "MAIL"},
		{"opportunistic, offered", srvSpec{start, opp, true, false}, 25, auto, pAuto, tlsmode.StatusSecured, nil, 0, "tls:MAIL"},
		{"opportunistic, not offered", srvSpec{none, off, false, false}, 25, auto, pAuto, tlsmode.StatusClearNotOffered, nil, 0, "MAIL"},
		{"opportunistic, refused", srvSpec{start, opp, true, true}, 25, auto, pAuto, tlsmode.StatusClearRefused, nil, 0, "MAIL"},
		{"opportunistic vs requiring server", srvSpec{start, req, true, false}, 25, start, opp, tlsmode.StatusSecured, nil, 0, "tls:MAIL"},
		{"required, offered", srvSpec{start, opp, true, false}, 587, auto, pAuto, tlsmode.StatusSecured, nil, 0, "tls:MAIL"},
		{"required vs requiring server", srvSpec{start, req, true, false}, 587, start, req, tlsmode.StatusSecured, nil, 0, "tls:MAIL"},
		{"required, not offered: no fallback", srvSpec{none, off, false, false}, 587, auto, pAuto, tlsmode.StatusUnknown, tlsmode.ErrSTARTTLSNotOffered, 0, ""},
		{"required, refused: no fallback", srvSpec{start, opp, true, true}, 2525, auto, req, tlsmode.StatusUnknown, tlsmode.ErrSTARTTLSRefused, 0, ""},
		{"implicit", srvSpec{impl, req, true, false}, 465, auto, pAuto, tlsmode.StatusSecured, nil, 0, "tls:MAIL"},
		{"plaintext client vs requiring server", srvSpec{start, req, true, false}, 587, none, off, tlsmode.StatusClearByPolicy, nil, 530, "MAIL"},
	}
	for _, ver := range versions {
		p := newPKI(t, ver.max)
		for _, tt := range tests {
			t.Run(ver.name+"/"+tt.name, func(t *testing.T) {
				s := scriptServer{mode: tt.srv.mode, policy: tt.srv.policy, refuse: tt.srv.refuse}
				if tt.srv.cert {
					s.cfg = p.srv
				}
				addr, done := s.start(t)
				c := scriptClient{port: tt.port, mode: tt.mode, policy: tt.policy, cfg: p.cli}
				res := c.run(addr)
				srv := waitServer(t, done)

				switch {
				case tt.wantErr != nil:
					require.ErrorIs(t, res.err, tt.wantErr)
				case tt.wantCode != 0:
					var rerr *reply.Error
					require.ErrorAs(t, res.err, &rerr)
					assert.Equal(t, reply.Code(tt.wantCode), rerr.Code)
				default:
					require.NoError(t, res.err)
				}
				require.NoError(t, srv.err)
				assert.Equal(t, tt.wantStatus, res.status)

				var mail []string
				for _, cmd := range srv.commands {
					if strings.HasSuffix(cmd, "MAIL") {
						mail = append(mail, cmd)
					}
				}
				if tt.wantMail == "" {
					assert.Empty(t, mail, "no command after the policy failed: no plaintext fallback")
				} else {
					assert.Equal(t, []string{tt.wantMail}, mail)
				}

				secured := tt.wantStatus == tlsmode.StatusSecured
				assert.Equal(t, secured, srv.secured)
				if !secured {
					assert.Empty(t, res.facts.ChannelBindings)
					return
				}
				assert.Equal(t, ver.max, res.facts.Version)
				assert.Equal(t, res.facts.ChannelBindings, srv.facts.ChannelBindings, "both ends compute the same bindings")
				assert.Equal(t, "mx.test", srv.facts.ServerName)
				if tt.srv.mode == start {
					require.Len(t, res.ehlo, 2)
					assert.Contains(t, res.ehlo[0], "STARTTLS")
					assert.NotContains(t, res.ehlo[1], "STARTTLS", "RFC 3207 section 4.2: not advertised after TLS")
				} else {
					require.Len(t, res.ehlo, 1)
					assert.NotContains(t, res.ehlo[0], "STARTTLS", "not advertised on implicit TLS")
				}
			})
		}
	}
}

func TestDialogSecondSTARTTLS(t *testing.T) {
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeSTARTTLS, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
	res := scriptClient{port: 587, cfg: p.cli, again: true}.run(addr)
	srv := waitServer(t, done)
	require.NoError(t, res.err)
	require.NoError(t, srv.err)
	assert.Equal(t, "503 5.5.1 TLS already active\r\n", string(res.againReply.Append(nil)))
	assert.Equal(t, []string{"EHLO", "STARTTLS", "tls:EHLO", "tls:STARTTLS", "tls:MAIL", "tls:QUIT"}, srv.commands)
}

func TestDialogMAILAfterSTARTTLSNeedsEHLO(t *testing.T) {
	// After the handshake the server forgot the greeting (RFC 3207 section
	// 4.2): a client that skips the second EHLO gets 503.
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeSTARTTLS, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(dialogDeadline)))
	br := bufio.NewReader(conn)
	_, err = readReply(br)
	require.NoError(t, err)
	_, err = ehlo(conn, br)
	require.NoError(t, err)
	_, err = io.WriteString(conn, "STARTTLS\r\n")
	require.NoError(t, err)
	r, err := readReply(br)
	require.NoError(t, err)
	require.Equal(t, reply.CodeReady, r.Code)
	tc, _, err := tlsmode.ClientHandshake(context.Background(), conn, p.cli)
	require.NoError(t, err)
	_, err = io.WriteString(tc, "MAIL FROM:<a@example.test>\r\nQUIT\r\n")
	require.NoError(t, err)
	r, err = readReply(bufio.NewReader(tc))
	require.NoError(t, err)
	assert.Equal(t, reply.CodeBadSequence, r.Code)
	require.NoError(t, waitServer(t, done).err)
}

func TestInjectionAfterSTARTTLSServer(t *testing.T) {
	// CVE-2011-0411: "STARTTLS\r\nRSET\r\n" in one write. The server must not
	// run RSET, in clear or under TLS: it answers 421 and closes.
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeSTARTTLS, policy: tlsmode.PolicyOpportunistic, cfg: p.srv}.start(t)
	res := scriptClient{port: 587, cfg: p.cli, inject: "RSET\r\n"}.run(addr)
	srv := waitServer(t, done)

	var be *tlsmode.BoundaryError
	require.ErrorAs(t, srv.err, &be)
	assert.Equal(t, tlsmode.SideServer, be.Side)
	assert.Equal(t, len("RSET\r\n"), be.Buffered)
	assert.Equal(t, []string{"EHLO", "STARTTLS"}, srv.commands, "the injected RSET never ran")
	assert.False(t, srv.secured)

	// The client (required policy) sees the 421 and stops.
	require.ErrorIs(t, res.err, tlsmode.ErrSTARTTLSRefused)
	var rerr *reply.Error
	require.ErrorAs(t, res.err, &rerr)
	assert.Equal(t, reply.CodeServiceNotAvailable, rerr.Code)
}

func TestInjectionAfterSTARTTLSClient(t *testing.T) {
	// A man in the middle appends a reply to the 220: the client must not
	// read it as the first reply under TLS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	after := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			after <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(dialogDeadline))
		br := bufio.NewReader(c)
		_, _ = io.WriteString(c, "220 mx.test ESMTP\r\n")
		_, _ = br.ReadString('\n') // EHLO
		_, _ = io.WriteString(c, "250-mx.test\r\n250 STARTTLS\r\n")
		_, _ = br.ReadString('\n') // STARTTLS
		_, _ = io.WriteString(c, "220 go ahead\r\n250 injected\r\n")
		rest, _ := io.ReadAll(br) // until the client closes
		after <- rest
	}()

	p := newPKI(t, 0)
	res := scriptClient{port: 587, cfg: p.cli}.run(ln.Addr().String())
	var be *tlsmode.BoundaryError
	require.ErrorAs(t, res.err, &be)
	assert.ErrorIs(t, res.err, tlsmode.ErrPlaintextAfterSTARTTLS)
	assert.Equal(t, tlsmode.SideClient, be.Side)
	assert.Equal(t, len("250 injected\r\n"), be.Buffered)
	assert.NotEqual(t, tlsmode.StatusSecured, res.status)
	select {
	case rest := <-after:
		assert.Empty(t, rest, "the client closed without starting the handshake")
	case <-time.After(2 * dialogDeadline):
		t.Fatal("server did not finish")
	}
}

func TestWrongHostName(t *testing.T) {
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			p := newPKI(t, ver.max)
			wrong, err := tlsmode.ClientConfig("other.test", p.ca.ClientConfig(""))
			require.NoError(t, err)

			// Implicit TLS.
			addr, done := scriptServer{mode: tlsmode.ModeImplicit, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
			res := scriptClient{port: 465, cfg: wrong}.run(addr)
			waitServer(t, done)
			var ve *tlsmode.VerifyError
			require.ErrorAs(t, res.err, &ve)
			assert.Equal(t, "other.test", ve.Host)
			var he x509.HostnameError
			require.ErrorAs(t, res.err, &he, "unwraps to the x509 error")
			assert.Contains(t, res.err.Error(), `"other.test"`)
			assert.Contains(t, res.err.Error(), "do not disable verification")

			// STARTTLS with the required policy: the handshake failure ends
			// the session.
			addr, done = scriptServer{mode: tlsmode.ModeSTARTTLS, policy: tlsmode.PolicyOpportunistic, cfg: p.srv}.start(t)
			res = scriptClient{port: 587, cfg: wrong}.run(addr)
			srv := waitServer(t, done)
			require.ErrorAs(t, res.err, &ve)
			assert.ErrorIs(t, res.err, tlsmode.ErrHandshake)
			assert.Equal(t, "other.test", ve.Host)
			assert.NotContains(t, srv.commands, "MAIL", "no plaintext fallback")
		})
	}
}

func TestUnknownAuthority(t *testing.T) {
	p := newPKI(t, 0)
	other, err := tlsmode.NewTestCA()
	require.NoError(t, err)
	cfg, err := tlsmode.ClientConfig("mx.test", other.ClientConfig(""))
	require.NoError(t, err)
	addr, done := scriptServer{mode: tlsmode.ModeImplicit, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
	res := scriptClient{port: 465, cfg: cfg}.run(addr)
	waitServer(t, done)
	var ve *tlsmode.VerifyError
	require.ErrorAs(t, res.err, &ve)
	var ue x509.UnknownAuthorityError
	require.ErrorAs(t, res.err, &ue)
	assert.Contains(t, res.err.Error(), "RootCAs")
}

func TestImplicitClientAgainstPlaintextGreeting(t *testing.T) {
	// A client configured for implicit TLS meets a server that greets in
	// plaintext. It fails on the greeting, not at the 2s handshake timeout.
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeSTARTTLS, policy: tlsmode.PolicyOpportunistic, cfg: p.srv}.start(t)
	res := scriptClient{port: 10465, mode: tlsmode.ModeImplicit, cfg: p.cli}.run(addr)
	srv := waitServer(t, done)

	require.ErrorIs(t, res.err, tlsmode.ErrPlaintextGreeting)
	assert.NotErrorIs(t, res.err, tlsmode.ErrNoHandshake)
	var me *tlsmode.MismatchError
	require.ErrorAs(t, res.err, &me)
	assert.Equal(t, tlsmode.SideClient, me.Side)
	assert.Contains(t, res.err.Error(), "server sent a plaintext SMTP greeting \"220 m")
	assert.Contains(t, res.err.Error(), "use STARTTLS (ModeSTARTTLS, port 587) instead of implicit TLS")
	var rh tls.RecordHeaderError
	assert.ErrorAs(t, res.err, &rh, "the cause is kept")

	// The plaintext server saw the ClientHello.
	require.ErrorIs(t, srv.err, tlsmode.ErrUnexpectedTLS)
	assert.Contains(t, srv.err.Error(), "ModeImplicit, port 465")
}

func TestSTARTTLSClientAgainstImplicitServer(t *testing.T) {
	// Both ends wait: the server for a ClientHello, the client for a
	// greeting. The client gives up at its greeting timeout with advice.
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeImplicit, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
	res := scriptClient{port: 10587, cfg: p.cli, greeting: 200 * time.Millisecond}.run(addr)
	srv := waitServer(t, done)

	require.ErrorIs(t, res.err, tlsmode.ErrNoGreeting)
	assert.Contains(t, res.err.Error(), "ModeImplicit")
	var ne net.Error
	require.ErrorAs(t, res.err, &ne)
	assert.True(t, ne.Timeout())
	// The client closed: the server's handshake ends with EOF.
	require.ErrorIs(t, srv.err, tlsmode.ErrHandshake)
	assert.ErrorIs(t, srv.err, io.EOF)
}

func TestImplicitServerSilentClient(t *testing.T) {
	// A client that waits for a greeting on an implicit-TLS port: the
	// server gives up at its handshake deadline with advice.
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeImplicit, policy: tlsmode.PolicyRequired, cfg: p.srv, timeout: 200 * time.Millisecond}.start(t)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	srv := waitServer(t, done)
	require.ErrorIs(t, srv.err, tlsmode.ErrNoHandshake)
	assert.ErrorIs(t, srv.err, context.DeadlineExceeded)
	assert.Contains(t, srv.err.Error(), "configured for STARTTLS")
}

func TestNoGreetingAdvice(t *testing.T) {
	err := tlsmode.NoGreeting(465, nil)
	require.ErrorIs(t, err, tlsmode.ErrNoGreeting)
	assert.Contains(t, err.Error(), "port 465 expects implicit TLS (RFC 8314 section 3.3): use ModeImplicit, or port 587 with ModeSTARTTLS")
	err = tlsmode.NoGreeting(587, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "if the server expects implicit TLS, use ModeImplicit (port 465)")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, tlsmode.ErrNoGreeting.Error(), "use ModeImplicit")
}

func TestPlaintextCommandToImplicitServer(t *testing.T) {
	p := newPKI(t, 0)
	addr, done := scriptServer{mode: tlsmode.ModeImplicit, policy: tlsmode.PolicyRequired, cfg: p.srv}.start(t)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(dialogDeadline)))
	_, err = io.WriteString(conn, "EHLO client.test\r\n")
	require.NoError(t, err)
	srv := waitServer(t, done)
	require.ErrorIs(t, srv.err, tlsmode.ErrPlaintextCommand)
	assert.Contains(t, srv.err.Error(), `"EHLO`)
	assert.Contains(t, srv.err.Error(), "ModeImplicit, port 465")
}

func TestCheckPlaintext(t *testing.T) {
	tests := []struct {
		name string
		side tlsmode.Side
		p    []byte
		want bool
	}{
		{"client hello", tlsmode.SideServer, []byte{0x16, 0x03, 0x01, 0x02, 0x00}, true},
		{"one byte", tlsmode.SideServer, []byte{0x16}, true},
		{"alert", tlsmode.SideClient, []byte{0x15, 0x03, 0x03, 0x00, 0x02}, true},
		{"greeting", tlsmode.SideClient, []byte("220 mx.test ESMTP\r\n"), false},
		{"command", tlsmode.SideServer, []byte("EHLO x\r\n"), false},
		{"0x16 then not 3", tlsmode.SideServer, []byte{0x16, 0x04}, false},
		{"empty", tlsmode.SideServer, nil, false},
	}
	for _, tt := range tests {
		err := tlsmode.CheckPlaintext(tt.side, tt.p)
		if !tt.want {
			assert.NoError(t, err, tt.name)
			continue
		}
		require.ErrorIs(t, err, tlsmode.ErrUnexpectedTLS, tt.name)
		var me *tlsmode.MismatchError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, tt.side, me.Side)
		assert.NotEmpty(t, me.Fix)
	}
}

// FuzzCheckPlaintext feeds arbitrary first bytes to the mismatch checks
// and to a server handshake. Properties: CheckPlaintext flags exactly the
// TLS record starts; the handshake of a server that receives these bytes
// fails (a ClientHello cannot be forged from plaintext) with an error whose
// text is printable ASCII, however hostile the input.
func FuzzCheckPlaintext(f *testing.F) {
	f.Add([]byte("220 mx.example.com ESMTP ready\r\n"))
	f.Add([]byte("EHLO client.example\r\n"))
	f.Add([]byte("STARTTLS\r\nRSET\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0xf4, 0x01})
	f.Add([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28})
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Add([]byte("\x00\xff\x80\r\n"))
	p := newPKI(f, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, side := range []tlsmode.Side{tlsmode.SideClient, tlsmode.SideServer} {
			err := tlsmode.CheckPlaintext(side, data)
			isTLS := len(data) > 0 && (data[0] == 0x15 || data[0] == 0x16) && (len(data) < 2 || data[1] == 0x03)
			assert.Equal(t, isTLS, err != nil)
		}
		if len(data) == 0 || data[0] == 0x16 || data[0] == 0x15 {
			return // not plaintext: the TLS layer's own business
		}
		cli, srv := net.Pipe()
		go func() {
			_, _ = cli.Write(data)
			cli.Close() // EOF: a short input fails at once
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _, err := tlsmode.ServerHandshake(ctx, srv, p.srv)
		require.Error(t, err)
		msg := err.Error()
		assert.True(t, utf8.ValidString(msg))
		for i := 0; i < len(msg); i++ {
			if msg[i] < 0x20 || msg[i] >= 0x7f {
				t.Fatalf("non-printable byte %#x in %q", msg[i], msg)
			}
		}
	})
}

func TestClientHandshakeNeedsServerName(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	_, _, err := tlsmode.ClientHandshake(context.Background(), a, &tls.Config{})
	require.ErrorIs(t, err, tlsmode.ErrNoServerName)
	_, err = a.Write([]byte{1})
	assert.Error(t, err, "the connection is closed")

	c, d := net.Pipe()
	defer d.Close()
	_, _, err = tlsmode.ServerHandshake(context.Background(), c, nil)
	require.ErrorIs(t, err, tlsmode.ErrNoCertificate)
}

func TestHandshakeEOF(t *testing.T) {
	// The server closes the connection during the client's handshake.
	p := newPKI(t, 0)
	a, b := net.Pipe()
	go func() {
		buf := make([]byte, 5)
		_, _ = io.ReadFull(b, buf)
		b.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _, err := tlsmode.ClientHandshake(ctx, a, p.cli)
	require.ErrorIs(t, err, tlsmode.ErrHandshake)
	assert.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || strings.Contains(err.Error(), "closed"), err.Error())
}

func TestMismatchErrorText(t *testing.T) {
	e := &tlsmode.MismatchError{Side: tlsmode.SideClient, Problem: "x", Got: []byte("2\x00\r\n"), Fix: "y", Err: tlsmode.ErrPlaintextPeer}
	assert.Equal(t, `tlsmode: client: x "2\x00\x0d\x0a": y`, e.Error())
	assert.ErrorIs(t, e, tlsmode.ErrPlaintextPeer)
	assert.True(t, bytes.Equal([]byte("2\x00\r\n"), e.Got))
}
