// Package auth implements SASL mechanisms (RFC 4422) for the SMTP AUTH
// extension (RFC 4954), client and server side, without I/O.
//
// # The no-I/O model
//
// A mechanism sees only decoded SASL messages: octets in, octets out. It
// never reads a socket, never encodes base64 and never writes a reply
// line. The layers above do that: the state package carries the exchange
// (the AUTH command with its initial response, each 334 challenge, each
// client line, "*" to cancel), wire.AppendAuth, wire.AppendAuthResponse
// and wire.AppendAuthCancel write the client's lines, wire.ParseAuthResponse
// and wire.DecodeBase64 read them strictly (RFC 4954 section 4), and
// Reply(err) gives the reply that ends a failed exchange (RFC 4954 section
// 6). So one mechanism serves a server, a client, a test harness and a
// fuzzer alike. The only calls out are to the verifiers the application
// supplies, bounded by the context passed to Start and Next.
//
// # Interfaces
//
// A ServerMechanism (one per mechanism, holding its verifier) makes a
// Server for each exchange; a ClientMechanism (holding credentials or a
// TokenSource) makes a Client. Mechanism values are safe for concurrent
// use; a Server or Client serves one exchange on one goroutine, enforces
// the order of calls (ErrSequence), bounds every message to MaxResponse
// (ErrTooLong) and never panics on peer input. Slices it returns are
// owned by it and valid until its next call. ConnState tells mechanisms
// what they need of the connection (TLS, the peer's certificates, channel
// bindings); Identity is what a successful exchange establishes.
//
// # Registry and choice
//
// Registry is the server's set: Offered and AppendOffered give the EHLO
// AUTH list, NewServer starts the mechanism an AUTH command names and
// refuses one that is not offered (504). Mechanisms that reveal a secret
// (Cleartext) are offered only under TLS unless Registry.AllowCleartext
// is set (RFC 4954 section 4). On the client side, Choose picks the
// strongest mechanism both sides have under the same TLS rule and never a
// -PLUS mechanism without a channel binding; its doc comment gives the
// ranking.
//
// # Verifiers
//
// The server application implements PasswordChecker (PLAIN, LOGIN),
// SecretStore (CRAM-MD5), SCRAMStore (salted keys made by
// DeriveSCRAMCredentials or NewSCRAMCredentials), TokenValidator
// (XOAUTH2, OAUTHBEARER) and CertificateMapper (EXTERNAL), or passes a
// func to AnonymousServer. They return ErrInvalidCredentials for wrong
// credentials (535), ErrAuthzDenied for a refused authorization identity
// (535), and any other error for their own failure (454). Errors are
// *Error values wrapping the sentinels; their text never contains a
// secret. PreparePassword and PrepareUsername apply RFC 8265 OpaqueString,
// the successor of SASLprep.
//
// # Mechanisms
//
//   - PLAIN, RFC 4616: plain.go
//   - LOGIN, draft-murchison-sasl-login-00: login.go
//   - CRAM-MD5, RFC 2195: crammd5.go
//   - SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS forms, RFC 5802 and RFC
//     7677, with channel bindings from RFC 5929 and RFC 9266 and the "y"
//     flag that detects a stripped -PLUS offer (RFC 5802 section 6):
//     scram.go, scram_client.go, scram_server.go, and scram_creds.go for the
//     stored keys (never the password) and their RFC 5803 text form
//   - XOAUTH2 (Google's, no RFC): xoauth2.go, with oauth.go
//   - OAUTHBEARER, RFC 7628: oauthbearer.go, with oauth.go (the 0x01
//     key/value pairs and the JSON error document both share)
//   - EXTERNAL, RFC 4422 appendix A: external.go
//   - ANONYMOUS, RFC 4505: anonymous.go
//   - NTLM, client side only, MS-NLMP with NTLMv2 and MS-SMTPNTLM framing:
//     ntlm.go, ntlm_msg.go (the three messages), internal/md4 (RFC 1320)
//
// # Other files
//
//   - auth.go: the interfaces, ConnState, ChannelBinding, Identity, Cleartext
//   - registry.go: Registry, Choose, IsMechanismName
//   - errors.go: the sentinel errors, Error and Reply
//   - verify.go: the verifier interfaces and TokenSource
//   - options.go: Option, WithRand, WithClock, WithWorkstation
//   - prep.go: PreparePassword, PrepareUsername (RFC 8265)
//   - step.go: the sequencing shared by the mechanisms above
//   - saslname.go: the saslname escapes of GS2 headers (RFC 5801 section 4)
package auth
