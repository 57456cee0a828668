package tlsmode_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpkit/smtpkit/tlsmode"
)

func TestPortsTable(t *testing.T) {
	ps := tlsmode.Ports()
	require.NotEmpty(t, ps)
	for i, p := range ps {
		if i > 0 {
			assert.Less(t, ps[i-1].Number, p.Number, "sorted by number")
		}
		got, ok := tlsmode.LookupPort(p.Number)
		require.True(t, ok)
		assert.Equal(t, p, got)
		assert.NotEmpty(t, p.Name)
		assert.NotEmpty(t, p.Spec)
		// Every convention resolves to itself.
		m, pol, err := tlsmode.Resolve(p.Number, tlsmode.ModeAuto, tlsmode.PolicyAuto)
		require.NoError(t, err, p.Number)
		assert.Equal(t, p.Mode, m, p.Number)
		assert.Equal(t, p.Policy, pol, p.Number)
	}
	ps[0].Number = 1 // a copy: the table is unchanged
	_, ok := tlsmode.LookupPort(1)
	assert.False(t, ok)

	p24, _ := tlsmode.LookupPort(24)
	assert.True(t, p24.LMTP)
	p465, _ := tlsmode.LookupPort(465)
	assert.Equal(t, "submissions", p465.Name)
}

func TestResolve(t *testing.T) {
	const (
		auto  = tlsmode.ModeAuto
		none  = tlsmode.ModeNone
		start = tlsmode.ModeSTARTTLS
		impl  = tlsmode.ModeImplicit
		pAuto = tlsmode.PolicyAuto
		off   = tlsmode.PolicyDisabled
		opp   = tlsmode.PolicyOpportunistic
		req   = tlsmode.PolicyRequired
	)
	tests := []struct {
		name       string
		port       int
		mode       tlsmode.Mode
		policy     tlsmode.Policy
		wantMode   tlsmode.Mode
		wantPolicy tlsmode.Policy
		wantErr    string // substring of the error; "" for success
	}{
		{"587 only", 587, auto, pAuto, start, req, ""},
		{"465 only", 465, auto, pAuto, impl, req, ""},
		{"25 only", 25, auto, pAuto, start, opp, ""},
		{"2525 only", 2525, auto, pAuto, start, req, ""},
		{"24 only", 24, auto, pAuto, start, opp, ""},
		{"unknown port: safe default", 10025, auto, pAuto, start, req, ""},
		{"unknown port, opportunistic", 10025, auto, opp, start, opp, ""},
		{"unknown port, implicit", 10465, impl, pAuto, impl, req, ""},
		{"unknown port, none", 1025, none, pAuto, none, off, ""},
		{"25 required (MTA-STS)", 25, auto, req, start, req, ""},
		{"587 starttls opportunistic", 587, start, opp, start, opp, ""},
		{"587 none (asked)", 587, none, off, none, off, ""},
		{"25 none", 25, none, pAuto, none, off, ""},
		{"465 implicit explicit", 465, impl, req, impl, req, ""},

		{"starttls on 465", 465, start, pAuto, start, pAuto, "port 465 expects implicit TLS (RFC 8314 section 3.3)"},
		{"starttls on 465 fix", 465, start, req, start, req, "use ModeImplicit, or port 587"},
		{"none on 465", 465, none, off, none, off, "port 465 expects implicit TLS"},
		{"implicit on 587", 587, impl, pAuto, impl, pAuto, "port 587 (submission) expects a plaintext greeting and STARTTLS"},
		{"implicit on 25", 25, impl, req, impl, req, "or port 465 with ModeImplicit"},
		{"implicit on 2525", 2525, impl, pAuto, impl, pAuto, "expects a plaintext greeting"},
		{"none + required", 1025, none, req, none, req, "contradicts the required policy"},
		{"none + opportunistic", 25, none, opp, none, opp, "contradicts the opportunistic policy"},
		{"starttls + disabled", 587, start, off, start, off, "use ModeNone"},
		{"auto + disabled on 587", 587, auto, off, auto, off, "ModeSTARTTLS with TLS disabled"},
		{"implicit + opportunistic", 10465, impl, opp, impl, opp, "implicit TLS is always required"},
		{"auto + opportunistic on 465", 465, auto, opp, auto, opp, "implicit TLS is always required"},
		{"implicit + disabled", 465, impl, off, impl, off, "implicit TLS is always required"},
		{"port 0", 0, auto, pAuto, auto, pAuto, "not a TCP port"},
		{"port too big", 70000, auto, pAuto, auto, pAuto, "not a TCP port"},
		{"bad mode", 587, tlsmode.Mode(9), pAuto, tlsmode.Mode(9), pAuto, "unknown mode"},
		{"bad policy", 587, auto, tlsmode.Policy(9), auto, tlsmode.Policy(9), "unknown policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, p, err := tlsmode.Resolve(tt.port, tt.mode, tt.policy)
			assert.Equal(t, tt.wantMode, m)
			assert.Equal(t, tt.wantPolicy, p)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tlsmode.ErrConfig)
			assert.Contains(t, err.Error(), tt.wantErr)
			var ce *tlsmode.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.port, ce.Port)
			assert.Equal(t, tt.mode, ce.Mode)
			assert.Equal(t, tt.policy, ce.Policy)
			assert.NotEmpty(t, ce.Fix, "every configuration error says what to change")
		})
	}
}

// TestResolveAllCombinations checks that Resolve never returns an auto or
// contradictory result for any input on the conventional ports.
func TestResolveAllCombinations(t *testing.T) {
	portsToTry := []int{24, 25, 366, 465, 587, 2525, 1025}
	for _, port := range portsToTry {
		for m := tlsmode.ModeAuto; m <= tlsmode.ModeImplicit; m++ {
			for p := tlsmode.PolicyAuto; p <= tlsmode.PolicyRequired; p++ {
				gm, gp, err := tlsmode.Resolve(port, m, p)
				if err != nil {
					continue
				}
				assert.NotEqual(t, tlsmode.ModeAuto, gm)
				assert.NotEqual(t, tlsmode.PolicyAuto, gp)
				if m != tlsmode.ModeAuto {
					assert.Equal(t, m, gm, "an explicit mode is kept")
				}
				if p != tlsmode.PolicyAuto {
					assert.Equal(t, p, gp, "an explicit policy is kept")
				}
				assert.Equal(t, gm == tlsmode.ModeNone, gp == tlsmode.PolicyDisabled, "%d %v %v", port, m, p)
				if gm == tlsmode.ModeImplicit {
					assert.Equal(t, tlsmode.PolicyRequired, gp)
				}
				// A resolved configuration resolves to itself.
				rm, rp, err := tlsmode.Resolve(port, gm, gp)
				require.NoError(t, err)
				assert.Equal(t, gm, rm)
				assert.Equal(t, gp, rp)
			}
		}
	}
}
