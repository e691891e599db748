package idp

import (
	"io"
	"net/http"
	"strings"
)

// route is one endpoint of the server: a Go 1.22 http.ServeMux pattern, its handler, the
// group it is listed under in the package manual (doc.go) and a one-line description.
// routeTable is the only place routes are registered; TestRoutesMatchManual holds it equal
// to the endpoint table of the manual.
type route struct {
	group   string // groupSAML, groupOIDC, groupGraph, groupMock or groupControl
	pattern string // "[METHOD ]/path", as http.ServeMux takes it
	doc     string // one line for the manual
	handler http.HandlerFunc
}

// The groups of the manual's endpoint table, in its order.
const (
	groupSAML    = "SAML 2.0"
	groupOIDC    = "OpenID Connect and OAuth 2.0"
	groupGraph   = "Microsoft Graph v1.0 (graph_*.go; Authorization: Bearer <access token for Graph>)"
	groupMock    = "The mock's own (no Entra path)"
	groupControl = "Control API (Config.ControlAPI; Authorization: Bearer <token>)"
)

// routeTable lists every endpoint of the server, grouped and ordered as in the manual.
func (s *Server) routeTable() []route {
	return []route{
		// SAML: Entra's single SAML endpoint, metadata and the "User access URL".
		{groupSAML, "GET /{tenant}/saml2", "AuthnRequest, LogoutRequest (SLO), or an app's LogoutResponse to the session's sign-out, by HTTP-Redirect", s.handleSAML2},
		{groupSAML, "POST /{tenant}/saml2", "AuthnRequest (HTTP-POST)", s.handleSAML2},
		{groupSAML, "GET /{tenant}/federationmetadata/2007-06/federationmetadata.xml", "?appid={appId}: the app's signed metadata (UTF-8 BOM); no appid: the tenant's (tenant key); common, organizations: entityID https://sts.windows.net/{tenantid}/", s.handleMetadata},
		{groupSAML, "GET /{tenant}/FederationMetadata/2007-06/FederationMetadata.xml", "the same, in the portal's spelling", s.handleMetadata},
		{groupSAML, "GET /myapps/signin/{appId}", "?tenantId={tid}: IdP-initiated sign-in (\"User access URL\")", s.handleIdPInitiated},
		{groupSAML, "GET /{tenant}/wsfed", "WS-Federation passive: wa=wsignin1.0 (wtrealm, wreply, wctx, wreq) posts wresult to the reply URL; wa=wsignout1.0, wsignoutcleanup1.0", s.handleWSFed},
		{groupSAML, "POST /{tenant}/wsfed", "WS-Federation passive, form post", s.handleWSFed},
		{groupSAML, "POST /{tenant}/login", "the sign-in page's form (email, then password); needs the page's esctx cookie (else AADSTS90100)", s.handleLogin},

		// OpenID Connect and OAuth 2.0 (oidc_*.go).
		{groupOIDC, "GET /{tenant}/v2.0/.well-known/openid-configuration", "v2.0 discovery document", s.handleDiscoveryV2},
		{groupOIDC, "OPTIONS /{tenant}/v2.0/.well-known/openid-configuration", "CORS preflight (GET, OPTIONS; any origin)", preflight(corsGetMethods, false)},
		{groupOIDC, "GET /{tenant}/.well-known/openid-configuration", "v1.0 discovery document", s.handleDiscoveryV1},
		{groupOIDC, "OPTIONS /{tenant}/.well-known/openid-configuration", "CORS preflight (GET, OPTIONS; any origin)", preflight(corsGetMethods, false)},
		{groupOIDC, "GET /{tenant}/discovery/v2.0/keys", "v2.0 JWKS: the tenant's signing key among the cloud's other keys, each with its issuer", s.handleKeys},
		{groupOIDC, "OPTIONS /{tenant}/discovery/v2.0/keys", "CORS preflight (GET, OPTIONS; any origin)", preflight(corsGetMethods, false)},
		{groupOIDC, "GET /{tenant}/discovery/keys", "v1.0 JWKS", s.handleKeys},
		{groupOIDC, "OPTIONS /{tenant}/discovery/keys", "CORS preflight (GET, OPTIONS; any origin)", preflight(corsGetMethods, false)},
		{groupOIDC, "GET /common/discovery/instance", "instance discovery (MSAL's first call): ?api-version=1.1&authorization_endpoint=… on this host", s.handleInstanceDiscovery},
		{groupOIDC, "GET /{tenant}/oauth2/v2.0/authorize", "authorization endpoint (query)", s.handleAuthorize},
		{groupOIDC, "POST /{tenant}/oauth2/v2.0/authorize", "authorization endpoint (form post)", s.handleAuthorize},
		{groupOIDC, "/{tenant}/oauth2/v2.0/token", "token endpoint (POST only; other methods: error JSON)", s.handleToken},
		{groupOIDC, "OPTIONS /{tenant}/oauth2/v2.0/token", "CORS preflight of a SPA's redemption (POST, OPTIONS; the request's Origin)", preflight(corsPostMethods, true)},
		{groupOIDC, "/{tenant}/oauth2/v2.0/devicecode", "device authorization (POST only): user_code, device_code, verification_uri (this host's /devicelogin)", s.handleDeviceCodeV2},
		{groupOIDC, "/{tenant}/oauth2/devicecode", "v1.0 device authorization (POST only; resource=; verification_url, expires_in and interval as strings)", s.handleDeviceCodeV1},
		{groupOIDC, "GET /{tenant}/oauth2/deviceauth", "the device login page: \"Enter code\" (?otc= fills it in)", s.handleDeviceAuthPage},
		{groupOIDC, "POST /{tenant}/oauth2/deviceauth", "the device login page's forms: the code, then Continue or Cancel", s.handleDeviceAuth},
		{groupOIDC, "GET /{tenant}/oauth2/v2.0/logout", "end_session_endpoint: signs out of every app of the session (front-channel, SAML LogoutRequests)", s.handleLogout},
		{groupOIDC, "POST /{tenant}/oauth2/v2.0/logout", "end_session_endpoint, form post", s.handleLogout},
		{groupOIDC, "GET /{tenant}/adminconsent", "admin consent (v1): ?client_id=&redirect_uri=&state=; after sign-in and Accept, redirect_uri?admin_consent=True&tenant={tid}&state=", s.handleAdminConsent},
		{groupOIDC, "GET /{tenant}/v2.0/adminconsent", "admin consent (v2): the same with ?scope=, echoed back", s.handleAdminConsent},
		{groupOIDC, "POST /{tenant}/Consent/Set", "the consent page's Accept / Cancel (action=accept|cancel; cancel: AADSTS65004)", s.handleConsentSet},
		{groupOIDC, "POST /{tenant}/SAS/ProcessAuth", "the MFA prompt's code (otc; the mock's code is MFACode, 123456)", s.handleProcessAuth},
		{groupOIDC, "GET /oidc/userinfo", "userinfo (Graph's), with a Bearer access token", s.handleUserInfo},
		{groupOIDC, "POST /oidc/userinfo", "userinfo, form post", s.handleUserInfo},
		{groupOIDC, "OPTIONS /oidc/userinfo", "userinfo CORS preflight", s.handleUserInfo},
		// The v1.0 endpoints the v1 discovery advertises (oidc_v1.go): resource= instead of
		// scopes, v1 tokens (iss https://sts.windows.net/{tid}/).
		{groupOIDC, "GET /{tenant}/oauth2/authorize", "v1.0 authorization endpoint (query; resource=)", s.handleAuthorizeV1},
		{groupOIDC, "POST /{tenant}/oauth2/authorize", "v1.0 authorization endpoint (form post)", s.handleAuthorizeV1},
		{groupOIDC, "/{tenant}/oauth2/token", "v1.0 token endpoint (POST only; resource=; v1 response, numbers as strings)", s.handleTokenV1},
		{groupOIDC, "OPTIONS /{tenant}/oauth2/token", "CORS preflight (POST, OPTIONS; the request's Origin)", preflight(corsPostMethods, true)},
		{groupOIDC, "GET /{tenant}/oauth2/logout", "v1.0 end_session_endpoint (as v2.0's)", s.handleLogout},
		{groupOIDC, "POST /{tenant}/oauth2/logout", "v1.0 end_session_endpoint, form post", s.handleLogout},
		{groupOIDC, "GET /{tenant}/openid/userinfo", "v1.0 userinfo_endpoint (as /oidc/userinfo)", s.handleUserInfoV1},
		{groupOIDC, "POST /{tenant}/openid/userinfo", "v1.0 userinfo, form post", s.handleUserInfoV1},
		{groupOIDC, "OPTIONS /{tenant}/openid/userinfo", "v1.0 userinfo CORS preflight", s.handleUserInfoV1},
		{groupOIDC, "GET /{tenant}/oauth2/checksession", "check_session_iframe (OIDC Session Management: unchanged / changed / error)", s.handleCheckSession},
		{groupOIDC, "/{tenant}/kerberos", "kerberos_endpoint (MS-KKDCP): POST only; no Kerberos realm, so an Entra error JSON", s.handleKerberos},

		// Microsoft Graph v1.0 (graph_*.go): the directory the sign-in uses, read with a Graph
		// access token the mock minted; also reachable as https://graph.microsoft.com.
		{groupGraph, "GET /v1.0/me", "the signed-in user (delegated token: User.Read; app-only: 400)", s.graphAPI(s.handleGraphMe)},
		{groupGraph, "GET /v1.0/users", "users ($select, $filter, $top 1–999, $skiptoken, $count and $search with ConsistencyLevel: eventual, $orderby); User.Read.All or Directory.Read.All", s.graphAPI(s.handleGraphUsers)},
		{groupGraph, "GET /v1.0/users/{id}", "a user by object ID or userPrincipalName ($select); users/$count: the count, text/plain", s.graphAPI(s.handleGraphUser)},
		{groupGraph, "GET /v1.0/users/{id}/manager", "the user's manager (User.manager), or 404", s.graphAPI(s.handleGraphManager)},
		{groupGraph, "GET /v1.0/users/{id}/memberOf", "the user's groups (directoryObjects)", s.graphAPI(s.handleGraphMemberOf)},
		{groupGraph, "POST /v1.0/users/{id}/getMemberObjects", "{\"securityEnabledOnly\": bool}: the IDs of the user's groups, transitively (the groups overage source)", s.graphAPI(s.handleGraphGetMemberObjects)},
		{groupGraph, "GET /v1.0/directory/deletedItems/microsoft.graph.user", "the deleted users (deletedDateTime)", s.graphAPI(s.handleGraphDeletedUsers)},
		{groupGraph, "GET /v1.0/groups", "groups ($select, $filter, $top, $skiptoken); Group.Read.All, GroupMember.Read.All or Directory.Read.All", s.graphAPI(s.handleGraphGroups)},
		{groupGraph, "GET /v1.0/groups/{id}", "a group by object ID", s.graphAPI(s.handleGraphGroup)},
		{groupGraph, "GET /v1.0/groups/{id}/members", "the group's direct members, groups and users (@odata.type)", s.graphAPI(s.handleGraphMembers)},
		{groupGraph, "GET /v1.0/groups/{id}/transitiveMembers", "the members of the group and of the groups nested in it", s.graphAPI(s.handleGraphTransitiveMembers)},
		{groupGraph, "GET /v1.0/organization", "the caller's tenant", s.graphAPI(s.handleGraphOrganization)},
		{groupGraph, "GET /v1.0/servicePrincipals", "enterprise apps and app registrations as service principals; Application.Read.All", s.graphAPI(s.handleGraphServicePrincipals)},
		{groupGraph, "GET /v1.0/applications", "app registrations (requiredResourceAccess, appRoles, redirect URIs); Application.Read.All", s.graphAPI(s.handleGraphApplications)},

		// The mock's own endpoints: portal downloads, the sign-in log, readiness.
		{groupMock, "GET /_mockidp/apps/{appId}/certificate", "\"Certificate (Base64)\" download (?format=raw: DER)", s.handleCertificate},
		{groupMock, "GET /_mockidp/signins", "the sign-in log, JSON, paged ($top, $skiptoken); owner only", s.ownerOnly(s.serveSignIns)},
		{groupMock, "GET /_mockidp/attacker/{corr}/{file}", "the attacker's key set (keys.json) or certificate (cert.pem) a jku / x5u fault's header names", s.handleAttackerKey},
		{groupMock, "GET /devicelogin", "the device code verification_uri (Entra's is https://microsoft.com/devicelogin): redirects to /common/oauth2/deviceauth", s.handleDeviceLogin},
		{groupMock, "GET /_mockidp/ready", "readiness: 200 \"ok\"", s.handleReady},
		{groupMock, "/", "any other path: Entra's error page, AADSTS900561 (404); under /v1.0/, Graph's 400 \"Resource not found for the segment …\"", s.handleNotFound},

		// Control API (control.go): 404 unless Config.ControlAPI has a token.
		{groupControl, "GET /_mockidp/faults", "the fault catalog", s.control(s.handleFaultCatalog)},
		{groupControl, "GET /_mockidp/faults/armed", "the armed faults", s.control(s.handleArmedFaults)},
		{groupControl, "POST /_mockidp/faults/armed", "arm one (body: Arming, or {\"fault\": ID, \"context\": true})", s.control(s.handleArm)},
		{groupControl, "DELETE /_mockidp/faults/armed/{token}", "disarm one", s.control(s.handleDisarm)},
		{groupControl, "DELETE /_mockidp/faults/armed", "disarm all", s.control(s.handleDisarmAll)},
		{groupControl, "POST /_mockidp/faults/prepare", "{\"faults\": [ID…]}: make the faults' certificates", s.control(s.handlePrepareFaults)},
		{groupControl, "POST /_mockidp/provisioning/{appId}/cycle", "run a provisioning cycle of the app (SCIM, package provision); answers its provisioning log", s.control(s.handleProvisioningCycle)},
		{groupControl, "GET /_mockidp/graph/faults", "the armed Microsoft Graph faults (graph_faults.go)", s.control(s.handleGraphFaultsGet)},
		{groupControl, "POST /_mockidp/graph/faults", "arm a Graph fault (body: GraphFault: kind throttle|unavailable|short-page, path, after, count, retryAfter)", s.control(s.handleGraphFaultsArm)},
		{groupControl, "DELETE /_mockidp/graph/faults", "disarm every Graph fault", s.control(s.handleGraphFaultsDisarm)},
	}
}

// routes builds the server's mux from routeTable.
func (s *Server) routes() {
	m := http.NewServeMux()
	for _, rt := range s.routeTable() {
		m.HandleFunc(rt.pattern, rt.handler)
	}
	s.mux = m
}

// handleReady is GET /_mockidp/ready.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// handleNotFound answers every path no other route takes with Entra's error page.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1.0/") {
		s.graphAPI(s.handleGraphUnknown)(w, r) // Graph answers its unknown segments itself
		return
	}
	s.renderErrorPage(w, r, newError(900561, "invalid_request", http.StatusNotFound,
		"The endpoint '%s' does not exist.", r.URL.Path), &Event{Protocol: "HTTP", Kind: EventNotFound})
}
