// Package idp is a mock Microsoft Entra ID (formerly Azure AD) for testing the SAML and
// OpenID Connect sign-in of a service provider: a directory of tenants, users, groups,
// enterprise apps and app registrations modelled as Entra models them, served at Entra's
// paths, with Entra-shaped metadata, assertions, tokens and AADSTS errors. The host is the
// mock's own; the paths and the identifiers (https://sts.windows.net/{tid}/) are Entra's.
//
// # Quick start
//
// In a Go test, like net/http/httptest:
//
//	srv := idptest.Start(t)                 // default directory: tenant "contoso", B.Simon
//	tenant := srv.Config().Tenants[0]
//	app := tenant.EnterpriseApps[0]
//	metadataURL := srv.MetadataURL(tenant, app) // point the SP here
//	loginURL := srv.LoginURL(tenant)            // the "Login URL" of the portal
//	// ... drive the SP; then assert on what the IdP saw:
//	for _, ev := range srv.Events() { _ = ev.ErrorCode }
//
// Pointed at your own SAML SP and OIDC client (the default directory's app and app
// registration, with your entity ID, ACS URL, client ID and redirect URI):
//
//	srv := idptest.Start(t,
//		idp.WithSAMLApp("https://sp.example.com/saml/metadata", "https://sp.example.com/saml/acs"),
//		idp.WithOIDCClient("00001111-aaaa-2222-bbbb-3333cccc4444", "https://rp.example.com/signin-oidc"))
//
// The server works on its own copy of a Config given with WithConfig; Server.Config is it.
//
// As a process: `mockidp serve [--config FILE]` (see cmd/mockidp).
//
// # Endpoints
//
// The host is the mock's own; the paths are Entra's (login.microsoftonline.com, and for
// userinfo and Microsoft Graph's /v1.0 graph.microsoft.com; the "User access URL" is My
// Apps'). {tenant} is the tenant
// GUID or one of its verified domains, and on the OpenID Connect paths also "common",
// "organizations" or "consumers" (the personal-account tenant
// 9188040d-6c67-4c5b-b112-36a304b66dad: discovery and keys always, sign-ins when the config
// has that tenant); an unknown tenant is AADSTS90002. Signing out of one app signs the
// browser out of every app of its session (SAML LogoutRequests, front-channel logout URLs).
// Every endpoint of the server, as the http.ServeMux pattern it is registered with (* is any
// method):
//
//	SAML 2.0
//	GET     /{tenant}/saml2                     AuthnRequest, LogoutRequest (SLO), or an app's LogoutResponse to the session's sign-out, by HTTP-Redirect
//	POST    /{tenant}/saml2                     AuthnRequest (HTTP-POST)
//	GET     /{tenant}/federationmetadata/2007-06/federationmetadata.xml
//	                                            ?appid={appId}: the app's signed metadata (UTF-8 BOM); no appid: the tenant's (tenant key); common, organizations: entityID https://sts.windows.net/{tenantid}/
//	GET     /{tenant}/FederationMetadata/2007-06/FederationMetadata.xml
//	                                            the same, in the portal's spelling
//	GET     /myapps/signin/{appId}              ?tenantId={tid}: IdP-initiated sign-in ("User access URL")
//	GET     /{tenant}/wsfed                     WS-Federation passive: wa=wsignin1.0 (wtrealm, wreply, wctx, wreq) posts wresult to the reply URL; wa=wsignout1.0, wsignoutcleanup1.0
//	POST    /{tenant}/wsfed                     WS-Federation passive, form post
//	POST    /{tenant}/login                     the sign-in page's form (email, then password); needs the page's esctx cookie (else AADSTS90100)
//
//	OpenID Connect and OAuth 2.0
//	GET     /{tenant}/v2.0/.well-known/openid-configuration
//	                                            v2.0 discovery document
//	OPTIONS /{tenant}/v2.0/.well-known/openid-configuration
//	                                            CORS preflight (GET, OPTIONS; any origin)
//	GET     /{tenant}/.well-known/openid-configuration
//	                                            v1.0 discovery document
//	OPTIONS /{tenant}/.well-known/openid-configuration
//	                                            CORS preflight (GET, OPTIONS; any origin)
//	GET     /{tenant}/discovery/v2.0/keys       v2.0 JWKS: the tenant's signing key among the cloud's other keys, each with its issuer
//	OPTIONS /{tenant}/discovery/v2.0/keys       CORS preflight (GET, OPTIONS; any origin)
//	GET     /{tenant}/discovery/keys            v1.0 JWKS
//	OPTIONS /{tenant}/discovery/keys            CORS preflight (GET, OPTIONS; any origin)
//	GET     /common/discovery/instance
//	                                            instance discovery (MSAL's first call): ?api-version=1.1&authorization_endpoint=… on this host
//	GET     /{tenant}/oauth2/v2.0/authorize     authorization endpoint (query)
//	POST    /{tenant}/oauth2/v2.0/authorize     authorization endpoint (form post)
//	*       /{tenant}/oauth2/v2.0/token         token endpoint (POST only; other methods: error JSON)
//	OPTIONS /{tenant}/oauth2/v2.0/token         CORS preflight of a SPA's redemption (POST, OPTIONS; the request's Origin)
//	*       /{tenant}/oauth2/v2.0/devicecode    device authorization (POST only): user_code, device_code, verification_uri (this host's /devicelogin)
//	*       /{tenant}/oauth2/devicecode         v1.0 device authorization (POST only; resource=; verification_url, expires_in and interval as strings)
//	GET     /{tenant}/oauth2/deviceauth         the device login page: "Enter code" (?otc= fills it in)
//	POST    /{tenant}/oauth2/deviceauth         the device login page's forms: the code, then Continue or Cancel
//	GET     /{tenant}/oauth2/v2.0/logout        end_session_endpoint: signs out of every app of the session (front-channel, SAML LogoutRequests)
//	POST    /{tenant}/oauth2/v2.0/logout        end_session_endpoint, form post
//	GET     /{tenant}/adminconsent              admin consent (v1): ?client_id=&redirect_uri=&state=; after sign-in and Accept, redirect_uri?admin_consent=True&tenant={tid}&state=
//	GET     /{tenant}/v2.0/adminconsent         admin consent (v2): the same with ?scope=, echoed back
//	POST    /{tenant}/Consent/Set               the consent page's Accept / Cancel (action=accept|cancel; cancel: AADSTS65004)
//	POST    /{tenant}/SAS/ProcessAuth           the MFA prompt's code (otc; the mock's code is MFACode, 123456)
//	GET     /oidc/userinfo                      userinfo (Graph's), with a Bearer access token
//	POST    /oidc/userinfo                      userinfo, form post
//	OPTIONS /oidc/userinfo                      userinfo CORS preflight
//	GET     /{tenant}/oauth2/authorize          v1.0 authorization endpoint (query; resource=)
//	POST    /{tenant}/oauth2/authorize          v1.0 authorization endpoint (form post)
//	*       /{tenant}/oauth2/token              v1.0 token endpoint (POST only; resource=; v1 response, numbers as strings)
//	OPTIONS /{tenant}/oauth2/token              CORS preflight (POST, OPTIONS; the request's Origin)
//	GET     /{tenant}/oauth2/logout             v1.0 end_session_endpoint (as v2.0's)
//	POST    /{tenant}/oauth2/logout             v1.0 end_session_endpoint, form post
//	GET     /{tenant}/openid/userinfo           v1.0 userinfo_endpoint (as /oidc/userinfo)
//	POST    /{tenant}/openid/userinfo           v1.0 userinfo, form post
//	OPTIONS /{tenant}/openid/userinfo           v1.0 userinfo CORS preflight
//	GET     /{tenant}/oauth2/checksession       check_session_iframe (OIDC Session Management: unchanged / changed / error)
//	*       /{tenant}/kerberos                  kerberos_endpoint (MS-KKDCP): POST only; no Kerberos realm, so an Entra error JSON
//
//	Microsoft Graph v1.0 (graph_*.go; Authorization: Bearer <access token for Graph>)
//	GET     /v1.0/me                            the signed-in user (delegated token: User.Read; app-only: 400)
//	GET     /v1.0/users                         users ($select, $filter, $top 1–999, $skiptoken, $count and $search with ConsistencyLevel: eventual, $orderby); User.Read.All or Directory.Read.All
//	GET     /v1.0/users/{id}                    a user by object ID or userPrincipalName ($select); users/$count: the count, text/plain
//	GET     /v1.0/users/{id}/manager            the user's manager (User.manager), or 404
//	GET     /v1.0/users/{id}/memberOf           the user's groups (directoryObjects)
//	POST    /v1.0/users/{id}/getMemberObjects   {"securityEnabledOnly": bool}: the IDs of the user's groups, transitively (the groups overage source)
//	GET     /v1.0/directory/deletedItems/microsoft.graph.user
//	                                            the deleted users (deletedDateTime)
//	GET     /v1.0/groups                        groups ($select, $filter, $top, $skiptoken); Group.Read.All, GroupMember.Read.All or Directory.Read.All
//	GET     /v1.0/groups/{id}                   a group by object ID
//	GET     /v1.0/groups/{id}/members           the group's direct members, groups and users (@odata.type)
//	GET     /v1.0/groups/{id}/transitiveMembers the members of the group and of the groups nested in it
//	GET     /v1.0/organization                  the caller's tenant
//	GET     /v1.0/servicePrincipals             enterprise apps and app registrations as service principals; Application.Read.All
//	GET     /v1.0/applications                  app registrations (requiredResourceAccess, appRoles, redirect URIs); Application.Read.All
//
//	The mock's own (no Entra path)
//	GET     /_mockidp/apps/{appId}/certificate  "Certificate (Base64)" download (?format=raw: DER)
//	GET     /_mockidp/signins                   the sign-in log, JSON, paged ($top, $skiptoken); owner only
//	GET     /_mockidp/attacker/{corr}/{file}    the attacker's key set (keys.json) or certificate (cert.pem) a jku / x5u fault's header names
//	GET     /devicelogin                        the device code verification_uri (Entra's is https://microsoft.com/devicelogin): redirects to /common/oauth2/deviceauth
//	GET     /_mockidp/ready                     readiness: 200 "ok"
//	*       /                                   any other path: Entra's error page, AADSTS900561 (404); under /v1.0/, Graph's 400 "Resource not found for the segment …"
//
//	Control API (Config.ControlAPI; Authorization: Bearer <token>)
//	GET     /_mockidp/faults                    the fault catalog
//	GET     /_mockidp/faults/armed              the armed faults
//	POST    /_mockidp/faults/armed              arm one (body: Arming, or {"fault": ID, "context": true})
//	DELETE  /_mockidp/faults/armed/{token}      disarm one
//	DELETE  /_mockidp/faults/armed              disarm all
//	POST    /_mockidp/faults/prepare            {"faults": [ID…]}: make the faults' certificates
//	POST    /_mockidp/provisioning/{appId}/cycle  run a provisioning cycle of the app (SCIM, package provision); answers its provisioning log
//	GET     /_mockidp/graph/faults              the armed Microsoft Graph faults (graph_faults.go)
//	POST    /_mockidp/graph/faults              arm a Graph fault (body: GraphFault: kind throttle|unavailable|short-page, path, after, count, retryAfter)
//	DELETE  /_mockidp/graph/faults              disarm every Graph fault
//
// This table is the route table of routes.go, the only place routes are registered; a test
// holds the two equal. The Go API builds the URLs: Server.LoginURL, EntityID,
// Server.MetadataURL, Server.CertificateURL, Server.UserAccessURL, and Server.AdminValues
// for all of them per app. The control API answers 404 unless Config.ControlAPI has a token,
// and 401 without "Authorization: Bearer <token>"; arming with "context": true returns the
// cookie to set on the IdP's origin, and an Arming names a user, app and count instead.
//
// # v1.0 endpoints and client assertions
//
// The v1.0 endpoints share the v2.0 handlers (oidc_v1.go): resource= (Microsoft Graph by URI
// or appId, or an app registration by App ID URI or appId; unknown: AADSTS500011) instead of
// scopes, v1.0 ID tokens (iss https://sts.windows.net/{tid}/, x5t and kid, amr, unique_name,
// upn, ipaddr) given by /token without scope=openid, a refresh token that serves any resource,
// and v1's token response (numbers as strings, expires_on, not_before, resource). An access
// token's version is the resource's (AppRegistration.RequestedAccessTokenVersion) at either
// endpoint. Both token endpoints take client assertions (private_key_jwt) signed by a
// certificate of AppRegistration.KeyCredentials and named by x5t#S256, x5t or kid: AADSTS
// 50048 (sub not iss), 700021 (iss not the client), 700027 (key not found, or signature),
// 700023 (aud not a token endpoint of the tenant on this host), 700024 (exp/nbf, 5 minutes
// of skew), 50027 (malformed), 90011 (client_assertion_type); appidacr is then "2".
//
// # The sign-in log over HTTP
//
// GET /_mockidp/signins pages the log as Microsoft Graph's GET /auditLogs/signIns does:
// {"@odata.context", "value": [Event…], "@odata.nextLink"}, $top events a page (1–1000,
// default 1000) and a nextLink with a $skiptoken while more follow. Unlike Graph it is oldest
// first, so a harness that keeps the last page's position reads only new events; a bad $top
// or $skiptoken is Graph's 400 {"error": {"code": "BadRequest", …}}.
//
// The log and the control API are the tester's ("owner only"). They answer only requests
// whose Host is the public URL's host, localhost or a loopback address, whatever the port:
// other names get 421 {"error": "invalid_host"} (a web page that points a name of its own at
// 127.0.0.1 — DNS rebinding — cannot read them). The log needs the control token
// (Authorization: Bearer) when Config.ControlAPI has one, and is refused (403) without one
// when the server listens on an address other than loopback.
//
// Every value an event holds is bounded when it is recorded — 1 KiB a value, 8 KiB the
// request XML, 16 KiB an issued ID token, 64 entries a map, 24 KiB an event — so the log takes
// at most Retention.Events times that, whatever requests carry; Event.Truncated gives the
// original length of each value cut. Oversized SAML parameters are refused before they are
// decoded: a RelayState, or a Redirect SAMLRequest, over 8 KiB gets AADSTS90015, as OIDC
// parameters and the User access URL's (tenantId, login_hint) do (Entra does not enforce the
// 80-byte RelayState of the SAML bindings). At most 1,000 sign-ins in progress (sign-in pages
// not yet answered) are kept, each for 30 minutes; past that the oldest is dropped and its
// form gets AADSTS50089, as an expired one.
//
// # Microsoft Graph
//
// The /v1.0 routes (graph_*.go) are Microsoft Graph over the directory the sign-in uses, for
// the mock's own access tokens for Graph (parseGraphToken; 401 InvalidAuthenticationToken
// otherwise). App-only tokens carry roles from AppRegistration.RequiredResourceAccess only
// with admin consent (graphTokenPermissions, the token endpoint's one hook); without the
// permission Graph answers 403 Authorization_RequestDenied. Collections page as Graph does
// ($top 1–999, default 100, an opaque $skiptoken in @odata.nextLink), take $select, $filter
// (eq, in, startswith; and/or), and $count / $search behind ConsistencyLevel: eventual.
// Errors are Graph's envelope (graph_errors.go). Every request is a graph-request event
// (ProtocolGraph) with its page, count, total, nextLink and fault; Server.ArmGraphFault (or
// POST /_mockidp/graph/faults) arms a 429 with Retry-After, a 503, or a page that ends early.
// Deleted users (User.DeletedDateTime) are only in /directory/deletedItems and cannot sign
// in. Microsoft's Graph SDK for Go is the oracle (package graphsdk).
//
// # Reliability suite
//
// TestSweep sends every variant of testdata/sweep/variants.txt (oversized values, bad base64
// and DEFLATE, invalid UTF-8, NUL bytes, XML bombs and entities, script, open-redirect and
// path-traversal attempts, wrong methods and Hosts, huge headers, bad bodies) to every route
// of testdata/sweep/routes.txt — which holds one line per endpoint of the table above, a test
// checks — over HTTP and HTTPS. Every answer must be one Entra gives (its error page, OAuth
// JSON error, Graph error, or the control API's), with no 5xx, no panic (an internal event),
// no reflected script and no redirect to a foreign host; net/http's own refusals (431 for a
// header over MaxHeaderBytes) are counted apart. `make test` runs it in short form, `make soak`
// in full (MOCKIDP_SOAK=full) with the memory bound of cmd/mockidp (VmRSS of `mockidp serve`
// before and after oversized requests) and SIGTERM under load.
//
// # Connections and shutdown
//
// A server that listens (NewServer, Start, StartTLS) bounds what one connection holds —
// ReadHeaderTimeout (10 s), ReadTimeout (30 s), WriteTimeout (2 min), IdleTimeout (90 s),
// MaxHeaderBytes (256 KiB; larger headers get 431) — far above what a sign-in needs, so slow
// or idle clients cannot exhaust descriptors. Close stops accepting, lets requests in flight
// finish for up to ShutdownGrace (5 s), then cuts what is left; `mockidp serve` closes so on
// SIGINT/SIGTERM, and a signal during start-up (key generation) stops it at once.
//
// # Default directory
//
// DefaultConfig (default.yaml; `mockidp serve` without --config, idptest.Start) is one
// tenant with fixed GUIDs, so printed values are stable between runs:
//
//	Tenant      Contoso  3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15
//	            verified domains contoso.onmicrosoft.com, contoso.com
//	Groups      SSO Users, Sales
//	Users       (every password is Passw0rd!)
//	  B.Simon@contoso.com       B.Simon        SSO Users, Sales
//	  AlexW@contoso.com         Alex Wilber    SSO Users
//	  MeganB@contoso.com        Megan Bowen    no group: not assigned to the SAML app (AADSTS50105)
//	  DisabledUser@contoso.com  Disabled User  SSO Users; accountEnabled false (AADSTS50057)
//	Enterprise app (SAML)  "Contoso SAML App"  9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6
//	  Identifier (Entity ID)    https://sp.example.test/saml/metadata
//	  Reply URL (ACS)           https://sp.example.test/saml/acs
//	  Sign on URL               https://sp.example.test/
//	  Logout URL                https://sp.example.test/saml/slo
//	  assignment required       yes, to SSO Users
//	App registration (OIDC)  "Contoso OIDC Web"  6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b
//	  sign-in audience          AzureADMultipleOrgs (usable through /common and /organizations)
//	  web redirect URI          http://localhost:8080/signin-oidc (ID tokens by implicit grant on)
//	  front-channel logout URL  http://localhost:8080/signout-oidc
//	  SPA redirect URI          http://localhost:3000/
//	  client secrets            "Mq8Q~contoso.mock-secret_value.0123456789" (valid 180 days),
//	                            "Zz9Q~contoso.expired-secret_value.98765" (expired)
//	  optional ID token claims  email, login_hint; group claims SecurityGroup
//
// # Replicas
//
// Several servers with the same Config and keys behave as one behind a load balancer without
// session affinity: the state a later request needs is either sealed into the value the
// browser or the RP carries back (flow handles, the session cookie, codes, refresh tokens,
// device codes; AES-256-GCM under a key derived from the signing keys, or WithStateKey), or
// kept in a Store the replicas share (WithStore: single-use markers, device approvals, armed
// faults and their keys, run-time consent, the access-token correlation, directory changes).
// The default Store is NewMemoryStore, private to the server. StoreHandler serves a Store over
// HTTP with an owner-only bearer token and NewHTTPStore is its client: `mockidp store` and
// `mockidp serve --store URL`. Each replica keeps its own sign-in log; join them by
// correlation ID. See docs/scale.md.
//
// # Time, randomness and keys
//
// Each Server has one Clock (WithClock; frozen, offset or advanced at will) and one random
// source (WithRand; NewSeededRand for reproducible output). Every timestamp the server writes
// comes from the Clock. Signing keys are generated (RSA-2048, self-signed certificates with
// the configured NotBefore/NotAfter) unless PEM files are given, and persisted under
// Config.KeyDir when it is set.
//
// # Sign-in page and SAML requests
//
// The sign-in page sets an esctx cookie (one random value per browser, HttpOnly, the
// attributes of ESTSAUTH) and each post of its form must carry the value the flow was
// started with, as Entra's flowToken and canary are good only in the browser that got the
// page: a post of a flow's ctx from another browser or with no cookie (login CSRF) is
// "AADSTS90100: flowtoken parameter is empty or not valid." and signs nobody in; a ctx
// the server no longer knows is AADSTS50089. A client of the form other than a browser
// keeps cookies (idptest.Browser and load do).
//
// An AuthnRequest is refused, before any Response is made, when it is not well-formed XML
// (an attribute twice in one element: AADSTS75005), when its ID is not an xs:ID (an NCName:
// not starting with a digit, '-' or '.', no ':' or spaces: AADSTS7500529), or when it has
// a Destination that is not the Login URL it was sent to (AADSTS75008; scheme and host
// without case, the default port optional). The sign-in log keeps what could be read of
// the refused request (ID, Issuer, Version, IssueInstant, Destination, the XML).
//
// # Consent and Conditional Access
//
// An app registration with adminConsentGranted: false needs a delegated permission grant
// (Tenant.OAuth2PermissionGrants, Graph's oauth2PermissionGrant): without one an
// interactive sign-in shows Entra's consent page ("Permissions requested"; Accept makes the
// user's grant, Cancel sends error=access_denied, AADSTS65004), and prompt=none or the
// refresh grant get AADSTS65001. GET /{tenant}/adminconsent (and /v2.0/adminconsent) signs
// an admin in and, on Accept, grants the app for the tenant and redirects with
// admin_consent=True&tenant={tid}&state=…. Tenant.ConditionalAccessPolicies (Graph's
// conditionalAccessPolicy: users and applications conditions, grant control block or mfa)
// block a sign-in (OIDC: error=access_denied, AADSTS53003, to the redirect URI; SAML: Entra's
// error page) or add the "Enter code" prompt (code MFACode) after the password, after which
// v1 tokens carry amr ["pwd","mfa"] and SAML's authnmethodsreferences multipleauthn; a refresh
// token of a sign-in without MFA then gets AADSTS50076 with suberror basic_action and the
// capolids claims challenge. The catalog rows config.consent.required, config.ca.blocked,
// config.ca.mfa and config.ca.mfa.saml arm the same conditions for one browser context; they
// stay armed, so an SP that sends the user back meets them again until the loop detection
// (AADSTS50196) after a few rounds.
//
// # Errors
//
// Failures are *Error values carrying the AADSTS code; they render themselves as Entra's
// "Sorry, but we're having trouble signing you in." page (with Request Id, Correlation Id,
// Timestamp and Message), as an OAuth error redirect, or as token-endpoint JSON. Every
// request is recorded in the sign-in log (Server.Events) with what the SP sent.
//
// # Faults
//
// Faults (the catalog: Faults, LookupFault; `mockidp faults`) make the server mint one bad
// or benignly different response on top of a perfect one, for the conformance checks:
//
//	af, _ := srv.ArmContext("saml.xsw.3")           // this browser context only
//	jar.SetCookies(idpURL, []*http.Cookie{af.Cookie()})
//	srv.Arm(idp.Arming{Fault: "oidc.nonce.wrong", User: "B.Simon@contoso.com"}) // next sign-in of a user
//
// A context-bound fault rides on the FaultCookie of the IdP's origin, so contexts running in
// parallel never see each other's faults; clock faults offset only that context's time. The
// minted fault is recorded in the sign-in log (Event.Fault). Config.Faults arms faults at
// start; Config.ControlAPI enables /_mockidp/faults for a harness in another process.
package idp
