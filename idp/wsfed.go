package idp

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// WS-Federation passive requestor profile at /{tenant}/wsfed: the endpoint every federation
// metadata document of Entra advertises (fed:PassiveRequestorEndpoint). An RP sends the browser
// there with wa=wsignin1.0 and its realm (wtrealm, one of an enterprise app's Identifiers);
// after the same sign-in page and session as SAML, the browser posts wa, wresult (a WS-Trust
// 2005/02 RequestSecurityTokenResponse holding the signed SAML assertion) and wctx back to
// the reply URL. wsfed_token.go builds the wresult.

// ProtocolWSFed is the sign-in log's Protocol for WS-Federation requests.
const ProtocolWSFed = "WS-Federation"

// Event kinds of the WS-Federation endpoint.
const (
	EventWSFedSignIn  EventKind = "wsfed-signin"  // wa=wsignin1.0: a sign-in request and its wresult
	EventWSFedSignOut EventKind = "wsfed-signout" // wa=wsignout1.0 or wsignoutcleanup1.0
)

// WS-Federation actions (wa).
const (
	wsfedSignIn         = "wsignin1.0"
	wsfedSignOut        = "wsignout1.0"
	wsfedSignOutCleanup = "wsignoutcleanup1.0"
)

// WS-Fed token types: what wreq's TokenType may ask for (the SAML token profile's URIs and
// the assertion namespaces, both in use), and the values of SAMLSettings.WSFedTokenType.
const (
	WSFedTokenSAML2  = "SAML2"  // a SAML 2.0 assertion (what Entra sends unless asked otherwise)
	WSFedTokenSAML11 = "SAML11" // a SAML 1.1 assertion
)

// wsfedTokenTypes maps a wreq TokenType to the token it asks for.
var wsfedTokenTypes = map[string]string{
	"urn:oasis:names:tc:SAML:2.0:assertion":                                    WSFedTokenSAML2,
	"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0": WSFedTokenSAML2,
	"urn:oasis:names:tc:SAML:1.0:assertion":                                    WSFedTokenSAML11,
	"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1": WSFedTokenSAML11,
}

// wsfedAuthn is an accepted wsignin1.0 request, ready to be answered.
type wsfedAuthn struct {
	tenant    *Tenant
	app       *EnterpriseApp
	realm     string // wtrealm, an Identifier of app
	reply     string // where the form posts: wreply, or the app's default Reply URL
	ctx       string // wctx, echoed
	tokenType string // WSFedTokenSAML2 or WSFedTokenSAML11
	ev        Event
}

// handleWSFed is /{tenant}/wsfed (GET, and POST as some RPs send it).
func (s *Server) handleWSFed(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: ProtocolWSFed, Kind: EventWSFedSignIn, Binding: r.Method, CorrelationID: s.rand.guid()}
	t := s.tenantFromPath(w, r, ev)
	if t == nil {
		return
	}
	ev.TenantID = t.ID
	if err := r.ParseForm(); err != nil {
		s.renderErrorPage(w, r, errMalformedSAML(fmt.Errorf("WS-Federation parameters: %w", err)), ev)
		return
	}
	p := r.Form
	ev.Request = map[string]string{}
	for _, k := range []string{"wa", "wtrealm", "wreply", "wctx", "whr", "wfresh", "wreq", "wct"} {
		if v := p.Get(k); v != "" {
			ev.Request[k] = truncate(v, 8<<10)
			if len(v) > maxParamLen {
				s.renderErrorPage(w, r, errQueryTooLong(), ev)
				return
			}
		}
	}
	switch wa := p.Get("wa"); wa {
	case wsfedSignIn:
		s.wsfedSignIn(w, r, t, ev)
	case wsfedSignOut, wsfedSignOutCleanup:
		ev.Kind = EventWSFedSignOut
		s.wsfedSignOut(w, r, t, ev)
	case "":
		s.renderErrorPage(w, r, ErrMissingParameter.with("wa"), ev)
	default:
		s.renderErrorPage(w, r, ErrMalformedRequest.with(fmt.Sprintf("wa '%s' is not supported", truncate(wa, 64))), ev)
	}
}

// wsfedSignIn checks a wsignin1.0 request (realm, reply URL, wreq) and starts the sign-in.
func (s *Server) wsfedSignIn(w http.ResponseWriter, r *http.Request, t *Tenant, ev *Event) {
	p := r.Form
	realm := p.Get("wtrealm")
	if realm == "" {
		s.renderErrorPage(w, r, ErrMissingParameter.with("wtrealm"), ev)
		return
	}
	app := t.enterpriseAppByIdentifier(realm)
	if app == nil {
		s.renderErrorPage(w, r, errAppNotFound(realm, t.ID), ev)
		return
	}
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	reply := p.Get("wreply")
	switch {
	case reply != "" && !app.SAML.hasReplyURL(reply):
		s.renderErrorPage(w, r, errReplyURLMismatch(reply, app.AppID), ev)
		return
	case reply == "" && len(app.SAML.ReplyURLs) == 0:
		s.renderErrorPage(w, r, errReplyURLMismatch("", app.AppID), ev)
		return
	case reply == "":
		reply = app.SAML.DefaultReplyURL()
	}
	tokenType, err := wsfedRequestedToken(p.Get("wreq"), app)
	if err != nil {
		s.renderErrorPage(w, r, ErrMalformedRequest.with(err.Error()), ev)
		return
	}
	a := &wsfedAuthn{tenant: t, app: app, realm: realm, reply: reply, ctx: p.Get("wctx"), tokenType: tokenType, ev: *ev}
	// wfresh=0 asks for a fresh authentication (WS-Federation §13.2.4); whr (home realm) has
	// no use with a single directory and is only logged.
	force := p.Get("wfresh") == "0"
	f := &pendingFlow{
		tenant: t, appName: app.DisplayName, appID: app.AppID, correlation: ev.CorrelationID,
		resume: flowResume{WSFed: wsfedResumeOf(a)},
	}
	if st, u := s.sessionUser(s.session(r)); force || u == nil || st != t {
		e := a.ev
		e.Status = StatusInterrupted
		s.record(&e)
	}
	s.startSignIn(w, r, f, force)
}

// wsfedRequestedToken is the token type for a sign-in: the one wreq's TokenType names (an
// RST, any WS-Trust namespace), else the app's WSFedTokenType, else SAML 2.0 — what Entra
// sends by default (every real Entra wresult on record wraps a SAML 2.0 assertion).
func wsfedRequestedToken(wreq string, app *EnterpriseApp) (string, error) {
	if wreq != "" {
		var rst struct {
			TokenType string `xml:"TokenType"`
		}
		if err := xml.Unmarshal([]byte(wreq), &rst); err != nil {
			return "", fmt.Errorf("wreq is not a RequestSecurityToken: %v", err)
		}
		if tt := strings.TrimSpace(rst.TokenType); tt != "" {
			kind, ok := wsfedTokenTypes[tt]
			if !ok {
				return "", fmt.Errorf("wreq TokenType '%s' is not supported", truncate(tt, 256))
			}
			return kind, nil
		}
	}
	if app.SAML.WSFedTokenType == WSFedTokenSAML11 {
		return WSFedTokenSAML11, nil
	}
	return WSFedTokenSAML2, nil
}

// sendWSFedResponse checks assignment, then posts wa, wresult and wctx to the reply URL.
func (s *Server) sendWSFedResponse(w http.ResponseWriter, r *http.Request, a *wsfedAuthn, sess *idpSession, u *User) {
	ev := a.ev
	ev.ID, ev.Status = "", ""
	ev.Time = s.clock.Now()
	ev.UserID, ev.UserPrincipalName = u.ID, u.UserPrincipalName
	if !a.tenant.assigned(u, a.app.AssignmentRequired, a.app.Assignments) {
		s.renderErrorPage(w, r, errUserNotAssigned(a.app.DisplayName, a.app.AppID, u.UserPrincipalName), &ev)
		return
	}
	tok, err := s.wsfedToken(r, a, sess, u)
	if err != nil {
		s.renderErrorPage(w, r, asError(err), &ev)
		return
	}
	ev.Fault = tok.fault
	ev.Response = map[string]string{"wreply": a.reply, "wctx": a.ctx, "AssertionID": tok.assertionID,
		"NameID": tok.nameID, "NameIDFormat": tok.nameIDFormat, "TokenType": a.tokenType, "Audience": audienceFor(a.realm)}
	s.record(&ev)
	fields := []formField{{Name: "wa", Value: wsfedSignIn}, {Name: "wresult", Value: string(tok.rstr)}}
	if a.ctx != "" {
		fields = append(fields, formField{Name: "wctx", Value: a.ctx})
	}
	s.renderPostForm(w, a.reply, fields...)
}

// wsfedSignOut ends the session and redirects to wreply when it is a Reply URL or the Logout
// URL of the realm's app (of any enterprise app of the tenant when there is no wtrealm);
// otherwise the browser stays on Entra's signed-out page.
func (s *Server) wsfedSignOut(w http.ResponseWriter, r *http.Request, t *Tenant, ev *Event) {
	reply, realm := r.Form.Get("wreply"), r.Form.Get("wtrealm")
	apps := t.EnterpriseApps
	if realm != "" {
		app := t.enterpriseAppByIdentifier(realm)
		if app == nil {
			s.renderErrorPage(w, r, errAppNotFound(realm, t.ID), ev)
			return
		}
		ev.AppID, ev.AppName = app.AppID, app.DisplayName
		apps = []*EnterpriseApp{app}
	}
	var notices []logoutNotice
	if sess := s.session(r); sess != nil {
		if st, u := s.sessionUser(sess); st != nil && u != nil {
			ev.UserID, ev.UserPrincipalName = u.ID, u.UserPrincipalName
		}
		notices = s.sessionNotices(r, sess, "") // the session's other apps, as SAML SLO does
		s.endSession(w, r, sess)
	}
	redirect := ""
	if reply != "" {
		for _, app := range apps {
			if app.SAML.hasReplyURL(reply) || app.SAML.LogoutURL == reply {
				redirect = reply
				break
			}
		}
		if redirect == "" {
			ev.Detail = "wreply is not a Reply URL or Logout URL of the app; staying on the signed-out page"
		}
	}
	ev.ID, ev.Time, ev.Status = s.rand.guid(), s.clock.Now(), StatusSuccess
	ev.Response = map[string]string{"redirect": redirect}
	s.record(ev)
	w.Header().Set("x-ms-request-id", ev.ID)
	if redirect != "" && len(notices) == 0 {
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
	s.renderSignOut(w, notices, redirect, ev.CorrelationID)
}
