// Package reply holds SMTP reply codes, enhanced status codes and the Reply
// value with its errors. It imports only the standard library; package wire
// and everything above it build on it.
//
// # Parts
//
//   - Codes (code.go): Code, the three-digit reply code of RFC 5321 section
//     4.2, with its Class (first digit: 2yz positive completion, 3yz positive
//     intermediate, 4yz transient negative, 5yz permanent negative, section
//     4.2.1) and Category (second digit). Named constants cover RFC 5321
//     section 4.2.3 and the extension codes of RFC 4954 (AUTH), RFC 1985
//     (ETRN), RFC 2645 (ATRN) and RFC 7504 (521, 556).
//   - Default texts and enhanced codes (defaults.go): Code.Text is the
//     RFC 5321 section 4.2.2/4.2.3 wording of a named code; DefaultEnhanced
//     is the enhanced code to send when the application gives none.
//   - Enhanced status codes (enhanced.go): Enhanced, class.subject.detail of
//     RFC 3463 section 2, with ParseEnhanced, ParseEnhancedPrefix (the RFC
//     2034 placement at the start of reply text), Append and String.
//   - The registry (registry.go, enhanced.csv, enhanced_table.go): the IANA
//     "SMTP Enhanced Status Codes" registry (RFC 5248) as data. LookupEnhanced,
//     EnhancedEntries, SubjectText and Enhanced.Description read it.
//     enhanced_table.go is generated from enhanced.csv by
//     internal/genenhanced (go generate); a test fails when it is stale.
//   - Reply (reply.go): a code, an enhanced code and text. Reply.Append
//     writes the wire form: multi-line with "ddd-" continuation, the enhanced
//     code on every line (RFC 2034), control octets neutralised, and lines
//     wrapped to the 512-octet limit (MaxLineLength) of RFC 5321 section
//     4.5.3.1.5. Lines iterates over the text's lines, String gives one line
//     for logs, WithDefaultEnhanced fills in DefaultEnhanced, and Err turns a
//     negative reply into an *Error.
//   - Builder (builder.go): assembles a Reply from the lines a client reads,
//     checks that every line has the same code (RFC 5321 section 4.2.1),
//     extracts the enhanced code and bounds the reply's size.
//   - Errors (errors.go): Error is a negative reply from the peer as an error
//     (Temporary for 4yz, Permanent for 5yz); CodeMismatchError,
//     ErrCodeMismatch, ErrReplyTooLong and ErrBadEnhanced are local errors
//     about malformed input.
//
// # Ownership and concurrency
//
// Code, Enhanced, Reply, EnhancedEntry and Error are values that no method
// modifies; they are safe to share between goroutines. The registry is
// read-only; LookupEnhanced and EnhancedEntries return copies. Append
// methods only append to the caller's buffer. A Builder owns its buffers,
// copies the text it is given, and is not safe for concurrent use.
package reply
