package idp

// Reference strings of the consent and Conditional Access rows.
const (
	refConsentFramework = "Microsoft identity platform: consent experience and permissions (consent page; AADSTS65001 consent_required, AADSTS65004 user declined)"
	refCABlock          = "Microsoft Entra Conditional Access: Block access grant control (AADSTS53003 BlockedByConditionalAccess)"
	refCAMFA            = "Microsoft Entra Conditional Access: Require multifactor authentication grant control; claims challenges (AADSTS50076)"
	refRFC6749Error     = "RFC 6749 §4.1.2.1 (authorization error response: error, error_description, state)"
	refOIDCAuthError    = "OpenID Connect Core 1.0 §3.1.2.6 (authentication error response)"
)

// errorPageWeakness and errorPageFix are shared by the rows whose Entra answer is an error
// response the SP must show.
const (
	errorPageWeakness = "answers Entra's error response with a server error, or sends the user straight back to Entra (a loop)"
	errorPageFix      = "when the redirect URI receives error=…, show an error page with the error_description (its AADSTS code and message) and a way to start again; never redirect to Entra by itself"
)

// configCatalog are the rows where Entra, configured as an admin may configure it, refuses
// or interrupts the sign-in: consent and Conditional Access. The IdP's answer is Entra's own;
// what is judged is how the SP handles it as its user sees it.
var configCatalog = []*Fault{
	{ID: "config.consent.required", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, UserAction: ActionDeclineConsent, cond: condConsent,
		Description: "the app has no admin consent and the user has not consented: Entra shows its consent page, the user presses Cancel, and Entra sends error=access_denied with AADSTS65004 to the redirect URI",
		Expect:      Expectation{Verdict: VerdictReject, ErrorPage: true, Note: "an error page of the SP's, not a 500 or a loop"},
		References:  []string{refConsentFramework, refRFC6749Error, refOIDCAuthError},
		Weakness:    errorPageWeakness, Fix: errorPageFix,
		oidc: conditionHook(condConsent)},
	{ID: "config.ca.blocked", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, cond: condBlock,
		Description: "a Conditional Access policy blocks the user: Entra sends error=access_denied with AADSTS53003 to the redirect URI",
		Expect:      Expectation{Verdict: VerdictReject, ErrorPage: true, Note: "an error page of the SP's, not a 500 or a loop"},
		References:  []string{refCABlock, refRFC6749Error, refOIDCAuthError},
		Weakness:    errorPageWeakness, Fix: errorPageFix,
		oidc: conditionHook(condBlock)},
	{ID: "config.ca.mfa", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, UserAction: ActionMFA, cond: condMFA,
		Description: "a Conditional Access policy requires MFA: Entra asks for a code after the password, then answers as usual (v1 tokens carry amr [\"pwd\",\"mfa\"])",
		Expect:      Expectation{Verdict: VerdictAccept},
		References:  []string{refCAMFA},
		Weakness:    "does not sign in a user who passed Entra's MFA step", Fix: "accept the sign-in; an MFA step at Entra changes nothing the SP checks",
		oidc: conditionHook(condMFA)},
	{ID: "config.ca.mfa.saml", Protocol: ProtocolSAML, Flow: FlowSPInitiated, UserAction: ActionMFA, cond: condMFA,
		Description: "a Conditional Access policy requires MFA: Entra asks for a code after the password, then posts the Response as usual, authnmethodsreferences with password and multipleauthn",
		Expect:      Expectation{Verdict: VerdictAccept},
		References:  []string{refCAMFA, refEntraSAML + " (authnmethodsreferences)"},
		Weakness:    "does not sign in a user who passed Entra's MFA step", Fix: "accept the sign-in; an MFA step at Entra adds multipleauthn to authnmethodsreferences and changes nothing the SP must check",
		saml: func(m *samlMint, _ int) error { m.note("%s", conditionNote[condMFA]); return nil }},
}

// conditionHook is the mint hook of a condition row: the condition itself is applied
// before the response (interruptAuthorize); the response the user then gets is Entra's own.
func conditionHook(c condition) func(m *oidcMint, _ int) error {
	return func(m *oidcMint, _ int) error {
		m.note("%s", conditionNote[c])
		return nil
	}
}
