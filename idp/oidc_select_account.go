package idp

import (
	"html/template"
	"net/http"
	"net/url"
)

// prompt=select_account: when the browser has a session, Entra shows "Pick an account"
// (the signed-in account, and "Use another account") instead of signing in silently;
// without a session it shows the sign-in page. The mock's picker links back to the
// authorization request without prompt (the signed-in account: single sign-on continues)
// or with prompt=login (another account: the sign-in page), so it keeps no state.

// accountPickerPage is the "Pick an account" page.
var accountPickerPage = template.Must(template.New("picker").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in to your account</title></head>
<body><h1 id="picker-title">Pick an account</h1>
<ul id="accounts">
<li><a id="account-0" data-upn="{{.UPN}}" href="{{.Continue}}">{{.Name}}<br><small>{{.UPN}}</small><br><small>Signed in</small></a></li>
<li><a id="use-another" href="{{.Other}}">Use another account</a></li>
</ul></body></html>`))

// selectAccount shows the account picker for the browser's session and reports whether it
// did (false: no session the request may use, so the sign-in page follows).
func (s *Server) selectAccount(w http.ResponseWriter, r *http.Request, p url.Values, req *authzRequest, ev *Event) bool {
	t, u := s.sessionUser(s.session(r))
	if u == nil || (req.pathTenant != nil && t != req.pathTenant) {
		return false
	}
	base := s.base() + "/" + url.PathEscape(r.PathValue("tenant")) + "/oauth2/v2.0/authorize?"
	cont, other := url.Values{}, url.Values{}
	for k, v := range p {
		cont[k], other[k] = v, v
	}
	cont.Del("prompt")
	other.Set("prompt", "login")
	name := u.DisplayName
	if name == "" {
		name = u.UserPrincipalName
	}
	s.prepareEvent(ev)
	ev.Status, ev.Detail = StatusInterrupted, "prompt=select_account: the account picker was shown"
	ev.TenantID, ev.UserID, ev.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
	s.record(ev)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(http.StatusOK)
	_ = accountPickerPage.Execute(w, struct{ Name, UPN, Continue, Other string }{name, u.UserPrincipalName, base + cont.Encode(), base + other.Encode()})
	return true
}
