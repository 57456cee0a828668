// Package peers runs the real SMTP programs that smtpkit's interoperability
// tests talk to: Postfix's smtpd, smtp-sink and smtp-source, swaks, curl
// and Python's smtplib. Every program runs on 127.0.0.1 only, under a
// deadline, and is stopped when the test ends.
//
// A test that needs a program calls Need: when the program is missing the
// test is skipped, unless the environment variable SMTPKIT_PEERS is
// "require" (as .ci/run sets it after installing them), in which case it
// fails. Record puts a recording TCP proxy between a peer and a server so
// that the session can be checked with state.Check.
//
// Files: peers.go (Need, FreeAddr, Run, Sink: finding and running the
// programs), record.go (Recording: the proxy, its transcripts and
// Check), postfix.go (Postfix: Postfix's real smtpd, run by its master(8)
// as root with a configuration and queue of its own, for the server-side
// conformance cases) and postfix_config.go (PostfixOptions and the files
// it becomes: main.cf, master.cf, the certificate, Cyrus SASL's).
package peers
