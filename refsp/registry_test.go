package refsp_test

import (
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/refsp/refsaml"
)

// TestRegistryFaults holds the weakness registries to the fault catalog: every fault (or
// pattern) a weakness lists names faults of the catalog, of its SP's protocol, which the
// oracle then maps to that weakness and no other.
func TestRegistryFaults(t *testing.T) {
	type entry struct {
		name   string
		faults []string
		lookup func(idp.FaultID) (string, bool)
	}
	var saml, oidc []entry
	for _, w := range refsaml.Weaknesses() {
		saml = append(saml, entry{string(w), w.Faults(), func(id idp.FaultID) (string, bool) {
			x, ok := refsaml.WeaknessFor(string(id))
			return string(x), ok
		}})
	}
	for _, w := range refoidc.Weaknesses() {
		oidc = append(oidc, entry{string(w), w.Faults(), func(id idp.FaultID) (string, bool) {
			x, ok := refoidc.WeaknessFor(string(id))
			return string(x), ok
		}})
	}
	for proto, entries := range map[idp.Protocol][]entry{idp.ProtocolSAML: saml, idp.ProtocolOIDC: oidc} {
		for _, e := range entries {
			for _, p := range e.faults {
				n := 0
				for _, f := range idp.Faults() {
					if prefix, ok := strings.CutSuffix(p, "*"); !(ok && strings.HasPrefix(string(f.ID), prefix)) && string(f.ID) != p {
						continue
					}
					n++
					if f.Protocol != proto {
						t.Errorf("%s lists %s, a fault of %s", e.name, f.ID, f.Protocol)
					}
					if got, _ := e.lookup(f.ID); got != e.name {
						t.Errorf("%s lists %s, but the oracle maps it to %q", e.name, f.ID, got)
					}
				}
				if n == 0 {
					t.Errorf("%s lists %q, which names no fault of the catalog", e.name, p)
				}
			}
		}
	}
}
