//go:build reliability

// Package hostile proves, against the real "smtpkit serve" process over
// raw TCP on 127.0.0.1 and against a hostile fake server driving our
// client package, that nobody can smuggle, inject or exhaust: SMTP
// smuggling (RFC 5321 sections 2.3.8 and 4.1.1.4; SPEC 2.8), STARTTLS
// command and response injection (RFC 3207 section 4.2, CVE-2011-0411),
// overlong lines (RFC 5321 section 4.5.3.1), AUTH floods (RFC 4954),
// HTTP requests on the SMTP port, garbage and NUL octets, PROXY headers
// from untrusted addresses, and endless or malformed replies (RFC 5321
// section 4.2).
//
// Run with: go test -tags reliability -count=1 -v ./reliability/hostile/
// SMTPKIT_RELIABILITY=long runs more rounds, connections and megabytes
// than the default CI scale ("short", about a minute). Each test logs its
// figures on a line starting "RESULT " for docs/RELIABILITY.md.
//
// Files:
//   - doc.go: this description.
//   - main_test.go: TestMain (builds cmd/smtpkit once through
//     internal/servetest), the scale, a raw connection with deadlines
//     that checks every reply's grammar, Maildir readers.
//   - smuggling_test.go: every smuggling variant in DATA and BDAT,
//     lock-step and pipelined, under --bare-lf reject/normalize/allow and
//     --pipelining strict/allow; replies and the Maildir checked.
//   - starttls_test.go: commands behind STARTTLS (server side).
//   - overlong_test.go: command, EHLO, path, local part, domain, AUTH,
//     SASL, BDAT and DATA lines too long; an endless line (421 past
//     1 MiB) and serve's RSS;
//     a refused BDAT chunk that must be consumed (RFC 3030 section 4.2).
//   - authflood_test.go: failed AUTH up to --max-auth-failures, many
//     flooding connections, no credentials in the --trace log.
//   - http_test.go: HTTP requests on the SMTP port: a single 421, close.
//   - junk_test.go: NOOP, RSET and HELP only: closed past --max-junk; a
//     client that delivers between them never is.
//   - garbage_test.go: seeded random binary lines and streams, NUL and
//     8-bit octets in commands and content, the error limit.
//   - proxy_test.go: PROXY v1/v2 headers from an untrusted and a trusted
//     address.
//   - fakeserver_test.go: the scripted hostile fake server.
//   - client_test.go: the client against STARTTLS response injection,
//     endless multi-line replies and lines, malformed replies.
package hostile
