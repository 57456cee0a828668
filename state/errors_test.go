package state

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestViolation(t *testing.T) {
	var err error = &Violation{Side: SideClient, Rule: "RFC 5321 4.1.4", Detail: "MAIL inside a transaction"}
	assert.Equal(t, "client: RFC 5321 4.1.4: MAIL inside a transaction", err.Error())
	assert.ErrorIs(t, err, ErrProtocol)
	var v *Violation
	assert.True(t, errors.As(err, &v))
	assert.Equal(t, SideClient, v.Side)
}
