package auth

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// FuzzNTLMChallenge feeds arbitrary CHALLENGE_MESSAGEs to the NTLM client.
// It must never panic, and either refuse the message with an *Error that
// wraps ErrMalformed, ErrTooLong or ErrUnsupported and does not reveal the
// password, or answer with an AUTHENTICATE_MESSAGE that parses back, names
// the configured user and domain, fits MaxResponse, carries a valid
// NTLMv2 proof for the right password only, and follows MS-NLMP section
// 3.1.5.1.2 (Z(24) and a valid MIC when the server sent MsvAvTimestamp).
func FuzzNTLMChallenge(f *testing.F) {
	f.Add(unhex(f, specChallengeHex))
	ts := []byte{0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01}
	exchangeLike := buildTestChallenge(testChallenge{
		flags: 0xe28a8215, serverChallenge: [8]byte{0xd7, 0xc4, 0xc7, 0x99, 0x45, 0x23, 0x30, 0xce}, targetName: "CONTOSO",
		pairs: []avPair{
			{avNbDomainName, utf16le("CONTOSO")}, {avNbComputerName, utf16le("EXCH01")},
			{0x0004, utf16le("contoso.com")}, {0x0003, utf16le("exch01.contoso.com")},
			{avFlags, []byte{1, 0, 0, 0}}, {avTimestamp, ts},
		},
	})
	f.Add(exchangeLike)
	f.Add(exchangeLike[:len(exchangeLike)-4])
	f.Add(buildTestChallenge(testChallenge{flags: flagUnicode | flagNTLM, noTargetInfo: true}))
	f.Add(buildTestChallenge(testChallenge{flags: flagOEM | flagNTLM | flagTargetInfo}))
	f.Add(appendNegotiate(nil, ntlmClientFlags))
	f.Add([]byte{})

	const password = "fuzz-Pa55word"
	f.Fuzz(func(t *testing.T, challenge []byte) {
		ctx := context.Background()
		mech := NTLMClient("CONTOSO", "relay", password, WithRand(specRand()), WithClock(specClock))
		c, err := mech.NewClient(ConnState{})
		if err != nil {
			t.Fatal(err)
		}
		ir, _, err := c.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		negotiate := append([]byte(nil), ir...)
		out, err := c.Next(ctx, challenge)
		if len(challenge) == 0 {
			// An empty 334 asks for the NEGOTIATE_MESSAGE again.
			if err != nil || string(out) != string(negotiate) {
				t.Fatalf("empty challenge: %q, %v", out, err)
			}
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Mechanism != "NTLM" {
				t.Fatalf("error is not an NTLM *Error: %#v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLong) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected sentinel: %v", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatal("error reveals the password")
			}
			return
		}
		if len(out) > MaxResponse {
			t.Fatalf("AUTHENTICATE_MESSAGE of %d octets", len(out))
		}
		ch, err := parseChallenge(challenge)
		if err != nil {
			t.Fatalf("client accepted a challenge the parser refuses: %v", err)
		}
		if ch.flags&flagUnicode == 0 {
			t.Fatal("client answered a server without NTLMSSP_NEGOTIATE_UNICODE")
		}
		v, err := verifyNTLMv2(negotiate, challenge, out, password)
		if err != nil {
			t.Fatalf("AUTHENTICATE_MESSAGE does not verify: %v", err)
		}
		if v.user != "relay" || v.domain != "CONTOSO" || len(v.msg.workstation) != 0 {
			t.Fatalf("names: %q %q %q", v.user, v.domain, v.msg.workstation)
		}
		if v.msg.flags&^(ntlmClientFlags|flagTargetInfo) != 0 || v.msg.flags&^ch.flags != 0 {
			t.Fatalf("flags %#x not agreed from server %#x", v.msg.flags, ch.flags)
		}
		if _, err := verifyNTLMv2(negotiate, challenge, out, password+"!"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("wrong password verifies: %v", err)
		}
		if stamp, ok := ch.timestamp(); ok {
			if !v.micChecked || string(v.time) != string(stamp[:]) {
				t.Fatal("MsvAvTimestamp present but no valid MIC or another time")
			}
			if string(v.msg.lmResponse) != string(make([]byte, 24)) {
				t.Fatal("MsvAvTimestamp present but LmChallengeResponse is not Z(24)")
			}
		} else {
			want := fileTime(specEpoch)
			if v.micChecked || binary.LittleEndian.Uint64(v.time) != binary.LittleEndian.Uint64(want[:]) {
				t.Fatal("no MsvAvTimestamp, yet a MIC or a time other than the clock's")
			}
		}
		// A third round is refused.
		if _, err := c.Next(ctx, challenge); !errors.Is(err, ErrMalformed) {
			t.Fatalf("second challenge: %v", err)
		}
	})
}
