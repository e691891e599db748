package idp

// Consent as Entra has it: an app registration whose admin consent is not granted
// (AppRegistration.AdminConsentGranted false) needs a delegated permission grant (Microsoft
// Graph oauth2PermissionGrant) for the tenant (consentType AllPrincipals, what "Grant admin
// consent" and /adminconsent make) or for the user (Principal, what the user's own Accept
// on the consent page makes). Without one, an interactive sign-in shows Entra's consent page
// ("Permissions requested", Accept / Cancel); prompt=none and the refresh grant get
// AADSTS65001; Cancel sends error=access_denied with AADSTS65004 to the redirect URI.

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Consent types of an OAuth2PermissionGrant, as Microsoft Graph spells them.
const (
	ConsentAllPrincipals = "AllPrincipals" // admin consent, for every user of the tenant
	ConsentPrincipal     = "Principal"     // one user's own consent
)

// OAuth2PermissionGrant is a delegated permission grant (Microsoft Graph
// oauth2PermissionGrant, Tenant.OAuth2PermissionGrants). Graph names the client by its
// service principal's object ID; the mock takes the app ID (it has one object per app).
type OAuth2PermissionGrant struct {
	// ClientID is the app ID of the app registration the grant is for.
	ClientID string `json:"clientId"`
	// ConsentType is AllPrincipals (admin consent for the tenant) or Principal (one user).
	ConsentType string `json:"consentType"`
	// PrincipalID is the user (object ID or UPN) of a Principal grant.
	PrincipalID string `json:"principalId,omitempty"`
	// Scope is the space-separated delegated permissions granted ("openid profile
	// User.Read"); the mock shows it but does not narrow tokens by it.
	Scope string `json:"scope,omitempty"`
}

// interruption is a page Entra shows between the credentials and the response (the consent
// page, the MFA code prompt), waiting for the browser that was shown it. It is sealed into
// the page's ctx, so the answer may be posted to any replica.
type interruption struct {
	ID      string    `json:"id"`
	Browser string    `json:"b"`
	Kind    string    `json:"k"`
	Tenant  string    `json:"seg"` // path segment the page posts to
	Created time.Time `json:"at"`
	// Page is what the page shows (its Ctx is the sealed interruption, not sealed in it).
	Page interruptPage `json:"pg"`
	// TenantID and UserID are the signed-in user; SID the session the page was shown in,
	// which the answer must come with ("" when the sign-in had none).
	TenantID string `json:"t"`
	UserID   string `json:"u"`
	SID      string `json:"sid,omitempty"`
	// Event is the log entry a Cancel is recorded under (the consent page).
	Event *Event `json:"ev,omitempty"`
	// Resume continues the sign-in: Accept, or a correct code.
	Resume flowResume `json:"r"`
}

// Kinds of interruption.
const (
	interruptConsent      = "consent"
	interruptAdminConsent = "adminconsent"
	interruptMFA          = "mfa"
)

// interruptPage is what consent.html and mfa.html show.
type interruptPage struct {
	Action, Ctx, AppName, Login, Tenant string
	Scopes                              []string
	Admin                               bool
	Error                               string
}

// consentNeeded reports whether the user has no grant for the app: its admin consent is not
// granted and neither the config nor the run (Accept, /adminconsent) made a grant for the
// tenant or for the user.
func (s *Server) consentNeeded(t *Tenant, app *AppRegistration, u *User) bool {
	if app.consented() {
		return false
	}
	match := func(g OAuth2PermissionGrant) bool {
		if !strings.EqualFold(g.ClientID, app.AppID) {
			return false
		}
		if g.ConsentType == ConsentAllPrincipals {
			return true
		}
		return u != nil && (strings.EqualFold(g.PrincipalID, u.ID) || strings.EqualFold(g.PrincipalID, u.UserPrincipalName))
	}
	for _, g := range t.OAuth2PermissionGrants {
		if match(*g) {
			return false
		}
	}
	return !s.runtimeConsent(app, u) // consent_grants.go
}

// interrupt seals it into its page's ctx, bound to this browser, and shows the page.
func (s *Server) interrupt(w http.ResponseWriter, r *http.Request, it *interruption) {
	it.ID = s.rand.token(16)
	it.Browser = s.flowBrowser(w, r)
	it.Created = s.clock.Now()
	it.Page.Ctx = ""
	v, err := s.seal("interrupt", it, it.Created.Add(flowTTL))
	if err != nil {
		s.renderErrorPage(w, r, asError(err), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
		return
	}
	it.Page.Ctx = v
	s.showInterruption(w, it)
}

func (s *Server) showInterruption(w http.ResponseWriter, it *interruption) {
	name := "consent.html"
	if it.Kind == interruptMFA {
		name = "mfa.html"
	}
	s.renderPage(w, http.StatusOK, name, it.Page)
}

// openInterruption is the page a form post answers; nil (and the error page written) when
// its ctx is unknown, altered, expired or from another browser.
func (s *Server) openInterruption(w http.ResponseWriter, r *http.Request) *interruption {
	ev := &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials, CorrelationID: s.rand.guid()}
	if err := r.ParseForm(); err != nil {
		s.renderErrorPage(w, r, errMalformedForm(err), ev)
		return nil
	}
	ctx := r.PostForm.Get("ctx")
	var it interruption
	if ctx == "" || s.unseal("interrupt", ctx, &it) != nil || s.clock.Now().Sub(it.Created) > flowTTL {
		s.renderErrorPage(w, r, errFlowExpired(), ev)
		return nil
	}
	if c, err := r.Cookie(flowCookie); err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(it.Browser)) != 1 {
		s.renderErrorPage(w, r, errFlowTokenInvalid(nil), ev)
		return nil
	}
	it.Page.Ctx = ctx
	return &it
}

// answerInterruption resolves the user and session an answer continues with and claims the
// interruption, so that it is answered once (on any replica). nil user (and the error page
// written) when the user is gone, the session the page was shown in has ended, or the page
// was answered already.
func (s *Server) answerInterruption(w http.ResponseWriter, r *http.Request, it *interruption) (*idpSession, *Tenant, *User) {
	var u *User
	t := s.dir.tenant(it.TenantID)
	if t != nil {
		u = t.userByID(it.UserID)
	}
	sess := s.session(r)
	if sess != nil && (sess.SID != it.SID || sess.UserID != it.UserID) {
		sess = nil
	}
	if u == nil || (it.SID != "" && sess == nil) || !s.claimOnce(r, storeInterruptDone+it.ID, it.Created.Add(flowTTL)) {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials, CorrelationID: s.rand.guid()})
		return nil, nil, nil
	}
	return sess, t, u
}

// sessionID is the session's sid, "" for none.
func sessionID(sess *idpSession) string {
	if sess == nil {
		return ""
	}
	return sess.SID
}

// handleConsentSet is POST /{tenant}/Consent/Set: the consent page's Accept or Cancel
// (action=accept / cancel).
func (s *Server) handleConsentSet(w http.ResponseWriter, r *http.Request) {
	it := s.openInterruption(w, r)
	if it == nil {
		return
	}
	if it.Kind == interruptMFA {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
		return
	}
	sess, t, u := s.answerInterruption(w, r, it)
	if u == nil {
		return
	}
	accept := r.PostForm.Get("action") == "accept"
	if it.Kind == interruptAdminConsent && it.Resume.Admin != nil {
		s.answerAdminConsent(w, r, it.Resume.Admin, t, u, accept)
		return
	}
	var req *authzRequest
	if it.Resume.OIDC != nil {
		req = s.authzRequestOf(it.Resume.OIDC)
	}
	if req == nil {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
		return
	}
	if accept {
		s.grant(OAuth2PermissionGrant{ClientID: req.app.AppID, ConsentType: ConsentPrincipal, PrincipalID: u.ID, Scope: strings.Join(req.scopes.all, " ")})
		req.consentDone = true
		s.finishAuthorize(w, r, req, sess, t, u)
		return
	}
	e := Event{}
	if it.Event != nil {
		e = *it.Event
	}
	e.ID, e.Time, e.Status = "", s.clock.Now(), ""
	s.redirectError(w, r, req.to, errConsentDeclined(), &e)
}

// consentPage is the interruption of an authorization request whose app needs the user's
// consent: Accept makes a Principal grant and continues, Cancel answers AADSTS65004 (logged
// under base).
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, req *authzRequest, sess *idpSession, t *Tenant, u *User, base *Event) {
	it := &interruption{Kind: interruptConsent, Tenant: req.tenantSegment(),
		Page:     interruptPage{AppName: req.app.DisplayName, Login: u.UserPrincipalName, Scopes: req.scopes.all},
		TenantID: t.ID, UserID: u.ID, SID: sessionID(sess), Event: base, Resume: flowResume{OIDC: authzResumeOf(req)}}
	it.Page.Action = "/" + url.PathEscape(it.Tenant) + "/Consent/Set"
	s.interrupt(w, r, it)
}

// tenantSegment is the tenant path segment the request came in on (its pages post there).
func (req *authzRequest) tenantSegment() string {
	if a := req.ev.Request[AuthorityField]; a != "" {
		return a
	}
	return req.appTenant.ID
}

// handleAdminConsent is GET /{tenant}/adminconsent and /{tenant}/v2.0/adminconsent: after an
// admin signs in and accepts, the app gets an AllPrincipals grant for the admin's tenant and
// the browser goes to redirect_uri with admin_consent=True&tenant={tid}&state=… (v2.0 adds
// scope). Cancel sends error=access_denied (AADSTS65004). The mock has no directory roles:
// any enabled user of the tenant may consent.
func (s *Server) handleAdminConsent(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventAuthorize, Binding: r.Method, CorrelationID: s.rand.guid()}
	pathTenant, _, ok := s.oidcTenant(r)
	if !ok {
		s.oidcErrorPage(w, r, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	q := r.URL.Query()
	ev.Request = map[string]string{"endpoint": "adminconsent"}
	for _, k := range []string{"client_id", "redirect_uri", "state", "scope"} {
		if v := q.Get(k); v != "" {
			ev.Request[k] = truncate(v, 512)
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		s.oidcErrorPage(w, r, errMissingParameter("client_id"), ev)
		return
	}
	app, appTenant := s.findClient(pathTenant, clientID)
	if app == nil {
		tid := r.PathValue("tenant")
		if pathTenant != nil {
			tid = pathTenant.ID
		}
		s.oidcErrorPage(w, r, errAppNotFound(truncate(clientID, 128), truncate(tid, 128)), ev)
		return
	}
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(app.Web.RedirectURIs) > 0 {
		redirect = app.Web.RedirectURIs[0]
	}
	if !slices.Contains(app.Web.RedirectURIs, redirect) {
		s.oidcErrorPage(w, r, errReplyURLMismatch(truncate(redirect, 1024), app.AppID), ev)
		return
	}
	s.prepareEvent(ev)
	ev.Status = StatusInterrupted
	s.record(ev)
	res := &adminConsentResume{AppID: app.AppID, AppTenant: appTenant.ID, Segment: r.PathValue("tenant"), RedirectURI: redirect,
		State: q.Get("state"), Scope: q.Get("scope"), V2: strings.Contains(r.URL.Path, "/v2.0/"), Event: *ev}
	flow := &pendingFlow{tenant: pathTenant, appName: app.DisplayName, appID: app.AppID, correlation: ev.CorrelationID,
		resume: flowResume{Admin: res}}
	s.startSignIn(w, r, flow, false)
}

// adminConsentAsk runs once the admin is known: a member of the app's tenant (or any, for a
// multi-tenant app) gets the admin consent page.
func (s *Server) adminConsentAsk(w http.ResponseWriter, r *http.Request, v *adminConsentResume, sess *idpSession, t *Tenant, u *User) {
	app := s.appRegistrationByID(v.AppID)
	appTenant := s.dir.tenant(v.AppTenant)
	if app == nil || appTenant == nil {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "Interactive", Kind: EventCredentials})
		return
	}
	if t != appTenant && !app.multiTenant() {
		e := v.Event
		s.oidcErrorPage(w, r, errUserNotInTenant(u.UserPrincipalName, t.ID, appTenant.DisplayName, app.AppID, app.DisplayName), &e)
		return
	}
	it := &interruption{Kind: interruptAdminConsent, Tenant: v.Segment, TenantID: t.ID, UserID: u.ID, SID: sessionID(sess),
		Page:   interruptPage{AppName: app.DisplayName, Login: u.UserPrincipalName, Admin: true, Tenant: t.DisplayName, Scopes: strings.Fields(v.Scope)},
		Resume: flowResume{Admin: v}}
	it.Page.Action = "/" + url.PathEscape(v.Segment) + "/Consent/Set"
	s.interrupt(w, r, it)
}

// answerAdminConsent takes the admin's Accept (an AllPrincipals grant, admin_consent=True to
// the redirect URI) or Cancel (access_denied, AADSTS65004).
func (s *Server) answerAdminConsent(w http.ResponseWriter, r *http.Request, v *adminConsentResume, t *Tenant, u *User, accept bool) {
	to := oauthRedirect{uri: v.RedirectURI, mode: "query", state: v.State}
	e := v.Event
	e.ID, e.Time, e.Status = "", time.Time{}, ""
	e.TenantID, e.UserID, e.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
	if !accept {
		s.redirectError(w, r, to, errConsentDeclined(), &e)
		return
	}
	s.grant(OAuth2PermissionGrant{ClientID: v.AppID, ConsentType: ConsentAllPrincipals, Scope: v.Scope})
	s.prepareEvent(&e)
	e.Response = map[string]string{"redirect_uri": to.uri, "admin_consent": "True"}
	s.record(&e)
	params := [][2]string{{"admin_consent", "True"}, {"tenant", t.ID}}
	if v.V2 {
		params = append(params, [2]string{"scope", v.Scope})
	}
	s.sendRedirect(w, r, to, params)
}

func errConsentDeclined() *Error { return ErrConsentDeclined.with() }
