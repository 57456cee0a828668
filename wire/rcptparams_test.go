package wire

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeRcptParams(t *testing.T) {
	const off = 20
	noUTF8 := allExts.Without(ExtSMTPUTF8)
	long := "rfc822;" + strings.Repeat("a", 493) // 500 octets
	tests := []struct {
		name    string
		text    string
		enabled ExtSet // allExts when zero
		want    RcptParams
		wantErr error
		errOff  int
	}{
		{name: "none", text: ""},
		// NOTIFY, RFC 3461 4.1.
		{name: "NOTIFY NEVER", text: "NOTIFY=NEVER", want: RcptParams{Notify: NotifyNever}},
		{name: "NOTIFY list", text: "NOTIFY=SUCCESS,FAILURE,DELAY", want: RcptParams{Notify: NotifySuccess | NotifyFailure | NotifyDelay}},
		{name: "NOTIFY any case", text: "notify=delay,Failure", want: RcptParams{Notify: NotifyFailure | NotifyDelay}},
		{name: "NOTIFY NEVER combined", text: "NOTIFY=SUCCESS,NEVER", wantErr: ErrBadParamValue, errOff: 15},
		{name: "NOTIFY NEVER first", text: "NOTIFY=NEVER,DELAY", wantErr: ErrBadParamValue, errOff: 13},
		{name: "NOTIFY empty item", text: "NOTIFY=SUCCESS,,DELAY", wantErr: ErrBadParamValue, errOff: 15},
		{name: "NOTIFY leading comma", text: "NOTIFY=,DELAY", wantErr: ErrBadParamValue, errOff: 7},
		{name: "NOTIFY trailing comma", text: "NOTIFY=DELAY,", wantErr: ErrBadParamValue, errOff: 13},
		{name: "NOTIFY unknown item", text: "NOTIFY=SUCCESS,ALWAYS", wantErr: ErrBadParamValue, errOff: 15},
		{name: "NOTIFY duplicate item", text: "NOTIFY=DELAY,SUCCESS,delay", wantErr: ErrBadParamValue, errOff: 21},
		{name: "NOTIFY without value", text: "NOTIFY", wantErr: ErrBadParamValue, errOff: 6},
		{name: "NOTIFY twice", text: "NOTIFY=NEVER NOTIFY=DELAY", wantErr: ErrDuplicateParam, errOff: 13},
		{name: "NOTIFY without DSN", text: "NOTIFY=NEVER", enabled: allExts.Without(ExtDSN), wantErr: ErrParamNotAdvertised},
		// ORCPT, RFC 3461 4.2 and RFC 6533 3.
		{name: "ORCPT rfc822", text: "ORCPT=rfc822;Dana@Ivory.example.net",
			want: RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("Dana@Ivory.example.net")}}},
		{name: "ORCPT rfc822 xtext", text: "ORCPT=RFC822;a+2Bb+3Dc@example.com",
			want: RcptParams{ORCPT: ORCPT{AddrType: b("RFC822"), Addr: b("a+2Bb+3Dc@example.com")}}},
		{name: "ORCPT x400", text: "ORCPT=x400;/C+3Dus/", want: RcptParams{ORCPT: ORCPT{AddrType: b("x400"), Addr: b("/C+3Dus/")}}},
		{name: "ORCPT raw equals", text: "ORCPT=x400;/C=us/", wantErr: ErrSyntax, errOff: 13},
		{name: "ORCPT utf-8 xtext form", text: `ORCPT=utf-8;\x{E9}l\x{E8}ve@example.com`,
			want: RcptParams{ORCPT: ORCPT{AddrType: b("utf-8"), Addr: b(`\x{E9}l\x{E8}ve@example.com`)}}},
		{name: "ORCPT utf-8 xtext form without SMTPUTF8", text: `ORCPT=UTF-8;a\x{2B}b\x{4E2D}@example.com`, enabled: noUTF8,
			want: RcptParams{ORCPT: ORCPT{AddrType: b("UTF-8"), Addr: b(`a\x{2B}b\x{4E2D}@example.com`)}}},
		{name: "ORCPT utf-8 unitext form", text: "ORCPT=utf-8;élève@example.com",
			want: RcptParams{ORCPT: ORCPT{AddrType: b("utf-8"), Addr: b("élève@example.com")}}},
		{name: "ORCPT utf-8 unitext without SMTPUTF8", text: "ORCPT=utf-8;élève@example.com", enabled: noUTF8,
			wantErr: ErrUTF8NotAllowed, errOff: 12},
		{name: "ORCPT utf-8 raw plus", text: "ORCPT=utf-8;a+b@example.com", wantErr: ErrBadParamValue, errOff: 13},
		{name: "ORCPT utf-8 bad HEXPOINT", text: `ORCPT=utf-8;a\x{41}@example.com`, wantErr: ErrBadParamValue, errOff: 13},
		// Postfix's form for a UTF-8 recipient: rfc822 with the UTF-8
		// octets as xtext, accepted only where SMTPUTF8 is offered.
		{name: "ORCPT rfc822 decoding to UTF-8", text: "ORCPT=rfc822;b+C3+B8b@example.net",
			want: RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("b+C3+B8b@example.net")}}},
		{name: "ORCPT rfc822 UTF-8 without SMTPUTF8", text: "ORCPT=rfc822;b+C3+B8b@example.net", enabled: noUTF8,
			wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT rfc822 bad UTF-8", text: "ORCPT=rfc822;b+C3b@example.net", wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT rfc822 decoding to a C1 control", text: "ORCPT=rfc822;+C2+80", wantErr: ErrBadParamValue, errOff: 13},
		{name: "ORCPT rfc822 decoding to DEL", text: "ORCPT=rfc822;a+7F", wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT x400 8-bit", text: "ORCPT=x400;/C+C3+B8/", wantErr: ErrBadParamValue, errOff: 13},
		{name: "ORCPT rfc822 control", text: "ORCPT=rfc822;a+01b", wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT missing semicolon", text: "ORCPT=rfc822", wantErr: ErrBadParamValue, errOff: 12},
		{name: "ORCPT unknown addr-type", text: "ORCPT=foo;a@b", wantErr: ErrBadParamValue, errOff: 6},
		{name: "ORCPT empty addr-type", text: "ORCPT=;a@b", wantErr: ErrBadParamValue, errOff: 6},
		{name: "ORCPT empty address", text: "ORCPT=rfc822;", wantErr: ErrBadParamValue, errOff: 13},
		{name: "ORCPT bad xtext", text: "ORCPT=rfc822;a+4", wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT decodes to control", text: "ORCPT=rfc822;a+0A", wantErr: ErrBadParamValue, errOff: 14},
		{name: "ORCPT 500 chars", text: "ORCPT=" + long, want: RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b(long[7:])}}},
		{name: "ORCPT 501 chars", text: "ORCPT=" + long + "a", wantErr: ErrTooLong, errOff: 506},
		// RRVS, RFC 7293.
		{name: "RRVS", text: "RRVS=2014-04-03T23:01:00Z", want: RcptParams{RRVS: RRVS{Time: time.Date(2014, 4, 3, 23, 1, 0, 0, time.UTC)}}},
		{name: "RRVS ;C", text: "RRVS=2014-04-03T23:01:00-05:00;C", want: RcptParams{RRVS: RRVS{Time: time.Date(2014, 4, 4, 4, 1, 0, 0, time.UTC), Mode: 'C'}}},
		{name: "RRVS ;r", text: "RRVS=2014-04-03T23:01:00Z;r", want: RcptParams{RRVS: RRVS{Time: time.Date(2014, 4, 3, 23, 1, 0, 0, time.UTC), Mode: 'R'}}},
		{name: "RRVS bad mode", text: "RRVS=2014-04-03T23:01:00Z;X", wantErr: ErrBadParamValue, errOff: 26},
		{name: "RRVS long mode", text: "RRVS=2014-04-03T23:01:00Z;CR", wantErr: ErrBadParamValue, errOff: 26},
		{name: "RRVS bad date", text: "RRVS=2014-04-31T23:01:00Z", wantErr: ErrBadParamValue, errOff: 13},
		{name: "RRVS not advertised", text: "RRVS=2014-04-03T23:01:00Z", enabled: allExts.Without(ExtRRVS), wantErr: ErrParamNotAdvertised},
		// CONNEG, RFC 4141.
		{name: "CONNEG", text: "CONNEG", want: RcptParams{ConNeg: true}},
		{name: "CONNEG with value", text: "CONNEG=1", wantErr: ErrBadParamValue, errOff: 6},
		{name: "CONNEG not advertised", text: "CONNEG", enabled: allExts.Without(ExtCONNEG), wantErr: ErrParamNotAdvertised},
		// Generic errors.
		{name: "MAIL parameter on RCPT", text: "SIZE=10", wantErr: ErrUnknownParam},
		{name: "BY on RCPT", text: "NOTIFY=NEVER BY=600;R", wantErr: ErrUnknownParam, errOff: 13},
		{name: "unknown keyword", text: "XFOO", wantErr: ErrUnknownParam},
		{name: "grammar error", text: "NOTIFY=NEVER ORCPT=a=b", wantErr: ErrSyntax, errOff: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enabled := tt.enabled
			if enabled == 0 {
				enabled = allExts
			}
			got, err := DecodeRcptParams(Params{Text: []byte(tt.text), Offset: off}, enabled)
			if tt.wantErr != nil {
				requireErrAt(t, err, tt.wantErr, off+tt.errOff)
				assert.Equal(t, RcptParams{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func richRcpt() RcptParams {
	return RcptParams{
		Notify: NotifySuccess | NotifyDelay,
		ORCPT:  ORCPT{AddrType: b("utf-8"), Addr: b(`j\x{2B}\x{E9}@example.com`)},
		RRVS:   RRVS{Time: time.Date(2014, 4, 3, 23, 1, 0, 0, time.UTC), Mode: 'R'},
		ConNeg: true,
	}
}

// TestRcptParamsUTF8ORCPT: an rfc822 ORCPT whose xtext decodes to UTF-8,
// as Postfix relays it, is written as read, so a relay passes it on, and
// needs SMTPUTF8, as only such a server accepts it.
func TestRcptParamsUTF8ORCPT(t *testing.T) {
	r := RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("b+C3+B8b@example.net")}}
	out, err := AppendRcptParams(nil, r)
	require.NoError(t, err)
	assert.Equal(t, " ORCPT=rfc822;b+C3+B8b@example.net", string(out))
	assert.True(t, r.Needs().Has(ExtSMTPUTF8))
	assert.True(t, r.Needs().Has(ExtDSN))
	ascii := RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("b+2Bb@example.net")}}
	assert.False(t, ascii.Needs().Has(ExtSMTPUTF8))
	broken := RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("a+C")}}
	assert.False(t, broken.Needs().Has(ExtSMTPUTF8), "no panic on an unchecked value")
	_, err = AppendRcptParams(nil, broken)
	assert.ErrorIs(t, err, ErrBadParamValue)
	_, err = AppendRcptParams(nil, RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("+C2+80")}})
	assert.ErrorIs(t, err, ErrBadParamValue, "a C1 control is no printable UTF-8")
}

func TestAppendRcptParams(t *testing.T) {
	out, err := AppendRcptParams(b("RCPT TO:<x@y>"), richRcpt())
	require.NoError(t, err)
	assert.Equal(t, `RCPT TO:<x@y> NOTIFY=SUCCESS,DELAY ORCPT=utf-8;j\x{2B}\x{E9}@example.com RRVS=2014-04-03T23:01:00Z;R CONNEG`, string(out))

	out, err = AppendRcptParams(nil, RcptParams{Notify: NotifyNever, ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("a+2B@b")}})
	require.NoError(t, err)
	assert.Equal(t, " NOTIFY=NEVER ORCPT=rfc822;a+2B@b", string(out))

	tests := []struct {
		name    string
		r       RcptParams
		wantErr error
		off     int
	}{
		{"NEVER combined", RcptParams{Notify: NotifyNever | NotifyDelay}, ErrBadParamValue, 0},
		{"unknown notify bit", RcptParams{Notify: 1 << 6}, ErrBadParamValue, 0},
		{"CR in ORCPT", RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("a@b\r\nDATA")}}, ErrForbiddenByte, 3},
		{"NUL in addr-type", RcptParams{ORCPT: ORCPT{AddrType: b("rfc\x00822"), Addr: b("a@b")}}, ErrForbiddenByte, 3},
		{"ORCPT without type", RcptParams{ORCPT: ORCPT{Addr: b("a@b")}}, ErrBadParamValue, 0},
		{"ORCPT unknown type", RcptParams{ORCPT: ORCPT{AddrType: b("smtp"), Addr: b("a@b")}}, ErrBadParamValue, 0},
		{"ORCPT raw plus", RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b("a+b")}}, ErrBadParamValue, 8},
		{"ORCPT too long", RcptParams{ORCPT: ORCPT{AddrType: b("rfc822"), Addr: b(strings.Repeat("a", 494))}}, ErrTooLong, 500},
		{"RRVS bad mode", RcptParams{RRVS: RRVS{Time: time.Now(), Mode: 'X'}}, ErrBadParamValue, 0},
		{"RRVS mode without time", RcptParams{RRVS: RRVS{Mode: 'C'}}, ErrBadParamValue, 0},
		{"RRVS year 10000", RcptParams{RRVS: RRVS{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, ErrBadParamValue, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := AppendRcptParams(b("RCPT TO:<>"), tt.r)
			requireErrAt(t, err, tt.wantErr, tt.off)
			assert.Equal(t, "RCPT TO:<>", string(out))
		})
	}
}

func TestRcptParamsRoundTrip(t *testing.T) {
	rich := richRcpt()
	out, err := AppendRcptParams(nil, rich)
	require.NoError(t, err)
	got, err := DecodeRcptParams(Params{Text: out[1:]}, allExts)
	require.NoError(t, err)
	assert.Equal(t, rich, got)

	line := "notify=delay,success orcpt=RFC822;bob+40example.com rrvs=2014-04-03T23:01:00.5+01:00;c conneg"
	first, err := DecodeRcptParams(Params{Text: b(line)}, allExts)
	require.NoError(t, err)
	out, err = AppendRcptParams(nil, first)
	require.NoError(t, err)
	assert.Equal(t, " NOTIFY=SUCCESS,DELAY ORCPT=RFC822;bob+40example.com RRVS=2014-04-03T22:01:00.5Z;C CONNEG", string(out))
	second, err := DecodeRcptParams(Params{Text: out[1:]}, allExts)
	require.NoError(t, err)
	assert.Equal(t, first, second)
}

func TestRcptParamsNeeds(t *testing.T) {
	assert.Equal(t, ExtSet(0), RcptParams{}.Needs())
	assert.Equal(t, NewExtSet(ExtDSN, ExtRRVS, ExtCONNEG), richRcpt().Needs())
	unitext := RcptParams{ORCPT: ORCPT{AddrType: b("utf-8"), Addr: b("é@example.com")}}
	assert.Equal(t, NewExtSet(ExtDSN, ExtSMTPUTF8), unitext.Needs())
	assert.Equal(t, NewExtSet(ExtDSN), RcptParams{Notify: NotifyNever}.Needs())
}

func TestNotifyFlags(t *testing.T) {
	assert.Equal(t, "", NotifyFlags(0).String())
	assert.Equal(t, "NEVER", NotifyNever.String())
	assert.Equal(t, "SUCCESS,FAILURE,DELAY", (NotifyDelay | NotifyFailure | NotifySuccess).String())
	assert.True(t, NotifyFlags(0).Valid())
	assert.True(t, NotifyNever.Valid())
	assert.True(t, (NotifyFailure | NotifyDelay).Valid())
	assert.False(t, (NotifyNever | NotifyDelay).Valid())
	assert.False(t, NotifyFlags(0x80).Valid())
}
