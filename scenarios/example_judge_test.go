package scenarios_test

import (
	"fmt"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/scenarios"
)

// Judge over evidence recorded without a browser: the SP refused the response with no
// AudienceRestriction with an HTTP 500 page. A refusal is a refusal; the 500 is reported
// once for the run by the sp.error-page finding, not here.
func ExampleJudge() {
	f, _ := idp.LookupFault("saml.audience.missing")
	ev := scenarios.Evidence{
		User:  "B.Simon@contoso.com",
		Pages: []scenarios.Page{{URL: "https://sp.example.test/acs", Status: 500}},
		Events: []idp.Event{{Kind: idp.EventAuthnRequest, Binding: idp.BindingRedirect, Status: idp.StatusSuccess,
			Fault: &idp.MintedFault{ID: f.ID}}},
	}
	v := scenarios.Judge(&f, ev, nil)
	fmt.Println(v.Status, "-", v.Observed)

	// The same check, where the SP signed the user in.
	ev.Pages = []scenarios.Page{{URL: "https://sp.example.test/", Status: 200, SignedIn: true, Identity: "B.Simon@contoso.com"}}
	v = scenarios.Judge(&f, ev, nil)
	fmt.Println(v.Status, "-", v.Observed)
	// Output:
	// pass - refused (500) at https://sp.example.test/acs
	// fail - accepted as B.Simon@contoso.com
}
