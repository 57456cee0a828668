//go:build reliability

// Package faults is the fault part of the reliability suite (build tag
// reliability): what a server must survive without losing, duplicating or
// half-storing a message. Each test logs its figures on a line starting
// "RESULT ", which docs/RELIABILITY.md collects.
//
//   - main_test.go: TestMain (builds cmd/smtpkit once through
//     internal/servetest), the SMTPKIT_RELIABILITY scale (unset or "short":
//     about a minute for the package; "long": ten times the cut points and
//     fault rounds), a raw SMTP conversation over net.Conn, and the Maildir
//     checks (settling: serve holds no client socket any more).
//   - cuts_test.go: connections cut at seeded-random points inside DATA
//     (RFC 5321 section 4.1.1.4) and BDAT (RFC 3030 section 2), closed or
//     reset (RFC 5321 section 3.8: a lost connection aborts the
//     transaction), against "smtpkit serve": no partial message, no tmp/
//     leftover, serve still delivers byte-exact. Cuts after the whole end
//     of data, before the reply, may be stored and are counted apart.
//   - handler_test.go: in-process server.Server whose Session stores into
//     a server.Maildir and fails by plan (plain errors: 451, RFC 5321
//     section 4.2.3; panics: 421, section 3.8); the client retries on a new
//     connection, and every message ends up stored exactly once.
//   - storage_test.go: a full disk (a small tmpfs) and an unwritable
//     Maildir give 452 4.3.1 (RFC 5321 sections 4.2.2 and 4.3.2, RFC 3463
//     X.3.1 "Mail system full") with nothing claimed delivered, and serve
//     delivers again once space is back.
package faults
