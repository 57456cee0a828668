package state

import (
	"strconv"
	"strings"
	"time"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/wire"
)

// Defaults of ServerConfig.
const (
	// DefaultMaxRecipients is the recipients a transaction may have when
	// ServerConfig.MaxRecipients is 0. RFC 5321 section 4.5.3.1.8 requires
	// at least 100; more than 100 get 452 4.5.3 (section 4.5.3.1.10).
	DefaultMaxRecipients = 100
	// DefaultMaxErrors is how many commands the machine refuses by itself
	// before it answers 421 and closes, when ServerConfig.MaxErrors is 0.
	DefaultMaxErrors = 10
	// DefaultMaxAuthFailures is how many failed AUTH exchanges a session may
	// have when ServerConfig.MaxAuthFailures is 0.
	DefaultMaxAuthFailures = 3
	// DefaultMaxJunk is how many commands that move no mail (NOOP, RSET,
	// VRFY, EXPN, HELP, ETRN) a client may send since its last accepted
	// message before each one counts toward MaxErrors, when
	// ServerConfig.MaxJunk is 0: Postfix's smtpd_junk_command_limit.
	DefaultMaxJunk = 100
)

// SyncPolicy says what a Server does with a client that sends commands
// before it has the replies it must wait for (RFC 2920 section 3.1): more
// commands behind one that must end a pipelined group, any pipelining when
// PIPELINING is not in effect, or anything before the greeting.
type SyncPolicy uint8

// Sync policies.
const (
	// SyncReject answers the offending command 421 4.5.0 and closes. Such
	// input is how SMTP smuggling and command injection through a relay
	// look, and what spam engines do (Postfix's
	// smtpd_forbid_unauth_pipelining). The default.
	SyncReject SyncPolicy = iota
	// SyncAllow processes the commands in order as if the client had
	// waited. Bytes behind STARTTLS are refused under every policy (RFC 3207
	// section 4.2).
	SyncAllow
)

// ServerConfig configures a Server. The zero value is a plain RFC 5321
// server named "localhost" that offers no extensions; each extension is
// switched on by adding it to Extensions. A ServerConfig is copied by
// NewServer and may be reused.
type ServerConfig struct {
	// Protocol is SMTP (the zero value) or LMTP (RFC 2033).
	Protocol Protocol
	// Hostname is the server's domain, written at the start of the
	// greeting, the EHLO reply, 221 and 421 (RFC 5321 sections 4.1.1.1 and
	// 4.2). Empty means "localhost".
	Hostname string
	// Extensions are the service extensions to offer in the EHLO reply.
	// STARTTLS is offered only before TLS and REQUIRETLS only under it
	// (RFC 3207 section 4.2, RFC 8689 section 4), AUTH only with mechanisms
	// to offer. Under LMTP, PIPELINING and ENHANCEDSTATUSCODES are always
	// offered (RFC 2033 section 5). BURL, ATRN, TURN and the other
	// extensions that need more than the machine can do are refused by
	// NewServer.
	Extensions wire.ExtSet
	// Keywords are more EHLO lines, written after the extensions as given:
	// commands the server supports that have no extension of their own
	// (RFC 5321 appendix D.4 lists VRFY) or private "X" keywords. Each
	// must follow the ehlo-line grammar of RFC 5321 section 4.1.1.1.
	Keywords []string
	// TLS says the connection is already under TLS (implicit TLS, RFC 8314
	// section 3).
	TLS bool
	// RequireTLS makes every command but EHLO, LHLO, NOOP, STARTTLS and QUIT
	// wait for TLS: 530 5.7.0 (RFC 3207 section 4).
	RequireTLS bool
	// RequireAuth makes every command but AUTH, EHLO, HELO, LHLO, NOOP,
	// RSET, STARTTLS, XCLIENT and QUIT wait for authentication: 530 5.7.0
	// (RFC 4954 section 6).
	RequireAuth bool
	// AuthMechanisms are the SASL mechanisms offered after AUTH (RFC 4954
	// section 3), in order. Mechanisms that send a password in clear (see
	// auth.Cleartext) are offered and accepted only under TLS unless
	// AllowInsecureAuth is set. SetAuthMechanisms changes the list for
	// the session, for example after TLS.
	AuthMechanisms []string
	// AllowInsecureAuth offers cleartext mechanisms without TLS.
	AllowInsecureAuth bool
	// MaxMessageSize is the largest message in octets, announced with SIZE
	// (RFC 1870) and enforced with 552 5.3.4 whether SIZE is offered or not;
	// 0 means no limit.
	MaxMessageSize int64
	// MaxRecipients bounds the recipients of one transaction (0:
	// DefaultMaxRecipients); more get 452 4.5.3.
	MaxRecipients int
	// Limits are announced with LIMITS (RFC 9422) when Extensions has it,
	// and enforced in every case: MailMax transactions per session,
	// RcptMax recipients per transaction (the lower of it and
	// MaxRecipients), RcptDomainMax recipient domains per transaction.
	Limits wire.Limits
	// MaxErrors is how many commands the machine refuses by itself before
	// it answers 421 and closes (0: DefaultMaxErrors). RFC 5321 section 7.8
	// lets a server limit what a misbehaving client can try.
	MaxErrors int
	// MaxAuthFailures is how many failed AUTH exchanges end the session
	// with 421 4.7.0 (0: DefaultMaxAuthFailures).
	MaxAuthFailures int
	// MaxJunk is how many NOOP, RSET, VRFY, EXPN, HELP and ETRN commands a
	// client may send since its last accepted message; each one past it is
	// still answered but counts toward MaxErrors, so a client that only
	// keeps the session alive is closed (RFC 5321 section 7.8). 0 means
	// DefaultMaxJunk, a negative value no limit.
	MaxJunk int
	// BareLines says what a bare CR or LF in a command line means; the
	// zero value rejects the line (RFC 5321 section 2.3.8).
	BareLines wire.BarePolicy
	// BareData says what a bare CR or LF in message content means; the
	// zero value refuses the message after reading it to its end (RFC 5321
	// section 4.1.1.4; SMTP smuggling). BODY=BINARYMIME content is taken
	// as sent.
	BareData wire.BarePolicy
	// AllowNUL accepts NUL octets in message content.
	AllowNUL bool
	// MaxDataLine bounds a line of DATA content, CRLF included (RFC 5321
	// section 4.5.3.1.6 sets 1000 as the minimum to accept); 0 means no
	// limit.
	MaxDataLine int
	// Lenient accepts the common deviations wire.ParseOptions.Lenient
	// lists (spaces after "MAIL FROM:", paths without brackets).
	Lenient bool
	// Sync says what to do with a client that does not wait for replies.
	Sync SyncPolicy
	// TolerateHTTP answers a command line that starts with an HTTP method
	// and a space ("GET / HTTP/1.1", "POST ", "CONNECT ") like any
	// unknown command (500 5.5.2). By default the machine answers the first
	// such line 421 4.7.0 and closes, as Postfix does, so that a browser or
	// an HTTP proxy abused to reach the port (cross-protocol requests) gets
	// one reply and no session (RFC 5321 section 7.8).
	TolerateHTTP bool
	// Timeouts holds the server idle timeout and the data timeouts (RFC
	// 5321 section 4.5.3.2).
	Timeouts Timeouts
	// MTPriority is the priority assignment policy announced with
	// MT-PRIORITY (RFC 6710 section 4: "MIXER", "STANAG4406", "NSEP"), or
	// empty for none.
	MTPriority string
	// DeliverByMin is the shortest by-time accepted with DELIVERBY (RFC 2852
	// section 4), announced with it; 0 announces no minimum.
	DeliverByMin time.Duration
	// FutureReleaseMax is the longest hold accepted with FUTURERELEASE (RFC
	// 4865 section 3); required when Extensions has FUTURERELEASE.
	FutureReleaseMax time.Duration
}

// unsupportedExts are extensions a Server cannot offer: their commands
// need work outside the machine (BURL fetches a URL, ATRN and TURN reverse
// the roles) or they are obsolete.
var unsupportedExts = wire.NewExtSet(wire.ExtBURL, wire.ExtATRN, wire.ExtTURN,
	wire.ExtSEND, wire.ExtSOML, wire.ExtSAML, wire.ExtVERB, wire.ExtONEX,
	wire.ExtUTF8SMTP, wire.ExtUnknown)

// ConfigError reports a ServerConfig (or ClientConfig) field that cannot
// work.
type ConfigError struct {
	Field, Reason string
}

// Error returns "state: <field>: <reason>".
func (e *ConfigError) Error() string { return "state: " + e.Field + ": " + e.Reason }

// check validates c and returns it with its defaults filled in.
func (c ServerConfig) check() (ServerConfig, error) {
	if c.Hostname == "" {
		c.Hostname = "localhost"
	}
	if _, err := wire.CheckHost([]byte(c.Hostname), false); err != nil {
		return c, &ConfigError{"Hostname", err.Error()}
	}
	for _, e := range wire.Exts() {
		if c.Extensions.Has(e) && unsupportedExts.Has(e) {
			return c, &ConfigError{"Extensions", e.String() + " is not supported by the state machine"}
		}
	}
	if c.Protocol == ProtocolLMTP {
		// RFC 2033 section 5: LMTP servers MUST implement PIPELINING and
		// ENHANCEDSTATUSCODES.
		c.Extensions = c.Extensions.With(wire.ExtPIPELINING).With(wire.ExtENHANCEDSTATUSCODES)
	}
	if c.Extensions.Has(wire.ExtFUTURERELEASE) && c.FutureReleaseMax <= 0 {
		return c, &ConfigError{"FutureReleaseMax", "FUTURERELEASE needs a maximum hold (RFC 4865 section 3)"}
	}
	if c.MaxMessageSize < 0 || c.MaxRecipients < 0 || c.MaxErrors < 0 || c.MaxAuthFailures < 0 ||
		c.Limits.MailMax < 0 || c.Limits.RcptMax < 0 || c.Limits.RcptDomainMax < 0 || c.MaxDataLine < 0 {
		return c, &ConfigError{"limits", "negative limit"}
	}
	if c.MTPriority != "" && strings.ContainsAny(c.MTPriority, " \r\n\t") {
		return c, &ConfigError{"MTPriority", "policy name must be one word"}
	}
	for _, m := range c.AuthMechanisms {
		if !auth.IsMechanismName(m) {
			return c, &ConfigError{"AuthMechanisms", "invalid SASL mechanism name " + strconv.Quote(m)}
		}
	}
	for _, k := range c.Keywords {
		var caps wire.Capabilities
		if err := caps.AddLine([]byte(c.Hostname)); err != nil || caps.AddLine([]byte(k)) != nil || k == "" || strings.ContainsAny(k, "\r\n") {
			return c, &ConfigError{"Keywords", "not an ehlo-line: " + strconv.Quote(k)}
		}
	}
	if err := c.Timeouts.Validate(); err != nil {
		return c, &ConfigError{"Timeouts", err.Error()}
	}
	c.Timeouts = c.Timeouts.WithDefaults()
	if c.MaxRecipients == 0 {
		c.MaxRecipients = DefaultMaxRecipients
	}
	if c.Limits.RcptMax > 0 && c.Limits.RcptMax < c.MaxRecipients {
		c.MaxRecipients = c.Limits.RcptMax
	}
	if c.MaxErrors == 0 {
		c.MaxErrors = DefaultMaxErrors
	}
	if c.MaxAuthFailures == 0 {
		c.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if c.MaxJunk == 0 {
		c.MaxJunk = DefaultMaxJunk
	}
	return c, nil
}

// DefaultExtensions are the extensions a modern SMTP server offers and the
// machine implements on its own, without application support: PIPELINING,
// 8BITMIME, SMTPUTF8, CHUNKING, BINARYMIME, DSN, ENHANCEDSTATUSCODES,
// SIZE and HELP.
var DefaultExtensions = wire.NewExtSet(wire.ExtPIPELINING, wire.Ext8BITMIME, wire.ExtSMTPUTF8,
	wire.ExtCHUNKING, wire.ExtBINARYMIME, wire.ExtDSN, wire.ExtENHANCEDSTATUSCODES,
	wire.ExtSIZE, wire.ExtHELP)
