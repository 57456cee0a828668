// Package wire converts between SMTP bytes and values. It imports only the
// standard library and package reply, does no I/O and keeps no clock: the
// state machines, drivers, fuzzers and conformance tools above it all use
// the same code.
//
// Parts, by file:
//
//   - line.go, limits.go: LineSplitter finds CRLF-terminated lines with a
//     bound (MaxCommandLine 512, MaxReplyLine 512, MaxTextLine 1000,
//     MaxAuthLine 12288, and CommandLineLimit for the MAIL/RCPT increments
//     of each extension; RFC 5321 4.5.3.1), applies the BarePolicy for bare
//     CR and LF (policy.go) and stays in sync after an over-long line.
//   - verb.go, command.go: Verb and ParseCommand for every verb of RFC 5321
//     and its extensions (HELO EHLO LHLO MAIL RCPT DATA BDAT RSET VRFY EXPN
//     HELP NOOP QUIT STARTTLS AUTH ETRN ATRN BURL XCLIENT XFORWARD, and the
//     historic SEND SOML SAML TURN); ParseAuthResponse and DecodeBase64 for
//     the lines of an AUTH exchange (RFC 4954 section 4).
//   - path.go, path_append.go, domain.go: ParsePath for reverse- and forward-paths (RFC
//     5321 4.1.2), CheckDomain, CheckAddressLiteral and CheckHost (RFC 5321
//     4.1.3), UTF-8 addresses under SMTPUTF8 (RFC 6531 3.3), AppendPath and
//     AppendMailbox.
//   - params.go, mailparams.go, rcptparams.go: the ESMTP parameter iterator
//     (never a map) and typed decoders and serializers for every MAIL and
//     RCPT parameter: SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT, AUTH,
//     BY, HOLDFOR, HOLDUNTIL, MT-PRIORITY, MTRK, REQUIRETLS, RRVS, CONPERM,
//     CONNEG, SOLICIT, TRANSID, SUBMITTER.
//   - xtext.go: xtext (RFC 3461 section 4) and the RFC 6533 utf-8-addr-xtext
//     and utf-8-addr-unitext forms.
//   - xclient.go: XCLIENT and XFORWARD attributes (Postfix).
//   - ext.go, ehlo.go: Ext and ExtSet for EHLO keywords, and Capabilities,
//     the parsed EHLO reply (SIZE, AUTH mechanisms, LIMITS).
//   - replyline.go: ParseReplyLine for the client side and AppendReply with
//     the ENHANCEDSTATUSCODES rule (RFC 2034).
//   - command_append.go: serializers for every command; they refuse CR, LF
//     and NUL in any field, so no field can inject a command.
//   - data_encode.go, data_decode.go, bdat.go: DATA dot-stuffing
//     (DataEncoder) and unstuffing (DataDecoder), which end a message only at
//     CRLF "." CRLF (RFC 5321 4.1.1.4) and report every SMTP smuggling
//     sequence; ChunkDecoder for BDAT framing (RFC 3030).
//   - crlf.go: CRLFEncoder, which makes a text body sent with BDAT
//     canonical (RFC 3030 section 3, RFC 5321 section 2.3.8): CRLF is
//     copied, a bare CR or LF is refused, written as CRLF or kept per
//     BarePolicy, and a non-empty body ends with CRLF; no dot-stuffing.
//   - proxy.go, proxy_addr.go: PROXY protocol v1 and v2 headers, bounded.
//   - errors.go: the sentinels and SyntaxError, which names the grammar
//     element, offset and RFC rule and gives the reply the RFCs assign.
//
// Buffer ownership: parsed values alias the input and are valid until the
// caller reuses that buffer; serializers append to the caller's buffer and
// return it. Parsing and serializing do not allocate on success (tests named
// ...Allocs hold them to it). Functions are safe for concurrent use; the
// stateful types (LineSplitter, DataDecoder, DataEncoder, CRLFEncoder,
// ChunkDecoder, Capabilities, ParamIter) are not, and belong to one connection.
package wire
