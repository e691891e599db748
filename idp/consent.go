package idp

// Consent as Entra has it: an app registration whose admin consent is not granted
// (AppRegistration.AdminConsentGranted false) needs a delegated permission grant (Microsoft
// Graph oauth2PermissionGrant) for the tenant (consentType AllPrincipals, what "Grant admin
// consent" and /adminconsent make) or for the user (Principal, what the user's own Accept
// on the consent page makes). Without one, an interactive sign-in shows Entra's consent page
// ("Permissions requested", Accept / Cancel); prompt=none and the refresh grant get
// AADSTS65001; Cancel sends error=access_denied with AADSTS65004 to the redirect URI.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
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

// consentState is the consent and MFA pages waiting for the user's answer (the grants made
// at run time are in the store: consent_grants.go).
type consentState struct {
	mu         sync.Mutex
	interrupts map[string]*interruption
	order      []string // interruption IDs, oldest first (bounded by maxPendingFlows)
}

// interruption is a page Entra shows between the credentials and the response (the consent
// page, the MFA code prompt), waiting for the browser that was shown it.
type interruption struct {
	id, browser, kind string
	tenant            string // path segment the page posts to
	created           time.Time
	page              interruptPage
	// accept continues the sign-in (Accept, or a correct code); cancel ends it (Cancel).
	accept, cancel func(w http.ResponseWriter, r *http.Request)
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

// interrupt keeps it for the browser's answer and shows its page.
func (s *Server) interrupt(w http.ResponseWriter, r *http.Request, it *interruption) {
	it.id = s.rand.token(16)
	it.browser = s.flowBrowser(w, r)
	it.created = s.clock.Now()
	it.page.Ctx = it.id
	s.consent.mu.Lock()
	if s.consent.interrupts == nil {
		s.consent.interrupts = map[string]*interruption{}
	}
	for len(s.consent.order) >= maxPendingFlows {
		delete(s.consent.interrupts, s.consent.order[0])
		s.consent.order = s.consent.order[1:]
	}
	s.consent.interrupts[it.id] = it
	s.consent.order = append(s.consent.order, it.id)
	s.consent.mu.Unlock()
	s.showInterruption(w, it)
}

func (s *Server) showInterruption(w http.ResponseWriter, it *interruption) {
	name := "consent.html"
	if it.kind == interruptMFA {
		name = "mfa.html"
	}
	s.renderPage(w, http.StatusOK, name, it.page)
}

// takeInterruption is the pending page a form post answers, removed unless keep; nil (and
// the error page written) when it is unknown, expired or from another browser.
func (s *Server) takeInterruption(w http.ResponseWriter, r *http.Request, keep func(*interruption) bool) *interruption {
	ev := &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials, CorrelationID: s.rand.guid()}
	if err := r.ParseForm(); err != nil {
		s.renderErrorPage(w, r, errMalformedForm(err), ev)
		return nil
	}
	id := r.PostForm.Get("ctx")
	s.consent.mu.Lock()
	it := s.consent.interrupts[id]
	if it != nil && (keep == nil || !keep(it)) {
		delete(s.consent.interrupts, id)
		s.consent.order = slices.DeleteFunc(s.consent.order, func(x string) bool { return x == id })
	}
	s.consent.mu.Unlock()
	if it == nil || s.clock.Now().Sub(it.created) > flowTTL {
		s.renderErrorPage(w, r, errFlowExpired(), ev)
		return nil
	}
	if c, err := r.Cookie(flowCookie); err != nil || c.Value != it.browser {
		s.renderErrorPage(w, r, errFlowTokenInvalid(nil), ev)
		return nil
	}
	return it
}

// handleConsentSet is POST /{tenant}/Consent/Set: the consent page's Accept or Cancel
// (action=accept / cancel).
func (s *Server) handleConsentSet(w http.ResponseWriter, r *http.Request) {
	it := s.takeInterruption(w, r, func(it *interruption) bool { return it.kind == interruptMFA })
	if it == nil {
		return
	}
	if it.kind == interruptMFA {
		s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "HTTP", Kind: EventCredentials})
		return
	}
	if r.PostForm.Get("action") == "accept" {
		it.accept(w, r)
		return
	}
	it.cancel(w, r)
}

// consentPage is the interruption of an authorization request whose app needs the user's
// consent: Accept makes a Principal grant and continues, Cancel answers AADSTS65004.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, req *authzRequest, u *User, cont func(w http.ResponseWriter, r *http.Request), cancel func(w http.ResponseWriter, r *http.Request)) {
	it := &interruption{kind: interruptConsent, tenant: req.tenantSegment(),
		page: interruptPage{AppName: req.app.DisplayName, Login: u.UserPrincipalName, Scopes: req.scopes.all},
		accept: func(w http.ResponseWriter, r *http.Request) {
			s.grant(OAuth2PermissionGrant{ClientID: req.app.AppID, ConsentType: ConsentPrincipal, PrincipalID: u.ID, Scope: strings.Join(req.scopes.all, " ")})
			cont(w, r)
		},
		cancel: cancel}
	it.page.Action = "/" + url.PathEscape(it.tenant) + "/Consent/Set"
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
	to := oauthRedirect{uri: redirect, mode: "query", state: q.Get("state")}
	v2 := strings.Contains(r.URL.Path, "/v2.0/")
	segment := r.PathValue("tenant")
	s.prepareEvent(ev)
	ev.Status = StatusInterrupted
	s.record(ev)
	base := *ev
	flow := &pendingFlow{tenant: pathTenant, appName: app.DisplayName, appID: app.AppID, correlation: ev.CorrelationID,
		finish: func(w http.ResponseWriter, r *http.Request, _ *idpSession, t *Tenant, u *User) {
			if t != appTenant && !app.multiTenant() {
				e := base
				s.oidcErrorPage(w, r, errUserNotInTenant(u.UserPrincipalName, t.ID, appTenant.DisplayName, app.AppID, app.DisplayName), &e)
				return
			}
			it := &interruption{kind: interruptAdminConsent, tenant: segment,
				page: interruptPage{AppName: app.DisplayName, Login: u.UserPrincipalName, Admin: true, Tenant: t.DisplayName, Scopes: strings.Fields(q.Get("scope"))}}
			it.page.Action = "/" + url.PathEscape(segment) + "/Consent/Set"
			it.accept = func(w http.ResponseWriter, r *http.Request) {
				s.grant(OAuth2PermissionGrant{ClientID: app.AppID, ConsentType: ConsentAllPrincipals, Scope: q.Get("scope")})
				e := base
				e.ID, e.Time, e.Status = "", time.Time{}, ""
				e.TenantID, e.UserID, e.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
				s.prepareEvent(&e)
				e.Response = map[string]string{"redirect_uri": to.uri, "admin_consent": "True"}
				s.record(&e)
				params := [][2]string{{"admin_consent", "True"}, {"tenant", t.ID}}
				if v2 {
					params = append(params, [2]string{"scope", q.Get("scope")})
				}
				s.sendRedirect(w, r, to, params)
			}
			it.cancel = func(w http.ResponseWriter, r *http.Request) {
				e := base
				e.ID, e.Time, e.Status = "", time.Time{}, ""
				e.TenantID, e.UserID, e.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
				s.redirectError(w, r, to, errConsentDeclined(), &e)
			}
			s.interrupt(w, r, it)
		}}
	s.startSignIn(w, r, flow, false)
}

func errConsentDeclined() *Error { return ErrConsentDeclined.with() }
