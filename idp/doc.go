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
// # Endpoints (SAML side)
//
//	GET  /{tenant}/saml2                     AuthnRequest (HTTP-Redirect), LogoutRequest (Redirect)
//	POST /{tenant}/saml2                     AuthnRequest (HTTP-POST)
//	GET  /{tenant}/federationmetadata/2007-06/federationmetadata.xml?appid={appId}
//	                                         signed app metadata, UTF-8 BOM
//	POST /{tenant}/login                     the sign-in page's form posts
//	GET  /myapps/signin/{appId}?tenantId=    IdP-initiated sign-in ("User access URL")
//	GET  /_mockidp/apps/{appId}/certificate  "Certificate (Base64)" download (?format=raw: DER)
//	GET  /_mockidp/signins                   the sign-in log as JSON
//	GET  /_mockidp/ready                     readiness
//
// {tenant} is the tenant GUID or one of its verified domains. An unknown tenant is
// AADSTS90002.
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
