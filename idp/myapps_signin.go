package idp

import (
	"net/http"
	"strings"
)

// handleIdPInitiated is the app's "User access URL" (My Apps / "Test this application"):
// sign the user in and post an unsolicited Response, with the app's Relay State, to the
// default Reply URL.
func (s *Server) handleIdPInitiated(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: "SAML", Kind: EventIdPInitiated, Binding: BindingPOST, CorrelationID: s.rand.guid()}
	appID := r.PathValue("appId")
	tenantKey := r.URL.Query().Get("tenantId")
	var t *Tenant
	var app *EnterpriseApp
	for _, tt := range s.dir.tenants {
		if tenantKey != "" && s.dir.tenant(tenantKey) != tt {
			continue
		}
		for _, a := range tt.EnterpriseApps {
			if strings.EqualFold(a.AppID, appID) {
				t, app = tt, a
			}
		}
	}
	if tenantKey != "" && s.dir.tenant(tenantKey) == nil {
		s.renderErrorPage(w, r, errUnknownTenant(tenantKey), ev)
		return
	}
	if app == nil {
		s.renderErrorPage(w, r, errAppNotFound(appID, tenantKey), ev)
		return
	}
	ev.TenantID, ev.AppID, ev.AppName = t.ID, app.AppID, app.DisplayName
	if app.SAML.RequireVerificationCertificates {
		// Entra: with request verification enforced, IdP-initiated sign-in stops working.
		s.renderErrorPage(w, r, errUnsignedRequest(), ev)
		return
	}
	a := &samlAuthn{tenant: t, app: app, acs: app.SAML.DefaultReplyURL(), relayState: app.SAML.RelayState, ev: *ev}
	s.beginSAMLSignIn(w, r, a, r.URL.Query().Get("login_hint"), false)
}

// UserAccessURL is the app's "User access URL" that starts an IdP-initiated sign-in.
func (s *Server) UserAccessURL(t *Tenant, app *EnterpriseApp) string {
	return s.base() + "/myapps/signin/" + app.AppID + "?tenantId=" + t.ID
}
