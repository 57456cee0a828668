package reply_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/smtpkit/smtpkit/reply"
)

func TestCodeBoundaries(t *testing.T) {
	tests := []struct {
		code     reply.Code
		valid    bool
		class    reply.Class
		category reply.Category
		str      string
	}{
		{0, false, reply.ClassNone, 0, "Code(0)"},
		{99, false, reply.ClassNone, 9, "Code(99)"},
		{199, false, reply.ClassNone, 9, "199"},
		{200, true, reply.ClassPositive, reply.CategorySyntax, "200"},
		{211, true, reply.ClassPositive, reply.CategoryInformation, "211"},
		{259, true, reply.ClassPositive, reply.CategoryMailSystem, "259"},
		{260, false, reply.ClassNone, 6, "260"},
		{299, false, reply.ClassNone, 9, "299"},
		{300, true, reply.ClassIntermediate, reply.CategorySyntax, "300"},
		{334, true, reply.ClassIntermediate, reply.CategoryUnspecified3, "334"},
		{421, true, reply.ClassTransient, reply.CategoryConnections, "421"},
		{445, true, reply.ClassTransient, reply.CategoryUnspecified4, "445"},
		{559, true, reply.ClassPermanent, reply.CategoryMailSystem, "559"},
		{560, false, reply.ClassNone, 6, "560"},
		{600, false, reply.ClassNone, reply.CategorySyntax, "600"},
		{999, false, reply.ClassNone, 9, "999"},
		{1000, false, reply.ClassNone, reply.CategorySyntax, "Code(1000)"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			assert.Equal(t, tt.valid, tt.code.Valid())
			assert.Equal(t, tt.class, tt.code.Class())
			assert.Equal(t, tt.category, tt.code.Category())
			assert.Equal(t, tt.str, tt.code.String())
			assert.Equal(t, tt.class == reply.ClassPositive, tt.code.IsPositive())
			assert.Equal(t, tt.class == reply.ClassIntermediate, tt.code.IsIntermediate())
			assert.Equal(t, tt.class == reply.ClassTransient, tt.code.IsTransient())
			assert.Equal(t, tt.class == reply.ClassPermanent, tt.code.IsPermanent())
			assert.Equal(t, tt.class == reply.ClassTransient || tt.class == reply.ClassPermanent, tt.code.IsNegative())
		})
	}
}

func TestCodeAppend(t *testing.T) {
	assert.Equal(t, "x250", string(reply.Code(250).Append([]byte("x"))))
	assert.Equal(t, "000", string(reply.Code(0).Append(nil)))
	assert.Equal(t, "000", string(reply.Code(1000).Append(nil)))
	assert.Equal(t, "100", string(reply.Code(100).Append(nil)))
}

func TestClassAndCategoryString(t *testing.T) {
	assert.Equal(t, "none", reply.ClassNone.String())
	assert.Equal(t, "positive completion", reply.ClassPositive.String())
	assert.Equal(t, "positive intermediate", reply.ClassIntermediate.String())
	assert.Equal(t, "transient negative", reply.ClassTransient.String())
	assert.Equal(t, "permanent negative", reply.ClassPermanent.String())
	assert.Equal(t, "Class(1)", reply.Class(1).String())
	assert.Equal(t, "Class(6)", reply.Class(6).String())
	assert.Equal(t, "syntax", reply.CategorySyntax.String())
	assert.Equal(t, "mail system", reply.CategoryMailSystem.String())
	assert.Equal(t, "Category(6)", reply.Category(6).String())
}
