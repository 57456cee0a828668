// Command rfcindex writes docs/CONFORMANCE.md: for every RFC section the
// code cites, the declarations whose comments cite it. Citations are the
// project's rule ("doc comments cite the RFC section at the line that
// enforces a rule"), so the index is where each rule is implemented.
//
// After the index come the conformance suite's cases (the server and the
// client suite, by RFC and section, with their levels and titles) and the
// deviations of other implementations that the suite's tests check
// (conformance.PeerRuns: Postfix, swaks, curl), with the versions they
// were measured with.
//
// Usage, from the module root:
//
//	go run ./internal/rfcindex > docs/CONFORMANCE.md
//
// A test in this package fails when the committed file is out of date.
package main
