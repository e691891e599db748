package idp_test

import (
	"encoding/base64"
	"regexp"
	"testing"

	"github.com/crewjam/saml/samlsp"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// audienceRe finds the assertion's Audience in a Response (one per Response).
var audienceRe = regexp.MustCompile(`<Audience>([^<]*)</Audience>`)

// postedAudience is the Audience of the last SAMLResponse the browser posted.
func postedAudience(t *testing.T, b *idptest.Browser) string {
	t.Helper()
	f := b.LastPosted("SAMLResponse")
	if f == nil {
		t.Fatal("no SAMLResponse was posted")
	}
	x, err := base64.StdEncoding.DecodeString(f.Fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	m := audienceRe.FindSubmatch(x)
	if m == nil {
		t.Fatalf("no Audience in the Response:\n%s", x)
	}
	return string(m[1])
}

// TestSAMLAudienceFromRequestIssuer: an app with two Identifiers, the default not the SP's.
// Entra answers an AuthnRequest with the request's Issuer as the Audience (the SP validates
// its own entity ID, so with the default Identifier here the sign-in would fail), and an
// IdP-initiated sign-in, which has no request, with the default Identifier.
func TestSAMLAudienceFromRequestIssuer(t *testing.T) {
	const other = "urn:contoso:other-entity"
	sp := startSAMLPair(t, spSetup{
		idpConfig: func(cfg *idp.Config, spURL string) {
			cfg.Tenants[0].EnterpriseApps[0].SAML.Identifiers = []idp.Identifier{
				{Value: other, Default: true}, {Value: spURL + "/saml/metadata"}}
		},
		spOptions: func(o *samlsp.Options) { o.AllowIDPInitiated = true },
	})
	b := idptest.NewBrowser(nil)
	p := mustPage(t)(b.SignIn(sp.URL+"/", "B.Simon@contoso.com", "Passw0rd!"))
	mustContain(t, p, "signed in as B.Simon@contoso.com")
	if got, want := postedAudience(t, b), sp.URL+"/saml/metadata"; got != want {
		t.Fatalf("SP-initiated Audience %q, want the request's Issuer %q", got, want)
	}

	tenant := sp.IdP.Config().Tenants[0]
	b = idptest.NewBrowser(nil)
	p = mustPage(t)(b.SignIn(sp.IdP.UserAccessURL(tenant, tenant.EnterpriseApps[0]), "B.Simon@contoso.com", "Passw0rd!"))
	if got := postedAudience(t, b); got != other {
		t.Fatalf("IdP-initiated Audience %q, want the default Identifier %q", got, other)
	}
	// The SP is not that entity, so it refuses the assertion: what Entra's users see too.
	if regexp.MustCompile("signed in as").MatchString(p.Body) {
		t.Fatalf("the SP accepted an assertion for another audience:\n%s", p)
	}
}
