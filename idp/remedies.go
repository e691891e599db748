package idp

// Remedy is what an admin does about an AADSTS error, and which conformance check explains
// it: the harness's reading of Entra's error table, kept beside it so that nothing outside
// idp re-types an AADSTS number.
type Remedy struct {
	// Check is the misconfiguration check (conformance catalog) that explains the error.
	Check string
	// Fix is the admin's fix, in the portal's words.
	Fix string
}

// remedies are the AADSTS errors a misconfigured SP or app meets at sign-in.
var remedies = map[int]Remedy{
	ErrReplyURLMismatch.Code:    {"config.redirect-uri", "Make the Reply URL (SAML) / redirect URI (OIDC) registered in Entra exactly equal to what the SP sends — scheme, host, port, path, case and trailing slash."},
	ErrAppNotFound.Code:         {"config.identifier", "Enterprise applications → the app → Single sign-on → Basic SAML Configuration → Identifier (Entity ID): add the SP's entity ID exactly."},
	ErrUserNotAssigned.Code:     {"config.assignment", "Enterprise applications → the app → Users and groups → Add user/group (or set Properties → Assignment required? to No)."},
	ErrInvalidClientSecret.Code: {"config.client-secret", "Certificates & secrets: copy a secret's Value (not its Secret ID) into the SP."},
	ErrExpiredClientSecret.Code: {"config.client-secret", "Certificates & secrets: create a new client secret, put it in the SP, then delete the expired one."},
	ErrSPANeedsPKCE.Code:        {"config.spa-pkce", platformFix},
	ErrCrossOriginNotSPA.Code:   {"config.spa-pkce", platformFix},
	ErrSPANotCrossOrigin.Code:   {"config.spa-pkce", platformFix},
	ErrPKCEMismatch.Code:        {"config.spa-pkce", platformFix},
	ErrNameIDPolicy.Code:        {"config.nameid", "Request a NameIDPolicy Format Entra supports (unspecified, emailAddress, persistent, transient), or none."},
	ErrAuthnContext.Code:        {"config.authn-context", "Do not send RequestedAuthnContext, or send one Entra can satisfy (e.g. PasswordProtectedTransport with Comparison=minimum)."},
	ErrNotMultiTenant.Code:      {"config.tenant-audience", "Use the tenant-specific endpoint (https://login.microsoftonline.com/{tenant-id}/…) or make the app multitenant."},
}

const platformFix = "Register the redirect URI under the platform the app really is: Web for a server-side app that redeems codes with a secret; Single-page application (with PKCE) for browser code."

// RemedyFor is the remedy of an AADSTS code; ok is false for a code the harness has no
// check for.
func RemedyFor(code int) (r Remedy, ok bool) {
	r, ok = remedies[code]
	return r, ok
}
