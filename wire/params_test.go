package wire

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// requireErrAt checks that err wraps sentinel and is a *SyntaxError at off.
func requireErrAt(t *testing.T, err error, sentinel error, off int, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, sentinel, msgAndArgs...)
	var se *SyntaxError
	require.True(t, errors.As(err, &se), msgAndArgs...)
	assert.Equal(t, off, se.Offset, msgAndArgs...)
	assert.NotEmpty(t, se.Rule, msgAndArgs...)
}

type wantParam struct {
	kw, val string
	hasVal  bool
	off     int
}

func TestParamIter(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		offset  int
		want    []wantParam
		wantErr error
		errOff  int
	}{
		{name: "empty", text: ""},
		{name: "only trailing white space", text: " \t "},
		{name: "two params", text: "SIZE=1000 BODY=8BITMIME", offset: 20,
			want: []wantParam{{"SIZE", "1000", true, 20}, {"BODY", "8BITMIME", true, 30}}},
		{name: "flag and value", text: "SMTPUTF8 size=1",
			want: []wantParam{{"SMTPUTF8", "", false, 0}, {"size", "1", true, 9}}},
		{name: "trailing SP tolerated", text: "SIZE=1 ", want: []wantParam{{"SIZE", "1", true, 0}}},
		{name: "trailing HTAB tolerated", text: "SIZE=1\t", want: []wantParam{{"SIZE", "1", true, 0}}},
		{name: "keyword with digit and hyphen", text: "MT-PRIORITY=3 X9=a",
			want: []wantParam{{"MT-PRIORITY", "3", true, 0}, {"X9", "a", true, 14}}},
		{name: "value with every allowed punctuation", text: "X=!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~",
			want: []wantParam{{"X", "!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~", true, 0}}},
		{name: "UTF-8 value", text: "ORCPT=utf-8;é@example.com", want: []wantParam{{"ORCPT", "utf-8;é@example.com", true, 0}}},
		{name: "double space", text: "SIZE=1  BODY=7BIT", offset: 10,
			want: []wantParam{{"SIZE", "1", true, 10}}, wantErr: ErrSyntax, errOff: 17},
		{name: "leading space", text: " SIZE=1", offset: 5, wantErr: ErrSyntax, errOff: 5},
		{name: "empty keyword", text: "=1", wantErr: ErrSyntax, errOff: 0},
		{name: "keyword with underscore", text: "SI_ZE=1", offset: 3, wantErr: ErrSyntax, errOff: 5},
		{name: "keyword starting with hyphen", text: "-X=1", wantErr: ErrSyntax, errOff: 0},
		{name: "non-ASCII keyword", text: "SIZÉ=1", wantErr: ErrSyntax, errOff: 3},
		{name: "empty value", text: "SIZE=", offset: 1, wantErr: ErrSyntax, errOff: 6},
		{name: "equals in value", text: "AUTH=a=b", wantErr: ErrSyntax, errOff: 6},
		{name: "control in value", text: "X=a\x01b", wantErr: ErrSyntax, errOff: 3},
		{name: "DEL in value", text: "X=a\x7f", wantErr: ErrSyntax, errOff: 3},
		{name: "HTAB between params", text: "A=1\tB=2", wantErr: ErrSyntax, errOff: 3},
		{name: "CR in value", text: "A=1\rB", wantErr: ErrSyntax, errOff: 3},
		{name: "invalid UTF-8", text: "X=a\xff", offset: 2, wantErr: ErrInvalidUTF8, errOff: 5},
		{name: "truncated UTF-8", text: "X=\xc3", wantErr: ErrInvalidUTF8, errOff: 2},
		{name: "duplicate any case", text: "SIZE=1 BODY=7BIT size=2", offset: 4,
			want:    []wantParam{{"SIZE", "1", true, 4}, {"BODY", "7BIT", true, 11}},
			wantErr: ErrDuplicateParam, errOff: 21},
		{name: "duplicate flag", text: "SMTPUTF8 smtputf8", want: []wantParam{{"SMTPUTF8", "", false, 0}},
			wantErr: ErrDuplicateParam, errOff: 9},
		{name: "prefix is not a duplicate", text: "RET=FULL RETX=1",
			want: []wantParam{{"RET", "FULL", true, 0}, {"RETX", "1", true, 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Params{Text: []byte(tt.text), Offset: tt.offset}
			var got []wantParam
			it := p.Iter()
			for it.Next() {
				prm := it.Param()
				if !prm.HasValue {
					assert.Nil(t, prm.Value)
				}
				got = append(got, wantParam{string(prm.Keyword), string(prm.Value), prm.HasValue, prm.Offset})
			}
			assert.Equal(t, tt.want, got)
			assert.False(t, it.Next(), "Next after the end stays false")
			if tt.wantErr == nil {
				require.NoError(t, it.Err())
				require.NoError(t, p.Validate())
				return
			}
			requireErrAt(t, it.Err(), tt.wantErr, tt.errOff)
			requireErrAt(t, p.Validate(), tt.wantErr, tt.errOff)
		})
	}
}

func TestParamIterZeroValue(t *testing.T) {
	var it ParamIter
	assert.False(t, it.Next())
	assert.NoError(t, it.Err())
	assert.Equal(t, Param{}, it.Param())
}

func TestParamsLookup(t *testing.T) {
	p := Params{Text: []byte("SIZE=10 body=8BITMIME SMTPUTF8 "), Offset: 7}
	prm, ok := p.Lookup("BODY")
	require.True(t, ok)
	assert.Equal(t, "body", string(prm.Keyword))
	assert.Equal(t, "8BITMIME", string(prm.Value))
	assert.Equal(t, 15, prm.Offset)
	assert.True(t, p.Has("smtputf8"))
	assert.True(t, p.Has("Size"))
	assert.False(t, p.Has("SIZ"))
	assert.False(t, p.Has("RET"))
	assert.False(t, p.IsEmpty())
	assert.True(t, Params{Text: []byte("  ")}.IsEmpty())
	assert.True(t, Params{}.IsEmpty())

	bad := Params{Text: []byte("A=1 B==2 C=3")}
	assert.True(t, bad.Has("A"))
	assert.False(t, bad.Has("C"), "Lookup stops at the first grammar error")
}

func TestParamKeys(t *testing.T) {
	mailOnly := []ParamKey{ParamSIZE, ParamBODY, ParamRET, ParamENVID, ParamAUTH, ParamBY, ParamHOLDFOR,
		ParamHOLDUNTIL, ParamMTPRIORITY, ParamMTRK, ParamREQUIRETLS, ParamCONPERM, ParamSOLICIT, ParamTRANSID, ParamSUBMITTER}
	rcptOnly := []ParamKey{ParamNOTIFY, ParamORCPT, ParamRRVS, ParamCONNEG}
	for k := ParamSIZE; k < numParams; k++ {
		name := k.String()
		assert.Equal(t, k, LookupParam([]byte(name)), name)
		lower := []byte(name)
		for i := range lower {
			if lower[i] >= 'A' && lower[i] <= 'Z' {
				lower[i] += 'a' - 'A'
			}
		}
		assert.Equal(t, k, LookupParam(lower), name)
		assert.NotEqual(t, ExtUnknown, k.Ext(), name)
	}
	for _, k := range mailOnly {
		assert.True(t, k.AllowedOn(VerbMAIL), k.String())
		assert.False(t, k.AllowedOn(VerbRCPT), k.String())
		assert.False(t, k.AllowedOn(VerbVRFY), k.String())
	}
	for _, k := range rcptOnly {
		assert.True(t, k.AllowedOn(VerbRCPT), k.String())
		assert.False(t, k.AllowedOn(VerbMAIL), k.String())
		assert.False(t, k.AllowedOn(VerbEXPN), k.String())
	}
	assert.True(t, ParamSMTPUTF8.AllowedOn(VerbMAIL))
	assert.True(t, ParamSMTPUTF8.AllowedOn(VerbVRFY))
	assert.True(t, ParamSMTPUTF8.AllowedOn(VerbEXPN))
	assert.False(t, ParamSMTPUTF8.AllowedOn(VerbRCPT))
	assert.False(t, ParamSIZE.AllowedOn(VerbDATA))
	assert.False(t, ParamUnknown.AllowedOn(VerbMAIL))

	assert.Equal(t, "MT-PRIORITY", ParamMTPRIORITY.String())
	assert.Equal(t, ExtDELIVERBY, ParamBY.Ext())
	assert.Equal(t, ExtNOSOLICITING, ParamSOLICIT.Ext())
	assert.Equal(t, ExtCHECKPOINT, ParamTRANSID.Ext())
	assert.Equal(t, Ext8BITMIME, ParamBODY.Ext())
	assert.Equal(t, "UNKNOWN", ParamKey(200).String())
	assert.Equal(t, ExtUnknown, ParamKey(200).Ext())
	assert.False(t, ParamKey(200).AllowedOn(VerbMAIL))
	for _, bad := range []string{"", "SIZ", "SIZEX", "X-SIZE", "MTPRIORITY", "MT_PRIORITY"} {
		assert.Equal(t, ParamUnknown, LookupParam([]byte(bad)), bad)
	}
}

func TestDecodeVrfyParams(t *testing.T) {
	all := NewExtSet(Exts()...)
	ok, err := DecodeVrfyParams(Params{Text: []byte("SMTPUTF8")}, all)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = DecodeVrfyParams(Params{}, all)
	require.NoError(t, err)
	assert.False(t, ok)

	tests := []struct {
		text    string
		enabled ExtSet
		wantErr error
		off     int
	}{
		{"SMTPUTF8", all.Without(ExtSMTPUTF8), ErrParamNotAdvertised, 5},
		{"SMTPUTF8=YES", all, ErrBadParamValue, 13},
		{"SIZE=10", all, ErrUnknownParam, 5},
		{"SMTPUTF8 SMTPUTF8", all, ErrDuplicateParam, 14},
		{"SMTPUTF8  X", all, ErrSyntax, 14},
	}
	for _, tt := range tests {
		_, err := DecodeVrfyParams(Params{Text: []byte(tt.text), Offset: 5}, tt.enabled)
		requireErrAt(t, err, tt.wantErr, tt.off, tt.text)
	}
}

func TestParamErrorReplies(t *testing.T) {
	all := NewExtSet(Exts()...)
	var se *SyntaxError
	_, err := DecodeMailParams(Params{Text: []byte("X-FOO=1")}, all)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.Code(555), se.Reply().Code)
	assert.Equal(t, reply.E(5, 5, 4), se.Reply().Enhanced)

	_, err = DecodeMailParams(Params{Text: []byte("SIZE=1")}, 0)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.Code(555), se.Reply().Code)

	_, err = DecodeMailParams(Params{Text: []byte("SIZE=x")}, all)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.Code(501), se.Reply().Code)
	assert.Equal(t, reply.E(5, 5, 4), se.Reply().Enhanced)

	_, err = DecodeRcptParams(Params{Text: []byte("NOTIFY=NEVER notify=DELAY")}, all)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, reply.Code(501), se.Reply().Code, "RFC 3461 4.5: duplicates get 501")
	assert.Contains(t, se.Error(), "RFC 5321 4.1.2")
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		bad  int // -1 when valid
	}{
		{"2025-02-28T12:00:00Z", time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC), -1},
		{"2024-02-29t23:59:59z", time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), -1},
		{"2025-06-01T10:00:00+02:00", time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), -1},
		{"2025-06-01T10:00:00-05:30", time.Date(2025, 6, 1, 15, 30, 0, 0, time.UTC), -1},
		{"2025-06-01T10:00:00-00:00", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC), -1},
		{"2025-06-01T10:00:00.5Z", time.Date(2025, 6, 1, 10, 0, 0, 500000000, time.UTC), -1},
		{"2025-06-01T10:00:00.123456789123Z", time.Date(2025, 6, 1, 10, 0, 0, 123456789, time.UTC), -1},
		{"2016-12-31T23:59:60Z", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), -1},
		{"0000-06-01T00:00:00Z", time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC), -1},
		{"2025-02-29T12:00:00Z", time.Time{}, 8},
		{"1900-02-29T12:00:00Z", time.Time{}, 8},
		{"2025-04-31T12:00:00Z", time.Time{}, 8},
		{"2025-13-01T12:00:00Z", time.Time{}, 5},
		{"2025-00-01T12:00:00Z", time.Time{}, 5},
		{"2025-01-00T12:00:00Z", time.Time{}, 8},
		{"2025-01-01T24:00:00Z", time.Time{}, 11},
		{"2025-01-01T23:60:00Z", time.Time{}, 14},
		{"2025-01-01T23:59:61Z", time.Time{}, 17},
		{"2025-01-01 23:59:59Z", time.Time{}, 10},
		{"2025-01-01T23:59:59", time.Time{}, 19},
		{"2025-01-01T23:59:59+0100", time.Time{}, 19},
		{"2025-01-01T23:59:59+24:00", time.Time{}, 19},
		{"2025-01-01T23:59:59.Z", time.Time{}, 20},
		{"2025-01-01T23:59:59ZX", time.Time{}, 20},
		{"25-01-01T23:59:59Z", time.Time{}, 0},
		{"2025/01/01T23:59:59Z", time.Time{}, 4},
		{"0001-01-01T00:00:00Z", time.Time{}, 0},
		{"0000-01-01T00:00:00+01:00", time.Time{}, 0},
		{"9999-12-31T23:59:60Z", time.Time{}, 0},
	}
	for _, tt := range tests {
		got, bad, reason := parseDateTime([]byte(tt.in))
		assert.Equal(t, tt.bad, bad, tt.in)
		if tt.bad >= 0 {
			assert.NotEmpty(t, reason, tt.in)
			continue
		}
		assert.True(t, tt.want.Equal(got), "%s: got %v", tt.in, got)
		assert.Equal(t, time.UTC, got.Location(), tt.in)
		out, ok := appendDateTime(nil, got)
		require.True(t, ok, tt.in)
		again, bad, _ := parseDateTime(out)
		require.Equal(t, -1, bad, string(out))
		assert.Equal(t, got, again, string(out))
	}
	out, ok := appendDateTime([]byte("x"), time.Date(2025, 1, 2, 3, 4, 5, 60000000, time.FixedZone("", 3600)))
	require.True(t, ok)
	assert.Equal(t, "x2025-01-02T02:04:05.06Z", string(out))
	_, ok = appendDateTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.False(t, ok)
	_, ok = appendDateTime(nil, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.False(t, ok)
}
