package idp_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// A fault armed for one browser context: the next Response that context carries names
// another app's Audience, and the sign-in log says which fault was minted. A correct SP
// refuses it (the catalog's verdict).
func ExampleServer_ArmContext() {
	sp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, _ := base64.StdEncoding.DecodeString(r.PostFormValue("SAMLResponse"))
		_, audience, _ := strings.Cut(string(x), "<Audience>")
		audience, _, _ = strings.Cut(audience, "</Audience>")
		fmt.Fprint(w, "Audience ", audience)
	}))
	defer sp.Close()
	srv, err := idp.NewServer(idp.WithSAMLApp(sp.URL+"/saml/metadata", sp.URL+"/saml/acs"), idp.WithKeyGenerator(idptest.PooledKeys()))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	f, _ := idp.LookupFault("saml.audience.wrong")
	fmt.Println(f.ID, "→ a correct SP must", f.Expect.Expected())

	b := idptest.NewBrowser(nil)
	armed, err := srv.ArmContext(f.ID)
	if err != nil {
		panic(err)
	}
	if err := b.SetCookie(srv.URL, armed.Cookie()); err != nil {
		panic(err)
	}
	tenant := srv.Config().Tenants[0]
	p, err := b.SignIn(srv.UserAccessURL(tenant, tenant.EnterpriseApps[0]), "B.Simon@contoso.com", "Passw0rd!")
	if err != nil {
		panic(err)
	}
	fmt.Println("the SP got:", p.Body)
	for _, ev := range srv.Events() {
		if ev.Fault != nil {
			fmt.Println("sign-in log:", ev.Kind, ev.Fault.ID)
		}
	}
	// Output:
	// saml.audience.wrong → a correct SP must reject
	// the SP got: Audience https://other-app.example.test/saml/acs
	// sign-in log: idp-initiated saml.audience.wrong
}
