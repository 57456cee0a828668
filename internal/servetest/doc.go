// Package servetest builds the smtpkit command and runs "smtpkit serve" as
// a separate process for the tests that need the real program: the
// interop tests (interop/...), cmd/smtpkit's binary tests and the
// reliability suite (reliability/...). It is test support, not API.
//
//   - build.go: Build and Main (a TestMain that builds the binary once).
//   - serve.go: Start runs serve on 127.0.0.1:0 with a fresh Maildir, waits
//     until it listens, and stops it when the test ends; Serve reads its
//     log, its Maildir and its process's memory and CPU.
package servetest
