package auth

import (
	"context"
	"crypto/x509"
)

// MaxResponse is the largest decoded SASL message, in octets, that a
// mechanism in this package accepts or produces. It is what an AUTH line of
// 12288 octets (RFC 4954 section 4, wire.MaxAuthLine) carries once its
// base64 is decoded. Longer input fails with ErrTooLong.
const MaxResponse = 9216

// Channel-binding types (RFC 5056 section 2.1) that SCRAM-*-PLUS
// mechanisms name in their gs2-cbind-flag.
const (
	// CBTLSExporter is "tls-exporter" (RFC 9266): 32 octets exported with the
	// label "EXPORTER-Channel-Binding" and no context. The only type defined
	// for TLS 1.3, and the default.
	CBTLSExporter = "tls-exporter"
	// CBTLSUnique is "tls-unique" (RFC 5929 section 3): the first Finished
	// message of the latest handshake. Defined for TLS 1.2 and below only.
	CBTLSUnique = "tls-unique"
	// CBTLSServerEndPoint is "tls-server-end-point" (RFC 5929 section 4): a
	// hash of the server's certificate.
	CBTLSServerEndPoint = "tls-server-end-point"
)

// ChannelBinding is one channel binding (RFC 5056) of the connection an
// exchange runs on: its type name and the octets both ends compute from the
// TLS session. The tlsmode package fills these from a tls.ConnectionState.
type ChannelBinding struct {
	Type string
	Data []byte
}

// ConnState holds the facts about the connection that mechanisms need. The
// driver fills it; mechanisms never look at a socket. The slices are only
// read.
type ConnState struct {
	// TLS reports whether the connection is protected by TLS. Mechanisms
	// that expose a password or token (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER)
	// are offered and chosen only under TLS unless the application opts in
	// (RFC 4954 section 4).
	TLS bool
	// ServerName and Port identify the server, on the client side, as the
	// client dialled it (OAUTHBEARER's host= and port= keys, RFC 7628
	// section 3.1). Zero values are omitted from messages.
	ServerName string
	Port       int
	// PeerCertificates is the verified certificate chain of the peer, leaf
	// first: on the server side, the client's certificate (EXTERNAL, RFC 4422
	// appendix A).
	PeerCertificates []*x509.Certificate
	// ChannelBindings lists the bindings the connection offers, preferred
	// first. Empty means channel binding is unavailable, and no -PLUS
	// mechanism is offered or chosen.
	ChannelBindings []ChannelBinding
}

// Binding returns the channel binding of the named type, or false.
func (cs *ConnState) Binding(typ string) (ChannelBinding, bool) {
	for _, cb := range cs.ChannelBindings {
		if cb.Type == typ {
			return cb, true
		}
	}
	return ChannelBinding{}, false
}

// Identity is what a successful exchange establishes.
type Identity struct {
	// Username is the authentication identity (authcid): whose credentials
	// were checked. For EXTERNAL it is the mapper's name for the
	// certificate; for ANONYMOUS it is empty.
	Username string
	// Authzid is the authorization identity the client asked to act as
	// (RFC 4422 section 2); empty when it asked for none.
	Authzid string
	// Trace is the ANONYMOUS trace token (RFC 4505 section 2), or empty.
	Trace string
}

// Client is the client side of one SASL exchange (RFC 4422 section 3). It
// performs no I/O: the caller carries the messages, base64-encoded, in the
// AUTH command, 334 challenges and response lines (RFC 4954 section 4).
// A Client is used for one exchange by one goroutine.
//
// Returned slices are owned by the Client and valid until its next call.
type Client interface {
	// Name returns the mechanism name as sent in AUTH, in upper case.
	Name() string
	// Start returns the initial response. ok false means the mechanism has
	// none (server first, as CRAM-MD5); ok true with an empty ir is sent as
	// "=" (RFC 4954 section 4). ctx bounds any work the application does,
	// such as fetching an OAuth token.
	Start(ctx context.Context) (ir []byte, ok bool, err error)
	// Next answers one decoded server challenge. An error means the client
	// gives up: the caller cancels the exchange with "*" (RFC 4954
	// section 4).
	Next(ctx context.Context, challenge []byte) (response []byte, err error)
	// Finish is called with the server's outcome: ok true for 235, false for
	// a failure reply. On success it returns an error if the mechanism has
	// not verified the server as it must (a SCRAM client that never saw a
	// valid server signature). On failure it returns the detailed error the
	// server sent during the exchange (an OAuth JSON status), or nil.
	Finish(ok bool) error
}

// Server is the server side of one SASL exchange. It performs no I/O of its
// own; the verifiers it calls may (ctx bounds them). A Server is used for
// one exchange by one goroutine.
//
// Returned challenges are owned by the Server and valid until its next
// call. An error ends the exchange; Reply(err) is the reply to send.
type Server interface {
	// Name returns the mechanism name, in upper case.
	Name() string
	// Start begins the exchange with the AUTH command's initial response.
	// present reports whether the command carried one ("=" is present and
	// empty). done true means the exchange succeeded in one step.
	Start(ctx context.Context, ir []byte, present bool) (challenge []byte, done bool, err error)
	// Next consumes the client's (decoded) answer to the last challenge.
	Next(ctx context.Context, response []byte) (challenge []byte, done bool, err error)
	// Identity returns who authenticated, once done was reported.
	Identity() Identity
}

// ClientMechanism makes Clients: it holds the credentials (or the token
// source) for one mechanism. It is safe for concurrent use, so one value
// serves every connection.
type ClientMechanism interface {
	// Name returns the mechanism name, in upper case.
	Name() string
	// NewClient starts a Client for one exchange on the connection cs
	// describes.
	NewClient(cs ConnState) (Client, error)
}

// ServerMechanism makes Servers: it holds the verifier for one mechanism.
// It is safe for concurrent use.
type ServerMechanism interface {
	// Name returns the mechanism name, in upper case.
	Name() string
	// Available reports whether the mechanism may be offered on the
	// connection cs describes (a -PLUS mechanism needs a channel binding,
	// EXTERNAL a client certificate). Whether cleartext mechanisms need
	// TLS is the Registry's decision, from Cleartext.
	Available(cs ConnState) bool
	// NewServer starts a Server for one exchange.
	NewServer(cs ConnState) (Server, error)
}

// Cleartext reports whether the named mechanism reveals a reusable secret
// (a password or bearer token) to anyone who reads the exchange: PLAIN,
// LOGIN, XOAUTH2 and OAUTHBEARER. RFC 4954 section 4 requires that servers
// can refuse them without TLS; the Registry and Choose do so by default.
func Cleartext(name string) bool {
	switch name {
	case "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER":
		return true
	}
	return false
}
