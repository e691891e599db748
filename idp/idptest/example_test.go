package idptest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// A Browser signs B.Simon in to a SAML SP and keeps what it posted there; the sign-in log
// has the sign-in page shown (interrupted), the credentials, and the Response sent. In a test,
// idptest.Start(t, idp.WithSAMLApp(...)) starts the server and closes it at the end; an
// example has no *testing.T, so it calls idp.NewServer with the pooled keys Start uses.
func ExampleBrowser_SignIn() {
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Signed in")
	}))
	defer sp.Close()
	srv, err := idp.NewServer(idp.WithSAMLApp(sp.URL+"/saml/metadata", sp.URL+"/saml/acs"), idp.WithKeyGenerator(idptest.PooledKeys()))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	b := idptest.NewBrowser(nil)
	tenant := srv.Config().Tenants[0]
	p, err := b.SignIn(srv.UserAccessURL(tenant, tenant.EnterpriseApps[0]), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		panic(err)
	}
	posted := b.LastPosted("SAMLResponse")
	fmt.Println(p.Status, p.Body)
	fmt.Println(posted.Method, posted.Action[len(sp.URL):], len(posted.Fields.Get("SAMLResponse")) > 0)
	for _, ev := range srv.Events() {
		fmt.Println(strings.TrimSpace(fmt.Sprint(ev.Kind, " ", ev.Status, " ", ev.UserPrincipalName)))
	}
	// Output:
	// 200 Signed in
	// POST /saml/acs true
	// idp-initiated interrupted
	// credentials success B.Simon@contoso.com
	// idp-initiated success B.Simon@contoso.com
}
