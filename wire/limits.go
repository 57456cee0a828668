package wire

// Line-length limits in octets, each including the terminating CRLF. RFC
// 5321 section 4.5.3.1 gives the minimums every implementation must accept;
// a receiver may accept more.
const (
	// MaxCommandLine is the longest command line, verb and CRLF included
	// (RFC 5321 4.5.3.1.4). Extensions raise it for MAIL and RCPT; see
	// CommandLineLimit.
	MaxCommandLine = 512
	// MaxReplyLine is the longest reply line, code and CRLF included (RFC
	// 5321 4.5.3.1.5).
	MaxReplyLine = 512
	// MaxTextLine is the longest line of message data, not counting a
	// stuffing dot (RFC 5321 4.5.3.1.6).
	MaxTextLine = 1000
	// MaxAuthLine is the longest AUTH command or SASL response line: RFC
	// 4954 section 4 calls 12288 octets "sufficient" for deployed
	// mechanisms and answers longer lines with 500 5.5.6.
	MaxAuthLine = 12288
)

// Declared and chosen command-line increments, in octets, per extension.
// Each names where the number comes from. "Declared" numbers were checked
// in the RFC text; "chosen" numbers cover the longest value the
// parameter's grammar allows where the RFC declares no increment or its
// text could not be checked, and are rounded up.
const (
	// incSIZE: RFC 1870 section 3 item (5) declares 26 for " SIZE=" and up
	// to 20 digits.
	incSIZE = 26
	// incAUTH: RFC 4954 section 3 item 5 declares 500 for the AUTH=
	// parameter of MAIL.
	incAUTH = 500
	// incSMTPUTF8: RFC 6531 section 3.1 item 5 declares 10 for
	// " SMTPUTF8".
	incSMTPUTF8 = 10
	// incBODY: RFC 3030 section 3 item 8 declares 16 for
	// " BODY=BINARYMIME". RFC 1652 section 2 (8BITMIME) declares none; 16
	// also covers " BODY=8BITMIME" (14). A MAIL command carries one BODY.
	incBODY = 16
	// incDSNMail: RFC 3461 section 2 declares no increment. Chosen: ENVID
	// "MAY be up to 100 characters" (section 4.4) plus " RET=HDRS" (9) and
	// one separating space: 110.
	incDSNMail = 110
	// incDSNRcpt: RFC 3461 section 2 declares no increment. Chosen: the
	// ORCPT parameter "MAY be up to 500 characters" (section 4.2) plus
	// " NOTIFY=SUCCESS,FAILURE,DELAY" (29) and one separating space: 530.
	incDSNRcpt = 530
	// incDELIVERBY: chosen from the RFC 2852 grammar " BY=" by-time ";"
	// by-mode [by-trace], by-time a sign and at most 9 digits: 17. RFC
	// text not checked.
	incDELIVERBY = 17
	// incFUTURERELEASE: chosen from the RFC 4865 grammar; the longer form
	// is " HOLDUNTIL=" (11) and an RFC 3339 date-time, which is about 35
	// octets with nanoseconds and an offset but may carry more fraction
	// digits: 64. RFC text not checked.
	incFUTURERELEASE = 64
	// incMTPRIORITY: chosen from the RFC 6710 grammar " MT-PRIORITY=" and
	// a sign and one digit (-9..9): 15, rounded up to 16. RFC text not
	// checked.
	incMTPRIORITY = 16
	// incMTRK: chosen for the RFC 3885 parameter " MTRK=" authenticator
	// [":" timeout], allowing a 100-character xtext authenticator and a
	// 9-digit timeout: 128. RFC text not checked.
	incMTRK = 128
	// incREQUIRETLS: RFC 8689 section 2 item 5 declares 11 for
	// " REQUIRETLS" (also the IANA registry entry, section 7).
	incREQUIRETLS = 11
	// incRRVS: chosen for the RFC 7293 RCPT parameter " RRVS=" date-time
	// [";" ("C" / "R")], with the same date-time allowance as
	// FUTURERELEASE: 64. RFC text not checked.
	incRRVS = 64
)

// CommandLineLimit returns the longest MAIL or RCPT command line, CRLF
// included, to accept when the extensions in exts are in effect: 512 (RFC
// 5321 4.5.3.1.4, "SMTP extensions may be used to increase this limit")
// plus the increments of the extensions whose parameters a MAIL command may
// carry, or of those a RCPT command may carry, whichever sum is larger.
// Extensions without MAIL or RCPT parameters add nothing. Use MaxCommandLine
// for every other command and MaxAuthLine for AUTH.
func CommandLineLimit(exts ExtSet) int {
	var mail, rcpt int
	for _, in := range lineIncrements {
		if exts.Has(in.ext) {
			mail += in.mail
			rcpt += in.rcpt
		}
	}
	// BODY= belongs to 8BITMIME and to BINARYMIME; count it once.
	if exts.Has(Ext8BITMIME) || exts.Has(ExtBINARYMIME) {
		mail += incBODY
	}
	return MaxCommandLine + max(mail, rcpt)
}

// lineIncrements lists, per extension, what its parameters add to a MAIL
// and to a RCPT command line (the constants above cite their source).
var lineIncrements = [...]struct {
	ext        Ext
	mail, rcpt int
}{
	{ExtSIZE, incSIZE, 0},
	{ExtAUTH, incAUTH, 0},
	{ExtSMTPUTF8, incSMTPUTF8, 0},
	{ExtDSN, incDSNMail, incDSNRcpt},
	{ExtDELIVERBY, incDELIVERBY, 0},
	{ExtFUTURERELEASE, incFUTURERELEASE, 0},
	{ExtMTPRIORITY, incMTPRIORITY, 0},
	{ExtMTRK, incMTRK, 0},
	{ExtREQUIRETLS, incREQUIRETLS, 0},
	{ExtRRVS, 0, incRRVS},
}
