package idp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authzRequest is an accepted authorization request, waiting for the user.
type authzRequest struct {
	app          *AppRegistration
	appTenant    *Tenant
	pathTenant   *Tenant // nil for common/organizations
	to           oauthRedirect
	platform     string
	responseType string
	scopes       scopeSet
	nonce        string
	challenge    string
	method       string
	ev           Event
	// v1 marks a request at the v1 endpoint (/oauth2/authorize); v1res is its resource=
	// (oidc_v1.go), nil when none was given.
	v1    bool
	v1res *resource
	ip    string // the browser's address (v1 ID tokens' ipaddr)
	// prompt is the request's prompt; consentDone and mfaDone: the user has answered the
	// consent page and the MFA prompt of this request (conditional_access.go).
	prompt               string
	consentDone, mfaDone bool
}

// handleAuthorize is /{tenant}/oauth2/v2.0/authorize.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, false) }

// authorize is the authorization endpoint of either version (v1: /oauth2/authorize). Until the
// client and its redirect URI are known, errors are Entra's HTML page; afterwards they go back
// to the redirect URI.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, v1 bool) {
	ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventAuthorize, Binding: r.Method, CorrelationID: s.rand.guid()}
	p, req, e := s.authorizeClient(r, ev)
	if e != nil {
		s.oidcErrorPage(w, r, e, ev)
		return
	}
	if v1 {
		s.adaptAuthorizeV1(r, p, req, ev) // resource=, implied openid scope
	}
	// From here on the redirect URI is trusted: errors go back to the client.
	if e := authorizeResponse(r.Method, p, req, ev); e != nil {
		s.redirectError(w, r, req.to, e, ev)
		return
	}
	to := req.to
	if e := s.checkAuthorize(req, p); e != nil {
		s.redirectError(w, r, to, e, ev)
		return
	}
	if e := s.checkAuthorizeV1(req, p); e != nil {
		s.redirectError(w, r, to, e, ev)
		return
	}
	prompt := p.Get("prompt")
	force := false
	switch prompt {
	case "", "consent", "none":
	case "select_account":
		if s.selectAccount(w, r, p, req, ev) { // oidc_select_account.go
			return
		}
		force = true
	case "login":
		force = true
	default:
		s.redirectError(w, r, to, errInvalidPrompt(truncate(prompt, 64)), ev)
		return
	}
	sess := s.session(r)
	if ma := p.Get("max_age"); ma != "" {
		n, err := strconv.Atoi(ma)
		if err != nil || n < 0 {
			s.redirectError(w, r, to, errMalformedRequest("The 'max_age' parameter must be a non-negative integer."), ev)
			return
		}
		if sess != nil && s.clock.Now().Sub(sess.AuthnInstant) > time.Duration(n)*time.Second {
			force = true
		}
	}
	req.ev, req.prompt = *ev, prompt
	if prompt == "none" {
		t, u := s.sessionUser(sess)
		if force || u == nil || (req.pathTenant != nil && t != req.pathTenant) {
			s.redirectError(w, r, to, errLoginRequired(), ev)
			return
		}
		s.finishAuthorize(w, r, req, sess, t, u)
		return
	}
	s.prepareEvent(ev)
	ev.Status = StatusInterrupted
	s.record(ev)
	flow := &pendingFlow{tenant: req.pathTenant, appName: req.app.DisplayName, appID: req.app.AppID, loginHint: p.Get("login_hint"), correlation: ev.CorrelationID,
		resume: flowResume{OIDC: authzResumeOf(req)}}
	s.startSignIn(w, r, flow, force)
}

// authorizeClient reads an authorization request up to the point where its redirect URI
// can be trusted: the tenant of the path, the parameters, the client and its redirect URI
// (Entra falls back to the only registered one). It returns the parameters and the request
// with its tenants, app, platform and redirect URI filled in, or the error Entra shows on
// its own page, since an untrusted redirect URI must not receive it. It records what it
// learns in ev.
func (s *Server) authorizeClient(r *http.Request, ev *Event) (url.Values, *authzRequest, *Error) {
	pathTenant, multi, ok := s.oidcTenant(r)
	if !ok {
		return nil, nil, errUnknownTenant(truncate(r.PathValue("tenant"), 128))
	}
	if pathTenant != nil {
		ev.TenantID = pathTenant.ID
	}
	p, perr := oauthParams(r)
	if perr != nil {
		return nil, nil, perr
	}
	ev.Request = map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "resource", "state", "nonce", "prompt", "login_hint", "domain_hint", "max_age", "code_challenge", "code_challenge_method"} {
		if v := p.Get(k); v != "" {
			ev.Request[k] = truncate(v, 512)
		}
	}
	// The authority the RP signs in at (a tenant, organizations, common): whether it can
	// pin iss to one tenant (RequiresMultiTenant). Not a parameter name, so never overwritten.
	ev.Request[AuthorityField] = truncate(r.PathValue("tenant"), 128)
	clientID := p.Get("client_id")
	if clientID == "" {
		return nil, nil, errMissingParameter("client_id")
	}
	app, appTenant := s.findClient(pathTenant, clientID)
	if e := s.audienceError(r.PathValue("tenant"), clientID, app); e != nil {
		return nil, nil, e // tenant_consumers.go
	}
	if app == nil {
		where := r.PathValue("tenant")
		if pathTenant != nil {
			where = pathTenant.ID
		}
		return nil, nil, errAppNotFound(truncate(clientID, 128), where)
	}
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	if multi && !app.multiTenant() {
		return nil, nil, errNotMultiTenant(app.AppID, app.DisplayName)
	}
	redirect := p.Get("redirect_uri")
	if redirect == "" {
		all := app.allRedirectURIs()
		if len(all) != 1 {
			return nil, nil, errMissingParameter("redirect_uri")
		}
		redirect = all[0] // Entra falls back to the only registered URI
	}
	platform, ok := app.redirectPlatform(redirect)
	if !ok {
		return nil, nil, errReplyURLMismatch(truncate(redirect, 512), app.AppID)
	}
	req := &authzRequest{app: app, appTenant: appTenant, pathTenant: pathTenant, to: oauthRedirect{uri: redirect}, platform: platform}
	return p, req, nil
}

// authorizeResponse reads how the response is to be sent back (req.to): the response type,
// and the response mode, which defaults to query, or to fragment when a token is sent
// from the authorization endpoint (a token must not travel in the query string, so query
// is refused then). It also copies the nonce and PKCE parameters into req, for
// checkAuthorize. On error req.to holds the default mode, which the error is sent by.
func authorizeResponse(method string, p url.Values, req *authzRequest, ev *Event) *Error {
	rt := strings.Join(strings.Fields(p.Get("response_type")), " ")
	hasIDToken := slices.Contains(strings.Fields(rt), "id_token")
	mode := p.Get("response_mode")
	defMode := "query"
	if hasIDToken || strings.Contains(rt, "token") {
		defMode = "fragment"
	}
	req.to.mode, req.to.state = defMode, p.Get("state")
	ev.Binding = method + " " + defMode
	switch mode {
	case "":
	case "query", "fragment", "form_post":
		if mode == "query" && defMode == "fragment" {
			return errUnsupportedResponseMode(mode)
		}
		req.to.mode = mode
		ev.Binding = method + " " + mode
	default:
		return errUnsupportedResponseMode(truncate(mode, 64))
	}
	req.responseType, req.nonce, req.challenge, req.method = rt, p.Get("nonce"), p.Get("code_challenge"), p.Get("code_challenge_method")
	return nil
}

// checkAuthorize validates response_type, scope, nonce and PKCE of a trusted request.
func (s *Server) checkAuthorize(req *authzRequest, p map[string][]string) *Error {
	get := func(k string) string {
		if v := p[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	switch req.responseType {
	case "":
		return errMissingParameter("response_type")
	case "code":
	case "id_token", "code id_token":
		if !req.app.Web.ImplicitGrantSettings.EnableIDTokenIssuance {
			return errResponseTypeDisabled("id_token")
		}
		if req.nonce == "" {
			return errMissingParameter("nonce")
		}
	case "id_token token", "code id_token token":
		// The implicit access token comes with an ID token (whose at_hash binds it).
		if !req.app.Web.ImplicitGrantSettings.EnableAccessTokenIssuance {
			return codeTokenResponseDisabled.with()
		}
		if !req.app.Web.ImplicitGrantSettings.EnableIDTokenIssuance {
			return errResponseTypeDisabled("id_token")
		}
		if req.nonce == "" {
			return errMissingParameter("nonce")
		}
	case "token":
		// The implicit grant's access token alone (Entra: "Access tokens (used for implicit
		// flows)"); no nonce is required without an ID token.
		if !req.app.Web.ImplicitGrantSettings.EnableAccessTokenIssuance {
			return codeTokenResponseDisabled.with()
		}
	case "code token":
		if !req.app.Web.ImplicitGrantSettings.EnableAccessTokenIssuance {
			return codeTokenResponseDisabled.with()
		}
		return errUnsupportedResponseType(req.responseType) // not a response type Entra documents
	default:
		return errUnsupportedResponseType(truncate(req.responseType, 64))
	}
	scope := get("scope")
	if scope == "" {
		return errMissingParameter("scope")
	}
	ss, e := parseScope(scope)
	if e != nil {
		return e
	}
	if strings.Contains(req.responseType, "id_token") && !slices.Contains(ss.oidc, "openid") {
		return errInvalidScope("openid")
	}
	if _, e := s.resolveResource(ss); e != nil {
		return e
	}
	req.scopes = ss
	switch req.method {
	case "":
		if req.challenge != "" {
			req.method = "plain"
		}
	case "plain", "S256":
		if req.challenge == "" {
			return errMissingParameter("code_challenge")
		}
	default:
		return errInvalidCodeChallengeMethod(truncate(req.method, 32))
	}
	if req.challenge != "" && (len(req.challenge) < 43 || len(req.challenge) > 128) {
		return errInvalidCodeChallengeMethod(req.method)
	}
	if req.platform == platformSPA && req.challenge == "" && strings.Contains(req.responseType, "code") {
		return errSPAPKCERequired()
	}
	return nil
}

// finishAuthorize runs once the user is known: tenant, assignment and consent checks, then
// the code and/or ID token go to the redirect URI.
func (s *Server) finishAuthorize(w http.ResponseWriter, r *http.Request, req *authzRequest, sess *idpSession, t *Tenant, u *User) {
	ev := req.ev
	ev.ID, ev.Time, ev.Status = "", time.Time{}, ""
	ev.TenantID, ev.UserID, ev.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
	app := req.app
	if t != req.appTenant && !app.multiTenant() && !(t.ID == consumerTenantID && app.allowsPersonal()) {
		s.oidcErrorPage(w, r, errUserNotInTenant(u.UserPrincipalName, t.ID, req.appTenant.DisplayName, app.AppID, app.DisplayName), &ev)
		return
	}
	if e := personalAccountError(app, t, u, ev.Request[AuthorityField]); e != nil {
		s.oidcErrorPage(w, r, e, &ev) // tenant_consumers.go
		return
	}
	if t == req.appTenant && !t.assigned(u, app.AssignmentRequired, app.Assignments) {
		s.oidcErrorPage(w, r, errUserNotAssigned(app.DisplayName, app.AppID, u.UserPrincipalName), &ev)
		return
	}
	use := s.takeFault(r, ProtocolOIDC, req.appTenant, app.faultKeys(), u)
	if s.interruptAuthorize(w, r, req, sess, t, u, use, &ev) {
		return // consent, Conditional Access (conditional_access.go)
	}
	sid := ""
	if sess != nil {
		sid = sess.SID
		s.addSessionApp(w, sess, app.AppID) // for front-channel logout (slo_fanout.go)
	}
	now := s.clock.Now()
	authTime := now
	if sess != nil {
		authTime = sess.AuthnInstant
	}
	g := &oauthGrant{app: app, tenant: t, user: u, sid: sid, authTime: authTime, scopes: req.scopes.all, nonce: req.nonce,
		redirect: req.to.uri, platform: req.platform, challenge: req.challenge, method: req.method,
		expires: now.Add(codeLifetime), corr: ev.CorrelationID, v1: req.v1, v1res: req.v1res, ip: req.ip, mfa: req.mfaDone}
	if use != nil {
		m := &oidcMint{fault: use.fault, step: use.step}
		if err := use.fault.oidc(m, use.step); err != nil {
			s.redirectError(w, r, req.to, asError(fmt.Errorf("fault %s: %w", use.fault.ID, err)), &ev)
			return
		}
		s.mintIdentity(g, m) // oauth_grant.go
		if m.state != "" {
			req.to.state = m.state
		}
		g.mint = m
		g.fault = use.record(m.changed)
		ev.Fault = g.fault
	}
	var params [][2]string
	code := ""
	if strings.Contains(req.responseType, "code") {
		var err error
		if code, err = s.issueCode(g); err != nil { // the sealed grant (oauth_grant.go)
			s.redirectError(w, r, req.to, asError(err), &ev)
			return
		}
		params = append(params, [2]string{"code", code})
	}
	accessToken := ""
	if slices.Contains(strings.Fields(req.responseType), "token") {
		// An implicit access token (hybrid or implicit flow), for the requested resource.
		res, e := s.authorizeResource(req)
		if e != nil {
			s.redirectError(w, r, req.to, e, &ev)
			return
		}
		at, exp, err := s.accessToken(g, res, "0")
		if err != nil {
			s.redirectError(w, r, req.to, asError(err), &ev)
			return
		}
		accessToken = at
		params = append(params, [2]string{"access_token", at}, [2]string{"token_type", "Bearer"},
			[2]string{"expires_in", strconv.Itoa(exp)}, [2]string{"scope", grantedScope(res, req.scopes)})
	}
	if strings.Contains(req.responseType, "id_token") {
		idt, err := s.idToken(g, code, accessToken, true)
		if err != nil {
			s.redirectError(w, r, req.to, asError(err), &ev)
			return
		}
		params = append(params, [2]string{"id_token", idt})
	}
	if code != "" {
		params = append(params, [2]string{"session_state", sid})
	}
	s.prepareEvent(&ev)
	ev.Response = map[string]string{"redirect_uri": req.to.uri, "response_mode": req.to.mode, "response_type": req.responseType}
	for _, p := range params {
		if p[0] == "id_token" {
			ev.Response["id_token_jwt"] = p[1] // delivered through the browser: in the log too
		}
	}
	s.record(&ev)
	w.Header().Set("x-ms-request-id", ev.ID)
	s.sendRedirect(w, r, req.to, params)
}
