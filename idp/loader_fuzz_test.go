package idp_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// FuzzParseConfig fuzzes the config loader: ParseConfig, Normalize (the checks a config file
// gets at start), and a server built from what passes, asked for each app's metadata. A panic
// anywhere fails; the built server's answers must be Entra's (checkEntraAnswer). Seeds: the
// embedded default directory and the README's example directory.
//
//	go test ./idp -run XXX -fuzz FuzzParseConfig -fuzztime 20s -fuzzminimizetime 2s
func FuzzParseConfig(f *testing.F) {
	for _, p := range []string{"default.yaml", "../fixtures/contoso.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"tenants": [{"id": "x", "users": [{}]}]}`))
	f.Add([]byte("tenants:\n  - enterpriseApps: [{saml: {replyUrls: [{url: 'http://a/', index: -1}]}}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := idp.ParseConfig(b)
		if err != nil {
			return
		}
		// The input must not make the test write files: generated keys stay in memory. (The
		// paths it names — PEM files, metadata files — are only read.)
		cfg.KeyDir = ""
		cfg.PublicURL = "https://login.mock.test"
		if len(cfg.Tenants) > 4 || cfg.ControlAPI != nil && len(cfg.Faults) > 4 {
			return // a big directory tests nothing more, and slows the fuzzer
		}
		// A fresh generator per input: it hands out the process's pooled keys from the first,
		// where one shared across inputs would generate new keys for every server.
		srv, err := idp.New(idp.WithConfig(cfg), idp.WithKeyGenerator(idptest.PooledKeys()))
		if err != nil {
			return
		}
		for _, tn := range srv.Config().Tenants {
			for _, app := range tn.EnterpriseApps {
				u := "/" + tn.ID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + app.AppID
				serveFuzz(t, srv, httptest.NewRequest("GET", u, nil), string(b))
			}
		}
	})
}

// FuzzParseSPMetadata fuzzes SP metadata upload ("Upload metadata file"): ParseSPMetadata,
// then the app it configures, checked as a config file's app is (Normalize) and served. A
// panic fails, and so does metadata accepted without an entity ID or with a Reply URL twice.
// Seeds: the SP metadata in fixtures/targets/seeds and the package example's.
//
//	go test ./idp -run XXX -fuzz FuzzParseSPMetadata -fuzztime 20s -fuzzminimizetime 2s
func FuzzParseSPMetadata(f *testing.F) {
	seeds, _ := filepath.Glob("../fixtures/targets/seeds/*.xml")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://crm.example.test/saml"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://crm.example.test/saml/slo"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs" index="0" isDefault="true"/><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://crm.example.test/saml/acs2" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>`))
	f.Add([]byte(`<EntityDescriptor entityID="x"><SPSSODescriptor/></EntityDescriptor>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := idp.ParseSPMetadata(b)
		if err != nil {
			return
		}
		if md.EntityID == "" {
			t.Fatalf("accepted SP metadata without an entityID: %q", b)
		}
		seen := map[string]bool{}
		for _, r := range md.ReplyURLs {
			if seen[r.URL] {
				t.Fatalf("Reply URL %q imported twice from %q", r.URL, b)
			}
			seen[r.URL] = true
		}
		cfg := idp.DefaultConfig()
		cfg.PublicURL = "https://login.mock.test"
		app := cfg.Tenants[0].EnterpriseApps[0]
		app.SAML.Identifiers = []idp.Identifier{{Value: md.EntityID, Default: true}}
		app.SAML.ReplyURLs = slices.Clone(md.ReplyURLs)
		app.SAML.LogoutURL = md.LogoutURL
		if err := cfg.Normalize(); err != nil {
			return // the portal refuses the app as it stands (e.g. no Reply URL)
		}
		srv, err := idp.New(idp.WithConfig(cfg), idp.WithKeyGenerator(idptest.PooledKeys()))
		if err != nil {
			return
		}
		tn := srv.Config().Tenants[0]
		u := "/" + tn.ID + "/federationmetadata/2007-06/federationmetadata.xml?appid=" + tn.EnterpriseApps[0].AppID
		serveFuzz(t, srv, httptest.NewRequest("GET", u, nil), string(b))
	})
}
