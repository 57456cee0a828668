// Package conformance is an SMTP conformance suite, for SMTP what h2spec
// is for HTTP/2: it points at any SMTP, submission or LMTP server, or at
// any mail client, and says case by case, with the RFC section and the
// strength of the rule (MUST, SHOULD, MAY), what the implementation gets
// wrong. The `smtpkit check` command runs it.
//
// # Cases
//
// A Case is data: an RFC and section, a name (its ID is
// "rfc5321/4.1.4/mail-twice"), a Level, a one-sentence Title, Needs (EHLO
// keywords, TLS, credentials, SMTP or LMTP) that skip it when unmet, a time
// bound, and Steps. Every case runs on a connection of its own. Steps are
// small values (Send, Raw, Expect, Cmd, Hello, StartTLS, Login, Quiet,
// Closed ... for the server suite; Greet, SayEHLO, ExpectCommand,
// ReceiveMessage, ServeStartTLS ... for the client suite) or a Func with the
// Session's primitives at hand. A step that finds the target at fault
// returns a *Failure (what was wanted, what came, the rule); one that finds
// the case does not apply returns Skip's error. Where an RFC allows several
// answers the cases accept all of them: the suite is run against Postfix,
// swaks and curl as well as smtpkit, and the cases they fail are listed
// with the reason (PeerRuns) and shown in docs/CONFORMANCE.md.
//
// # Running
//
// RunServer plays a client against Config.Addr: a probe connection learns
// the EHLO keywords in the clear and after STARTTLS, then each selected
// case runs (Config.Parallel at a time) and a Report holds a Result per
// case, with the C:/S: transcript of its session (state.Transcript, which
// `smtpkit verify` and state.Check read). RunClient plays a scripted server
// on 127.0.0.1 against a ClientUnderTest: SmtpkitClient (the client
// package, in process) or CommandClient (any program run from a template;
// SwaksClient and CurlClient are built in). Filter selects cases by level
// and ID pattern. WriteReport and ReportOptions write text, JSON, JUnit XML
// or a self-contained HTML page.
//
// # Files
//
//   - case.go, registry.go: Case, Level, Needs, Filter, the suite lists.
//   - config.go, session.go, session_auth.go: Config and the Session (one
//     connection: replies, commands, message content, TLS, an AUTH
//     exchange, the transcript).
//   - steps.go: the server suite's steps; runner.go: RunServer and the
//     probe; result.go: Failure, Skip, Result, Report.
//   - server_*.go: the server suite by area (session, sequence, syntax,
//     paths, commands, lines, params, data, smuggling, bdat, pipelining,
//     lmtp, limits, starttls, auth, auth_errors).
//   - client_runner.go, client_smtpkit.go, client_command.go: RunClient and
//     the clients under test; client_steps.go, client_steps_tls.go: the
//     scripted server's steps; client_cases_*.go: the client suite.
//   - report*.go: the report formats.
//   - deviations.go: PeerRuns, the cases Postfix, swaks and curl fail
//     (postfix_test.go and client_peers_test.go check the lists).
//
// # Concurrency
//
// Cases and the suite lists are read-only after package initialisation;
// RunServer and RunClient may run concurrently. A Session belongs to the
// goroutine running its case.
package conformance
