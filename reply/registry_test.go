package reply_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// specEnhanced is SPEC section 3.3, "Enumerated codes (IANA registry)",
// transcribed: code -> exact text.
var specEnhanced = []struct{ code, text string }{
	{"X.0.0", "Other undefined Status"},
	{"X.1.0", "Other address status"},
	{"X.1.1", "Bad destination mailbox address"},
	{"X.1.2", "Bad destination system address"},
	{"X.1.3", "Bad destination mailbox address syntax"},
	{"X.1.4", "Destination mailbox address ambiguous"},
	{"X.1.5", "Destination address valid"},
	{"X.1.6", "Destination mailbox has moved, No forwarding address"},
	{"X.1.7", "Bad sender's mailbox address syntax"},
	{"X.1.8", "Bad sender's system address"},
	{"X.1.9", "Message relayed to non-compliant mailer"},
	{"X.1.10", "Recipient address has null MX"},
	{"X.2.0", "Other or undefined mailbox status"},
	{"X.2.1", "Mailbox disabled, not accepting messages"},
	{"X.2.2", "Mailbox full"},
	{"X.2.3", "Message length exceeds administrative limit"},
	{"X.2.4", "Mailing list expansion problem"},
	{"X.3.0", "Other or undefined mail system status"},
	{"X.3.1", "Mail system full"},
	{"X.3.2", "System not accepting network messages"},
	{"X.3.3", "System not capable of selected features"},
	{"X.3.4", "Message too big for system"},
	{"X.3.5", "System incorrectly configured"},
	{"X.3.6", "Requested priority was changed"},
	{"X.4.0", "Other or undefined network or routing status"},
	{"X.4.1", "No answer from host"},
	{"X.4.2", "Bad connection"},
	{"X.4.3", "Directory server failure"},
	{"X.4.4", "Unable to route"},
	{"X.4.5", "Mail system congestion"},
	{"X.4.6", "Routing loop detected"},
	{"X.4.7", "Delivery time expired"},
	{"X.5.0", "Other or undefined protocol status"},
	{"X.5.1", "Invalid command"},
	{"X.5.2", "Syntax error"},
	{"X.5.3", "Too many recipients"},
	{"X.5.4", "Invalid command arguments"},
	{"X.5.5", "Wrong protocol version"},
	{"X.5.6", "Authentication Exchange line is too long"},
	{"X.6.0", "Other or undefined media error"},
	{"X.6.1", "Media not supported"},
	{"X.6.2", "Conversion required and prohibited"},
	{"X.6.3", "Conversion required but not supported"},
	{"X.6.4", "Conversion with loss performed"},
	{"X.6.5", "Conversion Failed"},
	{"X.6.6", "Message content not available"},
	{"X.6.7", "Non-ASCII addresses not permitted for that sender/recipient"},
	{"X.6.8", "UTF-8 string reply is required, but not permitted by the SMTP client"},
	{"X.6.9", "UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected"},
	{"X.7.0", "Other or undefined security status"},
	{"X.7.1", "Delivery not authorized, message refused"},
	{"X.7.2", "Mailing list expansion prohibited"},
	{"X.7.3", "Security conversion required but not possible"},
	{"X.7.4", "Security features not supported"},
	{"X.7.5", "Cryptographic failure"},
	{"X.7.6", "Cryptographic algorithm not supported"},
	{"X.7.7", "Message integrity failure"},
	{"X.7.8", "Authentication credentials invalid"},
	{"X.7.9", "Authentication mechanism is too weak"},
	{"X.7.10", "Encryption Needed"},
	{"X.7.11", "Encryption required for requested authentication mechanism"},
	{"X.7.12", "A password transition is needed"},
	{"X.7.13", "User Account Disabled"},
	{"X.7.14", "Trust relationship required"},
	{"X.7.15", "Priority Level is too low"},
	{"X.7.16", "Message is too big for the specified priority"},
	{"X.7.17", "Mailbox owner has changed"},
	{"X.7.18", "Domain owner has changed"},
	{"X.7.19", "RRVS test cannot be completed"},
	{"X.7.20", "No passing DKIM signature found"},
	{"X.7.21", "No acceptable DKIM signature found"},
	{"X.7.22", "No valid author-matched DKIM signature found"},
	{"X.7.23", "SPF validation failed"},
	{"X.7.24", "SPF validation error"},
	{"X.7.25", "Reverse DNS validation failed"},
	{"X.7.26", "Multiple authentication checks failed"},
	{"X.7.27", "Sender address has null MX"},
	{"X.7.28", "Mail flood detected"},
	{"X.7.29", "ARC validation failure"},
	{"X.7.30", "REQUIRETLS support required"},
}

// parseX parses "X.s.d" as a class-5 code.
func parseX(t *testing.T, code string) reply.Enhanced {
	t.Helper()
	require.True(t, strings.HasPrefix(code, "X."), code)
	e, err := reply.ParseEnhanced([]byte("5" + code[1:]))
	require.NoError(t, err, code)
	return e
}

func TestEnhancedTableMatchesSPEC(t *testing.T) {
	require.Len(t, specEnhanced, 80)
	for _, row := range specEnhanced {
		e := parseX(t, row.code)
		entry, ok := reply.LookupEnhanced(e)
		if assert.True(t, ok, "%s missing from the registry table", row.code) {
			assert.Equal(t, row.text, entry.Text, row.code)
			assert.NotEmpty(t, entry.Reference, row.code)
			assert.False(t, entry.Deprecated, row.code)
		}
		assert.Equal(t, row.text, e.Description(), row.code)
	}
	// Every table entry is in SPEC 3.3, except the deprecated X.6.10 that the
	// IANA CSV lists and SPEC 3.3 does not.
	inSpec := map[[2]uint16]bool{}
	for _, row := range specEnhanced {
		e := parseX(t, row.code)
		inSpec[[2]uint16{e.Subject, e.Detail}] = true
	}
	for _, entry := range reply.EnhancedEntries() {
		if !inSpec[[2]uint16{entry.Subject, entry.Detail}] {
			assert.True(t, entry.Deprecated, "X.%d.%d is not in SPEC 3.3", entry.Subject, entry.Detail)
		}
	}
}

func TestEnhancedEntriesSortedAndCopied(t *testing.T) {
	entries := reply.EnhancedEntries()
	require.Len(t, entries, 81)
	for i := 1; i < len(entries); i++ {
		p, c := entries[i-1], entries[i]
		assert.True(t, p.Subject < c.Subject || (p.Subject == c.Subject && p.Detail < c.Detail),
			"entry %d (X.%d.%d) out of order", i, c.Subject, c.Detail)
	}
	// Changing the copy must not change the registry.
	var x11 *reply.EnhancedEntry
	for i := range entries {
		if entries[i].Subject == 1 && entries[i].Detail == 1 {
			x11 = &entries[i]
		}
	}
	require.NotNil(t, x11)
	x11.Text = "changed"
	x11.Basic[0] = 999
	again, ok := reply.LookupEnhanced(reply.E(5, 1, 1))
	require.True(t, ok)
	assert.Equal(t, "Bad destination mailbox address", again.Text)
	assert.Equal(t, []reply.Code{451, 550}, again.Basic)
	again.Basic[0] = 999
	third, _ := reply.LookupEnhanced(reply.E(4, 1, 1))
	assert.Equal(t, []reply.Code{451, 550}, third.Basic)
}

func TestLookupEnhanced(t *testing.T) {
	tests := []struct {
		e         reply.Enhanced
		ok        bool
		text, ref string
		basic     []reply.Code
	}{
		{reply.E(5, 1, 1), true, "Bad destination mailbox address", "RFC 3463", []reply.Code{451, 550}},
		{reply.E(2, 1, 1), true, "Bad destination mailbox address", "RFC 3463", []reply.Code{451, 550}}, // class ignored
		{reply.E(0, 1, 1), true, "Bad destination mailbox address", "RFC 3463", []reply.Code{451, 550}},
		{reply.E(5, 0, 0), true, "Other undefined Status", "RFC 3463", nil},
		{reply.E(5, 1, 10), true, "Recipient address has null MX", "RFC 7505; RFC 7504", []reply.Code{556}},
		{reply.E(4, 7, 12), true, "A password transition is needed", "RFC 4954", []reply.Code{422, 432}},
		{reply.E(5, 7, 28), true, "Mail flood detected", "draft-levine-mailbomb-header", nil},
		{reply.E(5, 7, 30), true, "REQUIRETLS support required", "RFC 8689", nil},
		{reply.E(5, 6, 10), true, "", "RFC 6531", nil},
		{reply.E(5, 7, 31), false, "", "", nil},
		{reply.E(5, 1, 11), false, "", "", nil},
		{reply.E(5, 8, 0), false, "", "", nil},
		{reply.E(5, 999, 999), false, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.e.String(), func(t *testing.T) {
			entry, ok := reply.LookupEnhanced(tt.e)
			require.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.text, entry.Text)
			assert.Equal(t, tt.ref, entry.Reference)
			assert.Equal(t, tt.basic, entry.Basic)
			if ok {
				assert.Equal(t, tt.e.Subject, entry.Subject)
				assert.Equal(t, tt.e.Detail, entry.Detail)
				assert.Equal(t, reply.E(4, tt.e.Subject, tt.e.Detail), entry.Code(4))
			}
		})
	}
	x610, _ := reply.LookupEnhanced(reply.E(5, 6, 10))
	assert.True(t, x610.Deprecated)
	assert.Contains(t, x610.Note, "X.6.8")
}

func TestSubjectText(t *testing.T) {
	want := []string{
		"Other or Undefined Status",
		"Addressing Status",
		"Mailbox Status",
		"Mail System Status",
		"Network and Routing Status",
		"Mail Delivery Protocol Status",
		"Message Content or Media Status",
		"Security or Policy Status",
	}
	for s, text := range want {
		assert.Equal(t, text, reply.SubjectText(uint16(s)), "subject %d", s)
	}
	assert.Equal(t, "", reply.SubjectText(8))
	assert.Equal(t, "", reply.SubjectText(999))
	assert.Equal(t, "", reply.SubjectText(65535))
}

func TestEnhancedDescription(t *testing.T) {
	tests := []struct {
		e    reply.Enhanced
		want string
	}{
		{reply.E(5, 1, 1), "Bad destination mailbox address"},
		{reply.E(2, 1, 5), "Destination address valid"},
		{reply.E(4, 7, 0), "Other or undefined security status"},
		// Unknown detail: the subject's meaning (RFC 3463 section 2).
		{reply.E(5, 1, 99), "Addressing Status"},
		{reply.E(4, 7, 31), "Security or Policy Status"},
		// Deprecated entry without text: the subject's meaning.
		{reply.E(5, 6, 10), "Message Content or Media Status"},
		// Unknown subject: the class's meaning.
		{reply.E(2, 9, 0), "Success"},
		{reply.E(4, 8, 1), "Persistent Transient Failure"},
		{reply.E(5, 999, 999), "Permanent Failure"},
		// Zero or invalid: nothing.
		{reply.Enhanced{}, ""},
		{reply.E(3, 1, 1), ""},
		{reply.E(5, 1000, 1), ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.Description(), "%+v", tt.e)
	}
}
