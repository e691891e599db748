package idp

import "fmt"

// Reference strings of the Entra-specific OIDC rows.
const (
	refEntraMultiTenant = "Microsoft identity platform: Convert an app to multitenant — validate the issuer with the token's tid, and tid against the tenants you serve"
	refEntraMSATenant   = "Microsoft identity platform: ID token claims reference — tid 9188040d-6c67-4c5b-b112-36a304b66dad is the consumer tenant (personal Microsoft accounts)"
	refEntraKeyIssuer   = "Microsoft identity platform: Access tokens — validate the signing key's issuer (JWKS issuer member) against the token's iss (Microsoft.IdentityModel EnableAadSigningKeyIssuerValidation)"
	refStorm0558        = "MSRC 2023: Results of Major Technical Investigations for Storm-0558 Key Acquisition (a consumer signing key accepted for enterprise tokens)"
	refJWSHeader        = "RFC 7515 §4.1.2 (jku), §4.1.3 (jwk), §4.1.5 (x5u): keys named by the header are only as trusted as the RP decides"
	refRFC8725Header    = "RFC 8725 §3.10 (do not trust received claims: blindly following jku or x5u)"
	refJWTInjection     = "PortSwigger Web Security Academy: JWT attacks — injecting self-signed JWTs via the jwk, jku and x5u header parameters"
	refEDOV             = "Microsoft Entra: optional claim xms_edov (email domain owner verified); Microsoft 2023 advisory on the misuse of the email claim for authorization"
	refSemperis         = "Semperis 2025: nOAuth abuse alert — full account takeover of Entra cross-tenant SaaS applications"
)

// oidcEntraCatalog are the OIDC rows of issue 19 specific to Entra: tenants and issuers,
// the key set's issuers, keys injected by the token header, and the nOAuth account takeover.
var oidcEntraCatalog = []*Fault{
	{ID: "oidc.tenant.msa", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "a valid token for a personal Microsoft account: tid and iss of the consumer tenant " + consumerTenantID + ", to an app whose audience is organisations only",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refEntraMSATenant, refEntraMultiTenant, refEntraClaims},
		Weakness: "validates iss only against the {tenantid} template filled with the token's own tid, so personal Microsoft accounts (the consumer tenant) get in",
		Fix:      "require iss of your tenant; a multi-tenant app allow-lists the tids it serves and refuses tid " + consumerTenantID + " unless it means to take personal accounts",
		oidc: func(m *oidcMint, _ int) error {
			m.consumer = true
			m.note("personal Microsoft account of the consumer tenant %s", consumerTenantID)
			return nil
		}},
	{ID: "oidc.iss.tid-mismatch", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresMultiTenant},
		Description: "iss names the app's tenant, tid another tenant (everything else unchanged)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refEntraMultiTenant, refEntraClaims},
		Weakness: "checks iss but not that tid is the tenant iss names (and its own)",
		Fix:      "require tid to be your tenant (multi-tenant: iss == the {tenantid} template filled with tid, and tid allow-listed)",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) { c.set("tid", otherTenantID) })
			m.note("tid %s, iss unchanged", otherTenantID)
			return nil
		}},
	{ID: "oidc.iss.template-literal", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "iss is the literal issuer template …/{tenantid}/v2.0 of the /common and /organizations discovery documents",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refEntraMultiTenant, refEntraClaims, refOIDCCore + " step 2"},
		Weakness: "compares iss with the /common or /organizations discovery issuer as written, {tenantid} and all (no Entra token carries it)",
		Fix:      "replace {tenantid} in the discovery issuer with the token's tid before comparing; never accept the literal template",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) {
				if tid := c.str("tid"); tid != "" {
					c.set("iss", replaceOnce(c.str("iss"), tid, "{tenantid}"))
				}
			})
			m.note("iss with the literal {tenantid}")
			return nil
		}},
	{ID: "oidc.jwks.key-issuer-mismatch", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Exclusive: true, Requires: []Requirement{RequiresMultiTenant},
		Description: "signed by a key the JWKS publishes with the consumer tenant's issuer (a personal-account key), for a token of the app's tenant",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refEntraKeyIssuer, refStorm0558},
		Weakness: "does not check that the signing key's issuer in the JWKS is the token's iss (any published key signs for any tenant)",
		Fix:      "after the signature, require the JWKS key's issuer member ({tenantid} replaced by the token's tid) to equal iss, as Microsoft.IdentityModel's signing-key issuer validation does",
		oidc: func(m *oidcMint, _ int) error {
			m.sign = jwtIssuerKey
			m.note("signed by a JWKS key whose issuer is the consumer tenant's")
			return nil
		}},
	{ID: "oidc.header.jku", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "signed by an attacker key; the header's jku names a key set with that key (the mock serves it and logs a fetch)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refJWSHeader, refJWTInjection, refRFC8725Header},
		Weakness: "fetches the verification key from the token header's jku URL",
		Fix:      "take keys only from the tenant's jwks_uri (discovery); ignore jku",
		oidc:     oidcInject(injectJKU, "jku names the attacker's key set")},
	{ID: "oidc.header.x5u", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "signed by an attacker key; the header's x5u names the attacker's certificate (the mock serves it and logs a fetch)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refJWSHeader, refJWTInjection, refRFC8725Header},
		Weakness: "fetches the verification certificate from the token header's x5u URL",
		Fix:      "take keys only from the tenant's jwks_uri (discovery); ignore x5u",
		oidc:     oidcInject(injectX5U, "x5u names the attacker's certificate")},
	{ID: "oidc.header.jwk-embedded", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "signed by an attacker key whose public key is embedded in the header (jwk)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refJWSHeader, refJWTInjection, "CVE-2018-0114 (node-jose: the embedded jwk trusted)"},
		Weakness: "verifies with the public key embedded in the token header (jwk)",
		Fix:      "take keys only from the tenant's jwks_uri (discovery); ignore an embedded jwk",
		oidc:     oidcInject(injectJWK, "the attacker's public key embedded as jwk")},
	{ID: "oidc.email.edov-false", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, SignIns: 2,
		Description: "the victim signs in first (clean); then a user of another tenant whose email is the victim's, with xms_edov false (domain not verified)",
		Expect: Expectation{Verdict: VerdictReject, OrOtherAccount: true, VictimFirst: true,
			Note: "the second sign-in may get the other tenant's own account, never the victim's"},
		References: []string{refNOAuth, refSemperis, refEDOV},
		Weakness:   "identifies accounts by the email claim, ignoring that xms_edov says its domain is not verified (nOAuth)",
		Fix:        "key accounts on tid + oid (or sub), never on email; to match an existing account by email at all, require xms_edov true",
		oidc: func(m *oidcMint, step int) error {
			if step%2 == 0 {
				m.note("the victim's own sign-in (clean)")
				return nil
			}
			m.foreign, m.sameMail = true, true
			m.edit(func(c *claimSet) { c.set("xms_edov", false) })
			m.note("user of another tenant with the victim's email, xms_edov false")
			return nil
		}},
	{ID: "oidc.email.mutable", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, SignIns: 2,
		Description: "the victim signs in first (clean); then another user of the same tenant whose (mutable) mail is now the victim's, xms_edov true",
		Expect: Expectation{Verdict: VerdictReject, OrOtherAccount: true, VictimFirst: true,
			Note: "the second sign-in may get that user's own account, never the victim's"},
		References: []string{refNOAuth, refSemperis, refEntraClaims + " (email is mutable; do not use it for authorization)"},
		Weakness:   "identifies accounts by the email claim, which another user of the tenant can carry after a change (even with a verified domain)",
		Fix:        "key accounts on tid + oid (or sub), never on email or preferred_username",
		oidc: func(m *oidcMint, step int) error {
			if step%2 == 0 {
				m.note("the victim's own sign-in (clean)")
				return nil
			}
			m.mutable = true
			m.edit(func(c *claimSet) { c.set("xms_edov", true) })
			m.note("another user of the tenant whose mail is the victim's, xms_edov true")
			return nil
		}},
	{ID: "oidc.id_token.graph-aud", Protocol: ProtocolOIDC, Flow: FlowSPInitiated,
		Description: "the token response's id_token is a Microsoft Graph access token for the same user (aud " + graphAppID + ", v1 issuer, no nonce), signed by the tenant's key",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{refOIDCCore + " steps 2-3, 11", "CVE-2023-22482 (Argo CD: tokens for another audience accepted)", "RFC 8725 §2.8 (cross-JWT confusion), §3.9 (use and validate audience), §3.12 (mutually exclusive validation rules)"},
		Weakness: "accepts any token its tenant's keys sign as the ID token, whatever its audience (confused deputy)",
		Fix:      "require aud == your client ID and iss == the v2 issuer of your tenant; never treat an access token as an ID token",
		oidc: func(m *oidcMint, _ int) error {
			m.graphToken = true
			m.note("a Microsoft Graph access token in place of the ID token")
			return nil
		}},
	{ID: "oidc.hybrid.c_hash", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresHybrid},
		Description: "hybrid flow (response_type=code id_token): the front-channel ID token's c_hash is the hash of another code (a code swapped in from another sign-in)",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{"OpenID Connect Core 1.0 §3.3.2.11 (c_hash REQUIRED), §3.3.2.12 (validate it)", refOIDFRP + " (rp-id_token-bad-c_hash)", "Microsoft identity platform: hybrid flow (ID tokens enabled under implicit grant)"},
		Weakness: "does not check that the front-channel ID token's c_hash is the hash of the code it came with (code substitution)",
		Fix:      "compute the left half of SHA-256 of the code, base64url, and refuse the response unless it equals c_hash",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) {
				if c.str("c_hash") != "" { // only the authorization endpoint's ID token has one
					c.set("c_hash", halfHash("ssoharness-another-code-"+c.str("uti")))
				}
			})
			m.note("c_hash of another code")
			return nil
		}},
	{ID: "oidc.hybrid.at_hash", Protocol: ProtocolOIDC, Flow: FlowSPInitiated, Requires: []Requirement{RequiresHybridToken},
		Description: "hybrid flow with an access token (response_type=code id_token token): the front-channel ID token's at_hash is the hash of another access token",
		Expect:      Expectation{Verdict: VerdictReject}, References: []string{"OpenID Connect Core 1.0 §3.3.2.11 (at_hash REQUIRED with code id_token token), §3.3.2.12, §3.2.2.9", refOIDFRP + " (rp-id_token-bad-at_hash)", "Microsoft identity platform: at_hash is in ID tokens issued from /authorize with an access token"},
		Weakness: "does not check that the front-channel ID token's at_hash is the hash of the access token it came with (token substitution)",
		Fix:      "compute the left half of SHA-256 of the access token, base64url, and refuse the response unless it equals at_hash",
		oidc: func(m *oidcMint, _ int) error {
			m.edit(func(c *claimSet) {
				if c.str("at_hash") != "" { // only an ID token issued with an access token has one
					c.set("at_hash", halfHash("ssoharness-another-access-token-"+c.str("uti")))
				}
			})
			m.note("at_hash of another access token")
			return nil
		}},
}

// oidcInject signs with the attacker's key and names it in the header.
func oidcInject(what, note string) func(m *oidcMint, step int) error {
	return func(m *oidcMint, _ int) error {
		if what != injectJKU && what != injectX5U && what != injectJWK {
			return fmt.Errorf("unknown injection %q", what)
		}
		m.sign, m.inject = jwtUnknownKey, what
		m.note("signed by an attacker key; %s", note)
		return nil
	}
}
