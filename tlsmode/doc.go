// Package tlsmode is reserved for smtpkit's TLS modes (none, STARTTLS,
// implicit) and policies, the STARTTLS buffering rule (RFC 3207 section 4.2,
// CVE-2011-0411) and certificate helpers.
//
// It holds no code yet; the project's issue "tlsmode" fills it.
package tlsmode
