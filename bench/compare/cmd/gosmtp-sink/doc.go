// Command gosmtp-sink is an emersion/go-smtp (v0.26.0) server that accepts
// every message and discards it: the go-smtp side of bench/loadtest.sh,
// next to smtpkit serve --discard and Postfix's smtp-sink.
//
// It listens on -listen (plain TCP, no TLS), advertises what go-smtp's
// server offers on its own (PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES,
// CHUNKING, SIZE) and the extensions a discarding backend can honestly
// claim (SMTPUTF8, BINARYMIME, DSN), reads every body to io.Discard and
// counts the messages whose body was read to its end. When it is listening
// it prints "listening ADDR" on standard error; on SIGINT or SIGTERM it
// shuts down (waiting at most -shutdown for sessions under way) and prints
// "accepted N" on standard output.
//
//	gosmtp-sink -listen 127.0.0.1:2526
package main
