package idp_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The WS-Federation passive endpoint, /{tenant}/wsfed, driven as a browser would: the
// realm is an Identifier of the default directory's SAML app, the reply URL a test RP that
// keeps what the browser posts to it.

const (
	wsfedUser     = "B.Simon@contoso.com"
	wsfedPassword = "Passw0rd!"
	wsfedRealm    = "https://sp.example.test/saml/metadata"
)

// wsfedRP is a relying party's reply URL that records the forms posted to it.
type wsfedRP struct {
	*httptest.Server
	mu    sync.Mutex
	posts []url.Values
}

func (rp *wsfedRP) last(t *testing.T) url.Values {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.posts) == 0 {
		t.Fatal("nothing was posted to the reply URL")
	}
	return rp.posts[len(rp.posts)-1]
}

// wsfedSetup starts the default directory with the RP's /callback as a Reply URL of the
// SAML app (edit may change the config further) and returns the server, the RP and the
// tenant's /wsfed URL.
func wsfedSetup(t *testing.T, edit func(*idp.Config)) (*idp.Server, *wsfedRP, string) {
	t.Helper()
	rp := &wsfedRP{}
	rp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		rp.mu.Lock()
		rp.posts = append(rp.posts, r.PostForm)
		rp.mu.Unlock()
		_, _ = io.WriteString(w, "RP: signed in")
	}))
	t.Cleanup(rp.Close)
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.SAML.ReplyURLs = append(app.SAML.ReplyURLs, idp.ReplyURL{URL: rp.URL + "/callback"})
	if edit != nil {
		edit(cfg)
	}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	return srv, rp, srv.URL + "/" + cfg.Tenants[0].ID + "/wsfed"
}

func wsfedSignInURL(endpoint string, q url.Values) string { return endpoint + "?" + q.Encode() }

// wsfedAssertion parses a wresult and returns its RSTR root and the verified assertion.
func wsfedAssertion(t *testing.T, srv *idp.Server, wresult string) (*etree.Element, *etree.Element) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(wresult); err != nil {
		t.Fatalf("wresult: %v\n%s", err, wresult)
	}
	root := doc.Root()
	if root.Tag != "RequestSecurityTokenResponse" || root.NamespaceURI() != "http://schemas.xmlsoap.org/ws/2005/02/trust" {
		t.Fatalf("wresult root is {%s}%s", root.NamespaceURI(), root.Tag)
	}
	rst := root.FindElement("./RequestedSecurityToken")
	if rst == nil || len(rst.ChildElements()) != 1 {
		t.Fatalf("no single token in RequestedSecurityToken:\n%s", wresult)
	}
	a := rst.ChildElements()[0]
	cert := wsfedCert(t, srv)
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	if a.SelectAttr("AssertionID") != nil {
		ctx.IdAttribute = "AssertionID"
	}
	if _, err := ctx.Validate(a.Copy()); err != nil {
		t.Fatalf("the assertion's signature does not verify with the app's certificate: %v\n%s", err, wresult)
	}
	return root, a
}

func TestWSFedSignInSAML2(t *testing.T) {
	srv, rp, endpoint := wsfedSetup(t, nil)
	b := idptest.NewBrowser(nil)
	start := wsfedSignInURL(endpoint, url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm},
		"wreply": {rp.URL + "/callback"}, "wctx": {"rm=0&id=passive&ru=%2fhome"}, "whr": {"contoso.com"}})
	p, err := b.SignIn(start, wsfedUser, wsfedPassword)
	if err != nil || !strings.Contains(p.Body, "RP: signed in") {
		t.Fatalf("sign-in: %v %v", err, p)
	}
	got := rp.last(t)
	if got.Get("wa") != "wsignin1.0" || got.Get("wctx") != "rm=0&id=passive&ru=%2fhome" {
		t.Errorf("posted wa %q wctx %q", got.Get("wa"), got.Get("wctx"))
	}
	root, a := wsfedAssertion(t, srv, got.Get("wresult"))
	if a.Tag != "Assertion" || a.SelectAttrValue("Version", "") != "2.0" {
		t.Fatalf("token is %s version %q, want a SAML 2.0 Assertion (Entra's default)", a.Tag, a.SelectAttrValue("Version", ""))
	}
	if v := root.FindElement("./TokenType").Text(); !strings.HasSuffix(v, "#SAMLV2.0") {
		t.Errorf("TokenType %q", v)
	}
	if v := a.FindElement("./Conditions/AudienceRestriction/Audience").Text(); v != wsfedRealm {
		t.Errorf("Audience %q, want the realm", v)
	}
	if v := root.FindElement("./AppliesTo/EndpointReference/Address").Text(); v != wsfedRealm {
		t.Errorf("AppliesTo %q, want the realm", v)
	}
	// Lifetime is the Conditions window, as in Entra's wresult.
	c := a.FindElement("./Conditions")
	if root.FindElement("./Lifetime/Created").Text() != c.SelectAttrValue("NotBefore", "") ||
		root.FindElement("./Lifetime/Expires").Text() != c.SelectAttrValue("NotOnOrAfter", "") {
		t.Errorf("Lifetime differs from Conditions")
	}
	if a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData") != nil || a.FindElement("./AuthnStatement[@SessionIndex]") != nil {
		t.Errorf("a WS-Fed assertion has SubjectConfirmationData or a SessionIndex (Entra's has neither)")
	}
	var ev *idp.Event
	for _, e := range srv.Events() {
		if e.Kind == idp.EventWSFedSignIn && e.Status == idp.StatusSuccess {
			ev = &e
		}
	}
	if ev == nil || ev.Protocol != "WS-Federation" || ev.UserPrincipalName != wsfedUser || ev.Response["TokenType"] != idp.WSFedTokenSAML2 {
		t.Errorf("sign-in log: %+v", ev)
	}

	// Single sign-on: a second request in the same browser, by POST, gets a token without
	// the form; wfresh=0 asks for the credentials again.
	p, err = b.Post(endpoint, url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wctx": {"second"}})
	if err != nil || !p.AutoPosts() {
		t.Fatalf("SSO: %v %v", err, p)
	}
	if f, _ := p.Form(""); f.Action != srv.Config().Tenants[0].EnterpriseApps[0].SAML.DefaultReplyURL() || f.Fields.Get("wctx") != "second" {
		t.Errorf("without wreply the form posts to %s (wctx %q), want the default Reply URL", f.Action, f.Fields.Get("wctx"))
	}
	p, err = b.Get(wsfedSignInURL(endpoint, url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wfresh": {"0"}}))
	if _, login := p.Form("email-form"); err != nil || p.AutoPosts() || !login {
		t.Fatalf("wfresh=0: want the sign-in page, got %v %v", err, p)
	}
}

func TestWSFedSignInSAML11(t *testing.T) {
	wreq := `<trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType></trust:RequestSecurityToken>`
	for _, tc := range []struct {
		name string
		q    url.Values
		edit func(*idp.Config)
	}{
		{"wreq", url.Values{"wreq": {wreq}}, nil},
		{"app-setting", url.Values{}, func(c *idp.Config) { c.Tenants[0].EnterpriseApps[0].SAML.WSFedTokenType = idp.WSFedTokenSAML11 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, rp, endpoint := wsfedSetup(t, tc.edit)
			q := tc.q
			q.Set("wa", "wsignin1.0")
			q.Set("wtrealm", wsfedRealm)
			q.Set("wreply", rp.URL+"/callback")
			if p, err := idptest.NewBrowser(nil).SignIn(wsfedSignInURL(endpoint, q), wsfedUser, wsfedPassword); err != nil || !strings.Contains(p.Body, "RP: signed in") {
				t.Fatalf("sign-in: %v %v", err, p)
			}
			root, a := wsfedAssertion(t, srv, rp.last(t).Get("wresult"))
			if a.Space != "saml" || a.NamespaceURI() != "urn:oasis:names:tc:SAML:1.0:assertion" || a.SelectAttrValue("MajorVersion", "") != "1" {
				t.Fatalf("token is {%s}%s, want a SAML 1.1 Assertion", a.NamespaceURI(), a.Tag)
			}
			if v := root.FindElement("./TokenType").Text(); v != "urn:oasis:names:tc:SAML:1.0:assertion" {
				t.Errorf("TokenType %q", v)
			}
			if a.SelectAttrValue("Issuer", "") != "https://sts.windows.net/"+srv.Config().Tenants[0].ID+"/" {
				t.Errorf("Issuer %q", a.SelectAttrValue("Issuer", ""))
			}
			at := a.FindElement("./AttributeStatement/Attribute[@AttributeName='name']")
			if at == nil || at.SelectAttrValue("AttributeNamespace", "") != "http://schemas.xmlsoap.org/ws/2005/05/identity/claims" ||
				at.FindElement("./AttributeValue").Text() != wsfedUser {
				t.Errorf("name claim: %v", at)
			}
			if a.FindElement("./AuthenticationStatement/Subject/NameIdentifier") == nil {
				t.Errorf("no AuthenticationStatement Subject NameIdentifier")
			}
			if ch := a.ChildElements(); ch[len(ch)-1].Tag != "Signature" {
				t.Errorf("the Signature is not the last child of the SAML 1.1 Assertion")
			}
		})
	}
}

// TestWSFedErrors: what Entra answers on its error page, and what it logs.
func TestWSFedErrors(t *testing.T) {
	srv, rp, endpoint := wsfedSetup(t, nil)
	for _, tc := range []struct {
		name string
		q    url.Values
		code int
	}{
		{"unknown-realm", url.Values{"wa": {"wsignin1.0"}, "wtrealm": {"urn:not:registered"}}, 700016},
		{"reply-not-registered", url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wreply": {rp.URL + "/other"}}, 50011},
		{"no-realm", url.Values{"wa": {"wsignin1.0"}}, 900144},
		{"no-wa", url.Values{"wtrealm": {wsfedRealm}}, 900144},
		{"unknown-wa", url.Values{"wa": {"wattr1.0"}, "wtrealm": {wsfedRealm}}, 9002313},
		{"wreq-jwt", url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm},
			"wreq": {`<RequestSecurityToken><TokenType>urn:ietf:params:oauth:token-type:jwt</TokenType></RequestSecurityToken>`}}, 9002313},
		{"wreq-not-xml", url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wreq": {"<a"}}, 9002313},
		{"too-long", url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wctx": {strings.Repeat("x", 9000)}}, 90015},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetEvents()
			resp, err := http.Get(wsfedSignInURL(endpoint, tc.q))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "AADSTS"+strconv.Itoa(tc.code)) {
				t.Fatalf("status %d, want 400 with AADSTS%d:\n%.400s", resp.StatusCode, tc.code, body)
			}
			evs := srv.Events()
			if len(evs) != 1 || evs[0].ErrorCode != tc.code || evs[0].Protocol != "WS-Federation" {
				t.Errorf("events: %+v", evs)
			}
		})
	}
}

func TestWSFedSignOut(t *testing.T) {
	srv, rp, endpoint := wsfedSetup(t, nil)
	b := idptest.NewBrowser(nil)
	start := wsfedSignInURL(endpoint, url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wreply": {rp.URL + "/callback"}})
	if _, err := b.SignIn(start, wsfedUser, wsfedPassword); err != nil {
		t.Fatal(err)
	}
	// A registered wreply: the browser goes there; the session is over.
	p, err := b.Get(wsfedSignInURL(endpoint, url.Values{"wa": {"wsignout1.0"}, "wtrealm": {wsfedRealm}, "wreply": {rp.URL + "/callback"}}))
	if err != nil || p.URL.String() != rp.URL+"/callback" {
		t.Fatalf("sign-out with a registered wreply ended at %v (%v)", p, err)
	}
	if p, err = b.Get(start); err != nil || p.AutoPosts() {
		t.Fatalf("after sign-out the sign-in page is expected, got %v (%v)", p, err)
	}
	// An unregistered wreply: Entra's signed-out page, no redirect.
	p, err = b.Get(wsfedSignInURL(endpoint, url.Values{"wa": {"wsignoutcleanup1.0"}, "wreply": {"https://evil.example/"}}))
	if err != nil || !strings.Contains(p.Body, "You signed out of your account") || len(p.Redirects) != 0 {
		t.Fatalf("sign-out with an unregistered wreply: %v (%v)", p, err)
	}
	n := 0
	for _, e := range srv.Events() {
		if e.Kind == idp.EventWSFedSignOut {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d sign-out events, want 2", n)
	}
}

// wsfedCert is the SAML app's active signing certificate, from the portal's download.
func wsfedCert(t *testing.T, srv *idp.Server) *x509.Certificate {
	t.Helper()
	der := wsfedCertDER(t, srv)
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wsfedCertDER(t *testing.T, srv *idp.Server) []byte {
	t.Helper()
	appID := srv.Config().Tenants[0].EnterpriseApps[0].AppID
	resp, err := http.Get(srv.URL + "/_mockidp/apps/" + appID + "/certificate")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if blk, _ := pem.Decode(b); blk != nil {
		return blk.Bytes
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("certificate download: %v\n%s", err, b)
	}
	return der
}

// TestWSFedFaults: every fault marked WSFed mints into both token types (the token still
// parses, the log names the fault), and a fault that does not apply to WS-Fed tokens is left
// armed for a SAML sign-in instead of being used up.
func TestWSFedFaults(t *testing.T) {
	var ids []idp.FaultID
	for _, f := range idp.Faults() {
		if f.WSFed {
			if f.Protocol != idp.ProtocolSAML {
				t.Errorf("%s is marked WSFed but is not a SAML fault", f.ID)
			}
			ids = append(ids, f.ID)
		}
	}
	if len(ids) < 10 {
		t.Fatalf("only %d faults apply to WS-Fed tokens: %v", len(ids), ids)
	}
	for _, tokenType := range []string{idp.WSFedTokenSAML2, idp.WSFedTokenSAML11} {
		t.Run(tokenType, func(t *testing.T) {
			srv, rp, endpoint := wsfedSetup(t, func(c *idp.Config) { c.Tenants[0].EnterpriseApps[0].SAML.WSFedTokenType = tokenType })
			start := wsfedSignInURL(endpoint, url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm}, "wreply": {rp.URL + "/callback"}})
			b := idptest.NewBrowser(nil)
			if _, err := b.SignIn(start, wsfedUser, wsfedPassword); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if _, err := srv.Arm(idp.Arming{Fault: id, Count: 1}); err != nil {
					t.Fatal(err)
				}
				srv.ResetEvents()
				p, err := b.Get(start)
				if err != nil || !p.AutoPosts() {
					t.Fatalf("%s: %v %v", id, err, p)
				}
				if _, err := b.FollowAutoPost(p); err != nil {
					t.Fatal(err)
				}
				wresult := rp.last(t).Get("wresult")
				doc := etree.NewDocument()
				if err := doc.ReadFromString(wresult); err != nil || doc.FindElement("//RequestedSecurityToken/*") == nil {
					t.Fatalf("%s: wresult %v\n%s", id, err, wresult)
				}
				var ev *idp.Event
				for _, e := range srv.Events() {
					if e.Kind == idp.EventWSFedSignIn && e.Status == idp.StatusSuccess {
						ev = &e
					}
				}
				if ev == nil || ev.Fault == nil || ev.Fault.ID != id {
					t.Errorf("%s: the sign-in event does not record the fault: %+v", id, ev)
				}
				if id == "saml.issuer.wrong" && !strings.Contains(wresult, "72f988bf-86f1-41af-91ab-2d7cd011db47") {
					t.Errorf("saml.issuer.wrong: the token's Issuer is not the other tenant's")
				}
			}
			// A SAML-P-only fault stays armed: WS-Fed sign-ins neither mint nor use it.
			if _, err := srv.Arm(idp.Arming{Fault: "saml.destination.wrong"}); err != nil {
				t.Fatal(err)
			}
			p, err := b.Get(start)
			if err != nil || !p.AutoPosts() {
				t.Fatal(err, p)
			}
			if armed := srv.ArmedFaults(); len(armed) != 1 || armed[0].Used != 0 {
				t.Errorf("a WS-Fed sign-in used a fault that does not apply to it: %+v", armed)
			}
		})
	}
}
