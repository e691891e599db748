package idp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// tokenResponse is the token endpoint's success body, in Entra's field order.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// tokenRequest is a token request after client identification.
type tokenRequest struct {
	p       url.Values
	app     *AppRegistration
	tenant  *Tenant // path tenant, nil for common/organizations
	secret  string
	hasAuth bool // a client secret or a client assertion was presented
	origin  string
	ev      *Event
	// assertion is a private_key_jwt client assertion (oidc_assertion.go), "" for a secret.
	assertion string
	// v1 marks the v1 endpoint (/oauth2/token): resource= instead of scope, v1's response
	// (oidc_v1.go); resource is the resource the response names.
	v1       bool
	resource string
}

// handleToken is /{tenant}/oauth2/v2.0/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) { s.token(w, r, false) }

// token is the token endpoint of either version (v1: /oauth2/token).
func (s *Server) token(w http.ResponseWriter, r *http.Request, v1 bool) {
	ev := &Event{Protocol: "OIDC", Kind: EventToken, Binding: r.Method, CorrelationID: s.rand.guid()}
	allowTokenOrigin(w, r) // before any answer: a SPA must be able to read the errors too
	if r.Method != http.MethodPost {
		s.writeTokenError(w, errPostOnly(r.Method), ev)
		return
	}
	t, _, ok := s.oidcTenant(r)
	if !ok {
		s.writeTokenError(w, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	if t != nil {
		ev.TenantID = t.ID
	}
	p, e := oauthParams(r)
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	if c := p.Get("client-request-id"); isGUID(c) {
		ev.CorrelationID = c // MSAL's correlation ID is echoed as Entra does
	}
	gt := p.Get("grant_type")
	ev.Request = map[string]string{"grant_type": truncate(gt, 64), "client_id": truncate(p.Get("client_id"), 128), "scope": truncate(p.Get("scope"), 512)}
	if v1 {
		ev.Request["resource"], ev.Request["endpoint"] = truncate(p.Get("resource"), 512), "v1.0"
	}
	if gt == "" {
		s.writeTokenError(w, errMissingParameter("grant_type"), ev)
		return
	}
	tr := &tokenRequest{p: p, tenant: t, origin: r.Header.Get("Origin"), ev: ev, v1: v1}
	clientID := p.Get("client_id")
	if h := r.Header.Get("Authorization"); h != "" {
		id, secret, e := parseBasic(h)
		if e != nil {
			s.writeTokenError(w, e, ev)
			return
		}
		if clientID != "" && clientID != id {
			s.writeTokenError(w, errMalformedRequest("The client_id in the Authorization header and in the body differ."), ev)
			return
		}
		clientID, tr.secret, tr.hasAuth = id, secret, true
		ev.Binding = "client_secret_basic"
	} else if sec, ok := p["client_secret"]; ok {
		tr.secret, tr.hasAuth = sec[0], true
		ev.Binding = "client_secret_post"
	} else if _, ok := p["client_assertion"]; ok {
		tr.assertion, tr.hasAuth = p.Get("client_assertion"), true
		ev.Binding = "private_key_jwt"
	}
	if clientID == "" {
		s.writeTokenError(w, errMissingParameter("client_id"), ev)
		return
	}
	app, _ := s.findClient(t, clientID)
	if app == nil {
		where := r.PathValue("tenant")
		if t != nil {
			where = t.ID
		}
		s.writeTokenError(w, errAppNotFound(truncate(clientID, 128), where), ev)
		return
	}
	tr.app = app
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	switch gt {
	case "authorization_code":
		s.redeemCode(w, tr)
	case "refresh_token":
		s.redeemRefresh(w, tr)
	case "client_credentials":
		s.clientCredentials(w, tr)
	case grantDeviceCode, "device_code": // MSAL and ADAL send the short name; Entra takes both
		s.redeemDeviceCode(w, tr)
	default:
		s.writeTokenError(w, errUnsupportedGrantType(truncate(gt, 64)), ev)
	}
}

// parseBasic decodes client_secret_basic: base64(urlencode(id):urlencode(secret)).
func parseBasic(h string) (id, secret string, e *Error) {
	scheme, val, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", errMalformedRequest("Only the Basic scheme is accepted in the Authorization header.")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
	if err != nil {
		return "", "", errMalformedRequest("The Authorization header is not valid base64.").withCause(err)
	}
	i, s, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errMalformedRequest("The Authorization header has no ':' between client ID and secret.")
	}
	if id, err = url.QueryUnescape(i); err != nil {
		return "", "", errMalformedRequest("The client ID in the Authorization header is not URL-encoded.").withCause(err)
	}
	if secret, err = url.QueryUnescape(s); err != nil {
		return "", "", errMalformedRequest("The client secret in the Authorization header is not URL-encoded.").withCause(err)
	}
	return id, secret, nil
}

// authenticate checks the client secret of a confidential client.
func (s *Server) authenticate(tr *tokenRequest) *Error {
	if !tr.hasAuth {
		return errMissingClientSecret()
	}
	if tr.assertion != "" || tr.p.Has("client_assertion") {
		return s.verifyClientAssertion(tr)
	}
	now := s.clock.Now()
	expired := false
	for _, c := range tr.app.PasswordCredentials {
		if subtle.ConstantTimeCompare([]byte(c.SecretText), []byte(tr.secret)) == 1 {
			if now.Before(c.end) && !now.Before(c.start) {
				return nil
			}
			expired = true
		}
	}
	if expired {
		return errExpiredClientSecret(tr.app.AppID)
	}
	return errInvalidClientSecret(tr.app.AppID)
}

// redeemCode is grant_type=authorization_code.
func (s *Server) redeemCode(w http.ResponseWriter, tr *tokenRequest) {
	p, ev := tr.p, tr.ev
	code := p.Get("code")
	if code == "" {
		s.writeTokenError(w, errMissingParameter("code"), ev)
		return
	}
	g, first, e := s.openCode(code, tr.app) // single use, even when the redemption fails below
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	ev.CorrelationID = g.corr
	ev.TenantID, ev.UserID, ev.UserPrincipalName = g.tenant.ID, g.user.ID, g.user.UserPrincipalName
	if !first {
		s.writeTokenError(w, errCodeRedeemed(), ev)
		return
	}
	if s.clock.Now().After(g.expires) {
		s.writeTokenError(w, errGrantExpired(), ev)
		return
	}
	if e := g.userState(); e != nil {
		s.writeTokenError(w, e, ev) // deleted or disabled since the sign-in (oauth_grant.go)
		return
	}
	redirect := p.Get("redirect_uri")
	if redirect == "" {
		s.writeTokenError(w, errMissingParameter("redirect_uri"), ev)
		return
	}
	if redirect != g.redirect {
		s.writeTokenError(w, errRedirectURIMismatched(truncate(redirect, 512), g.redirect), ev)
		return
	}
	if e := s.clientRules(tr, g.platform); e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	if e := checkPKCE(g, p.Get("code_verifier")); e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	ng, e := withRedemptionOIDCScopes(g, p.Get("scope"))
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	s.issueTokens(w, tr, ng)
}

// withRedemptionOIDCScopes adds the OpenID scopes (openid, profile, email, offline_access)
// of the redemption's scope to the code's. Entra grants them to any app without consent, and
// honours them on either leg: MSAL's confidential client asks only for the resource scopes at
// /authorize and adds "openid offline_access profile" at /token, and gets an ID token and a
// refresh token. The resource scopes stay the authorize leg's.
func withRedemptionOIDCScopes(g *oauthGrant, scope string) (*oauthGrant, *Error) {
	if scope == "" {
		return g, nil
	}
	ss, e := parseScope(scope)
	if e != nil {
		return nil, e
	}
	ng := *g
	ng.scopes = slices.Clone(g.scopes) // the stored grant is shared; never append into it
	for _, o := range ss.oidc {
		if !slices.Contains(ng.scopes, o) {
			ng.scopes = append(ng.scopes, o)
		}
	}
	return &ng, nil
}

// clientRules applies the platform rules of a redemption: SPA codes only cross-origin and
// without a secret, web codes only server-side and with a secret (AUTHCODE).
func (s *Server) clientRules(tr *tokenRequest, platform string) *Error {
	switch platform {
	case platformSPA:
		if tr.origin == "" {
			return errSPANotCrossOrigin()
		}
		return nil
	case platformPublic:
		if tr.origin != "" {
			return errCrossOriginNotSPA(tr.origin)
		}
		if tr.hasAuth {
			return s.authenticate(tr)
		}
		return nil
	default:
		if tr.origin != "" {
			return errCrossOriginNotSPA(tr.origin)
		}
		return s.authenticate(tr)
	}
}

// checkPKCE verifies code_verifier against the code's challenge (RFC 7636).
func checkPKCE(g *oauthGrant, verifier string) *Error {
	if g.challenge == "" {
		if verifier != "" {
			return errPKCEInvalidVerifier()
		}
		return nil
	}
	if len(verifier) < 43 || len(verifier) > 128 || strings.IndexFunc(verifier, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c))
	}) >= 0 {
		return errPKCEInvalidVerifier()
	}
	want := verifier
	if g.method == "S256" {
		h := sha256.Sum256([]byte(verifier))
		want = b64(h[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(g.challenge)) != 1 {
		return errPKCEMismatch()
	}
	return nil
}

// redeemRefresh is grant_type=refresh_token. Refresh tokens rotate: each use returns a new
// one and the old one stays valid until it expires, as Entra's do; a user deleted or
// disabled since gets no more tokens.
func (s *Server) redeemRefresh(w http.ResponseWriter, tr *tokenRequest) {
	p, ev := tr.p, tr.ev
	rt := p.Get("refresh_token")
	if rt == "" {
		s.writeTokenError(w, errMissingParameter("refresh_token"), ev)
		return
	}
	g, e := s.openRefresh(rt, tr.app)
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	ev.TenantID, ev.UserID, ev.UserPrincipalName = g.tenant.ID, g.user.ID, g.user.UserPrincipalName
	if s.clock.Now().After(g.expires) {
		s.writeTokenError(w, errGrantExpired(), ev)
		return
	}
	if e := g.userState(); e != nil {
		s.writeTokenError(w, e, ev) // deleted or disabled since (oauth_grant.go)
		return
	}
	if e := s.clientRules(tr, g.platform); e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	if e := s.refreshConditions(g); e != nil {
		s.writeTokenError(w, e, ev) // Conditional Access, consent (conditional_access.go)
		return
	}
	ng := *g
	if sc := p.Get("scope"); sc != "" {
		ss, e := parseScope(sc)
		if e != nil {
			s.writeTokenError(w, e, ev)
			return
		}
		ng.scopes = ss.all
	}
	ng.nonce = ""
	ng.mint, ng.fault = nil, nil // a fault is for one sign-in, not for the tokens refreshed later
	s.issueTokens(w, tr, &ng)
}

// clientCredentials is grant_type=client_credentials: an app-only token for <resource>/.default.
func (s *Server) clientCredentials(w http.ResponseWriter, tr *tokenRequest) {
	ev := tr.ev
	if tr.origin != "" {
		s.writeTokenError(w, errCrossOriginNotSPA(tr.origin), ev)
		return
	}
	if e := s.authenticate(tr); e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	res, e := s.clientCredentialsResource(tr)
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	t := tr.tenant
	if t == nil {
		t = s.dir.tenantOf[tr.app]
	}
	g := &oauthGrant{app: tr.app, tenant: t}
	at, exp, err := s.accessToken(g, res, tr.appAcr())
	if err != nil {
		s.writeTokenError(w, asError(err), ev)
		return
	}
	ev.TenantID = t.ID
	s.writeTokenSuccess(w, tr, tokenResponse{TokenType: "Bearer", ExpiresIn: exp, ExtExpiresIn: exp, AccessToken: at})
}

// issueTokens answers a code or refresh redemption: access token, ID token (with openid),
// refresh token (with offline_access), client_info (when asked, as MSAL does). At the v1
// endpoint the resource is resource= and the ID and refresh tokens come unasked (oidc_v1.go).
func (s *Server) issueTokens(w http.ResponseWriter, tr *tokenRequest, g *oauthGrant) {
	ev := tr.ev
	ev.Fault = g.fault
	ss, _ := parseScope(strings.Join(g.scopes, " "))
	g, ss = grantForEndpoint(tr, g, ss)
	res, e := s.grantResource(tr, g, ss)
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	at, exp, err := s.accessToken(g, res, tr.appAcr())
	if err != nil {
		s.writeTokenError(w, asError(err), ev)
		return
	}
	resp := tokenResponse{TokenType: "Bearer", Scope: grantedScope(res, ss), ExpiresIn: exp, ExtExpiresIn: exp, AccessToken: at}
	if slices.Contains(ss.oidc, "openid") {
		if resp.IDToken, err = s.idToken(g, "", "", false); err != nil {
			s.writeTokenError(w, asError(err), ev)
			return
		}
	}
	if slices.Contains(ss.oidc, "offline_access") {
		rg := *g
		rg.expires = s.clock.Now().Add(refreshLifetime)
		if g.platform == platformSPA {
			rg.expires = s.clock.Now().Add(spaRefreshLifetime)
		}
		if resp.RefreshToken, err = s.issueRefresh(&rg); err != nil { // sealed (oauth_grant.go)
			s.writeTokenError(w, asError(err), ev)
			return
		}
	}
	if tr.p.Get("client_info") == "1" {
		resp.ClientInfo = clientInfo(g.user, g.tenant.ID)
	}
	s.writeTokenSuccess(w, tr, resp)
}

func (s *Server) writeTokenSuccess(w http.ResponseWriter, tr *tokenRequest, resp tokenResponse) {
	ev := tr.ev
	s.prepareEvent(ev)
	ev.Response = map[string]string{"scope": resp.Scope, "refresh_token": boolStr(resp.RefreshToken != ""), "id_token": boolStr(resp.IDToken != "")}
	if resp.IDToken != "" {
		// The ID token as issued, for a harness's evidence (Entra's own log has no tokens;
		// a mock's tokens are test data).
		ev.Response["id_token_jwt"] = resp.IDToken
	}
	s.record(ev)
	h := w.Header()
	h.Set("x-ms-request-id", ev.ID) // Access-Control-Allow-Origin: set by handleToken
	if tr.v1 {
		writeJSON(w, http.StatusOK, s.tokenResponseV1(tr, resp), true)
		return
	}
	writeJSON(w, http.StatusOK, resp, true)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
