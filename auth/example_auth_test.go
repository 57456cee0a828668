package auth_test

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/smtpkit/smtpkit/auth"
)

// A server registers its mechanisms, offers them in EHLO and runs the one
// an AUTH command names. The base64 and the 334 lines are the state
// package's work; here the decoded messages are passed by hand.
func ExampleRegistry() {
	check := auth.PasswordCheckerFunc(func(_ context.Context, authzid, user, pass string) error {
		if user == "tim" && pass == "tanstaaftanstaaf" && authzid == "" {
			return nil
		}
		return auth.ErrInvalidCredentials
	})
	var reg auth.Registry
	reg.Register(auth.PlainServer(check))
	reg.Register(auth.LoginServer(check))
	reg.Register(auth.AnonymousServer(nil))

	fmt.Printf("EHLO before STARTTLS: AUTH %s\n", reg.AppendOffered(nil, auth.ConnState{}))
	cs := auth.ConnState{TLS: true}
	fmt.Printf("EHLO after STARTTLS:  AUTH %s\n", reg.AppendOffered(nil, cs))

	// C: AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
	ir, _ := base64.StdEncoding.DecodeString("AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
	s, err := reg.NewServer("plain", cs)
	if err != nil {
		fmt.Println(auth.Reply(err))
		return
	}
	_, done, err := s.Start(context.Background(), ir, true)
	fmt.Println(done, s.Identity().Username, auth.Reply(err).Code)

	// C: AUTH PLAIN before STARTTLS
	_, err = reg.NewServer("PLAIN", auth.ConnState{})
	fmt.Println(auth.Reply(err).Code)
	// Output:
	// EHLO before STARTTLS: AUTH ANONYMOUS
	// EHLO after STARTTLS:  AUTH PLAIN LOGIN ANONYMOUS
	// true tim 235
	// 504
}

// A client picks the strongest mechanism the server offers that it may use
// on the connection, then drives it.
func ExampleChoose() {
	mine := []auth.ClientMechanism{
		auth.PlainClient("", "tim", "tanstaaftanstaaf"),
		auth.CRAMMD5Client("tim", "tanstaaftanstaaf"),
		auth.LoginClient("tim", "tanstaaftanstaaf"),
	}
	offered := []string{"LOGIN", "PLAIN"}

	_, err := auth.Choose(offered, mine, auth.ConnState{}, false)
	fmt.Println("without TLS:", err)

	cs := auth.ConnState{TLS: true}
	m, _ := auth.Choose(offered, mine, cs, false)
	fmt.Println("with TLS:", m.Name())

	c, _ := m.NewClient(cs)
	ir, _, _ := c.Start(context.Background())
	fmt.Println("AUTH", m.Name(), base64.StdEncoding.EncodeToString(ir))
	// Output:
	// without TLS: auth: no usable SASL mechanism in common: no mechanism both sides have may be used on this connection
	// with TLS: PLAIN
	// AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm
}
