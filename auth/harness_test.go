package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// exchange runs one SASL exchange between a client and a server mechanism
// the way an SMTP session carries it (RFC 4954 section 4): the client's
// initial response rides on AUTH when it has one, each server challenge is
// a 334, each client answer a line, and the server's success ends it. The
// client's Finish sees the outcome. It returns the server's identity on
// success, and otherwise the server's error (or the client's, when the
// client gave up, which an SMTP client signals with "*").
func exchange(ctx context.Context, cm ClientMechanism, sm ServerMechanism, ccs, scs ConnState) (Identity, error) {
	c, err := cm.NewClient(ccs)
	if err != nil {
		return Identity{}, fmt.Errorf("client: %w", err)
	}
	s, err := sm.NewServer(scs)
	if err != nil {
		return Identity{}, fmt.Errorf("server: %w", err)
	}
	ir, present, err := c.Start(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("client start: %w", err)
	}
	challenge, done, serr := s.Start(ctx, ir, present)
	for round := 0; serr == nil && !done; round++ {
		if round > 16 {
			return Identity{}, errors.New("exchange did not end in 16 rounds")
		}
		resp, cerr := c.Next(ctx, challenge)
		if cerr != nil {
			_ = c.Finish(false)
			return Identity{}, fmt.Errorf("client gave up: %w", cerr)
		}
		challenge, done, serr = s.Next(ctx, resp)
	}
	if serr != nil {
		if ferr := c.Finish(false); ferr != nil {
			return Identity{}, fmt.Errorf("%w (client saw: %w)", serr, ferr)
		}
		return Identity{}, serr
	}
	if err := c.Finish(true); err != nil {
		return Identity{}, fmt.Errorf("client rejected success: %w", err)
	}
	return s.Identity(), nil
}

// exchangeSize runs one exchange like exchange and returns the octets of
// its SASL messages (initial response, challenges and responses, decoded),
// for benchmarks' SetBytes.
func exchangeSize(tb testing.TB, cm ClientMechanism, sm ServerMechanism) int {
	tb.Helper()
	ctx := context.Background()
	c, err := cm.NewClient(ConnState{})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sm.NewServer(ConnState{})
	if err != nil {
		tb.Fatal(err)
	}
	ir, present, err := c.Start(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	n := len(ir)
	challenge, done, err := s.Start(ctx, ir, present)
	for err == nil && !done {
		n += len(challenge)
		var resp []byte
		if resp, err = c.Next(ctx, challenge); err != nil {
			break
		}
		n += len(resp)
		challenge, done, err = s.Next(ctx, resp)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return n + len(challenge)
}
