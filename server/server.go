package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("server: Server closed")

// Server receives mail: it accepts connections and runs each through a
// state.Server machine, asking Handler for every decision. Set the fields
// before Serve; do not change them afterwards. The zero value (with a
// Handler) serves plain SMTP on Addr with state.DefaultExtensions.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on; empty means ":25"
	// (":465" for ListenAndServeTLS).
	Addr string
	// Handler accepts connections and makes their Sessions.
	Handler Handler
	// Hostname is the server's name in the greeting and replies; empty
	// means "localhost".
	Hostname string
	// Protocol is SMTP (the zero value) or LMTP (RFC 2033).
	Protocol state.Protocol
	// TLSConfig enables STARTTLS (RFC 3207) and is used by the implicit-TLS
	// methods (RFC 8314). It is passed through tlsmode.ServerConfig.
	TLSConfig *tls.Config
	// Auth holds the SASL mechanisms offered after EHLO (RFC 4954); nil
	// means no AUTH. Cleartext mechanisms are offered only under TLS unless
	// AllowInsecureAuth is set.
	Auth *auth.Registry
	// AllowInsecureAuth offers cleartext mechanisms (PLAIN, LOGIN ...)
	// without TLS.
	AllowInsecureAuth bool
	// Extensions are the extensions offered; zero means
	// state.DefaultExtensions. STARTTLS is added when TLSConfig is set,
	// AUTH when Auth is. XCLIENT, XFORWARD and ETRN are refused: the
	// driver does not implement them.
	Extensions wire.ExtSet
	// Limits, mapped onto state.ServerConfig (see its fields). Zero means
	// the machine's default (no size limit, 100 recipients, 10 errors, 3
	// failed AUTH exchanges, no DATA line limit, no transaction limit).
	MaxMessageSize  int64
	MaxRecipients   int
	MaxErrors       int
	MaxAuthFailures int
	MaxDataLine     int
	MaxTransactions int
	// RequireTLS and RequireAuth make commands wait for TLS or AUTH (530).
	RequireTLS, RequireAuth bool
	// Timeouts are the RFC 5321 section 4.5.3.2 timeouts and the minimum
	// data rate; the machine's Deadline becomes the connection's read
	// deadline.
	Timeouts state.Timeouts
	// MaxConnections and MaxConnectionsPerIP bound concurrent connections
	// (0: no bound); a connection over either is greeted 421 and closed.
	MaxConnections      int
	MaxConnectionsPerIP int
	// TrustedProxies are the networks allowed to send a PROXY protocol
	// header; a connection from them must start with one. ProxyTimeout
	// bounds its arrival (0: 5 seconds).
	TrustedProxies []netip.Prefix
	ProxyTimeout   time.Duration
	// Configure, if set, adjusts each connection's state.ServerConfig
	// after the fields above are applied: for the options they do not
	// cover (BareLines, Sync, Keywords ...).
	Configure func(*state.ServerConfig)
	// ErrorLog receives connection errors, handler errors and recovered
	// panics; nil means slog.Default(). Credentials are never logged.
	ErrorLog *slog.Logger
	// Trace, if set, receives a C:/S: protocol trace of every connection,
	// with AUTH exchanges redacted and message content summarized. Writes
	// are serialized by the Server.
	Trace io.Writer
	// Metrics, if set, is told what happens (see Counter).
	Metrics Metrics

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	wg        sync.WaitGroup
	shutdown  atomic.Bool
	cfg       state.ServerConfig
	cfgErr    error
	cfgOnce   sync.Once
	authReg   *auth.Registry
	tlsCfg    *tls.Config
	traceMu   sync.Mutex
}

// config builds the per-connection machine configuration once.
func (s *Server) config() (state.ServerConfig, error) {
	s.cfgOnce.Do(func() {
		exts := s.Extensions
		if exts == 0 {
			exts = state.DefaultExtensions
		}
		for _, e := range []wire.Ext{wire.ExtXCLIENT, wire.ExtXFORWARD, wire.ExtETRN} {
			if exts.Has(e) {
				s.cfgErr = &state.ConfigError{Field: "Extensions", Reason: e.String() + " is not implemented by the server driver"}
				return
			}
		}
		if s.TLSConfig != nil {
			cfg, err := tlsmode.ServerConfig(s.TLSConfig)
			if err != nil {
				s.cfgErr = err
				return
			}
			s.tlsCfg = cfg
			exts = exts.With(wire.ExtSTARTTLS)
		}
		if s.Auth != nil {
			reg := *s.Auth // the copy shares the mechanisms, read only
			reg.AllowCleartext = reg.AllowCleartext || s.AllowInsecureAuth
			s.authReg = &reg
			exts = exts.With(wire.ExtAUTH)
		}
		c := state.ServerConfig{
			Protocol: s.Protocol, Hostname: s.Hostname, Extensions: exts,
			RequireTLS: s.RequireTLS, RequireAuth: s.RequireAuth,
			AllowInsecureAuth: s.AllowInsecureAuth,
			MaxMessageSize:    s.MaxMessageSize, MaxRecipients: s.MaxRecipients,
			Limits:    wire.Limits{MailMax: s.MaxTransactions},
			MaxErrors: s.MaxErrors, MaxAuthFailures: s.MaxAuthFailures,
			MaxDataLine: s.MaxDataLine, Timeouts: s.Timeouts,
		}
		if s.Configure != nil {
			s.Configure(&c)
		}
		if _, err := state.NewServer(c); err != nil {
			s.cfgErr = err
			return
		}
		s.cfg = c
		s.cfg.Timeouts = c.Timeouts.WithDefaults()
	})
	return s.cfg, s.cfgErr
}

func (s *Server) logger() *slog.Logger {
	if s.ErrorLog != nil {
		return s.ErrorLog
	}
	return slog.Default()
}

func (s *Server) count(c Counter, n int64) {
	if s.Metrics != nil {
		s.Metrics.Count(c, n)
	}
}

// ListenAndServe listens on Addr (":25" if empty) and serves plain SMTP
// with STARTTLS when TLSConfig is set.
func (s *Server) ListenAndServe() error {
	addr := s.Addr
	if addr == "" {
		addr = ":25"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// ListenAndServeTLS listens on Addr (":465" if empty) and serves implicit
// TLS (RFC 8314 section 3). certFile and keyFile, when not empty, load the
// certificate; otherwise TLSConfig must hold one.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg := &tls.Config{}
		if s.TLSConfig != nil {
			cfg = s.TLSConfig.Clone()
		}
		cfg.Certificates = append(cfg.Certificates, cert)
		s.TLSConfig = cfg
	}
	addr := s.Addr
	if addr == "" {
		addr = ":465"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeTLS(l)
}

// Serve accepts connections on l and serves each on its own goroutine
// until l fails or the Server is shut down; it then returns
// ErrServerClosed or the accept error. l is closed on return.
func (s *Server) Serve(l net.Listener) error { return s.serve(l, false) }

// ServeTLS is Serve for implicit TLS: every connection starts with a TLS
// handshake (RFC 8314 section 3), under TLSConfig.
func (s *Server) ServeTLS(l net.Listener) error { return s.serve(l, true) }

func (s *Server) serve(l net.Listener, implicit bool) error {
	defer l.Close()
	if s.Handler == nil {
		return errors.New("server: Server.Handler is nil")
	}
	if _, err := s.config(); err != nil {
		return err
	}
	if implicit && s.tlsCfg == nil {
		return tlsmode.ErrNoCertificate
	}
	if !s.track(l, true) {
		return ErrServerClosed
	}
	defer s.track(l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A transient accept failure (EMFILE shows as one in
				// some stacks): back off as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc, implicit)
		if c == nil {
			continue
		}
		go c.serve()
	}
}

// track adds or removes a listener; it reports false once shut down.
func (s *Server) track(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.shutdown.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = make(map[net.Listener]struct{})
		}
		s.listeners[l] = struct{}{}
		return true
	}
	delete(s.listeners, l)
	return true
}

// register records a new connection and reports whether it is within
// MaxConnections and MaxConnectionsPerIP. A connection from a trusted
// proxy is held to the per-address limit under its client's address, once
// its PROXY header has said it (readdress).
func (s *Server) register(c *conn) (within bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
		s.perIP = make(map[netip.Addr]int)
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.perIP[c.ip]++
	within = (s.MaxConnections <= 0 || len(s.conns) <= s.MaxConnections) &&
		(s.MaxConnectionsPerIP <= 0 || !c.ip.IsValid() || s.trusted(c.ip) || s.perIP[c.ip] <= s.MaxConnectionsPerIP)
	return within
}

// readdress moves c from the address it was registered under to ip, the
// client's address from a PROXY header, and says whether it is within
// MaxConnectionsPerIP there: behind a proxy the limit is the client's, and
// unregister must find the count it entered.
func (s *Server) readdress(c *conn, ip netip.Addr) (within bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	c.ip = ip
	s.perIP[ip]++
	return s.MaxConnectionsPerIP <= 0 || !ip.IsValid() || s.perIP[ip] <= s.MaxConnectionsPerIP
}

// unregister forgets a connection.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// closeListeners stops accepting.
func (s *Server) closeListeners() {
	s.shutdown.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		l.Close()
	}
}

// Shutdown stops accepting connections and waits for the open ones to end.
// A session waiting between transactions gets 421 at once; a transaction
// under way finishes (its message is answered) and the session then gets
// 421 (state.Server.Shutdown). When ctx ends first, the remaining
// connections are ended as by Close and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.stopping.Store(true)
		c.wake() // an idle session gets its 421 now
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		<-done
		return ctx.Err()
	}
}

// Close stops accepting and ends every connection at once: each gets 421
// (RFC 5321 section 3.8) and is closed, within a second even when its
// Session is busy deciding (it then finds its context cancelled and the
// connection closed). Close does not wait for the connection goroutines.
func (s *Server) Close() error {
	s.closeListeners()
	s.closeConns()
	return nil
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.abort()
	}
}
