package server

import (
	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/state"
)

// connState is what the SASL mechanisms learn of the connection.
func (c *conn) connState() auth.ConnState {
	cs := auth.ConnState{TLS: c.info.TLS != nil}
	if f := c.info.TLS; f != nil {
		if f.Verified {
			cs.PeerCertificates = f.PeerCertificates
		}
		cs.ChannelBindings = f.ChannelBindings
	}
	return cs
}

// offered lists the mechanisms to offer now.
func (c *conn) offered() []string {
	if c.srv.authReg == nil {
		return nil
	}
	return c.srv.authReg.Offered(c.connState())
}

// auth runs a SASL exchange through the Server's auth.Registry (RFC 4954
// section 4).
func (c *conn) auth(ev *state.Event) {
	var (
		ch   []byte
		done bool
		err  error
	)
	switch ev.Kind {
	case state.EventAuthAbort:
		c.mech = nil
		c.srv.count(CounterAuthFailures, 1)
		return
	case state.EventAuth:
		c.mech, err = c.srv.authReg.NewServer(string(ev.Command.Mechanism), c.connState())
		if err == nil {
			ch, done, err = c.mech.Start(c.ctx, ev.Data, ev.Command.HasInitialResponse)
		}
	default:
		if c.mech == nil {
			err = auth.ErrSequence
		} else {
			ch, done, err = c.mech.Next(c.ctx, ev.Data)
		}
	}
	if err == nil && !done {
		_ = c.sm.Challenge(ch)
		return
	}
	if err == nil {
		id := c.mech.Identity()
		if as, ok := c.sess.(AuthSession); ok {
			if aerr := as.Authenticated(id); aerr != nil {
				c.mech = nil
				c.srv.count(CounterAuthFailures, 1)
				c.answer(aerr, replyAuthLocal, "Authenticated")
				return
			}
		}
		c.info.Identity, c.info.Mechanism = &id, c.mech.Name()
	} else {
		c.srv.count(CounterAuthFailures, 1)
	}
	c.mech = nil
	c.respond(auth.Reply(err), replyAuthLocal)
}
