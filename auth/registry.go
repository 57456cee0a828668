package auth

import (
	"strconv"
	"strings"
)

// Registry is the server's set of mechanisms: what EHLO offers in its AUTH
// keyword and what an AUTH command may start. The zero value is an empty
// registry that refuses cleartext mechanisms without TLS.
//
// Register is called while the server is configured; once it serves, the
// other methods are safe for concurrent use, and Register must no longer
// be called.
type Registry struct {
	// AllowCleartext offers mechanisms that reveal a reusable secret
	// (Cleartext: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) on connections
	// without TLS. It is off by default: RFC 4954 section 4 requires that
	// a server can refuse them there, and RFC 8314 section 3 wants mail
	// submission to use TLS. Set it for tests or a trusted local network.
	AllowCleartext bool

	mechs []ServerMechanism
}

// Register adds m. A mechanism with the same name, compared ignoring case
// (RFC 4422 section 3.1), is replaced in place and keeps its position;
// otherwise m goes last. Offered lists mechanisms in registration order,
// so register the preferred ones first. An application adds a mechanism
// of its own the same way.
//
// Register panics if m is nil or its name is not a SASL mechanism name
// (1 to 20 characters of A-Z, 0-9, "-" and "_", RFC 4422 section 3.1):
// either is a programming error, found when the server starts.
func (r *Registry) Register(m ServerMechanism) {
	if m == nil {
		panic("auth: Registry.Register with a nil mechanism")
	}
	name := m.Name()
	if !IsMechanismName(name) {
		panic("auth: Registry.Register: " + strconv.Quote(name) + " is not a SASL mechanism name (RFC 4422 section 3.1)")
	}
	for i, old := range r.mechs {
		if strings.EqualFold(old.Name(), name) {
			r.mechs[i] = m
			return
		}
	}
	r.mechs = append(r.mechs, m)
}

// IsMechanismName reports whether name is a valid SASL mechanism name: 1
// to 20 characters of upper-case letters, digits, "-" and "_" (RFC 4422
// section 3.1). Lower-case letters are accepted, since names are compared
// ignoring case.
func IsMechanismName(name string) bool {
	if len(name) == 0 || len(name) > 20 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// allowed reports whether m may be offered and started on cs: the
// mechanism must be available there (a client certificate for EXTERNAL, a
// channel binding for -PLUS), and a cleartext mechanism needs TLS unless
// AllowCleartext is set (RFC 4954 section 4).
func (r *Registry) allowed(m ServerMechanism, cs ConnState) bool {
	if Cleartext(strings.ToUpper(m.Name())) && !cs.TLS && !r.AllowCleartext {
		return false
	}
	return m.Available(cs)
}

// Offered returns the names of the mechanisms the server offers on cs, in
// registration order: the list for the EHLO AUTH keyword (RFC 4954 section
// 3). It is empty when there is none, and the server then leaves AUTH out
// of EHLO. The slice is newly allocated.
func (r *Registry) Offered(cs ConnState) []string {
	var names []string
	for _, m := range r.mechs {
		if r.allowed(m, cs) {
			names = append(names, m.Name())
		}
	}
	return names
}

// AppendOffered appends the names Offered returns, separated by single
// spaces, to dst: the parameters of the EHLO AUTH keyword (RFC 4954
// section 3). It appends nothing when no mechanism is offered.
func (r *Registry) AppendOffered(dst []byte, cs ConnState) []byte {
	first := true
	for _, m := range r.mechs {
		if !r.allowed(m, cs) {
			continue
		}
		if !first {
			dst = append(dst, ' ')
		}
		first = false
		dst = append(dst, m.Name()...)
	}
	return dst
}

// NewServer starts the server side of the mechanism an AUTH command names
// (compared ignoring case, RFC 4422 section 3.1) on cs. A mechanism that is
// not registered, or that Offered would not list on cs (a cleartext one
// without TLS, EXTERNAL without a client certificate), fails with an
// *Error wrapping ErrUnsupported: 504 5.5.4 (RFC 4954 section 4). The
// mechanism's own NewServer errors pass through.
func (r *Registry) NewServer(name string, cs ConnState) (Server, error) {
	for _, m := range r.mechs {
		if !strings.EqualFold(m.Name(), name) {
			continue
		}
		if !r.allowed(m, cs) {
			return nil, errorf(m.Name(), ErrUnsupported, "mechanism not offered on this connection (RFC 4954 section 4)")
		}
		return m.NewServer(cs)
	}
	return nil, errorf("", ErrUnsupported, "mechanism not registered")
}

// chooseRank lists the mechanisms Choose knows, strongest first; Choose's
// doc comment gives the reasons.
var chooseRank = [...]string{
	"EXTERNAL",
	"SCRAM-SHA-256-PLUS",
	"SCRAM-SHA-256",
	"SCRAM-SHA-1-PLUS",
	"SCRAM-SHA-1",
	"OAUTHBEARER",
	"XOAUTH2",
	"CRAM-MD5",
	"NTLM",
	"PLAIN",
	"LOGIN",
}

// rank returns how strong Choose considers the named mechanism: higher is
// stronger; 1 is an unknown mechanism and 0 is ANONYMOUS.
func rank(name string) int {
	if strings.EqualFold(name, nameAnonymous) {
		return 0
	}
	for i, n := range chooseRank {
		if strings.EqualFold(n, name) {
			return len(chooseRank) + 1 - i
		}
	}
	return 1
}

// usable reports whether the client may run the named mechanism on cs:
// never a cleartext one without TLS unless allowCleartext (RFC 4954
// section 4; RFC 8314 section 3), never a -PLUS one without a channel
// binding (RFC 5802 section 6).
func usable(name string, cs ConnState, allowCleartext bool) bool {
	upper := strings.ToUpper(name)
	if Cleartext(upper) && !cs.TLS && !allowCleartext {
		return false
	}
	if strings.HasSuffix(upper, "-PLUS") && len(cs.ChannelBindings) == 0 {
		return false
	}
	return true
}

// Choose picks the mechanism a client uses: of mechs (what the client can
// do) the strongest whose name is in offered (the server's EHLO AUTH list,
// compared ignoring case). It skips a cleartext mechanism (Cleartext) on a
// connection without TLS unless allowCleartext (RFC 4954 section 4, RFC
// 8314 section 3), and a -PLUS mechanism when cs has no channel binding
// (RFC 5802 section 6). From strongest to weakest:
//
//   - EXTERNAL: the client proved possession of its certificate's private
//     key in the TLS handshake, no reusable secret crosses the wire, and a
//     server offers EXTERNAL only after it verified that certificate. A
//     client lists ExternalClient only when it has one.
//   - SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1
//     (RFC 5802, RFC 7677): mutual authentication and nothing reusable on
//     the wire. The hash comes first, since it also protects what the
//     server stores; at the same hash, the form bound to the TLS channel
//     wins.
//   - OAUTHBEARER (RFC 7628), then Google's XOAUTH2: bearer tokens cross
//     the wire, but they expire and are scoped, unlike a password.
//   - CRAM-MD5 (RFC 2195), then NTLM: no password on the wire, but weak
//     digests an eavesdropper can attack offline.
//   - PLAIN (RFC 4616), then LOGIN, which its own draft says to avoid when
//     PLAIN is offered.
//   - Any other mechanism (an application's own), in the order of mechs.
//   - ANONYMOUS (RFC 4505) last: it authenticates no one, and a client
//     that also holds credentials means to use them.
//
// A caller that lists exactly one mechanism has been told which to use:
// Choose returns it even if the server did not offer it (the server
// answers 504 if it does not support it), but still only under the TLS and
// channel-binding rules. When nothing fits, the error wraps
// ErrNoMechanism. A chosen mechanism that implements OfferAware is
// returned as WithOffered(offered) made it, so a SCRAM client's gs2 flag
// tells the truth about the server's -PLUS offer (RFC 5802 section 6).
// Choose only reads its arguments and is safe for concurrent use.
func Choose(offered []string, mechs []ClientMechanism, cs ConnState, allowCleartext bool) (ClientMechanism, error) {
	if len(mechs) == 1 && mechs[0] != nil {
		m := mechs[0]
		if !usable(m.Name(), cs, allowCleartext) {
			return nil, errorf(m.Name(), ErrNoMechanism, "the one mechanism given needs TLS or a channel binding this connection lacks")
		}
		return withOffered(m, offered), nil
	}
	var best ClientMechanism
	bestRank := -1
	for _, m := range mechs {
		if m == nil {
			continue
		}
		name := m.Name()
		if !isOffered(offered, name) || !usable(name, cs, allowCleartext) {
			continue
		}
		// Strictly greater: of two unknown mechanisms, the first listed
		// wins.
		if r := rank(name); r > bestRank {
			best, bestRank = m, r
		}
	}
	if best == nil {
		return nil, errorf("", ErrNoMechanism, "no mechanism both sides have may be used on this connection")
	}
	return withOffered(best, offered), nil
}

// withOffered tells an OfferAware mechanism what the server offered.
func withOffered(m ClientMechanism, offered []string) ClientMechanism {
	if oa, ok := m.(OfferAware); ok {
		return oa.WithOffered(offered)
	}
	return m
}

func isOffered(offered []string, name string) bool {
	for _, o := range offered {
		if strings.EqualFold(o, name) {
			return true
		}
	}
	return false
}
