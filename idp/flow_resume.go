package idp

import (
	"net/http"
	"strings"
	"time"
)

// A sign-in in progress is carried by the browser, as Entra's ctx and flowToken are: the
// sign-in page's ctx is the whole pending flow (tenant, app, login hint, correlation, the
// browser it is bound to, and how to finish the protocol) sealed with the state key, and so
// is the ctx of the consent and MFA pages (consent.go). Any replica opens them, looks the
// tenant, app and user up again in its directory by ID, and finishes the sign-in; none keeps
// a table of open flows. Only the completion is recorded, in the store ("flow-done/<id>"),
// so that a flow finishes once however many replicas its form is posted to.

// Store key prefixes of completed flows and answered interruptions.
const (
	storeFlowDone      = "flow-done/"
	storeInterruptDone = "interrupt-done/"
)

// flowHandle is pendingFlow as sealed into the sign-in page's ctx.
type flowHandle struct {
	ID          string     `json:"id"`
	TenantID    string     `json:"t,omitempty"`
	AppName     string     `json:"n,omitempty"`
	AppID       string     `json:"a,omitempty"`
	LoginHint   string     `json:"h,omitempty"`
	Correlation string     `json:"c,omitempty"`
	Created     time.Time  `json:"at"`
	Browser     string     `json:"b"`
	Resume      flowResume `json:"r"`
}

// flowResume is how a sign-in continues once the user is known: exactly one of its members,
// by the protocol that started it. Each holds plain values (IDs, the request's parsed
// fields, the request's log entry), never pointers into the directory.
type flowResume struct {
	SAML   *samlResume         `json:"saml,omitempty"`   // SAML SSO and IdP-initiated (My Apps)
	WSFed  *wsfedResume        `json:"wsfed,omitempty"`  // WS-Federation wsignin1.0
	OIDC   *authzResume        `json:"oidc,omitempty"`   // the authorization endpoint
	Device *deviceResume       `json:"device,omitempty"` // the device login page
	Admin  *adminConsentResume `json:"admin,omitempty"`  // /adminconsent
}

// samlResume is a samlAuthn by IDs.
type samlResume struct {
	TenantID     string `json:"t"`
	AppID        string `json:"a"`
	RequestID    string `json:"id,omitempty"`
	ACS          string `json:"acs"`
	RelayState   string `json:"rs,omitempty"`
	NameIDFormat string `json:"f,omitempty"`
	Audience     string `json:"aud,omitempty"`
	Event        Event  `json:"ev"`
}

// wsfedResume is a wsfedAuthn by IDs.
type wsfedResume struct {
	TenantID  string `json:"t"`
	AppID     string `json:"a"`
	Realm     string `json:"realm"`
	Reply     string `json:"reply"`
	Ctx       string `json:"wctx,omitempty"`
	TokenType string `json:"tt"`
	Event     Event  `json:"ev"`
}

// authzResume is an authzRequest by IDs: the app and tenants by ID, the scope as sent (parsed
// again), a v1 request's resource= as sent (resolved again).
type authzResume struct {
	AppID        string   `json:"a"`
	AppTenant    string   `json:"at"`
	PathTenant   string   `json:"pt,omitempty"`
	RedirectURI  string   `json:"ru"`
	Mode         string   `json:"rm"`
	State        string   `json:"st,omitempty"`
	Platform     string   `json:"pf,omitempty"`
	ResponseType string   `json:"rt"`
	Scopes       []string `json:"sc,omitempty"`
	Nonce        string   `json:"no,omitempty"`
	Challenge    string   `json:"cc,omitempty"`
	Method       string   `json:"cm,omitempty"`
	V1           bool     `json:"v1,omitempty"`
	V1Resource   string   `json:"res,omitempty"`
	IP           string   `json:"ip,omitempty"`
	Prompt       string   `json:"pr,omitempty"`
	ConsentDone  bool     `json:"cd,omitempty"`
	MFADone      bool     `json:"md,omitempty"`
	Event        Event    `json:"ev"`
}

// deviceResume is the device login page's flow: the user code entered and the page's path.
type deviceResume struct {
	UserCode string `json:"uc"`
	Action   string `json:"ac"`
}

// adminConsentResume is an /adminconsent request.
type adminConsentResume struct {
	AppID       string `json:"a"`
	AppTenant   string `json:"at"`
	Segment     string `json:"seg"`
	RedirectURI string `json:"ru"`
	State       string `json:"st,omitempty"`
	Scope       string `json:"sc,omitempty"`
	V2          bool   `json:"v2,omitempty"`
	Event       Event  `json:"ev"`
}

// sealFlow seals f into the sign-in page's ctx, valid for flowTTL.
func (s *Server) sealFlow(f *pendingFlow) (string, error) {
	h := flowHandle{ID: f.id, AppName: f.appName, AppID: f.appID, LoginHint: f.loginHint, Correlation: f.correlation,
		Created: f.created, Browser: f.browser, Resume: f.resume}
	if f.tenant != nil {
		h.TenantID = f.tenant.ID
	}
	v, err := s.seal("flow", h, f.created.Add(flowTTL))
	f.handle = v
	return v, err
}

// openFlow opens a sign-in page's ctx; nil when it is not one (unknown, altered, expired, or
// naming a tenant the directory does not have).
func (s *Server) openFlow(ctx string) *pendingFlow {
	var h flowHandle
	if ctx == "" || s.unseal("flow", ctx, &h) != nil {
		return nil
	}
	f := &pendingFlow{id: h.ID, appName: h.AppName, appID: h.AppID, loginHint: h.LoginHint, correlation: h.Correlation,
		created: h.Created, browser: h.Browser, resume: h.Resume, handle: ctx}
	if h.TenantID != "" {
		if f.tenant = s.dir.tenant(h.TenantID); f.tenant == nil {
			return nil
		}
	}
	return f
}

// claimOnce records key in the store until expires and reports whether this request was the
// first to: a flow or a page is answered once, on whichever replica. A store that cannot
// answer refuses (the caller shows the expired-flow page).
func (s *Server) claimOnce(r *http.Request, key string, expires time.Time) bool {
	ok, err := s.store.Add(r.Context(), key, []byte{1}, expires)
	return ok && err == nil
}

// resumeFlow finishes a sign-in for the user: it looks the flow's tenant and app up again
// and continues its protocol. A flow whose app the directory no longer has gets the
// expired-flow page.
func (s *Server) resumeFlow(w http.ResponseWriter, r *http.Request, res flowResume, sess *idpSession, t *Tenant, u *User) {
	switch {
	case res.SAML != nil:
		if a := s.samlAuthnOf(res.SAML); a != nil {
			s.sendSAMLResponse(w, r, a, sess, u)
			return
		}
	case res.WSFed != nil:
		if a := s.wsfedAuthnOf(res.WSFed); a != nil {
			s.sendWSFedResponse(w, r, a, sess, u)
			return
		}
	case res.OIDC != nil:
		if req := s.authzRequestOf(res.OIDC); req != nil {
			s.finishAuthorize(w, r, req, sess, t, u)
			return
		}
	case res.Device != nil:
		s.deviceResume(w, r, res.Device, sess, t, u) // oidc_devicelogin.go
		return
	case res.Admin != nil:
		s.adminConsentAsk(w, r, res.Admin, sess, t, u) // consent.go
		return
	}
	s.renderErrorPage(w, r, errFlowExpired(), &Event{Context: browserContext(r), Protocol: "Interactive", Kind: EventCredentials})
}

func samlResumeOf(a *samlAuthn) *samlResume {
	return &samlResume{TenantID: a.tenant.ID, AppID: a.app.AppID, RequestID: a.requestID, ACS: a.acs, RelayState: a.relayState,
		NameIDFormat: a.nameIDFormat, Audience: a.audience, Event: a.ev}
}

// resumedApp looks a resumed flow's tenant and enterprise app up again by ID (nil, nil if
// either is gone since the flow began).
func (s *Server) resumedApp(tenantID, appID string) (*Tenant, *EnterpriseApp) {
	t := s.dir.tenant(tenantID)
	if t == nil {
		return nil, nil
	}
	if app := t.EnterpriseApp(appID); app != nil {
		return t, app
	}
	return nil, nil
}

func (s *Server) samlAuthnOf(v *samlResume) *samlAuthn {
	t, app := s.resumedApp(v.TenantID, v.AppID)
	if app == nil {
		return nil
	}
	return &samlAuthn{tenant: t, app: app, requestID: v.RequestID, acs: v.ACS, relayState: v.RelayState,
		nameIDFormat: v.NameIDFormat, audience: v.Audience, ev: v.Event}
}

func wsfedResumeOf(a *wsfedAuthn) *wsfedResume {
	return &wsfedResume{TenantID: a.tenant.ID, AppID: a.app.AppID, Realm: a.realm, Reply: a.reply, Ctx: a.ctx,
		TokenType: a.tokenType, Event: a.ev}
}

func (s *Server) wsfedAuthnOf(v *wsfedResume) *wsfedAuthn {
	t, app := s.resumedApp(v.TenantID, v.AppID)
	if app == nil {
		return nil
	}
	return &wsfedAuthn{tenant: t, app: app, realm: v.Realm, reply: v.Reply, ctx: v.Ctx, tokenType: v.TokenType, ev: v.Event}
}

func authzResumeOf(req *authzRequest) *authzResume {
	v := &authzResume{AppID: req.app.AppID, AppTenant: req.appTenant.ID, RedirectURI: req.to.uri, Mode: req.to.mode,
		State: req.to.state, Platform: req.platform, ResponseType: req.responseType, Scopes: req.scopes.all,
		Nonce: req.nonce, Challenge: req.challenge, Method: req.method, V1: req.v1, IP: req.ip, Prompt: req.prompt,
		ConsentDone: req.consentDone, MFADone: req.mfaDone, Event: req.ev}
	if req.pathTenant != nil {
		v.PathTenant = req.pathTenant.ID
	}
	if req.v1res != nil {
		v.V1Resource = req.v1res.requested
	}
	return v
}

// authzRequestOf rebuilds the request: the app and tenants from the directory, the scope
// parsed and a v1 resource resolved as the authorization endpoint did (they passed then).
func (s *Server) authzRequestOf(v *authzResume) *authzRequest {
	at := s.dir.tenant(v.AppTenant)
	if at == nil {
		return nil
	}
	var app *AppRegistration
	for _, a := range at.AppRegistrations {
		if a.AppID == v.AppID {
			app = a
		}
	}
	if app == nil {
		return nil
	}
	req := &authzRequest{app: app, appTenant: at, to: oauthRedirect{uri: v.RedirectURI, mode: v.Mode, state: v.State},
		platform: v.Platform, responseType: v.ResponseType, nonce: v.Nonce, challenge: v.Challenge, method: v.Method,
		ev: v.Event, v1: v.V1, ip: v.IP, prompt: v.Prompt, consentDone: v.ConsentDone, mfaDone: v.MFADone}
	if v.PathTenant != "" {
		if req.pathTenant = s.dir.tenant(v.PathTenant); req.pathTenant == nil {
			return nil
		}
	}
	if len(v.Scopes) > 0 {
		ss, e := parseScope(strings.Join(v.Scopes, " "))
		if e != nil {
			return nil
		}
		req.scopes = ss
	}
	if v.V1Resource != "" {
		t := req.pathTenant
		if t == nil {
			t = req.appTenant
		}
		res, e := s.resolveResourceV1(v.V1Resource, t)
		if e != nil {
			return nil
		}
		req.v1res = &res
	}
	return req
}
