package conformance

// The suites run against other implementations: Postfix's real smtpd
// (the server suite, postfix_test.go) and the SMTP clients of swaks and
// curl (the client suite, client_peers_test.go). Each test fails unless
// the cases that fail are exactly the run's Deviations, so the lists,
// which docs/CONFORMANCE.md shows (go run ./internal/rfcindex), stay
// true. Every entry was decided by reading the rule the case checks: the
// program deviates from it, or, for a MAY case, does not take the option.
// Cases found wrong were fixed instead of listed.

// Deviation is a case that a peer fails, and why.
type Deviation struct {
	// ID is the case's ID, such as "rfc5321/4.1.4/mail-before-ehlo".
	ID string
	// Reason says what the peer does instead and which rule that breaks.
	Reason string
}

// PeerSetting is a configuration setting of a peer run beyond its
// Setup, and what it changes.
type PeerSetting struct {
	// Name and Value are the setting as the peer's configuration has it.
	Name, Value string
	// Effect says which cases the setting makes pass, or why it is set.
	Effect string
}

// PeerRun is a run of a suite against another implementation, as this
// package's tests make it, and the cases the implementation fails there.
type PeerRun struct {
	// Suite is the suite run.
	Suite Suite
	// Peer names the implementation, such as "Postfix smtpd".
	Peer string
	// Variant tells runs of the same peer apart ("default settings").
	Variant string
	// Version is the peer's version the Deviations were measured with,
	// and Platform the system it came with.
	Version, Platform string
	// Setup says how the peer is configured or invoked.
	Setup string
	// Settings are configuration settings beyond Setup.
	Settings []PeerSetting
	// Deviations are the cases the peer fails, ordered by ID.
	Deviations []Deviation
}

// These are the versions the peer runs were measured with.
const (
	peerPlatform   = "Debian 12"
	postfixVersion = "3.7.11"
	swaksVersion   = "20201014.0"
	curlVersion    = "7.88.1"
)

// PeerRuns returns the runs of the suites against Postfix, swaks and curl
// whose failures this package's tests check, when those programs are
// installed.
func PeerRuns() []PeerRun {
	return []PeerRun{postfixRun, postfixStrictRun, swaksRun, curlRun}
}

// postfixSetup is the configuration of both Postfix runs.
const postfixSetup = "Postfix's real smtpd on 127.0.0.1 (internal/peers.Postfix): compatibility_level = 3.6, " +
	"smtpd_tls_security_level = may with a test certificate, Cyrus SASL with one user " +
	"(PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256), smtputf8_enable = yes, " +
	"message_size_limit = 10240000, every message discarded; Postfix's defaults otherwise. " +
	"The suite runs with the user's credentials, verifying the certificate."

var postfixRun = PeerRun{
	Suite: SuiteServer, Peer: "Postfix smtpd", Variant: "default settings",
	Version: postfixVersion, Platform: peerPlatform,
	Setup:      postfixSetup,
	Deviations: postfixDeviations,
}

// postfixDeviations are the server cases Postfix fails with its default
// settings.
var postfixDeviations = []Deviation{
	{ID: "rfc4954/4/initial-response-leading-pad-501", Reason: postfixAuth535 + `the initial response "=AGNv..."; ` + rfc4954Base64},
	{ID: "rfc4954/4/initial-response-not-base64-501", Reason: postfixAuth535 + `an initial response holding "!"; ` + rfc4954Base64},
	{ID: "rfc4954/4/no-password-mechanism-in-clear", Reason: "offers AUTH PLAIN LOGIN before STARTTLS (smtpd_tls_auth_only = no by default). " +
		"RFC 4954 section 4: server sites SHOULD NOT use a configuration that permits a plaintext password mechanism " +
		"without protection against snooping. Postfix has the configuration the section requires: smtpd_tls_auth_only = yes passes."},
	{ID: "rfc4954/4/response-inner-pad-501", Reason: postfixAuth535 + `the response line "AAA=AGNv..."; ` + rfc4954Base64},
	{ID: "rfc4954/4/response-not-base64-501", Reason: postfixAuth535 + `a response line holding "!"; ` + rfc4954Base64},
	{ID: "rfc4954/4/response-not-base64-enhanced-552", Reason: postfixAuth535 + `a response line holding "!", not 501 5.5.2; ` + rfc4954Base64},
	{ID: "rfc4954/4/server-first-initial-response-501", Reason: postfixAuth535 + "AUTH CRAM-MD5 with an initial response. " +
		"RFC 4954 section 4: an initial response to a mechanism in which the client does not begin MUST get 501."},
	{ID: "rfc4954/4/server-first-initial-response-enhanced-570", Reason: postfixAuth535 + "AUTH CRAM-MD5 with an initial response, " +
		"not 501 5.7.0 (RFC 4954 section 4: SHOULD)."},
	{ID: "rfc4954/4/unknown-mechanism-504", Reason: `answers 535 5.7.8 "authentication failed: no mechanism available" to AUTH with a mechanism it does not offer. ` +
		"RFC 4954 section 4: the server rejects such an AUTH command with a 504 reply."},
	{ID: "rfc4954/4/unknown-mechanism-enhanced-554", Reason: "answers 535 5.7.8, not 504 5.5.4, to AUTH with a mechanism it does not offer " +
		"(RFC 4954 section 4: SHOULD)."},
	{ID: "rfc5321/2.3.8/bare-lf-command", Reason: `runs "NOOP<LF>" at once (250): a bare LF ends a command line. ` +
		"RFC 5321 section 2.3.8: conforming implementations MUST NOT recognize any other sequence than CRLF as a line terminator. " +
		`smtpd_forbid_bare_newline = yes (in 3.7.11 an alias of "normalize") still runs it; "reject" answers 550 5.5.2 at the bare LF, also before any CRLF.`},
	{ID: "rfc5321/2.3.8/smuggle-crlf-dot-cr-crlf", Reason: postfixSmuggled("<CRLF>.<CR><CRLF>") + rfc5321LineEnd},
	{ID: "rfc5321/2.3.8/smuggle-crlf-dot-lf", Reason: postfixSmuggled("<CRLF>.<LF>") + rfc5321LineEnd},
	{ID: "rfc5321/2.3.8/smuggle-lf-dot-crlf", Reason: postfixSmuggled("<LF>.<CRLF>") + rfc5321LineEnd},
	{ID: "rfc5321/2.4/non-ascii-address-refused", Reason: "accepts (250) MAIL FROM with a UTF-8 local part and no SMTPUTF8 parameter " +
		"(strict_smtputf8 = no by default). RFC 5321 section 2.4: without an extension that permits it, receiving systems SHOULD reject " +
		"envelope commands in a character set other than US-ASCII."},
	{ID: "rfc5321/4.1.1.4/smuggle-lf-dot-lf", Reason: postfixSmuggled("<LF>.<LF>") +
		`RFC 5321 section 4.1.1.4: "<LF>.<LF>" MUST NOT be treated as the end of mail data.`},
	{ID: "rfc5321/4.1.1.8/help", Reason: `does not implement HELP: 500 5.5.2 "command not recognized". ` +
		"RFC 5321 section 4.1.1.8: servers SHOULD support HELP without arguments. (500 is the right code for a command a server " +
		"does not recognize, section 4.2.4; the cases where HELP may be unsupported accept it.)"},
	{ID: "rfc5321/4.1.2/mail-underscore-domain", Reason: "accepts (250) a sender whose domain has an underscore in a label. " +
		"RFC 5321 section 4.1.2: a sub-domain is letters, digits and hyphens (Let-dig [Ldh-str]); section 4.1.4: " +
		"an unacceptable MAIL argument MUST get 501."},
	{ID: "rfc5321/4.1.2/rcpt-underscore-domain", Reason: "accepts (250) a recipient whose domain has an underscore in a label. " +
		"RFC 5321 section 4.1.2: a sub-domain is letters, digits and hyphens (Let-dig [Ldh-str])."},
	{ID: "rfc5321/4.1.4/mail-before-ehlo", Reason: "a MAY case, not a requirement: accepts MAIL before EHLO or HELO (250) because " +
		"smtpd_helo_required = no by default; with smtpd_helo_required = yes it passes."},
	{ID: "rfc5321/4.3.2/quit-with-argument", Reason: `answers "QUIT now" with 221 and closes. RFC 5321 section 4.3.2: ` +
		"commands specified as taking no argument (DATA, RSET, QUIT) SHOULD get 501 when arguments are supplied."},
}

// These constants are parts of the reasons of the Postfix deviations.
const (
	postfixAuth535 = `answers 535 5.7.8 "authentication failed: bad protocol / cancel" (Cyrus SASL's error) to `
	rfc4954Base64  = "RFC 4954 section 4: a response the server cannot base64-decode MUST get 501, " +
		`and a character outside the alphabet or a "=" before the end MUST be rejected.`
	rfc5321LineEnd = "RFC 5321 section 2.3.8: no sequence other than CRLF is a line terminator (MUST NOT), " +
		"so mail data ends only at <CRLF>.<CRLF> (section 4.1.1.4)."
)

// postfixSmuggled is the reason of a smuggling case that Postfix fails by
// default.
func postfixSmuggled(seq string) string {
	return "ends the message at " + seq + " (250 queued before the real end) and reads the smuggled MAIL, RCPT and DATA " +
		"that follow as commands: SMTP smuggling, CVE-2023-51764 (smtpd_forbid_bare_newline = no by default before Postfix 3.9). "
}

var postfixStrictRun = PeerRun{
	Suite: SuiteServer, Peer: "Postfix smtpd", Variant: "strict settings",
	Version: postfixVersion, Platform: peerPlatform,
	Setup: postfixSetup,
	Settings: []PeerSetting{
		{"smtpd_forbid_bare_newline", "yes", `the four smuggling cases pass ("yes" is an alias of "normalize" in 3.7.11)`},
		{"smtpd_forbid_bare_newline_exclusions", "", "the default, $mynetworks, would exempt 127.0.0.1"},
		{"smtpd_helo_required", "yes", "rfc5321/4.1.4/mail-before-ehlo passes; rfc3207/4.2/ehlo-forgotten-after-tls, " +
			"skipped by default (it needs MAIL before EHLO refused), runs and passes"},
		{"smtpd_tls_auth_only", "yes", "rfc4954/4/no-password-mechanism-in-clear passes; rfc3207/4.2/auth-forgotten-after-tls " +
			"is skipped (it needs AUTH before STARTTLS)"},
		{"strict_smtputf8", "yes", "rfc5321/2.4/non-ascii-address-refused passes"},
	},
	Deviations: postfixStrictDeviations,
}

// postfixStrictDeviations are the server cases Postfix fails with the
// strict settings: those of postfixDeviations that no setting changes.
var postfixStrictDeviations = deviationsWithout(postfixDeviations,
	"rfc4954/4/no-password-mechanism-in-clear",
	"rfc5321/2.3.8/smuggle-crlf-dot-cr-crlf",
	"rfc5321/2.3.8/smuggle-crlf-dot-lf",
	"rfc5321/2.3.8/smuggle-lf-dot-crlf",
	"rfc5321/2.4/non-ascii-address-refused",
	"rfc5321/4.1.1.4/smuggle-lf-dot-lf",
	"rfc5321/4.1.4/mail-before-ehlo",
)

// deviationsWithout returns the deviations of list whose IDs are not ids.
func deviationsWithout(list []Deviation, ids ...string) []Deviation {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	var out []Deviation
	for _, d := range list {
		if !drop[d.ID] {
			out = append(out, d)
		}
	}
	return out
}

var swaksRun = PeerRun{
	Suite: SuiteClient, Peer: "swaks", Variant: "SwaksClient",
	Version: swaksVersion, Platform: peerPlatform,
	Setup: "SwaksClient: swaks --server ADDR --helo --from --to --data @FILE, with -tls (STARTTLS required) or " +
		"-tlsos (STARTTLS if offered) and --auth for the jobs that ask for them.",
	Deviations: swaksDeviations,
}

// swaksDeviations are the client cases swaks fails.
var swaksDeviations = []Deviation{
	{ID: "rfc3207/4.2/response-injection", Reason: "reads a line the server sent before the TLS handshake as the reply to the EHLO inside TLS " +
		"(sends MAIL at once): the client side of CVE-2011-0411"},
	{ID: "rfc4616/5/no-plain-in-clear", Reason: "sends AUTH LOGIN (the password) without TLS when the server offers no STARTTLS"},
	{ID: "rfc4954/4/cancel-bad-challenge", Reason: `answers a 334 challenge that is not base64 with the user name instead of "*"`},
	{ID: "rfc5321/2.3.8/bare-cr", Reason: "transmits a bare CR of the message as is"},
	{ID: "rfc5321/2.3.8/smuggling-sequences", Reason: "transmits bare CR (<CR>.<CR>) of the message as is"},
	{ID: "rfc5321/2.4/ascii-envelope", Reason: "sends the UTF-8 domain in RCPT TO to a server without SMTPUTF8"},
	{ID: "rfc5321/2.4/eight-bit-needs-8bitmime", Reason: "sends 8-bit content to a server without 8BITMIME"},
	{ID: "rfc5321/4.1.1.1/keyword-case", Reason: `does not recognise "starttls" in lower case (gives up: TLS not offered)`},
	{ID: "rfc5321/4.1.1.4/no-extra-crlf", Reason: `adds a CRLF (an empty line) before the final "." of a message that ends with CRLF`},
	{ID: "rfc5321/4.2/code-only-reply", Reason: `waits for more after a reply that is the code alone ("250" with no space), until its timeout`},
	{ID: "rfc5321/4.2/unknown-2yz", Reason: "takes 257 to MAIL as an error (it wants 250)"},
}

var curlRun = PeerRun{
	Suite: SuiteClient, Peer: "curl", Variant: "CurlClient",
	Version: curlVersion, Platform: peerPlatform,
	Setup: "CurlClient: curl --url smtp://ADDR/HELO --mail-from --mail-rcpt (one per recipient) --upload-file FILE, " +
		"with --ssl-reqd (STARTTLS required) or --ssl (STARTTLS if offered) and --user for the jobs that ask for them.",
	Deviations: curlDeviations,
}

// curlDeviations are the client cases curl fails.
var curlDeviations = []Deviation{
	{ID: "rfc3207/4.2/forget-clear-capabilities", Reason: "keeps the SIZE it saw in the clear EHLO reply and sends SIZE= after TLS, where SIZE was not offered"},
	{ID: "rfc4616/5/no-plain-in-clear", Reason: "sends AUTH PLAIN without TLS when the server offers no STARTTLS (with --ssl, TLS if offered)"},
	{ID: "rfc4954/4/cancel-bad-challenge", Reason: `answers a 334 challenge that is not base64 with the user name instead of "*"`},
	{ID: "rfc5321/2.3.8/bare-cr", Reason: "transmits a bare CR of the message as is (no --crlf)"},
	{ID: "rfc5321/2.3.8/bare-lf", Reason: "transmits a bare LF of the message as is (no --crlf)"},
	{ID: "rfc5321/2.3.8/smuggling-sequences", Reason: "transmits <LF>.<LF> and bare CR of the message as is"},
	{ID: "rfc5321/2.4/eight-bit-needs-8bitmime", Reason: "sends 8-bit content to a server without 8BITMIME"},
	{ID: "rfc5321/4.1.1.1/keyword-case", Reason: `does not recognise "starttls" in lower case (exit 64: TLS required but not offered)`},
	{ID: "rfc5321/4.1.1.10/quit-after-554-greeting", Reason: "closes the connection after a 554 greeting without sending QUIT"},
	{ID: "rfc5321/4.2/long-ehlo-reply", Reason: `gives up on a 100-line EHLO reply ("Too large response headers")`},
	{ID: "rfc5321/4.2/unknown-2yz", Reason: `takes 259 to the end of data as an error ("Weird server reply")`},
	{ID: "rfc5321/4.5.3.1.10/rcpt-452-too-many", Reason: "abandons the whole transaction (QUIT) when one RCPT gets 452, unless --mail-rcpt-allowfails"},
}
