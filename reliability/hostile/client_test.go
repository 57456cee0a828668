//go:build reliability

// This file proves our client package (github.com/smtpkit/smtpkit/client)
// cannot be injected into or exhausted by a hostile server: a reply
// injected behind the 220 to STARTTLS is never taken as the answer to a
// later command (RFC 3207 section 4.2, CVE-2011-0411 client side, SPEC
// 5.2); an endless multi-line reply fails after state.ClientConfig's
// MaxReplyLines (smtpreply.DefaultMaxLines) in bounded time and memory;
// overlong reply lines (RFC 5321 section 4.5.3.1.5), endless lines
// without CRLF, garbage, NUL and invalid codes (section 4.2) are typed
// errors (*client.Error wrapping state.ErrProtocol), never a panic or a
// hang.
package hostile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smtpkit/smtpkit/client"
	smtpreply "github.com/smtpkit/smtpkit/reply"
	"github.com/smtpkit/smtpkit/state"
	"github.com/smtpkit/smtpkit/tlsmode"
	"github.com/smtpkit/smtpkit/wire"
	"github.com/stretchr/testify/require"
)

// requireProtocolError requires a *client.Error that wraps
// state.ErrProtocol, within bound.
func requireProtocolError(t *testing.T, err error, took time.Duration, what string) *client.Error {
	t.Helper()
	require.Error(t, err, "%s: the client accepted it", what)
	var ce *client.Error
	require.True(t, errors.As(err, &ce), "%s: not a *client.Error: %T %v", what, err, err)
	require.ErrorIs(t, err, state.ErrProtocol, "%s", what)
	require.Less(t, took, 5*time.Second, "%s: took %v", what, took)
	return ce
}

// TestClientSTARTTLSResponseInjection: the fake server answers STARTTLS
// with "220 go ahead\r\n250 injected\r\n" in one write. The client must
// fail with a typed error naming RFC 3207, never start TLS, and never send
// a command the injected 250 would answer.
func TestClientSTARTTLSResponseInjection(t *testing.T) {
	cases := 0
	for _, pol := range []tlsmode.Policy{tlsmode.PolicyRequired, tlsmode.PolicyOpportunistic} {
		for _, inj := range []string{"250 injected\r\n", "250-injected\r\n250 AUTH PLAIN\r\n", "421 bye\r\n", "x"} {
			what := fmt.Sprintf("policy %v, %q behind the 220", pol, inj)
			var after string
			addr, _, done := fakeServer(t, func(f *fake) {
				f.write("220 fake.example ESMTP\r\n")
				f.ehlo("PIPELINING", "STARTTLS")
				if f.line() != "STARTTLS" {
					return
				}
				f.write("220 go ahead\r\n" + inj)
				after = f.rest(ioWait)
			})
			took, err := dialFake(t, addr, client.WithTLS(tlsmode.ModeSTARTTLS, pol))
			ce := requireProtocolError(t, err, took, what)
			require.Contains(t, err.Error(), "RFC 3207 4.2", what)
			waitDone(t, done)
			// Nothing after the 220: no ClientHello, no command for the
			// injected reply to answer.
			require.Empty(t, after, "%s: the client sent %q after the 220 (op %s)", what, trunc(after), ce.Op)
			cases++
		}
	}
	t.Logf("RESULT client-starttls-injection: %d sessions with octets behind the 220 to STARTTLS (policy required/opportunistic): each a *client.Error wrapping state.ErrProtocol (RFC 3207 4.2), connection closed with nothing sent, no TLS started", cases)
}

// TestClientEndlessMultiline: the EHLO reply is "250-x" forever (and the
// greeting "220-x" forever). The client must stop after
// smtpreply.DefaultMaxLines lines with smtpreply.ErrReplyTooLong, having read a
// bounded amount.
func TestClientEndlessMultiline(t *testing.T) {
	mib := scale(8, 64)
	for _, where := range []string{"greeting", "ehlo"} {
		addr, f, done := fakeServer(t, func(f *fake) {
			line := "250-x\r\n"
			if where == "greeting" {
				line = "220-x\r\n"
			} else {
				f.write("220 fake.example ESMTP\r\n")
				f.line()
			}
			block := []byte(strings.Repeat(line, (64<<10)/len(line)))
			for i := 0; i < mib*16; i++ {
				if !f.writeBytes(block) {
					return
				}
			}
		})
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		took, err := dialFake(t, addr)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		requireProtocolError(t, err, took, "endless "+where)
		require.ErrorIs(t, err, smtpreply.ErrReplyTooLong)
		_ = f.nc.Close()
		waitDone(t, done)
		alloc := after.TotalAlloc - before.TotalAlloc
		f.mu.Lock()
		written := f.written
		f.mu.Unlock()
		require.Less(t, alloc, uint64(8<<20), "the client allocated %d octets", alloc)
		t.Logf("RESULT client-endless-reply (%s): server offered %d MiB of continuation lines, wrote %d KiB before the client closed; client failed (bounds: %d lines, %d octets a line) in %v with %q, allocating %d KiB",
			where, mib, written/1024, smtpreply.DefaultMaxLines, wire.MaxReplyLine, took.Round(time.Millisecond), err, alloc/1024)
	}
}

// TestClientEndlessReplyLine: the greeting is one line without CRLF,
// megabytes long, and then the server holds the connection. The client
// must end with wire.ErrLineTooLong as soon as the line passes 512 octets
// (RFC 5321 section 4.5.3.1.5), not at its greeting timeout (2 s here),
// in bounded memory.
func TestClientEndlessReplyLine(t *testing.T) {
	mib := scale(8, 64)
	addr, f, done := fakeServer(t, func(f *fake) {
		f.write("220 ")
		block := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < mib*16; i++ {
			if !f.writeBytes(block) {
				return
			}
		}
		f.rest(3 * ioWait) // hold the connection until the client gives up
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	took, err := dialFake(t, addr, client.WithTimeouts(state.Timeouts{Greeting: 2 * time.Second}))
	runtime.ReadMemStats(&after)
	waitDone(t, done)
	require.Error(t, err, "the client accepted an endless greeting line")
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, wire.ErrLineTooLong)
	require.Less(t, took, time.Second, "failed at once, not at the greeting timeout")
	alloc := after.TotalAlloc - before.TotalAlloc
	require.Less(t, alloc, uint64(8<<20), "the client allocated %d octets", alloc)
	f.mu.Lock()
	written := f.written
	f.mu.Unlock()
	t.Logf("RESULT client-endless-reply-line: a greeting line without CRLF (%d KiB written before the client closed): the client failed past octet 512 (ErrLineTooLong) after %v with %q, allocating %d KiB", written/1024, took.Round(time.Millisecond), err, alloc/1024)
}

// TestClientBadReplies plays malformed replies as the greeting, as the
// EHLO reply and as the reply to MAIL.
func TestClientBadReplies(t *testing.T) {
	rng := rand.New(rand.NewPCG(garbageSeed, 3))
	bad := []struct{ name, reply string }{
		{"line of 513 octets", "250 " + strings.Repeat("x", wire.MaxReplyLine-5) + "\r\n"},
		{"line of 100 kB", "250 " + strings.Repeat("x", 100_000) + "\r\n"},
		{"NUL in text", "250 a\x00b\r\n"},
		{"NUL in code", "2\x0050 ok\r\n"},
		{"code 999", "999 what\r\n"},
		{"code 2x0", "2x0 what\r\n"},
		{"code 600", "600 what\r\n"},
		{"code 199", "199 what\r\n"},
		{"two digits", "25 ok\r\n"},
		{"four digits", "2500 ok\r\n"},
		{"no separator", "250ok\r\n"},
		{"bare LF", "250 a\nb\r\n"},
		{"bare LF at the end", "250 a\n250 b\r\n"},
		{"bare CR", "250 ok\rmore\r\n"},
		{"code changes", "250-a\r\n251 b\r\n"},
		{"empty line", "\r\n"},
	}
	for i := 0; i < scale(8, 100); i++ {
		b := make([]byte, 1+rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		bad = append(bad, struct{ name, reply string }{fmt.Sprintf("random %d", i), string(b) + "\r\n"})
	}
	typed, accepted := 0, []string{}
	for _, b := range bad {
		for _, where := range []string{"greeting", "ehlo", "mail"} {
			what := b.name + " as the " + where + " reply"
			addr, _, done := fakeServer(t, func(f *fake) {
				r := b.reply
				if where == "greeting" {
					r = strings.Replace(r, "250", "220", 1)
				} else {
					f.write("220 fake.example ESMTP\r\n")
					if where == "mail" {
						f.ehlo("8BITMIME")
						f.line()
					} else {
						f.line()
					}
				}
				f.write(r)
				f.rest(2 * time.Second)
			})
			ctx := t.Context()
			start := time.Now()
			c, err := client.Dial(ctx, addr, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
			if err == nil && where == "mail" {
				_, err = c.Send(ctx, client.Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
				_ = c.Close()
			} else if err == nil {
				_ = c.Close()
			}
			took := time.Since(start)
			waitDone(t, done)
			if err == nil || !errors.Is(err, state.ErrProtocol) {
				accepted = append(accepted, fmt.Sprintf("%s: %v", what, err))
				continue
			}
			requireProtocolError(t, err, took, what)
			typed++
		}
	}
	require.Empty(t, accepted, "malformed replies not refused with a protocol error")
	t.Logf("RESULT client-bad-replies: %d malformed replies (%d fixed: lines over 512, NUL, codes 999/2x0/600/199, 2 or 4 digits, no separator, bare CR/LF, changing code, empty line; %d seeded random) x greeting/EHLO/MAIL: %d typed errors (*client.Error, state.ErrProtocol), 0 panics, 0 hangs",
		len(bad), len(bad)-scale(8, 100), scale(8, 100), typed)
}

// TestClientEightBitReplyText documents a tolerance: reply text with
// 8-bit octets (outside RFC 5321 section 4.2's textstring, which RFC 6531
// section 3.7.4 relaxes for UTF-8) is accepted. The test proves it stays
// harmless: no panic, and the text in a refusal's error is sanitised.
func TestClientEightBitReplyText(t *testing.T) {
	addr, _, done := fakeServer(t, func(f *fake) {
		f.write("220 caf\xc3\xa9 \xff ESMTP\r\n")
		f.ehlo()
		f.line()
		f.write("550 5.1.1 caf\xc3\xa9 \xff\x1b[31m bad\r\n")
		f.rest(2 * time.Second)
	})
	ctx := t.Context()
	c, err := client.Dial(ctx, addr, client.WithTLS(tlsmode.ModeNone, tlsmode.PolicyDisabled))
	require.NoError(t, err, "8-bit greeting text")
	_, err = c.Send(ctx, client.Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	_ = c.Close()
	waitDone(t, done)
	var re *smtpreply.Error
	require.ErrorAs(t, err, &re, "the 550 to MAIL")
	require.NotContains(t, err.Error(), "\x1b", "an escape sequence from the server reaches the error text")
	t.Logf("RESULT client-8bit-reply-text: 8-bit reply text tolerated (greeting accepted, 550 a *reply.Error), control octets removed from the error text: %q", err.Error())
}
