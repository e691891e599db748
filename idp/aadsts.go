package idp

import "net/http"

// The AADSTS table: every error the mock answers with, one row per code. A row is what Entra
// sends (OAuth error, HTTP status, message) and what the harness makes of it (the
// conformance check that explains it, the portal fix, Microsoft's troubleshooting page).
// Each code is written once, in its sentinel below; the rows and the errXxx constructors
// name the sentinel.

// Sentinels for errors.Is; they carry only the code. Look up the rest of a code's row with
// [Error.Info] or [LookupError].
var (
	ErrReplyURLMismatch      = &Error{Code: 50011}
	ErrAppNotFound           = &Error{Code: 700016}
	ErrUserNotAssigned       = &Error{Code: 50105}
	ErrRedirectMissingSAML   = &Error{Code: 750054}
	ErrMalformedSAML         = &Error{Code: 75005}
	ErrNameIDPolicy          = &Error{Code: 75016}
	ErrAuthnContext          = &Error{Code: 75011}
	ErrUnsignedRequest       = &Error{Code: 76021}
	ErrInvalidSignature      = &Error{Code: 50006}
	ErrUnknownTenant         = &Error{Code: 90002}
	ErrInvalidPassword       = &Error{Code: 50126}
	ErrUnknownUser           = &Error{Code: 50034}
	ErrUserDisabled          = &Error{Code: 50057}
	ErrUnsupportedBinding    = &Error{Code: 75003}
	ErrSignoutInvalidRequest = &Error{Code: 50061}
	ErrInvalidClientSecret   = &Error{Code: 7000215}
	ErrExpiredClientSecret   = &Error{Code: 7000222}
	ErrMissingClientSecret   = &Error{Code: 7000218}
	ErrConsentRequired       = &Error{Code: 65001}
	ErrCrossOriginNotSPA     = &Error{Code: 9002326}
	ErrSPANotCrossOrigin     = &Error{Code: 9002327}
	ErrSPANeedsPKCE          = &Error{Code: 9002325}
	ErrPKCEMismatch          = &Error{Code: 50148}
	ErrPKCEInvalidVerifier   = &Error{Code: 501481}
	ErrResponseTypeDisabled  = &Error{Code: 700054}
	ErrUnsupportedRespMode   = &Error{Code: 70007}
	ErrInvalidScope          = &Error{Code: 70011}
	ErrCodeRedeemed          = &Error{Code: 54005}
	ErrGrantExpired          = &Error{Code: 70008}
	ErrLoginRequired         = &Error{Code: 50058}
	ErrNotMultiTenant        = &Error{Code: 50194}
	ErrMissingParameter      = &Error{Code: 900144}
	ErrMissingField          = &Error{Code: 90014}
	ErrUserNotInTenant       = &Error{Code: 50020}
	ErrMalformedRequest      = &Error{Code: 9002313}
	ErrInvalidGrant          = &Error{Code: 70000}
	ErrUnsupportedGrantType  = &Error{Code: 70003}
	ErrRedirectURIMismatched = &Error{Code: 500112}
	ErrFlowTokenInvalid      = &Error{Code: 90100}
	ErrSAMLDestination       = &Error{Code: 75008}
	ErrSAMLInvalidID         = &Error{Code: 7500529}
	// v1 resource= (oidc_v1.go) and client assertions (oidc_assertion.go).
	ErrResourceNotFound        = &Error{Code: 500011}
	ErrAssertionSignature      = &Error{Code: 700027}
	ErrAssertionTimeRange      = &Error{Code: 700024}
	ErrAssertionAudience       = &Error{Code: 700023}
	ErrAssertionAppID          = &Error{Code: 700021}
	ErrAssertionSubject        = &Error{Code: 50048}
	ErrInvalidJWT              = &Error{Code: 50027}
	ErrUnexpectedAssertionType = &Error{Code: 90011}

	ErrPersonalOnlyApp = &Error{Code: 9002331}
	ErrNotForConsumers = &Error{Code: 9002332}
	ErrPersonalAccount = &Error{Code: 500200}

	// Consent and Conditional Access (consent.go, conditional_access.go).
	ErrConsentDeclined = &Error{Code: 65004}
	ErrBlockedByCA     = &Error{Code: 53003}
	ErrMFARequired     = &Error{Code: 50076}
	ErrRequestLoop     = &Error{Code: 50196}
)

// Codes the mock sends but nothing compares against: sentinels without an export.
var (
	codeUnsupportedResponseType    = &Error{Code: 70005}
	codeInvalidPrompt              = &Error{Code: 90023}
	codeInvalidCodeChallengeMethod = &Error{Code: 501491}
	codeFlowExpired                = &Error{Code: 50089}
	codeQueryTooLong               = &Error{Code: 90015}
	codeBadRequest                 = &Error{Code: 900561}
	codeInvalidInstance            = &Error{Code: 50049}
	codeAuthorizationPending       = &Error{Code: 70016}
	codeBadVerificationCode        = &Error{Code: 70018}
	codeVerificationCodeExpired    = &Error{Code: 70019}
	codeDeviceCodeExpired          = &Error{Code: 70020}
	codeTokenResponseDisabled      = &Error{Code: 700051}
)

// Troubleshooting pages and portal fixes shared by several rows.
const (
	refErrorCodes      = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes"
	refSPA             = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-third-party-cookies-spas"
	refConsent         = "https://learn.microsoft.com/en-us/entra/identity/enterprise-apps/grant-admin-consent"
	refCA              = "https://learn.microsoft.com/en-us/entra/identity/conditional-access/troubleshoot-conditional-access"
	refClaimsChallenge = "https://learn.microsoft.com/en-us/entra/identity-platform/claims-challenge"
	platformFix        = "Register the redirect URI under the platform the app really is: Web for a server-side app that redeems codes with a secret; Single-page application (with PKCE) for browser code."
)

// aadsts is the table, by code.
var aadsts = indexErrors([]ErrorInfo{
	// Sign-in and app setup (both protocols).
	{Sentinel: ErrReplyURLMismatch, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message:   "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
		Check:     "config.redirect-uri",
		Fix:       "Make the Reply URL (SAML) / redirect URI (OIDC) registered in Entra exactly equal to what the SP sends — scheme, host, port, path, case and trailing slash.",
		Reference: "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-reply-url-mismatch"},
	{Sentinel: ErrAppNotFound, OAuth: "unauthorized_client", Status: http.StatusBadRequest,
		Message:   "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		Check:     "config.identifier",
		Fix:       "Enterprise applications → the app → Single sign-on → Basic SAML Configuration → Identifier (Entity ID): add the SP's entity ID exactly.",
		Reference: "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts700016-unauthorized-client"},
	{Sentinel: ErrUserNotAssigned, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message:   "Your administrator has configured the application %s ('%s') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '%s' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.",
		Check:     "config.assignment",
		Fix:       "Enterprise applications → the app → Users and groups → Add user/group (or set Properties → Assignment required? to No).",
		Reference: "https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50105-user-not-assigned-role"},
	{Sentinel: ErrUnknownTenant, OAuth: "invalid_tenant", Status: http.StatusBadRequest,
		Message: "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."},
	{Sentinel: ErrInvalidPassword, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "Error validating credentials due to invalid username or password."},
	{Sentinel: ErrUnknownUser, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The user account %s does not exist in the %s directory. To sign into this application, the account must be added to the directory."},
	{Sentinel: ErrUserDisabled, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The user account is disabled."},
	{Sentinel: ErrLoginRequired, OAuth: "login_required", Status: http.StatusBadRequest,
		Message: "A silent sign-in request was sent but no user is signed in."},
	{Sentinel: codeFlowExpired, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "Authentication failed due to flow token expired. Please sign in again."},
	{Sentinel: ErrMissingField, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The required field '%s' is missing from the credential. Ensure that you have all the necessary parameters for the login request."},
	{Sentinel: ErrUserNotInTenant, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account."},
	// AADSTS50049 is instance discovery's answer for an authorization_endpoint on a host
	// Entra does not serve (MSAL then reports invalid_instance).
	{Sentinel: codeInvalidInstance, OAuth: "invalid_instance", Status: http.StatusBadRequest,
		Message: "Unknown or invalid instance."},
	{Sentinel: codeBadRequest, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The endpoint only accepts POST, OPTIONS requests. Received a %s request."},
	// AADSTS90100 is what Entra answers a credential post whose flow token is missing or not
	// this browser's ("flowtoken parameter is empty or not valid.", Azure/azure-cli#6913).
	// The mock's flow token is the form's ctx together with the flow cookie set with the
	// sign-in page; a post without the cookie (login CSRF) gets this code, a ctx the server
	// no longer knows gets AADSTS50089.
	{Sentinel: ErrFlowTokenInvalid, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "%s parameter is empty or not valid."},
	// Entra's answer to a parameter too long for its front end, OIDC or SAML (an oversized
	// Redirect SAMLRequest or RelayState); the mock's bound is maxParamLen (8 KiB).
	{Sentinel: codeQueryTooLong, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Requested query string is too long."},

	// SAML.
	{Sentinel: ErrRedirectMissingSAML, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding."},
	{Sentinel: ErrMalformedSAML, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The request is not a valid Saml2 protocol message."},
	// Entra checks an AuthnRequest's Destination when there is one, although the protocol
	// page says it is ignored (MicrosoftDocs/entra-docs#679, 2024: AADSTS75008, the port
	// :443 may be omitted).
	{Sentinel: ErrSAMLDestination, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Received SAML request with an unexpected destination '%s'. Expected one of '%s'.",
		Check:   "saml.request.destination",
		Fix:     "Set the SP's IdP sign-on URL to the app's Login URL (https://login.microsoftonline.com/{tenant-id}/saml2), or import the app's Federation Metadata XML, so that the AuthnRequest's Destination is the URL it is sent to."},
	// An ID that is not an xs:ID (an NCName: a digit first, a colon, a space ...): Entra's
	// error reference lists AADSTS7500529 for an AuthnRequest ID it cannot echo as
	// InResponseTo.
	{Sentinel: ErrSAMLInvalidID, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The value '%s' is not a valid SAML ID. Microsoft Entra ID uses this attribute to populate the InResponseTo attribute of the returned response. ID must not begin with a number, so a common strategy is to prepend a string like \"ID\" to the string representation of a GUID. For example, id6c1c178c166d486687be4aaf5e482730 is a valid ID.",
		Check:   "saml.request.id",
		Fix:     "Generate AuthnRequest IDs that start with a letter or an underscore (e.g. \"_\" or \"id\" followed by a random GUID), fresh for every request."},
	{Sentinel: ErrNameIDPolicy, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Saml2 Authentication Request has invalid NameIDPolicy. NameIDPolicy Format '%s' is not supported.",
		Check:   "config.nameid",
		Fix:     "Request a NameIDPolicy Format Entra supports (unspecified, emailAddress, persistent, transient), or none."},
	{Sentinel: ErrAuthnContext, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Authentication method 'Password' by which the user authenticated with the service doesn't match requested authentication method '%s'. Contact the %s application owner.",
		Check:   "config.authn-context",
		Fix:     "Do not send RequestedAuthnContext, or send one Entra can satisfy (e.g. PasswordProtectedTransport with Comparison=minimum)."},
	{Sentinel: ErrUnsignedRequest, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The request sent by client is not signed while the application requires signed requests"},
	{Sentinel: ErrInvalidSignature, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Signature verification failed because of an invalid signature."},
	{Sentinel: ErrUnsupportedBinding, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The SAML protocol response can't be sent via bindings other than HTTP POST."},
	{Sentinel: ErrSignoutInvalidRequest, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Signout request is invalid."},

	// OAuth 2.0 / OpenID Connect.
	{Sentinel: ErrInvalidClientSecret, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message:   "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.",
		Check:     "config.client-secret",
		Fix:       "Certificates & secrets: copy a secret's Value (not its Secret ID) into the SP.",
		Reference: refErrorCodes},
	{Sentinel: ErrExpiredClientSecret, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message:   "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
		Check:     "config.client-secret",
		Fix:       "Certificates & secrets: create a new client secret, put it in the SP, then delete the expired one.",
		Reference: refErrorCodes},
	{Sentinel: ErrMissingClientSecret, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."},
	{Sentinel: ErrConsentRequired, OAuth: "consent_required", Status: http.StatusBadRequest,
		Message: "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource."},
	{Sentinel: ErrConsentDeclined, OAuth: "access_denied", Status: http.StatusBadRequest,
		Message:   "User declined to consent to access the app.",
		Check:     "config.consent.required",
		Fix:       "Enterprise applications → the app → Permissions → Grant admin consent for the tenant (or let the user accept the consent page); the SP should show this error, not retry the sign-in.",
		Reference: refConsent},
	{Sentinel: ErrBlockedByCA, OAuth: "access_denied", Status: http.StatusBadRequest,
		Message:   "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
		Check:     "config.ca.blocked",
		Fix:       "Protection → Conditional Access: the policy whose grant control is Block applies to this user and app (Sign-in logs → Conditional Access tab names it); exclude the user or app, or accept that they are blocked.",
		Reference: refCA},
	{Sentinel: ErrMFARequired, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message:   "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.",
		Check:     "config.ca.mfa",
		Fix:       "A Conditional Access policy requires multifactor authentication: send the user to an interactive sign-in with the claims of the error (claims=…) so that Entra can ask for the second factor.",
		Reference: refClaimsChallenge},
	{Sentinel: ErrRequestLoop, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The server terminated an operation because it encountered a client request loop. Please contact your app vendor."},
	{Sentinel: ErrCrossOriginNotSPA, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '%s'.",
		Check:   "config.spa-pkce", Fix: platformFix, Reference: refSPA},
	{Sentinel: ErrSPANotCrossOrigin, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
		Check:   "config.spa-pkce", Fix: platformFix, Reference: refSPA},
	{Sentinel: ErrSPANeedsPKCE, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
		Check:   "config.spa-pkce", Fix: platformFix, Reference: refSPA},
	{Sentinel: ErrPKCEMismatch, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
		Check:   "config.spa-pkce", Fix: platformFix, Reference: refSPA},
	{Sentinel: ErrPKCEInvalidVerifier, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The Code_Verifier does not match the code_challenge supplied in the authorization request."},
	{Sentinel: codeInvalidCodeChallengeMethod, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Invalid size of Code_Challenge parameter or invalid code_challenge_method '%s'."},
	{Sentinel: ErrResponseTypeDisabled, OAuth: "unsupported_response_type", Status: http.StatusBadRequest,
		Message: "Response_type '%s' isn't enabled for the application."},
	// AADSTS700051 is Entra's answer to response_type token (alone or with id_token) when
	// "Access tokens (used for implicit flows)" is off, worded as users quote it.
	{Sentinel: codeTokenResponseDisabled, OAuth: "unsupported_response_type", Status: http.StatusBadRequest,
		Message: "The response_type 'token' is not enabled for the application."},
	{Sentinel: codeUnsupportedResponseType, OAuth: "unsupported_response_type", Status: http.StatusBadRequest,
		Message: "The response_type '%s' is not supported."},
	{Sentinel: ErrUnsupportedRespMode, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The application returned an unsupported value '%s' for the 'response_mode' parameter when requesting a token."},
	{Sentinel: ErrInvalidScope, OAuth: "invalid_scope", Status: http.StatusBadRequest,
		Message: "The provided value for the input parameter 'scope' is not valid. The scope %s is not valid."},
	{Sentinel: codeInvalidPrompt, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Invalid request. The 'prompt' parameter value '%s' is not supported."},
	{Sentinel: ErrCodeRedeemed, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."},
	{Sentinel: ErrGrantExpired, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."},
	{Sentinel: ErrInvalidGrant, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The provided value for the '%s' parameter is not valid."},
	{Sentinel: ErrRedirectURIMismatched, OAuth: "invalid_grant", Status: http.StatusBadRequest,
		Message: "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code."},
	// The signInAudience errors of the consumers authority (tenant_consumers.go).
	{Sentinel: ErrPersonalOnlyApp, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Application '%s'(%s) is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request.",
		Check:   "config.tenant-audience",
		Fix:     "Sign in at https://login.microsoftonline.com/consumers/…, or change the app's supported account types to include organizational accounts."},
	{Sentinel: ErrNotForConsumers, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Application '%s'(%s) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request.",
		Check:   "config.tenant-audience",
		Fix:     "Use the tenant, organizations or common endpoint, or change the app's supported account types to include personal Microsoft accounts."},
	{Sentinel: ErrPersonalAccount, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "User account '%s' is a personal Microsoft account. Personal Microsoft accounts are not supported for this application unless explicitly invited to an organization. Try signing out and signing back in with an organizational account.",
		Check:   "config.tenant-audience",
		Fix:     "Sign in with a work or school account, or change the app's supported account types to AzureADandPersonalMicrosoftAccount."},
	{Sentinel: ErrNotMultiTenant, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message:   "Application '%s'(%s) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.",
		Check:     "config.tenant-audience",
		Fix:       "Use the tenant-specific endpoint (https://login.microsoftonline.com/{tenant-id}/…) or make the app multitenant.",
		Reference: "https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant"},
	{Sentinel: ErrMissingParameter, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "The request body must contain the following parameter: '%s'."},
	{Sentinel: ErrMalformedRequest, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Invalid request. Request is malformed or invalid. - [%s]"},
	{Sentinel: ErrUnsupportedGrantType, OAuth: "unsupported_grant_type", Status: http.StatusBadRequest,
		Message: "The app requested an unsupported grant type '%s'."},

	// Device code flow (oidc_devicecode.go). AADSTS70016 and AADSTS70020 are worded as real
	// Entra answers captured in public threads (learn.microsoft.com Q&A 981553, 2022, and a
	// 2026 capture; MicrosoftDocs/azure-docs#92366, 2022). AADSTS70018 and AADSTS70019 carry
	// the error reference's descriptions (BadVerificationCode, CodeExpired): no capture of
	// their wire text was found.
	{Sentinel: codeAuthorizationPending, OAuth: "authorization_pending", Status: http.StatusBadRequest,
		Message: "The provided request has not yet been authorized by the user. The user must input their code."},
	{Sentinel: codeBadVerificationCode, OAuth: "bad_verification_code", Status: http.StatusBadRequest,
		Message: "Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved."},
	{Sentinel: codeVerificationCodeExpired, OAuth: "expired_token", Status: http.StatusBadRequest,
		Message: "Verification code expired."},
	{Sentinel: codeDeviceCodeExpired, OAuth: "expired_token", Status: http.StatusBadRequest,
		Message: "The provided value for the input parameter 'device_code' is not valid. This device code has expired."},

	// A v1 resource= that names no service principal (live wording, e.g. Azure/azure-cli#16850,
	// #29113; "tenant named" is the tenant ID or name the request reached).
	{Sentinel: ErrResourceNotFound, OAuth: "invalid_resource", Status: http.StatusBadRequest,
		Message: "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."},

	// Client assertions (private_key_jwt, certificate credentials). Wording as Entra sends it
	// (MSAL issues: Azure/azure-sdk-for-net#29007, AzureAD/microsoft-authentication-library-for-
	// java#984, AzureAD/microsoft-authentication-library-for-dotnet#2746; the Java SDK's
	// troubleshooting page for 700021/700023/700027). All are invalid_client, 401.
	// AADSTS700027 opens with "The certificate with identifier used to sign the client
	// assertion is not registered on application." when the key is not found (2026 wording,
	// AzureAD/microsoft-authentication-library-for-js#8339) and "Client assertion contains an
	// invalid signature." when it is found and fails; the latter adds "Found key 'Start=…,
	// End=…'" after the thumbprint.
	{Sentinel: ErrAssertionSignature, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message:   "%s [Reason - %s, Thumbprint of key used by client: '%s'%s, Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/%s']",
		Reference: "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"},
	{Sentinel: ErrAssertionTimeRange, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."},
	{Sentinel: ErrAssertionAudience, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."},
	{Sentinel: ErrAssertionAppID, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."},
	// A client assertion whose sub is not its iss (AzureAD/microsoft-authentication-library-
	// for-java#430); iss = sub but not the client is AADSTS700021.
	{Sentinel: ErrAssertionSubject, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "Subject must match the issuer claim in the client assertion."},
	// A client assertion that is not a compact JWS Entra can read (panva/openid-client#348:
	// an aud array; AzureAD/microsoft-authentication-library-for-dotnet#124: no thumbprint).
	{Sentinel: ErrInvalidJWT, OAuth: "invalid_client", Status: http.StatusUnauthorized,
		Message: "JWT token is invalid or malformed."},
	// client_assertion_type other than jwt-bearer (AzureAD/azure-activedirectory-library-for-
	// ruby#53, 2016 wording).
	{Sentinel: ErrUnexpectedAssertionType, OAuth: "invalid_request", Status: http.StatusBadRequest,
		Message: "Unexpected client assertion type."},
})
