package idp_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestSignInFlowBoundToBrowser: the sign-in page's posts are good only from the browser the
// page was shown in (its flow cookie). A cookie-less post of a flow's ctx with another
// user's credentials from a foreign Origin (login CSRF), or a post from a second browser, is
// Entra's AADSTS90100 page and signs nobody in; the browser that opened the page signs in.
func TestSignInFlowBoundToBrowser(t *testing.T) {
	srv := idptest.Start(t)
	tenant := srv.Config().Tenants[0]
	start := srv.UserAccessURL(tenant, tenant.EnterpriseApps[0])
	owner := idptest.NewBrowser(nil)
	page := mustPage(t)(owner.Get(start))
	email, ok := page.Form("email-form")
	if !ok {
		t.Fatalf("no sign-in page:\n%s", page)
	}
	ctx := email.Fields.Get("ctx")
	creds := url.Values{"ctx": {ctx}, "step": {"password"}, "login": {"AlexW@contoso.com"}, "passwd": {"Passw0rd!"}}

	refused := func(name string, c *http.Client, cookie string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, email.Action, strings.NewReader(creds.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://attacker.example")
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "AADSTS90100") ||
			!strings.Contains(string(body), "flowtoken parameter is empty or not valid.") {
			t.Errorf("%s: status %d, want Entra's AADSTS90100 page:\n%.600s", name, resp.StatusCode, body)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "ESTSAUTH" && c.Value != "" {
				t.Errorf("%s: a session was set: %v", name, c)
			}
		}
		if strings.Contains(string(body), "SAMLResponse") {
			t.Errorf("%s: a SAML response was issued", name)
		}
	}
	refused("no cookie", http.DefaultClient, "")
	refused("a forged cookie", http.DefaultClient, "esctx=AAAAAAAAAAAAAAAAAAAAAAAAAA")
	other := idptest.NewBrowser(nil)
	mustPage(t)(other.Get(start)) // the second browser gets a flow cookie of its own
	u, _ := url.Parse(email.Action)
	var otherCookie string
	for _, c := range other.Client.Jar.Cookies(u) {
		if c.Name == "esctx" {
			otherCookie = c.Name + "=" + c.Value
		}
	}
	if otherCookie == "" {
		t.Fatal("the sign-in page set no esctx cookie")
	}
	refused("another browser's cookie", http.DefaultClient, otherCookie)

	var found bool
	for _, ev := range srv.Events() {
		if ev.ErrorCode == idp.ErrFlowTokenInvalid.Code {
			found = true
			if ev.UserID != "" || !strings.Contains(ev.Detail, "attacker.example") {
				t.Errorf("refused post's event: user %q, detail %q", ev.UserID, ev.Detail)
			}
		}
	}
	if !found {
		t.Error("no AADSTS90100 event in the sign-in log")
	}

	// The owner's browser, with its cookie, still signs in with the same flow.
	p := mustPage(t)(owner.Submit(page, "email-form", map[string]string{"login": "B.Simon@contoso.com"}))
	p = mustPage(t)(owner.Submit(p, "password-form", map[string]string{"passwd": "Passw0rd!"}))
	if f, ok := p.Form(""); !ok || f.Fields.Get("SAMLResponse") == "" {
		t.Fatalf("the browser that opened the page did not sign in:\n%s", p)
	}
}
