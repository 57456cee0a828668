//go:build interop

// Package haproxy runs smtpkit serve behind HAProxy (the Debian package)
// in TCP mode with send-proxy-v2: load balancing across two instances, the
// real client address carried by PROXY protocol version 2, refusal of a
// PROXY header from an untrusted address, fail-over when an instance goes
// down, and the sizing numbers quoted in docs/DEPLOYMENT.md.
//
// The tests build the smtpkit binary once and start their own haproxy
// (haproxy -f cfg -db) and smtpkit processes on 127.0.0.1; HAProxy's
// connections to the instances leave from 127.0.0.2 so that "only HAProxy
// is trusted" is testable on loopback. Run them with
//
//	go test -tags interop ./interop/haproxy/
package haproxy
