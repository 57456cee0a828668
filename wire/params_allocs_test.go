//go:build !race

package wire

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The allocation tests run without the race detector, which allocates.

func TestParamIterAllocs(t *testing.T) {
	p := Params{Text: []byte("SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 "), Offset: 21}
	n := testing.AllocsPerRun(200, func() {
		it := p.Iter()
		count := 0
		for it.Next() {
			count++
		}
		if it.Err() != nil || count != 5 {
			t.Fatal("unexpected iteration result")
		}
		if _, ok := p.Lookup("envid"); !ok || p.Validate() != nil || LookupParam([]byte("mt-priority")) != ParamMTPRIORITY {
			t.Fatal("unexpected lookup result")
		}
	})
	require.Zero(t, n)
}

func TestDecodeMailParamsAllocs(t *testing.T) {
	p := Params{Text: []byte("SIZE=1000 BODY=8BITMIME SMTPUTF8")}
	full := Params{Text: []byte("SIZE=1 RET=FULL ENVID=x+2By AUTH=<> BY=60;RT HOLDUNTIL=2025-06-01T10:00:00.5+02:00 MT-PRIORITY=-2 MTRK=c:9")}
	n := testing.AllocsPerRun(200, func() {
		m, err := DecodeMailParams(p, allExts)
		if err != nil || m.Size != 1000 || m.Body != Body8BitMIME || !m.SMTPUTF8 {
			t.Fatal("unexpected decode result")
		}
		if _, err := DecodeMailParams(full, allExts); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, n)
}

func TestDecodeRcptParamsAllocs(t *testing.T) {
	p := Params{Text: []byte("NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Btag@example.com")}
	u := Params{Text: []byte(`NOTIFY=NEVER ORCPT=utf-8;\x{E9}l\x{E8}ve@example.com RRVS=2014-04-03T23:01:00Z;C`)}
	n := testing.AllocsPerRun(200, func() {
		r, err := DecodeRcptParams(p, allExts)
		if err != nil || r.Notify != NotifySuccess|NotifyFailure || r.ORCPT.Addr == nil {
			t.Fatal("unexpected decode result")
		}
		if _, err := DecodeRcptParams(u, allExts); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, n)
}

func TestAppendMailParamsAllocs(t *testing.T) {
	m := richMail()
	until := MailParams{HoldUntil: time.Date(2030, 1, 2, 3, 4, 5, 6e8, time.UTC), Body: Body7Bit}
	r := richRcpt()
	dst := make([]byte, 0, 1024)
	n := testing.AllocsPerRun(200, func() {
		out, err := AppendMailParams(dst[:0], m)
		if err != nil || len(out) == 0 {
			t.Fatal(err)
		}
		if _, err := AppendMailParams(dst[:0], until); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendRcptParams(dst[:0], r); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, n)
}

func TestXtextAllocs(t *testing.T) {
	raw := []byte("e=mc2+élève@example.com")
	enc := AppendXtext(nil, raw)
	addr := []byte("élève+x@example.com")
	uenc, err := AppendUTF8AddrXtext(nil, addr)
	require.NoError(t, err)
	dst := make([]byte, 0, 256)
	n := testing.AllocsPerRun(200, func() {
		_ = AppendXtext(dst[:0], raw)
		if _, err := DecodeXtext(dst[:0], enc); err != nil || !IsXtext(enc) {
			t.Fatal(err)
		}
		if _, err := AppendUTF8AddrXtext(dst[:0], addr); err != nil {
			t.Fatal(err)
		}
		if _, err := AppendUTF8AddrUnitext(dst[:0], addr); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeUTF8AddrText(dst[:0], uenc); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, n)
}
