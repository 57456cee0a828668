package reply_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/reply"
)

// namedCodes lists every named Code constant with its default enhanced code
// (SPEC 3.4) and whether it has a default text.
var namedCodes = []struct {
	code    reply.Code
	enh     reply.Enhanced
	hasText bool
}{
	{reply.CodeSystemStatus, reply.E(2, 0, 0), true},
	{reply.CodeHelp, reply.E(2, 0, 0), true},
	{reply.CodeReady, reply.Enhanced{}, true},
	{reply.CodeClosing, reply.E(2, 0, 0), true},
	{reply.CodeAuthSucceeded, reply.E(2, 7, 0), true},
	{reply.CodeOK, reply.E(2, 0, 0), true},
	{reply.CodeUserNotLocal, reply.E(2, 1, 5), true},
	{reply.CodeCannotVerify, reply.E(2, 0, 0), true},
	{reply.CodeETRNPendingStarted, reply.E(2, 0, 0), true},
	{reply.CodeAuthContinue, reply.Enhanced{}, false},
	{reply.CodeStartMailInput, reply.Enhanced{}, true},
	{reply.CodeServiceNotAvailable, reply.E(4, 3, 2), true},
	{reply.CodePasswordTransition, reply.E(4, 7, 12), true},
	{reply.CodeMailboxBusy, reply.E(4, 2, 0), true},
	{reply.CodeLocalError, reply.E(4, 3, 0), true},
	{reply.CodeInsufficientStorage, reply.E(4, 3, 1), true},
	{reply.CodeATRNNoMail, reply.E(4, 0, 0), true},
	{reply.CodeTempAuthFailure, reply.E(4, 7, 0), true},
	{reply.CodeParamsNotAccommodated, reply.E(4, 5, 4), true},
	{reply.CodeETRNUnableToQueue, reply.E(4, 0, 0), true},
	{reply.CodeETRNNodeNotAllowed, reply.E(4, 0, 0), true},
	{reply.CodeSyntaxError, reply.E(5, 5, 2), true},
	{reply.CodeParamSyntaxError, reply.E(5, 5, 4), true},
	{reply.CodeNotImplemented, reply.E(5, 5, 1), true},
	{reply.CodeBadSequence, reply.E(5, 5, 1), true},
	{reply.CodeParamNotImplemented, reply.E(5, 5, 4), true},
	{reply.CodeNoMailAccepted, reply.E(5, 3, 2), true},
	{reply.CodeAuthRequired, reply.E(5, 7, 0), true},
	{reply.CodeAuthTooWeak, reply.E(5, 7, 9), true},
	{reply.CodeAuthInvalid, reply.E(5, 7, 8), true},
	{reply.CodeEncryptionRequired, reply.E(5, 7, 11), true},
	{reply.CodeMailboxUnavailable, reply.E(5, 0, 0), true},
	{reply.CodeUserNotLocalTry, reply.E(5, 1, 6), true},
	{reply.CodeExceededStorage, reply.E(5, 3, 4), true},
	{reply.CodeMailboxNameNotAllowed, reply.E(5, 1, 3), true},
	{reply.CodeTransactionFailed, reply.E(5, 0, 0), true},
	{reply.CodeParamsNotRecognized, reply.E(5, 5, 4), true},
	{reply.CodeDomainNoMail, reply.E(5, 1, 10), true},
}

func TestDefaultEnhancedNamedCodes(t *testing.T) {
	for _, tt := range namedCodes {
		t.Run(tt.code.String(), func(t *testing.T) {
			got := reply.DefaultEnhanced(tt.code)
			assert.Equal(t, tt.enh, got)
			if !got.IsZero() {
				assert.True(t, got.Valid())
				assert.Equal(t, tt.code.Class(), reply.Class(got.Class), "class must agree (RFC 3463 section 2)")
				_, ok := reply.LookupEnhanced(got)
				assert.True(t, ok, "default %v is in the registry", got)
			}
		})
	}
}

func TestDefaultEnhancedOtherCodes(t *testing.T) {
	tests := []struct {
		code reply.Code
		want reply.Enhanced
	}{
		{200, reply.E(2, 0, 0)},
		{259, reply.E(2, 0, 0)},
		{354, reply.Enhanced{}},
		{399, reply.Enhanced{}},
		{400, reply.E(4, 0, 0)},
		{499, reply.Enhanced{}}, // invalid: second digit 9
		{459, reply.E(4, 0, 0)},
		{557, reply.E(5, 0, 0)},
		{0, reply.Enhanced{}},
		{199, reply.Enhanced{}},
		{260, reply.Enhanced{}},
		{560, reply.Enhanced{}},
		{600, reply.Enhanced{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, reply.DefaultEnhanced(tt.code), "code %d", tt.code)
	}
}

func TestCodeText(t *testing.T) {
	for _, tt := range namedCodes {
		text := tt.code.Text()
		if !tt.hasText {
			assert.Empty(t, text, tt.code.String())
			continue
		}
		assert.NotEmpty(t, text, tt.code.String())
		assert.NotContains(t, text, "<domain>", tt.code.String())
		assert.NotContains(t, text, "<forward-path>", tt.code.String())
	}
	assert.Equal(t, "Requested mail action okay, completed", reply.CodeOK.Text())
	assert.Equal(t, "Service ready", reply.CodeReady.Text())
	assert.Equal(t, "Service not available, closing transmission channel", reply.CodeServiceNotAvailable.Text())
	assert.Equal(t, "Start mail input; end with <CRLF>.<CRLF>", reply.CodeStartMailInput.Text())
	assert.Equal(t, "MAIL FROM/RCPT TO parameters not recognized or not implemented", reply.CodeParamsNotRecognized.Text())
	assert.Equal(t, "", reply.Code(299).Text())
	assert.Equal(t, "", reply.Code(0).Text())
	assert.Equal(t, "", reply.Code(557).Text())
}

// TestNamedCodesListed checks that namedCodes lists every Code constant
// declared in code.go, so the tests above cover every named code.
func TestNamedCodesListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "code.go", nil, 0)
	require.NoError(t, err)
	declared := map[reply.Code]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok, name.Name)
				v, err := strconv.Atoi(lit.Value)
				require.NoError(t, err)
				declared[reply.Code(v)] = name.Name
			}
		}
	}
	require.NotEmpty(t, declared)
	listed := map[reply.Code]bool{}
	for _, tt := range namedCodes {
		listed[tt.code] = true
		_, ok := declared[tt.code]
		assert.True(t, ok, "%d is not a named constant", tt.code)
	}
	for c, name := range declared {
		assert.True(t, listed[c], "%s (%d) missing from namedCodes", name, c)
	}
}
