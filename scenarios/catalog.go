package scenarios

import (
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/internal/glob"
)

// Kinds of check.
const (
	// KindFault: the mock IdP mints a response (good or bad) and the SP must accept or
	// refuse it.
	KindFault = "fault"
	// KindConfig: a misconfiguration check; the IdP behaves as Entra would and the check
	// explains what the SP and the app disagree on.
	KindConfig = "config"
)

// Check is one entry of the conformance catalog: a fault of idp's catalog, or a
// misconfiguration check.
type Check struct {
	// ID is the check ID of checks.md.
	ID string `json:"id"`
	// Protocol is "SAML", "OIDC", "SCIM" (ProtocolSCIM) or "Graph" (ProtocolGraph).
	Protocol string `json:"protocol"`
	// Kind is KindFault, KindConfig, KindFinding or KindGraph.
	Kind string `json:"kind"`
	// Description says what the check does.
	Description string `json:"description"`
	// Expected is the default expectation: accept, reject or warn for faults; "configured"
	// for config checks.
	Expected string `json:"expected"`
	// References are the sources.
	References []string `json:"references,omitempty"`
	// Fault is the idp fault of a fault check (nil for config checks).
	Fault *idp.Fault `json:"-"`

	config  *configCheck
	finding *finding
	scim    *scimCheck
	graph   *graphCheck
}

// Matches reports whether the check matches a pattern: its ID, a glob, or either after a
// protocol prefix "saml:" or "oidc:" (for the config checks that exist for both). The syntax
// is documented once in internal/glob.
func (c Check) Matches(pattern string) bool { return glob.Match(pattern, c.Protocol, c.ID) }

// Key is the check's unique name in a run: the ID, prefixed by the protocol for config
// checks and findings (which exist once per protocol).
func (c Check) Key() string {
	if c.Kind == KindConfig || c.Kind == KindFinding {
		return strings.ToLower(c.Protocol) + ":" + c.ID
	}
	return c.ID
}

// Catalog is every check, in report order: the SAML faults, the SAML config checks, the SAML
// findings, then the same for OIDC, then the scim.* checks of the target's SCIM endpoint,
// then the graph.* checks of an importer. Findings are judged over the checks run before them.
func Catalog() []Check {
	var out []Check
	for _, p := range []idp.Protocol{idp.ProtocolSAML, idp.ProtocolOIDC} {
		for _, f := range idp.Faults() {
			if f.Protocol != p {
				continue
			}
			out = append(out, Check{ID: string(f.ID), Protocol: string(f.Protocol), Kind: KindFault,
				Description: f.Description, Expected: string(f.Expect.Expected()), References: f.References, Fault: &f})
		}
		for _, cc := range configChecks {
			if cc.protocol != string(p) {
				continue
			}
			out = append(out, Check{ID: cc.id, Protocol: cc.protocol, Kind: KindConfig, Description: cc.description,
				Expected: "configured", References: cc.references, config: cc})
		}
		for _, fd := range allFindings() {
			if fd.protocol != string(p) {
				continue
			}
			out = append(out, Check{ID: fd.id, Protocol: fd.protocol, Kind: KindFinding, Description: fd.description,
				Expected: fd.expectation(), References: fd.references, finding: fd})
		}
	}
	for _, sc := range scimChecks {
		out = append(out, Check{ID: sc.id, Protocol: ProtocolSCIM, Kind: KindSCIM, Description: sc.description,
			Expected: "accept", References: sc.references, scim: sc})
	}
	return append(out, graphCatalog()...)
}

// Select returns the checks of the catalog matching any of only (all when only is empty)
// and none of skip. Each element may be a comma-separated list of patterns (see
// Check.Matches).
func Select(only, skip []string) []Check {
	var out []Check
	for _, c := range Catalog() {
		if len(only) > 0 && !glob.MatchAny(only, c.Protocol, c.ID) {
			continue
		}
		if glob.MatchAny(skip, c.Protocol, c.ID) {
			continue
		}
		out = append(out, c)
	}
	return out
}
