package reply

// Reply is one SMTP reply: a code, an optional enhanced status code and its
// text (RFC 5321 section 4.2). Text holds the lines of a multi-line reply
// separated by "\n"; it may be empty.
type Reply struct {
	Code     Code
	Enhanced Enhanced
	Text     string
}
