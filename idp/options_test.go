package idp_test

import (
	"reflect"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// TestNewLeavesConfigAlone: New normalizes and serves its own copy; the caller's Config is
// as it was, and changing it later changes nothing the server serves.
func TestNewLeavesConfigAlone(t *testing.T) {
	cfg := idp.DefaultConfig()
	cfg.Tenants[0].EnterpriseApps[0].SAML.Claims = []idp.Claim{} // empty, not nil: kept as such
	srv := idptest.Start(t, idp.WithConfig(cfg), idp.WithSAMLApp("https://sp.test/saml", "https://sp.test/acs"))
	want := idp.DefaultConfig()
	want.Tenants[0].EnterpriseApps[0].SAML.Claims = []idp.Claim{}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("New changed the caller's Config")
	}
	got := srv.Config().Tenants[0].EnterpriseApps[0]
	if got == cfg.Tenants[0].EnterpriseApps[0] || got.SAML.Claims == nil || got.SAML.Signing.Option != idp.SignAssertion {
		t.Errorf("the server's app is not its own normalized copy: %+v", got.SAML)
	}
	if got.SAML.DefaultIdentifier() != "https://sp.test/saml" || got.SAML.DefaultReplyURL() != "https://sp.test/acs" {
		t.Errorf("WithSAMLApp: %v %v", got.SAML.Identifiers, got.SAML.ReplyURLs)
	}
	cfg.Tenants[0].EnterpriseApps[0].DisplayName = "changed"
	if srv.Config().Tenants[0].EnterpriseApps[0].DisplayName == "changed" {
		t.Errorf("a later change of the caller's Config reached the server")
	}
}

// TestAppOptions: the options need what they configure, and WithOIDCClient sets the client
// ID and the only redirect URIs.
func TestAppOptions(t *testing.T) {
	if _, err := idp.New(idp.WithSAMLApp("https://sp.test/saml")); err == nil {
		t.Error("WithSAMLApp without an ACS URL: no error")
	}
	if _, err := idp.New(idp.WithOIDCClient("00001111-aaaa-2222-bbbb-3333cccc4444")); err == nil {
		t.Error("WithOIDCClient without a redirect URI: no error")
	}
	if _, err := idp.New(idp.WithOIDCClient("not-a-guid", "https://rp.test/cb")); err == nil {
		t.Error("WithOIDCClient with a client ID that is not a GUID: no error")
	}
	srv := idptest.Start(t, idp.WithOIDCClient("00001111-AAAA-2222-bbbb-3333cccc4444", "https://rp.test/cb"))
	r := srv.Config().Tenants[0].AppRegistrations[0]
	if r.AppID != "00001111-aaaa-2222-bbbb-3333cccc4444" || !reflect.DeepEqual(r.Web.RedirectURIs, []string{"https://rp.test/cb"}) || len(r.SPA.RedirectURIs) != 0 {
		t.Errorf("WithOIDCClient: %s %v %v", r.AppID, r.Web.RedirectURIs, r.SPA.RedirectURIs)
	}
}
