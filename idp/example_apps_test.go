package idp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The mock pointed at your own SAML service provider and OIDC client takes five lines: the
// first five of the example after the stand-in SP. B.Simon@contoso.com (password Passw0rd!)
// then signs in to both: by IdP-initiated SAML, and by the authorization code flow, which is
// single sign-on in the same browser.
func Example_yourOwnApps() {
	// A stand-in for your app: it says what the IdP sent it.
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Fprintf(w, "%s %s: SAMLResponse %t, code %t", r.Method, r.URL.Path, r.PostForm.Get("SAMLResponse") != "", r.Form.Get("code") != "")
	}))
	defer app.Close()
	const clientID = "00001111-aaaa-2222-bbbb-3333cccc4444"

	srv, err := idp.NewServer(idp.WithSAMLApp(app.URL+"/saml/metadata", app.URL+"/saml/acs"), idp.WithOIDCClient(clientID, app.URL+"/signin-oidc"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	tenant := srv.Config().Tenants[0]
	fmt.Println("SAML metadata:", srv.MetadataURL(tenant, tenant.EnterpriseApps[0])[len(srv.URL):])
	fmt.Println("OIDC issuer:  ", "/"+tenant.ID+"/v2.0")

	b := idptest.NewBrowser(nil)
	p, err := b.SignIn(srv.UserAccessURL(tenant, tenant.EnterpriseApps[0]), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Body)
	p, err = b.SignIn(srv.URL+"/"+tenant.ID+"/oauth2/v2.0/authorize?"+url.Values{
		"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"},
		"redirect_uri": {app.URL + "/signin-oidc"}, "nonce": {"n-0S6_WzA2Mj"}, "state": {"af0ifjsldkj"},
	}.Encode(), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Body)
	// Output:
	// SAML metadata: /3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/federationmetadata/2007-06/federationmetadata.xml?appid=9a4c7e1f-6b2d-4e8a-b3c5-d7e9f1a2b4c6
	// OIDC issuer:   /3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/v2.0
	// POST /saml/acs: SAMLResponse true, code false
	// GET /signin-oidc: SAMLResponse false, code true
}
