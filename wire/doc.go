// Package wire converts between SMTP bytes and values: line splitting,
// command and reply-line parsing, paths, ESMTP parameters, xtext,
// serializers, DATA dot-stuffing, BDAT framing and PROXY protocol headers.
//
// It imports only the standard library and package reply. Parsed values
// alias the input buffer and are valid until the buffer is reused.
package wire
