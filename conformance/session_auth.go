package conformance

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
	"github.com/smtpkit/smtpkit/reply"
)

// Authenticate runs one AUTH exchange with mech (RFC 4954 section 4): the
// AUTH command, with the initial response on the command line when ir is
// set and the mechanism has one, then a response to every 334 challenge.
// It returns the final reply; a reply other than 334 ends the exchange.
// Challenges that are not base64 are a *Failure (RFC 4954 section 4: the
// server sends them base64-encoded).
func (s *Session) Authenticate(mech auth.ClientMechanism, ir bool) (reply.Reply, error) {
	ctx, cancel := context.WithDeadline(context.Background(), s.end)
	defer cancel()
	c, err := mech.NewClient(s.connState())
	if err != nil {
		return reply.Reply{}, Skip("%s cannot run here: %v", mech.Name(), err)
	}
	first, hasIR, err := c.Start(ctx)
	if err != nil {
		return reply.Reply{}, Skip("%s cannot start: %v", mech.Name(), err)
	}
	line := "AUTH " + c.Name()
	pending := []byte(nil)
	switch {
	case hasIR && ir:
		line += " " + encodeResponse(first)
	case hasIR:
		pending = first
	}
	if err := s.Send([]byte(line + "\r\n")); err != nil {
		return reply.Reply{}, err
	}
	for round := 0; round < 10; round++ {
		r, err := s.ReadReply()
		if err != nil {
			return reply.Reply{}, err
		}
		if r.Code != 334 {
			if ferr := c.Finish(r.Code == 235); ferr != nil && r.Code == 235 {
				return r, &Failure{Rule: "RFC 5802 section 5", Got: fmt.Sprintf("235 without a valid server proof: %v", ferr)}
			}
			return r, nil
		}
		var resp []byte
		if pending != nil {
			resp, pending = pending, nil // the initial response, asked for with an empty 334
		} else {
			challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Text))
			if err != nil {
				return r, &Failure{Rule: "RFC 4954 section 4", Got: fmt.Sprintf("a 334 challenge that is not base64: %q", r.Text)}
			}
			if resp, err = c.Next(ctx, challenge); err != nil {
				if err := s.Send([]byte("*\r\n")); err != nil {
					return reply.Reply{}, err
				}
				continue
			}
		}
		// A response to a challenge is plain base64, an empty line when
		// empty; "=" stands for an empty response only on the AUTH line
		// (RFC 4954 section 4).
		if err := s.Send([]byte(base64.StdEncoding.EncodeToString(resp) + "\r\n")); err != nil {
			return reply.Reply{}, err
		}
	}
	return reply.Reply{}, &Failure{Got: "more than 10 rounds of 334 challenges"}
}

// encodeResponse is an initial response as the AUTH command line carries
// it: base64, or "=" when empty (RFC 4954 section 4).
func encodeResponse(p []byte) string {
	if len(p) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(p)
}
