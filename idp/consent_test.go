package idp_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// signInTo opens u and types login / password on the sign-in pages; it returns the first
// answer that is not a sign-in step: a redirect off the IdP or another page.
func signInTo(t *testing.T, c *http.Client, srv *idp.Server, u, login string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if resp.StatusCode == http.StatusFound {
			return resp, ""
		}
		body := oidcRead(t, resp)
		if !strings.Contains(body, `id="login-form"`) && !strings.Contains(body, `name="passwd"`) && !strings.Contains(body, `name="login"`) {
			return resp, body
		}
		action, v := oidcFormOf(t, body)
		if v.Get("step") == "email" {
			v.Set("login", login)
		} else {
			v.Set("passwd", bPassword)
		}
		if resp, err = c.PostForm(srv.URL+action, v); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("sign-in did not finish")
	return nil, ""
}

// post submits an interruption page's form with extra fields and returns the redirect's
// parameters (nil when the answer is not a redirect) and the body.
func post(t *testing.T, c *http.Client, srv *idp.Server, body string, set url.Values) (url.Values, string) {
	t.Helper()
	action, v := oidcFormOf(t, body)
	for k := range set {
		v.Set(k, set.Get(k))
	}
	resp, err := c.PostForm(srv.URL+action, v)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusFound {
		loc, _ := resp.Location()
		resp.Body.Close()
		return loc.Query(), ""
	}
	return nil, oidcRead(t, resp)
}

func authorizeURL(srv *idp.Server, clientID string, extra ...string) string {
	v := url.Values{"client_id": {clientID}, "redirect_uri": {webRedir}, "response_type": {"code"},
		"scope": {"openid profile offline_access"}, "state": {"st"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return srv.URL + "/" + contosoID + "/oauth2/v2.0/authorize?" + v.Encode()
}

// TestConsentPage: an app without admin consent shows Entra's consent page; Cancel answers
// access_denied AADSTS65004, Accept grants the user and sends the code; prompt=none for a
// user without a grant answers AADSTS65001 consent_required.
func TestConsentPage(t *testing.T) {
	srv := startOIDC(t)
	gated := srv.Config().Tenants[0].AppRegistration(gatedAppID)
	gated.AssignmentRequired = false
	c := oidcBrowser(srv)
	_, body := signInTo(t, c, srv, authorizeURL(srv, gatedAppID), bSimon)
	if !strings.Contains(body, "Permissions requested") || !strings.Contains(body, "Contoso Gated") {
		t.Fatalf("want the consent page, got %.500q", body)
	}
	q, _ := post(t, c, srv, body, url.Values{"action": {"cancel"}})
	if q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65004: User declined to consent to access the app.") || q.Get("state") != "st" {
		t.Fatalf("cancel: %v", q)
	}
	_, body = signInTo(t, c, srv, authorizeURL(srv, gatedAppID), bSimon) // SSO: the consent page again
	if q, _ = post(t, c, srv, body, url.Values{"action": {"accept"}}); q.Get("code") == "" {
		t.Fatalf("accept: %v", q)
	}
	if resp, _ := signInTo(t, c, srv, authorizeURL(srv, gatedAppID, "prompt", "none"), bSimon); resp.StatusCode != http.StatusFound {
		t.Fatalf("after the grant, prompt=none: %d", resp.StatusCode)
	} else if loc, _ := resp.Location(); loc.Query().Get("code") == "" {
		t.Fatalf("after the grant, prompt=none: %v", loc)
	}
	// Eve has a session (another app) but no grant: prompt=none cannot show the page.
	c2 := oidcBrowser(srv)
	signInTo(t, c2, srv, authorizeURL(srv, webAppID), "eve@contoso.onmicrosoft.com")
	resp, _ := signInTo(t, c2, srv, authorizeURL(srv, gatedAppID, "prompt", "none"), "eve@contoso.onmicrosoft.com")
	loc, _ := resp.Location()
	if q := loc.Query(); q.Get("error") != "consent_required" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65001: The user or administrator has not consented to use the application with ID '"+gatedAppID+"' named 'Contoso Gated'.") {
		t.Fatalf("prompt=none without consent: %v", q)
	}
}

// TestAdminConsent: /{tenant}/v2.0/adminconsent signs the admin in, shows the consent page
// for the organisation and, on Accept, redirects with admin_consent=True, the tenant, the
// scope and state; every user of the tenant then signs in without a consent page.
func TestAdminConsent(t *testing.T) {
	srv := startOIDC(t)
	srv.Config().Tenants[0].AppRegistration(gatedAppID).AssignmentRequired = false
	c := oidcBrowser(srv)
	u := srv.URL + "/" + contosoID + "/v2.0/adminconsent?" + url.Values{"client_id": {gatedAppID}, "redirect_uri": {webRedir},
		"state": {"12345"}, "scope": {"https://graph.microsoft.com/User.Read"}}.Encode()
	_, body := signInTo(t, c, srv, u, bSimon)
	if !strings.Contains(body, "everyone in your organization") {
		t.Fatalf("want the admin consent page, got %.500q", body)
	}
	q, _ := post(t, c, srv, body, url.Values{"action": {"accept"}})
	if q.Get("admin_consent") != "True" || q.Get("tenant") != contosoID || q.Get("state") != "12345" || q.Get("scope") != "https://graph.microsoft.com/User.Read" {
		t.Fatalf("admin consent redirect: %v", q)
	}
	resp, _ := signInTo(t, oidcBrowser(srv), srv, authorizeURL(srv, gatedAppID), "eve@contoso.onmicrosoft.com")
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("after admin consent, eve: %d %v", resp.StatusCode, loc)
	}
	// A redirect_uri that is not registered is Entra's page, never a redirect.
	bad := srv.URL + "/" + contosoID + "/adminconsent?" + url.Values{"client_id": {gatedAppID}, "redirect_uri": {"https://evil.example/"}}.Encode()
	resp, body = signInTo(t, oidcBrowser(srv), srv, bad, bSimon)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "AADSTS50011") {
		t.Fatalf("bad redirect_uri: %d %.300q", resp.StatusCode, body)
	}
}

// TestConditionalAccessMFA: a policy requiring MFA adds the code prompt; a wrong code is
// refused with Entra's message, MFACode passes, and the v1 access token carries amr pwd, mfa.
// A refresh token of a sign-in without MFA then gets AADSTS50076 with suberror basic_action
// and the capolids claims challenge; a blocking policy gives AADSTS53003.
func TestConditionalAccessMFA(t *testing.T) {
	srv := startOIDC(t)
	tn := srv.Config().Tenants[0]
	c := oidcBrowser(srv)
	// A sign-in before any policy: its refresh token has no MFA.
	resp, _ := signInTo(t, c, srv, authorizeURL(srv, webAppID), bSimon)
	loc, _ := resp.Location()
	plain := redeem(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {webRedir}})
	tn.ConditionalAccessPolicies = []*idp.ConditionalAccessPolicy{{ID: "0a1b2c3d-0000-4000-8000-00000000cafe", DisplayName: "Require MFA",
		Conditions:    idp.CAConditions{Users: idp.CAUsers{IncludeUsers: []string{idp.CAAll}}, Applications: idp.CAApplications{IncludeApplications: []string{webAppID}}},
		GrantControls: idp.CAGrantControls{Operator: "OR", BuiltInControls: []string{idp.CAControlMFA}}}}
	var e map[string]any
	body := redeemRaw(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {plain["refresh_token"].(string)}})
	if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] != "invalid_grant" || e["suberror"] != "basic_action" ||
		e["claims"] != `{"access_token":{"capolids":{"essential":true,"values":["0a1b2c3d-0000-4000-8000-00000000cafe"]}}}` ||
		!strings.HasPrefix(e["error_description"].(string), "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '"+webAppID+"'.") {
		t.Fatalf("refresh without MFA: %s", body)
	}
	// The members in the order of the capture (microsoft-authentication-library-for-js#5491).
	last := -1
	for _, k := range []string{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri", "suberror", "claims"} {
		i := strings.Index(body, `"`+k+`":`)
		if i <= last {
			t.Errorf("member %s out of the capture's order in %s", k, body)
		}
		last = i
	}
	_, page := signInTo(t, oidcBrowser(srv), srv, authorizeURL(srv, webAppID), bSimon)
	c = oidcBrowser(srv)
	_, page = signInTo(t, c, srv, authorizeURL(srv, webAppID), bSimon)
	if !strings.Contains(page, "Enter code") {
		t.Fatalf("want the MFA prompt, got %.400q", page)
	}
	if q, again := post(t, c, srv, page, url.Values{"otc": {"000000"}}); q != nil || !strings.Contains(again, "the expected verification code") {
		t.Fatalf("wrong code: %v %.300q", q, again)
	} else {
		page = again
	}
	q, _ := post(t, c, srv, page, url.Values{"otc": {idp.MFACode}})
	if q.Get("code") == "" {
		t.Fatalf("after MFA: %v", q)
	}
	tok := redeem(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {webRedir}})
	if amr := claim(t, tok["access_token"].(string), "amr"); amr != `["pwd","mfa"]` {
		t.Errorf("amr after MFA: %s", amr)
	}
	if r := redeem(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}); r["access_token"] == nil {
		t.Errorf("refresh after MFA: %v", r)
	}
	tn.ConditionalAccessPolicies[0].GrantControls.BuiltInControls = []string{idp.CAControlBlock}
	resp, _ = signInTo(t, c, srv, authorizeURL(srv, webAppID), bSimon)
	loc, _ = resp.Location()
	if q := loc.Query(); q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.") {
		t.Fatalf("blocked: %v", q)
	}
	body = redeemRaw(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	if !strings.Contains(body, `"error":"interaction_required"`) || !strings.Contains(body, `"suberror":"message_only"`) || !strings.Contains(body, "AADSTS53003") {
		t.Fatalf("refresh blocked: %s", body)
	}
}

// TestConditionFaultLoop: a condition fault stays armed for its browser, and an SP that keeps
// sending the user back meets Entra's loop detection (AADSTS50196) after a few rounds.
func TestConditionFaultLoop(t *testing.T) {
	srv := startOIDC(t)
	af, err := srv.ArmContext("config.ca.blocked")
	if err != nil {
		t.Fatal(err)
	}
	c := oidcBrowser(srv)
	u, _ := url.Parse(srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{af.Cookie()})
	for i := range 6 {
		resp, body := signInTo(t, c, srv, authorizeURL(srv, webAppID), bSimon)
		if i < 4 {
			loc, _ := resp.Location()
			if !strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS53003") {
				t.Fatalf("round %d: %v %.200q", i, loc, body)
			}
			continue
		}
		if !strings.Contains(body, "AADSTS50196") {
			t.Fatalf("round %d: want the loop page, got %d %.300q", i, resp.StatusCode, body)
		}
	}
	_ = idptest.NewBrowser
}

func redeemRaw(t *testing.T, srv *idp.Server, v url.Values) string {
	t.Helper()
	v.Set("client_id", webAppID)
	v.Set("client_secret", webSecret)
	resp, err := srv.Client().PostForm(srv.URL+"/"+contosoID+"/oauth2/v2.0/token", v)
	if err != nil {
		t.Fatal(err)
	}
	return oidcRead(t, resp)
}

func redeem(t *testing.T, srv *idp.Server, v url.Values) map[string]any {
	t.Helper()
	body := redeemRaw(t, srv, v)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || m["access_token"] == nil {
		t.Fatalf("token: %s", body)
	}
	return m
}

// claim is one claim of a JWT's payload, as JSON.
func claim(t *testing.T, jwt, name string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return string(m[name])
}

// TestConditionalAccessSAML: a blocking policy answers a SAML sign-in with Entra's error page
// (AADSTS53003, no Response to the app); an MFA policy adds the code prompt, after which the
// assertion's authnmethodsreferences carries multipleauthn.
func TestConditionalAccessSAML(t *testing.T) {
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	app := tn.EnterpriseApps[0]
	user := tn.Users[0]
	acs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(acs.Close)
	app.SAML.ReplyURLs = []idp.ReplyURL{{URL: acs.URL + "/saml/acs", Default: true}}
	tn.ConditionalAccessPolicies = []*idp.ConditionalAccessPolicy{{ID: "0a1b2c3d-0000-4000-8000-0000000000bb", DisplayName: "Block",
		Conditions:    idp.CAConditions{Users: idp.CAUsers{IncludeUsers: []string{user.UserPrincipalName}}, Applications: idp.CAApplications{IncludeApplications: []string{idp.CAAll}}},
		GrantControls: idp.CAGrantControls{BuiltInControls: []string{idp.CAControlBlock}}}}
	srv := idptest.Start(t, idp.WithConfig(cfg))
	tn, app = srv.Config().Tenants[0], srv.Config().Tenants[0].EnterpriseApps[0]
	b := idptest.NewBrowser(nil)
	p, err := b.SignIn(srv.UserAccessURL(tn, app), user.UserPrincipalName, user.Password)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "AADSTS53003: Access has been blocked by Conditional Access policies.") || b.LastPosted("SAMLResponse") != nil {
		t.Fatalf("blocked: %s", p)
	}
	tn.ConditionalAccessPolicies[0].GrantControls.BuiltInControls = []string{idp.CAControlMFA}
	b = idptest.NewBrowser(nil)
	if _, err = b.SignIn(srv.UserAccessURL(tn, app), user.UserPrincipalName, user.Password); err != nil {
		t.Fatal(err)
	}
	f := b.LastPosted("SAMLResponse")
	if f == nil {
		t.Fatal("no SAMLResponse after MFA")
	}
	x, _ := base64.StdEncoding.DecodeString(f.Fields.Get("SAMLResponse"))
	if !strings.Contains(string(x), "<AttributeValue>"+idp.AuthnMethodPassword+"</AttributeValue><AttributeValue>"+idp.AuthnMethodMFA+"</AttributeValue>") {
		t.Errorf("authnmethodsreferences after MFA: %s", x)
	}
	var sawMFA bool
	for _, pg := range b.Pages {
		sawMFA = sawMFA || strings.Contains(pg.Body, "Enter code")
	}
	if !sawMFA {
		t.Error("no MFA prompt")
	}
}
