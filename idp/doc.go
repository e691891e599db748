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
// userinfo graph.microsoft.com; the "User access URL" is My Apps'). {tenant} is the tenant
// GUID or one of its verified domains, and on the OpenID Connect paths also "common" or
// "organizations"; an unknown tenant is AADSTS90002. Every endpoint of the server, as the
// http.ServeMux pattern it is registered with (* is any method):
//
//	SAML 2.0
//	GET     /{tenant}/saml2                     AuthnRequest, or LogoutRequest (SLO), by HTTP-Redirect
//	POST    /{tenant}/saml2                     AuthnRequest (HTTP-POST)
//	GET     /{tenant}/federationmetadata/2007-06/federationmetadata.xml
//	                                            ?appid={appId}: the app's signed metadata (UTF-8 BOM)
//	GET     /{tenant}/FederationMetadata/2007-06/FederationMetadata.xml
//	                                            the same, in the portal's spelling
//	GET     /myapps/signin/{appId}              ?tenantId={tid}: IdP-initiated sign-in ("User access URL")
//	POST    /{tenant}/login                     the sign-in page's form (email, then password)
//
//	OpenID Connect and OAuth 2.0
//	GET     /{tenant}/v2.0/.well-known/openid-configuration
//	                                            v2.0 discovery document
//	GET     /{tenant}/.well-known/openid-configuration
//	                                            v1.0 discovery document
//	GET     /{tenant}/discovery/v2.0/keys       v2.0 JWKS (with each key's issuer)
//	GET     /{tenant}/discovery/keys            v1.0 JWKS
//	GET     /{tenant}/oauth2/v2.0/authorize     authorization endpoint (query)
//	POST    /{tenant}/oauth2/v2.0/authorize     authorization endpoint (form post)
//	*       /{tenant}/oauth2/v2.0/token         token endpoint (POST only; other methods: error JSON)
//	GET     /{tenant}/oauth2/v2.0/logout        end_session_endpoint (front-channel logout)
//	POST    /{tenant}/oauth2/v2.0/logout        end_session_endpoint, form post
//	GET     /oidc/userinfo                      userinfo (Graph's), with a Bearer access token
//	POST    /oidc/userinfo                      userinfo, form post
//	OPTIONS /oidc/userinfo                      userinfo CORS preflight
//
//	The mock's own (no Entra path)
//	GET     /_mockidp/apps/{appId}/certificate  "Certificate (Base64)" download (?format=raw: DER)
//	GET     /_mockidp/signins                   the sign-in log as JSON ("Sign-in logs")
//	GET     /_mockidp/attacker/{corr}/{file}    the attacker's key set (keys.json) or certificate (cert.pem) a jku / x5u fault's header names
//	GET     /_mockidp/ready                     readiness: 200 "ok"
//	*       /                                   any other path: Entra's error page, AADSTS900561 (404)
//
//	Control API (Config.ControlAPI; Authorization: Bearer <token>)
//	GET     /_mockidp/faults                    the fault catalog
//	GET     /_mockidp/faults/armed              the armed faults
//	POST    /_mockidp/faults/armed              arm one (body: Arming, or {"fault": ID, "context": true})
//	DELETE  /_mockidp/faults/armed/{token}      disarm one
//	DELETE  /_mockidp/faults/armed              disarm all
//	POST    /_mockidp/faults/prepare            {"faults": [ID…]}: make the faults' certificates
//
// This table is the route table of routes.go, the only place routes are registered; a test
// holds the two equal. The Go API builds the URLs: Server.LoginURL, EntityID,
// Server.MetadataURL, Server.CertificateURL, Server.UserAccessURL, and Server.AdminValues
// for all of them per app. The control API answers 404 unless Config.ControlAPI has a token,
// and 401 without "Authorization: Bearer <token>"; arming with "context": true returns the
// cookie to set on the IdP's origin, and an Arming names a user, app and count instead.
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
// # Time, randomness and keys
//
// Each Server has one Clock (WithClock; frozen, offset or advanced at will) and one random
// source (WithRand; NewSeededRand for reproducible output). Every timestamp the server writes
// comes from the Clock. Signing keys are generated (RSA-2048, self-signed certificates with
// the configured NotBefore/NotAfter) unless PEM files are given, and persisted under
// Config.KeyDir when it is set.
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
