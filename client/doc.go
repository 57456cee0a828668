// Package client is what Go programs import to send mail: a net.Conn
// driver over the sans-I/O state.Client. The machine sequences every
// command and judges every reply (RFC 5321, RFC 2920, RFC 3030, RFC 2033);
// this package moves bytes, honours contexts and deadlines, runs TLS
// (tlsmode) and SASL (auth), and turns what happened into results and
// errors that say what to change.
//
// # Parts
//
//   - dial.go: Dial (TCP or SOCKS5 through golang.org/x/net/proxy) and
//     WithSOCKS5. options.go: Option and the With... functions (TLS mode and
//     policy, credentials, LMTP, timeouts, bare line policy, debug
//     transcript, BDAT chunk size).
//   - client.go: Client and the driver loop: Output is written, reads go to
//     Receive, Next gives events; the connection deadline is the earlier of
//     the context's and the machine's Deadline (RFC 5321 section 4.5.3.2);
//     a cancelled context interrupts blocking I/O.
//   - session.go: the opening (implicit TLS on 465, the greeting, EHLO with
//     the machine's HELO fallback, STARTTLS and the new EHLO per
//     tlsmode.Policy, AUTH with the strongest common mechanism through
//     auth.Choose: SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS,
//     SCRAM-SHA-1, then PLAIN and LOGIN only under TLS unless
//     WithInsecureAuth), Reset (RSET, no new EHLO), Noop, Quit.
//   - send.go: Envelope, Send, Result, RcptResult, SendError: MAIL, RCPT and
//     DATA pipelined in one write when PIPELINING is offered, lock-step
//     otherwise (no RCPT after a refused MAIL, RFC 5321 section 4.2.1; no
//     DATA without a recipient); SIZE checked before anything is sent;
//     SMTPUTF8 when an address needs it and the server offers it, IDNA
//     A-labels for domains otherwise (address.go; a non-ASCII local part
//     is an *AddressError); DSN, REQUIRETLS, MT-PRIORITY, DELIVERBY and
//     FUTURERELEASE through wire.MailParams and wire.RcptParams;
//     per-recipient results, LMTP's per-recipient replies. Dot-stuffing
//     and the bare CR/LF policy of DATA are the machine's.
//   - batch.go: Message, SendEach (streaming) and SendBatch (a slice):
//     many messages in order, each with what Send would give it; with
//     PIPELINING and DATA one round trip per message, since a message's
//     content, its end and the next message's MAIL, RCPT and DATA go in one
//     write (RFC 2920 section 3.1) and never any content before its 354;
//     Send's own path without PIPELINING and under BDAT. A message's
//     failure leaves the next alone; a lost connection fails every message
//     under way.
//   - content.go: the body's first buffer, read before MAIL: BODY=8BITMIME
//     when 8BITMIME is offered and the content needs it (RFC 6152 section
//     3), and BodyError for content that may not be sent: an octet above
//     127 without 8BITMIME (RFC 5321 section 2.4), a bare CR or LF under
//     the default policy (section 2.3.8); found in the first buffer, the
//     message is refused before MAIL is sent.
//   - bdat.go, body.go: BDAT chunks when CHUNKING is offered (RFC 3030),
//     each waiting for the reply to the last without PIPELINING, none
//     after a refused one (section 2); BINARYMIME bodies as is, text bodies
//     made CRLF-canonical on the way (body.go: wire.CRLFEncoder under the
//     WithBareLines policy, its refusals as *BodyError; BDAT is not
//     dot-stuffed).
//   - pool.go: Pool, PoolConfig, Retry: bounded reused connections, idle
//     timeout, NOOP health check before reuse, a messages-per-second rate,
//     and retry with exponential backoff and jitter for 4yz replies and
//     transient network errors only, never 5yz.
//   - errors.go: Error (step, address, cause, hint), Temporary, and the
//     hints: port 25 blocked (try 587), TLS mode mismatches
//     (tlsmode.NoGreeting, tlsmode.MismatchError), 535 credentials and app
//     passwords, 530 authentication required, certificates naming the host
//     wanted and what the server presented (tlsmode.VerifyError), a server
//     that accepted STARTTLS and did not start TLS, no TLS version or
//     cipher suite in common.
//   - trace.go: the WithDebug transcript; AUTH payloads are "<redacted>",
//     message content is shown as its length, up to its "." CRLF (the
//     commands SendEach writes after it are shown).
//
// # Buffers and concurrency
//
// A Client is used by one goroutine at a time; it copies what it is given
// (addresses, body pieces) before returning, and the Result of Send
// (or given to SendEach's done) belongs to the caller. A Pool is safe for concurrent use. After a
// network, protocol or context error a Client is unusable and returns that
// error from every method; a *SendError leaves it usable, as does a
// *BodyError that is not Aborted.
package client
