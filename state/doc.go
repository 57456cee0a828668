// Package state is reserved for smtpkit's sans-I/O SMTP state machines: a
// Server, a Client and a transcript Checker driven by one legality table
// (RFC 5321 sections 3 and 4.1.4).
//
// It holds no code yet; the project's issue "state" fills it.
package state
