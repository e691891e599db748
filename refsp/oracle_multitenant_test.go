package refsp_test

import (
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
	"github.com/ssoharness/ssoharness/refsp/refoidc"
	"github.com/ssoharness/ssoharness/reports"
	"github.com/ssoharness/ssoharness/scenarios"
)

// runOIDCMultiTenant is runOIDC for a multi-tenant RP: the /organizations authority (whose
// discovery names the {tenantid} issuer template) and the directory's tenants onboarded.
func runOIDCMultiTenant(t *testing.T, f idp.Fault, w refoidc.Weakness) scenarios.Evidence {
	cfg := idp.DefaultConfig()
	tn := cfg.Tenants[0]
	reg := tn.AppRegistrations[0]
	var tenants []string
	for _, x := range cfg.Tenants {
		tenants = append(tenants, x.ID)
	}
	rp, err := refoidc.New(refoidc.Config{Name: "ref", Weakness: w, ClientID: reg.AppID, ClientSecret: reg.PasswordCredentials[0].SecretText,
		AllowedTenants: tenants})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rp.Close)
	reg.Web.RedirectURIs = []string{rp.RedirectURL()}
	reg.SignInAudience = idp.AudienceMultipleOrgs
	srv := idptest.Start(t, idp.WithConfig(cfg))
	rp.SetIssuer(srv.URL + "/organizations/v2.0")
	b, ck := context(t, srv, f.ID)
	ev := scenarios.Evidence{User: user}
	for i := range max(f.SignIns, 1) {
		if i > 0 {
			b = rearm(t, srv, ck)
		}
		p, err := b.SignIn(rp.LoginURL(), user, password)
		if err != nil {
			t.Fatalf("%s: %v", f.ID, err)
		}
		ev.Pages = append(ev.Pages, page(p))
	}
	ev.Events = srv.Events()
	return ev
}

// TestOracleMultiTenant: the tenant and issuer checks matter most for an app on /common or
// /organizations, which validates iss by the {tenantid} template. The strict multi-tenant
// RP must pass them (and still sign in a clean token); the weak variant of each must fail.
func TestOracleMultiTenant(t *testing.T) {
	for _, id := range []idp.FaultID{"oidc.code.query", "oidc.tenant.msa", "oidc.iss.tid-mismatch", "oidc.iss.template-literal",
		"oidc.jwks.key-issuer-mismatch", "oidc.tenant.foreign", "oidc.email.edov-false"} {
		f, ok := idp.LookupFault(id)
		if !ok {
			t.Fatalf("no fault %s", id)
		}
		t.Run(string(id), func(t *testing.T) {
			v := scenarios.Judge(&f, runOIDCMultiTenant(t, f, refoidc.Strict), nil)
			if v.Status != reports.StatusPass {
				t.Errorf("strict multi-tenant RP: %s (%s), want pass", v.Status, v.Observed)
			}
			w, ok := refoidc.WeaknessFor(string(id))
			if !ok || id == "oidc.tenant.foreign" {
				// A foreign tenant the multi-tenant app onboarded is not an attack; the
				// made-up one it did not onboard is refused by strict (above).
				return
			}
			if v := scenarios.Judge(&f, runOIDCMultiTenant(t, f, w), nil); v.Status != reports.StatusFail {
				t.Errorf("multi-tenant RP with %s: %s (%s), want fail", w, v.Status, v.Observed)
			}
		})
	}
}
