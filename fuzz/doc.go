// Package fuzz holds smtpkit's cross-package fuzz targets: whole sessions
// through the drivers and machines, and differentials against independent
// references. Targets that exercise one package live beside that package's
// code (wire's FuzzParseCommand, state's FuzzServer, auth's per-mechanism
// targets). Every target here checks invariants, not only the absence of a
// panic, and each invariant checker has a test that feeds it a wrong input
// and requires it to object.
//
// Targets:
//
//   - FuzzServerSession (server_session_test.go): random client octets, cut
//     at random, into a real server.Server over an in-memory connection,
//     optionally through STARTTLS (a real TLS client continues after 220)
//     and AUTH. The replies follow RFC 5321 section 4.2; two cut patterns
//     give the same octets and the same Session calls; every MAIL and RCPT
//     the handler saw was sent; every delivered body is what a reference
//     decoder (RFC 5321 section 4.5.2, RFC 3030 section 2) makes of the
//     octets after its DATA or BDAT, so nothing past a message's end is
//     body and nothing inside one runs as a command; the trace never shows
//     credentials.
//   - FuzzServerSmuggle (server_smuggle_test.go): transactions whose bodies
//     are built from every smuggling sequence of the SPEC and command-
//     looking lines, by DATA or BDAT, lock-step or pipelined (RFC 2920),
//     under each bare CR/LF policy, optionally behind STARTTLS with
//     injected commands (RFC 3207 section 5); every reply code and every
//     Session call must be the predicted one.
//   - FuzzClientSession (client_session_test.go): client.Client.Send against
//     random server octets. Every command it writes parses and was legal
//     when written (RFC 5321 section 4.1.4, RFC 2920, RFC 3030 section 2),
//     any body is dot-stuffed and decodes to the message, errors are the
//     package's typed ones, the Result never claims a recipient the replies
//     refused, and cutting the replies differently changes nothing.
//   - FuzzClientTranscriptReplay (client_replay_test.go): the golden
//     transcripts' server octets, cut at random, give the client's uncut
//     writes.
//   - FuzzCheckerSessions (checker_test.go): our client against our server
//     with fuzz-chosen work (pipelining, BDAT, AUTH, RSET, refusals): the
//     Checker must find nothing; mutated transcripts must not panic it, and
//     mutations with a certain verdict must be reported.
//   - FuzzCommandRoundTrip, FuzzCommandReparse (roundtrip_*_test.go): typed
//     command serializers against wire.ParseCommand, both directions, to a
//     fixpoint; a refusal is a typed *wire.SyntaxError.
//   - FuzzReplyRoundTrip (roundtrip_reply_test.go): replies written by
//     reply.Reply.Append and wire.AppendReply read back by
//     wire.ParseReplyLine, reply.Builder and state.Client's reader; no line
//     over 512 octets (RFC 5321 section 4.5.3.1.5) and no injected line.
//   - FuzzDataDifferential, FuzzDataEncodeRoundTrip (data_test.go):
//     wire.DataDecoder in random cuts against a line-by-line reference,
//     net/textproto's DotReader and wire.ChunkDecoder; DataEncoder round
//     trips under every bare-line policy.
//   - FuzzSASLServerSteps, FuzzSASLServerRaw (sasl_test.go, with the
//     verifiers that record what they approve in sasl_truth_test.go): every server
//     mechanism of auth driven by its client with one mutated message, and
//     by raw messages: failures are typed with 500, 501 or 535 (RFC 4954
//     section 6), and no identity the verifier did not approve is ever
//     authenticated.
//
// The seed corpora under testdata/fuzz/<target>/seed-NNN are built from the
// golden transcripts in state/testdata/sessions and from the serializers;
// TestSeeds... tests fail when they are stale, and
// `go test ./fuzz -run Seeds -update` rewrites them. Other files there are
// crashers found by fuzzing, kept as regression inputs.
//
// `bash fuzz/run.sh [duration]` runs every fuzz target of the module
// (default 1m each; FUZZ_JOBS=n runs n at once) and prints a table of
// executions and results; .ci/run runs each for 10 s, and the long form
// of docs/RELIABILITY.md (`bash reliability/run.sh fuzz`) 10 minutes.
package fuzz
