// Package state holds smtpkit's sans-I/O SMTP state machines: a Server, a
// Client and a transcript Checker driven by one legality table (RFC 5321
// sections 3 and 4.1.4). Nothing here reads a socket or a clock: bytes and
// time come in as arguments.
//
// The package is being built (issue "state"). What exists so far:
//
//   - phase.go: Phase, where a session stands (greeted, ready, mail, rcpt,
//     data, bdat, auth, tls, refused, closed), with ReadsCommands and
//     InTransaction.
//   - table.go: the legality table [phase][verb] (SPEC 2.2) behind Lookup,
//     which says for every command-reading phase and every wire.Verb
//     whether a command is processed or answered 500, 502 or 503 without
//     looking at its arguments, and which rule decides it; Protocol (SMTP
//     or LMTP, which swap the hello verbs, RFC 2033 section 4.1). The
//     Server judges its peer with it, the Client judges itself, and the
//     Checker judges both.
//
// The Server, Client and Checker machines come next; until then this
// package has no API for running a session.
package state
