package wire

import "testing"

func BenchmarkDecodeMailParams(b *testing.B) {
	p := Params{Text: []byte("SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<>")}
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Text)))
	for b.Loop() {
		if _, err := DecodeMailParams(p, allExts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRcptParams(b *testing.B) {
	p := Params{Text: []byte("NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;Dana+2BDSN@Ivory.example.net")}
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Text)))
	for b.Loop() {
		if _, err := DecodeRcptParams(p, allExts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMailParams(b *testing.B) {
	m := richMail()
	dst := make([]byte, 0, 1024)
	out, _ := AppendMailParams(dst, m)
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := AppendMailParams(dst[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkXtext(b *testing.B) {
	raw := []byte("e=mc2+tag@example.com, a mailbox with a few specials")
	enc := AppendXtext(nil, raw)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		dst = AppendXtext(dst[:0], raw)
		var err error
		if dst, err = DecodeXtext(dst[:0], enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUTF8AddrText(b *testing.B) {
	addr := []byte("élève+tag@exemple.fr")
	enc, _ := AppendUTF8AddrXtext(nil, addr)
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(addr)))
	for b.Loop() {
		var err error
		if dst, err = AppendUTF8AddrXtext(dst[:0], addr); err != nil {
			b.Fatal(err)
		}
		if dst, err = DecodeUTF8AddrText(dst[:0], enc); err != nil {
			b.Fatal(err)
		}
	}
}
