package idp

import (
	"net/http"
	"strings"
)

// The device login page: where the user of a device code flow enters the code, signs in
// (the sign-in page and session of every other flow) and confirms. Entra's pages, in order:
// "Enter code"; the sign-in page; "Are you trying to sign in to {app}?" with Cancel and
// Continue; "{app} — You have signed in to the {app} application on your device. You may now
// close this window."

// deviceLoginPage is devicelogin.html's data.
type deviceLoginPage struct {
	Step      string // code (default), confirm, done, declined
	Action    string
	Code      string
	Nonce     string
	AppName   string
	Error     string
	ErrorCode int
}

// handleDeviceLogin is GET /devicelogin, the mock's verification_uri (Entra's is
// https://microsoft.com/devicelogin): like Entra's, it redirects to the code page.
func (s *Server) handleDeviceLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/common/oauth2/deviceauth", http.StatusFound)
}

// handleDeviceAuthPage is GET /{tenant}/oauth2/deviceauth: the "Enter code" page (?otc=
// fills the code in).
func (s *Server) handleDeviceAuthPage(w http.ResponseWriter, r *http.Request) {
	action, ok := s.deviceAuthPath(r)
	if !ok {
		s.renderErrorPage(w, r, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventDeviceLogin})
		return
	}
	s.renderPage(w, http.StatusOK, "devicelogin.html", deviceLoginPage{Action: action, Code: normalizeUserCode(r.URL.Query().Get("otc"))})
}

// deviceAuthPath is the page's own path with the tenant as the server knows it (the form
// posts back there), or false for a tenant the server does not know.
func (s *Server) deviceAuthPath(r *http.Request) (string, bool) {
	t, _, ok := s.oidcTenant(r)
	if !ok {
		return "", false
	}
	name := strings.ToLower(r.PathValue("tenant"))
	if t != nil {
		name = t.ID
	}
	return "/" + name + "/oauth2/deviceauth", true
}

// handleDeviceAuth is POST /{tenant}/oauth2/deviceauth: the code (step=code), then the
// user's Continue or Cancel (step=confirm).
func (s *Server) handleDeviceAuth(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventDeviceLogin, Binding: r.Method, CorrelationID: s.rand.guid()}
	action, ok := s.deviceAuthPath(r)
	if !ok {
		s.renderErrorPage(w, r, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderErrorPage(w, r, errMalformedRequest("The form could not be read.").withCause(err), ev)
		return
	}
	if r.PostForm.Get("step") == "confirm" {
		s.deviceConfirm(w, r, ev)
		return
	}
	code := normalizeUserCode(r.PostForm.Get("otc"))
	ev.Request = map[string]string{"user_code": truncate(code, 16)}
	page := deviceLoginPage{Action: action, Code: truncate(code, 16)}
	dg, status := s.deviceGrantBy("u:" + code)
	var e *Error
	switch {
	case dg == nil || status != devicePending:
		e, page.Error = codeBadVerificationCode.with(), "That code didn't work. Check the code and try again."
	case s.clock.Now().After(dg.expires):
		e, page.Error = codeVerificationCodeExpired.with(), "The code you entered has expired. Get a new code from the device you're trying to sign in to and try again."
	}
	if e != nil {
		if dg != nil {
			ev.AppID, ev.AppName, ev.CorrelationID = dg.app.AppID, dg.app.DisplayName, dg.corr
		}
		s.prepareEvent(ev)
		s.fail(ev, e)
		page.ErrorCode = e.Code
		s.renderPage(w, http.StatusOK, "devicelogin.html", page)
		return
	}
	ev.AppID, ev.AppName, ev.CorrelationID = dg.app.AppID, dg.app.DisplayName, dg.corr
	if dg.pathTenant != nil {
		ev.TenantID = dg.pathTenant.ID
	}
	s.prepareEvent(ev)
	ev.Status = StatusInterrupted
	s.record(ev)
	flow := &pendingFlow{tenant: dg.pathTenant, appName: dg.app.DisplayName, appID: dg.app.AppID, correlation: dg.corr,
		resume: flowResume{Device: &deviceResume{UserCode: code, Action: action}}}
	s.startSignIn(w, r, flow, false)
}

// normalizeUserCode is the code as typed, without spaces or dashes, in upper case.
func normalizeUserCode(v string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(truncate(v, 64))))
}

// deviceResume finishes the sign-in of the device login page: the code is looked up again
// (it may have been approved, declined or expired meanwhile) and the user asked.
func (s *Server) deviceResume(w http.ResponseWriter, r *http.Request, v *deviceResume, sess *idpSession, t *Tenant, u *User) {
	dg, _ := s.deviceGrantBy("u:" + v.UserCode)
	if dg == nil {
		s.renderErrorPage(w, r, codeBadVerificationCode.with(), &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventDeviceLogin,
			TenantID: t.ID, UserID: u.ID, UserPrincipalName: u.UserPrincipalName})
		return
	}
	s.deviceAsk(w, r, dg, v.Action, sess, t, u)
}

// deviceAsk runs once the user is known: the tenant, assignment and consent checks of any
// sign-in to the app, then "Are you trying to sign in to {app}?", whose form is bound to the
// session by a nonce.
func (s *Server) deviceAsk(w http.ResponseWriter, r *http.Request, dg *deviceGrant, action string, sess *idpSession, t *Tenant, u *User) {
	ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventDeviceLogin, Binding: r.Method, CorrelationID: dg.corr,
		AppID: dg.app.AppID, AppName: dg.app.DisplayName, TenantID: t.ID, UserID: u.ID, UserPrincipalName: u.UserPrincipalName}
	if e := s.deviceUserAllowed(dg, t, u); e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	nonce := s.rand.token(16)
	if sess == nil || !s.deviceAskConfirm(dg, nonce, sess.SID) { // oidc_devicecode_store.go
		s.renderErrorPage(w, r, codeBadVerificationCode.with(), ev)
		return
	}
	s.renderPage(w, http.StatusOK, "devicelogin.html", deviceLoginPage{Step: "confirm", Action: action, Code: dg.userCode, Nonce: nonce, AppName: dg.app.DisplayName})
}

// deviceUserAllowed applies to the user of a device code the checks of finishAuthorize:
// a member of the app's tenant (or any, for a multi-tenant app), assigned, consented.
func (s *Server) deviceUserAllowed(dg *deviceGrant, t *Tenant, u *User) *Error {
	app := dg.app
	switch {
	case t != dg.appTenant && !app.multiTenant():
		return errUserNotInTenant(u.UserPrincipalName, t.ID, dg.appTenant.DisplayName, app.AppID, app.DisplayName)
	case t == dg.appTenant && !t.assigned(u, app.AssignmentRequired, app.Assignments):
		return errUserNotAssigned(app.DisplayName, app.AppID, u.UserPrincipalName)
	case !app.consented():
		return errConsentRequired(app.AppID, app.DisplayName)
	}
	return nil
}

// deviceConfirm takes Continue or Cancel. The post must carry the nonce of the page shown to
// this browser's session; Continue approves the code for the session's user (the device's
// next poll gets the tokens), Cancel declines it (authorization_declined).
func (s *Server) deviceConfirm(w http.ResponseWriter, r *http.Request, ev *Event) {
	code := normalizeUserCode(r.PostForm.Get("otc"))
	dg, _ := s.deviceGrantBy("u:" + code)
	if dg == nil {
		s.renderErrorPage(w, r, codeBadVerificationCode.with(), ev)
		return
	}
	ev.AppID, ev.AppName, ev.CorrelationID = dg.app.AppID, dg.app.DisplayName, dg.corr
	sess := s.session(r)
	t, u := s.sessionUser(sess)
	if u != nil {
		ev.TenantID, ev.UserID, ev.UserPrincipalName = t.ID, u.ID, u.UserPrincipalName
	}
	action := r.PostForm.Get("action")
	ev.Request = map[string]string{"user_code": truncate(code, 16), "action": truncate(action, 16)}
	status, e := s.deviceDecide(dg, sess, t, u, action, r.PostForm.Get("nonce")) // oidc_devicecode_store.go
	if e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	s.prepareEvent(ev)
	page := deviceLoginPage{Step: "done", AppName: dg.app.DisplayName}
	if status == deviceDeclined {
		page.Step = "declined"
		ev.Status, ev.FailureReason = StatusFailure, "The user declined the device code sign-in."
	}
	s.record(ev)
	w.Header().Set("x-ms-request-id", ev.ID)
	s.renderPage(w, http.StatusOK, "devicelogin.html", page)
}

// errDeviceConfirmForeign is why a confirmation post is refused: it does not come from the
// browser session that was shown the confirmation page.
var errDeviceConfirmForeign = errorString("the confirmation was not posted by the session that was asked (nonce or ESTSAUTH cookie differs)")

// errorString is a constant error.
type errorString string

func (e errorString) Error() string { return string(e) }
