package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/smtpkit/smtpkit/auth"
)

// A SCRAM-SHA-256 exchange as an SMTP session carries it (RFC 4954 section
// 4): the client-first message rides on AUTH, the server's messages are
// 334 challenges, the client answers the server-final one with an empty
// line, and 235 ends it. The server's store holds derived keys, never the
// password.
func ExampleSCRAMServer() {
	ctx := context.Background()
	creds, err := auth.NewSCRAMCredentials(auth.SCRAMSHA256, "pencil", 4096)
	if err != nil {
		panic(err)
	}
	store := auth.SCRAMStoreFunc(func(_ context.Context, h auth.SCRAMHash, user string) (auth.SCRAMCredentials, error) {
		if h == auth.SCRAMSHA256 && user == "user" {
			return creds, nil
		}
		return auth.SCRAMCredentials{}, auth.ErrInvalidCredentials
	})
	sm := auth.SCRAMServer(auth.SCRAMSHA256, false, store)
	cm := auth.SCRAMClient(auth.SCRAMSHA256, false, "", "user", "pencil")

	// show prints a SCRAM message with its random parts elided.
	show := func(who string, msg []byte) {
		attrs := strings.Split(string(msg), ",")
		for i, a := range attrs {
			if len(a) > 2 && strings.Contains("rspv", a[:1]) && a[1] == '=' {
				attrs[i] = a[:2] + "..."
			}
		}
		if len(msg) == 0 {
			attrs = []string{"(empty line)"}
		}
		fmt.Println(who, strings.Join(attrs, ","))
	}
	c, _ := cm.NewClient(auth.ConnState{})
	s, _ := sm.NewServer(auth.ConnState{})
	ir, _, _ := c.Start(ctx)
	show("C: AUTH "+cm.Name(), ir)
	challenge, done, err := s.Start(ctx, ir, true)
	for err == nil && !done {
		show("S: 334", challenge)
		var resp []byte
		if resp, err = c.Next(ctx, challenge); err != nil {
			break
		}
		show("C:", resp)
		challenge, done, err = s.Next(ctx, resp)
	}
	r := auth.Reply(err)
	fmt.Println("S:", r.Code, r.Enhanced, r.Text)
	fmt.Println("identity:", s.Identity().Username)
	fmt.Println("client verified the server:", c.Finish(err == nil) == nil)
	// Output:
	// C: AUTH SCRAM-SHA-256 n,,n=user,r=...
	// S: 334 r=...,s=...,i=4096
	// C: c=biws,r=...,p=...
	// S: 334 v=...
	// C: (empty line)
	// S: 235 2.7.0 Authentication successful
	// identity: user
	// client verified the server: true
}

// DeriveSCRAMCredentials turns a password into what the server stores.
// The RFC 5803 text form suits a database column.
func ExampleDeriveSCRAMCredentials() {
	salt, _ := base64.StdEncoding.DecodeString("QSXCR+Q6sek8bf92") // the RFC 5802 example salt
	creds, err := auth.DeriveSCRAMCredentials(auth.SCRAMSHA1, "pencil", salt, 4096)
	if err != nil {
		panic(err)
	}
	text := auth.AppendSCRAMCredentials(nil, auth.SCRAMSHA1, creds)
	fmt.Println(string(text))
	h, back, _ := auth.ParseSCRAMCredentials(text)
	fmt.Println(h, back.Iterations)
	// Output:
	// SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y=:D+CSWLOshSulAsxiupA+qs2/fTE=
	// SHA-1 4096
}

// The -PLUS variants bind the exchange to the TLS channel; the driver puts
// the channel bindings in ConnState. A non-PLUS client that could bind
// says so with the "y" flag unless it is told (OfferAware) that the server
// offered a -PLUS variant, so that a server whose -PLUS offer was stripped
// in transit detects the downgrade (RFC 5802 section 6).
func ExampleNewSCRAMClient() {
	cs := auth.ConnState{TLS: true, ChannelBindings: []auth.ChannelBinding{
		{Type: auth.CBTLSExporter, Data: []byte("32 octets from the TLS exporter")},
	}}
	flag := func(cm auth.ClientMechanism) string {
		c, err := cm.NewClient(cs)
		if err != nil {
			return err.Error()
		}
		ir, _, _ := c.Start(context.Background())
		gs2, _, _ := strings.Cut(string(ir), ",")
		return gs2
	}
	plus, _ := auth.NewSCRAMClient(auth.SCRAMClientConfig{Hash: auth.SCRAMSHA256, Plus: true, Username: "user", Password: "pencil"})
	fmt.Println(plus.Name(), flag(plus))

	cm, _ := auth.NewSCRAMClient(auth.SCRAMClientConfig{Hash: auth.SCRAMSHA256, Username: "user", Password: "pencil"})
	fmt.Println(cm.Name(), flag(cm))
	offered := cm.(auth.OfferAware).WithOffered([]string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"})
	fmt.Println(cm.Name(), "after WithOffered:", flag(offered))

	_, err := plus.NewClient(auth.ConnState{TLS: true})
	fmt.Println(errors.Is(err, auth.ErrUnsupported))
	// Output:
	// SCRAM-SHA-256-PLUS p=tls-exporter
	// SCRAM-SHA-256 y
	// SCRAM-SHA-256 after WithOffered: n
	// true
}
