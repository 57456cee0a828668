package fuzz

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/wire"
)

// This file builds the seeds of FuzzClientSession and
// FuzzClientTranscriptReplay: server octets written by the serializers
// (wire.AppendReply) for the sessions the client driver runs, and the
// server side of every golden session transcript.

// appendReplies writes rs with wire.AppendReply, each with its enhanced code.
func appendReplies(rs ...reply.Reply) []byte {
	var out []byte
	for _, r := range rs {
		out = wire.AppendReply(out, r, !r.Enhanced.IsZero())
	}
	return out
}

// mkReply is a reply for the seeds; e is the enhanced code as "c.s.d" or "".
func mkReply(code reply.Code, e, text string) reply.Reply {
	r := reply.Reply{Code: code, Text: text}
	if e != "" {
		enh, _, ok := reply.ParseEnhancedPrefix([]byte(e + " "))
		if !ok {
			panic("bad enhanced code " + e)
		}
		r.Enhanced = enh
	}
	return r
}

// ehloReply is a 250 EHLO reply offering keywords.
func ehloReply(keywords ...string) reply.Reply {
	return mkReply(250, "", strings.Join(append([]string{"mx.example.net"}, keywords...), "\n"))
}

// Replies the seeds share.
var (
	rGreet    = mkReply(220, "", "mx.example.net ESMTP")
	rOkMail   = mkReply(250, "2.1.0", "sender ok")
	rOkRcpt   = mkReply(250, "2.1.5", "recipient ok")
	rNoRcpt   = mkReply(550, "5.1.1", "no such user")
	rGoAhead  = mkReply(354, "", "go ahead")
	rQueued   = mkReply(250, "2.0.0", "queued as 1234")
	rBye      = mkReply(221, "2.0.0", "bye")
	rOkChunk  = mkReply(250, "2.0.0", "chunk ok")
	rOkReset  = mkReply(250, "2.0.0", "reset")
	rOkNoop   = mkReply(250, "2.0.0", "ok")
	rLost     = mkReply(421, "4.3.0", "shutting down")
	rBodyDots = []byte("Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\ncaf\xc3\xa9\r\nlast line")
)

// recipientsFlag sets the recipients field of sessionFlags to n (1 to 3).
func recipientsFlag(n int) sessionFlags { return sessionFlags(n-1) << 8 }

// chunkFlag sets the chunk size field of sessionFlags to the k-th size.
func chunkFlag(k int) sessionFlags { return sessionFlags(k) << 14 }

// serializerSeeds are sessions written for the client driver's choices.
func serializerSeeds() [][]any {
	seed := func(server []byte, cuts []byte, body []byte, f sessionFlags) []any {
		return []any{server, cuts, body, uint16(f)}
	}
	pipe := ehloReply("PIPELINING", "8BITMIME", "SIZE 100000", "ENHANCEDSTATUSCODES")
	return [][]any{
		// Pipelined DATA, one recipient refused.
		seed(appendReplies(rGreet, pipe, rOkMail, rOkRcpt, rNoRcpt, rGoAhead, rQueued, rBye),
			[]byte{3, 0, 40}, rBodyDots, recipientsFlag(2)|chunkFlag(1)),
		// Lock-step: MAIL refused, nothing more of the transaction.
		seed(appendReplies(rGreet, ehloReply(), mkReply(550, "", "go away"), rBye), nil, []byte("hi\r\n"), recipientsFlag(3)),
		// Lock-step RCPTs, the last refused, DATA.
		seed(appendReplies(rGreet, ehloReply("8BITMIME"), rOkMail, rOkRcpt, rNoRcpt, rGoAhead, rQueued, rBye),
			[]byte{0}, rBodyDots, recipientsFlag(2)|chunkFlag(0)),
		// BDAT chunks, pipelined.
		seed(appendReplies(rGreet, ehloReply("PIPELINING", "CHUNKING", "8BITMIME"), rOkMail, rOkRcpt,
			rOkChunk, rOkChunk, rOkChunk, rOkChunk, rOkChunk, rOkChunk, rQueued, rBye), []byte{7}, rBodyDots, chunkFlag(0)),
		// BDAT lock-step, the second chunk refused: no third chunk, RSET.
		seed(appendReplies(rGreet, ehloReply("CHUNKING", "8BITMIME"), rOkMail, rOkRcpt, rOkChunk, mkReply(554, "5.6.0", "bad chunk"),
			rOkReset, rBye), nil, rBodyDots, chunkFlag(1)),
		// LMTP: one reply per accepted recipient.
		seed(appendReplies(mkReply(220, "", "lmtp.example.net LMTP"), ehloReply("PIPELINING", "8BITMIME"), rOkMail, rOkRcpt, rNoRcpt, rOkRcpt,
			rGoAhead, rQueued, mkReply(452, "4.2.2", "mailbox full"), rBye), []byte{1, 2}, rBodyDots, flagLMTP|recipientsFlag(3)|flagNoBDAT),
		// AUTH PLAIN in clear, allowed.
		seed(appendReplies(rGreet, ehloReply("AUTH PLAIN LOGIN", "PIPELINING"), mkReply(235, "2.7.0", "ok"), rOkMail, rOkRcpt, rGoAhead, rQueued, rBye),
			nil, []byte("Subject: x\r\n\r\nhello\r\n"), flagAuth|flagInsecure),
		// AUTH LOGIN, two challenges.
		seed(appendReplies(rGreet, ehloReply("AUTH LOGIN"), mkReply(334, "", "VXNlcm5hbWU6"), mkReply(334, "", "UGFzc3dvcmQ6"),
			mkReply(235, "2.7.0", "ok"), rOkMail, rOkRcpt, rGoAhead, rQueued, rBye), []byte{5}, []byte("x\r\n"), flagAuth|flagInsecure),
		// AUTH offered with PLAIN only and no WithInsecureAuth: no AUTH.
		seed(appendReplies(rGreet, ehloReply("AUTH PLAIN"), rBye), nil, []byte("x"), flagAuth),
		// EHLO refused, HELO.
		seed(appendReplies(rGreet, mkReply(502, "", "no EHLO"), mkReply(250, "", "mx.example.net"), rOkMail, rOkRcpt, rGoAhead, rQueued, rBye),
			nil, []byte("plain\r\n"), 0),
		// The greeting refuses the session: QUIT.
		seed(appendReplies(mkReply(554, "", "no service"), rBye), nil, []byte("x\r\n"), 0),
		// 421 in the middle of the transaction.
		seed(appendReplies(rGreet, ehloReply("PIPELINING"), rOkMail, rLost), nil, []byte("x\r\n"), recipientsFlag(2)),
		// MAIL refused and RCPT accepted in one pipelined group.
		seed(appendReplies(rGreet, ehloReply("PIPELINING"), mkReply(550, "5.7.1", "no"), rOkRcpt, rGoAhead, rQueued, rBye),
			nil, []byte("x\r\n"), flagNoBDAT),
		// Two messages, NOOP and RSET between.
		seed(appendReplies(rGreet, ehloReply("PIPELINING", "8BITMIME"), rOkMail, rOkRcpt, rGoAhead, rQueued, rOkNoop, rOkReset,
			rOkMail, rOkRcpt, rGoAhead, rQueued, rBye), []byte{2, 9}, []byte("first\r\n"), flagSecond|flagNoop|flagReset),
		// Bare LF, normalized; SMTPUTF8 for the U-label recipient.
		seed(appendReplies(rGreet, ehloReply("PIPELINING", "SMTPUTF8", "8BITMIME"), rOkMail, rOkRcpt, rOkRcpt, rGoAhead, rQueued, rBye),
			nil, []byte("a\nb\rc\r\n.\n"), flagNormalize|flagIDNA|recipientsFlag(2)),
		// BINARYMIME, and a body without Len.
		seed(appendReplies(rGreet, ehloReply("CHUNKING", "BINARYMIME", "PIPELINING"), rOkMail, rOkRcpt, rOkChunk, rQueued, rBye),
			nil, []byte("\x00\xff\r\n\n"), flagBinary|flagNoLen|chunkFlag(0)),
		// A reply that breaks the grammar, and one split by a bare LF.
		seed(append(appendReplies(rGreet), "250-mx\r\n251 x\r\n"...), nil, []byte("x\r\n"), 0),
		seed(append(appendReplies(rGreet), "250 mx\nPIPELINING\r\n"...), []byte{0}, []byte("x\r\n"), 0),
	}
}

// goldenClientSeeds turns every golden session into a seed: the server's
// octets in clear, cut where it wrote, the body of its first DATA, and the
// options its header and its client suggest.
func goldenClientSeeds(t testing.TB) [][]any {
	sessions := goldenSessions(t)
	names := make([]string, 0, len(sessions))
	for name := range sessions {
		names = append(names, name)
	}
	sort.Strings(names)
	var seeds [][]any
	for _, name := range names {
		tr := sessions[name]
		server, _ := tr.SplitTLS(state.SideServer)
		var cuts []byte
		for _, w := range tr.Writes(state.SideServer) {
			cuts = append(cuts, byte(min(len(w), 256)-1))
		}
		cl, _ := tr.SplitTLS(state.SideClient)
		var f sessionFlags
		if meta, _ := tr.Meta("server"); strings.HasPrefix(meta, "lmtp") {
			f |= flagLMTP
		}
		if !bytes.Contains(cl, []byte("BDAT ")) {
			f |= flagNoBDAT
		}
		if bytes.Contains(cl, []byte("AUTH ")) {
			f |= flagAuth | flagInsecure
		}
		f |= recipientsFlag(min(3, max(1, bytes.Count(cl, []byte("RCPT TO:")))))
		body := []byte("Subject: golden\r\n\r\nbody\r\n")
		if i := bytes.Index(cl, []byte("DATA\r\n")); i >= 0 {
			var d wire.DataDecoder
			d.Policy, d.AllowNUL = wire.BareAllow, true
			body, _, _ = d.Decode(nil, cl[i+6:])
		}
		seeds = append(seeds, []any{server, cuts, body, uint16(f)})
	}
	return seeds
}

// clientSessionSeeds are the seeds of FuzzClientSession.
func clientSessionSeeds(t testing.TB) [][]any {
	return append(serializerSeeds(), goldenClientSeeds(t)...)
}
