package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/smtpkit/smtpkit/auth"
)

// ExampleXOAUTH2Client builds the initial response of Google's XOAUTH2
// example, as it is sent base64-encoded on the AUTH line.
func ExampleXOAUTH2Client() {
	ts := auth.StaticToken("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
	c, err := auth.XOAUTH2Client("someuser@example.com", ts).NewClient(auth.ConnState{TLS: true})
	if err != nil {
		panic(err)
	}
	ir, _, err := c.Start(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("AUTH XOAUTH2", base64.StdEncoding.EncodeToString(ir))
	// Output:
	// AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==
}

// ExampleOAuthBearerClient shows the RFC 7628 section 4.1 SMTP example,
// then a refusal: the client answers the server's JSON error challenge with
// AQ== and learns from Finish which scope to ask for.
func ExampleOAuthBearerClient() {
	ctx := context.Background()
	cs := auth.ConnState{TLS: true, ServerName: "server.example.com", Port: 587}
	ts := auth.StaticToken("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
	c, err := auth.OAuthBearerClient("user@example.com", ts).NewClient(cs)
	if err != nil {
		panic(err)
	}
	ir, _, err := c.Start(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("C: AUTH OAUTHBEARER", base64.StdEncoding.EncodeToString(ir))

	challenge := []byte(`{"status":"invalid_token","scope":"example_scope"}`)
	fmt.Println("S: 334", base64.StdEncoding.EncodeToString(challenge))
	resp, err := c.Next(ctx, challenge)
	if err != nil {
		panic(err)
	}
	fmt.Println("C:", base64.StdEncoding.EncodeToString(resp))
	fmt.Println("S: 535 5.7.8 Authentication credentials invalid")

	var te *auth.TokenError
	if errors.As(c.Finish(false), &te) {
		fmt.Printf("refused: status %s, scope %s\n", te.Status, te.Scope)
	}
	// Output:
	// C: AUTH OAUTHBEARER bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB
	// S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIn0=
	// C: AQ==
	// S: 535 5.7.8 Authentication credentials invalid
	// refused: status invalid_token, scope example_scope
}

// ExampleOAuthBearerServer validates tokens with an application function
// and refuses an unknown one with the details RFC 7628 section 3.2.2 sends
// back.
func ExampleOAuthBearerServer() {
	ctx := context.Background()
	v := auth.TokenValidatorFunc(func(_ context.Context, req auth.TokenRequest) (auth.Identity, error) {
		// A real validator introspects the token (RFC 7662) or verifies a
		// JWT, and checks req.Host and req.Port name this server.
		if req.Token == "good" {
			return auth.Identity{Username: "alice@example.com"}, nil
		}
		return auth.Identity{}, &auth.TokenError{Status: "invalid_token", Scope: "mail"}
	})
	sm := auth.OAuthBearerServer(v)

	for _, token := range []string{"good", "stale"} {
		s, err := sm.NewServer(auth.ConnState{TLS: true})
		if err != nil {
			panic(err)
		}
		ir := []byte("n,,\x01host=mx.example.com\x01port=587\x01auth=Bearer " + token + "\x01\x01")
		challenge, done, err := s.Start(ctx, ir, true)
		if !done && err == nil {
			fmt.Printf("334 %s\n", challenge)
			_, done, err = s.Next(ctx, []byte{0x01})
		}
		r := auth.Reply(err)
		fmt.Println(r.Code, r.Enhanced, done, s.Identity().Username)
	}
	// Output:
	// 235 2.7.0 true alice@example.com
	// 334 {"status":"invalid_token","scope":"mail"}
	// 535 5.7.8 false
}

// ExampleXOAUTH2Server refuses an expired token the way Gmail does: a JSON
// error challenge, an empty answer from the client, then 535.
func ExampleXOAUTH2Server() {
	ctx := context.Background()
	v := auth.TokenValidatorFunc(func(_ context.Context, req auth.TokenRequest) (auth.Identity, error) {
		return auth.Identity{}, &auth.TokenError{Status: "401", Schemes: "bearer", Scope: "https://mail.google.com/"}
	})
	s, err := auth.XOAUTH2Server(v).NewServer(auth.ConnState{TLS: true})
	if err != nil {
		panic(err)
	}
	challenge, _, err := s.Start(ctx, []byte("user=someuser@example.com\x01auth=Bearer ya29.expired\x01\x01"), true)
	if err != nil {
		panic(err)
	}
	fmt.Printf("334 %s\n", challenge)
	_, _, err = s.Next(ctx, nil)
	r := auth.Reply(err)
	fmt.Println(r.Code, r.Enhanced)
	// Output:
	// 334 {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}
	// 535 5.7.8
}
