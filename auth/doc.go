// Package auth is reserved for smtpkit's SASL mechanisms, client and server
// side, without I/O (RFC 4954, RFC 4422).
//
// It holds no code yet; the project's issue "auth" fills it.
package auth
