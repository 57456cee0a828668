package wire

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allExts = NewExtSet(Exts()...)

func b(s string) []byte { return []byte(s) }

func TestDecodeMailParams(t *testing.T) {
	const off = 30 // where the parameters start in the line
	noUTF8 := allExts.Without(ExtSMTPUTF8)
	tests := []struct {
		name    string
		text    string
		enabled ExtSet // allExts when zero
		want    MailParams
		wantErr error
		errOff  int // offset within text; off is added
	}{
		{name: "none", text: ""},
		// SIZE, RFC 1870 3.
		{name: "SIZE 0", text: "SIZE=0", want: MailParams{HasSize: true}},
		{name: "SIZE max", text: "SIZE=18446744073709551615", want: MailParams{Size: 1<<64 - 1, HasSize: true}},
		{name: "SIZE leading zeros", text: "size=00000000000000001000", want: MailParams{Size: 1000, HasSize: true}},
		{name: "SIZE 21 digits", text: "SIZE=000000000000000000001", wantErr: ErrBadParamValue, errOff: 25},
		{name: "SIZE overflow", text: "SIZE=18446744073709551616", wantErr: ErrBadParamValue, errOff: 5},
		{name: "SIZE non-digit", text: "SIZE=12k", wantErr: ErrBadParamValue, errOff: 7},
		{name: "SIZE negative", text: "SIZE=-1", wantErr: ErrBadParamValue, errOff: 5},
		{name: "SIZE without value", text: "SIZE", wantErr: ErrBadParamValue, errOff: 4},
		{name: "SIZE not advertised", text: "SIZE=1", enabled: allExts.Without(ExtSIZE), wantErr: ErrParamNotAdvertised, errOff: 0},
		// BODY, RFC 6152 2 and RFC 3030 3.
		{name: "BODY 7BIT", text: "BODY=7bit", want: MailParams{Body: Body7Bit}},
		{name: "BODY 7BIT with BINARYMIME only", text: "BODY=7BIT", enabled: NewExtSet(ExtBINARYMIME, ExtCHUNKING), want: MailParams{Body: Body7Bit}},
		{name: "BODY 8BITMIME", text: "BODY=8BITMIME", want: MailParams{Body: Body8BitMIME}},
		{name: "BODY BINARYMIME", text: "BODY=BinaryMIME", want: MailParams{Body: BodyBinaryMIME}},
		{name: "BODY unknown value", text: "BODY=8BIT", wantErr: ErrBadParamValue, errOff: 5},
		{name: "BODY 8BITMIME without 8BITMIME", text: "BODY=8BITMIME", enabled: NewExtSet(ExtBINARYMIME, ExtCHUNKING), wantErr: ErrParamNotAdvertised},
		{name: "BODY BINARYMIME without BINARYMIME", text: "BODY=BINARYMIME", enabled: NewExtSet(Ext8BITMIME, ExtCHUNKING), wantErr: ErrParamNotAdvertised},
		{name: "BODY BINARYMIME without CHUNKING", text: "SIZE=1 BODY=BINARYMIME", enabled: allExts.Without(ExtCHUNKING), wantErr: ErrParamNotAdvertised, errOff: 7},
		{name: "BODY 7BIT with neither", text: "BODY=7BIT", enabled: NewExtSet(ExtSIZE), wantErr: ErrParamNotAdvertised},
		// SMTPUTF8, RFC 6531 3.4.
		{name: "SMTPUTF8", text: "SMTPUTF8", want: MailParams{SMTPUTF8: true}},
		{name: "SMTPUTF8 with value", text: "SMTPUTF8=YES", wantErr: ErrBadParamValue, errOff: 8},
		{name: "SMTPUTF8 not advertised", text: "SMTPUTF8", enabled: noUTF8, wantErr: ErrParamNotAdvertised},
		// RET and ENVID, RFC 3461 4.3 and 4.4.
		{name: "RET FULL", text: "RET=FULL", want: MailParams{Ret: RetFull}},
		{name: "RET hdrs", text: "RET=hdrs", want: MailParams{Ret: RetHdrs}},
		{name: "RET bad", text: "RET=BODY", wantErr: ErrBadParamValue, errOff: 4},
		{name: "RET without DSN", text: "RET=FULL", enabled: allExts.Without(ExtDSN), wantErr: ErrParamNotAdvertised},
		{name: "RET twice", text: "RET=FULL ret=HDRS", wantErr: ErrDuplicateParam, errOff: 9},
		{name: "ENVID", text: "ENVID=QQ314159", want: MailParams{EnvID: b("QQ314159")}},
		{name: "ENVID hexchar", text: "ENVID=a+2Bb+20c", want: MailParams{EnvID: b("a+2Bb+20c")}},
		{name: "ENVID 100 chars", text: "ENVID=" + strings.Repeat("x", 100), want: MailParams{EnvID: b(strings.Repeat("x", 100))}},
		{name: "ENVID 101 chars", text: "ENVID=" + strings.Repeat("x", 101), wantErr: ErrTooLong, errOff: 106},
		{name: "ENVID lower-case hex", text: "ENVID=a+2b", wantErr: ErrBadParamValue, errOff: 7},
		{name: "ENVID short hexchar", text: "ENVID=a+2", wantErr: ErrBadParamValue, errOff: 7},
		{name: "ENVID decodes to control", text: "ENVID=a+0D", wantErr: ErrBadParamValue, errOff: 7},
		{name: "ENVID decodes to 8-bit", text: "ENVID=+C3+A9", wantErr: ErrBadParamValue, errOff: 6},
		{name: "ENVID non-ASCII without SMTPUTF8", text: "ENVID=é", enabled: noUTF8, wantErr: ErrUTF8NotAllowed, errOff: 6},
		{name: "ENVID non-ASCII with SMTPUTF8", text: "ENVID=é", wantErr: ErrBadParamValue, errOff: 6},
		// AUTH, RFC 4954 5 and 8.
		{name: "AUTH null", text: "AUTH=<>", want: MailParams{Auth: b("<>")}},
		{name: "AUTH RFC 4954 5.1 example", text: "AUTH=e+3Dmc2@example.com", want: MailParams{Auth: b("e+3Dmc2@example.com")}},
		{name: "AUTH hex-encoded null", text: "AUTH=+3C+3E", want: MailParams{Auth: b("+3C+3E")}},
		{name: "AUTH raw equals", text: "AUTH=e=mc2@example.com", wantErr: ErrSyntax, errOff: 6},
		{name: "AUTH not a mailbox", text: "AUTH=alice", wantErr: ErrBadParamValue, errOff: 5},
		{name: "AUTH bad xtext", text: "AUTH=a+zz@b", wantErr: ErrBadParamValue, errOff: 6},
		{name: "AUTH not advertised", text: "AUTH=<>", enabled: allExts.Without(ExtAUTH), wantErr: ErrParamNotAdvertised},
		// BY, RFC 2852.
		{name: "BY 600;R", text: "BY=600;R", want: MailParams{By: DeliverBy{Time: 600, Mode: 'R'}, HasBy: true}},
		{name: "BY -10;N", text: "BY=-10;N", want: MailParams{By: DeliverBy{Time: -10, Mode: 'N'}, HasBy: true}},
		{name: "BY +5;nt", text: "BY=+5;nt", want: MailParams{By: DeliverBy{Time: 5, Mode: 'N', Trace: true}, HasBy: true}},
		{name: "BY trace", text: "BY=120;RT", want: MailParams{By: DeliverBy{Time: 120, Mode: 'R', Trace: true}, HasBy: true}},
		{name: "BY 9 digits", text: "BY=-999999999;N", want: MailParams{By: DeliverBy{Time: -999999999, Mode: 'N'}, HasBy: true}},
		{name: "BY 10 digits", text: "BY=1000000000;N", wantErr: ErrBadParamValue, errOff: 3},
		{name: "BY bad mode", text: "BY=600;X", wantErr: ErrBadParamValue, errOff: 7},
		{name: "BY bad trace", text: "BY=600;RX", wantErr: ErrBadParamValue, errOff: 8},
		{name: "BY missing mode", text: "BY=600;", wantErr: ErrBadParamValue, errOff: 7},
		{name: "BY missing semicolon", text: "BY=600", wantErr: ErrBadParamValue, errOff: 6},
		{name: "BY bad number", text: "BY=6x0;R", wantErr: ErrBadParamValue, errOff: 3},
		{name: "BY R needs positive time", text: "BY=0;R", wantErr: ErrBadParamValue, errOff: 3},
		{name: "BY not advertised", text: "BY=600;R", enabled: allExts.Without(ExtDELIVERBY), wantErr: ErrParamNotAdvertised},
		// HOLDFOR and HOLDUNTIL, RFC 4865.
		{name: "HOLDFOR", text: "HOLDFOR=3600", want: MailParams{HoldFor: 3600, HasHoldFor: true}},
		{name: "HOLDFOR 0", text: "HOLDFOR=0", want: MailParams{HasHoldFor: true}},
		{name: "HOLDFOR 10 digits", text: "HOLDFOR=1234567890", wantErr: ErrBadParamValue, errOff: 8},
		{name: "HOLDUNTIL Z", text: "HOLDUNTIL=2025-06-01T10:00:00Z", want: MailParams{HoldUntil: time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)}},
		{name: "HOLDUNTIL offset and fraction", text: "HOLDUNTIL=2025-06-01T10:00:00.25+02:00",
			want: MailParams{HoldUntil: time.Date(2025, 6, 1, 8, 0, 0, 250000000, time.UTC)}},
		{name: "HOLDUNTIL invalid date", text: "HOLDUNTIL=2025-02-30T10:00:00Z", wantErr: ErrBadParamValue, errOff: 18},
		{name: "HOLDUNTIL no offset", text: "HOLDUNTIL=2025-06-01T10:00:00", wantErr: ErrBadParamValue, errOff: 29},
		{name: "HOLDFOR and HOLDUNTIL", text: "HOLDFOR=10 HOLDUNTIL=2025-06-01T10:00:00Z", wantErr: ErrBadParamValue, errOff: 11},
		{name: "HOLDUNTIL and HOLDFOR", text: "HOLDUNTIL=2025-06-01T10:00:00Z HOLDFOR=10", wantErr: ErrBadParamValue, errOff: 31},
		{name: "HOLDFOR not advertised", text: "HOLDFOR=1", enabled: allExts.Without(ExtFUTURERELEASE), wantErr: ErrParamNotAdvertised},
		// MT-PRIORITY, RFC 6710 7.
		{name: "MT-PRIORITY -9", text: "MT-PRIORITY=-9", want: MailParams{MTPriority: -9, HasMTPriority: true}},
		{name: "MT-PRIORITY 0", text: "mt-priority=0", want: MailParams{HasMTPriority: true}},
		{name: "MT-PRIORITY 9", text: "MT-PRIORITY=9", want: MailParams{MTPriority: 9, HasMTPriority: true}},
		{name: "MT-PRIORITY 10", text: "MT-PRIORITY=10", wantErr: ErrBadParamValue, errOff: 12},
		{name: "MT-PRIORITY +3", text: "MT-PRIORITY=+3", wantErr: ErrBadParamValue, errOff: 12},
		{name: "MT-PRIORITY -0", text: "MT-PRIORITY=-0", wantErr: ErrBadParamValue, errOff: 12},
		{name: "MT-PRIORITY 03", text: "MT-PRIORITY=03", wantErr: ErrBadParamValue, errOff: 12},
		{name: "MT-PRIORITY not advertised", text: "MT-PRIORITY=1", enabled: allExts.Without(ExtMTPRIORITY), wantErr: ErrParamNotAdvertised},
		// MTRK, RFC 3885.
		{name: "MTRK", text: "MTRK=my-certifier", want: MailParams{MTRK: MTRK{Certifier: b("my-certifier")}}},
		{name: "MTRK with timeout", text: "MTRK=cert:1234", want: MailParams{MTRK: MTRK{Certifier: b("cert"), Timeout: 1234, HasTimeout: true}}},
		{name: "MTRK colon in certifier", text: "MTRK=a:b", want: MailParams{MTRK: MTRK{Certifier: b("a:b")}}},
		{name: "MTRK certifier ending like a timeout, then a timeout", text: "MTRK=:0:0", want: MailParams{MTRK: MTRK{Certifier: b(":0"), HasTimeout: true}}},
		{name: "MTRK empty certifier", text: "MTRK=:60", wantErr: ErrBadParamValue, errOff: 5},
		{name: "MTRK bad xtext", text: "MTRK=a+1", wantErr: ErrBadParamValue, errOff: 6},
		// REQUIRETLS, CONPERM: no value.
		{name: "REQUIRETLS", text: "REQUIRETLS", want: MailParams{RequireTLS: true}},
		{name: "REQUIRETLS with value", text: "REQUIRETLS=YES", wantErr: ErrBadParamValue, errOff: 10},
		{name: "REQUIRETLS not advertised", text: "REQUIRETLS", enabled: allExts.Without(ExtREQUIRETLS), wantErr: ErrParamNotAdvertised},
		{name: "CONPERM", text: "CONPERM", want: MailParams{ConPerm: true}},
		{name: "CONPERM with value", text: "CONPERM=1", wantErr: ErrBadParamValue, errOff: 7},
		{name: "CONPERM not advertised", text: "CONPERM", enabled: allExts.Without(ExtCONPERM), wantErr: ErrParamNotAdvertised},
		// SOLICIT, RFC 3865 2.2.
		{name: "SOLICIT", text: "SOLICIT=org.example:ADV,net.example:ADV", want: MailParams{Solicit: b("org.example:ADV,net.example:ADV")}},
		{name: "SOLICIT empty keyword", text: "SOLICIT=a,,b", wantErr: ErrBadParamValue, errOff: 10},
		{name: "SOLICIT digit first", text: "SOLICIT=1a", wantErr: ErrBadParamValue, errOff: 8},
		{name: "SOLICIT bad char", text: "SOLICIT=a/b", wantErr: ErrBadParamValue, errOff: 9},
		{name: "SOLICIT trailing comma", text: "SOLICIT=a,", wantErr: ErrBadParamValue, errOff: 10},
		{name: "SOLICIT too long", text: "SOLICIT=" + strings.Repeat("a", 1001), wantErr: ErrTooLong, errOff: 1008},
		{name: "SOLICIT not advertised", text: "SOLICIT=a", enabled: allExts.Without(ExtNOSOLICITING), wantErr: ErrParamNotAdvertised},
		// TRANSID, RFC 1845.
		{name: "TRANSID", text: "TRANSID=<12345@claremont.edu>", want: MailParams{TransID: b("<12345@claremont.edu>")}},
		{name: "TRANSID no brackets", text: "TRANSID=12345@claremont.edu", wantErr: ErrBadParamValue, errOff: 8},
		{name: "TRANSID no at", text: "TRANSID=<12345>", wantErr: ErrBadParamValue, errOff: 9},
		{name: "TRANSID not advertised", text: "TRANSID=<a@b>", enabled: allExts.Without(ExtCHECKPOINT), wantErr: ErrParamNotAdvertised},
		// SUBMITTER, RFC 4405.
		{name: "SUBMITTER", text: "SUBMITTER=sender+2Blist@example.com", want: MailParams{Submitter: b("sender+2Blist@example.com")}},
		{name: "SUBMITTER null", text: "SUBMITTER=<>", wantErr: ErrBadParamValue, errOff: 10},
		{name: "SUBMITTER not advertised", text: "SUBMITTER=a@b", enabled: allExts.Without(ExtSUBMITTER), wantErr: ErrParamNotAdvertised},
		// Generic errors.
		{name: "unknown keyword", text: "SIZE=1 X-FOO=bar", wantErr: ErrUnknownParam, errOff: 7},
		{name: "RCPT parameter on MAIL", text: "NOTIFY=NEVER", wantErr: ErrUnknownParam},
		{name: "CONNEG on MAIL", text: "CONNEG", wantErr: ErrUnknownParam},
		{name: "duplicate any case", text: "SIZE=1 size=2", wantErr: ErrDuplicateParam, errOff: 7},
		{name: "equals in value", text: "SIZE=1=2", wantErr: ErrSyntax, errOff: 6},
		{name: "empty keyword", text: "=1", wantErr: ErrSyntax},
		{name: "keyword with underscore", text: "SIZE=1 MT_PRIORITY=1", wantErr: ErrSyntax, errOff: 9},
		{name: "double space", text: "SIZE=1  BODY=7BIT", wantErr: ErrSyntax, errOff: 7},
		{name: "trailing space", text: "SIZE=1 ", want: MailParams{Size: 1, HasSize: true}},
		{name: "rich", text: "SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> BY=125;R MT-PRIORITY=3",
			want: MailParams{Size: 1000, HasSize: true, Body: Body8BitMIME, SMTPUTF8: true, Ret: RetHdrs, EnvID: b("QQ314159"),
				Auth: b("<>"), By: DeliverBy{Time: 125, Mode: 'R'}, HasBy: true, MTPriority: 3, HasMTPriority: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enabled := tt.enabled
			if enabled == 0 {
				enabled = allExts
			}
			got, err := DecodeMailParams(Params{Text: []byte(tt.text), Offset: off}, enabled)
			if tt.wantErr != nil {
				requireErrAt(t, err, tt.wantErr, off+tt.errOff)
				assert.Equal(t, MailParams{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// richMail sets every MAIL parameter but HOLDUNTIL (exclusive with HOLDFOR).
func richMail() MailParams {
	return MailParams{
		Size: 123456, HasSize: true, Body: BodyBinaryMIME, SMTPUTF8: true, Ret: RetFull,
		EnvID: b("QQ+2B314159"), Auth: b("e+3Dmc2@example.com"),
		By: DeliverBy{Time: 600, Mode: 'R', Trace: true}, HasBy: true,
		HoldFor: 3600, HasHoldFor: true, MTPriority: -4, HasMTPriority: true,
		MTRK: MTRK{Certifier: b("c:x"), Timeout: 99, HasTimeout: true}, RequireTLS: true, ConPerm: true,
		Solicit: b("org.example:ADV"), TransID: b("<1@example.com>"), Submitter: b("list@example.com"),
	}
}

func TestAppendMailParams(t *testing.T) {
	out, err := AppendMailParams(b("MAIL FROM:<a@b>"), richMail())
	require.NoError(t, err)
	assert.Equal(t, "MAIL FROM:<a@b> SIZE=123456 BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=QQ+2B314159 AUTH=e+3Dmc2@example.com"+
		" BY=600;RT HOLDFOR=3600 MT-PRIORITY=-4 MTRK=c:x:99 REQUIRETLS CONPERM SOLICIT=org.example:ADV"+
		" TRANSID=<1@example.com> SUBMITTER=list@example.com", string(out))

	out, err = AppendMailParams(nil, MailParams{HoldUntil: time.Date(2025, 6, 1, 10, 0, 0, 5e8, time.FixedZone("", -3600)), Body: Body7Bit})
	require.NoError(t, err)
	assert.Equal(t, " BODY=7BIT HOLDUNTIL=2025-06-01T11:00:00.5Z", string(out))

	out, err = AppendMailParams(nil, MailParams{})
	require.NoError(t, err)
	assert.Empty(t, out)

	tests := []struct {
		name    string
		m       MailParams
		wantErr error
		off     int
	}{
		{"CR in ENVID", MailParams{EnvID: b("a\r\nRCPT TO:<x@y>")}, ErrForbiddenByte, 1},
		{"LF in AUTH", MailParams{Auth: b("a@b\n")}, ErrForbiddenByte, 3},
		{"NUL in SUBMITTER", MailParams{Submitter: b("a\x00@b")}, ErrForbiddenByte, 1},
		{"CR in SOLICIT", MailParams{Solicit: b("a\r")}, ErrForbiddenByte, 1},
		{"LF in TRANSID", MailParams{TransID: b("<a@b>\n")}, ErrForbiddenByte, 5},
		{"CR in MTRK", MailParams{MTRK: MTRK{Certifier: b("\rx")}}, ErrForbiddenByte, 0},
		{"SP in ENVID", MailParams{EnvID: b("a b")}, ErrBadParamValue, 1},
		{"empty ENVID", MailParams{EnvID: b("")}, ErrBadParamValue, 0},
		{"long ENVID", MailParams{EnvID: b(strings.Repeat("e", 101))}, ErrTooLong, 100},
		{"AUTH not a mailbox", MailParams{Auth: b("bob")}, ErrBadParamValue, 0},
		{"bad BodyType", MailParams{Body: numBodyTypes}, ErrBadParamValue, 0},
		{"bad DSNReturn", MailParams{Ret: 9}, ErrBadParamValue, 0},
		{"BY bad mode", MailParams{By: DeliverBy{Time: 1, Mode: 'X'}, HasBy: true}, ErrBadParamValue, 0},
		{"BY R not positive", MailParams{By: DeliverBy{Time: -1, Mode: 'R'}, HasBy: true}, ErrBadParamValue, 0},
		{"BY too large", MailParams{By: DeliverBy{Time: 1e9, Mode: 'N'}, HasBy: true}, ErrBadParamValue, 0},
		{"HOLDFOR and HOLDUNTIL", MailParams{HasHoldFor: true, HoldUntil: time.Now()}, ErrBadParamValue, 0},
		{"HOLDFOR too large", MailParams{HoldFor: 1e9, HasHoldFor: true}, ErrBadParamValue, 0},
		{"HOLDUNTIL year 10000", MailParams{HoldUntil: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrBadParamValue, 0},
		{"MT-PRIORITY 10", MailParams{MTPriority: 10, HasMTPriority: true}, ErrBadParamValue, 0},
		{"MTRK timeout without certifier", MailParams{MTRK: MTRK{HasTimeout: true}}, ErrBadParamValue, 0},
		{"MTRK ambiguous certifier", MailParams{MTRK: MTRK{Certifier: b("a:12")}}, ErrBadParamValue, 0},
		{"MTRK empty certifier", MailParams{MTRK: MTRK{Certifier: b("")}}, ErrBadParamValue, 0},
		{"MTRK timeout too large", MailParams{MTRK: MTRK{Certifier: b("a"), Timeout: 1e9, HasTimeout: true}}, ErrBadParamValue, 0},
		{"SOLICIT bad", MailParams{Solicit: b("9")}, ErrBadParamValue, 0},
		{"TRANSID bad", MailParams{TransID: b("x")}, ErrBadParamValue, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := append(make([]byte, 0, 256), "MAIL FROM:<>"...)
			tt.m.HasSize, tt.m.Size = true, 7 // written before the bad field
			out, err := AppendMailParams(dst, tt.m)
			requireErrAt(t, err, tt.wantErr, tt.off)
			assert.Equal(t, "MAIL FROM:<>", string(out), "dst unchanged on error")
		})
	}
}

func TestMailParamsRoundTrip(t *testing.T) {
	rich := richMail()
	out, err := AppendMailParams(nil, rich)
	require.NoError(t, err)
	got, err := DecodeMailParams(Params{Text: out[1:]}, allExts)
	require.NoError(t, err)
	assert.Equal(t, rich, got)

	until := rich
	until.HoldFor, until.HasHoldFor = 0, false
	until.HoldUntil = time.Date(2030, 12, 31, 23, 59, 59, 999999999, time.UTC)
	out, err = AppendMailParams(nil, until)
	require.NoError(t, err)
	got, err = DecodeMailParams(Params{Text: out[1:]}, allExts)
	require.NoError(t, err)
	assert.Equal(t, until, got)

	// Decode -> Append -> Decode from a line as a client might send it.
	line := "size=42 body=8bitmime ret=hdrs envid=x+2By BY=+60;nt HOLDUNTIL=2025-06-01T10:00:00.120-07:00 mt-priority=-1 mtrk=c:007"
	first, err := DecodeMailParams(Params{Text: b(line)}, allExts)
	require.NoError(t, err)
	out, err = AppendMailParams(nil, first)
	require.NoError(t, err)
	assert.Equal(t, " SIZE=42 BODY=8BITMIME RET=HDRS ENVID=x+2By BY=60;NT HOLDUNTIL=2025-06-01T17:00:00.12Z MT-PRIORITY=-1 MTRK=c:7", string(out))
	second, err := DecodeMailParams(Params{Text: out[1:]}, allExts)
	require.NoError(t, err)
	assert.Equal(t, first, second)
}

func TestMailParamsNeeds(t *testing.T) {
	assert.Equal(t, ExtSet(0), MailParams{}.Needs())
	assert.Equal(t, NewExtSet(ExtSIZE, ExtBINARYMIME, ExtCHUNKING, ExtSMTPUTF8, ExtDSN, ExtAUTH, ExtDELIVERBY,
		ExtFUTURERELEASE, ExtMTPRIORITY, ExtMTRK, ExtREQUIRETLS, ExtCONPERM, ExtNOSOLICITING, ExtCHECKPOINT, ExtSUBMITTER),
		richMail().Needs())
	assert.Equal(t, NewExtSet(Ext8BITMIME), MailParams{Body: Body7Bit}.Needs())
	assert.Equal(t, NewExtSet(Ext8BITMIME), MailParams{Body: Body8BitMIME}.Needs())
	assert.Equal(t, NewExtSet(ExtDSN), MailParams{Ret: RetHdrs}.Needs())
	assert.Equal(t, NewExtSet(ExtFUTURERELEASE), MailParams{HoldUntil: time.Now()}.Needs())

	// What Needs reports is exactly what DecodeMailParams asks for.
	m := richMail()
	out, err := AppendMailParams(nil, m)
	require.NoError(t, err)
	_, err = DecodeMailParams(Params{Text: out[1:]}, m.Needs())
	require.NoError(t, err)
	for _, e := range Exts() {
		if !m.Needs().Has(e) {
			continue
		}
		_, err = DecodeMailParams(Params{Text: out[1:]}, m.Needs().Without(e))
		assert.ErrorIs(t, err, ErrParamNotAdvertised, e.String())
	}
}

func TestBodyAndRetNames(t *testing.T) {
	assert.Equal(t, "BINARYMIME", BodyBinaryMIME.String())
	assert.Equal(t, "7BIT", Body7Bit.String())
	assert.Equal(t, "", BodyNone.String())
	assert.Equal(t, "", BodyType(99).String())
	assert.Equal(t, "HDRS", RetHdrs.String())
	assert.Equal(t, "", DSNReturn(99).String())
}
