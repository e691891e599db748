package idp_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// Test directory: contoso (home) and fabrikam (a second tenant for multi-tenant flows).
const (
	contosoID  = "11111111-1111-4111-8111-111111111111"
	fabrikamID = "22222222-2222-4222-8222-222222222222"
	webAppID   = "aaaaaaaa-0000-4000-8000-000000000001"
	spaAppID   = "aaaaaaaa-0000-4000-8000-000000000002"
	multiAppID = "aaaaaaaa-0000-4000-8000-000000000003"
	gatedAppID = "aaaaaaaa-0000-4000-8000-000000000004"
	webSecret  = "Wq8Q~mock.secret-value_0123456789abcdef"
	oldSecret  = "Xr1Q~expired.secret-value_0123456789abc"
	webRedir   = "https://rp.example.test/signin-oidc"
	spaRedir   = "https://spa.example.test/"
	spaOrigin  = "https://spa.example.test"
	bSimon     = "B.Simon@contoso.onmicrosoft.com"
	bPassword  = "Passw0rd!"
	fabUser    = "alex@fabrikam.onmicrosoft.com"
)

func oidcTestConfig() *idp.Config {
	no := false
	return &idp.Config{Tenants: []*idp.Tenant{
		{
			ID: contosoID, DisplayName: "Contoso", VerifiedDomains: []string{"contoso.onmicrosoft.com", "contoso.example"},
			Groups: []*idp.Group{{ID: "33333333-3333-4333-8333-333333333333", DisplayName: "Sales"}},
			Users: []*idp.User{
				{ID: "44444444-4444-4444-8444-444444444444", UserPrincipalName: bSimon, Mail: "b.simon@contoso.example",
					GivenName: "B", Surname: "Simon", Password: bPassword, MemberOf: []string{"Sales"}},
				{ID: "55555555-5555-4555-8555-555555555555", UserPrincipalName: "eve@contoso.onmicrosoft.com", DisplayName: "Eve", Password: bPassword},
			},
			AppRegistrations: []*idp.AppRegistration{
				{
					AppID: webAppID, DisplayName: "Contoso Web",
					Web: idp.WebPlatform{RedirectURIs: []string{webRedir}, LogoutURL: "https://rp.example.test/signout-oidc",
						ImplicitGrantSettings: idp.ImplicitGrantSettings{EnableIDTokenIssuance: true}},
					PasswordCredentials: []*idp.PasswordCredential{
						{KeyID: "66666666-6666-4666-8666-666666666666", DisplayName: "current", SecretText: webSecret},
						{KeyID: "77777777-7777-4777-8777-777777777777", DisplayName: "old", SecretText: oldSecret,
							StartDateTime: idp.In(-400 * 24 * time.Hour), EndDateTime: idp.In(-24 * time.Hour)},
					},
					GroupMembershipClaims: "SecurityGroup",
					OptionalClaims:        idp.OptionalClaims{IDToken: []idp.OptionalClaim{{Name: "email"}}},
					AppRoles:              []idp.AppRole{{ID: "88888888-8888-4888-8888-888888888888", Value: "Admin", AllowedMemberTypes: []string{"User"}}},
					AppRoleAssignments:    []idp.AppRoleAssignment{{Principal: "Sales", Role: "Admin"}},
				},
				{AppID: spaAppID, DisplayName: "Contoso SPA", SPA: idp.RedirectPlatform{RedirectURIs: []string{spaRedir}}},
				{
					AppID: multiAppID, DisplayName: "Contoso Multi", SignInAudience: idp.AudienceMultipleOrgs,
					Web:                 idp.WebPlatform{RedirectURIs: []string{webRedir}},
					PasswordCredentials: []*idp.PasswordCredential{{SecretText: webSecret}},
				},
				{
					AppID: gatedAppID, DisplayName: "Contoso Gated", AssignmentRequired: true, Assignments: []string{bSimon},
					Web:                 idp.WebPlatform{RedirectURIs: []string{webRedir}},
					PasswordCredentials: []*idp.PasswordCredential{{SecretText: webSecret}},
					AdminConsentGranted: &no,
				},
			},
		},
		{
			ID: fabrikamID, DisplayName: "Fabrikam", VerifiedDomains: []string{"fabrikam.onmicrosoft.com"},
			Users: []*idp.User{{ID: "99999999-9999-4999-8999-999999999999", UserPrincipalName: fabUser, DisplayName: "Alex", Password: bPassword}},
		},
	}}
}

func startOIDC(t *testing.T, opts ...idp.Option) *idp.Server {
	t.Helper()
	return idptest.Start(t, append([]idp.Option{idp.WithConfig(oidcTestConfig())}, opts...)...)
}

// browser is an http.Client with a cookie jar that stops at the first redirect leaving the IdP.
func oidcBrowser(srv *idp.Server) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	host := strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://")
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return c
}

var (
	oidcInputRE  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	oidcActionRE = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)
)

// formOf reads the action and hidden fields of the first form of an HTML page.
func oidcFormOf(t *testing.T, body string) (string, url.Values) {
	t.Helper()
	m := oidcActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form in page:\n%s", oidcTrunc(body))
	}
	v := url.Values{}
	for _, f := range oidcInputRE.FindAllStringSubmatch(body, -1) {
		v.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), v
}

func oidcTrunc(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}

// oidcResult is where the IdP sent the browser: a redirect (Location) or a form_post page.
type oidcResult struct {
	resp     *http.Response
	body     string
	location *url.URL
	form     url.Values // form_post fields
	action   string
}

// params merges query, fragment and form_post parameters of the answer.
func (r oidcResult) params() url.Values {
	if r.form != nil {
		return r.form
	}
	if r.location == nil {
		return url.Values{}
	}
	if r.location.Fragment != "" {
		v, _ := url.ParseQuery(r.location.Fragment)
		return v
	}
	return r.location.Query()
}

func oidcRead(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// authorize opens authURL in the browser and signs in as login if the sign-in page appears.
func oidcAuthorize(t *testing.T, c *http.Client, srv *idp.Server, authURL, login string) oidcResult {
	t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 4; step++ { // email, password, and a consent page (Cancel)
		if resp.StatusCode == http.StatusFound {
			loc, err := resp.Location()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return oidcResult{resp: resp, location: loc}
		}
		body := oidcRead(t, resp)
		if !strings.Contains(body, `name="ctx"`) {
			r := oidcResult{resp: resp, body: body}
			if strings.Contains(body, "hiddenform") {
				r.action, r.form = oidcFormOf(t, body)
			}
			return r
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
	return oidcResult{}
}

// rpContext makes go-oidc and x/oauth2 use c (the server's client).
func oidcRPContext(c *http.Client) context.Context {
	return oidc.ClientContext(context.WithValue(context.Background(), oauth2.HTTPClient, c), c)
}
