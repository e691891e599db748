package idp

import (
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// handleLogout is /{tenant}/oauth2/v2.0/logout (end_session_endpoint). It ends the IdP
// session, signs the user out of every app of the session (front-channel logout URLs, SAML
// LogoutRequests: slo_fanout.go), and redirects to
// post_logout_redirect_uri only when it is a registered redirect URI of the client named by
// client_id or by id_token_hint's aud; otherwise Entra stays on its signed-out page.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventOIDCLogout, Binding: r.Method}
	t, _, ok := s.oidcTenant(r)
	if !ok {
		s.oidcErrorPage(w, r, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	p, e := oauthParams(r)
	if e != nil {
		s.oidcErrorPage(w, r, e, ev)
		return
	}
	post := p.Get("post_logout_redirect_uri")
	ev.Request = map[string]string{"post_logout_redirect_uri": truncate(post, 512), "client_id": truncate(p.Get("client_id"), 128)}
	clientID := p.Get("client_id")
	if clientID == "" {
		clientID = audOfHint(p.Get("id_token_hint"))
	}
	var app *AppRegistration
	if clientID != "" {
		app, _ = s.findClient(t, clientID)
	}
	var notices []logoutNotice // every app of the session (slo_fanout.go)
	if sess := s.session(r); sess != nil {
		st, u := s.sessionUser(sess)
		if st != nil && u != nil {
			ev.TenantID, ev.UserID, ev.UserPrincipalName = st.ID, u.ID, u.UserPrincipalName
		}
		notices = s.sessionNotices(r, sess, "")
		s.endSession(w, r, sess)
	}
	redirect := ""
	if post != "" {
		if app != nil && slices.Contains(app.allRedirectURIs(), post) {
			redirect = post
			if st := p.Get("state"); st != "" {
				sep := "?"
				if strings.Contains(post, "?") {
					sep = "&"
				}
				redirect += sep + "state=" + urlQueryEscape(st)
			}
		} else {
			ev.Detail = "post_logout_redirect_uri is not a registered redirect URI of the client; staying on the signed-out page"
		}
	}
	if app != nil {
		ev.AppID, ev.AppName = app.AppID, app.DisplayName
	}
	s.prepareEvent(ev)
	s.record(ev)
	w.Header().Set("x-ms-request-id", ev.ID)
	if redirect != "" && len(notices) == 0 {
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
	s.renderSignOut(w, notices, redirect, ev.CorrelationID)
}

// audOfHint reads aud from an id_token_hint without verifying it (Entra accepts expired
// hints; only the client matters here).
func audOfHint(hint string) string {
	if hint == "" {
		return ""
	}
	jws, err := jose.ParseSigned(hint, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return ""
	}
	var c struct {
		Aud string `json:"aud"`
	}
	if jsonUnmarshal(jws.UnsafePayloadWithoutVerification(), &c) != nil {
		return ""
	}
	return c.Aud
}
