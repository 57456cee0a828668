// Package reply holds SMTP reply codes, enhanced status codes and the Reply
// value (RFC 5321 section 4.2, RFC 3463, RFC 2034).
package reply
