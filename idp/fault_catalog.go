package idp

// The fault catalog: the reference strings its rows cite, and the catalog itself, SAML rows
// (fault_catalog_saml.go, fault_catalog_saml_parser.go) then OIDC rows (fault_catalog_oidc.go), in checks.md order.

// Reference strings of the catalog.
const (
	refEntraSAML    = "Microsoft Entra: Single sign-on SAML protocol (learn.microsoft.com/entra/identity-platform/single-sign-on-saml-protocol)"
	refEntraSigning = "Microsoft Entra: Advanced SAML token certificate signing options"
	refEntraCerts   = "Microsoft Entra: Manage certificates for federated single sign-on"
	refSAMLProfile  = "SAML 2.0 Profiles §4.1.4 (Web Browser SSO: Response usage and processing rules)"
	refSAMLCore     = "SAML 2.0 Core §2.5 (Conditions), §3.2.2 (Response)"
	refSomorovsky   = "Somorovsky et al., On Breaking SAML: Be Whoever You Want to Be, USENIX Security 2012"
	refSAMLRaider   = "SAML Raider (CompassSecurity/SAMLRaider, XSWHelpers.java)"
	refDuo          = "Duo Labs 2018: Duo finds SAML vulnerabilities affecting multiple implementations (CVE-2017-11427 …)"
	refOIDCCore     = "OpenID Connect Core 1.0 §3.1.3.7 (ID Token validation)"
	refOIDFRP       = "OpenID Foundation RP certification tests (rp-id_token-*, rp-userinfo-*, rp-key-rotation-*)"
	refFAPI         = "FAPI 1.0 / 2.0 client conformance tests"
	refRFC8725      = "RFC 8725 JSON Web Token Best Current Practices §2.1, §3.1"
	refNOAuth       = "Descope 2023: nOAuth — how Microsoft OAuth misconfiguration can lead to full account takeover"
	refEntraClaims  = "Microsoft Entra: ID token claims reference (iss {tenantid} template, tid, oid, email)"
	refEntraKeys    = "Microsoft Entra: Signing key rollover in the Microsoft identity platform"
	refRFC6749      = "RFC 6749 §10.12 (CSRF, state)"
)

// catalog is every fault, in checks.md order. Each hook changes exactly what its row names.
var catalog = catalogOf(samlCatalog, samlWrappingCatalog, samlParserCatalog, samlEncryptedCatalog, oidcCatalog, oidcEntraCatalog, configCatalog)

// catalogOf joins the rows, each a copy with the defaults filled in (SignIns 1); the row
// literals themselves are never changed.
func catalogOf(groups ...[]*Fault) []*Fault {
	var out []*Fault
	for _, g := range groups {
		for _, f := range g {
			c := *f
			if c.SignIns == 0 {
				c.SignIns = 1
			}
			c.WSFed = appliesToWSFed(c.ID)
			out = append(out, &c)
		}
	}
	return out
}
