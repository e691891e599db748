package idp

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// flowCookie binds sign-in flows to the browser that started them. Entra's sign-in page
// posts a flowToken and a canary that are only good together with the cookies the page set
// (esctx among them), so a form post replayed from another browser — login CSRF: a foreign
// page posting a flow's ctx with the attacker's credentials — is refused. The mock's value
// is one random token per browser, reused while the browser keeps it, so that several
// sign-ins open at once in one browser (tabs, parallel SPs) all stay valid.
const flowCookie = "esctx"

// flowTTL bounds how long a sign-in page stays usable (Entra's flow token lifetime is of
// this order; an expired one gives AADSTS50089).
const flowTTL = 30 * time.Minute

// pendingFlow is a sign-in waiting for the user's credentials. The server keeps none: the
// whole flow is sealed into the ctx the sign-in page posts back (flow_resume.go), so the
// post may land on any replica.
type pendingFlow struct {
	id          string
	tenant      *Tenant // nil: the user's home tenant, found from the login's domain
	appName     string
	appID       string
	loginHint   string
	correlation string
	created     time.Time
	// browser is the flowCookie value of the browser that was shown the sign-in page; the
	// form's posts must carry it.
	browser string
	// resume completes the protocol once the user is known: it checks assignment and sends
	// the response (SAML POST form, OIDC redirect, ...).
	resume flowResume
	// handle is the sealed flow, the sign-in page's ctx.
	handle string
}

// cookie makes an IdP cookie. Over https it is SameSite=None; Secure like Entra's; over plain
// http Chromium drops SameSite=None cookies without Secure, so it falls back to Lax, which is
// enough for the IdP's own top-level pages.
func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, MaxAge: maxAge}
	if strings.HasPrefix(s.URL, "https://") {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	} else {
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// startSignIn continues with the existing session (SSO) unless forceLogin, else shows the
// sign-in page for the flow.
func (s *Server) startSignIn(w http.ResponseWriter, r *http.Request, f *pendingFlow, forceLogin bool) {
	if !forceLogin {
		sess := s.session(r)
		if t, u := s.sessionUser(sess); u != nil && (f.tenant == nil || f.tenant == t) &&
			(f.loginHint == "" || strings.EqualFold(f.loginHint, u.UserPrincipalName)) {
			s.resumeFlow(w, r, f.resume, sess, t, u)
			return
		}
	}
	f.id = s.rand.token(16)
	f.created = s.clock.Now()
	f.browser = s.flowBrowser(w, r)
	handle, err := s.sealFlow(f)
	if err != nil {
		s.renderErrorPage(w, r, asError(err), &Event{Context: browserContext(r), Protocol: "Interactive", Kind: EventCredentials, CorrelationID: f.correlation})
		return
	}
	page := loginPage{Action: s.loginPath(f), Ctx: handle, AppName: f.appName, Step: "email"}
	if f.loginHint != "" {
		page.Login = f.loginHint
		if t, u := s.lookupLogin(f, f.loginHint); t != nil && u != nil {
			page.Step = "password"
		}
	}
	s.renderPage(w, http.StatusOK, "login.html", page)
}

// flowBrowser returns the browser's flow cookie value, making and setting one if the
// request has none the mock could have made. The cookie is set on the IdP's own sign-in
// page and read by the post of that page's form, a same-site request, so the attributes of
// s.cookie (SameSite=Lax over http) are enough, also when the SP is on another site.
func (s *Server) flowBrowser(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(flowCookie); err == nil && validFlowCookie(c.Value) {
		return c.Value
	}
	// From crypto/rand, not s.rand: the cookie is a secret that binds the flow to this
	// browser, which a seeded source (tests, golden files) would make guessable; and a draw
	// from s.rand would shift every later ID of a reproducible run. It is never printed.
	v := rand.Text()
	http.SetCookie(w, s.cookie(flowCookie, v, 0))
	return v
}

// validFlowCookie reports whether v looks like a value flowBrowser makes (rand.Text: 26
// base32 characters): anything else is replaced rather than stored with the flow.
func validFlowCookie(v string) bool {
	return len(v) == 26 && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == ""
}

// sameBrowser reports whether r carries the flow cookie of the browser f was started in.
func sameBrowser(f *pendingFlow, r *http.Request) error {
	c, err := r.Cookie(flowCookie)
	switch {
	case err != nil:
		return fmt.Errorf("the post has no %s cookie (Origin %q): the sign-in page was not opened in this browser", flowCookie, truncate(r.Header.Get("Origin"), 256))
	case subtle.ConstantTimeCompare([]byte(c.Value), []byte(f.browser)) != 1:
		return fmt.Errorf("the post's %s cookie is not the one of the browser the sign-in started in (Origin %q)", flowCookie, truncate(r.Header.Get("Origin"), 256))
	}
	return nil
}

func (s *Server) loginPath(f *pendingFlow) string {
	t := "common"
	if f.tenant != nil {
		t = f.tenant.ID
	}
	return "/" + t + "/login"
}

// lookupLogin finds the user a login names, in the flow's tenant or (for /common) in the
// tenant owning the login's domain.
func (s *Server) lookupLogin(f *pendingFlow, login string) (*Tenant, *User) {
	t := f.tenant
	if t == nil {
		_, domain, ok := strings.Cut(login, "@")
		if !ok {
			return nil, nil
		}
		if t = s.dir.tenant(domain); t == nil {
			return nil, nil
		}
	}
	return t, t.userByLogin(login)
}

// handleLogin takes the sign-in page's form posts: the email step, then the password step.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: "Interactive", Kind: EventCredentials}
	if err := r.ParseForm(); err != nil {
		s.renderErrorPage(w, r, errMalformedForm(err), ev)
		return
	}
	f := s.openFlow(r.PostForm.Get("ctx"))
	if f == nil || s.clock.Now().Sub(f.created) > flowTTL {
		s.renderErrorPage(w, r, errFlowExpired(), ev)
		return
	}
	ev.CorrelationID = f.correlation
	if err := sameBrowser(f, r); err != nil {
		// Refused before the login is even looked up: whoever posts without the cookie
		// learns nothing about the directory.
		s.renderErrorPage(w, r, errFlowTokenInvalid(err), ev)
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	ev.UserPrincipalName = login
	page := loginPage{Action: s.loginPath(f), Ctx: f.handle, AppName: f.appName, Login: login, Step: "email"}
	if _, ok := r.PostForm["login"]; !ok {
		s.renderErrorPage(w, r, errMissingField("login"), ev)
		return
	}
	t, u := s.lookupLogin(f, login)
	if t != nil {
		ev.TenantID = t.ID
	}
	if u == nil && f.tenant != nil {
		// A member of another tenant at a tenant-specific authority: Entra's AADSTS50020.
		if _, domain, ok := strings.Cut(login, "@"); ok {
			if home := s.dir.tenant(domain); home != nil && home != f.tenant && home.userByLogin(login) != nil {
				s.renderErrorPage(w, r, errUserNotInTenant(login, home.ID, f.tenant.DisplayName, f.appID, f.appName), ev)
				return
			}
		}
	}
	if u == nil {
		tenantName := "this"
		if t != nil {
			tenantName = t.DisplayName
		} else if f.tenant != nil {
			tenantName = f.tenant.DisplayName
		}
		e := errUnknownUser(login, tenantName)
		s.fail(ev, e)
		page.ErrorCode, page.ErrorText = e.Code, "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin."
		page.RequestID, page.Correlated = ev.ID, ev.CorrelationID
		s.renderPage(w, http.StatusOK, "login.html", page)
		return
	}
	ev.UserID, ev.UserPrincipalName = u.ID, u.UserPrincipalName
	page.Step = "password"
	if r.PostForm.Get("step") != "password" {
		s.renderPage(w, http.StatusOK, "login.html", page)
		return
	}
	if _, ok := r.PostForm["passwd"]; !ok {
		s.renderErrorPage(w, r, errMissingField("password"), ev)
		return
	}
	if r.PostForm.Get("passwd") != u.Password {
		e := errInvalidPassword()
		s.fail(ev, e)
		page.ErrorCode, page.ErrorText = e.Code, "Your account or password is incorrect. If you don't remember your password, reset it now."
		page.RequestID, page.Correlated = ev.ID, ev.CorrelationID
		s.renderPage(w, http.StatusOK, "login.html", page)
		return
	}
	if !u.Enabled() {
		s.renderErrorPage(w, r, errUserDisabled(), ev)
		return
	}
	if !s.claimOnce(r, storeFlowDone+f.id, f.created.Add(flowTTL)) {
		// The flow was completed already (a form posted twice, on any replica).
		s.renderErrorPage(w, r, errFlowExpired(), ev)
		return
	}
	s.record(ev)
	sw := s.deferSessionCookie(w) // the new session is sealed once (session_request.go)
	sess := s.newSession(sw, t, u)
	s.resumeFlow(sw, r, f.resume, sess, t, u)
	sw.flush()
}

// fail records ev as a failure with e.
func (s *Server) fail(ev *Event, e *Error) {
	ev.Status, ev.ErrorCode, ev.FailureReason = StatusFailure, e.Code, e.Message
	if e.Err != nil {
		ev.Detail = e.Err.Error()
	}
	s.record(ev)
}

func errFlowExpired() *Error {
	return codeFlowExpired.with()
}

func errFlowTokenInvalid(cause error) *Error {
	return ErrFlowTokenInvalid.with("flowtoken").withCause(cause)
}

func errMalformedForm(err error) *Error { return errMissingField("login").withCause(err) }

// absURL reports whether u is an absolute http(s) URL.
func absURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}
