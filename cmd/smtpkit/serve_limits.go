package main

import (
	"flag"
	"time"

	"github.com/smtpkit/smtpkit/server"
	"github.com/smtpkit/smtpkit/state"
)

// Defaults of serve's limits that differ from the server package's: a
// program listening on a port gets a size limit and a floor under the data
// rate, as Postfix has (message_size_limit, smtpd_min_data_rate).
const (
	// defaultMaxMessageSize is Postfix's message_size_limit: a disk is not
	// filled by one client's message.
	defaultMaxMessageSize = 10240000
	defaultMinDataRate    = 500
	defaultRateGrace      = 30 * time.Second
)

// serveLimits are the flags that bound what one client can take: the
// connections, the timeouts and rate floor, the error and AUTH failure
// limits, and the RFC 2920 pipelining discipline. Each default is the
// strict one; docs/RELIABILITY.md lists how to relax it.
type serveLimits struct {
	maxConns, maxConnsPerIP int
	maxErrors, maxAuthFails int
	maxJunk                 int
	minDataRate             int64
	rateGrace, idle         time.Duration
	pipelining              string
}

// defaultServeLimits are the flags' defaults, for a serve built without
// flags (check --self).
func defaultServeLimits() serveLimits {
	return serveLimits{
		maxErrors: state.DefaultMaxErrors, maxAuthFails: state.DefaultMaxAuthFailures,
		maxJunk:     state.DefaultMaxJunk,
		minDataRate: defaultMinDataRate, rateGrace: defaultRateGrace,
		idle: state.DefaultServerIdle, pipelining: "strict",
	}
}

func (l *serveLimits) register(fs *flag.FlagSet) {
	d := defaultServeLimits()
	fs.IntVar(&l.maxConns, "max-connections", 0, "most concurrent connections (`N`; more are greeted 421 and closed); 0: no bound")
	fs.IntVar(&l.maxConnsPerIP, "max-connections-per-ip", 0, "most concurrent connections from one client address (`N`); 0: no bound")
	fs.IntVar(&l.maxErrors, "max-errors", d.maxErrors, "refused commands before 421 and close (`N`, RFC 5321 section 7.8)")
	fs.IntVar(&l.maxAuthFails, "max-auth-failures", d.maxAuthFails, "failed AUTH exchanges before 421 4.7.0 and close (`N`)")
	fs.IntVar(&l.maxJunk, "max-junk", d.maxJunk, "NOOP, RSET, VRFY, EXPN, HELP and ETRN commands allowed since the last accepted message before each counts as an error (`N`); -1: no limit")
	fs.Int64Var(&l.minDataRate, "min-data-rate", d.minDataRate, "lowest average `octets/s` of a command line or message once --rate-grace has passed; 0: no floor")
	fs.DurationVar(&l.rateGrace, "rate-grace", d.rateGrace, "how long a command line or message may take before --min-data-rate applies")
	fs.DurationVar(&l.idle, "idle-timeout", d.idle, "how long to wait for the next command (RFC 5321 section 4.5.3.2.7 asks for 5m at least)")
	fs.StringVar(&l.pipelining, "pipelining", d.pipelining, "commands sent before their reply may be: strict (only as RFC 2920 section 3.1 allows, else 421) or allow")
}

// apply sets the limits on srv.
func (l *serveLimits) apply(srv *server.Server) error {
	switch {
	case l.maxConns < 0 || l.maxConnsPerIP < 0:
		return usagef("--max-connections and --max-connections-per-ip must not be negative")
	case l.maxErrors < 1 || l.maxAuthFails < 1:
		return usagef("--max-errors and --max-auth-failures must be at least 1")
	case l.maxJunk < -1 || l.maxJunk == 0:
		return usagef("--max-junk must be at least 1, or -1 for no limit")
	case l.minDataRate < 0 || l.rateGrace < 0 || l.idle < 0:
		return usagef("--min-data-rate, --rate-grace and --idle-timeout must not be negative")
	}
	var sync state.SyncPolicy
	switch l.pipelining {
	case "strict":
		sync = state.SyncReject
	case "allow":
		sync = state.SyncAllow
	default:
		return usagef("--pipelining: %q is not strict or allow", l.pipelining)
	}
	srv.MaxConnections, srv.MaxConnectionsPerIP = l.maxConns, l.maxConnsPerIP
	srv.MaxErrors, srv.MaxAuthFailures = l.maxErrors, l.maxAuthFails
	srv.Timeouts.MinDataRate, srv.Timeouts.RateGrace = l.minDataRate, l.rateGrace
	srv.Timeouts.ServerIdle = l.idle
	prev := srv.Configure
	srv.Configure = func(c *state.ServerConfig) {
		if prev != nil {
			prev(c)
		}
		c.Sync = sync
		c.MaxJunk = l.maxJunk
	}
	return nil
}
