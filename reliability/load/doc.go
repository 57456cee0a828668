//go:build reliability

// Package load holds the load tests of the issue "Reliability and security
// under load, faults and hostile input". They run the real "smtpkit serve"
// process (built once by internal/servetest) on 127.0.0.1 and drive it
// with the client package and with raw TCP connections. They are built
// only with the reliability build tag:
//
//	go test -tags reliability -count=1 -v ./reliability/load/
//	SMTPKIT_RELIABILITY=long go test -tags reliability -count=1 -v -timeout 30m ./reliability/load/
//
// SMTPKIT_RELIABILITY selects the scale: unset or "short" (CI, about two
// minutes for the package) or "long" (the numbers: 1,000 sessions
// of 20 messages, 10,000 idle connections, 500 trickle connections). Each
// test logs its figures on a line starting "RESULT ", which a script
// copies into docs/RELIABILITY.md.
//
// Files:
//
//   - doc.go: this description.
//   - main_test.go: TestMain, the scale table (short and long form) and
//     the shared helpers: clients, message tokens, the Maildir scan, raw
//     SMTP replies, latency percentiles, peak and settled memory.
//   - load_test.go: N concurrent sessions x M messages into a Maildir, with
//     MAIL, RCPT and DATA pipelined (RFC 2920): nothing lost, nothing
//     duplicated, no unexpected reply; msgs/s, latency, serve's CPU per
//     message and peak RSS.
//   - idle_test.go: K greeted, idle connections (the server may wait 5
//     minutes for a command, RFC 5321 section 4.5.3.2.7) while a normal
//     client delivers with p99 under 1 s; none is closed; serve's resident
//     memory per idle connection.
//   - shutdown_test.go: SIGTERM during load: every 250 stored, nothing
//     stored without its 250 (but for acks lost with the connection),
//     421 or another 4yz otherwise (RFC 5321 section 3.8), never 5yz; serve
//     exits 0 within --shutdown-timeout.
//   - trickle_test.go: connections sending a command line or a body one
//     octet a second are cut by --min-data-rate after --rate-grace (the
//     timeouts of RFC 5321 section 4.5.3.2 alone would let them stay),
//     while a normal client delivers with p99 under 1 s.
package load
