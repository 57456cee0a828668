package reply

// Text returns the default text of a named reply code: the wording of RFC
// 5321 sections 4.2.2 and 4.2.3, or of the extension that defines the code
// (RFC 4954 section 6, RFC 1985 section 5, RFC 2645, RFC 7504), without
// placeholders. "<domain>" is left out of 220, 221 and 421, and
// "<forward-path>" out of 251 and 551: a client reads those parts of the
// text as data (RFC 5321 section 4.2), so a server must write the real
// value, never the placeholder. Text returns "" for codes without a name and
// for 334, whose text is base64 data (RFC 4954 section 4).
func (c Code) Text() string {
	switch c {
	case CodeSystemStatus:
		return "System status, or system help reply"
	case CodeHelp:
		return "Help message"
	case CodeReady:
		return "Service ready"
	case CodeClosing:
		return "Service closing transmission channel"
	case CodeAuthSucceeded:
		return "Authentication succeeded"
	case CodeOK:
		return "Requested mail action okay, completed"
	case CodeUserNotLocal:
		return "User not local; will forward"
	case CodeCannotVerify:
		return "Cannot VRFY user, but will accept message and attempt delivery"
	case CodeETRNPendingStarted:
		return "OK, pending messages started"
	case CodeStartMailInput:
		return "Start mail input; end with <CRLF>.<CRLF>"
	case CodeServiceNotAvailable:
		return "Service not available, closing transmission channel"
	case CodePasswordTransition:
		return "A password transition is needed"
	case CodeMailboxBusy:
		return "Requested mail action not taken: mailbox unavailable"
	case CodeLocalError:
		return "Requested action aborted: local error in processing"
	case CodeInsufficientStorage:
		return "Requested action not taken: insufficient system storage"
	case CodeATRNNoMail:
		return "You have no mail"
	case CodeTempAuthFailure:
		return "Temporary authentication failure"
	case CodeParamsNotAccommodated:
		return "Server unable to accommodate parameters"
	case CodeETRNUnableToQueue:
		return "Unable to queue messages"
	case CodeETRNNodeNotAllowed:
		return "Node not allowed"
	case CodeSyntaxError:
		return "Syntax error, command unrecognized"
	case CodeParamSyntaxError:
		return "Syntax error in parameters or arguments"
	case CodeNotImplemented:
		return "Command not implemented"
	case CodeBadSequence:
		return "Bad sequence of commands"
	case CodeParamNotImplemented:
		return "Command parameter not implemented"
	case CodeNoMailAccepted:
		return "Host does not accept mail"
	case CodeAuthRequired:
		return "Authentication required"
	case CodeAuthTooWeak:
		return "Authentication mechanism is too weak"
	case CodeAuthInvalid:
		return "Authentication credentials invalid"
	case CodeEncryptionRequired:
		return "Encryption required for requested authentication mechanism"
	case CodeMailboxUnavailable:
		return "Requested action not taken: mailbox unavailable"
	case CodeUserNotLocalTry:
		return "User not local"
	case CodeExceededStorage:
		return "Requested mail action aborted: exceeded storage allocation"
	case CodeMailboxNameNotAllowed:
		return "Requested action not taken: mailbox name not allowed"
	case CodeTransactionFailed:
		return "Transaction failed"
	case CodeParamsNotRecognized:
		return "MAIL FROM/RCPT TO parameters not recognized or not implemented"
	case CodeDomainNoMail:
		return "Domain does not accept mail"
	}
	return ""
}

// DefaultEnhanced returns the enhanced status code to send with c when the
// application gave none (SPEC 3.4, from the pairings in RFC 3463, RFC 4954
// section 6, RFC 7504 and the IANA registry).
//
// It returns the zero Enhanced, meaning "send none", for 3yz replies, for
// the 220 greeting and for invalid codes: RFC 2034 puts no enhanced code on
// 3yz replies, on the greeting or on the EHLO reply, and RFC 3463 has no
// class 3. Any other 2yz, 4yz or 5yz code without a better pairing gets
// class.0.0 ("Other undefined Status", the code to use when only the class
// is known).
func DefaultEnhanced(c Code) Enhanced {
	switch c {
	case CodeSystemStatus, CodeHelp, CodeClosing, CodeOK, CodeCannotVerify, CodeETRNPendingStarted:
		return E(2, 0, 0)
	case CodeAuthSucceeded:
		return E(2, 7, 0) // RFC 4954 section 6: 235 2.7.0
	case CodeUserNotLocal:
		return E(2, 1, 5) // destination address valid
	case CodeReady:
		return Enhanced{} // the greeting carries none (RFC 2034)
	case CodeServiceNotAvailable:
		return E(4, 3, 2) // system not accepting network messages
	case CodePasswordTransition:
		return E(4, 7, 12) // RFC 4954 section 6
	case CodeMailboxBusy:
		return E(4, 2, 0)
	case CodeLocalError:
		return E(4, 3, 0)
	case CodeInsufficientStorage:
		return E(4, 3, 1) // mail system full
	case CodeTempAuthFailure:
		return E(4, 7, 0) // RFC 4954 section 6
	case CodeParamsNotAccommodated:
		return E(4, 5, 4)
	case CodeSyntaxError:
		return E(5, 5, 2)
	case CodeParamSyntaxError, CodeParamNotImplemented, CodeParamsNotRecognized:
		return E(5, 5, 4)
	case CodeNotImplemented, CodeBadSequence:
		return E(5, 5, 1)
	case CodeNoMailAccepted:
		return E(5, 3, 2) // RFC 7504: system not accepting network messages
	case CodeAuthRequired:
		return E(5, 7, 0) // RFC 4954 section 6
	case CodeAuthTooWeak:
		return E(5, 7, 9)
	case CodeAuthInvalid:
		return E(5, 7, 8)
	case CodeEncryptionRequired:
		return E(5, 7, 11)
	case CodeUserNotLocalTry:
		// 551 rejects mail for an address the server knows to have moved and
		// will not forward (RFC 5321 section 3.4). RFC 3463 X.1.6 is exactly
		// that: the address "was at one time valid, but mail is no longer
		// being accepted for that address", a permanent failure. Its "No
		// forwarding address" means the server does not forward, which is why
		// the 551 text names the new path for the client to try itself.
		return E(5, 1, 6)
	case CodeExceededStorage:
		return E(5, 3, 4) // message too big for system (SIZE, RFC 1870)
	case CodeMailboxNameNotAllowed:
		return E(5, 1, 3) // bad destination mailbox address syntax
	case CodeDomainNoMail:
		return E(5, 1, 10) // RFC 7505: recipient address has null MX
	}
	switch c.Class() {
	case ClassPositive, ClassTransient, ClassPermanent:
		return E(uint8(c.Class()), 0, 0)
	}
	return Enhanced{}
}
