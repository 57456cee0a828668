// Package tlsmode holds smtpkit's TLS rules: which mode and policy a port
// calls for, safe crypto/tls configurations, the STARTTLS boundary, the TLS
// facts the layers above need, handshake helpers that turn mode mismatches
// into clear errors, and certificates (loaded from files, or from an
// in-memory test CA). It imports reply, wire and auth, and is used by state
// and the drivers. Apart from the handshake helpers and the certificate
// files it does no I/O.
//
// # Which mode and policy for which port
//
// A Mode says how TLS starts; a Policy whether it is required:
//
//	port  use                      mode           policy         seeds' words
//	587   submission (RFC 6409)    ModeSTARTTLS   required       "secure: false" (TLS still used, via STARTTLS)
//	465   submissions (RFC 8314)   ModeImplicit   required       "secure: true", "SSL"
//	2525  alternate submission     ModeSTARTTLS   required       the fallback when 587 is blocked (a convention only)
//	25    relay / MX (RFC 5321)    ModeSTARTTLS   opportunistic  a public MX must not require TLS (RFC 3207 section 4)
//	24    LMTP (RFC 2033)          ModeSTARTTLS   opportunistic
//
// The confusion the seeds report comes from "secure": in nodemailer and
// similar libraries "secure: true" means implicit TLS (port 465) and
// "secure: false" means "start in plaintext", after which STARTTLS still
// upgrades the connection on 587. Here the two are separate words: use
// ModeImplicit for 465 and ModeSTARTTLS for 587 and 2525. Resolve fills in
// ModeAuto and PolicyAuto from the port (see Ports), and refuses
// combinations that cannot work, such as STARTTLS on 465 or implicit TLS on
// 587, with a *ConfigError that says what to change. On an unknown port
// ModeAuto means STARTTLS with TLS required. ParseMode and ParsePolicy read
// command-line words and refuse ambiguous ones ("tls", "secure").
//
// Under PolicyRequired a client never falls back to plaintext: a server
// that does not offer STARTTLS (Decide), refuses it (Refused) or fails the
// handshake (HandshakeFailed) ends the session. Under PolicyOpportunistic
// it goes on in clear and reports it with a Status, so the fallback is
// visible. A server under PolicyRequired answers 530 to commands other
// than NOOP, EHLO, STARTTLS and QUIT (Admit, AllowedBeforeTLS).
//
// # Safe configurations
//
// ClientConfig and ServerConfig copy a tls.Config and make it safe: TLS 1.2
// at least (RFC 8996; lower versions only with AllowLegacyVersion, and
// logged), the server name always set on the client so the certificate is
// verified against the host the user meant (RFC 7817 section 3), a
// certificate source required on the server, and client certificates
// verified when ClientCAs is set. Certificate validation is never disabled
// by this package; if the caller's base config disables it, that is kept and
// logged as a warning. For a private CA, put the CA in RootCAs instead.
//
// # The STARTTLS boundary
//
// Bytes that arrive after the STARTTLS command line (server) or after the
// 220 reply to STARTTLS (client), before the handshake, are an error and
// are never replayed into the TLS session (RFC 3207 section 4.2;
// CVE-2011-0411): CheckBoundary is the one rule, ServerSTARTTLS.Answer
// applies it on the server (421 and close). After the handshake both sides
// forget what the plaintext dialogue taught them (Forget): the greeting,
// the extension list, authentication; the server no longer advertises
// STARTTLS (AdvertiseSTARTTLS) and answers a second one with 503.
//
// # Mismatches fail fast
//
// ClientHandshake and ServerHandshake bound the handshake with a context
// and classify failures: a wrong host name or an unknown CA is a
// *VerifyError naming the host; an implicit-TLS client that receives a
// plaintext "220" greeting gets a *MismatchError (ErrPlaintextGreeting)
// telling it to use STARTTLS, at once rather than at a timeout. A
// plaintext side that receives a TLS ClientHello finds out with
// CheckPlaintext; a STARTTLS client on an implicit-TLS port, which never
// receives a greeting, reports NoGreeting (ErrNoGreeting) after its
// greeting timeout.
//
// # Facts
//
// Facts (FactsFrom) records the version, cipher suite, server name, peer
// certificates and the channel bindings of a session: tls-exporter (RFC
// 9266), tls-unique (TLS 1.2, RFC 5929 section 3) and tls-server-end-point
// (RFC 5929 section 4.1), preferred first, equal on both ends. AuthConn
// turns them into the auth.ConnState that SASL mechanisms read (EXTERNAL
// sees only verified certificates). ReceivedProtocol gives the Received
// header's "with" value (ESMTPS, ESMTPSA, LMTPS, UTF8SMTPS, ...) and
// AppendReceivedClause its "tls" clause (RFC 8314 section 4.3).
//
// # Files
//
//   - mode.go: Mode, Policy, Status; ParseMode, ParsePolicy; the client's
//     policy decisions (Decide, Refused, HandshakeFailed).
//   - ports.go: port conventions (Ports, LookupPort), Resolve, ConfigError.
//   - config.go: ClientConfig, ServerConfig and their options.
//   - boundary.go: Side, CheckBoundary, BoundaryError, Forget, the server's
//     STARTTLS answer and TLS gate (ServerSTARTTLS, Admit, AllowedBeforeTLS,
//     MustStartTLSReply, AdvertiseSTARTTLS).
//   - facts.go: Facts, FactsFrom, channel bindings, ServerEndPoint,
//     ReceivedProtocol.
//   - conn.go: ClientHandshake, ServerHandshake, CheckPlaintext, NoGreeting,
//     MismatchError, VerifyError.
//   - testca.go: TestCA, an in-memory CA issuing server and client
//     certificates for tests, the conformance suite and `smtpkit serve`
//     without a certificate; PEM encoding and writing.
//   - certfile.go: CertFile, certificates loaded from PEM files and
//     reloaded when the files change, so a server keeps running across a
//     certificate renewal.
//
// # Concurrency
//
// Every function is safe for concurrent use. Configs returned by
// ClientConfig and ServerConfig are ordinary tls.Configs: do not modify
// them once in use. Facts values are read-only after FactsFrom.
package tlsmode
