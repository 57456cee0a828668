// Command gosmtp-load is a load generator built on emersion/go-smtp's
// (v0.26.0) Client: the go-smtp side of bench/loadtest.sh, next to smtpkit
// load and Postfix's smtp-source.
//
// It sends -n messages in total over -c connections in parallel. Each
// worker opens one connection, says EHLO once and sends its messages over
// it one after another with Client.SendMail (MAIL, RCPT, DATA, each waiting
// for its reply: go-smtp's client does not pipeline), then QUITs. A
// message has five header fields and a body of exactly -size octets in
// lines of 76 characters (as smtpkit load's). A worker whose connection breaks stops and
// leaves its messages to the others. The whole run is bounded by -timeout:
// every connection's deadline is the run's.
//
// It prints one JSON line: messages sent, accepted and failed, elapsed
// time, msgs/s, the process's own CPU time and the first error. The exit
// status is 0 when every planned message was accepted, 1 otherwise and 2
// for a usage mistake.
//
//	gosmtp-load -addr 127.0.0.1:2526 -c 20 -n 20000 -size 1024
package main
