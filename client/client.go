package client

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// DefaultChunkSize is the size of body reads and of BDAT chunks.
const DefaultChunkSize = 64 << 10

// Client is one SMTP or LMTP session over a connection: a thin loop over
// the sans-I/O state.Client, which sequences and judges every command and
// reply. Dial or NewClient return it greeted, after EHLO (or HELO), STARTTLS
// and AUTH as configured; Send runs mail transactions on it, Reset and Noop
// keep it in shape between them, Quit ends it.
//
// Every method takes a context: its deadline and the machine's reply
// timeouts (RFC 5321 section 4.5.3.2) bound each read and write, and
// cancelling it interrupts the call and ends the session. After a network
// or protocol error the Client is unusable and every method returns that
// error. A Client is not safe for concurrent use; a Pool shares clients
// between goroutines.
type Client struct {
	conn  net.Conn
	m     *state.Client
	cfg   config
	host  string
	port  int
	mode  tlsmode.Mode
	pol   tlsmode.Policy
	state tlsmode.Status
	facts *tlsmode.Facts

	rbuf    []byte // read buffer
	body    []byte // body read buffer
	cbuf    []byte // a canonical BDAT chunk
	scratch []byte // addresses being converted
	canon   canonicalizer
	deadSet time.Time
	// interrupting counts a pending cancellation interrupt (see guard).
	interrupting sync.WaitGroup
	seen         bool // the first octets were read
	// head holds the first octets read in clear until they show whether
	// the server speaks TLS (plainChecked): a lone 0x15 or 0x16 does not
	// tell yet, and the verdict must not hang on how the octets were cut.
	head         [2]byte
	nhead        int
	plainChecked bool
	err          error
	trace        *tracer
}

// NewClient runs a session on conn, already connected to addr ("host:port";
// the port picks the TLS mode, the host is the name the certificate must
// carry): it reads the greeting, sends EHLO (or LHLO; HELO when EHLO is
// refused), starts TLS as the mode and policy say and authenticates when
// credentials are configured. Under ModeImplicit conn must not yet be
// under TLS: NewClient runs the handshake. On error conn is closed.
func NewClient(ctx context.Context, conn net.Conn, addr string, opts ...Option) (*Client, error) {
	return start(ctx, conn, addr, configure(opts))
}

// configure applies opts to the default configuration.
func configure(opts []Option) config {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// start builds the Client on conn and opens the session; conn is closed
// on error.
func start(ctx context.Context, conn net.Conn, addr string, cfg config) (*Client, error) {
	if cfg.optErr != nil {
		conn.Close()
		return nil, &Error{Op: "config", Addr: addr, Err: cfg.optErr}
	}
	c, err := newClient(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.open(ctx); err != nil {
		c.abort()
		return nil, err
	}
	return c, nil
}

// newClient checks cfg against addr and builds the machine.
func newClient(conn net.Conn, addr string, cfg config) (*Client, error) {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	mode, pol, err := tlsmode.Resolve(port, cfg.mode, cfg.policy)
	if err != nil {
		return nil, &Error{Op: "config", Addr: addr, Err: err}
	}
	proto := state.ProtocolSMTP
	if cfg.lmtp {
		proto = state.ProtocolLMTP
	}
	m, err := state.NewClient(state.ClientConfig{Protocol: proto, Hostname: cfg.hostname,
		TLS: mode == tlsmode.ModeImplicit, AllowInsecureAuth: cfg.insecure,
		Timeouts: cfg.timeouts, BareData: cfg.bareData})
	if err != nil {
		return nil, &Error{Op: "config", Addr: addr, Err: err}
	}
	if cfg.serverName == "" {
		cfg.serverName = host
	}
	c := &Client{conn: conn, m: m, cfg: cfg, host: host, port: port, mode: mode, pol: pol,
		rbuf: make([]byte, 4096), canon: canonicalizer{policy: cfg.bareData}}
	if cfg.debug != nil {
		c.trace = &tracer{w: cfg.debug}
	}
	if mode == tlsmode.ModeNone || pol == tlsmode.PolicyDisabled {
		c.state = tlsmode.StatusClearByPolicy
	}
	return c, nil
}

// TLSStatus reports how the session is protected: secured, or clear and
// why (RFC 3207 section 4 fallbacks are visible here, never silent).
func (c *Client) TLSStatus() tlsmode.Status { return c.state }

// TLSFacts returns the TLS session's facts, or nil without TLS.
func (c *Client) TLSFacts() *tlsmode.Facts { return c.facts }

// Capabilities returns what the server advertised in its last EHLO or LHLO
// reply. It belongs to the Client and changes after STARTTLS.
func (c *Client) Capabilities() *wire.Capabilities { return c.m.Capabilities() }

// IsAuthenticated reports whether AUTH succeeded.
func (c *Client) IsAuthenticated() bool { return c.m.IsAuthenticated() }

// Err returns the error that made the Client unusable, or nil.
func (c *Client) Err() error { return c.err }

// Close closes the connection without QUIT.
func (c *Client) Close() error {
	if c.err == nil {
		c.err = &Error{Op: "close", Addr: c.addr(), Err: net.ErrClosed}
	}
	return c.conn.Close()
}

// abort closes the connection after a failure.
func (c *Client) abort() { _ = c.conn.Close() }

// addr returns "host:port" for messages.
func (c *Client) addr() string { return net.JoinHostPort(c.host, itoa(c.port)) }

// fail records err as fatal, closes the connection and returns err.
func (c *Client) fail(err error) error {
	if c.err == nil {
		c.err = err
		c.abort()
	}
	return err
}

// guard returns the sticky error, and arranges for ctx's cancellation to
// interrupt blocking I/O by moving the connection's deadline into the
// past; pass the returned function to unguard when done. Guarded calls do
// not nest.
func (c *Client) guard(ctx context.Context) (func() bool, error) {
	if c.err != nil {
		return nil, c.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ctx.Done() == nil {
		return nil, nil
	}
	c.interrupting.Add(1)
	return context.AfterFunc(ctx, func() {
		defer c.interrupting.Done()
		_ = c.conn.SetDeadline(time.Unix(1, 0))
	}), nil
}

// unguard ends what guard arranged. When the cancellation fired, it waits
// until the past deadline is set and then forgets the deadline it had
// set, so the next call sets its own again instead of inheriting the
// interruption (a context cancelled just as a call succeeded would
// otherwise time out the next one).
func (c *Client) unguard(stop func() bool) {
	if stop == nil {
		return
	}
	if stop() {
		c.interrupting.Done()
		return
	}
	c.interrupting.Wait()
	c.deadSet = time.Unix(1, 0)
}

// deadline sets the connection deadline to the earlier of ctx's and the
// machine's, leaving it alone when unchanged.
func (c *Client) deadline(ctx context.Context) {
	d := c.m.Deadline()
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	if !d.Equal(c.deadSet) {
		c.deadSet = d
		_ = c.conn.SetDeadline(d)
	}
}

// flush writes what the machine holds.
func (c *Client) flush(ctx context.Context) error {
	for out := c.m.Output(); len(out) > 0; out = c.m.Output() {
		c.m.Advance(time.Now())
		c.deadline(ctx)
		if c.trace != nil {
			c.trace.client(out, c.m.Phase())
		}
		n, err := c.conn.Write(out)
		c.m.Consumed(n)
		if err != nil {
			return c.fail(c.ioError(ctx, "write", err))
		}
	}
	return nil
}

// next writes pending output, then returns the machine's next event,
// reading as needed. A ClientEventError or ClientEventClosed comes back as
// the event; I/O failures and cancellation as the error.
func (c *Client) next(ctx context.Context) (state.ClientEvent, error) {
	for {
		if err := c.flush(ctx); err != nil {
			return state.ClientEvent{}, err
		}
		if ev := c.m.Next(); ev.Kind != state.ClientEventNone {
			if c.trace != nil && ev.Code != 0 {
				c.trace.server(ev)
			}
			return ev, nil
		}
		if err := c.read(ctx); err != nil {
			return state.ClientEvent{}, err
		}
	}
}

// read reads once from the connection into the machine.
func (c *Client) read(ctx context.Context) error {
	c.m.Advance(time.Now())
	c.deadline(ctx)
	n, err := c.conn.Read(c.rbuf)
	if n > 0 || err != nil {
		if perr := c.checkPlain(c.rbuf[:n], err != nil); perr != nil {
			return c.fail(&Error{Op: "greeting", Addr: c.addr(), Err: perr})
		}
	}
	if n > 0 {
		c.seen = true
		c.m.Receive(c.rbuf[:n])
		if n == len(c.rbuf) && len(c.rbuf) < 64<<10 {
			c.rbuf = make([]byte, 2*len(c.rbuf))
		}
	}
	switch {
	case err == nil:
		return nil
	case isTimeout(err):
		now := time.Now()
		if cd, ok := ctx.Deadline(); ctx.Err() != nil || ok && !now.Before(cd) {
			return c.fail(c.ioError(ctx, "read", err))
		}
		c.m.Advance(now) // the machine's own timeout: Next reports it (RFC 5321 4.5.3.2)
		return nil
	case errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) || ctx.Err() != nil:
		return c.fail(c.ioError(ctx, "read", err))
	}
	c.m.ReceiveEOF() // io.EOF or a reset: the machine reports the lost connection
	return nil
}

// checkPlain applies tlsmode.CheckPlaintext to the first octets read in
// clear (RFC 8314 section 3: a server speaking TLS first on a plaintext
// connection is on an implicit-TLS port). It decides on the first two
// octets, or on the first alone when it cannot start a TLS record or the
// input ended (end), so that the verdict is the same however the octets
// arrive.
func (c *Client) checkPlain(p []byte, end bool) error {
	if c.plainChecked || c.m.IsTLS() {
		return nil
	}
	c.nhead += copy(c.head[c.nhead:], p)
	if c.nhead == 0 || c.nhead < len(c.head) && !end && (c.head[0] == 0x15 || c.head[0] == 0x16) {
		return nil
	}
	c.plainChecked = true
	return tlsmode.CheckPlaintext(tlsmode.SideClient, c.head[:c.nhead])
}

// ioError wraps an I/O error, naming the context's error when it caused it.
func (c *Client) ioError(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if cd, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(cd) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		err = errors.Join(cerr, err)
	}
	return &Error{Op: op, Addr: c.addr(), Err: err}
}

// isTimeout reports a deadline that passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connState is what the SASL mechanisms know of the connection.
func (c *Client) connState() auth.ConnState {
	if c.facts != nil {
		return c.facts.AuthConn(c.port)
	}
	return auth.ConnState{ServerName: c.host, Port: c.port}
}
