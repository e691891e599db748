package idp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// Replicas: two servers built from one config, one key directory and one store behave as one
// mock IdP. Every request of these sign-ins to the IdP's public URL goes to the other replica
// than the one before (A, B, A, B, …), as behind a round-robin load balancer without
// stickiness: the sign-in page's ctx, the consent and MFA pages' ctx and the ESTSAUTH session
// are sealed values any replica opens; sign-out is a store marker both see.

// alternating is a RoundTripper that sends each request for the IdP's public host to the
// next replica in turn (the Host header stays the public one) and every other request
// direct, except the hosts stubbed as an RP that only shows what reached it.
type alternating struct {
	public   string   // host:port of the public URL
	replicas []string // host:port of each replica's listener
	stub     map[string]bool
	base     http.RoundTripper

	mu     sync.Mutex
	next   int
	served []int // the replica of each IdP request, in order
}

func (a *alternating) RoundTrip(req *http.Request) (*http.Response, error) {
	if a.stub[req.URL.Host] {
		body := "RP reached: " + req.URL.String()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req}, nil
	}
	if req.URL.Host != a.public {
		return a.base.RoundTrip(req)
	}
	a.mu.Lock()
	i := a.next
	a.next = (a.next + 1) % len(a.replicas)
	a.served = append(a.served, i)
	a.mu.Unlock()
	r2 := req.Clone(req.Context())
	r2.URL.Host, r2.Host = a.replicas[i], a.public
	return a.base.RoundTrip(r2)
}

// mark is where the served list is now; since returns which replicas served after it.
func (a *alternating) mark() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.served) }

func (a *alternating) since(n int) []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int(nil), a.served[n:]...)
}

// replicaPair is two replicas A and B of one mock IdP and a browser whose IdP requests
// alternate between them.
type replicaPair struct {
	a, b *idp.Server
	tr   *alternating
}

// startReplicas starts A and B from cfg with one key directory (A makes the keys, B loads
// them) and one store. A's listener address is the public URL both serve.
func startReplicas(t *testing.T, cfg *idp.Config, stubHosts ...string) *replicaPair {
	t.Helper()
	cfg.KeyDir = t.TempDir()
	store := idp.NewMemoryStore(nil)
	a, err := idp.NewUnstartedServer(idp.WithConfig(cfg), idp.WithStore(store), idp.WithKeyGenerator(idptest.PooledKeys()))
	if err != nil {
		t.Fatal(err)
	}
	a.Start()
	t.Cleanup(a.Close)
	cfg.PublicURL = a.URL
	b, err := idp.NewUnstartedServer(idp.WithConfig(cfg), idp.WithStore(store), idp.WithKeyGenerator(idptest.PooledKeys()))
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(b.Close)
	if b.URL != a.URL {
		t.Fatalf("B serves %s, want A's public URL %s", b.URL, a.URL)
	}
	tr := &alternating{public: a.Listener.Addr().String(), replicas: []string{a.Listener.Addr().String(), b.Listener.Addr().String()},
		stub: map[string]bool{}, base: http.DefaultTransport.(*http.Transport).Clone()}
	for _, h := range stubHosts {
		tr.stub[h] = true
	}
	return &replicaPair{a: a, b: b, tr: tr}
}

func (p *replicaPair) browser() *idptest.Browser {
	return idptest.NewBrowser(&http.Client{Transport: p.tr})
}

// events is the sign-in log of both replicas (each logs what it served) of kind.
func (p *replicaPair) events(kind idp.EventKind) []idp.Event {
	var out []idp.Event
	for _, s := range []*idp.Server{p.a, p.b} {
		for _, e := range s.Events() {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
	}
	return out
}

// requireBoth fails unless both replicas served requests since mark.
func (p *replicaPair) requireBoth(t *testing.T, what string, mark int) {
	t.Helper()
	served := p.tr.since(mark)
	var n [2]int
	for _, i := range served {
		n[i]++
	}
	if n[0] == 0 || n[1] == 0 {
		t.Fatalf("%s: replicas served %v, want both", what, served)
	}
}

// startReplicaSAML starts two crewjam SPs, each an enterprise app of the replicas' tenant
// (assignment not required, so that both apps sign B.Simon in), with edit applied to the
// config.
func startReplicaSAML(t *testing.T, edit func(*idp.Config)) (*replicaPair, []*testSP) {
	t.Helper()
	cfg := idp.DefaultConfig()
	tmpl := *cfg.Tenants[0].EnterpriseApps[0]
	cfg.Tenants[0].EnterpriseApps = nil
	var listeners []*httptest.Server
	var urls []string
	for i := range 2 {
		spSrv := httptest.NewUnstartedServer(nil)
		spURL := "http://" + spSrv.Listener.Addr().String()
		listeners, urls = append(listeners, spSrv), append(urls, spURL)
		app := tmpl
		app.AppID = fmt.Sprintf("9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c%d", i)
		app.DisplayName = fmt.Sprintf("%s %d", tmpl.DisplayName, i)
		app.AssignmentRequired = false
		app.SAML.Identifiers = []idp.Identifier{{Value: spURL + "/saml/metadata"}}
		app.SAML.ReplyURLs = []idp.ReplyURL{{URL: spURL + "/saml/acs"}}
		app.SAML.SignOnURL = spURL + "/"
		app.SAML.LogoutURL = spURL + "/saml/slo"
		// crewjam takes only a signed LogoutResponse from the metadata's entity ID.
		app.SAML.SignLogoutResponse, app.SAML.LogoutResponseIssuer = true, idp.EntityID(cfg.Tenants[0])
		cfg.Tenants[0].EnterpriseApps = append(cfg.Tenants[0].EnterpriseApps, &app)
	}
	if edit != nil {
		edit(cfg)
	}
	p := startReplicas(t, cfg)
	var sps []*testSP
	for i := range 2 {
		sps = append(sps, newTestSP(t, p.a, p.a.Config().Tenants[0].EnterpriseApps[i], listeners[i], urls[i], spSetup{}))
	}
	return p, sps
}

// TestReplicaSAMLSignInSSOAndSLO: an SP-initiated SAML sign-in (the crewjam SP verifies the
// Response), single sign-on to a second app without credentials, and SP-initiated single
// sign-out that signs the other app out too, each with requests alternating between the
// replicas; then the signed-out session's old cookie, replayed, signs in on neither.
func TestReplicaSAMLSignInSSOAndSLO(t *testing.T) {
	p, sps := startReplicaSAML(t, nil)
	b := p.browser()

	m := p.tr.mark()
	pg := mustPage(t)(b.SignIn(sps[0].URL+"/", "B.Simon@contoso.com", "Passw0rd!"))
	mustContain(t, pg, "signed in as B.Simon@contoso.com")
	p.requireBoth(t, "SAML sign-in", m)
	if n := len(p.events("credentials")); n != 1 {
		t.Fatalf("%d credentials events, want 1 (the password step)", n)
	}

	m = p.tr.mark()
	pg = mustPage(t)(b.FollowAutoPost(mustPage(t)(b.Get(sps[1].URL + "/"))))
	mustContain(t, pg, "signed in as B.Simon@contoso.com")
	if pg.URL.String() != sps[1].URL+"/" {
		t.Fatalf("single sign-on ended at %s, want the second SP", pg.URL)
	}
	if n := len(p.events("credentials")); n != 1 {
		t.Fatalf("single sign-on asked for credentials again (%d credentials events)", n)
	}
	// The session was made by the replica that took the password post; single sign-on is
	// the other's.
	if all, sso := p.tr.since(0), p.tr.since(m); len(sso) != 1 || sso[0] == all[m-1] {
		t.Fatalf("single sign-on served by %v after the sign-in's last request on %d, want the other replica", sso, all[m-1])
	}
	idpURL, _ := url.Parse(p.a.URL)
	var old string
	for _, c := range b.Client.Jar.Cookies(idpURL) {
		if c.Name == "ESTSAUTH" {
			old = c.Value
		}
	}
	if old == "" {
		t.Fatal("no ESTSAUTH cookie after sign-in")
	}

	// Single sign-out from the first app: the IdP (whichever replica) knows from the
	// session cookie that the second app takes part too.
	m = p.tr.mark()
	// (Both SPs are on 127.0.0.1 and share the crewjam session cookie, so the first asks the
	// IdP again first: single sign-on, then its LogoutRequest.)
	pg = mustPage(t)(b.FollowAutoPost(mustPage(t)(b.Get(sps[0].URL + "/logout"))))
	mustContain(t, pg, "You signed out of your account", sps[1].URL+"/saml/slo?SAMLRequest=")
	link := regexp.MustCompile(`id="post-logout" href="([^"]+)"`).FindStringSubmatch(pg.Body)
	cont := ""
	if link != nil {
		cont = link[1]
	}
	if !strings.HasPrefix(cont, sps[0].URL+"/saml/slo?") || !strings.Contains(cont, "SAMLResponse=") {
		t.Fatalf("the signed-out page does not continue to the first SP's LogoutResponse (%q):\n%s", cont, pg)
	}
	mustContain(t, mustPage(t)(b.Get(cont)), "logout ok") // crewjam verifies the LogoutResponse
	if n := len(p.events("logout-notice")); n != 1 {
		t.Fatalf("%d logout notices, want 1 (the second app)", n)
	}

	// The old cookie, put back, is a signed-out session on both replicas: the sign-in page.
	for range 2 {
		_ = b.SetCookie(p.a.URL, &http.Cookie{Name: "ESTSAUTH", Value: old, Path: "/"})
		pg = mustPage(t)(b.Get(sps[1].URL + "/"))
		if _, ok := pg.Form("email-form"); !ok {
			t.Fatalf("a replayed signed-out session cookie signed in:\n%s", pg)
		}
	}
	p.requireBoth(t, "sign-out and replay", m)
}

// TestReplicaSAMLMFA: a Conditional Access policy requires MFA; the code prompt's answer goes
// to the other replica than the page, and the second app's sign-in (SSO) is not asked again:
// the session cookie carries the passed MFA.
func TestReplicaSAMLMFA(t *testing.T) {
	p, sps := startReplicaSAML(t, func(cfg *idp.Config) {
		cfg.Tenants[0].ConditionalAccessPolicies = []*idp.ConditionalAccessPolicy{{DisplayName: "MFA for all",
			Conditions:    idp.CAConditions{Users: idp.CAUsers{IncludeUsers: []string{idp.CAAll}}, Applications: idp.CAApplications{IncludeApplications: []string{idp.CAAll}}},
			GrantControls: idp.CAGrantControls{BuiltInControls: []string{idp.CAControlMFA}}}}
	})
	b := p.browser()
	m := p.tr.mark()
	pg := mustPage(t)(b.SignIn(sps[0].URL+"/", "B.Simon@contoso.com", "Passw0rd!"))
	mustContain(t, pg, "signed in as B.Simon@contoso.com", idp.AuthnMethodMFA)
	if !shownPage(b, "mfa-form") {
		t.Fatal("no MFA prompt was shown")
	}
	p.requireBoth(t, "SAML sign-in with MFA", m)
	b.Pages = nil
	pg = mustPage(t)(b.SignIn(sps[1].URL+"/", "B.Simon@contoso.com", "Passw0rd!"))
	mustContain(t, pg, "signed in as B.Simon@contoso.com", idp.AuthnMethodMFA)
	if shownPage(b, "mfa-form") || shownPage(b, "email-form") {
		t.Fatal("single sign-on after MFA asked again")
	}
}

// shownPage reports whether the browser was shown a page with form id.
func shownPage(b *idptest.Browser, id string) bool {
	for _, pg := range b.Pages {
		if _, ok := pg.Form(id); ok {
			return true
		}
	}
	return false
}

// TestReplicaOIDCCodeAndConsent: an authorization code flow up to the redirect with the code,
// for an app without admin consent, so that the consent page (Accept) comes between the
// credentials and the code. Token redemption across replicas is the authorization code's
// own state (sealed codes), not tested here.
func TestReplicaOIDCCodeAndConsent(t *testing.T) {
	cfg := idp.DefaultConfig()
	no := false
	reg := cfg.Tenants[0].AppRegistrations[0]
	reg.AdminConsentGranted = &no
	reg.Web.LogoutURL = "http://localhost:8080/signout-oidc"
	p := startReplicas(t, cfg, "localhost:8080")
	tn := p.a.Config().Tenants[0]
	redirect := "http://localhost:8080/signin-oidc"
	authorize := p.a.URL + "/" + tn.ID + "/oauth2/v2.0/authorize?" + url.Values{"client_id": {reg.AppID}, "redirect_uri": {redirect},
		"response_type": {"code"}, "scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}}.Encode()
	b := p.browser()
	m := p.tr.mark()
	pg := mustPage(t)(b.SignIn(authorize, "B.Simon@contoso.com", "Passw0rd!"))
	if !shownPage(b, "consent-form") {
		t.Fatal("no consent page was shown")
	}
	q := pg.URL.Query()
	if !strings.HasPrefix(pg.URL.String(), redirect+"?") || q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("the flow did not end at the redirect URI with a code: %s\n%s", pg.URL, pg.Body)
	}
	p.requireBoth(t, "OIDC sign-in with consent", m)
	var ok bool
	for _, e := range p.events("authorize") {
		ok = ok || (e.Status == idp.StatusSuccess && e.UserPrincipalName == "B.Simon@contoso.com")
	}
	if !ok {
		t.Fatalf("no successful authorize event on either replica")
	}

	// A second authorization in the same browser: single sign-on, no sign-in page. (The
	// user's consent from Accept is a run-time grant; until grants are in the shared store,
	// the replica that did not take the Accept asks again, which Continue answers.)
	b.Pages = nil
	pg = mustPage(t)(b.Continue(mustPage(t)(b.Get(strings.Replace(authorize, "st-1", "st-2", 1))), "", ""))
	if q := pg.URL.Query(); q.Get("code") == "" || q.Get("state") != "st-2" || shownPage(b, "email-form") {
		t.Fatalf("single sign-on did not return a code: %s\n%s", pg.URL, pg.Body)
	}

	// prompt=select_account: the picker shows the session's account (on whichever replica);
	// choosing it continues with single sign-on.
	pg = mustPage(t)(b.Get(strings.Replace(authorize, "st-1", "st-3", 1) + "&prompt=select_account"))
	mustContain(t, pg, "Pick an account", "B.Simon@contoso.com")
	link := regexp.MustCompile(`id="account-0" data-upn="[^"]*" href="([^"]+)"`).FindStringSubmatch(pg.Body)
	if link == nil {
		t.Fatalf("no account link on the picker:\n%s", pg.Body)
	}
	pg = mustPage(t)(b.Continue(mustPage(t)(b.Get(link[1])), "", ""))
	if q := pg.URL.Query(); q.Get("code") == "" || q.Get("state") != "st-3" {
		t.Fatalf("the picked account did not get a code: %s\n%s", pg.URL, pg.Body)
	}

	// Sign-out (end_session_endpoint): the session cookie lists the app, so whichever
	// replica answers calls its front-channel logout URL with the session's sid.
	pg = mustPage(t)(b.Get(p.a.URL + "/" + tn.ID + "/oauth2/v2.0/logout"))
	mustContain(t, pg, "You signed out of your account", "http://localhost:8080/signout-oidc?sid=")
}

// TestReplicaWSFed: a WS-Federation sign-in whose wresult the RP receives, signed with the
// app's certificate, with requests alternating between the replicas.
func TestReplicaWSFed(t *testing.T) {
	cfg := idp.DefaultConfig()
	app := cfg.Tenants[0].EnterpriseApps[0]
	app.SAML.ReplyURLs = append(app.SAML.ReplyURLs, idp.ReplyURL{URL: "http://rp.replica.test/callback"})
	p := startReplicas(t, cfg, "rp.replica.test")
	b := p.browser()
	start := p.a.URL + "/" + cfg.Tenants[0].ID + "/wsfed?" + url.Values{"wa": {"wsignin1.0"}, "wtrealm": {wsfedRealm},
		"wreply": {"http://rp.replica.test/callback"}, "wctx": {"rm=0&id=passive"}}.Encode()
	m := p.tr.mark()
	pg := mustPage(t)(b.SignIn(start, wsfedUser, wsfedPassword))
	mustContain(t, pg, "RP reached: http://rp.replica.test/callback")
	p.requireBoth(t, "WS-Fed sign-in", m)
	f := b.LastPosted("wresult")
	if f == nil || f.Fields.Get("wctx") != "rm=0&id=passive" {
		t.Fatalf("no wresult with the wctx was posted: %+v", f)
	}
	_, a := wsfedAssertion(t, p.b, f.Fields.Get("wresult")) // verifies the signature
	if !strings.Contains(a.FindElement(".//NameID").Text(), "B.Simon") {
		t.Fatalf("assertion NameID %q", a.FindElement(".//NameID").Text())
	}
}

// TestReplicaUnknownFlow: a ctx that no replica sealed, or one altered, gets the expired-flow
// page (AADSTS50089) as an unknown flow always did.
func TestReplicaUnknownFlow(t *testing.T) {
	p, sps := startReplicaSAML(t, nil)
	b := p.browser()
	pg := mustPage(t)(b.Get(sps[0].URL + "/"))
	f, ok := pg.Form("email-form")
	if !ok {
		t.Fatalf("no sign-in page:\n%s", pg)
	}
	ctx := f.Fields.Get("ctx")
	for _, bad := range []string{"0123456789abcdef0123456789abcdef", ctx[:len(ctx)-4] + "AAAA", ""} {
		pg = mustPage(t)(b.Post(f.Action, url.Values{"ctx": {bad}, "login": {"B.Simon@contoso.com"}, "step": {"email"}}))
		if !strings.Contains(pg.Body, "AADSTS50089") {
			t.Fatalf("ctx %q: want AADSTS50089:\n%s", bad, pg)
		}
	}
}

// TestReplicaAdminConsent: /adminconsent's sign-in and its consent page (Accept), the
// requests alternating between the replicas, end at the redirect URI with admin_consent=True.
func TestReplicaAdminConsent(t *testing.T) {
	cfg := idp.DefaultConfig()
	reg := cfg.Tenants[0].AppRegistrations[0]
	p := startReplicas(t, cfg, "localhost:8080")
	tn := p.a.Config().Tenants[0]
	b := p.browser()
	m := p.tr.mark()
	pg := mustPage(t)(b.SignIn(p.a.URL+"/"+tn.ID+"/v2.0/adminconsent?"+url.Values{"client_id": {reg.AppID},
		"redirect_uri": {reg.Web.RedirectURIs[0]}, "state": {"ac-1"}, "scope": {"https://graph.microsoft.com/.default"}}.Encode(),
		"B.Simon@contoso.com", "Passw0rd!"))
	q := pg.URL.Query()
	if !shownPage(b, "consent-form") || q.Get("admin_consent") != "True" || q.Get("tenant") != tn.ID || q.Get("state") != "ac-1" {
		t.Fatalf("admin consent did not end at the redirect URI with admin_consent=True: %s\n%s", pg.URL, pg.Body)
	}
	p.requireBoth(t, "admin consent", m)
}
