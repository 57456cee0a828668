// Command smtpkit receives, sends, loads and checks SMTP, submission and
// LMTP, on smtpkit's packages:
//
//	smtpkit serve    a local server that keeps every message in a Maildir
//	                 (or discards it): STARTTLS or implicit TLS with a test
//	                 CA by default, AUTH for --user accounts, LMTP, limits,
//	                 the bare-LF policy, PROXY from trusted networks
//	smtpkit send     one message, raw or composed (MIME, attachments), with a
//	                 result per recipient; TLS mode by port, AUTH with the
//	                 password from the environment, providers, --trace, --json
//	smtpkit load     an smtp-source-like load generator: throughput, latency
//	                 percentiles, errors by reply code
//	smtpkit check    the conformance suite against a server, a client, or
//	                 smtpkit itself (--self); text, JSON, JUnit or HTML
//	smtpkit verify   a C:/S: transcript through the state Checker
//	smtpkit version  the build's version
//
// "smtpkit help COMMAND" shows a command's flags and examples. Exit status,
// for every command: 0 done, 1 the job ran and failed (a recipient refused,
// a MUST case failed, a violation found), 2 a command-line mistake, 3 the
// job could not run (no connection, no listener, no file).
//
// Files: main.go and cli.go (dispatch, flags that may follow arguments,
// help, exit codes, version), dial.go (the connection flags send and load
// share, with SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS and SMTP_SECURE),
// serve.go and serve_store.go (serve and its Maildir handler and user
// table), send.go, send_compose.go, send_provider.go and send_report.go
// (send: options, MIME composition, the provider table, output), load.go,
// load_stats.go and load_progress.go (load: workers, latency histogram and
// summary, progress bar), check.go (check) and verify.go (verify). The
// tests build the binary once (bin_test.go) and run it as a user would,
// beside in-process runs (harness_test.go).
package main
