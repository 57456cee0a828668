// Command compare runs the same SMTP work through smtpkit, emersion/go-smtp
// and Go's net/smtp in one process and prints, per workload, each
// implementation's time, throughput, memory and allocations per operation
// (measured by testing.Benchmark, the same way for everyone), the round
// trips per message of the clients, and the ratios to smtpkit.
//
// Usage, inside bench/compare:
//
//	go run . [-benchtime 1s] [-count 3] [-run regexp] [-format markdown|text|json] [-sink proc|inproc]
//
// The workloads:
//
//   - server 1KiB lock-step, server 1KiB pipelined, server 100KiB and 1MiB
//     pipelined: a raw client on loopback TCP sends one message per
//     transaction on one long-lived connection to smtpkit's server.Server
//     and go-smtp's smtp.Server, whose sessions read each body to
//     io.Discard (servers.go).
//   - DATA decode 1MiB and DATA encode 1MiB: the dot-stuffing codecs, from
//     memory to io.Discard (codec.go, memconn.go).
//   - client 1KiB, 1 conn and 20 conns: smtpkit's client.Client and
//     client.Pool (DATA and BDAT) and Client.SendEach (DATA, the next envelope
//     in the write that ends a message), go-smtp's and net/smtp's Client against
//     an smtpkit sink in a child process, with round trips counted on the
//     client's connection (clients.go, sinkproc.go).
//   - commands RSET, MAIL+RSET, MAIL+RCPT+RSET: pipelined command streams,
//     per command (servers.go).
//
// Every implementation is checked once before it is timed (the message
// that arrives must be the message sent) and its message count is checked
// after (sink.go); harness.go times, table.go prints. compare_test.go holds
// the same workloads as a test and as Go benchmarks.
package main
