package reply

import "strconv"

// Code is a three-digit SMTP reply code (RFC 5321 section 4.2). The zero
// value means "no code". A Code is valid when its first digit is 2 to 5,
// its second digit 0 to 5 and its third digit 0 to 9 (RFC 5321 section 4.2,
// Reply-code ABNF).
type Code uint16

// Named reply codes. The list is RFC 5321 section 4.2.3 plus the codes added by
// the extensions an SMTP engine meets (SPEC 2.5). Where one number serves
// several extensions, the constant carries the RFC 5321 name and its comment
// lists the other uses.
const (
	// CodeSystemStatus is 211 "System status, or system help reply" (RFC 5321 4.2.3).
	CodeSystemStatus Code = 211
	// CodeHelp is 214 "Help message" (RFC 5321 4.2.3).
	CodeHelp Code = 214
	// CodeReady is 220 "<domain> Service ready" (RFC 5321 4.2.3); also the
	// STARTTLS go-ahead (RFC 3207 section 4) and the XCLIENT success reply.
	CodeReady Code = 220
	// CodeClosing is 221 "<domain> Service closing transmission channel".
	CodeClosing Code = 221
	// CodeAuthSucceeded is 235 "Authentication succeeded" (RFC 4954 section 6).
	CodeAuthSucceeded Code = 235
	// CodeOK is 250 "Requested mail action okay, completed" (RFC 5321 4.2.3);
	// also ETRN "queuing started" (RFC 1985).
	CodeOK Code = 250
	// CodeUserNotLocal is 251 "User not local; will forward to <forward-path>"
	// (RFC 5321 4.2.3); also ETRN "no messages waiting" (RFC 1985).
	CodeUserNotLocal Code = 251
	// CodeCannotVerify is 252 "Cannot VRFY user, but will accept message and
	// attempt delivery" (RFC 5321 3.5.3); also ETRN "pending messages started".
	CodeCannotVerify Code = 252
	// CodeETRNPendingStarted is 253 "OK, <n> pending messages for node <x>
	// started" (RFC 1985 section 5).
	CodeETRNPendingStarted Code = 253
	// CodeAuthContinue is 334, the AUTH continuation carrying a base64
	// challenge (RFC 4954 section 4).
	CodeAuthContinue Code = 334
	// CodeStartMailInput is 354 "Start mail input; end with <CRLF>.<CRLF>".
	CodeStartMailInput Code = 354
	// CodeServiceNotAvailable is 421 "<domain> Service not available, closing
	// transmission channel" (RFC 5321 4.2.3).
	CodeServiceNotAvailable Code = 421
	// CodePasswordTransition is 432 "A password transition is needed"
	// (RFC 4954 section 6, enhanced 4.7.12).
	CodePasswordTransition Code = 432
	// CodeMailboxBusy is 450 "Requested mail action not taken: mailbox
	// unavailable (e.g., mailbox busy or temporarily blocked)".
	CodeMailboxBusy Code = 450
	// CodeLocalError is 451 "Requested action aborted: local error in
	// processing" (RFC 5321 4.2.3).
	CodeLocalError Code = 451
	// CodeInsufficientStorage is 452 "Requested action not taken: insufficient
	// system storage"; also "too many recipients" (RFC 5321 4.5.3.1.10).
	CodeInsufficientStorage Code = 452
	// CodeATRNNoMail is 453 "You have no mail" (RFC 2645 section 5).
	CodeATRNNoMail Code = 453
	// CodeTempAuthFailure is 454 "Temporary authentication failure"
	// (RFC 4954 section 6); also "TLS not available due to temporary reason"
	// (RFC 3207 section 4).
	CodeTempAuthFailure Code = 454
	// CodeParamsNotAccommodated is 455 "Server unable to accommodate
	// parameters" (RFC 5321 4.2.3).
	CodeParamsNotAccommodated Code = 455
	// CodeETRNUnableToQueue is 458 "Unable to queue messages for node <x>"
	// (RFC 1985 section 5).
	CodeETRNUnableToQueue Code = 458
	// CodeETRNNodeNotAllowed is 459 "Node <x> not allowed: <reason>"
	// (RFC 1985 section 5).
	CodeETRNNodeNotAllowed Code = 459
	// CodeSyntaxError is 500 "Syntax error, command unrecognized" (RFC 5321
	// 4.2.3); also "line too long" and "Authentication Exchange line is too
	// long" (RFC 4954 section 4).
	CodeSyntaxError Code = 500
	// CodeParamSyntaxError is 501 "Syntax error in parameters or arguments".
	CodeParamSyntaxError Code = 501
	// CodeNotImplemented is 502 "Command not implemented" (RFC 5321 4.2.4:
	// recognised but not implemented).
	CodeNotImplemented Code = 502
	// CodeBadSequence is 503 "Bad sequence of commands" (RFC 5321 4.2.3).
	CodeBadSequence Code = 503
	// CodeParamNotImplemented is 504 "Command parameter not implemented";
	// also "Unrecognized authentication type" (RFC 4954 section 4).
	CodeParamNotImplemented Code = 504
	// CodeNoMailAccepted is 521 "Host does not accept mail" (RFC 7504).
	CodeNoMailAccepted Code = 521
	// CodeAuthRequired is 530 "Authentication required" (RFC 4954 section 6);
	// also "Must issue a STARTTLS command first" (RFC 3207 section 4).
	CodeAuthRequired Code = 530
	// CodeAuthTooWeak is 534 "Authentication mechanism is too weak" (RFC 4954
	// section 6, enhanced 5.7.9).
	CodeAuthTooWeak Code = 534
	// CodeAuthInvalid is 535 "Authentication credentials invalid" (RFC 4954
	// section 6, enhanced 5.7.8).
	CodeAuthInvalid Code = 535
	// CodeEncryptionRequired is 538 "Encryption required for requested
	// authentication mechanism" (RFC 4954 section 6; historic).
	CodeEncryptionRequired Code = 538
	// CodeMailboxUnavailable is 550 "Requested action not taken: mailbox
	// unavailable" (RFC 5321 4.2.3).
	CodeMailboxUnavailable Code = 550
	// CodeUserNotLocalTry is 551 "User not local; please try <forward-path>".
	CodeUserNotLocalTry Code = 551
	// CodeExceededStorage is 552 "Requested mail action aborted: exceeded
	// storage allocation" (RFC 5321 4.2.3; SIZE, RFC 1870 section 6).
	CodeExceededStorage Code = 552
	// CodeMailboxNameNotAllowed is 553 "Requested action not taken: mailbox
	// name not allowed" (RFC 5321 4.2.3).
	CodeMailboxNameNotAllowed Code = 553
	// CodeTransactionFailed is 554 "Transaction failed" (RFC 5321 4.2.3); on
	// connection opening, "No SMTP service here" (RFC 5321 3.1).
	CodeTransactionFailed Code = 554
	// CodeParamsNotRecognized is 555 "MAIL FROM/RCPT TO parameters not
	// recognized or not implemented" (RFC 5321 4.1.1.11).
	CodeParamsNotRecognized Code = 555
	// CodeDomainNoMail is 556 "Domain does not accept mail" (RFC 7504).
	CodeDomainNoMail Code = 556
)

// Class is the first digit of a reply code (RFC 5321 section 4.2.1). The zero
// value means "no class" (an invalid or absent code).
type Class uint8

// Reply classes.
const (
	ClassNone         Class = 0
	ClassPositive     Class = 2 // 2yz Positive Completion reply
	ClassIntermediate Class = 3 // 3yz Positive Intermediate reply
	ClassTransient    Class = 4 // 4yz Transient Negative Completion reply
	ClassPermanent    Class = 5 // 5yz Permanent Negative Completion reply
)

var classNames = [...]string{
	ClassNone:         "none",
	ClassPositive:     "positive completion",
	ClassIntermediate: "positive intermediate",
	ClassTransient:    "transient negative",
	ClassPermanent:    "permanent negative",
}

// String returns the RFC 5321 name of the class.
func (c Class) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Category is the second digit of a reply code (RFC 5321 section 4.2.1).
type Category uint8

// Reply categories. They are the digit itself, so the zero value is x0z
// (syntax); use Code.Valid to tell absent codes apart.
const (
	CategorySyntax       Category = 0 // x0z syntax errors, unimplemented commands
	CategoryInformation  Category = 1 // x1z replies to requests for information
	CategoryConnections  Category = 2 // x2z the transmission channel
	CategoryUnspecified3 Category = 3 // x3z unspecified (AUTH uses it, RFC 4954)
	CategoryUnspecified4 Category = 4 // x4z unspecified
	CategoryMailSystem   Category = 5 // x5z the mail system
)

var categoryNames = [...]string{
	CategorySyntax:       "syntax",
	CategoryInformation:  "information",
	CategoryConnections:  "connections",
	CategoryUnspecified3: "unspecified (x3z)",
	CategoryUnspecified4: "unspecified (x4z)",
	CategoryMailSystem:   "mail system",
}

// String returns the RFC 5321 name of the category.
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "Category(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c follows the Reply-code grammar of RFC 5321 section
// 4.2: %x32-35 %x30-35 %x30-39.
func (c Code) Valid() bool {
	return c >= 200 && c <= 559 && (c/10)%10 <= 5
}

// Class returns the first digit of c, or ClassNone when c is not valid.
func (c Code) Class() Class {
	if !c.Valid() {
		return ClassNone
	}
	return Class(c / 100)
}

// Category returns the second digit of c. For an invalid code it returns the
// digit anyway; check Valid first when that matters.
func (c Code) Category() Category {
	return Category((c / 10) % 10)
}

// IsPositive reports whether c is a 2yz reply.
func (c Code) IsPositive() bool { return c.Class() == ClassPositive }

// IsIntermediate reports whether c is a 3yz reply.
func (c Code) IsIntermediate() bool { return c.Class() == ClassIntermediate }

// IsTransient reports whether c is a 4yz reply: the same command may succeed
// later (RFC 5321 section 4.2.1).
func (c Code) IsTransient() bool { return c.Class() == ClassTransient }

// IsPermanent reports whether c is a 5yz reply.
func (c Code) IsPermanent() bool { return c.Class() == ClassPermanent }

// IsNegative reports whether c is a 4yz or 5yz reply.
func (c Code) IsNegative() bool {
	cl := c.Class()
	return cl == ClassTransient || cl == ClassPermanent
}

// String returns the three digits of c, or "Code(n)" when c does not have
// three digits.
func (c Code) String() string {
	if c < 100 || c > 999 {
		return "Code(" + strconv.Itoa(int(c)) + ")"
	}
	return string(c.Append(make([]byte, 0, 3)))
}

// Append appends the three digits of c to dst. c must be between 100 and 999;
// other values are clamped to "000".
func (c Code) Append(dst []byte) []byte {
	if c < 100 || c > 999 {
		return append(dst, '0', '0', '0')
	}
	return append(dst, byte('0'+c/100), byte('0'+(c/10)%10), byte('0'+c%10))
}
