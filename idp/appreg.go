package idp

import "time"

// Sign-in audiences of an app registration ("Supported account types").
const (
	// AudienceMyOrg is "Accounts in this organizational directory only (single tenant)".
	AudienceMyOrg = "AzureADMyOrg"
	// AudienceMultipleOrgs is "Accounts in any organizational directory (multitenant)".
	AudienceMultipleOrgs = "AzureADMultipleOrgs"
	// AudienceOrgsAndPersonal is "Accounts in any organizational directory and personal
	// Microsoft accounts": any tenant, and the consumers authority.
	AudienceOrgsAndPersonal = "AzureADandPersonalMicrosoftAccount"
	// AudiencePersonal is "Personal Microsoft accounts only": the consumers authority only
	// (AADSTS9002331 elsewhere).
	AudiencePersonal = "PersonalMicrosoftAccount"
)

// AppRegistration is an OIDC/OAuth app registration ("App registrations" in the portal). Field
// names follow the application manifest / Microsoft Graph application resource.
type AppRegistration struct {
	// AppID is the Application (client) ID, a GUID.
	AppID string `json:"appId"`
	// DisplayName is the registration's name.
	DisplayName string `json:"displayName"`
	// SignInAudience is AzureADMyOrg (this tenant only, default), AzureADMultipleOrgs (any
	// Entra tenant), AzureADandPersonalMicrosoftAccount (any tenant and personal accounts) or
	// PersonalMicrosoftAccount (personal accounts only). A single-tenant app reached through
	// /common or /organizations gets AADSTS50194; a user of another tenant gets AADSTS50020;
	// an app without personal accounts at /consumers AADSTS9002332, a personal-only app
	// elsewhere AADSTS9002331 (tenant_consumers.go).
	SignInAudience string `json:"signInAudience,omitempty"`
	// IdentifierURIs are the "Application ID URI" values (api://<appId> ...). A scope such as
	// api://<appId>/access_as_user or <appId>/.default asks for a token for this app as resource.
	IdentifierURIs []string `json:"identifierUris,omitempty"`
	// Web is the "Web" platform: confidential clients that redeem codes with a secret.
	Web WebPlatform `json:"web,omitempty"`
	// SPA is the "Single-page application" platform: PKCE required, codes redeemed
	// cross-origin only (AADSTS9002327), refresh tokens limited to 24 h.
	SPA RedirectPlatform `json:"spa,omitempty"`
	// PublicClient is the "Mobile and desktop applications" platform: no secret required.
	PublicClient RedirectPlatform `json:"publicClient,omitempty"`
	// IsFallbackPublicClient is Authentication → "Allow public client flows". The device
	// code grant redeemed without a client secret needs it (else AADSTS7000218, as Entra).
	IsFallbackPublicClient bool `json:"isFallbackPublicClient,omitempty"`
	// PasswordCredentials are "Certificates & secrets" → "Client secrets". Several may be
	// valid at once; an expired one gives AADSTS7000222.
	PasswordCredentials []*PasswordCredential `json:"passwordCredentials,omitempty"`
	// KeyCredentials are "Certificates & secrets" → "Certificates": the certificates whose
	// private keys sign the app's client assertions (private_key_jwt, MSAL's certificate
	// credential) at either token endpoint (keycred.go, oidc_assertion.go).
	KeyCredentials []*KeyCredential `json:"keyCredentials,omitempty"`
	// OptionalClaims is "Token configuration" → optional claims (email, upn, login_hint, ...).
	OptionalClaims OptionalClaims `json:"optionalClaims,omitempty"`
	// GroupMembershipClaims is "Token configuration" → "Add groups claim": None (default),
	// SecurityGroup, All or ApplicationGroup. More than 200 groups gives the overage claim.
	GroupMembershipClaims string `json:"groupMembershipClaims,omitempty"`
	// AppRoles are the app's roles; assigned ones are sent in the roles claim.
	AppRoles []AppRole `json:"appRoles,omitempty"`
	// AppRoleAssignments assign app roles to users (UPN or object ID) or groups (name or ID).
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments,omitempty"`
	// AssignmentRequired and Assignments work as on EnterpriseApp (AADSTS50105).
	AssignmentRequired bool     `json:"appRoleAssignmentRequired,omitempty"`
	Assignments        []string `json:"assignments,omitempty"`
	// RequestedAccessTokenVersion is api.requestedAccessTokenVersion
	// (accessTokenAcceptedVersion in the manifest): 1 (default, as null) or 2. It decides the
	// version of access tokens issued for this app as a resource, at either endpoint: a v2
	// scope or a v1 resource= gets a v1 token (iss https://sts.windows.net/{tid}/, aud as
	// requested) unless this is 2 (iss …/{tid}/v2.0, aud the appId).
	RequestedAccessTokenVersion int `json:"requestedAccessTokenVersion,omitempty"`
	// AdminConsentGranted is "Grant admin consent for <tenant>" on API permissions. Default
	// true; false means the app needs a grant (Tenant.OAuth2PermissionGrants, an Accept on
	// the consent page, /adminconsent): without one an interactive sign-in shows Entra's
	// consent page and prompt=none or a refresh gets AADSTS65001 (consent.go).
	AdminConsentGranted *bool `json:"adminConsentGranted,omitempty"`
	// RequiredResourceAccess is "API permissions" (the manifest's requiredResourceAccess):
	// per resource app (Microsoft Graph is 00000003-0000-0000-c000-000000000000), the
	// permissions the app asks for, Role (application permission) or Scope (delegated). An
	// app-only token for Microsoft Graph carries a Role permission in its roles claim only
	// when admin consent is granted (adminConsentGranted not false); Graph then answers
	// (graph_auth.go). A delegated .default request for Graph gets the Scope permissions.
	RequiredResourceAccess []RequiredResourceAccess `json:"requiredResourceAccess,omitempty"`
}

// RequiredResourceAccess is one resource's entry of an app's API permissions.
type RequiredResourceAccess struct {
	// ResourceAppID is the resource's appId (Microsoft Graph: 00000003-0000-0000-c000-000000000000).
	ResourceAppID string `json:"resourceAppId"`
	// ResourceAccess are the permissions asked for.
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// ResourceAccess is one permission: its ID as in Entra's manifest (the permission's GUID) or,
// for the mock's convenience, its name (User.Read.All); Type is Role (application) or Scope
// (delegated).
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// WebPlatform is the "Web" platform configuration of an app registration.
type WebPlatform struct {
	// RedirectURIs are the web "Redirect URIs"; compared exactly (AADSTS50011).
	RedirectURIs []string `json:"redirectUris,omitempty"`
	// LogoutURL is the "Front-channel logout URL", loaded in an iframe at sign-out.
	LogoutURL string `json:"logoutUrl,omitempty"`
	// ImplicitGrantSettings are "Implicit grant and hybrid flows".
	ImplicitGrantSettings ImplicitGrantSettings `json:"implicitGrantSettings,omitempty"`
}

// ImplicitGrantSettings are the two check boxes of "Implicit grant and hybrid flows".
type ImplicitGrantSettings struct {
	// EnableIDTokenIssuance is "ID tokens (used for implicit and hybrid flows)"; without it
	// response_type id_token gives AADSTS700054.
	EnableIDTokenIssuance bool `json:"enableIdTokenIssuance,omitempty"`
	// EnableAccessTokenIssuance is "Access tokens (used for implicit flows)".
	EnableAccessTokenIssuance bool `json:"enableAccessTokenIssuance,omitempty"`
}

// RedirectPlatform is a platform that has only redirect URIs (SPA, public client).
type RedirectPlatform struct {
	// RedirectURIs are the platform's redirect URIs.
	RedirectURIs []string `json:"redirectUris,omitempty"`
}

// PasswordCredential is one client secret.
type PasswordCredential struct {
	// KeyID is the "Secret ID" (a GUID). It is not the secret: sending it gives AADSTS7000215.
	KeyID string `json:"keyId,omitempty"`
	// DisplayName is the secret's "Description".
	DisplayName string `json:"displayName,omitempty"`
	// SecretText is the "Value", shown once in the portal. Required.
	SecretText string `json:"secretText"`
	// StartDateTime and EndDateTime bound validity: RFC 3339 or offsets from server start
	// ("-1d", "180d"). Defaults: now and now + 180 days (the portal's recommended default).
	StartDateTime *RelTime `json:"startDateTime,omitempty"`
	EndDateTime   *RelTime `json:"endDateTime,omitempty"`

	start, end time.Time // resolved against the server clock at start
}

// Hint is the first three characters of the value, as the portal shows them.
func (p *PasswordCredential) Hint() string {
	if len(p.SecretText) < 3 {
		return p.SecretText
	}
	return p.SecretText[:3]
}

// Expires is the resolved expiry (zero before the server resolved it).
func (p *PasswordCredential) Expires() time.Time { return p.end }

// OptionalClaims are the optional claims per token type.
type OptionalClaims struct {
	// IDToken claims: email, upn, login_hint, family_name, given_name, groups, ...
	IDToken []OptionalClaim `json:"idToken,omitempty"`
	// AccessToken claims.
	AccessToken []OptionalClaim `json:"accessToken,omitempty"`
}

// OptionalClaim is one optional claim.
type OptionalClaim struct {
	// Name is the claim name, e.g. email.
	Name string `json:"name"`
}

// AppRole is an app role ("App roles" blade).
type AppRole struct {
	// ID is the role's GUID.
	ID string `json:"id"`
	// DisplayName is the role's name in the portal.
	DisplayName string `json:"displayName,omitempty"`
	// Value is what the roles claim carries.
	Value string `json:"value"`
	// AllowedMemberTypes is User and/or Application.
	AllowedMemberTypes []string `json:"allowedMemberTypes,omitempty"`
	// Description is the role's description.
	Description string `json:"description,omitempty"`
}

// AppRoleAssignment gives a principal (user UPN/ID or group name/ID) an app role (by value).
type AppRoleAssignment struct {
	// Principal is a user (UPN or object ID) or group (display name or object ID).
	Principal string `json:"principal"`
	// Role is the AppRole's Value.
	Role string `json:"role"`
}
