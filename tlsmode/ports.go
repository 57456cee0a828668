package tlsmode

import (
	"errors"
	"strconv"
)

// Port is the convention for one well-known mail port: the TLS mode and
// policy a client configured with only a host and this port should use.
type Port struct {
	Number int
	// Name is the IANA service name, or a descriptive one for conventions.
	Name string
	// Mode and Policy are what Resolve picks for ModeAuto and PolicyAuto.
	Mode   Mode
	Policy Policy
	// LMTP reports a port conventionally used for LMTP (RFC 2033).
	LMTP bool
	// Spec names the document that defines the use.
	Spec string
	// Use is a short description.
	Use string
}

// ports is the table of conventions. Order: by number.
var ports = [...]Port{
	{Number: 24, Name: "lmtp", Mode: ModeSTARTTLS, Policy: PolicyOpportunistic, LMTP: true,
		Spec: "RFC 2033 section 5", Use: "LMTP (any private mail system); LMTP must not use port 25"},
	{Number: 25, Name: "smtp", Mode: ModeSTARTTLS, Policy: PolicyOpportunistic,
		Spec: "RFC 5321, RFC 3207 section 4", Use: "MTA-to-MTA relay and MX; a publicly referenced server must not require STARTTLS"},
	{Number: 366, Name: "odmr", Mode: ModeSTARTTLS, Policy: PolicyRequired,
		Spec: "RFC 2645", Use: "On-Demand Mail Relay (ATRN); the client authenticates, so TLS is required"},
	{Number: 465, Name: "submissions", Mode: ModeImplicit, Policy: PolicyRequired,
		Spec: "RFC 8314 section 3.3", Use: "message submission over implicit TLS (\"secure: true\", \"SSL\")"},
	{Number: 587, Name: "submission", Mode: ModeSTARTTLS, Policy: PolicyRequired,
		Spec: "RFC 6409, RFC 3207", Use: "message submission with STARTTLS (\"secure: false\", then STARTTLS)"},
	{Number: 2525, Name: "submission-alt", Mode: ModeSTARTTLS, Policy: PolicyRequired,
		Spec: "convention only (unregistered)", Use: "alternate submission port of mail services when 25 and 587 are blocked"},
}

// Ports returns the port conventions, by number. The slice is a copy.
func Ports() []Port {
	out := make([]Port, len(ports))
	copy(out, ports[:])
	return out
}

// LookupPort returns the convention for port n, or false.
func LookupPort(n int) (Port, bool) {
	for _, p := range ports {
		if p.Number == n {
			return p, true
		}
	}
	return Port{}, false
}

// ErrConfig is wrapped by every *ConfigError.
var ErrConfig = errors.New("tlsmode: contradictory TLS configuration")

// ConfigError reports a port, mode and policy that do not fit together.
// Problem says what is wrong and Fix what to change; both are meant for the
// person who wrote the configuration.
type ConfigError struct {
	Port    int
	Mode    Mode
	Policy  Policy
	Problem string
	Fix     string
}

func (e *ConfigError) Error() string {
	s := "tlsmode: port " + strconv.Itoa(e.Port) + " mode " + e.Mode.String() + " policy " + e.Policy.String() + ": " + e.Problem
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Resolve turns what a user configured (often only a port) into a concrete
// mode and policy, and refuses combinations that cannot work, so they fail
// at configuration time instead of hanging at the first connection. It is
// written for the client, and a server listener uses the same table.
//
// For ModeAuto the mode comes from the port (LookupPort): 465 is implicit
// TLS (RFC 8314 section 3.3), 25, 587, 2525, 24 and 366 use STARTTLS. On any
// other port ModeAuto means STARTTLS with PolicyRequired: the safe default
// for a client, which fails loudly against a plaintext-only test server
// (configure ModeNone for those) instead of sending in clear.
//
// For PolicyAuto the policy comes from the mode: ModeNone is disabled,
// ModeImplicit is required, ModeSTARTTLS takes the port's policy (25 and 24
// opportunistic, others required).
//
// It returns a *ConfigError for:
//   - ModeSTARTTLS or ModeNone on port 465, which expects implicit TLS: the
//     server waits for a ClientHello and the client for a greeting;
//   - ModeImplicit on a STARTTLS port (25, 587, 2525, 24, 366): the server
//     sends a plaintext greeting that no TLS client accepts;
//   - ModeNone with PolicyOpportunistic or PolicyRequired, ModeSTARTTLS
//     with PolicyDisabled, ModeImplicit with anything but PolicyRequired
//     (implicit TLS has no plaintext to fall back to);
//   - a port outside 1 to 65535, or an unknown mode or policy.
//
// Port 25 with PolicyRequired is accepted: a client may insist (MTA-STS,
// DANE), though a publicly referenced server must not (RFC 3207 section 4).
func Resolve(port int, mode Mode, policy Policy) (Mode, Policy, error) {
	fail := func(problem, fix string) (Mode, Policy, error) {
		return mode, policy, &ConfigError{Port: port, Mode: mode, Policy: policy, Problem: problem, Fix: fix}
	}
	if port < 1 || port > 65535 {
		return fail("not a TCP port", "use 587 (STARTTLS) or 465 (implicit TLS) for submission, 25 for relay")
	}
	if mode >= numModes {
		return fail("unknown mode", "use ModeNone, ModeSTARTTLS or ModeImplicit")
	}
	if policy >= numPolicies {
		return fail("unknown policy", "use PolicyDisabled, PolicyOpportunistic or PolicyRequired")
	}
	conv, known := LookupPort(port)

	m := mode
	if m == ModeAuto {
		m = ModeSTARTTLS
		if known {
			m = conv.Mode
		}
	}
	p := policy
	if p == PolicyAuto {
		switch {
		case m == ModeNone:
			p = PolicyDisabled
		case m == ModeSTARTTLS && known && conv.Mode == ModeSTARTTLS:
			p = conv.Policy
		default:
			p = PolicyRequired
		}
	}

	// The port's convention against the mode (RFC 8314 section 3.3: on 465
	// the TLS handshake comes before the greeting).
	if known {
		switch {
		case conv.Mode == ModeImplicit && m == ModeSTARTTLS:
			return fail("port 465 expects implicit TLS (RFC 8314 section 3.3): the server waits for a TLS ClientHello and sends no plaintext greeting",
				"use ModeImplicit, or port 587 with ModeSTARTTLS")
		case conv.Mode == ModeImplicit && m == ModeNone:
			return fail("port 465 expects implicit TLS (RFC 8314 section 3.3) and has no plaintext mode",
				"use ModeImplicit, or a plaintext port (25, 587) with ModeNone")
		case conv.Mode == ModeSTARTTLS && m == ModeImplicit:
			return fail("port "+strconv.Itoa(port)+" ("+conv.Name+") expects a plaintext greeting and STARTTLS (RFC 3207), not implicit TLS",
				"use ModeSTARTTLS, or port 465 with ModeImplicit")
		}
	}

	// The mode against the policy.
	switch {
	case m == ModeNone && p != PolicyDisabled:
		return fail("ModeNone never starts TLS, which contradicts the "+p.String()+" policy",
			"use ModeSTARTTLS (or ModeAuto) to use TLS, or PolicyDisabled to stay in clear")
	case m == ModeSTARTTLS && p == PolicyDisabled:
		return fail("ModeSTARTTLS with TLS disabled",
			"use ModeNone for a plaintext session, or PolicyOpportunistic / PolicyRequired")
	case m == ModeImplicit && p != PolicyRequired:
		return fail("implicit TLS is always required: there is no plaintext session to fall back to",
			"use PolicyRequired (or PolicyAuto) with ModeImplicit, or ModeSTARTTLS for opportunistic TLS")
	}
	return m, p, nil
}
