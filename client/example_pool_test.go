package client

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
)

// ExamplePool sends ten messages from five goroutines over at most two
// reused connections, retrying temporary failures.
func ExamplePool() {
	ts := newTestServer(wire.ExtPIPELINING, wire.ExtENHANCEDSTATUSCODES, wire.ExtCHUNKING)
	addr, stop, err := ts.start()
	if err != nil {
		panic(err)
	}
	defer stop()

	p := NewPool(addr, PoolConfig{
		MaxConns:   2,
		CheckAfter: 30 * time.Second, // NOOP only after a longer idle time
		Retry:      Retry{Attempts: 3, Base: 10 * time.Millisecond},
	}, WithHostname("client.example"), WithTLS(tlsmode.ModeNone, tlsmode.PolicyAuto))
	defer p.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	for w := range 5 {
		wg.Go(func() {
			for i := range 2 {
				body := fmt.Sprintf("Subject: message %d.%d\r\n\r\nHello.\r\n", w, i)
				res, err := p.Send(context.Background(), Envelope{From: "news@example.org", To: []string{"reader@example.net"}},
					strings.NewReader(body))
				if err != nil {
					fmt.Println(err)
					return
				}
				mu.Lock()
				delivered += res.Delivered()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := p.Stats()
	fmt.Println("delivered:", delivered)
	fmt.Println("connections:", st.Dials <= 2, "sends:", st.Dials+st.Reuses)
	fmt.Println("received:", len(ts.messages()), "by BDAT:", ts.count(wire.VerbDATA) == 0)
	// Output:
	// delivered: 10
	// connections: true sends: 10
	// received: 10 by BDAT: true
}
