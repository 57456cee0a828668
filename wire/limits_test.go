package wire

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandLineLimit(t *testing.T) {
	all := NewExtSet(Exts()...)
	cases := []struct {
		name string
		exts ExtSet
		want int
	}{
		{"none", 0, 512},
		{"unrelated extensions add nothing", NewExtSet(ExtPIPELINING, ExtSTARTTLS, ExtCHUNKING, ExtENHANCEDSTATUSCODES), 512},
		{"SIZE RFC 1870", NewExtSet(ExtSIZE), 512 + 26},
		{"AUTH RFC 4954", NewExtSet(ExtAUTH), 512 + 500},
		{"SMTPUTF8 RFC 6531", NewExtSet(ExtSMTPUTF8), 512 + 10},
		{"8BITMIME", NewExtSet(Ext8BITMIME), 512 + 16},
		{"BINARYMIME RFC 3030", NewExtSet(ExtBINARYMIME), 512 + 16},
		{"one BODY for both", NewExtSet(Ext8BITMIME, ExtBINARYMIME), 512 + 16},
		{"REQUIRETLS RFC 8689", NewExtSet(ExtREQUIRETLS), 512 + 11},
		{"DSN: RCPT side wins", NewExtSet(ExtDSN), 512 + 530},
		{"DELIVERBY", NewExtSet(ExtDELIVERBY), 512 + 17},
		{"FUTURERELEASE", NewExtSet(ExtFUTURERELEASE), 512 + 64},
		{"MT-PRIORITY", NewExtSet(ExtMTPRIORITY), 512 + 16},
		{"MTRK", NewExtSet(ExtMTRK), 512 + 128},
		{"RRVS", NewExtSet(ExtRRVS), 512 + 64},
		{"DSN and RRVS on RCPT", NewExtSet(ExtDSN, ExtRRVS), 512 + 530 + 64},
		{"MAIL side wins", NewExtSet(ExtDSN, ExtSIZE, ExtAUTH), 512 + 26 + 500 + 110},
		{"submission set", NewExtSet(ExtSIZE, ExtAUTH, Ext8BITMIME, ExtSMTPUTF8, ExtPIPELINING), 512 + 26 + 500 + 16 + 10},
		{"everything", all, 512 + 26 + 500 + 10 + 16 + 110 + 17 + 64 + 16 + 128 + 11},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, CommandLineLimit(tc.exts), tc.name)
	}
}

// TestCommandLineIncrementsCoverValues checks each increment against the
// longest parameter text it must make room for, including the space that
// separates it.
func TestCommandLineIncrementsCoverValues(t *testing.T) {
	const dateTime = "2026-12-31T23:59:59.123456789+14:00"
	cases := []struct {
		param string
		inc   int
		exact bool // the RFC declares exactly this parameter's length
	}{
		{" SIZE=" + strings.Repeat("9", 20), incSIZE, true},
		{" SMTPUTF8", incSMTPUTF8, false},
		{" BODY=BINARYMIME", incBODY, true},
		{" BODY=8BITMIME", incBODY, false},
		{" REQUIRETLS", incREQUIRETLS, true},
		{" RET=HDRS ENVID=" + strings.Repeat("x", 100-len("ENVID=")), incDSNMail, true},
		{" NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;" + strings.Repeat("x", 500-len("ORCPT=rfc822;")), incDSNRcpt, true},
		{" BY=-999999999;RT", incDELIVERBY, true},
		{" HOLDUNTIL=" + dateTime, incFUTURERELEASE, false},
		{" HOLDFOR=999999999", incFUTURERELEASE, false},
		{" MT-PRIORITY=-9", incMTPRIORITY, false},
		{" MTRK=" + strings.Repeat("A", 100) + ":999999999", incMTRK, false},
		{" RRVS=" + dateTime + ";C", incRRVS, false},
	}
	for _, tc := range cases {
		if tc.exact {
			assert.Equal(t, tc.inc, len(tc.param), tc.param)
		} else {
			assert.LessOrEqual(t, len(tc.param), tc.inc, tc.param)
		}
	}
}

// TestCommandLineLimitLongestMail builds the longest MAIL command every
// extension allows, on a 256-octet path (RFC 5321 4.5.3.1.3), and checks
// the splitter accepts it under CommandLineLimit but not under 512.
func TestCommandLineLimitLongestMail(t *testing.T) {
	exts := NewExtSet(ExtSIZE, ExtAUTH, ExtSMTPUTF8, Ext8BITMIME, ExtBINARYMIME, ExtDSN,
		ExtDELIVERBY, ExtFUTURERELEASE, ExtMTPRIORITY, ExtMTRK, ExtREQUIRETLS)
	path := "<" + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 189) + ">"
	require.Len(t, path, 256)
	auth := " AUTH=" + strings.Repeat("c", incAUTH-len(" AUTH="))
	mail := "MAIL FROM:" + path + " SIZE=" + strings.Repeat("9", 20) + auth + " SMTPUTF8" +
		" BODY=BINARYMIME RET=HDRS ENVID=" + strings.Repeat("e", 94) + " BY=-999999999;RT" +
		" HOLDUNTIL=2026-12-31T23:59:59.123456789+14:00 MT-PRIORITY=-9" +
		" MTRK=" + strings.Repeat("A", 100) + ":999999999 REQUIRETLS\r\n"
	limit := CommandLineLimit(exts)
	require.LessOrEqual(t, len(mail), limit)
	require.Greater(t, len(mail), 2*MaxCommandLine)

	s := LineSplitter{Max: limit}
	adv, line, err := s.Split([]byte(mail))
	require.NoError(t, err)
	assert.Equal(t, len(mail), adv)
	assert.Equal(t, mail[:len(mail)-2], string(line))

	var plain LineSplitter
	_, _, err = plain.Split([]byte(mail))
	assert.ErrorIs(t, err, ErrLineTooLong)
}
