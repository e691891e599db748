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
	q := r.URL.Query()
	// A login_hint is kept whole in the sign-in flow for the flow's life (30 min): unchecked,
	// each 200 KB hint held 200 KB (the reliability sweep's memory bound found 2,000 of them
	// adding 400 MiB). Refuse what the other sign-in entry points refuse (oidc_params.go,
	// checkSAMLSizes): a value over maxParamLen, with AADSTS90015.
	for k, vs := range q {
		for _, v := range vs {
			if len(v) > maxParamLen || len(k) > 256 {
				s.renderErrorPage(w, r, errQueryTooLong(), ev)
				return
			}
		}
	}
	tenantKey := q.Get("tenantId")
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
	s.beginSAMLSignIn(w, r, a, q.Get("login_hint"), false)
}

// UserAccessURL is the app's "User access URL" that starts an IdP-initiated sign-in.
func (s *Server) UserAccessURL(t *Tenant, app *EnterpriseApp) string {
	return s.base() + "/myapps/signin/" + app.AppID + "?tenantId=" + t.ID
}
