package idp

import (
	"html/template"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The v1.0 endpoints (the "Azure AD v1" protocol that ADAL, older SaaS apps and many
// mod_auth_openidc set-ups still speak): /oauth2/authorize, /oauth2/token, /oauth2/logout and
// /openid/userinfo beside the v2.0 ones. They are thin adapters over the v2.0 handlers: the
// same client, redirect, session, code and refresh logic, with a version flag that changes
// what v1 changes:
//
//   - resource= names the token's audience instead of scopes (an App ID URI or appId of a
//     registration, or Microsoft Graph); an unknown one is AADSTS500011;
//   - the ID token is v1.0 (iss https://sts.windows.net/{tid}/, x5t beside kid, amr,
//     unique_name, upn, ipaddr), and comes from /token without scope=openid, as does the
//     refresh token without offline_access (v1 always issued both for a code);
//   - the token response is v1's: numbers as strings, expires_on, not_before, resource.
//
// The access token's version follows the resource's accessTokenAcceptedVersion
// (AppRegistration.RequestedAccessTokenVersion), whichever endpoint issued it (entra.md).

// handleAuthorizeV1 is /{tenant}/oauth2/authorize.
func (s *Server) handleAuthorizeV1(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, true) }

// handleTokenV1 is /{tenant}/oauth2/token.
func (s *Server) handleTokenV1(w http.ResponseWriter, r *http.Request) { s.token(w, r, true) }

// handleUserInfoV1 is /{tenant}/openid/userinfo, the v1 discovery's userinfo_endpoint: the
// same answer as /oidc/userinfo (Graph's) once the tenant of the path is known.
func (s *Server) handleUserInfoV1(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.oidcTenant(r); !ok {
		ev := &Event{Protocol: "OIDC", Kind: EventUserInfo, Binding: r.Method, CorrelationID: s.rand.guid()}
		s.writeTokenError(w, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	s.handleUserInfo(w, r)
}

// adaptAuthorizeV1 turns a v1 authorization request into the shared one: the response type
// in the v2 handler's spelling (v1 advertises "token id_token"), and the scope reduced to its
// OpenID values plus openid, which v1 implies (other values are v2 notions it ignores).
func (s *Server) adaptAuthorizeV1(r *http.Request, p map[string][]string, req *authzRequest, ev *Event) {
	req.v1 = true
	req.ip = remoteIP(r)
	ev.Request["endpoint"] = "v1.0"
	if rt := strings.Fields(getParam(p, "response_type")); len(rt) > 1 {
		order := map[string]int{"code": 0, "id_token": 1, "token": 2}
		slices.SortStableFunc(rt, func(a, b string) int { return order[a] - order[b] })
		p["response_type"] = []string{strings.Join(rt, " ")}
	}
	sc := []string{"openid"}
	for _, v := range strings.Fields(getParam(p, "scope")) {
		if l := strings.ToLower(v); slices.Contains(oidcScopes, l) && !slices.Contains(sc, l) {
			sc = append(sc, l)
		}
	}
	p["scope"] = []string{strings.Join(sc, " ")}
}

func getParam(p map[string][]string, k string) string {
	if v := p[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// remoteIP is the client's address without the port (a v1 ID token's ipaddr).
func remoteIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// checkAuthorizeV1 resolves a v1 request's resource= (optional at /authorize: the code may
// be redeemed for any resource). An unknown resource goes back to the client, as Entra sends it.
func (s *Server) checkAuthorizeV1(req *authzRequest, p map[string][]string) *Error {
	if !req.v1 {
		return nil
	}
	rs := getParam(p, "resource")
	if rs == "" {
		return nil
	}
	t := req.pathTenant
	if t == nil {
		t = req.appTenant
	}
	res, e := s.resolveResourceV1(rs, t)
	if e != nil {
		return e
	}
	req.v1res = &res
	return nil
}

// authorizeResource is the resource of an implicit access token from /authorize.
func (s *Server) authorizeResource(req *authzRequest) (resource, *Error) {
	if !req.v1 {
		return s.resolveResource(req.scopes)
	}
	if req.v1res != nil {
		return *req.v1res, nil
	}
	return graphResourceV1(graphAppID), nil
}

// graphResourceV1 is Microsoft Graph named by resource= (its URI or appId, which becomes aud).
// It is also what a v1 request without resource= gets: Entra's default was Azure AD Graph,
// retired; the mock gives Microsoft Graph, whose token the userinfo endpoint takes.
func graphResourceV1(aud string) resource {
	return resource{aud: aud, requested: aud, name: "Microsoft Graph", version: 1, scopes: []string{"User.Read"}}
}

// resolveResourceV1 finds what resource= names: Microsoft Graph, or an app registration by
// App ID URI or appId. A v1 token's aud is the resource as requested; a v2 token's (the
// resource accepts v2) is always the appId. t names the tenant in AADSTS500011.
func (s *Server) resolveResourceV1(rs string, t *Tenant) (resource, *Error) {
	trimmed := strings.TrimSuffix(rs, "/")
	if strings.EqualFold(trimmed, "https://graph.microsoft.com") || strings.EqualFold(rs, graphAppID) {
		return graphResourceV1(rs), nil
	}
	app := s.appByResource(rs)
	if app == nil {
		app = s.appByResource(trimmed)
	}
	if app == nil {
		name := "common"
		if t != nil {
			name = t.ID
		}
		return resource{}, errResourceNotFound(truncate(rs, 256), name)
	}
	r := resource{aud: rs, requested: rs, name: app.DisplayName, version: app.RequestedAccessTokenVersion, app: app,
		scopes: []string{"user_impersonation"}}
	if r.version == 0 {
		r.version = 1
	}
	if r.version == 2 {
		r.aud = app.AppID
	}
	return r, nil
}

// grantForEndpoint fits a grant to the token endpoint redeeming it: the v1 endpoint issues
// v1 ID tokens and gives the ID and refresh tokens unasked; v2 gives what the scopes ask.
func grantForEndpoint(tr *tokenRequest, g *oauthGrant, ss scopeSet) (*oauthGrant, scopeSet) {
	if g.v1 == tr.v1 && !tr.v1 {
		return g, ss
	}
	ng := *g
	ng.v1 = tr.v1
	if tr.v1 {
		ss.oidc = slices.Clone(ss.oidc)
		for _, o := range []string{"openid", "offline_access"} {
			if !slices.Contains(ss.oidc, o) {
				ss.oidc = append(ss.oidc, o)
			}
		}
	}
	return &ng, ss
}

// grantResource is the resource of a code or refresh redemption: the scopes' (v2), or
// resource= of the token request, else of the authorize request, else Microsoft Graph (v1;
// a v1 refresh token is good for any resource: microsoft_multi_refresh_token).
func (s *Server) grantResource(tr *tokenRequest, g *oauthGrant, ss scopeSet) (resource, *Error) {
	if !tr.v1 {
		return s.resolveResource(ss)
	}
	res := graphResourceV1(graphAppID)
	switch {
	case tr.p.Get("resource") != "":
		r, e := s.resolveResourceV1(tr.p.Get("resource"), s.tenantOfRequest(tr))
		if e != nil {
			return resource{}, e
		}
		res = r
	case g.v1res != nil:
		res = *g.v1res
	}
	tr.resource = res.requested
	return res, nil
}

// tenantOfRequest is the tenant a token request names (its path's, else the app's).
func (s *Server) tenantOfRequest(tr *tokenRequest) *Tenant {
	if tr.tenant != nil {
		return tr.tenant
	}
	return s.dir.tenantOf[tr.app]
}

// clientCredentialsResource is the resource of an app-only request: v1's resource=
// (required), or v2's one <resource>/.default, beside which Entra ignores the OpenID scopes
// (MSAL sends "openid offline_access profile" with every request, app-only ones included).
func (s *Server) clientCredentialsResource(tr *tokenRequest) (resource, *Error) {
	if tr.v1 {
		rs := tr.p.Get("resource")
		if rs == "" {
			return resource{}, errMissingParameter("resource")
		}
		res, e := s.resolveResourceV1(rs, s.tenantOfRequest(tr))
		tr.resource = res.requested
		return res, e
	}
	scope := tr.p.Get("scope")
	if scope == "" {
		return resource{}, errMissingParameter("scope")
	}
	ss, e := parseScope(scope)
	if e != nil {
		return resource{}, e
	}
	if len(ss.resource) != 1 || !strings.HasSuffix(ss.resource[0], "/.default") {
		return resource{}, errInvalidScope(truncate(scope, 256))
	}
	return s.resolveResource(ss)
}

// tokenResponseV1 is the v1 token endpoint's success body, in its order: every number a
// string, with expires_on, not_before and resource (no scope for app-only tokens).
type tokenResponseV1 struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// tokenResponseV1 converts a v2-shaped response for the v1 endpoint. Its scope lists the
// resource's permissions only (v1 does not echo OpenID scopes).
func (s *Server) tokenResponseV1(tr *tokenRequest, r tokenResponse) tokenResponseV1 {
	now := s.clock.Now()
	var sc []string
	for _, v := range strings.Fields(r.Scope) {
		if !slices.Contains(oidcScopes, v) {
			sc = append(sc, v[strings.LastIndex(v, "/")+1:])
		}
	}
	return tokenResponseV1{TokenType: r.TokenType, Scope: strings.Join(sc, " "), ExpiresIn: strconv.Itoa(r.ExpiresIn),
		ExtExpiresIn: strconv.Itoa(r.ExtExpiresIn), ExpiresOn: strconv.FormatInt(now.Unix()+int64(r.ExpiresIn), 10),
		NotBefore: strconv.FormatInt(now.Add(-tokenBackdate).Unix(), 10), Resource: tr.resource, AccessToken: r.AccessToken,
		RefreshToken: r.RefreshToken, IDToken: r.IDToken, ClientInfo: r.ClientInfo}
}

// idTokenV1Claims is a v1.0 ID token's claim set in Entra's order
// (samples/id-token-v1-claims.json: fixed claims, then the rest alphabetically).
type idTokenV1Claims struct {
	Aud          string             `json:"aud"`
	Iss          string             `json:"iss"`
	Iat          int64              `json:"iat"`
	Nbf          int64              `json:"nbf"`
	Exp          int64              `json:"exp"`
	Aio          string             `json:"aio"`
	Amr          []string           `json:"amr"`
	AtHash       string             `json:"at_hash,omitempty"`
	CHash        string             `json:"c_hash,omitempty"`
	Email        string             `json:"email,omitempty"`
	FamilyName   string             `json:"family_name,omitempty"`
	GivenName    string             `json:"given_name,omitempty"`
	Groups       []string           `json:"groups,omitempty"`
	HasGroups    bool               `json:"hasgroups,omitempty"`
	IPAddr       string             `json:"ipaddr,omitempty"`
	Name         string             `json:"name,omitempty"`
	Nonce        string             `json:"nonce,omitempty"`
	Oid          string             `json:"oid"`
	Rh           string             `json:"rh"`
	Roles        []string           `json:"roles,omitempty"`
	Sub          string             `json:"sub"`
	Tid          string             `json:"tid"`
	UniqueName   string             `json:"unique_name"`
	Upn          string             `json:"upn,omitempty"`
	Uti          string             `json:"uti"`
	Ver          string             `json:"ver"`
	ClaimNames   map[string]string  `json:"_claim_names,omitempty"`
	ClaimSources map[string]jsonObj `json:"_claim_sources,omitempty"`
}

// idTokenV1 mints a v1.0 ID token: profile claims always (v1 has no profile scope), amr
// "pwd" (the mock's sign-in is a password), x5t in the header (signJWT's v1 header).
func (s *Server) idTokenV1(g *oauthGrant, code, accessToken string, implicit bool) (string, error) {
	now := s.grantNow(g)
	tid, u := g.tenant.ID, g.user
	c := idTokenV1Claims{
		Aud: g.app.AppID, Iss: s.issuerV1(tid),
		Iat: unix(now.Add(-tokenBackdate)), Nbf: unix(now.Add(-tokenBackdate)), Exp: unix(now.Add(idTokenLifetime)),
		Aio: s.opaque(48), Amr: g.amr(), FamilyName: u.Surname, GivenName: u.GivenName, IPAddr: g.ip,
		Name: u.DisplayName, Nonce: g.nonce, Oid: u.ID, Rh: "0.A" + s.opaque(36) + ".",
		Sub: pairwiseSub(tid, g.app.AppID, u.ID), Tid: tid, UniqueName: u.UserPrincipalName, Upn: u.UserPrincipalName,
		Uti: s.opaque(16), Ver: "1.0",
	}
	if code != "" {
		c.CHash = halfHash(code)
	}
	if accessToken != "" {
		c.AtHash = halfHash(accessToken)
	}
	if (slices.Contains(g.scopes, "email") || g.app.optionalIDClaim("email")) && u.Mail != "" {
		c.Email = u.Mail
	}
	c.Roles = s.appRoles(g)
	if groups, ok := s.groupClaim(g); ok {
		switch {
		case len(groups) <= groupsOverageLimit:
			c.Groups = groups
		case implicit:
			c.HasGroups = true
		default:
			c.ClaimNames = map[string]string{"groups": "src1"}
			c.ClaimSources = map[string]jsonObj{"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/" + u.ID + "/getMemberObjects"}}
		}
	}
	if g.mint != nil && g.mint.graphToken {
		return s.graphTokenAsIDToken(g)
	}
	if g.mint != nil {
		return s.signMinted(g, c, g.mint)
	}
	return s.signJWT(g.signingTenant(), c, true)
}

// checkSessionPage is the check_session_iframe (OpenID Connect Session Management 1.0): it
// answers an RP's "client_id session_state" message with "unchanged" while the session_state
// is the one of the browser's IdP session when the frame loaded, "changed" otherwise, and
// "error" for a malformed message. Entra's frame is its own script; the protocol is the same.
var checkSessionPage = template.Must(template.New("checksession").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>checksession</title></head><body>
<script>
var sessionState = {{.}};
window.addEventListener("message", function (e) {
  if (typeof e.data !== "string") { return; }
  var parts = e.data.split(" ");
  var answer = "error";
  if (parts.length === 2 && parts[0] && parts[1]) {
    answer = (sessionState !== "" && parts[1] === sessionState) ? "unchanged" : "changed";
  }
  e.source.postMessage(answer, e.origin);
}, false);
</script></body></html>`))

// handleCheckSession is /{tenant}/oauth2/checksession.
func (s *Server) handleCheckSession(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.oidcTenant(r); !ok {
		s.oidcErrorPage(w, r, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), &Event{Protocol: "OIDC", Kind: EventDiscovery, Binding: r.Method})
		return
	}
	sid := ""
	if sess := s.session(r); sess != nil {
		sid = sess.SID
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(http.StatusOK)
	_ = checkSessionPage.Execute(w, sid)
}

// handleKerberos is /{tenant}/kerberos, the kerberos_endpoint both discovery documents
// advertise: Entra's Kerberos KDC proxy (MS-KKDCP) for cloud Kerberos trust. It takes only
// POSTed KDC messages; the mock has no Kerberos realm, so a POST is refused with Entra's
// malformed-request error, any other method with its POST-only error.
func (s *Server) handleKerberos(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventToken, Binding: r.Method, CorrelationID: s.rand.guid()}
	if _, _, ok := s.oidcTenant(r); !ok {
		s.writeTokenError(w, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	if r.Method != http.MethodPost {
		s.writeTokenError(w, errPostOnly(r.Method), ev)
		return
	}
	s.writeTokenError(w, errMalformedRequest("Kerberos (MS-KKDCP) needs an on-premises or cloud Kerberos realm, which the mock does not have."), ev)
}
