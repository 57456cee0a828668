package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/smtpkit/smtpkit/auth"
)

// ExampleNTLMClient authenticates to an Exchange-style relay with NTLMv2.
// The fixed random source and clock reproduce the MS-NLMP section 4.2.4
// example; leave them out in real use.
func ExampleNTLMClient() {
	ctx := context.Background()
	mech := auth.NTLMClient("Domain", "User", "Password",
		auth.WithRand(bytes.NewReader(append(bytes.Repeat([]byte{0xaa}, 8), bytes.Repeat([]byte{0x55}, 16)...))),
		auth.WithClock(func() time.Time { return time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC) }))
	c, err := mech.NewClient(auth.ConnState{TLS: true})
	if err != nil {
		panic(err)
	}

	// The NEGOTIATE_MESSAGE rides on the AUTH command.
	ir, _, _ := c.Start(ctx)
	fmt.Println("C: AUTH NTLM " + base64.StdEncoding.EncodeToString(ir))

	// The server's 334 carries its CHALLENGE_MESSAGE (here the one of
	// MS-NLMP section 4.2.4.3).
	const challenge = "TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA="
	fmt.Println("S: 334 " + challenge)
	ch, _ := base64.StdEncoding.DecodeString(challenge)
	resp, err := c.Next(ctx, ch)
	if err != nil {
		fmt.Println("C: *") // cancel the exchange
		return
	}
	fmt.Println("C: " + base64.StdEncoding.EncodeToString(resp))

	// The server replies 235 or 535; NTLM has nothing to check either way.
	fmt.Println("S: 235 2.7.0 Authentication successful")
	fmt.Println(c.Finish(true))
	// Output:
	// C: AUTH NTLM TlRMTVNTUAABAAAABYII4AAAAAAoAAAAAAAAACgAAAAAAAAAAAAAAA==
	// S: 334 TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUAcgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA=
	// C: TlRMTVNTUAADAAAAGAAYAFwAAABUAFQAdAAAAAwADABIAAAACAAIAFQAAAAAAAAAXAAAABAAEADIAAAAAYKI4AAAAAAAAAAARABvAG0AYQBpAG4AVQBzAGUAcgCGw1CXrJzsECVUdkpXzMwZqqqqqqqqqqpozQq4UeUclqq8knvr72ocAQEAAAAAAAAAAAAAAAAAAKqqqqqqqqqqAAAAAAIADABEAG8AbQBhAGkAbgABAAwAUwBlAHIAdgBlAHIAAAAAAAAAAADF2tJUT8l5kJTOHOkLydA+
	// S: 235 2.7.0 Authentication successful
	// <nil>
}
