package idp_test

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/crewjam/saml"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// participant is a Go HTTP server standing in for an app of the session: it records the
// sign-out calls it gets and, for a SAML LogoutRequest, answers with a LogoutResponse back
// to the IdP by HTTP-Redirect.
type participant struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []*url.URL
	idp  string // the IdP's SAML endpoint for LogoutResponses
	self string // the participant's entity ID (Issuer of its LogoutResponse)
}

func newParticipant(t *testing.T) *participant {
	p := &participant{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.got = append(p.got, r.URL)
		p.mu.Unlock()
		if raw := r.URL.Query().Get("SAMLRequest"); raw != "" && p.idp != "" {
			var req saml.LogoutRequest
			_ = xml.Unmarshal(inflate(t, raw), &req)
			resp := fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r%d" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="%s" InResponseTo="%s"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`,
				len(p.got), p.idp, req.ID, p.self)
			http.Redirect(w, r, p.idp+"?SAMLResponse="+url.QueryEscape(deflate(resp)), http.StatusFound)
			return
		}
		fmt.Fprintln(w, "signed out")
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *participant) calls() []*url.URL {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*url.URL(nil), p.got...)
}

func inflate(t *testing.T, b64 string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("SAMLRequest is not deflated: %v", err)
	}
	return b
}

func deflate(s string) string {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = fw.Write([]byte(s))
	_ = fw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// verifyRedirectSig checks the HTTP-Redirect query signature (SAML bindings §3.4.4.1) with
// the app's signing certificate, on the raw query as it arrived.
func verifyRedirectSig(t *testing.T, u *url.URL, pub *rsa.PublicKey) {
	t.Helper()
	raw := map[string]string{}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	if alg, _ := url.QueryUnescape(raw["SigAlg"]); alg != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Fatalf("SigAlg %q, want RSA-SHA256", alg)
	}
	sigText, _ := url.QueryUnescape(raw["Signature"])
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("SAMLRequest=" + raw["SAMLRequest"] + "&SigAlg=" + raw["SigAlg"]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("LogoutRequest signature does not verify with the app's certificate: %v", err)
	}
}

var iframeRE = regexp.MustCompile(`<iframe src="([^"]+)"`)

// loadFrames does what the browser does with the signed-out page's iframes: loads each.
func loadFrames(t *testing.T, b *idptest.Browser, p *idptest.Page) int {
	t.Helper()
	frames := iframeRE.FindAllStringSubmatch(p.Body, -1)
	for _, f := range frames {
		mustPage(t)(b.Get(f[1]))
	}
	return len(frames)
}

// TestSLOToEverySessionParticipant: one browser session signs in to two SAML apps and one
// OIDC app; signing out of one app signs the user out of the others — a signed
// LogoutRequest by Redirect with the NameID and SessionIndex each SAML app got, a
// front-channel call with sid to the OIDC app — and the initiator gets its answer (a
// LogoutResponse with Success that crewjam/saml accepts; post_logout_redirect_uri).
func TestSLOToEverySessionParticipant(t *testing.T) {
	for _, initiator := range []string{"saml", "oidc"} {
		t.Run(initiator, func(t *testing.T) {
			f := newSLOFixture(t, initiator)
			srv, tn, sps, samlParts, oidcPart, oidcApp := f.srv, f.tn, f.sps, f.samlParts, f.oidcPart, f.oidcApp

			b := idptest.NewBrowser(nil)
			mustContain(t, mustPage(t)(b.SignIn(sps[0].URL+"/", "B.Simon@contoso.com", "Passw0rd!")), "signed in as B.Simon")
			mustContain(t, mustPage(t)(b.FollowAutoPost(mustPage(t)(b.Get(sps[1].URL+"/")))), "signed in as B.Simon")
			if p := mustPage(t)(b.Get(f.authorizeURL())); p.URL.Path != "/signin-oidc" {
				t.Fatalf("OIDC sign-in did not reach the RP by SSO: %s", p)
			}

			var signedOut *idptest.Page
			if initiator == "saml" {
				signedOut = mustPage(t)(b.Get(sps[1].URL + "/logout"))
			} else {
				lq := url.Values{"client_id": {oidcApp.AppID}, "post_logout_redirect_uri": {oidcApp.Web.RedirectURIs[0]}}
				signedOut = mustPage(t)(b.Get(srv.URL + "/" + tn.ID + "/oauth2/v2.0/logout?" + lq.Encode()))
			}
			mustContain(t, signedOut, "You signed out of your account")
			wantFrames, notified := 2, 1 // the other SAML app and the OIDC app
			if initiator == "oidc" {
				wantFrames, notified = 3, 2 // both SAML apps and the OIDC app itself
			}
			if n := loadFrames(t, b, signedOut); n != wantFrames {
				t.Fatalf("%d sign-out frames, want %d:\n%s", n, wantFrames, signedOut)
			}

			// Each other SAML app: one signed LogoutRequest with what it got at sign-in.
			var lrIDs []string
			for i, part := range samlParts[:notified] {
				app := tn.EnterpriseApps[i]
				calls := part.calls()
				if len(calls) != 1 {
					t.Fatalf("SAML participant %d got %d calls, want 1", i, len(calls))
				}
				verifyRedirectSig(t, calls[0], srv.AppKeys(app)[0].Cert.PublicKey.(*rsa.PublicKey))
				xmlText := inflate(t, calls[0].Query().Get("SAMLRequest"))
				var lr saml.LogoutRequest
				if err := xml.Unmarshal(xmlText, &lr); err != nil {
					t.Fatal(err)
				}
				got := signInOf(t, srv, app.AppID)
				if lr.Issuer == nil || lr.Issuer.Value != idp.EntityID(tn) || lr.NameID == nil || lr.NameID.Value != got.Response["NameID"] ||
					lr.NameID.Format != got.Response["NameIDFormat"] || lr.SessionIndex == nil || lr.SessionIndex.Value != got.Response["AssertionID"] ||
					lr.Destination != part.srv.URL+"/saml/slo" || lr.ID == "" {
					t.Errorf("LogoutRequest to SAML app %d (signed in with %v): %s", i, got.Response, xmlText)
				}
				lrIDs = append(lrIDs, lr.ID)
			}
			// Each participant's LogoutResponse was taken and logged as its answer.
			answers := eventsOfKind(srv, idp.EventLogoutResponse)
			if len(answers) != notified {
				t.Errorf("%d LogoutResponses logged, want %d: %+v", len(answers), notified, answers)
			}
			for i, ans := range answers {
				if i < len(lrIDs) && (ans.Request["InResponseTo"] != lrIDs[i] || ans.Status != idp.StatusSuccess ||
					ans.Request["StatusCode"] != "urn:oasis:names:tc:SAML:2.0:status:Success" || ans.AppID != tn.EnterpriseApps[i].AppID) {
					t.Errorf("LogoutResponse %d logged as %+v", i, ans)
				}
			}
			// The OIDC app: a front-channel call with the session's sid.
			oc := oidcPart.calls()
			var front []*url.URL
			for _, u := range oc {
				if u.Path == "/signout-oidc" {
					front = append(front, u)
				}
			}
			if len(front) != 1 || front[0].Query().Get("sid") == "" || front[0].Query().Has("iss") {
				t.Errorf("OIDC front-channel calls %v, want one with sid (and, as Entra, no iss)", front)
			}
			// One logout-notice event per participant notified.
			if notices := eventsOfKind(srv, idp.EventLogoutNotice); len(notices) != wantFrames {
				t.Errorf("%d logout-notice events, want %d: %+v", len(notices), wantFrames, notices)
			}

			// Then on to the initiator.
			m := regexp.MustCompile(`<a id="post-logout" href="([^"]+)"`).FindStringSubmatch(signedOut.Body)
			if m == nil {
				t.Fatalf("signed-out page does not continue to the initiator:\n%s", signedOut)
			}
			final := mustPage(t)(b.Get(m[1]))
			if initiator == "saml" {
				// crewjam/saml checks the LogoutResponse (signature, Issuer, InResponseTo, Success).
				mustContain(t, final, "logout ok")
			} else if final.URL.Path != "/signin-oidc" {
				t.Errorf("OIDC initiator ended at %s, want its post_logout_redirect_uri", final.URL)
			}
			// The session is over for every app.
			if _, ok := mustPage(t)(b.Get(sps[0].URL + "/")).Form("email-form"); !ok {
				t.Error("the IdP session survived the sign-out")
			}
		})
	}
}

// signInOf is the successful SAML sign-in of an app in the log (what the app got).
func signInOf(t *testing.T, srv *idp.Server, appID string) idp.Event {
	t.Helper()
	for _, e := range eventsOfKind(srv, idp.EventAuthnRequest) {
		if e.AppID == appID && e.Status == idp.StatusSuccess && e.Response["NameID"] != "" {
			return e
		}
	}
	t.Fatalf("no sign-in of app %s in the log", appID)
	return idp.Event{}
}

// sloFixture is one browser session's apps: two crewjam SAML SPs (sps), Go servers
// standing in for SAML app 0 (samlParts[0]), for SAML app 1 when the OIDC app initiates
// (samlParts[1]), and for the OIDC app's RP (oidcPart).
type sloFixture struct {
	srv       *idp.Server
	tn        *idp.Tenant
	sps       []*testSP
	samlParts []*participant
	oidcPart  *participant
	oidcApp   *idp.AppRegistration
}

// newSLOFixture configures the mock for the session: SAML app 0 and the OIDC app are
// participants (Go servers that record what they get); SAML app 1 is the crewjam SP, and
// the initiator when initiator is "saml" (the last SAML app signed in to: the two SPs share
// the host, hence the cookie).
func newSLOFixture(t *testing.T, initiator string) *sloFixture {
	f := &sloFixture{samlParts: []*participant{newParticipant(t), newParticipant(t)}, oidcPart: newParticipant(t)}
	f.sps = startSAMLPairs(t, 2, spSetup{idpConfig: func(cfg *idp.Config, _ string) {
		tn := cfg.Tenants[0]
		for _, a := range tn.EnterpriseApps {
			a.AssignmentRequired = false
		}
		// The initiator's SP (crewjam) wants a signed LogoutResponse from the entity ID.
		tn.EnterpriseApps[1].SAML.SignLogoutResponse = true
		tn.EnterpriseApps[1].SAML.LogoutResponseIssuer = idp.EntityID(tn)
		tn.EnterpriseApps[0].SAML.LogoutURL = f.samlParts[0].srv.URL + "/saml/slo"
		if initiator == "oidc" {
			tn.EnterpriseApps[1].SAML.LogoutURL = f.samlParts[1].srv.URL + "/saml/slo"
		}
		f.oidcApp = tn.AppRegistrations[0]
		f.oidcApp.Web.RedirectURIs = []string{f.oidcPart.srv.URL + "/signin-oidc"}
		f.oidcApp.Web.LogoutURL = f.oidcPart.srv.URL + "/signout-oidc"
	}})
	f.srv = f.sps[0].IdP
	f.tn = f.srv.Config().Tenants[0]
	for i, p := range f.samlParts {
		p.idp, p.self = f.srv.LoginURL(f.tn), f.tn.EnterpriseApps[i].SAML.Identifiers[0].Value
	}
	return f
}

// authorizeURL is the OIDC app's authorization request.
func (f *sloFixture) authorizeURL() string {
	q := url.Values{"client_id": {f.oidcApp.AppID}, "response_type": {"code"}, "redirect_uri": {f.oidcApp.Web.RedirectURIs[0]},
		"scope": {"openid"}, "state": {"st"}, "nonce": {"n"}}
	return f.srv.URL + "/" + f.tn.ID + "/oauth2/v2.0/authorize?" + q.Encode()
}
