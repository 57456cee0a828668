package conformance

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// Level is how strongly the RFC states the rule a case checks, in the
// words of RFC 2119.
type Level uint8

const (
	// LevelNone is the zero Level; no case has it.
	LevelNone Level = iota
	// Must is an absolute requirement (MUST, MUST NOT, REQUIRED, SHALL).
	Must
	// Should is a recommendation (SHOULD, SHOULD NOT, RECOMMENDED).
	Should
	// May is an option (MAY, OPTIONAL): a failure is reported, never fatal.
	May
)

var levelNames = [...]string{LevelNone: "", Must: "MUST", Should: "SHOULD", May: "MAY"}

// String returns "MUST", "SHOULD" or "MAY".
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", l)
}

// ParseLevel reads the --level words: "must" (MUST cases only), "should"
// (MUST and SHOULD) or "all"; it returns the weakest level to run.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "must":
		return Must, nil
	case "should":
		return Should, nil
	case "all", "may", "":
		return May, nil
	}
	return LevelNone, fmt.Errorf("conformance: level %q is not must, should or all", s)
}

// Suite says which side of SMTP a case tests.
type Suite uint8

const (
	// SuiteNone is the zero Suite.
	SuiteNone Suite = iota
	// SuiteServer cases play a client against the server under test.
	SuiteServer
	// SuiteClient cases play a scripted server against the client under
	// test.
	SuiteClient
)

// String returns "server" or "client".
func (s Suite) String() string {
	switch s {
	case SuiteServer:
		return "server"
	case SuiteClient:
		return "client"
	}
	return ""
}

// Protocol restricts a case to SMTP or to LMTP targets; the zero value runs
// against both (Hello then sends LHLO to an LMTP target).
type Protocol uint8

const (
	// AnyProtocol runs against SMTP and LMTP targets.
	AnyProtocol Protocol = iota
	// SMTPOnly skips LMTP targets (HELO, the EHLO-specific rules ...).
	SMTPOnly
	// LMTPOnly skips SMTP targets (RFC 2033's per-recipient replies ...).
	LMTPOnly
)

// Needs is what a case requires of the target and of the configuration;
// a case whose needs are not met is skipped with the reason.
type Needs struct {
	// Ext are EHLO keywords the server must offer ("PIPELINING",
	// "CHUNKING", "SIZE" ...), in the clear or, when TLS is set, after
	// STARTTLS.
	Ext []string
	// TLS needs the server to offer STARTTLS and the handshake to succeed
	// (the server suite); for the client suite, that the client is asked to
	// use STARTTLS.
	TLS bool
	// Auth needs credentials (Config.Username and Password).
	Auth bool
	// Protocol restricts the case to SMTP or LMTP targets.
	Protocol Protocol
}

// Case is one conformance check: a rule of an RFC section, the level of
// the rule, and the steps that test it on a connection of its own.
type Case struct {
	// RFC is the number of the RFC that states the rule (5321, 3207 ...).
	RFC int
	// Section is the section of the rule ("4.1.4", "3.3"); Appendix
	// sections are written "D.1".
	Section string
	// Name is the case's short name: lower case words joined by "-". It is
	// unique within the RFC section.
	Name string
	// Level is the strength of the rule.
	Level Level
	// Title says in one sentence what the target must do.
	Title string
	// Needs are the requirements that, when unmet, skip the case.
	Needs Needs
	// Timeout bounds the whole case (0: Config.Timeout).
	Timeout time.Duration
	// Steps run in order on the case's connection (server suite: the
	// tester is the client; client suite: the tester is the server).
	Steps []Step
	// Client is the work the client under test is given (client suite
	// only; nil for server cases).
	Client *ClientJob
}

// ID identifies the case: "rfc" RFC "/" Section "/" Name, for example
// "rfc5321/4.1.4/mail-twice".
func (c *Case) ID() string {
	return fmt.Sprintf("rfc%d/%s/%s", c.RFC, c.Section, c.Name)
}

// Reference is the rule's citation: "RFC 5321 section 4.1.4".
func (c *Case) Reference() string {
	return fmt.Sprintf("RFC %d section %s", c.RFC, c.Section)
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	sectionRE = regexp.MustCompile(`^([0-9]+|[A-Z])(\.[0-9]+)*$`)
)

// Validate reports what is wrong with the case's definition, or nil.
func (c *Case) Validate() error {
	switch {
	case c.RFC <= 0:
		return fmt.Errorf("%s: no RFC number", c.ID())
	case !sectionRE.MatchString(c.Section):
		return fmt.Errorf("%s: section %q is not like 4.1.4", c.ID(), c.Section)
	case !nameRE.MatchString(c.Name):
		return fmt.Errorf("%s: name %q is not lower-case words joined by -", c.ID(), c.Name)
	case c.Level == LevelNone || c.Level > May:
		return fmt.Errorf("%s: no level", c.ID())
	case strings.TrimSpace(c.Title) == "":
		return fmt.Errorf("%s: no title", c.ID())
	case len(c.Steps) == 0:
		return fmt.Errorf("%s: no steps", c.ID())
	}
	for i, s := range c.Steps {
		if s == nil {
			return fmt.Errorf("%s: step %d is nil", c.ID(), i+1)
		}
	}
	return nil
}

// Filter selects cases: by the weakest level to run and by a pattern.
type Filter struct {
	// Level is the weakest level run: Must runs MUST cases only, Should
	// MUST and SHOULD, May (or zero) every case.
	Level Level
	// Only, if not empty, is a comma-separated list of patterns; a case runs
	// when its ID matches one, either as a path.Match glob
	// ("rfc5321/4.1.4/*") or as a substring ("mail-twice", "rfc3030").
	Only string
}

// Match reports whether the filter selects c.
func (f Filter) Match(c *Case) bool {
	if f.Level != LevelNone && c.Level > f.Level {
		return false
	}
	if strings.TrimSpace(f.Only) == "" {
		return true
	}
	id := c.ID()
	for _, p := range strings.Split(f.Only, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if ok, err := path.Match(p, id); (err == nil && ok) || strings.Contains(id, p) {
			return true
		}
	}
	return false
}

// Select returns the cases the filter matches, in order.
func (f Filter) Select(cases []*Case) []*Case {
	var out []*Case
	for _, c := range cases {
		if f.Match(c) {
			out = append(out, c)
		}
	}
	return out
}

// ClientJob is what the client under test is asked to do in a client-suite
// case: send one message with this envelope and content.
type ClientJob struct {
	From    string
	To      []string
	Message string
	// TLS asks the client to require STARTTLS; Auth to authenticate with
	// the configured credentials.
	TLS, Auth bool
}
