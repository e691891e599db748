package idp

import (
	"slices"

	"github.com/ssoharness/ssoharness/internal/glob"
)

// FaultID names a fault of the catalog. It is the check ID of the conformance catalog
// (../shared/reference/checks.md): "saml.xsw.3", "oidc.id_token.wrong-aud", ...
type FaultID string

// Protocol is the protocol a fault belongs to.
type Protocol string

// Protocols of the catalog.
const (
	ProtocolSAML Protocol = "SAML"
	ProtocolOIDC Protocol = "OIDC"
)

// Verdict is what a correct service provider does with a minted response.
type Verdict string

// Verdict words, as checks.md uses them.
const (
	// VerdictAccept: the SP must sign the expected user in; a refusal is broken SSO.
	VerdictAccept Verdict = "accept"
	// VerdictReject: the SP must not create a session; an acceptance is a security hole.
	VerdictReject Verdict = "reject"
	// VerdictProfile: SPs legitimately differ; Expectation.Default says what is expected
	// unless a target overrides it with a stated reason.
	VerdictProfile Verdict = "profile"
	// VerdictWarn is a profile default: refusing is right, accepting is worth a warning.
	VerdictWarn Verdict = "warn"
	// VerdictCompatible: a response shape Entra sends only when the admin changes a
	// default (Response-only signing, SHA-1). The SP should sign the user in; refusing is a
	// compatibility finding (warn, naming the Entra setting to keep), not a security fail.
	VerdictCompatible Verdict = "compatible"
)

// Expectation is the verdict a correct SP earns for a fault.
type Expectation struct {
	// Verdict is accept, reject or profile.
	Verdict Verdict `json:"verdict"`
	// Default is a profile's default expectation: accept, reject or warn.
	Default Verdict `json:"default,omitempty"`
	// OrSignedIdentity: an SP that signs in exactly the identity the IdP signed, ignoring the
	// injected part, is also correct (it was not fooled). Set for the wrapping, multiple-
	// assertion and comment-injection faults, whose danger is signing in someone else.
	OrSignedIdentity bool `json:"orSignedIdentity,omitempty"`
	// OrOtherAccount: an SP that signs the token's own (foreign) account in, not the victim's,
	// is also correct (oidc.email.unverified).
	OrOtherAccount bool `json:"orOtherAccount,omitempty"`
	// VictimFirst: the first sign-in is the victim's own, clean, so that the SP has the
	// victim's account before the fault's sign-in tries to take it over (nOAuth). That sign-in
	// must be accepted as the victim; the verdict is on the sign-ins after it.
	VictimFirst bool `json:"victimFirst,omitempty"`
	// AcceptOverTLS: an RP that accepts the response from the token endpoint over TLS, for
	// the user the IdP signed in, is also correct (OIDC Core 3.1.3.7 step 6: TLS server
	// validation may stand in for the signature of a token from the token endpoint).
	AcceptOverTLS bool `json:"acceptOverTLS,omitempty"`
	// ErrorPage: the SP must refuse with an error page of its own that says what happened:
	// no server error (5xx), and no sending the user back to the IdP (a loop), as well as
	// signing no one in. For the IdP's error responses (consent, Conditional Access).
	ErrorPage bool `json:"errorPage,omitempty"`
	// Note says what a profile depends on.
	Note string `json:"note,omitempty"`
}

// Expected is the verdict expected without overrides: Verdict, or Default for a profile.
func (e Expectation) Expected() Verdict {
	if e.Verdict == VerdictProfile {
		return e.Default
	}
	return e.Verdict
}

// Flow is how the harness drives a fault's sign-in.
type Flow string

// Flows of the catalog.
const (
	// FlowSPInitiated: open the SP, sign in at the IdP, follow the response back (the default).
	FlowSPInitiated Flow = "sp-initiated"
	// FlowIdPInitiated: start at the app's User access URL (My Apps / "Test this application").
	FlowIdPInitiated Flow = "idp-initiated"
	// FlowReplay: sign in, then post the same SAML Response again from a new browser context.
	FlowReplay Flow = "replay"
	// FlowLogout: sign in, then sign out from the SP (single logout).
	FlowLogout Flow = "logout"
)

// Requirement is a capability the target must have for a fault to apply (else "skip").
type Requirement string

// Requirements of the catalog.
const (
	RequiresPOSTBinding   Requirement = "saml-post-binding"    // the SP sends AuthnRequests by HTTP-POST
	RequiresSLO           Requirement = "saml-slo"             // the SP has single logout
	RequiresFormPost      Requirement = "oidc-form-post"       // the RP uses response_mode=form_post
	RequiresPKCE          Requirement = "oidc-pkce"            // the RP sends a PKCE challenge
	RequiresUserInfoGET   Requirement = "oidc-userinfo-get"    // the RP calls userinfo by GET
	RequiresUserInfoPOST  Requirement = "oidc-userinfo-post"   // the RP calls userinfo by POST
	RequiresUserInfo      Requirement = "oidc-userinfo"        // the RP calls userinfo
	RequiresNonce         Requirement = "oidc-nonce"           // the RP sends a nonce
	RequiresClientSecret  Requirement = "oidc-client-secret"   // the RP is a confidential client
	RequiresSingleKeyJWKS Requirement = "oidc-single-key-jwks" // the tenant publishes one key
	RequiresHybrid        Requirement = "oidc-hybrid"          // the RP asks for response_type=code id_token
	RequiresHybridToken   Requirement = "oidc-hybrid-token"    // the RP asks for response_type=code id_token token
	// RequiresMultiTenant: the RP signs in at /organizations or /common (an app for many
	// tenants), so it cannot pin iss to one tenant; tid and the signing key's issuer are then
	// what tell tenants apart. An RP at its tenant's own endpoint pins iss exactly.
	RequiresMultiTenant Requirement = "oidc-multi-tenant"
)

// RequiresSPInitiatedOnly: the SP does not take IdP-initiated sign-in (the target's
// saml.idpInitiated is false), so an unsolicited Response must be refused; a target that
// takes it runs saml.idp-initiated instead.
const RequiresSPInitiatedOnly Requirement = "saml-sp-initiated-only"

// Fault is one way the mock can misbehave (or a benign variation of a good response): a
// catalog row with its check ID, the verdict a correct SP earns and the sources. The minting
// itself is in the unexported hooks; faults are values, listed by Faults.
type Fault struct {
	// ID is the check ID.
	ID FaultID `json:"id"`
	// Protocol is SAML or OIDC.
	Protocol Protocol `json:"protocol"`
	// Description says in one line what the mock does.
	Description string `json:"description"`
	// Expect is the verdict a correct SP earns.
	Expect Expectation `json:"expect"`
	// References are the sources (papers, specifications, Entra documentation, test suites).
	References []string `json:"references,omitempty"`
	// Flow is how the harness drives the sign-in.
	Flow Flow `json:"flow"`
	// Requires lists the target capabilities the fault needs.
	Requires []Requirement `json:"requires,omitempty"`
	// SignIns is how many sign-ins the check makes: each minted response takes the next step
	// of the fault (e.g. clock +2 min, then −2 min). 1 for most faults.
	SignIns int `json:"signIns"`
	// Exclusive faults change state every context sees (the tenant's key set): the harness
	// runs them alone.
	Exclusive bool `json:"exclusive,omitempty"`
	// Weakness is the SP behaviour that makes a correct SP's verdict go wrong: for a reject
	// fault, the missing check; for an accept fault, the missing capability. Diagnoses quote it.
	Weakness string `json:"weakness,omitempty"`
	// Fix says what the SP must do.
	Fix string `json:"fix,omitempty"`
	// WSFed: the fault changes only the assertion (or the IdP's clock), so it applies to the
	// token of a WS-Federation sign-in (/{tenant}/wsfed) too; see wsfedFaults.
	WSFed bool `json:"wsfed,omitempty"`

	// UserAction is what the user does on Entra's page for this check, for the drivers
	// (conformance's browser, idptest.Browser): ActionDeclineConsent, ActionMFA, or "".
	UserAction string `json:"userAction,omitempty"`

	saml func(m *samlMint, step int) error
	oidc func(m *oidcMint, step int) error
	// cond: the row is a condition (consent, Conditional Access) Entra applies to the
	// browser's sign-ins, not a change to a response; it stays armed for the context so
	// that an SP that sends the user back meets it again (conditional_access.go).
	cond condition
}

// User actions of Fault.UserAction.
const (
	// ActionDeclineConsent: press Cancel on Entra's consent page.
	ActionDeclineConsent = "decline-consent"
	// ActionMFA: type MFACode at Entra's MFA prompt.
	ActionMFA = "mfa"
)

// Benign reports whether the fault is a variation a correct SP accepts.
func (f *Fault) Benign() bool {
	return f.Expect.Expected() == VerdictAccept || f.Expect.Expected() == VerdictCompatible
}

// Faults returns the whole catalog, SAML then OIDC, in checks.md order. The values are
// copies; changing them changes nothing.
func Faults() []Fault {
	out := make([]Fault, len(catalog))
	for i, f := range catalog {
		out[i] = *f
		out[i].References = slices.Clone(f.References)
		out[i].Requires = slices.Clone(f.Requires)
	}
	return out
}

// LookupFault returns the catalog entry of id, a copy like Faults'.
func LookupFault(id FaultID) (Fault, bool) {
	f := faultByID(id)
	if f == nil {
		return Fault{}, false
	}
	c := *f
	c.References, c.Requires = slices.Clone(f.References), slices.Clone(f.Requires)
	return c, true
}

// MatchFaults returns the catalog entries whose ID matches pattern: an ID, a glob
// ("saml.xsw.*", "oidc.*"), either after a protocol prefix ("saml:", "oidc:"), or a
// comma-separated list of those. It is the pattern syntax of `conformance --only`, documented
// once in internal/glob.
func MatchFaults(pattern string) []Fault {
	var out []Fault
	for _, f := range Faults() {
		if glob.MatchAny([]string{pattern}, string(f.Protocol), string(f.ID)) {
			out = append(out, f)
		}
	}
	return out
}

func faultByID(id FaultID) *Fault {
	for _, f := range catalog {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Condition reports whether the row is a condition Entra applies to the sign-in (consent,
// Conditional Access: a page, or an error response) rather than a change to the response.
func (f *Fault) Condition() bool { return f.cond != "" }
