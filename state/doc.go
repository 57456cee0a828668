// Package state holds smtpkit's sans-I/O SMTP state machines: a Server, a
// Client and a transcript Checker driven by one legality table (RFC 5321
// sections 3 and 4.1.4). Nothing here reads a socket or a clock: bytes and
// time come in as arguments.
//
// What each file holds:
//
//   - checker.go, checker_client.go, checker_server.go: Checker, which
//     judges a whole session from the octets both sides wrote (or a
//     Transcript, with Check) and reports Violation{Side, Rule, Detail}.
//     A shadow Server reads the client's octets: its own refusals are the
//     client's violations and its own answers are what the RFCs require of
//     the server, while each decision takes the real server's reply. A
//     shadow Client reads the server's octets: it matches and judges every
//     reply and learns the EHLO keywords the shadow Server then offers.
//     The order of the writes gives the timing rules (greeting, RFC 2920
//     groups, the STARTTLS boundary). Report.Diverged says where the
//     server accepted what the RFCs refuse, after which sequencing is no
//     longer judged; Report.Stopped says where the Checker lost the thread.
//   - client.go, client_event.go, client_queue.go, client_commands.go,
//     client_data.go, client_auth.go, client_io.go, client_replies.go:
//     Client, the sans-I/O SMTP and LMTP client. Command methods (Hello,
//     Mail, Rcpt, Data, Body, EndData, Bdat, StartTLS, Auth ...) are checked
//     against the phase the queued commands lead to and against the
//     server's capabilities (ErrBadSequence, ErrNotAdvertised) unless
//     ClientConfig.Permissive; commands are grouped per RFC 2920 (lock-step
//     without PIPELINING; BDAT chunks held behind a refused chunk are
//     withdrawn, RFC 3030 section 2); replies are matched in order and
//     judged with Judge (ClientEvent carries the Judgment); EHLO falls back to HELO,
//     STARTTLS leads to a new EHLO, LMTP reports one result per recipient.
//   - server.go, server_event.go, server_config.go: Server, the sans-I/O
//     SMTP and LMTP server. Receive takes the client's bytes, Next returns
//     events (Event, EventKind; NextEvent the Server's own, without a copy):
//     decisions (connect, hello, MAIL, RCPT,
//     DATA, the message, AUTH steps, VRFY, EXPN, HELP, ETRN, XCLIENT,
//     XFORWARD) that the application answers with Respond or Challenge,
//     and notices (body pieces, STARTTLS, reset, refusals, close); Output
//     and Consumed carry the replies; Advance passes the time in and
//     Deadline says when the wait ends (RFC 5321 4.5.3.2). ServerConfig
//     switches each extension, the TLS and AUTH requirements, the limits
//     (SIZE, recipients, LIMITS, errors) and SyncPolicy, what to do with a
//     client that does not wait for replies (RFC 2920 3.1); an HTTP request
//     line gets one 421 (TolerateHTTP), and Timeouts.MinDataRate bounds a
//     command line under way as well as a body.
//   - server_cmd.go: the per-command gate (the legality table, extensions
//     not offered, line length, 530 for TLS and AUTH) and the commands the
//     machine answers by itself; server_txn.go: MAIL and RCPT checks, DATA
//     and BDAT content (read to its end even when refused); server_auth.go:
//     the 334 loop (RFC 4954 section 4); server_respond.go: Respond and
//     the phase changes it makes; server_reply.go: the machine's own
//     replies and the EHLO keyword list; server_shutdown.go: Shutdown
//     (421 once no transaction is in progress) and Terminate (421 now),
//     with ErrShutdown (RFC 5321 section 3.8).
//   - pipeline.go: EndsGroup, the commands that must end a pipelined group
//     (RFC 2920 section 3.1). errors.go: the sentinel errors and Violation.
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
//   - transcript.go, transcript_format.go: golden transcripts, the C:/S:
//     dialogue of RFC 5321 appendix D made exact to the byte. "C: " and
//     "S: " lines add CRLF, "C+ " lines add nothing; \r \n \t \\ \xHH
//     escapes write bare CR, bare LF and NUL; lines of one side in a row
//     are one write and "-- flush" separates two; "-- TLS", "-- close C",
//     "-- eof S" and "-- wait 5m" mark steps; "# key: value" lines open
//     the file. ParseTranscript and Transcript.Append round-trip, and
//     Recorder builds a Transcript from a test's writes. Golden files live
//     in testdata/transcripts; go test ./state -update rewrites them.
//   - replyrules.go: every reply answers a Stage (the greeting, a command,
//     the end of a message; StageFor maps a verb). Stage.Allowed is the set
//     of codes the RFCs list for it (RFC 5321 4.3.2 verbatim, plus
//     500/501/421 for any command, 530 per RFC 4954 and RFC 3207, 502 for
//     extension commands, and each extension's own list). Judge turns a
//     received code into the client's Verdict (SPEC 2.4a): codes act by
//     their first digit (RFC 5321 section 4.2), with the RFC's exceptions
//     (421 closes, a 554 greeting means QUIT, EHLO refused means HELO,
//     452/552 to RCPT are temporary, 2yz after the data makes the server
//     responsible). Judgment.Listed and Problem say when a valid code is
//     not one the RFC lists, which the Checker reports while the client
//     still acts on it.
//   - codeset.go: CodeSet, the bitset of reply codes 200-599 that
//     Stage.Allowed returns.
//   - timeouts.go: the RFC 5321 4.5.3.2 timeouts and a minimum body data
//     rate; every helper takes the time as an argument.
//
// Session transcripts under testdata/sessions are replayed through the
// Server by TestServerSessions: the client's writes go in as written and
// an oracle answers each decision with the reply the transcript shows.
// TestCheckerTranscripts runs the Checker over them and over the broken
// servers of testdata/checker; each file's "# violation:" header lines
// hold what it must find.
package state
