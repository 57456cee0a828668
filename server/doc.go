// Package server is smtpkit's network driver for receiving mail: a
// net.Listener loop shaped like net/http's Server, over the sans-I/O
// state.Server machine. The driver has no protocol logic of its own: it
// reads octets into the machine, writes what the machine outputs, sets the
// connection's deadlines from the machine's Deadline (RFC 5321 section
// 4.5.3.2), and answers the machine's decisions with what the Handler
// says. Every reply comes from the machine, from the Handler, or, for a
// handler's plain error, from a fixed 451/454/554.
//
// # Use
//
// A Handler makes a Session per connection (Connect is the hook before the
// greeting); the Session sees MAIL, RCPT and the message as a stream
// (Data(io.Reader)), and optional interfaces add HELO checks
// (HelloSession), AUTH outcomes (AuthSession), VRFY (VrfySession), the
// queue ID in the reply to an accepted message (QueueSession) and LMTP
// per-recipient results (LMTPSession). ConnInfo carries what the
// session knows: addresses (after PROXY), TLS facts, the HELO name, the
// authenticated identity. Errors become replies through *reply.Error
// (Reject builds one).
//
// A message is acknowledged only after Data returned nil at the machine's
// end of data; the reader returns ErrMessageAborted when the client goes
// away or the machine refuses the content, and a Data that returns early
// has the rest drained (the rest of a message never runs as commands).
// The reader copies body pieces straight out of the machine: a message of
// any size takes one 32 KiB read buffer, borrowed from a pool for each read
// and given back as soon as the machine has the octets.
//
// # Parts
//
//   - handler.go: Handler, Session and the optional interfaces (HelloSession,
//     AuthSession, VrfySession, QueueSession, LMTPSession), ConnInfo,
//     Reject and the error-to-reply rule.
//   - server.go: Server (configuration mapped onto state.ServerConfig),
//     Serve, ServeTLS, ListenAndServe, ListenAndServeTLS, Shutdown, Close,
//     connection limits.
//   - conn.go: the per-connection loop: I/O, deadlines, STARTTLS (RFC 3207)
//     through tlsmode.ServerHandshake, AUTH (RFC 4954) through an
//     auth.Registry, panic containment. It takes the machine's events by
//     pointer (state.Server.NextEvent), so a waiting session's goroutine
//     keeps a small stack.
//   - conn_auth.go: the AUTH exchange (RFC 4954) of a connection through
//     the Server's auth.Registry, and what the mechanisms learn of it.
//   - rawread_unix.go: a plain TCP connection waits for its client through
//     its syscall.RawConn holding no buffer; an idle session costs 13 to
//     14 KiB (docs/RELIABILITY.md). A TLS session reads commands into a
//     2 KiB buffer of its own.
//   - body.go: the streaming message reader and the end-of-data answers,
//     once per recipient under LMTP (RFC 2033 section 4.2).
//   - proxy.go: the PROXY protocol header (v1 and v2, parsed by
//     wire.ParseProxyHeader), read only from TrustedProxies, only as the
//     first octets, within ProxyTimeout.
//   - trace.go: Metrics and Counter, and the redacted C:/S: trace.
//   - received.go: Received and AppendReceived, the RFC 5321 section 4.4
//     trace header, with tlsmode.ReceivedProtocol's "with" names.
//   - maildir.go: Maildir, atomic delivery (tmp, fsync, rename to new,
//     fsync of the directory); a failure of the storage (a full disk, an
//     unwritable directory) is a StorageError, answered 452 4.3.1.
//
// Shutdown and Close go through the machine (state.Server.Shutdown and
// Terminate): an idle session gets 421 at once, a transaction in progress
// finishes first under Shutdown, and Close answers 421 at any point (RFC
// 5321 section 3.8).
//
// interop_test.go runs real clients against the Server (swaks, curl,
// Python's smtplib; internal/peers) and checks their sessions in clear
// with state.Check.
//
// # Concurrency
//
// Each connection runs on its own goroutine; a Session is called from
// that goroutine only. Handler, Metrics and Trace are shared by all
// connections.
package server
