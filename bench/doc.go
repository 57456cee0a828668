// Package bench holds smtpkit's cross-package benchmarks: the whole stack,
// client to server, with no socket, and the two sans-I/O machines driven
// against each other. Benchmarks of one package live beside that package's
// code (wire's BenchmarkParseCommand per verb form, BenchmarkDataDecode and
// BenchmarkDataEncode at 1 KiB, 64 KiB and 1 MiB, state's
// BenchmarkServerTransaction, client's and server's loopback TCP
// benchmarks); this package adds what crosses packages.
//
// Files:
//
//   - memconn.go: memPipe, a buffered in-memory duplex connection (a Write
//     returns once buffered, as on a socket; net.Pipe's rendezvous
//     deadlocks a pipelined BDAT message, RFC 2920 section 3.1), and
//     memListener, which server.Server serves and client.WithDialer dials.
//   - machines_test.go: BenchmarkMachines, state.Client fed to state.Server
//     and back per steady-state message, DATA and BDAT, 1 KiB and 100 KiB
//     (0 allocations).
//   - e2e_test.go: BenchmarkMemEndToEnd (client.Pool to server.Server over
//     memPipe, 1 and 20 connections, 1 KiB and 100 KiB, DATA and BDAT),
//     BenchmarkNetPipe (the same over net.Pipe where it works),
//     BenchmarkMemServer and BenchmarkMemClient (one driver against a
//     scripted peer that allocates nothing, so each side's cost is its
//     own).
//   - script_test.go: those scripted peers.
//   - allocs_test.go: the allocation contracts (built without -race): 0
//     for the machines, at most 4 per message for the server driver and
//     engine, at most 4 for the client.
//
// The side-by-side comparison with emersion/go-smtp and net/smtp is the
// module in bench/compare (its own go.mod, so the main module never
// depends on go-smtp): `cd bench/compare && go run .` prints the table of
// ratios. bench/loadtest.sh runs Postfix's smtp-source against `smtpkit
// serve`, a go-smtp server and Postfix's smtp-sink, and smtpkit's and
// go-smtp's load clients, reporting messages per second and CPU per
// message from /proc.
package bench
