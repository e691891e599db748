package scenarios

import (
	"path"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
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
	// Protocol is "SAML" or "OIDC".
	Protocol string `json:"protocol"`
	// Kind is KindFault or KindConfig.
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
}

// Matches reports whether the check matches a glob (or an ID, or "protocol:glob" where
// protocol is saml or oidc, for config checks that exist for both).
func (c Check) Matches(glob string) bool {
	if p, g, ok := strings.Cut(glob, ":"); ok && !strings.Contains(p, ".") {
		if !strings.EqualFold(p, c.Protocol) {
			return false
		}
		glob = g
	}
	ok, _ := path.Match(glob, c.ID)
	return ok || glob == c.ID
}

// Key is the check's unique name in a run: the ID, prefixed by the protocol for config
// checks and findings (which exist once per protocol).
func (c Check) Key() string {
	if c.Kind == KindConfig || c.Kind == KindFinding {
		return strings.ToLower(c.Protocol) + ":" + c.ID
	}
	return c.ID
}

// Catalog is every check, in report order: the SAML faults, the SAML config checks, the SAML
// findings, then the same for OIDC. Findings are judged over the checks run before them.
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
		for _, fd := range findings {
			if fd.protocol != string(p) {
				continue
			}
			out = append(out, Check{ID: fd.id, Protocol: fd.protocol, Kind: KindFinding, Description: fd.description,
				Expected: verdictWarnText, References: fd.references, finding: fd})
		}
	}
	return out
}

// Select returns the checks of the catalog matching any of only (all when only is empty)
// and none of skip.
func Select(only, skip []string) []Check {
	var out []Check
	for _, c := range Catalog() {
		if len(only) > 0 && !matchAny(c, only) {
			continue
		}
		if matchAny(c, skip) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func matchAny(c Check, globs []string) bool {
	for _, g := range globs {
		for _, part := range strings.Split(g, ",") {
			if part = strings.TrimSpace(part); part != "" && c.Matches(part) {
				return true
			}
		}
	}
	return false
}
