package idp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Single sign-out to every app of the session. When the user signs out of one app — a
// SAML LogoutRequest at /{tenant}/saml2 or the OIDC end_session_endpoint — Entra signs
// the user out of every app the browser session signed in to ("a broadcast to all
// participating applications in the principal's context", SAML core §3.7): each other SAML
// app gets a LogoutRequest by HTTP-Redirect with the NameID and SessionIndex it received,
// each OIDC app with a front-channel logout URL has that URL loaded with ?sid= (Entra
// sends sid and, unlike the Front-Channel Logout spec, no iss), and then the initiator gets
// its LogoutResponse or post_logout_redirect_uri. The browser does the calls: the
// signed-out page loads them in hidden iframes and continues to the initiator when they
// have loaded (or after a bound, so that a dead participant cannot hold the user).

// logoutNotice is one sign-out call to another app of the session.
type logoutNotice struct {
	URL      string
	Protocol string // "SAML" or "OIDC"
	AppID    string
	AppName  string
	event    *Event // recorded when the page carrying the call is sent
}

// sessionNotices ends the apps of the session: SAML LogoutRequests to its SAML apps other
// than skipSAML (the initiator, which gets the LogoutResponse) and front-channel calls to
// its OIDC apps, as the session (its sealed cookie) lists them.
func (s *Server) sessionNotices(r *http.Request, sess *idpSession, skipSAML string) []logoutNotice {
	t := s.dir.tenant(sess.TenantID)
	parts := sess.SAML
	var out []logoutNotice
	seen := map[string]bool{skipSAML: true}
	for _, p := range parts {
		if seen["saml:"+p.AppID] || p.AppID == skipSAML || t == nil {
			continue
		}
		seen["saml:"+p.AppID] = true
		app := t.EnterpriseApp(p.AppID)
		if app == nil || app.SAML.LogoutURL == "" {
			continue // Entra can only reach an app whose Logout URL is configured
		}
		n, err := s.samlLogoutNotice(r, t, app, p)
		if err != nil {
			continue
		}
		n.event.UserID = sess.UserID
		out = append(out, n)
	}
	for _, id := range sess.Apps {
		a := s.appRegistrationByID(id)
		if a == nil || a.Web.LogoutURL == "" || seen["oidc:"+a.Web.LogoutURL] {
			continue
		}
		seen["oidc:"+a.Web.LogoutURL] = true
		u := a.Web.LogoutURL + sepFor(a.Web.LogoutURL) + "sid=" + url.QueryEscape(sess.SID)
		ev := &Event{Context: browserContext(r), Protocol: "OIDC", Kind: EventLogoutNotice, Binding: "front-channel",
			TenantID: sess.TenantID, UserID: sess.UserID, AppID: a.AppID, AppName: a.DisplayName, Response: map[string]string{"URL": truncate(u, 1024), "sid": sess.SID}}
		out = append(out, logoutNotice{URL: u, Protocol: "OIDC", AppID: a.AppID, AppName: a.DisplayName, event: ev})
	}
	return out
}

func sepFor(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// samlLogoutNotice is the LogoutRequest to one SAML app of the session, by HTTP-Redirect to
// its Logout URL, signed with the app's signing key (query-string signature, SAML
// bindings §3.4.4.1). Its Issuer is the tenant's entity ID, as on the app's assertions.
func (s *Server) samlLogoutNotice(r *http.Request, t *Tenant, app *EnterpriseApp, p samlParticipant) (logoutNotice, error) {
	id := "_" + s.rand.guid()
	lr := etree.NewElement("samlp:LogoutRequest")
	lr.CreateAttr("xmlns:samlp", nsProtocol)
	lr.CreateAttr("ID", id)
	lr.CreateAttr("Version", "2.0")
	lr.CreateAttr("IssueInstant", s.clock.Now().Format(samlTime))
	lr.CreateAttr("Destination", app.SAML.LogoutURL)
	iss := lr.CreateElement("Issuer")
	iss.CreateAttr("xmlns", nsAssertion)
	iss.SetText(EntityID(t))
	nid := lr.CreateElement("NameID")
	nid.CreateAttr("xmlns", nsAssertion)
	if p.NameIDFormat != "" {
		nid.CreateAttr("Format", p.NameIDFormat)
	}
	nid.SetText(p.NameID)
	if p.SessionIndex != "" {
		lr.CreateElement("samlp:SessionIndex").SetText(p.SessionIndex)
	}
	doc := etree.NewDocument()
	doc.SetRoot(lr)
	target, err := s.signedRedirectURL(app.SAML.LogoutURL, "SAMLRequest", writeXML(doc), s.activeKey(app), app.SAML.Signing.Algorithm)
	if err != nil {
		return logoutNotice{}, err
	}
	ev := &Event{Context: browserContext(r), Protocol: "SAML", Kind: EventLogoutNotice, Binding: BindingRedirect,
		TenantID: t.ID, AppID: app.AppID, AppName: app.DisplayName,
		Response: map[string]string{"ID": id, "Destination": app.SAML.LogoutURL, "Issuer": EntityID(t),
			"NameID": p.NameID, "SessionIndex": p.SessionIndex}}
	return logoutNotice{URL: target, Protocol: "SAML", AppID: app.AppID, AppName: app.DisplayName, event: ev}, nil
}

// signedRedirectURL deflates and encodes a SAML message onto dest as param (SAMLRequest or
// SAMLResponse) and signs the query string with key: RSA-SHA256, or RSA-SHA1 for an app set
// to SHA-1.
func (s *Server) signedRedirectURL(dest, param string, xml []byte, key *SigningKey, algorithm string) (string, error) {
	if key == nil || key.Key == nil {
		return "", fmt.Errorf("no signing key for the %s to %s", param, dest)
	}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = fw.Write(xml)
	_ = fw.Close()
	sigAlg, hash := dsig.RSASHA256SignatureMethod, crypto.SHA256
	if algorithm == AlgorithmSHA1 {
		sigAlg, hash = dsig.RSASHA1SignatureMethod, crypto.SHA1
	}
	signed := param + "=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) + "&SigAlg=" + url.QueryEscape(sigAlg)
	var digest []byte
	if hash == crypto.SHA1 {
		h := sha1.Sum([]byte(signed))
		digest = h[:]
	} else {
		h := sha256.Sum256([]byte(signed))
		digest = h[:]
	}
	sig, err := s.sign(key, hash, digest)
	if err != nil {
		return "", err
	}
	return dest + sepFor(dest) + signed + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// signOutPage is Entra's "You signed out of your account" page: the sign-out calls of the
// session's other apps in hidden iframes, then (when there is one) on to the initiator's
// LogoutResponse or post_logout_redirect_uri once every frame has loaded, or after five
// seconds.
var signOutPage = template.Must(template.New("signout").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign out</title></head>
<body><h1 id="signout-title">You signed out of your account</h1>
<p>It's a good idea to close all browser windows.</p>
{{range .Notices}}<iframe src="{{.URL}}" style="display:none" title="sign-out: {{.AppName}}" data-protocol="{{.Protocol}}" data-app="{{.AppID}}"></iframe>
{{end}}{{if .Redirect}}<p><a id="post-logout" href="{{.Redirect}}">Continue</a></p>
<script>(function(){var t={{.Redirect}},f=document.getElementsByTagName("iframe"),n=f.length,done=false;
function go(){if(!done){done=true;location.replace(t);}}
for(var i=0;i<f.length;i++){f[i].addEventListener("load",function(){if(--n<=0)go();});}
if(n===0)go();setTimeout(go,5000);})();</script>{{end}}
</body></html>`))

// renderSignOut records the notices' events and sends the signed-out page.
func (s *Server) renderSignOut(w http.ResponseWriter, notices []logoutNotice, redirect, corr string) {
	for _, n := range notices {
		n.event.CorrelationID = corr
		s.record(n.event)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(http.StatusOK)
	_ = signOutPage.Execute(w, struct {
		Notices  []logoutNotice
		Redirect string
	}{notices, redirect})
}

// participantLogoutResponse is what the mock reads of a LogoutResponse an app sends back.
type participantLogoutResponse struct {
	XMLName      xml.Name
	ID           string `xml:"ID,attr"`
	InResponseTo string `xml:"InResponseTo,attr"`
	Issuer       string `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Status       struct {
		Code struct {
			Value string `xml:"Value,attr"`
		} `xml:"StatusCode"`
	} `xml:"Status"`
}

// handleParticipantLogoutResponse takes the LogoutResponse an app of the session sends back
// (by HTTP-Redirect, in the signed-out page's iframe) to a LogoutRequest the mock sent it:
// it is logged, and the frame gets an empty page. Entra does not wait for these answers.
func (s *Server) handleParticipantLogoutResponse(w http.ResponseWriter, r *http.Request, raw string, ev *Event) {
	ev.Kind = EventLogoutResponse
	b, err := DecodeSAMLRequest(raw, true)
	if err == nil {
		_, err = parseSAMLRequest(b, &s.roundTrips) // the safety checks of every SAML message
	}
	var m participantLogoutResponse
	if err == nil {
		err = xml.Unmarshal(b, &m)
	}
	if err == nil && (m.XMLName.Space != nsProtocol || m.XMLName.Local != "LogoutResponse") {
		err = fmt.Errorf("root element {%s}%s is not a LogoutResponse", m.XMLName.Space, m.XMLName.Local)
	}
	if err != nil {
		s.renderErrorPage(w, r, errMalformedSAML(err), ev)
		return
	}
	ev.Request = map[string]string{"ID": m.ID, "InResponseTo": m.InResponseTo, "Issuer": m.Issuer, "StatusCode": m.Status.Code.Value}
	if t := s.dir.tenant(ev.TenantID); t != nil {
		if app := t.enterpriseAppByIdentifier(m.Issuer); app != nil {
			ev.AppID, ev.AppName = app.AppID, app.DisplayName
		}
	}
	if m.Status.Code.Value != "urn:oasis:names:tc:SAML:2.0:status:Success" {
		ev.Status, ev.Detail = StatusFailure, "the app answered the LogoutRequest with "+m.Status.Code.Value
	}
	s.record(ev)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
}
