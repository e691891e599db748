package idp

import (
	"errors"
	"net/http"
	"strings"

	"github.com/beevik/etree"
)

// LogoutResponseIssuer is the Issuer Entra puts on LogoutResponses:
// https://login.microsoftonline.com/{tid}/ — not the sts.windows.net entity ID.
func LogoutResponseIssuer(t *Tenant) string {
	return "https://login.microsoftonline.com/" + t.ID + "/"
}

// handleLogoutRequest is SP-initiated SLO by HTTP-Redirect. Entra checks the Issuer against
// the app identifiers and ignores the NameID; it ends the browser's session, signs the user
// out of the session's other apps (slo_fanout.go) and redirects to the app's Logout URL
// with a LogoutResponse.
func (s *Server) handleLogoutRequest(w http.ResponseWriter, r *http.Request, t *Tenant, m *samlRequest, relay string, ev *Event) {
	ev.Request["NameID"] = m.NameID
	ev.Request["SessionIndex"] = strings.Join(m.SessionIndex, " ")
	if m.ID == "" {
		s.renderErrorPage(w, r, errSignoutInvalid(errors.New("LogoutRequest has no ID")), ev)
		return
	}
	app := s.requestApp(w, r, t, m, ev)
	if app == nil {
		return
	}
	if e := s.verifyRequestSignature(r, app, m); e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	var notices []logoutNotice // the session's other apps (slo_fanout.go)
	if sess := s.session(r); sess != nil {
		if _, u := s.sessionUser(sess); u != nil {
			ev.UserID, ev.UserPrincipalName = u.ID, u.UserPrincipalName
		}
		notices = s.sessionNotices(r, sess, app.AppID)
		s.endSession(w, r, sess)
	}
	dest := app.SAML.LogoutURL
	if dest == "" {
		s.record(ev)
		if len(notices) > 0 {
			s.renderSignOut(w, notices, "", ev.CorrelationID)
			return
		}
		s.renderPage(w, http.StatusOK, "signedout.html", nil)
		return
	}
	issuer := app.SAML.LogoutResponseIssuer
	if issuer == "" {
		issuer = LogoutResponseIssuer(t)
	}
	lr := etree.NewElement("samlp:LogoutResponse")
	respID := "_" + s.rand.guid()
	lr.CreateAttr("ID", respID)
	lr.CreateAttr("Version", "2.0")
	lr.CreateAttr("IssueInstant", s.clock.Now().Format(samlTime))
	lr.CreateAttr("Destination", dest)
	lr.CreateAttr("InResponseTo", m.ID)
	lr.CreateAttr("xmlns:samlp", nsProtocol)
	iss := lr.CreateElement("Issuer")
	iss.CreateAttr("xmlns", nsAssertion)
	iss.SetText(issuer)
	lr.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	if app.SAML.SignLogoutResponse {
		if err := s.signAfterIssuer(lr, s.activeKey(app), app.SAML.Signing.Algorithm); err != nil {
			s.renderErrorPage(w, r, asError(err), ev)
			return
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(lr)
	// writeXML, not etree: an InResponseTo with TAB/LF/CR must reach the SP as signed.
	x := writeXML(doc)
	target := redirectBindingURL(dest, x, relay)
	ev.Response = map[string]string{"ID": respID, "Destination": dest, "InResponseTo": m.ID, "Issuer": issuer}
	s.record(ev)
	if len(notices) > 0 {
		s.renderSignOut(w, notices, target, ev.CorrelationID)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}
